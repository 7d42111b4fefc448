#include "domain/usage.h"

namespace esms::domain {

UsageCounts CountsOf(const IndicatorMeasured& m) {
  UsageCounts c;
  c.persons_accompanied = m.persons_accompanied;
  c.active_files = m.active_files;
  c.active_files_with_plan = m.active_files_with_plan;
  c.active_files_with_agenda_event = m.active_files_with_agenda_event;
  c.persons_eligible = m.PersonsEligibleOrDefault();
  c.mssante_messages = m.mssante_messages;
  c.dmp_fed = m.dmp_fed;
  return c;
}

Ratio RatioOf(const UsageCounts& c, Indicator indicator) {
  // 000 §5 / 003 §4 / 002 Cibles d'usage (DOMAIN.md §6).
  switch (indicator) {
    case Indicator::kActiveFiles:
      return {c.active_files, c.persons_accompanied};
    case Indicator::kPersonalisedPlan:
      return {c.active_files_with_plan, c.active_files};
    case Indicator::kAgendaEvent:
      return {c.active_files_with_agenda_event, c.active_files};
    case Indicator::kMssante:
      return {c.mssante_messages, c.persons_eligible};
    case Indicator::kDmp:
      return {c.dmp_fed, c.persons_eligible};
  }
  return {};
}

bool MeetsTarget(int64_t numerator, int64_t denominator, int target_percent) {
  // DOMAIN.md §6: "numerator x 100 >= target x denominator (exact integer comparison:
  // exactly 90% passes). A zero denominator never meets a target."
  if (denominator <= 0) return false;
  return static_cast<__int128>(numerator) * 100 >=
         static_cast<__int128>(target_percent) * denominator;
}

std::string FormatRate(int64_t numerator, int64_t denominator) {
  if (denominator <= 0) return "n/a";
  __int128 hundredths = static_cast<__int128>(numerator) * 10000 / denominator;
  const bool negative = hundredths < 0;
  if (negative) hundredths = -hundredths;
  const int64_t whole = static_cast<int64_t>(hundredths / 100);
  const int64_t frac = static_cast<int64_t>(hundredths % 100);
  return std::string(negative ? "-" : "") + std::to_string(whole) + "," +
         static_cast<char>('0' + frac / 10) + static_cast<char>('0' + frac % 10) + " %";
}

UsageEvaluation EvaluateUsage(Campaign campaign, const UsageCounts& counts) {
  const Rulebook& rules = RulebookFor(campaign);
  UsageEvaluation e;
  e.has_targets = !rules.usage_targets.empty();
  e.all_met = e.has_targets;
  for (const UsageTarget& target : rules.usage_targets) {
    const Ratio r = RatioOf(counts, target.indicator);
    IndicatorResult result;
    result.indicator = target.indicator;
    result.numerator = r.numerator;
    result.denominator = r.denominator;
    result.target_percent = target.percent;
    result.met = MeetsTarget(r.numerator, r.denominator, target.percent);
    result.source = target.source;
    result.detail = std::string(IndicatorName(target.indicator)) + ": " +
                    std::to_string(r.numerator) + " / " + std::to_string(r.denominator) + " = " +
                    FormatRate(r.numerator, r.denominator) + (result.met ? " >= " : " < ") +
                    std::to_string(target.percent) + " %" +
                    (r.denominator <= 0 ? " (zero denominator never meets a target)" : "") +
                    (result.met ? ": met" : ": not met");
    e.all_met = e.all_met && result.met;
    e.indicators.push_back(std::move(result));
  }
  return e;
}

}  // namespace esms::domain
