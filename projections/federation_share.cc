// One ledger's share on the wire. See projections/federation_share.h.
#include "projections/federation_share.h"

#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace esms::projections {
namespace {

using nlohmann::json;

Status Bad(std::string_view field, std::string_view what) {
  return Status::BadInput(fmt::format("a share's report: {}: {}", field, what));
}

template <typename T>
Result<T> Get(const json& object, std::string_view field) {
  auto it = object.find(std::string(field));
  if (it == object.end()) return Bad(field, "missing");
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return Bad(field, "not a string");
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    if (!it->is_number_unsigned()) return Bad(field, "not an unsigned integer");
  } else {
    if (!it->is_number_integer()) return Bad(field, "not an integer");
  }
  return it->get<T>();
}

Result<domain::Date> GetDate(const json& object, std::string_view field) {
  ASSIGN_OR_RETURN(std::string text, Get<std::string>(object, field));
  Result<domain::Date> date = domain::Date::Parse(text);
  if (!date.ok()) return Bad(field, date.status().message());
  return date;
}

Result<ReportBy> ByKindOf(std::string_view text) {
  if (text == "none") return ReportBy::kNone;
  Result<ReportBy> by = ParseReportBy(text);
  if (!by.ok()) return Bad("byKind", by.status().message());
  return by;
}

Result<std::vector<std::string>> Strings(const json& object, std::string_view field) {
  auto it = object.find(std::string(field));
  if (it == object.end() || !it->is_array()) return Bad(field, "not a list");
  std::vector<std::string> out;
  out.reserve(it->size());
  for (const json& item : *it) {
    if (!item.is_string()) return Bad(field, "not a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<ActiveDuiReport> ReportOf(const json& doc) {
  if (!doc.is_object()) return Bad("report", "not an object");
  ActiveDuiReport r;
  ASSIGN_OR_RETURN(r.at, GetDate(doc, "at"));
  ASSIGN_OR_RETURN(r.total, Get<int64_t>(doc, "total"));
  ASSIGN_OR_RETURN(r.target, Get<int64_t>(doc, "target"));
  ASSIGN_OR_RETURN(r.establishments, Get<int64_t>(doc, "establishments"));
  ASSIGN_OR_RETURN(std::string by_kind, Get<std::string>(doc, "byKind"));
  ASSIGN_OR_RETURN(r.by_kind, ByKindOf(by_kind));
  ASSIGN_OR_RETURN(r.state_size, Get<uint64_t>(doc, "stateSize"));
  auto by = doc.find("by");
  if (by == doc.end() || !by->is_object()) return Bad("by", "not an object");
  for (const auto& [key, value] : by->items()) {
    if (!value.is_number_integer()) return Bad("by", "not a map of integers");
    r.by[key] = value.get<int64_t>();
  }
  auto groups = doc.find("groups");
  if (groups == doc.end() || !groups->is_array()) return Bad("groups", "not a list");
  for (const json& g : *groups) {
    if (!g.is_object()) return Bad("groups", "not a list of objects");
    ActiveDuiGroup group;
    ASSIGN_OR_RETURN(group.key, Get<std::string>(g, "key"));
    ASSIGN_OR_RETURN(group.label, Get<std::string>(g, "label"));
    ASSIGN_OR_RETURN(group.total, Get<int64_t>(g, "total"));
    ASSIGN_OR_RETURN(group.establishments, Get<int64_t>(g, "establishments"));
    r.groups.push_back(std::move(group));
  }
  auto evidence = doc.find("evidence");
  if (evidence == doc.end() || !evidence->is_array()) return Bad("evidence", "not a list");
  r.evidence.reserve(evidence->size());
  for (const json& e : *evidence) {
    if (!e.is_object()) return Bad("evidence", "not a list of objects");
    ActiveDuiEstablishment ev;
    ASSIGN_OR_RETURN(ev.finess, Get<std::string>(e, "finess"));
    ASSIGN_OR_RETURN(ev.seq, Get<uint64_t>(e, "seq"));
    ASSIGN_OR_RETURN(ev.active_files, Get<int64_t>(e, "activeFiles"));
    ASSIGN_OR_RETURN(ev.measured_finess, Get<std::string>(e, "measuredFiness"));
    ASSIGN_OR_RETURN(ev.period_end, GetDate(e, "periodEnd"));
    ASSIGN_OR_RETURN(ev.region, Get<std::string>(e, "region"));
    ASSIGN_OR_RETURN(ev.department, Get<std::string>(e, "department"));
    ASSIGN_OR_RETURN(ev.project, Get<std::string>(e, "project"));
    ASSIGN_OR_RETURN(ev.campaign, Get<std::string>(e, "campaign"));
    ASSIGN_OR_RETURN(ev.projects, Strings(e, "projects"));
    auto changes = e.find("changeSeqs");
    if (changes == e.end() || !changes->is_array()) return Bad("changeSeqs", "not a list");
    for (const json& seq : *changes) {
      if (!seq.is_number_unsigned()) return Bad("changeSeqs", "not a list of seqs");
      ev.change_seqs.push_back(seq.get<uint64_t>());
    }
    r.evidence.push_back(std::move(ev));
  }
  return r;
}

}  // namespace

Result<ActiveDuiReport> ActiveDuiReportFromJson(std::string_view json_text) {
  const json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::BadInput("a share's report: not JSON");
  return ReportOf(doc);
}

std::string ShareToJson(const LedgerShare& share) {
  // The report's own JSON, embedded as parsed (one format for both).
  json out = {{"report", json::parse(ToJson(share.report))},
              {"checkpoint", share.checkpoint_note},
              {"projects", share.projects}};
  return out.dump();
}

Result<LedgerShare> ShareFromJson(std::string_view json_text) {
  const json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Status::BadInput("a share: not a JSON object");
  auto report = doc.find("report");
  if (report == doc.end()) return Bad("report", "missing");
  LedgerShare share;
  ASSIGN_OR_RETURN(share.report, ReportOf(*report));
  ASSIGN_OR_RETURN(share.checkpoint_note, Get<std::string>(doc, "checkpoint"));
  ASSIGN_OR_RETURN(share.projects, Strings(doc, "projects"));
  Result<ledger::Note> note = ledger::ParseNote(share.checkpoint_note);
  if (!note.ok()) return Bad("checkpoint", note.status().message());
  Result<ledger::Checkpoint> checkpoint = ledger::ParseCheckpoint(note->text);
  if (!checkpoint.ok()) return Bad("checkpoint", checkpoint.status().message());
  share.checkpoint = std::move(*checkpoint);
  return share;
}

}  // namespace esms::projections
