// The PNRR active-DUI indicator (DOMAIN.md §8; INTERFACE.md §2 `report active-dui`,
// §3): at a date, the sum of active DUI files over the ESSMS, each ESSMS followed
// through its FINESS changes and counted once with its latest measurement whose
// period ends on or before the date; with the evidence (the measurement record) behind
// each figure, totals by region / département / project / campaign, and the monthly
// trajectory of the indicator. Pure computation over a ProgrammeState: no I/O.
//
// Which measurement counts, for one establishment at DATE:
//  - the measurements of every number of its lineage (renumberings followed: the new
//    number carries the old one's history, DOMAIN.md §7), voided ones excluded;
//  - among those whose periodEnd <= DATE (a measurement ending exactly on DATE counts),
//    the latest by periodEnd, ties broken by the higher seq (the later record).
// Interpretation (mergers): a merger of A into B, effective on day E, makes one
// establishment of A and B from E on. At a DATE on or after E the absorbed number no
// longer counts on its own: A and B count ONCE, with the latest measurement of the
// merged lineage (normally B's first measurement after the merger, which covers the
// persons of both; until it exists, the latest pre-merger measurement of either stands
// for the merged establishment: the indicator may undercount, it never double counts).
// At a DATE before E, A and B are two establishments, each with its own latest
// measurement. A renumbering is followed whatever its date (same ESSMS, new number).
//
// Thread-safety: pure functions over a state that is not being modified during the
// call.
#ifndef ESMS_PROJECTIONS_REPORT_H_
#define ESMS_PROJECTIONS_REPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "domain/date.h"
#include "projections/state.h"

namespace esms::projections {

// 003 §3.1: 410 000 active DUI files at the end of 2024 (the EU's repayment condition).
inline constexpr int64_t kActiveDuiTarget = 410000;

// The grouping of `report active-dui --by`.
enum class ReportBy { kNone, kRegion, kDepartment, kProject, kCampaign };
// "region", "department", "project", "campaign"; anything else -> BAD_INPUT.
// ("" and "none" give kNone.)
Result<ReportBy> ParseReportBy(std::string_view text);
std::string_view ToString(ReportBy by);  // "none", "region", ...

// The group key of an establishment that has no region / project / campaign.
inline constexpr std::string_view kNoGroup = "none";

// One establishment's figure and the record behind it. (Not projections/bundle.h's
// ActiveDuiEvidence, the three fields of a bundle claim: ToBundleClaim() below maps
// these to it.)
struct ActiveDuiEstablishment {
  std::string finess;           // its number at the report date (lineage followed)
  std::string measured_finess;  // the number the measurement was recorded under
  uint64_t seq = 0;             // the indicator.measured record
  int64_t active_files = 0;
  domain::Date period_end;
  std::string region;      // INSEE code from the FINESS département, or "none"
  std::string department;  // "35", "2A", "974", ...
  // Every project listing a number of the lineage (submission or extension),
  // in submission order.
  std::vector<std::string> projects;
  // Interpretation: an ESSMS listed by two projects (e.g. an acquisition, then a
  // resubmission after a rejection) is reported under the first-submitted project that
  // was not rejected; under "none" when it is listed by rejected projects only, or by
  // none. `campaign` is that project's campaign ("none" without one).
  std::string project;
  std::string campaign;
  // The finess.changed records of the lineage that were followed (ascending).
  std::vector<uint64_t> change_seqs;
};

// One row of the --by grouping.
struct ActiveDuiGroup {
  std::string key;    // region code, département, project id, campaign id or "none"
  std::string label;  // human name: "Bretagne" for region "53"; else the key
  int64_t total = 0;
  int64_t establishments = 0;
};

struct ActiveDuiReport {
  domain::Date at;
  int64_t total = 0;
  int64_t target = kActiveDuiTarget;
  int64_t establishments = 0;  // establishments with a counted measurement
  ReportBy by_kind = ReportBy::kNone;
  std::map<std::string, int64_t> by;             // key -> total (empty for kNone)
  std::vector<ActiveDuiGroup> groups;            // the same, with labels and counts, by key
  std::vector<ActiveDuiEstablishment> evidence;  // by finess
  uint64_t state_size = 0;  // the records the state reflects: seqs [0, state_size)

  // target - total: negative once the target is exceeded.
  int64_t DistanceToTarget() const { return target - total; }
  // floor(total * 100 / target), integer math.
  int64_t PercentOfTarget() const { return target > 0 ? total * 100 / target : 0; }
};

// The indicator at `at`. One pass over the registry's measurements (no
// per-establishment rescans of the ledger): fit for national scale.
Result<ActiveDuiReport> ComputeActiveDui(const ProgrammeState& state, domain::Date at, ReportBy by);

// One point of the trajectory: the indicator at `at`.
struct TrajectoryPoint {
  domain::Date at;
  int64_t total = 0;
};
// The indicator at each month end from the month of the earliest counted measurement
// up to `at`, then at `at` itself when it is not a month end; empty when no
// measurement ends on or before `at`. Each point follows the rules of ComputeActiveDui
// (its total equals ComputeActiveDui(state, point.at, ...).total).
std::vector<TrajectoryPoint> ActiveDuiTrajectory(const ProgrammeState& state, domain::Date at);

// INTERFACE.md §3: {"at", "total", "target": 410000, "establishments", "by": {"<key>":
// total, ...}, "evidence": [{"finess", "seq", "activeFiles", ...}]} plus "distanceToTarget",
// "percentOfTarget", "byKind", "groups", "stateSize"; each evidence entry also carries
// "measuredFiness", "periodEnd", "region", "department", "project", "campaign",
// "projects", "changeSeqs".
std::string ToJson(const ActiveDuiReport& report);
// RFC 4180 CSV with a header row. Without --by: one row per establishment
// (finess,region,department,project,campaign,activeFiles,seq,periodEnd,measuredFiness);
// with --by: one row per group (KIND,label,activeFiles,establishments), then a
// "total" row.
std::string ToCsv(const ActiveDuiReport& report);
// For people: the total against the target, the distance and percentage, then the
// rows of the --by grouping.
std::string ToText(const ActiveDuiReport& report);

// "410 000": groups of three digits separated by `separator` (a space in text; the
// HTML page uses U+202F, the French narrow no-break space).
std::string GroupDigits(int64_t value, std::string_view separator = " ");

}  // namespace esms::projections

#endif  // ESMS_PROJECTIONS_REPORT_H_
