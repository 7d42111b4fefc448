#include "projections/adjustments.h"

#include <algorithm>
#include <map>
#include <string>

namespace esms::projections {

namespace {

domain::Indicator IndicatorOf(domain::AdjustedIndicator a) {
  switch (a) {
    case domain::AdjustedIndicator::kActiveFiles:
      return domain::Indicator::kActiveFiles;
    case domain::AdjustedIndicator::kPlan:
      return domain::Indicator::kPersonalisedPlan;
    case domain::AdjustedIndicator::kAgenda:
      return domain::Indicator::kAgendaEvent;
    case domain::AdjustedIndicator::kMssante:
      return domain::Indicator::kMssante;
    case domain::AdjustedIndicator::kDmp:
      return domain::Indicator::kDmp;
  }
  return domain::Indicator::kActiveFiles;
}

}  // namespace

std::vector<const AdjustmentFact*> AdjustmentsOf(const ProgrammeState& state,
                                                 const domain::Finess& finess) {
  std::vector<const AdjustmentFact*> out;
  for (const auto& member : state.registry().Lineage(finess)) {
    const EstablishmentFacts* facts = state.registry().FindWithoutMeasurements(member.finess);
    if (facts == nullptr) continue;
    for (const auto& a : facts->adjustments) out.push_back(&a);
  }
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return a->seq < b->seq; });
  return out;
}

domain::UsageEvaluation EvaluateAdjusted(domain::Campaign campaign,
                                         const domain::IndicatorMeasured& measured,
                                         const std::vector<const AdjustmentFact*>& adjustments,
                                         domain::Date decided_at, std::vector<uint64_t>* used) {
  // Indicator -> (denominator, seq of the adjustment), the latest by seq.
  std::map<domain::Indicator, std::pair<int64_t, uint64_t>> denominators;
  for (const auto* a : adjustments) {
    // DOMAIN.md §6: recorded (business date) on or before the decision.
    if (a->at > decided_at) continue;
    // DOMAIN.md §6: the measurements whose period ends on or after effectiveFrom.
    const auto& from = a->data.effective_from;
    if (from.has_value() && *from > measured.period_end) continue;
    std::vector<domain::AdjustedIndicator> named = a->data.indicators;
    if (named.empty()) {  // a record written before issue 13
      named = {domain::AdjustedIndicator::kActiveFiles, domain::AdjustedIndicator::kMssante,
               domain::AdjustedIndicator::kDmp};
    }
    for (domain::AdjustedIndicator i : named) {
      denominators[IndicatorOf(i)] = {a->data.denominator, a->seq};
    }
  }
  const domain::UsageCounts counts = domain::CountsOf(measured);
  const domain::Rulebook& rules = domain::RulebookFor(campaign);
  domain::UsageEvaluation e;
  e.has_targets = !rules.usage_targets.empty();
  e.all_met = e.has_targets;
  for (const domain::UsageTarget& target : rules.usage_targets) {
    domain::Ratio r = domain::RatioOf(counts, target.indicator);
    std::string adjusted;
    if (auto it = denominators.find(target.indicator); it != denominators.end()) {
      adjusted = " (denominator " + std::to_string(r.denominator) + " adjusted by seq " +
                 std::to_string(it->second.second) + ")";
      r.denominator = it->second.first;
      if (used != nullptr) used->push_back(it->second.second);
    }
    domain::IndicatorResult result;
    result.indicator = target.indicator;
    result.numerator = r.numerator;
    result.denominator = r.denominator;
    result.target_percent = target.percent;
    result.met = domain::MeetsTarget(r.numerator, r.denominator, target.percent);
    result.source = target.source;
    result.detail = std::string(domain::IndicatorName(target.indicator)) + ": " +
                    std::to_string(r.numerator) + " / " + std::to_string(r.denominator) + adjusted +
                    " = " + domain::FormatRate(r.numerator, r.denominator) +
                    (result.met ? " >= " : " < ") + std::to_string(target.percent) + " %" +
                    (r.denominator <= 0 ? " (zero denominator never meets a target)" : "") +
                    (result.met ? ": met" : ": not met");
    e.all_met = e.all_met && result.met;
    e.indicators.push_back(std::move(result));
  }
  if (used != nullptr) {
    std::sort(used->begin(), used->end());
    used->erase(std::unique(used->begin(), used->end()), used->end());
  }
  return e;
}

}  // namespace esms::projections
