#include "projections/bundle.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <set>
#include <type_traits>
#include <utility>
#include <variant>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/json.h"

#include "domain/event_codec.h"
#include "domain/events.h"
#include "ledger/hash.h"
#include "ledger/key_registry.h"
#include "ledger/merkle.h"
#include "ledger/record.h"
#include "projections/appender.h"

namespace esms::projections {
namespace {

using nlohmann::json;

// Format 2 signs a checkpoint at every commit, so the latest one covers every record; a
// ledger without one, or records beyond it, can only come from a commit that did not
// finish (a crash between the records' write and the checkpoint's, never in practice).
constexpr std::string_view kRunCheckpoint =
    "the ledger signs one at every commit; `esms-ledger checkpoint --key LEDGER-KEY.pem` "
    "signs one of the current tree";

json HexList(const std::vector<ledger::Hash>& hashes) {
  json out = json::array();
  for (const auto& h : hashes) out.push_back(ledger::ToHex(h));
  return out;
}

json ClaimJson(const BundleClaim& claim) {
  if (claim.kind == BundleClaim::Kind::kProject) {
    return {{"kind", "project"}, {"project", claim.project}, {"at", claim.at.ToString()}};
  }
  json evidence = json::array();
  for (const auto& e : claim.evidence) {
    evidence.push_back({{"finess", e.finess}, {"seq", e.seq}, {"activeFiles", e.active_files}});
  }
  return {{"kind", "active-dui"},
          {"at", claim.at.ToString()},
          {"total", claim.total},
          {"evidence", std::move(evidence)}};
}

// The checkpoint to prove against: opened with the ledger key, its root the ledger's.
struct ProvenCheckpoint {
  std::string note;
  ledger::Checkpoint checkpoint;
};
Result<ProvenCheckpoint> ChooseCheckpoint(const ledger::Ledger& ledger,
                                          const BundleOptions& options) {
  ProvenCheckpoint out;
  if (options.checkpoint_note.has_value()) {
    out.note = *options.checkpoint_note;
  } else {
    ASSIGN_OR_RETURN(std::optional<std::string> latest, ledger.LatestCheckpoint());
    if (!latest.has_value()) {
      return Status::FailedPrecondition(
          kNoCheckpoint, fmt::format("the ledger keeps no checkpoint: {}", kRunCheckpoint));
    }
    out.note = *latest;
  }
  const ledger::NoteVerifier verifier =
      ledger::MakeNoteVerifier(ledger.origin(), ledger.ledger_key());
  Result<std::string> body = ledger::OpenNote(out.note, std::span(&verifier, 1));
  if (!body.ok()) {
    return Status::BadInput("checkpoint: not signed by this ledger's key: " +
                            body.status().message());
  }
  ASSIGN_OR_RETURN(out.checkpoint, ledger::ParseCheckpoint(*body));
  if (out.checkpoint.origin != ledger.origin() || out.checkpoint.size > ledger.size()) {
    return Status::BadInput("checkpoint: not a checkpoint of this ledger");
  }
  ASSIGN_OR_RETURN(ledger::Hash root, ledger.RootAt(out.checkpoint.size));
  if (root != out.checkpoint.root) {
    return Status::BadInput("checkpoint: its root is not this ledger's root at its size");
  }
  return out;
}

// The key records (enrolment, revocation before `size`) of every signer of `seqs`,
// and of the signers of those, added to `seqs`.
Status AddKeyRecords(const ledger::Ledger& ledger, uint64_t size, std::set<uint64_t>& seqs) {
  std::set<std::string> done;
  std::vector<uint64_t> todo(seqs.begin(), seqs.end());
  while (!todo.empty()) {
    uint64_t seq = todo.back();
    todo.pop_back();
    ASSIGN_OR_RETURN(ledger::Record record, ledger.Get(seq));
    if (!done.insert(record.signer).second) continue;
    const ledger::KeyInfo* info = ledger.keys().Find(record.signer);
    if (info == nullptr) {
      return Status::Internal("seq " + std::to_string(seq) + ": signer '" + record.signer +
                              "' is not in the key registry");
    }
    std::vector<uint64_t> key_seqs = {info->enrolled_seq};
    if (info->revoked_seq.has_value() && *info->revoked_seq < size) {
      key_seqs.push_back(*info->revoked_seq);
    }
    for (uint64_t k : key_seqs) {
      seqs.insert(k);
      if (k != seq) todo.push_back(k);  // then the signer of the key record
    }
  }
  return Status::OK();
}

// For active-DUI claims: the finess.changed records from each measured number to the
// number the claim counts it under.
void AddLineagePaths(const ProgrammeState& state, const BundleClaim& claim,
                     const std::map<uint64_t, ledger::Record>& records, std::set<uint64_t>& seqs) {
  for (const auto& e : claim.evidence) {
    auto it = records.find(e.seq);
    if (it == records.end() || it->second.type != domain::IndicatorMeasured::kType) continue;
    Result<domain::EventData> data = domain::DecodePayload(it->second.type, it->second.payload);
    if (!data.ok()) continue;
    domain::Finess finess = std::get<domain::IndicatorMeasured>(*data).finess;
    for (int hops = 0; finess.str() != e.finess && hops < 1000; ++hops) {
      const Fact<domain::FinessChanged>* change = state.registry().SuccessorOf(finess);
      if (change == nullptr) break;
      seqs.insert(change->seq);
      finess = change->data.to;
    }
  }
}

// ---------------------------------------------------------------------------------
// Verification.

// The first difference between two JSON values, as "path: the readable value A is not
// the signed value B"; empty when equal.
std::string FirstDifference(const json& readable, const json& signed_value,
                            const std::string& path) {
  if (readable.type() != signed_value.type() &&
      !(readable.is_number_integer() && signed_value.is_number_integer())) {
    return fmt::format("{}: the readable value {} is not the signed value {}", path,
                       readable.dump(), signed_value.dump());
  }
  if (signed_value.is_object()) {
    for (const auto& [key, value] : signed_value.items()) {
      if (!readable.contains(key)) {
        return fmt::format("{}.{}: missing from the readable data (signed value {})", path, key,
                           value.dump());
      }
      std::string d = FirstDifference(readable.at(key), value, path + "." + key);
      if (!d.empty()) return d;
    }
    for (const auto& [key, value] : readable.items()) {
      if (!signed_value.contains(key)) {
        return fmt::format("{}.{}: not in the signed data (readable value {})", path, key,
                           value.dump());
      }
    }
    return "";
  }
  if (signed_value.is_array()) {
    for (size_t i = 0; i < std::max(readable.size(), signed_value.size()); ++i) {
      std::string item = path + "[" + std::to_string(i) + "]";
      if (i >= readable.size()) {
        return fmt::format("{}: missing from the readable data (signed value {})", item,
                           signed_value[i].dump());
      }
      if (i >= signed_value.size()) {
        return fmt::format("{}: not in the signed data (readable value {})", item,
                           readable[i].dump());
      }
      std::string d = FirstDifference(readable[i], signed_value[i], item);
      if (!d.empty()) return d;
    }
    return "";
  }
  if (readable != signed_value) {
    return fmt::format("{}: the readable value {} is not the signed value {}", path,
                       readable.dump(), signed_value.dump());
  }
  return "";
}

struct BundleRecord {
  ledger::Record record;
  ledger::Bytes statement_bytes;  // as DecodeRecord gives them (also in record)
  bool in_keys = false;           // listed under "keys"
};

class BundleVerifier {
 public:
  BundleVerifier(const ledger::NoteVerifier& trust,
                 const std::optional<ledger::NoteVerifier>& witness)
      : trust_(trust), witness_(witness) {}

  Result<BundleVerdict> Run(std::string_view text) {
    Result<json> parsed = base::ParseStrictJson(text, base::kMaxDocumentDepth);
    if (!parsed.ok()) {
      return Status::BadInput("the bundle is not JSON: " + parsed.status().message());
    }
    json bundle = *std::move(parsed);
    if (!bundle.is_object() || !bundle.contains("format") || !bundle["format"].is_string()) {
      return Status::BadInput("not an evidence bundle: no \"format\"");
    }
    if (bundle["format"] == kBundleFormatV1) {
      return Status::BadInput(fmt::format(
          "a bundle of format {} (record format 1): this verifier reads {} (record format 2) "
          "only; make the bundle again from a format-2 ledger",
          kBundleFormatV1, kBundleFormat));
    }
    if (bundle["format"] != kBundleFormat) {
      return Status::BadInput(fmt::format("not an evidence bundle of format {}: \"{}\"",
                                          kBundleFormat, bundle["format"].get<std::string>()));
    }
    Status s = Check(bundle);
    if (!s.ok()) {
      verdict_.ok = false;
      verdict_.code = s.error_code();
      verdict_.canonical = s.code();
      verdict_.problem = s.message();
      verdict_.check.reset();
    } else {
      verdict_.ok = true;
    }
    return std::move(verdict_);
  }

 private:
  using Bytes = ledger::Bytes;

  Status Fail(std::optional<uint64_t> seq, std::string message) {
    verdict_.seq = seq;
    if (seq.has_value()) message = "seq " + std::to_string(*seq) + ": " + message;
    return Status::FailedPrecondition(kBundleInvalid, std::move(message));
  }

  static const json* Field(const json& object, std::string_view key, json::value_t type) {
    auto it = object.find(key);
    if (it == object.end()) return nullptr;
    if (type == json::value_t::number_unsigned) {
      return it->is_number_unsigned() || (it->is_number_integer() && it->get<int64_t>() >= 0)
                 ? &*it
                 : nullptr;
    }
    if (type == json::value_t::number_integer) return it->is_number_integer() ? &*it : nullptr;
    return it->type() == type ? &*it : nullptr;
  }

  Status Check(const json& bundle) {
    RETURN_IF_ERROR(CheckCheckpoint(bundle));
    RETURN_IF_ERROR(ReadRecords(bundle, "records", false));
    RETURN_IF_ERROR(ReadRecords(bundle, "keys", true));
    RETURN_IF_ERROR(CheckRecords());
    RETURN_IF_ERROR(ReadClaim(bundle));
    RETURN_IF_ERROR(CheckStreams(bundle));
    if (verdict_.claim.kind == BundleClaim::Kind::kProject) return CheckProjectClaim();
    return CheckActiveDuiClaim();
  }

  Status CheckCheckpoint(const json& bundle) {
    const json* note = Field(bundle, "checkpoint", json::value_t::string);
    if (note == nullptr) return Fail(std::nullopt, "no \"checkpoint\" note");
    note_ = note->get<std::string>();
    Result<std::string> body = ledger::OpenNote(note_, std::span(&trust_, 1));
    if (!body.ok()) {
      return Fail(std::nullopt, "checkpoint: not signed by the trusted key " + trust_.name + ": " +
                                    body.status().message());
    }
    Result<ledger::Checkpoint> cp = ledger::ParseCheckpoint(*body);
    if (!cp.ok()) return Fail(std::nullopt, "checkpoint: " + cp.status().message());
    checkpoint_ = *cp;
    verdict_.origin = checkpoint_.origin;
    verdict_.checkpoint_size = checkpoint_.size;
    verdict_.root = checkpoint_.root;
    if (witness_.has_value()) {
      Result<uint64_t> time = ledger::VerifyCosignature(note_, *witness_);
      if (!time.ok()) {
        return Status::FailedPrecondition(
            kWitnessMissing, "checkpoint: no valid cosignature by the witness " + witness_->name +
                                 ": " + time.status().message());
      }
      verdict_.witness_time = *time;
    }
    return Status::OK();
  }

  // Decodes every entry of bundle[list] and checks it against its own bytes and proof.
  Status ReadRecords(const json& bundle, std::string_view list, bool in_keys) {
    const json* entries = Field(bundle, list, json::value_t::array);
    if (entries == nullptr) return Fail(std::nullopt, fmt::format("no \"{}\" list", list));
    size_t index = 0;
    for (const json& entry : *entries) {
      std::string where = fmt::format("{}[{}]", list, index++);
      if (!entry.is_object()) return Fail(std::nullopt, where + ": not an object");
      const json* seq_field = Field(entry, "seq", json::value_t::number_unsigned);
      if (seq_field == nullptr) return Fail(std::nullopt, where + ": no \"seq\"");
      const uint64_t seq = seq_field->get<uint64_t>();
      RETURN_IF_ERROR(ReadRecord(entry, seq, in_keys));
    }
    return Status::OK();
  }

  Status ReadRecord(const json& entry, uint64_t seq, bool in_keys) {
    auto text = [&](std::string_view key) -> std::optional<std::string> {
      const json* f = Field(entry, key, json::value_t::string);
      if (f == nullptr) return std::nullopt;
      return f->get<std::string>();
    };
    std::optional<std::string> bytes64 = text("bytes"), statement64 = text("statement"),
                               signature64 = text("signature"), leaf_hex = text("leafHash");
    const json* proof = Field(entry, "proof", json::value_t::array);
    if (!bytes64 || !statement64 || !signature64 || !leaf_hex || proof == nullptr ||
        !entry.contains("data")) {
      return Fail(seq,
                  "an entry needs \"bytes\", \"statement\", \"signature\", \"leafHash\", "
                  "\"proof\" and \"data\"");
    }
    Result<Bytes> bytes = ledger::Base64Decode(*bytes64);
    if (!bytes.ok()) return Fail(seq, "bytes: " + bytes.status().message());
    BundleRecord r;
    r.in_keys = in_keys;
    Result<ledger::Record> record = ledger::DecodeRecord(*bytes, &r.statement_bytes);
    if (!record.ok()) return Fail(seq, "bytes do not decode: " + record.status().message());
    r.record = std::move(record).value();
    if (r.record.seq != seq) {
      return Fail(seq, fmt::format("the signed record is seq {}, not seq {}", r.record.seq, seq));
    }
    // The Merkle leaf.
    Result<ledger::Hash> leaf = ledger::HashFromHex(*leaf_hex);
    if (!leaf.ok() || *leaf != r.record.leaf_hash) {
      return Fail(seq, fmt::format("leafHash {} is not the hash of the record bytes ({})",
                                   *leaf_hex, ledger::ToHex(r.record.leaf_hash)));
    }
    if (seq >= checkpoint_.size) {
      return Fail(seq, fmt::format("beyond the checkpoint (size {})", checkpoint_.size));
    }
    std::vector<ledger::Hash> path;
    for (const json& h : *proof) {
      Result<ledger::Hash> hash =
          h.is_string() ? ledger::HashFromHex(h.get<std::string>()) : Status::BadInput("not text");
      if (!hash.ok()) return Fail(seq, "proof: not a list of hex hashes");
      path.push_back(*hash);
    }
    if (!ledger::VerifyInclusion(seq, checkpoint_.size, r.record.leaf_hash, path,
                                 checkpoint_.root)) {
      return Fail(seq, fmt::format("the inclusion proof does not reach the checkpoint root "
                                   "(tree size {})",
                                   checkpoint_.size));
    }
    // The statement and signature shown are the record's.
    Result<Bytes> statement = ledger::Base64Decode(*statement64);
    if (!statement.ok() || *statement != r.record.statement_bytes) {
      return Fail(seq,
                  "\"statement\" is not the statement of the record (the bytes its author "
                  "signed)");
    }
    Result<Bytes> signature = ledger::Base64Decode(*signature64);
    if (!signature.ok() || signature->size() != r.record.signature.size() ||
        !std::equal(signature->begin(), signature->end(), r.record.signature.begin())) {
      return Fail(seq, "\"signature\" is not the signature of the record");
    }
    // The author signed for this ledger: a statement naming another origin is another
    // ledger's, replayed (its proof cannot reach this checkpoint either).
    const ledger::Record& rec = r.record;
    if (rec.origin != checkpoint_.origin) {
      return Fail(
          seq, fmt::format("the statement was signed for the ledger {}, not for {}",
                           ledger::JsonQuote(rec.origin), ledger::JsonQuote(checkpoint_.origin)));
    }
    // An expectedVersion is the author's own word on the record's place in its stream.
    if (rec.expected_version.has_value() && *rec.expected_version != rec.stream_version) {
      return Fail(seq, fmt::format("recorded at version {} of {}, but its author signed it for "
                                   "version {} (expectedVersion)",
                                   rec.stream_version, rec.stream, *rec.expected_version));
    }
    if (entry.contains("expectedVersion") != rec.expected_version.has_value()) {
      return Fail(seq, rec.expected_version.has_value()
                           ? fmt::format("expectedVersion: missing from the readable fields "
                                         "(signed value {})",
                                         *rec.expected_version)
                           : "expectedVersion: not in the signed statement");
    }
    if (rec.expected_version.has_value()) {
      std::string d =
          FirstDifference(entry.at("expectedVersion"), *rec.expected_version, "expectedVersion");
      if (!d.empty()) return Fail(seq, d);
    }
    // Every readable field is what the signed bytes say.
    const std::vector<std::pair<std::string, json>> envelope = {
        {"id", rec.event_id},
        {"type", rec.type},
        {"at", rec.at},
        {"stream", rec.stream},
        {"streamVersion", rec.stream_version},
        {"signer", rec.signer},
        {"recordedAt", ledger::FormatMicros(rec.recorded_at_micros)}};
    for (const auto& [key, value] : envelope) {
      auto it = entry.find(key);
      if (it == entry.end()) return Fail(seq, key + ": missing");
      std::string d = FirstDifference(*it, value, key);
      if (!d.empty()) return Fail(seq, d);
    }
    Result<std::string> data = RecordDataJson(rec);
    if (!data.ok())
      return Fail(seq, "the signed payload does not decode: " + data.status().message());
    std::string d = FirstDifference(entry.at("data"), json::parse(*data), "data");
    if (!d.empty()) return Fail(seq, d);
    if (in_keys && !ledger::IsKeyRecordType(rec.type)) {
      return Fail(seq, "listed under \"keys\" but of type " + rec.type);
    }
    if (!records_.emplace(seq, std::move(r)).second) return Fail(seq, "listed twice");
    return Status::OK();
  }

  // Signatures, in seq order, against the keys as the bundle's key records enrol them.
  Status CheckRecords() {
    ledger::KeyRegistry registry;
    for (const auto& [seq, r] : records_) {
      const ledger::Record& rec = r.record;
      ledger::PublicKey key{};
      if (registry.empty()) {
        // Genesis enrols the first admin with its own key; it is trusted only because
        // its proof reaches the trusted checkpoint at seq 0.
        if (seq != 0 || rec.type != ledger::kKeyEnrolledType) {
          return Fail(seq, fmt::format("signer '{}' is not enrolled by a key record of the "
                                       "bundle (the genesis record, seq 0, is missing)",
                                       rec.signer));
        }
        Result<ledger::KeyEnrolment> genesis = ledger::DecodeKeyEnrolled(rec.payload);
        if (!genesis.ok() || genesis->name != rec.signer) {
          return Fail(seq, "genesis does not enrol its own signer");
        }
        key = genesis->public_key;
      } else {
        Result<const ledger::KeyInfo*> signer = registry.Signer(rec.signer);
        if (!signer.ok()) {
          const ledger::KeyInfo* known = registry.Find(rec.signer);
          return Fail(seq, known == nullptr
                               ? fmt::format("signer '{}' is not enrolled by a key record of "
                                             "the bundle (a key record dropped?)",
                                             rec.signer)
                               : fmt::format("signer '{}' was revoked at seq {}", rec.signer,
                                             known->revoked_seq.value_or(0)));
        }
        key = (*signer)->key;
      }
      if (!ledger::VerifyStatementSignature(rec.statement_bytes, rec.signature, key)) {
        return Fail(seq, fmt::format("the signature of the statement does not verify with the "
                                     "key of '{}'",
                                     rec.signer));
      }
      if (ledger::IsKeyRecordType(rec.type)) {
        Status applied = registry.Apply(rec);
        if (!applied.ok()) return Fail(seq, "key record refused: " + applied.message());
      }
    }
    verdict_.records = records_.size();
    return Status::OK();
  }

  Status ReadClaim(const json& bundle) {
    const json* claim = Field(bundle, "claim", json::value_t::object);
    if (claim == nullptr) return Fail(std::nullopt, "no \"claim\"");
    const json* kind = Field(*claim, "kind", json::value_t::string);
    const json* at = Field(*claim, "at", json::value_t::string);
    if (kind == nullptr || at == nullptr)
      return Fail(std::nullopt, "claim: needs \"kind\" and \"at\"");
    Result<domain::Date> date = domain::Date::Parse(at->get<std::string>());
    if (!date.ok()) return Fail(std::nullopt, "claim.at: " + date.status().message());
    BundleClaim& c = verdict_.claim;
    c.at = *date;
    if (*kind == "project") {
      const json* project = Field(*claim, "project", json::value_t::string);
      if (project == nullptr) return Fail(std::nullopt, "claim: no \"project\"");
      c.kind = BundleClaim::Kind::kProject;
      c.project = project->get<std::string>();
      return Status::OK();
    }
    if (*kind != "active-dui") {
      return Fail(std::nullopt, "claim: unknown kind " + kind->dump());
    }
    c.kind = BundleClaim::Kind::kActiveDui;
    const json* total = Field(*claim, "total", json::value_t::number_integer);
    const json* evidence = Field(*claim, "evidence", json::value_t::array);
    if (total == nullptr || evidence == nullptr) {
      return Fail(std::nullopt, "claim: needs \"total\" and \"evidence\"");
    }
    c.total = total->get<int64_t>();
    for (const json& e : *evidence) {
      const json* finess = e.is_object() ? Field(e, "finess", json::value_t::string) : nullptr;
      const json* seq = e.is_object() ? Field(e, "seq", json::value_t::number_unsigned) : nullptr;
      const json* files =
          e.is_object() ? Field(e, "activeFiles", json::value_t::number_integer) : nullptr;
      if (finess == nullptr || seq == nullptr || files == nullptr) {
        return Fail(std::nullopt,
                    "claim.evidence: each needs \"finess\", \"seq\", \"activeFiles\"");
      }
      c.evidence.push_back(
          {finess->get<std::string>(), seq->get<uint64_t>(), files->get<int64_t>()});
    }
    return Status::OK();
  }

  // Streams the bundle says it holds whole: versions 0..n-1, none missing.
  Status CheckStreams(const json& bundle) {
    std::set<std::string> complete;
    if (const json* list = Field(bundle.at("claim"), "completeStreams", json::value_t::array)) {
      for (const json& s : *list) {
        if (s.is_string()) complete.insert(s.get<std::string>());
      }
    }
    if (verdict_.claim.kind == BundleClaim::Kind::kProject &&
        !complete.contains("project/" + verdict_.claim.project)) {
      return Fail(std::nullopt, "claim.completeStreams must list the project's stream project/" +
                                    verdict_.claim.project);
    }
    std::map<std::string, uint64_t> next_version;
    for (const auto& [seq, r] : records_) {
      if (!complete.contains(r.record.stream)) continue;
      uint64_t& expected = next_version[r.record.stream];
      if (r.record.stream_version != expected) {
        return Fail(seq, fmt::format("stream {} jumps from version {} to {}: a record of the "
                                     "stream is missing from the bundle",
                                     r.record.stream, static_cast<int64_t>(expected) - 1,
                                     r.record.stream_version));
      }
      ++expected;
    }
    return Status::OK();
  }

  Status CheckProjectClaim() {
    ProgrammeState state;
    for (const auto& [seq, r] : records_) {
      if (ledger::IsKeyRecordType(r.record.type)) continue;
      Result<domain::EventData> data = domain::DecodePayload(r.record.type, r.record.payload);
      if (!data.ok()) return Fail(seq, "payload: " + data.status().message());
      Result<domain::Date> at = domain::Date::Parse(r.record.at);
      if (!at.ok()) return Fail(seq, "business date: " + at.status().message());
      Status applied = state.ApplyEvent(*data, seq, *at);
      if (!applied.ok()) return Fail(seq, "does not fold: " + applied.message());
    }
    Result<CheckReport> report = CheckProject(state, verdict_.claim.project, verdict_.claim.at);
    if (!report.ok()) {
      return Fail(std::nullopt, "claim: " + report.status().message() + " in the bundle");
    }
    verdict_.check = std::move(report).value();
    return Status::OK();
  }

  Status CheckActiveDuiClaim() {
    const BundleClaim& c = verdict_.claim;
    std::set<uint64_t> voided;
    for (const auto& [seq, r] : records_) {
      if (r.record.type != domain::EventVoided::kType) continue;
      Result<domain::EventData> data = domain::DecodePayload(r.record.type, r.record.payload);
      if (data.ok()) voided.insert(std::get<domain::EventVoided>(*data).seq);
    }
    // finess.changed records of the bundle: old number -> new number.
    std::map<std::string, std::string> successor;
    for (const auto& [seq, r] : records_) {
      if (r.record.type != domain::FinessChanged::kType) continue;
      Result<domain::EventData> data = domain::DecodePayload(r.record.type, r.record.payload);
      if (data.ok()) {
        const auto& change = std::get<domain::FinessChanged>(*data);
        successor[change.from.str()] = change.to.str();
      }
    }
    int64_t sum = 0;
    std::set<uint64_t> seen_seqs;
    std::set<std::string> seen_finess;
    for (const ActiveDuiEvidence& e : c.evidence) {
      auto it = records_.find(e.seq);
      if (it == records_.end() || it->second.in_keys) {
        return Fail(e.seq, fmt::format("the claim counts this record for {} but it is not in the "
                                       "bundle (an evidence record dropped?)",
                                       e.finess));
      }
      const ledger::Record& rec = it->second.record;
      if (rec.type != domain::IndicatorMeasured::kType) {
        return Fail(e.seq, "the claim counts it as a measurement but it is a " + rec.type);
      }
      Result<domain::EventData> data = domain::DecodePayload(rec.type, rec.payload);
      if (!data.ok()) return Fail(e.seq, "payload: " + data.status().message());
      const auto& m = std::get<domain::IndicatorMeasured>(*data);
      if (m.active_files != e.active_files) {
        return Fail(e.seq, fmt::format("the claim counts {} active files, the record says {}",
                                       e.active_files, m.active_files));
      }
      if (m.period_end > c.at) {
        return Fail(e.seq,
                    fmt::format("measured over a period ending {}, after the claim's date {}",
                                m.period_end.ToString(), c.at.ToString()));
      }
      if (voided.contains(e.seq))
        return Fail(e.seq, "counted by the claim but voided in the bundle");
      std::string number = m.finess.str();
      for (int hops = 0; number != e.finess && hops < 1000; ++hops) {
        auto next = successor.find(number);
        if (next == successor.end()) break;
        number = next->second;
      }
      if (number != e.finess) {
        return Fail(e.seq, fmt::format("measures {}, which no finess.changed record of the bundle "
                                       "leads to {}",
                                       m.finess.str(), e.finess));
      }
      if (!seen_seqs.insert(e.seq).second) return Fail(e.seq, "counted twice by the claim");
      if (!seen_finess.insert(e.finess).second) {
        return Fail(e.seq, "establishment " + e.finess + " counted twice by the claim");
      }
      sum += m.active_files;
    }
    if (sum != c.total) {
      return Fail(std::nullopt, fmt::format("claim: the evidence adds up to {} active files, not "
                                            "the claimed total {}",
                                            sum, c.total));
    }
    return Status::OK();
  }

  const ledger::NoteVerifier& trust_;
  const std::optional<ledger::NoteVerifier>& witness_;
  std::string note_;
  ledger::Checkpoint checkpoint_;
  std::map<uint64_t, BundleRecord> records_;
  BundleVerdict verdict_;
};

}  // namespace

Result<std::vector<uint64_t>> ProjectBundleSeqs(const ledger::Ledger& ledger,
                                                const ProgrammeState& state,
                                                std::string_view project_id) {
  const Project* project = state.FindProject(project_id);
  if (project == nullptr) {
    return Status::NotFound("UNKNOWN_PROJECT",
                            "unknown project \"" + std::string(project_id) + "\"");
  }
  std::set<uint64_t> seqs;
  std::set<std::string> projects = {std::string(project_id)};
  std::set<std::string> finess_done;
  for (const ProjectEstablishment& e : project->establishments) {
    if (!finess_done.insert(e.entry.finess.str()).second) continue;
    ASSIGN_OR_RETURN(std::vector<uint64_t> history, History(ledger, state, e.entry.finess.str()));
    seqs.insert(history.begin(), history.end());
  }
  // The other projects naming these establishments: their whole stream.
  for (uint64_t seq : std::vector<uint64_t>(seqs.begin(), seqs.end())) {
    ASSIGN_OR_RETURN(ledger::Record record, ledger.Get(seq));
    if (record.stream.starts_with("project/")) projects.insert(record.stream.substr(8));
  }
  for (const std::string& p : projects) {
    ASSIGN_OR_RETURN(std::vector<uint64_t> stream, ledger.StreamSeqs("project/" + p));
    seqs.insert(stream.begin(), stream.end());
  }
  // The voids of any of them, to a fixed point (a void may be voided).
  ASSIGN_OR_RETURN(std::vector<uint64_t> programme, ledger.StreamSeqs(ledger::kProgrammeStream));
  std::vector<std::pair<uint64_t, uint64_t>> voids;  // void seq, voided seq
  for (uint64_t seq : programme) {
    ASSIGN_OR_RETURN(ledger::Record record, ledger.Get(seq));
    // The Ségur referencing facts of the project's software: `check` reads them
    // (REFERENCING_UNKNOWN, the GHT hospital corridor: projections/referencing.h).
    if (record.type == domain::SolutionReferenced::kType) {
      ASSIGN_OR_RETURN(domain::EventData data, domain::DecodePayload(record.type, record.payload));
      if (SameSoftware(std::get<domain::SolutionReferenced>(data).solution,
                       project->submission.solution)) {
        seqs.insert(seq);
      }
      continue;
    }
    if (record.type != domain::EventVoided::kType) continue;
    ASSIGN_OR_RETURN(domain::EventData data, domain::DecodePayload(record.type, record.payload));
    voids.emplace_back(seq, std::get<domain::EventVoided>(data).seq);
  }
  for (bool added = true; added;) {
    added = false;
    for (const auto& [void_seq, target] : voids) {
      if (seqs.contains(target) && seqs.insert(void_seq).second) added = true;
    }
  }
  return std::vector<uint64_t>(seqs.begin(), seqs.end());
}

Result<std::string> BuildBundle(const ledger::Ledger& ledger, const ProgrammeState& state,
                                std::vector<uint64_t> seq_list, const BundleClaim& claim,
                                const BundleOptions& options) {
  ASSIGN_OR_RETURN(ProvenCheckpoint cp, ChooseCheckpoint(ledger, options));
  const uint64_t size = cp.checkpoint.size;
  std::set<uint64_t> seqs(seq_list.begin(), seq_list.end());
  for (uint64_t seq : seqs) {
    if (seq >= ledger.size()) {
      return Status::NotFound(fmt::format("no record {} (ledger size {})", seq, ledger.size()));
    }
    if (seq >= size) {
      return Status::FailedPrecondition(
          kNoCheckpoint,
          fmt::format("record {} is not covered by the {} checkpoint (size {}): {}", seq,
                      options.checkpoint_note.has_value() ? "given" : "latest kept", size,
                      kRunCheckpoint));
    }
  }
  if (claim.kind == BundleClaim::Kind::kActiveDui) {
    std::map<uint64_t, ledger::Record> evidence;
    for (const auto& e : claim.evidence) {
      if (e.seq < size) {
        ASSIGN_OR_RETURN(ledger::Record r, ledger.Get(e.seq));
        evidence.emplace(e.seq, std::move(r));
      }
    }
    AddLineagePaths(state, claim, evidence, seqs);
  }
  RETURN_IF_ERROR(AddKeyRecords(ledger, size, seqs));

  json records = json::array();
  json keys = json::array();
  std::set<std::string> streams;
  for (uint64_t seq : seqs) {
    ASSIGN_OR_RETURN(ledger::Record r, ledger.Get(seq));
    ASSIGN_OR_RETURN(ledger::Record decoded, ledger::DecodeRecord(r.bytes));
    ASSIGN_OR_RETURN(std::string data, RecordDataJson(decoded));
    ASSIGN_OR_RETURN(std::vector<ledger::Hash> proof, ledger.InclusionProof(seq, size));
    json entry = {{"seq", seq},
                  {"id", decoded.event_id},
                  {"type", decoded.type},
                  {"at", decoded.at},
                  {"stream", decoded.stream},
                  {"streamVersion", decoded.stream_version},
                  {"signer", decoded.signer},
                  {"recordedAt", ledger::FormatMicros(decoded.recorded_at_micros)},
                  {"data", json::parse(data)},
                  {"bytes", ledger::Base64Encode(decoded.bytes)},
                  {"statement", ledger::Base64Encode(decoded.statement_bytes)},
                  {"signature", ledger::Base64Encode(decoded.signature)},
                  {"leafHash", ledger::ToHex(decoded.leaf_hash)},
                  {"proof", HexList(proof)}};
    if (decoded.expected_version.has_value()) entry["expectedVersion"] = *decoded.expected_version;
    if (ledger::IsKeyRecordType(decoded.type)) {
      keys.push_back(std::move(entry));
    } else {
      if (decoded.stream != ledger::kProgrammeStream) streams.insert(decoded.stream);
      records.push_back(std::move(entry));
    }
  }
  json claim_json = ClaimJson(claim);
  if (claim.kind == BundleClaim::Kind::kProject) {
    // The streams the bundle holds whole (as of the checkpoint): the verifier checks
    // their versions run 0..n-1, so a record dropped from the middle is noticed.
    json complete = json::array();
    for (const std::string& stream : streams) {
      ASSIGN_OR_RETURN(std::vector<uint64_t> all, ledger.StreamSeqs(stream));
      bool whole = std::all_of(all.begin(), all.end(),
                               [&](uint64_t s) { return s >= size || seqs.contains(s); });
      if (whole) complete.push_back(stream);
    }
    claim_json["completeStreams"] = std::move(complete);
  }
  json bundle = {{"format", kBundleFormat},
                 {"claim", std::move(claim_json)},
                 {"checkpoint", cp.note},
                 {"records", std::move(records)},
                 {"keys", std::move(keys)}};
  return bundle.dump(1) + "\n";
}

Result<BundleVerdict> VerifyBundle(std::string_view bundle_json, const ledger::NoteVerifier& trust,
                                   const std::optional<ledger::NoteVerifier>& witness) {
  BundleVerifier verifier(trust, witness);
  return verifier.Run(bundle_json);
}

}  // namespace esms::projections
