// Usage rates: the five mandatory indicators of an establishment's measurement and
// their evaluation against a campaign's targets (DOMAIN.md §6; 000 §5, 003 §4,
// 002 Cibles d'usage). Exact integer comparisons: a rate meets its target when
// numerator x 100 >= target x denominator, so exactly 90 % passes and a zero
// denominator never does.
//
// Thread-safety: pure functions over value types; safe from any thread.
#ifndef ESMS_DOMAIN_USAGE_H_
#define ESMS_DOMAIN_USAGE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/events.h"
#include "domain/rulebook.h"

namespace esms::domain {

// The counts of one measurement of one ESSMS.
struct UsageCounts {
  int64_t persons_accompanied = 0;  // file active: headcount on 31/12 + definitive exits
  int64_t active_files = 0;         // DUI files updated during the collection period
  int64_t active_files_with_plan = 0;
  int64_t active_files_with_agenda_event = 0;
  int64_t persons_eligible = 0;  // who may have a projet d'accueil et d'accompagnement
  int64_t mssante_messages = 0;
  int64_t dmp_fed = 0;
};

// From an indicator.measured event (personsEligible defaults to personsAccompanied).
UsageCounts CountsOf(const IndicatorMeasured& measured);

struct Ratio {
  int64_t numerator = 0;
  int64_t denominator = 0;
};

// The indicator's numerator / denominator:
//   active files          = active_files / persons_accompanied
//   personalised plan     = active_files_with_plan / active_files
//   agenda event          = active_files_with_agenda_event / active_files
//   MSSanté               = mssante_messages / persons_eligible
//   DMP                   = dmp_fed / persons_eligible
Ratio RatioOf(const UsageCounts& counts, Indicator indicator);

// den > 0 && num * 100 >= target_percent * den, computed in 128 bits (no overflow).
bool MeetsTarget(int64_t numerator, int64_t denominator, int target_percent);

// "92,31 %" (rounded down to the hundredth), or "n/a" for a zero denominator.
std::string FormatRate(int64_t numerator, int64_t denominator);

struct IndicatorResult {
  Indicator indicator = Indicator::kActiveFiles;
  int64_t numerator = 0;
  int64_t denominator = 0;
  int target_percent = 0;
  bool met = false;
  std::string_view source;
  std::string detail;  // "active files rate: 9 000 / 10 000 = 90,00 % >= 90 %: met"
};

struct UsageEvaluation {
  // False when the campaign fixes no target (amorçage: the porteur announces its own
  // values, 001); `indicators` is then empty and `all_met` false.
  bool has_targets = false;
  bool all_met = false;
  std::vector<IndicatorResult> indicators;  // in the rulebook's order
};

// Evaluates every mandatory indicator of `counts` against the campaign's targets.
UsageEvaluation EvaluateUsage(Campaign campaign, const UsageCounts& counts);

}  // namespace esms::domain

#endif  // ESMS_DOMAIN_USAGE_H_
