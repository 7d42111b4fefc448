#include "projections/report.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>

#include "domain/region.h"
#include "domain/rulebook.h"

namespace esms::projections {

namespace {

using nlohmann::json;
using Measurement = Fact<domain::IndicatorMeasured>;

// True when `a` is a later measurement than `b`: by periodEnd, ties by seq.
bool Later(const Measurement& a, const Measurement& b) {
  if (a.data.period_end != b.data.period_end) return a.data.period_end > b.data.period_end;
  return a.seq > b.seq;
}

// The numbers (with facts) whose histories lead to one current number, all FINESS
// changes followed.
struct LineageGroup {
  domain::Finess root;
  std::vector<const domain::Finess*> numbers;
  std::vector<const EstablishmentFacts*> facts;
  bool has_merger = false;  // some number of it was absorbed by a merger
};

std::vector<LineageGroup> BuildLineages(const EstablishmentRegistry& registry) {
  std::vector<LineageGroup> groups;
  groups.reserve(registry.all().size());
  const bool any_change = !registry.changes().empty();
  std::unordered_map<std::string, size_t> index;
  for (const auto& [finess, facts] : registry.all()) {
    if (facts.measurements.empty() && facts.project_records.empty()) continue;
    size_t at = groups.size();
    if (any_change) {
      domain::Finess root = registry.Resolve(finess);
      auto [it, inserted] = index.try_emplace(root.str(), groups.size());
      at = it->second;
      if (inserted) groups.push_back({std::move(root), {}, {}, false});
    } else {
      groups.push_back({finess, {}, {}, false});
    }
    LineageGroup& g = groups[at];
    g.numbers.push_back(&finess);
    g.facts.push_back(&facts);
    const auto* change = registry.SuccessorOf(finess);
    if (change != nullptr && change->data.kind == domain::FinessChangeKind::kMerger) {
      g.has_merger = true;
    }
  }
  return groups;
}

// The number `finess` had at `date`: renumberings followed whatever their date, a
// merger only from its effective date on (see report.h). Appends the finess.changed
// seqs followed to `*seqs` when given.
domain::Finess ResolveAsOf(const EstablishmentRegistry& registry, const domain::Finess& finess,
                           domain::Date date, std::vector<uint64_t>* seqs) {
  domain::Finess current = finess;
  // The guard refuses cycles; the bound only protects against a bug.
  for (size_t i = 0; i <= registry.changes().size(); ++i) {
    const auto* change = registry.SuccessorOf(current);
    if (change == nullptr) break;
    if (change->data.kind == domain::FinessChangeKind::kMerger &&
        change->data.effective_at > date) {
      break;
    }
    if (seqs != nullptr) seqs->push_back(change->seq);
    current = change->data.to;
  }
  return current;
}

// One establishment at a date: its number then and the indexes (into the lineage
// group) of the numbers that make it.
struct Establishment {
  domain::Finess finess;
  std::vector<size_t> members;
};

// The establishments a lineage group makes at `date`: one, unless a merger of the
// group takes effect after `date`.
std::vector<Establishment> SplitAsOf(const EstablishmentRegistry& registry, const LineageGroup& g,
                                     domain::Date date) {
  std::vector<Establishment> out;
  if (!g.has_merger) {
    Establishment e{g.root, {}};
    e.members.reserve(g.numbers.size());
    for (size_t i = 0; i < g.numbers.size(); ++i) e.members.push_back(i);
    out.push_back(std::move(e));
    return out;
  }
  std::map<domain::Finess, std::vector<size_t>> split;
  for (size_t i = 0; i < g.numbers.size(); ++i) {
    split[ResolveAsOf(registry, *g.numbers[i], date, nullptr)].push_back(i);
  }
  for (auto& [finess, members] : split) out.push_back({finess, std::move(members)});
  return out;
}

// The latest measurement of `e` whose period ends on or before `date`, or nullptr.
const Measurement* LatestOf(const ProgrammeState& state, const LineageGroup& g,
                            const Establishment& e, domain::Date date) {
  const bool any_voided = !state.voided().empty();
  const Measurement* best = nullptr;
  for (size_t i : e.members) {
    for (const Measurement& m : g.facts[i]->measurements) {
      if (m.data.period_end > date) continue;
      // Voided facts are already removed from the state; the check costs nothing
      // when nothing is voided and keeps this function right on its own.
      if (any_voided && state.IsVoided(m.seq)) continue;
      if (best == nullptr || Later(m, *best)) best = &m;
    }
  }
  return best;
}

std::string RegionOf(const std::string& departement) {
  if (departement.empty()) return std::string(kNoGroup);
  auto region = domain::Region::OfDepartement(departement);
  return region.has_value() ? region->code() : std::string(kNoGroup);
}

void Attribute(const ProgrammeState& state, const LineageGroup& g, const Establishment& e,
               ActiveDuiEstablishment& ev) {
  std::vector<std::pair<uint64_t, const Project*>> listed;
  std::set<std::string_view> seen;
  for (size_t i : e.members) {
    for (const ProjectLink& link : g.facts[i]->project_records) {
      if (!seen.insert(link.project).second) continue;
      const Project* p = state.FindProject(link.project);
      if (p != nullptr) listed.emplace_back(p->submitted_seq, p);
    }
  }
  std::sort(listed.begin(), listed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  ev.project = std::string(kNoGroup);
  ev.campaign = std::string(kNoGroup);
  for (const auto& [seq, p] : listed) {
    ev.projects.push_back(p->id());
    if (ev.project == kNoGroup && p->status() != ProjectStatus::kRejected) {
      ev.project = p->id();
      ev.campaign = std::string(domain::CampaignId(p->campaign()));
    }
  }
}

std::string KeyOf(ReportBy by, const ActiveDuiEstablishment& ev) {
  switch (by) {
    case ReportBy::kRegion:
      return ev.region;
    case ReportBy::kDepartment:
      return ev.department;
    case ReportBy::kProject:
      return ev.project;
    case ReportBy::kCampaign:
      return ev.campaign;
    case ReportBy::kNone:
      break;
  }
  return std::string(kNoGroup);
}

std::string LabelOf(ReportBy by, const std::string& key) {
  if (by == ReportBy::kRegion && key != kNoGroup) {
    auto region = domain::Region::Parse(key);
    if (region.ok()) return std::string(region->name());
  }
  return key;
}

int MonthIndex(domain::Date d) { return d.year() * 12 + d.month() - 1; }

// CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Display width of UTF-8 text: one column per code point.
size_t Width(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

std::string PadRight(std::string_view text, size_t width) {
  std::string out(text);
  for (size_t w = Width(text); w < width; ++w) out += ' ';
  return out;
}

std::string PadLeft(std::string_view text, size_t width) {
  std::string out;
  for (size_t w = Width(text); w < width; ++w) out += ' ';
  return out + std::string(text);
}

}  // namespace

Result<ReportBy> ParseReportBy(std::string_view text) {
  if (text.empty() || text == "none") return ReportBy::kNone;
  if (text == "region") return ReportBy::kRegion;
  if (text == "department") return ReportBy::kDepartment;
  if (text == "project") return ReportBy::kProject;
  if (text == "campaign") return ReportBy::kCampaign;
  return Status::BadInput("--by: unknown grouping \"" + std::string(text) +
                          "\" (known: region, department, project, campaign)");
}

std::string_view ToString(ReportBy by) {
  switch (by) {
    case ReportBy::kRegion:
      return "region";
    case ReportBy::kDepartment:
      return "department";
    case ReportBy::kProject:
      return "project";
    case ReportBy::kCampaign:
      return "campaign";
    case ReportBy::kNone:
      break;
  }
  return "none";
}

Result<ActiveDuiReport> ComputeActiveDui(const ProgrammeState& state, domain::Date at,
                                         ReportBy by) {
  ActiveDuiReport report;
  report.at = at;
  report.by_kind = by;
  report.state_size = state.next_seq();
  const EstablishmentRegistry& registry = state.registry();
  std::vector<LineageGroup> lineages = BuildLineages(registry);
  report.evidence.reserve(lineages.size());
  for (const LineageGroup& g : lineages) {
    for (const Establishment& e : SplitAsOf(registry, g, at)) {
      const Measurement* m = LatestOf(state, g, e, at);
      if (m == nullptr) continue;
      ActiveDuiEstablishment ev;
      ev.finess = e.finess.str();
      ev.measured_finess = m->data.finess.str();
      ev.seq = m->seq;
      ev.active_files = m->data.active_files;
      ev.period_end = m->data.period_end;
      ev.department = e.finess.departement();
      ev.region = RegionOf(ev.department);
      if (ev.department.empty()) ev.department = std::string(kNoGroup);
      Attribute(state, g, e, ev);
      if (!registry.changes().empty()) {
        for (size_t i : e.members) ResolveAsOf(registry, *g.numbers[i], at, &ev.change_seqs);
        std::sort(ev.change_seqs.begin(), ev.change_seqs.end());
        ev.change_seqs.erase(std::unique(ev.change_seqs.begin(), ev.change_seqs.end()),
                             ev.change_seqs.end());
      }
      report.total += ev.active_files;
      report.evidence.push_back(std::move(ev));
    }
  }
  std::sort(report.evidence.begin(), report.evidence.end(),
            [](const ActiveDuiEstablishment& a, const ActiveDuiEstablishment& b) {
              return a.finess < b.finess;
            });
  report.establishments = static_cast<int64_t>(report.evidence.size());
  if (by != ReportBy::kNone) {
    std::map<std::string, ActiveDuiGroup> groups;
    for (const ActiveDuiEstablishment& ev : report.evidence) {
      ActiveDuiGroup& row = groups[KeyOf(by, ev)];
      row.total += ev.active_files;
      ++row.establishments;
    }
    for (auto& [key, row] : groups) {
      row.key = key;
      row.label = LabelOf(by, key);
      report.by[key] = row.total;
      report.groups.push_back(std::move(row));
    }
  }
  return report;
}

std::vector<TrajectoryPoint> ActiveDuiTrajectory(const ProgrammeState& state, domain::Date at) {
  const EstablishmentRegistry& registry = state.registry();
  const bool any_voided = !state.voided().empty();
  auto counted = [&](const Measurement& m) {
    return m.data.period_end <= at && !(any_voided && state.IsVoided(m.seq));
  };
  std::optional<domain::Date> first;
  for (const auto& [finess, facts] : registry.all()) {
    for (const Measurement& m : facts.measurements) {
      if (counted(m) && (!first.has_value() || m.data.period_end < *first)) {
        first = m.data.period_end;
      }
    }
  }
  std::vector<TrajectoryPoint> points;
  if (!first.has_value()) return points;
  const int m0 = MonthIndex(*first);
  const int months = MonthIndex(at) - m0 + 1;
  for (int i = 0; i < months; ++i) {
    domain::Date end = i + 1 == months ? at : first->AddMonths(i).EndOfMonth();
    points.push_back({end, 0});
  }

  // Establishments untouched by mergers are the same at every point: per month, the
  // latest measurement ending in that month; a point's figure is the one of the last
  // non-empty month up to it (a later month's measurement always ends later).
  std::vector<const Measurement*> best(static_cast<size_t>(months), nullptr);
  for (const LineageGroup& g : BuildLineages(registry)) {
    if (g.has_merger) {
      for (TrajectoryPoint& p : points) {
        for (const Establishment& e : SplitAsOf(registry, g, p.at)) {
          if (const Measurement* m = LatestOf(state, g, e, p.at)) p.total += m->data.active_files;
        }
      }
      continue;
    }
    bool any = false;
    for (const EstablishmentFacts* facts : g.facts) {
      for (const Measurement& m : facts->measurements) {
        if (!counted(m)) continue;
        const Measurement*& slot = best[static_cast<size_t>(MonthIndex(m.data.period_end) - m0)];
        if (slot == nullptr || Later(m, *slot)) slot = &m;
        any = true;
      }
    }
    if (!any) continue;
    const Measurement* current = nullptr;
    for (size_t i = 0; i < best.size(); ++i) {
      if (best[i] != nullptr) current = best[i];
      best[i] = nullptr;
      if (current != nullptr) points[i].total += current->data.active_files;
    }
  }
  return points;
}

std::string GroupDigits(int64_t value, std::string_view separator) {
  // Unsigned magnitude: safe for INT64_MIN too.
  uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  std::string digits = std::to_string(magnitude);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += separator;
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string ToJson(const ActiveDuiReport& report) {
  json by = json::object();
  for (const auto& [key, total] : report.by) by[key] = total;
  json groups = json::array();
  for (const ActiveDuiGroup& g : report.groups) {
    groups.push_back({{"key", g.key},
                      {"label", g.label},
                      {"total", g.total},
                      {"establishments", g.establishments}});
  }
  json evidence = json::array();
  for (const ActiveDuiEstablishment& ev : report.evidence) {
    evidence.push_back({{"finess", ev.finess},
                        {"seq", ev.seq},
                        {"activeFiles", ev.active_files},
                        {"measuredFiness", ev.measured_finess},
                        {"periodEnd", ev.period_end.ToString()},
                        {"region", ev.region},
                        {"department", ev.department},
                        {"project", ev.project},
                        {"campaign", ev.campaign},
                        {"projects", ev.projects},
                        {"changeSeqs", ev.change_seqs}});
  }
  json out = {{"at", report.at.ToString()},
              {"total", report.total},
              {"target", report.target},
              {"establishments", report.establishments},
              {"by", std::move(by)},
              {"evidence", std::move(evidence)},
              {"distanceToTarget", report.DistanceToTarget()},
              {"percentOfTarget", report.PercentOfTarget()},
              {"byKind", std::string(ToString(report.by_kind))},
              {"groups", std::move(groups)},
              {"stateSize", report.state_size}};
  return out.dump();
}

std::string ToCsv(const ActiveDuiReport& report) {
  std::string out;
  if (report.by_kind == ReportBy::kNone) {
    out = "finess,region,department,project,campaign,activeFiles,seq,periodEnd,measuredFiness\r\n";
    for (const ActiveDuiEstablishment& ev : report.evidence) {
      out += CsvField(ev.finess) + ',' + CsvField(ev.region) + ',' + CsvField(ev.department) + ',' +
             CsvField(ev.project) + ',' + CsvField(ev.campaign) + ',' +
             std::to_string(ev.active_files) + ',' + std::to_string(ev.seq) + ',' +
             ev.period_end.ToString() + ',' + CsvField(ev.measured_finess) + "\r\n";
    }
    return out;
  }
  out = std::string(ToString(report.by_kind)) + ",label,activeFiles,establishments\r\n";
  for (const ActiveDuiGroup& g : report.groups) {
    out += CsvField(g.key) + ',' + CsvField(g.label) + ',' + std::to_string(g.total) + ',' +
           std::to_string(g.establishments) + "\r\n";
  }
  out += "total,," + std::to_string(report.total) + ',' + std::to_string(report.establishments) +
         "\r\n";
  return out;
}

std::string ToText(const ActiveDuiReport& report) {
  std::string out =
      "Active DUI files at " + report.at.ToString() + ": " + GroupDigits(report.total) + "\n";
  out += "Target (end of 2024, 003 §3.1): " + GroupDigits(report.target) +
         "  reached: " + std::to_string(report.PercentOfTarget()) + " %\n";
  const int64_t distance = report.DistanceToTarget();
  out += distance > 0 ? "Distance to target: " + GroupDigits(distance) + " to go\n"
                      : "Distance to target: none, exceeded by " + GroupDigits(-distance) + "\n";
  out += "Establishments counted: " + GroupDigits(report.establishments) + "  (ledger records 0.." +
         (report.state_size == 0 ? std::string("-") : std::to_string(report.state_size - 1)) +
         ")\n";
  if (report.by_kind == ReportBy::kNone) return out;

  const std::string h_key(ToString(report.by_kind)), h_label = "name", h_total = "active files",
                                                     h_count = "establishments", h_share = "share";
  size_t w_key = Width(h_key), w_label = Width(h_label), w_total = Width(h_total),
         w_count = Width(h_count);
  for (const ActiveDuiGroup& g : report.groups) {
    w_key = std::max(w_key, Width(g.key));
    w_label = std::max(w_label, Width(g.label));
    w_total = std::max(w_total, Width(GroupDigits(g.total)));
    w_count = std::max(w_count, Width(GroupDigits(g.establishments)));
  }
  const bool labels = report.by_kind == ReportBy::kRegion;
  auto line = [&](std::string_view key, std::string_view label, std::string_view total,
                  std::string_view count, std::string_view share) {
    std::string l = "  " + PadRight(key, w_key) + "  ";
    if (labels) l += PadRight(label, w_label) + "  ";
    l += PadLeft(total, w_total) + "  " + PadLeft(count, w_count) + "  " + PadLeft(share, 5);
    while (!l.empty() && l.back() == ' ') l.pop_back();
    return l + "\n";
  };
  out += "\nBy " + h_key + ":\n";
  out += line(h_key, h_label, h_total, h_count, h_share);
  for (const ActiveDuiGroup& g : report.groups) {
    std::string share =
        report.total > 0 ? std::to_string(g.total * 100 / report.total) + " %" : "-";
    out += line(g.key, g.label, GroupDigits(g.total), GroupDigits(g.establishments), share);
  }
  return out;
}

}  // namespace esms::projections
