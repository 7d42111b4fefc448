// The national figure across ledgers. See projections/federation.h.
#include "projections/federation.h"

#include <algorithm>
#include <set>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/json.h"

namespace esms::projections {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::string_view kNationalClaimKind = "national-active-dui";

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

Status FieldError(size_t index, std::string_view field, std::string_view what) {
  return Status::BadInput(
      fmt::format("[{}]{}{}: {}", index, field.empty() ? "" : ".", field, what));
}

// The string field `key` of element `index`: missing is an error unless `optional`.
Result<std::optional<std::string>> StringField(const json& element, size_t index,
                                               std::string_view key, bool optional) {
  auto it = element.find(std::string(key));
  if (it == element.end()) {
    if (optional) return std::optional<std::string>();
    return FieldError(index, key, "missing");
  }
  if (!it->is_string()) return FieldError(index, key, "must be a string");
  std::string value = it->get<std::string>();
  if (value.empty()) return FieldError(index, key, "empty");
  return std::optional<std::string>(std::move(value));
}

std::string Short(const ledger::Hash& root) { return ledger::ToHex(root).substr(0, 16); }

}  // namespace

Result<std::vector<FederationEntry>> ParseFederation(std::string_view json_text) {
  Result<json> parsed = base::ParseStrictJson(json_text, base::kMaxDocumentDepth);
  if (!parsed.ok()) {
    return Status::BadInput("not JSON (a list of {name, ledger, trust}): " +
                            parsed.status().message());
  }
  json doc = *std::move(parsed);
  if (!doc.is_array()) {
    return Status::BadInput("the federation must be a JSON list of {name, ledger, trust}");
  }
  if (doc.empty()) return Status::BadInput("the federation lists no ledger");
  std::vector<FederationEntry> entries;
  std::map<std::string, size_t, std::less<>> names;
  for (size_t i = 0; i < doc.size(); ++i) {
    const json& element = doc[i];
    if (!element.is_object()) {
      return FieldError(i, "", "must be an object {name, ledger, trust}");
    }
    for (const auto& [key, value] : element.items()) {
      if (key != "name" && key != "ledger" && key != "server" && key != "trust" && key != "tlsCa" &&
          key != "witness") {
        return FieldError(i, key,
                          "unknown field (known: name, ledger, server, trust, tlsCa, witness)");
      }
    }
    FederationEntry e;
    ASSIGN_OR_RETURN(auto name, StringField(element, i, "name", false));
    e.name = std::move(*name);
    if (!IsValidName(e.name)) {
      return FieldError(i, "name", fmt::format("'{}' is not 1-64 chars of [A-Za-z0-9._-]", e.name));
    }
    ASSIGN_OR_RETURN(e.ledger, StringField(element, i, "ledger", true));
    ASSIGN_OR_RETURN(e.server, StringField(element, i, "server", true));
    ASSIGN_OR_RETURN(auto trust, StringField(element, i, "trust", false));
    e.trust = std::move(*trust);
    ASSIGN_OR_RETURN(e.tls_ca, StringField(element, i, "tlsCa", true));
    if (auto w = element.find("witness"); w != element.end()) {
      if (!w->is_array()) return FieldError(i, "witness", "must be a list of witness keys");
      for (const json& key : *w) {
        if (!key.is_string() || key.get<std::string>().empty()) {
          return FieldError(i, "witness", "must be a list of non-empty strings");
        }
        e.witness.push_back(key.get<std::string>());
      }
    }
    if (e.ledger.has_value() == e.server.has_value()) {
      return FieldError(i, e.ledger.has_value() ? "server" : "ledger",
                        "give exactly one of ledger (a directory) and server (an address)");
    }
    if (e.tls_ca.has_value() && !e.server.has_value()) {
      return FieldError(i, "tlsCa", "only with a server (the CA of its TLS certificate)");
    }
    if (e.server.has_value() && !e.tls_ca.has_value() && e.server->rfind("unix:", 0) != 0) {
      return FieldError(i, "tlsCa",
                        fmt::format("missing: the server {} is TCP, which is served with TLS: "
                                    "give the CA file that signed its certificate",
                                    *e.server));
    }
    auto [it, inserted] = names.emplace(e.name, i);
    if (!inserted) {
      return FieldError(i, "name",
                        fmt::format("'{}' is already the name of [{}]", e.name, it->second));
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

std::vector<std::string> LiveProjects(const ProgrammeState& state) {
  std::vector<std::string> ids;
  for (const auto& [id, project] : state.projects()) {
    if (project.status() != ProjectStatus::kRejected) ids.push_back(id);
  }
  return ids;
}

Result<NationalReport> CombineShares(domain::Date at, ReportBy by,
                                     std::vector<LedgerShare> shares) {
  NationalReport national;
  national.at = at;
  national.by_kind = by;
  std::map<std::string, std::string, std::less<>> origins, keys;
  // Every number an establishment is counted or measured under -> (share, seq).
  std::unordered_map<std::string, std::pair<size_t, uint64_t>> finesses;
  std::unordered_map<std::string, size_t> projects;
  for (size_t i = 0; i < shares.size(); ++i) {
    const LedgerShare& s = shares[i];
    if (s.report.at != at || s.report.by_kind != by) {
      return Status::Internal(
          fmt::format("share '{}' is not a report at {}", s.name, at.ToString()));
    }
    if (auto [it, inserted] = origins.emplace(s.checkpoint.origin, s.name); !inserted) {
      return Status::BadInput(fmt::format("'{}' and '{}' are the same log (origin {})", it->second,
                                          s.name, s.checkpoint.origin));
    }
    if (auto [it, inserted] = keys.emplace(s.ledger_key, s.name); !inserted) {
      return Status::BadInput(fmt::format("'{}' and '{}' trust the same ledger key {}", it->second,
                                          s.name, s.ledger_key));
    }
    for (const ActiveDuiEstablishment& ev : s.report.evidence) {
      for (const std::string* number : {&ev.finess, &ev.measured_finess}) {
        if (number != &ev.finess && *number == ev.finess) continue;
        auto [it, inserted] = finesses.try_emplace(*number, i, ev.seq);
        if (inserted || it->second.first == i) continue;
        const LedgerShare& other = shares[it->second.first];
        return Status::FailedPrecondition(
            kDuplicateFiness,
            fmt::format("establishment {} is counted by '{}' (seq {}) and by '{}' (seq {}): an "
                        "establishment lives in one ledger only, its project's (issue 16); the "
                        "national figure would count it twice",
                        *number, other.name, it->second.second, s.name, ev.seq));
      }
    }
    for (const std::string& project : s.projects) {
      auto [it, inserted] = projects.try_emplace(project, i);
      if (inserted || it->second == i) continue;
      return Status::FailedPrecondition(
          kDuplicateProject,
          fmt::format("project {} is held by '{}' and by '{}': a project lives in its porteur's "
                      "region's ledger, or in the national one (issue 16), never in two",
                      project, shares[it->second].name, s.name));
    }
    if (__builtin_add_overflow(national.total, s.report.total, &national.total) ||
        __builtin_add_overflow(national.establishments, s.report.establishments,
                               &national.establishments)) {
      return Status::BadInput(fmt::format("'{}': the figures overflow a 64-bit sum", s.name));
    }
    for (const auto& [key, total] : s.report.by) national.by[key] += total;
  }
  national.shares = std::move(shares);
  return national;
}

std::string ToJson(const NationalReport& report) {
  json shares = json::array();
  json evidence = json::array();
  for (const LedgerShare& s : report.shares) {
    json by = json::object();
    for (const auto& [key, total] : s.report.by) by[key] = total;
    shares.push_back({{"name", s.name},
                      {"origin", s.checkpoint.origin},
                      {"ledgerKey", s.ledger_key},
                      {"total", s.report.total},
                      {"establishments", s.report.establishments},
                      {"percentOfTotal", report.PercentOfTotal(s)},
                      {"by", std::move(by)},
                      {"checkpoint",
                       {{"origin", s.checkpoint.origin},
                        {"size", s.checkpoint.size},
                        {"root", ledger::ToHex(s.checkpoint.root)},
                        {"note", s.checkpoint_note}}},
                      {"stateSize", s.report.state_size}});
    for (const ActiveDuiEstablishment& ev : s.report.evidence) {
      evidence.push_back({{"ledger", s.name},
                          {"finess", ev.finess},
                          {"seq", ev.seq},
                          {"activeFiles", ev.active_files}});
    }
  }
  json by = json::object();
  for (const auto& [key, total] : report.by) by[key] = total;
  json out = {{"at", report.at.ToString()},
              {"total", report.total},
              {"target", report.target},
              {"establishments", report.establishments},
              {"by", std::move(by)},
              {"distanceToTarget", report.DistanceToTarget()},
              {"percentOfTarget", report.PercentOfTarget()},
              {"byKind", std::string(ToString(report.by_kind))},
              {"ledgers", report.shares.size()},
              {"shares", std::move(shares)},
              {"evidence", std::move(evidence)}};
  return out.dump();
}

std::string ToText(const NationalReport& report) {
  std::string out = fmt::format("National active DUI files at {}: {} (sum of {} ledger{})\n",
                                report.at.ToString(), GroupDigits(report.total),
                                report.shares.size(), report.shares.size() == 1 ? "" : "s");
  out += "Target (end of 2024, 003 §3.1): " + GroupDigits(report.target) +
         "  reached: " + std::to_string(report.PercentOfTarget()) + " %\n";
  const int64_t distance = report.DistanceToTarget();
  out += distance > 0 ? "Distance to target: " + GroupDigits(distance) + " to go\n"
                      : "Distance to target: none, exceeded by " + GroupDigits(-distance) + "\n";
  out += "Establishments counted: " + GroupDigits(report.establishments) + "\n\n";
  size_t w_name = 6, w_origin = 6, w_total = 12, w_count = 14;
  for (const LedgerShare& s : report.shares) {
    w_name = std::max(w_name, s.name.size());
    w_origin = std::max(w_origin, s.checkpoint.origin.size());
    w_total = std::max(w_total, GroupDigits(s.report.total).size());
    w_count = std::max(w_count, GroupDigits(s.report.establishments).size());
  }
  out += fmt::format("  {:<{}}  {:<{}}  {:>{}}  {:>{}}  {:>5}  {}\n", "ledger", w_name, "origin",
                     w_origin, "active files", w_total, "establishments", w_count, "share",
                     "checkpoint (size, root)");
  for (const LedgerShare& s : report.shares) {
    out += fmt::format("  {:<{}}  {:<{}}  {:>{}}  {:>{}}  {:>5}  {} {}…\n", s.name, w_name,
                       s.checkpoint.origin, w_origin, GroupDigits(s.report.total), w_total,
                       GroupDigits(s.report.establishments), w_count,
                       std::to_string(report.PercentOfTotal(s)) + " %", s.checkpoint.size,
                       Short(s.checkpoint.root));
  }
  if (report.by_kind != ReportBy::kNone) {
    out += "\nBy " + std::string(ToString(report.by_kind)) + " (all ledgers):\n";
    for (const auto& [key, total] : report.by) {
      out += fmt::format("  {:<8}  {:>12}\n", key, GroupDigits(total));
    }
  }
  return out;
}

Result<std::string> BuildNationalBundle(const NationalReport& report,
                                        const std::vector<std::string>& part_bundles) {
  if (part_bundles.size() != report.shares.size()) {
    return Status::Internal("one bundle per share is needed");
  }
  ordered_json shares = ordered_json::array();
  ordered_json parts = ordered_json::array();
  for (size_t i = 0; i < report.shares.size(); ++i) {
    const LedgerShare& s = report.shares[i];
    shares.push_back({{"name", s.name},
                      {"origin", s.checkpoint.origin},
                      {"ledgerKey", s.ledger_key},
                      {"total", s.report.total},
                      {"establishments", s.report.establishments},
                      {"checkpointSize", s.checkpoint.size},
                      {"root", ledger::ToHex(s.checkpoint.root)}});
    ordered_json bundle = ordered_json::parse(part_bundles[i], nullptr, false);
    if (bundle.is_discarded() || !bundle.is_object()) {
      return Status::BadInput(fmt::format("the bundle of '{}' is not JSON", s.name));
    }
    parts.push_back({{"name", s.name}, {"ledgerKey", s.ledger_key}, {"bundle", std::move(bundle)}});
  }
  ordered_json out = {{"format", kNationalBundleFormat},
                      {"claim",
                       {{"kind", kNationalClaimKind},
                        {"at", report.at.ToString()},
                        {"total", report.total},
                        {"establishments", report.establishments},
                        {"shares", std::move(shares)}}},
                      {"parts", std::move(parts)}};
  return out.dump(2) + "\n";
}

bool IsNationalBundle(std::string_view bundle_json) {
  // Cheap first: a single ledger's bundle never names the national format (unless an
  // event's free text does; the parse then decides).
  if (bundle_json.find(kNationalBundleFormat) == std::string_view::npos) return false;
  json doc = json::parse(bundle_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return false;
  auto format = doc.find("format");
  return format != doc.end() && format->is_string() &&
         format->get<std::string>() == kNationalBundleFormat;
}

namespace {

// The verifier's walk over one national bundle; the first problem ends it.
class NationalChecker {
 public:
  NationalChecker(const json& doc, const NationalTrust& trust) : doc_(doc), trust_(trust) {}

  NationalVerdict Run() {
    Check();
    if (!verdict_.problem.empty()) {
      verdict_.ok = false;
      if (verdict_.code.empty()) verdict_.code = std::string(kBundleInvalid);
      verdict_.parts.clear();
    } else {
      verdict_.ok = true;
    }
    return std::move(verdict_);
  }

 private:
  // Records the first problem; returns false so that callers can `return Fail(...)`.
  bool Fail(std::string problem, std::optional<std::string> part = std::nullopt) {
    if (verdict_.problem.empty()) {
      verdict_.problem = part.has_value() ? fmt::format("part '{}': {}", *part, problem) : problem;
      verdict_.part = std::move(part);
    }
    return false;
  }

  template <typename T>
  bool Get(const json& object, std::string_view key, T* out, std::string_view where) {
    auto it = object.find(std::string(key));
    if (it == object.end()) return Fail(fmt::format("{}.{}: missing", where, key));
    if constexpr (std::is_same_v<T, std::string>) {
      if (!it->is_string()) return Fail(fmt::format("{}.{}: must be a string", where, key));
    } else {
      if (!it->is_number_integer()) {
        return Fail(fmt::format("{}.{}: must be an integer", where, key));
      }
    }
    *out = it->get<T>();
    return true;
  }

  struct Share {
    std::string name, origin, ledger_key, root;
    int64_t total = 0, establishments = 0;
    uint64_t checkpoint_size = 0;
  };

  bool Check() {
    auto claim = doc_.find("claim");
    if (claim == doc_.end() || !claim->is_object()) return Fail("claim: missing");
    std::string kind, at_text;
    if (!Get(*claim, "kind", &kind, "claim")) return false;
    if (kind != kNationalClaimKind) {
      return Fail(fmt::format("claim.kind: '{}' is not {}", kind, kNationalClaimKind));
    }
    if (!Get(*claim, "at", &at_text, "claim")) return false;
    auto at = domain::Date::Parse(at_text);
    if (!at.ok()) return Fail("claim.at: " + at.status().message());
    verdict_.at = *at;
    int64_t total = 0, establishments = 0;
    if (!Get(*claim, "total", &total, "claim")) return false;
    if (!Get(*claim, "establishments", &establishments, "claim")) return false;
    auto shares_json = claim->find("shares");
    if (shares_json == claim->end() || !shares_json->is_array()) {
      return Fail("claim.shares: missing");
    }
    std::vector<Share> shares;
    for (size_t i = 0; i < shares_json->size(); ++i) {
      const json& s = (*shares_json)[i];
      const std::string where = fmt::format("claim.shares[{}]", i);
      if (!s.is_object()) return Fail(where + ": must be an object");
      Share share;
      if (!Get(s, "name", &share.name, where) || !Get(s, "origin", &share.origin, where) ||
          !Get(s, "ledgerKey", &share.ledger_key, where) || !Get(s, "total", &share.total, where) ||
          !Get(s, "establishments", &share.establishments, where) ||
          !Get(s, "checkpointSize", &share.checkpoint_size, where) ||
          !Get(s, "root", &share.root, where)) {
        return false;
      }
      shares.push_back(std::move(share));
    }
    auto parts = doc_.find("parts");
    if (parts == doc_.end() || !parts->is_array()) return Fail("parts: missing");
    if (parts->size() != shares.size()) {
      return Fail(fmt::format("the claim has {} shares but the bundle {} parts", shares.size(),
                              parts->size()));
    }
    if (shares.empty()) return Fail("the claim has no share");
    if (!AssignKeys(*parts, shares)) return false;

    std::unordered_map<std::string, std::string> counted;  // finess -> part
    int64_t sum = 0, sum_establishments = 0;
    for (size_t i = 0; i < shares.size(); ++i) {
      const Share& share = shares[i];
      const json& bundle = (*parts)[i]["bundle"];
      if (!bundle.is_object()) return Fail("bundle: missing", share.name);
      auto v = VerifyBundle(bundle.dump(), keys_[i]);
      if (!v.ok()) return Fail(v.status().message(), share.name);
      if (!v->ok) {
        verdict_.code = v->code;
        if (verdict_.code.empty() && v->canonical == StatusCode::kDataLoss) {
          verdict_.code = "CORRUPTION";
        }
        verdict_.seq = v->seq;
        return Fail(v->problem, share.name);
      }
      if (auto w = trust_.witnesses_by_name.find(share.name); w != trust_.witnesses_by_name.end()) {
        const std::string note = bundle.value("checkpoint", std::string());
        for (const ledger::NoteVerifier& witness : w->second) {
          if (Result<uint64_t> t = ledger::VerifyCosignature(note, witness); !t.ok()) {
            verdict_.code = std::string(kWitnessMissing);
            return Fail(fmt::format("its checkpoint carries no valid cosignature by the witness "
                                    "{} the federation requires: {}",
                                    witness.name, t.status().message()),
                        share.name);
          }
        }
      }
      if (v->claim.kind != BundleClaim::Kind::kActiveDui) {
        return Fail("its claim is not an active-DUI figure", share.name);
      }
      if (v->claim.at != verdict_.at) {
        return Fail(fmt::format("its figure is at {}, the national one at {}",
                                v->claim.at.ToString(), verdict_.at.ToString()),
                    share.name);
      }
      const auto part_establishments = static_cast<int64_t>(v->claim.evidence.size());
      if (v->claim.total != share.total) {
        return Fail(fmt::format("the national claim gives it {} active files, its own proven "
                                "figure is {}",
                                share.total, v->claim.total),
                    share.name);
      }
      if (part_establishments != share.establishments) {
        return Fail(fmt::format("the national claim gives it {} establishments, its own proven "
                                "figure counts {}",
                                share.establishments, part_establishments),
                    share.name);
      }
      if (v->origin != share.origin || v->checkpoint_size != share.checkpoint_size ||
          ledger::ToHex(v->root) != share.root) {
        return Fail(fmt::format("the national claim binds it to {} size {} root {}, its bundle is "
                                "proven against {} size {} root {}",
                                share.origin, share.checkpoint_size, share.root, v->origin,
                                v->checkpoint_size, ledger::ToHex(v->root)),
                    share.name);
      }
      for (const ActiveDuiEvidence& e : v->claim.evidence) {
        auto [it, inserted] = counted.emplace(e.finess, share.name);
        if (!inserted) {
          verdict_.code = std::string(kDuplicateFiness);
          verdict_.seq = e.seq;
          return Fail(fmt::format("establishment {} (seq {}) is also counted by part '{}': the "
                                  "national figure would count it twice",
                                  e.finess, e.seq, it->second),
                      share.name);
        }
      }
      if (__builtin_add_overflow(sum, v->claim.total, &sum) ||
          __builtin_add_overflow(sum_establishments, part_establishments, &sum_establishments)) {
        return Fail("the parts' figures overflow a 64-bit sum", share.name);
      }
      verdict_.parts.push_back({share.name, v->origin, v->checkpoint_size, v->root, v->claim.total,
                                part_establishments, v->records});
    }
    if (sum != total) {
      return Fail(fmt::format("claim.total: {} is not the sum of the parts' proven figures, {}",
                              total, sum));
    }
    if (sum_establishments != establishments) {
      return Fail(fmt::format("claim.establishments: {} is not the sum of the parts', {}",
                              establishments, sum_establishments));
    }
    verdict_.total = total;
    verdict_.establishments = establishments;
    return true;
  }

  // keys_[i]: the trusted key part i must be signed by.
  bool AssignKeys(const json& parts, const std::vector<Share>& shares) {
    std::set<std::string> names;
    std::vector<bool> used(trust_.keys.size(), false);
    for (size_t i = 0; i < shares.size(); ++i) {
      const json& part = parts[i];
      const std::string where = fmt::format("parts[{}]", i);
      if (!part.is_object()) return Fail(where + ": must be an object");
      std::string name, ledger_key;
      if (!Get(part, "name", &name, where) || !Get(part, "ledgerKey", &ledger_key, where)) {
        return false;
      }
      if (name != shares[i].name || ledger_key != shares[i].ledger_key) {
        return Fail(fmt::format("{}: '{}' is not the claim's share {} ('{}')", where, name, i,
                                shares[i].name));
      }
      if (!names.insert(name).second) return Fail(fmt::format("{}: '{}' twice", where, name));
      if (!trust_.by_name.empty()) {
        auto it = trust_.by_name.find(name);
        if (it == trust_.by_name.end()) {
          return Fail("it is not an entry of the federation file", name);
        }
        keys_.push_back(it->second);
        continue;
      }
      size_t k = 0;
      while (k < trust_.keys.size() &&
             ledger::VerifierKey(trust_.keys[k].name, trust_.keys[k].key) != ledger_key) {
        ++k;
      }
      if (k == trust_.keys.size()) {
        return Fail(fmt::format("it is signed by ledger key {}, which is not one of the --trust "
                                "keys",
                                ledger_key),
                    name);
      }
      if (used[k]) return Fail(fmt::format("a second part signed by {}", ledger_key), name);
      used[k] = true;
      keys_.push_back(trust_.keys[k]);
    }
    for (const auto& [name, key] : trust_.by_name) {
      if (names.count(name) == 0) {
        return Fail(
            fmt::format("the federation's ledger '{}' has no part in the bundle: the "
                        "national figure leaves it out",
                        name));
      }
    }
    for (size_t k = 0; k < trust_.keys.size(); ++k) {
      if (!used[k]) {
        return Fail(
            fmt::format("the trusted ledger {} has no part in the bundle: the national "
                        "figure leaves it out",
                        ledger::VerifierKey(trust_.keys[k].name, trust_.keys[k].key)));
      }
    }
    return true;
  }

  const json& doc_;
  const NationalTrust& trust_;
  std::vector<ledger::NoteVerifier> keys_;
  NationalVerdict verdict_;
};

}  // namespace

Result<NationalVerdict> VerifyNationalBundle(std::string_view bundle_json,
                                             const NationalTrust& trust) {
  Result<json> parsed = base::ParseStrictJson(bundle_json, base::kMaxDocumentDepth);
  if (!parsed.ok()) {
    return Status::BadInput("the national bundle is not JSON: " + parsed.status().message());
  }
  json doc = *std::move(parsed);
  if (!doc.is_object()) return Status::BadInput("the national bundle is not a JSON object");
  auto format = doc.find("format");
  if (format == doc.end() || !format->is_string() ||
      format->get<std::string>() != kNationalBundleFormat) {
    return Status::BadInput(
        fmt::format("not a national bundle (format {})", kNationalBundleFormat));
  }
  if (trust.by_name.empty() && trust.keys.empty()) {
    return Status::BadInput("no trusted ledger key: give --trust for each ledger, or --federation");
  }
  return NationalChecker(doc, trust).Run();
}

}  // namespace esms::projections
