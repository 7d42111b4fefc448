// ProgrammeState::Encode / Decode: the snapshot byte form of the state.
//
// Format (version 1): one compact JSON object, keys sorted (nlohmann::json keeps
// objects in a std::map), facts in seq order; each fact is [seq, base64 of the
// event's canonical Cap'n Proto payload] (domain::EncodePayload), so the event data
// is stored in the one byte form the ledger also uses. Derived values (status,
// ranks, organisations, lineage back-links) are not stored: Decode recomputes them.
#include <nlohmann/json.hpp>

#include <type_traits>

#include "domain/event_codec.h"
#include "ledger/hash.h"
#include "projections/state.h"

namespace esms::projections {

namespace {

using nlohmann::json;
constexpr int kFormatVersion = 1;

template <typename T>
json EncodeFact(uint64_t seq, const T& data) {
  Result<std::vector<uint8_t>> bytes = domain::EncodePayload(domain::EventData(data));
  // Every programme type encodes; key types are never stored as facts.
  return json::array({seq, bytes.ok() ? ledger::Base64Encode(*bytes) : std::string()});
}

template <typename T>
json EncodeFacts(const std::vector<Fact<T>>& facts) {
  json out = json::array();
  for (const auto& f : facts) out.push_back(EncodeFact(f.seq, f.data));
  return out;
}

template <typename T>
Result<Fact<T>> DecodeFact(const json& j) {
  if (!j.is_array() || j.size() != 2 || !j[0].is_number_unsigned() || !j[1].is_string()) {
    return Status::DataLoss("snapshot: malformed fact");
  }
  ASSIGN_OR_RETURN(ledger::Bytes bytes, ledger::Base64Decode(j[1].get<std::string>()));
  ASSIGN_OR_RETURN(domain::EventData data, domain::DecodePayload(T::kType, bytes));
  if (!std::holds_alternative<T>(data)) return Status::DataLoss("snapshot: fact of wrong type");
  return Fact<T>{j[0].get<uint64_t>(), std::get<T>(std::move(data))};
}

template <typename T>
Status DecodeFacts(const json& j, std::vector<Fact<T>>* out) {
  if (!j.is_array()) return Status::DataLoss("snapshot: malformed fact list");
  for (const json& item : j) {
    ASSIGN_OR_RETURN(Fact<T> f, DecodeFact<T>(item));
    out->push_back(std::move(f));
  }
  return Status::OK();
}

}  // namespace

struct StateCodec {
  static json Encode(const ProgrammeState& s) {
    json projects = json::object();
    for (const auto& [id, p] : s.projects_) {
      json jp = json::object();
      jp["submission"] = EncodeFact(p.submitted_seq, p.submission);
      if (p.decision.has_value()) {
        const Decision& d = *p.decision;
        jp["decision"] =
            d.selected ? EncodeFact(d.seq, domain::ProjectSelected{id, d.committee_at})
                       : EncodeFact(d.seq, domain::ProjectRejected{id, d.reason});
        jp["selected"] = d.selected;
      }
      jp["conventions"] = EncodeFacts(p.conventions);
      jp["payments"] = EncodeFacts(p.payments);
      jp["expenses"] = EncodeFacts(p.expenses);
      jp["extensions"] = EncodeFacts(p.extensions);
      projects[id] = std::move(jp);
    }
    json establishments = json::object();
    for (const auto& [finess, f] : s.registry_.facts_) {
      json je = json::object();
      json links = json::array();
      for (const auto& l : f.project_records) links.push_back(json::array({l.project, l.seq}));
      je["links"] = std::move(links);
      je["sons"] = EncodeFacts(f.sons);
      je["eu"] = EncodeFacts(f.eu_funds);
      je["measurements"] = EncodeFacts(f.measurements);
      je["adjustments"] = EncodeFacts(f.adjustments);
      establishments[finess.str()] = std::move(je);
    }
    json changes = json::array();
    for (const auto& [from, c] : s.registry_.successor_) {
      changes.push_back(EncodeFact(c.seq, c.data));
    }
    json out = json::object();
    out["format"] = kFormatVersion;
    out["nextSeq"] = s.next_seq_;
    out["projects"] = std::move(projects);
    out["establishments"] = std::move(establishments);
    out["changes"] = std::move(changes);
    out["referencing"] = EncodeFacts(s.referencing_);
    out["voided"] = s.voided_;
    return out;
  }

  static Result<ProgrammeState> Decode(const json& j) {
    ProgrammeState s;
    if (!j.is_object() || j.value("format", 0) != kFormatVersion) {
      return Status::DataLoss("snapshot: unknown format");
    }
    s.next_seq_ = j.at("nextSeq").get<uint64_t>();
    for (const auto& [id, jp] : j.at("projects").items()) {
      Project p;
      ASSIGN_OR_RETURN(auto submission, DecodeFact<domain::ProjectSubmitted>(jp.at("submission")));
      p.submitted_seq = submission.seq;
      p.submission = std::move(submission.data);
      if (p.submission.project != id) return Status::DataLoss("snapshot: project id mismatch");
      if (jp.contains("decision")) {
        if (jp.at("selected").get<bool>()) {
          ASSIGN_OR_RETURN(auto d, DecodeFact<domain::ProjectSelected>(jp.at("decision")));
          p.decision = Decision{d.seq, true, d.data.committee_at, ""};
        } else {
          ASSIGN_OR_RETURN(auto d, DecodeFact<domain::ProjectRejected>(jp.at("decision")));
          p.decision = Decision{d.seq, false, {}, d.data.reason};
        }
      }
      RETURN_IF_ERROR(DecodeFacts(jp.at("conventions"), &p.conventions));
      RETURN_IF_ERROR(DecodeFacts(jp.at("payments"), &p.payments));
      RETURN_IF_ERROR(DecodeFacts(jp.at("expenses"), &p.expenses));
      RETURN_IF_ERROR(DecodeFacts(jp.at("extensions"), &p.extensions));
      RebuildProjectLists(p);
      s.projects_.emplace(id, std::move(p));
    }
    for (const auto& [number, je] : j.at("establishments").items()) {
      ASSIGN_OR_RETURN(domain::Finess finess, domain::Finess::Parse(number));
      EstablishmentFacts f;
      for (const json& l : je.at("links")) {
        f.project_records.push_back({l.at(0).get<std::string>(), l.at(1).get<uint64_t>()});
      }
      RETURN_IF_ERROR(DecodeFacts(je.at("sons"), &f.sons));
      RETURN_IF_ERROR(DecodeFacts(je.at("eu"), &f.eu_funds));
      RETURN_IF_ERROR(DecodeFacts(je.at("measurements"), &f.measurements));
      RETURN_IF_ERROR(DecodeFacts(je.at("adjustments"), &f.adjustments));
      s.registry_.facts_.emplace(finess, std::move(f));
    }
    std::vector<Fact<domain::FinessChanged>> changes;
    RETURN_IF_ERROR(DecodeFacts(j.at("changes"), &changes));
    for (auto& c : changes) s.registry_.successor_.emplace(c.data.from, std::move(c));
    s.registry_.RebuildPredecessors();
    RETURN_IF_ERROR(DecodeFacts(j.at("referencing"), &s.referencing_));
    s.voided_ = j.at("voided").get<std::set<uint64_t>>();
    return s;
  }
};

ledger::Bytes ProgrammeState::Encode() const {
  std::string text = StateCodec::Encode(*this).dump();
  return ledger::Bytes(text.begin(), text.end());
}

Result<ProgrammeState> ProgrammeState::Decode(ledger::ByteView bytes) {
  json j = json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::DataLoss("snapshot: not JSON");
  try {
    return StateCodec::Decode(j);
  } catch (const json::exception& e) {  // a missing or mistyped member
    return Status::DataLoss(std::string("snapshot: ") + e.what());
  }
}

}  // namespace esms::projections
