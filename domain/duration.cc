#include "domain/duration.h"

#include <algorithm>
#include <string>

namespace esms::domain {

ProjectDuration DurationFor(Campaign campaign, ProjectKind kind) {
  const Rulebook& r = RulebookFor(campaign);
  const Sourced<int>& months =
      kind == ProjectKind::kUsage ? r.duration_usage_months : r.duration_acquisition_months;
  return {months.value, r.durations_opposable.value, months.source};
}

Date DurationEnd(Date signed_at, int64_t months) {
  const int64_t bounded = std::clamp<int64_t>(months, 0, 1200);
  return signed_at.AddMonths(static_cast<int>(bounded));
}

bool DurationAboveContract(Campaign campaign, ProjectKind kind, int64_t duration_months) {
  const ProjectDuration d = DurationFor(campaign, kind);
  return d.opposable && d.months > 0 && duration_months > d.months;
}

std::vector<RuleFigure> DurationFigures(Campaign campaign) {
  std::vector<RuleFigure> out;
  const ProjectDuration acquisition = DurationFor(campaign, ProjectKind::kAcquisition);
  const ProjectDuration usage = DurationFor(campaign, ProjectKind::kUsage);
  if (acquisition.months == 0) return out;
  if (acquisition.opposable) {
    out.push_back({"balance deadline",
                   "a qualifying period ending on or before signedAt + durationMonths of the "
                   "convention in force, else CONVENTION_EXPIRED; past it with none, the "
                   "project is lapsed",
                   std::string(acquisition.source)});
    out.push_back({"amended convention",
                   "another convention.signed may extend durationMonths at any time (the "
                   "ARS's exceptional flexibility)",
                   std::string(acquisition.source)});
    out.push_back({"duration above the contract (warning DURATION_ABOVE_CONTRACT)",
                   "durationMonths above " + std::to_string(acquisition.months) +
                       " (acquisition, mixed) / " + std::to_string(usage.months) + " (usage)",
                   std::string(acquisition.source)});
  } else {
    out.push_back({"late targets (warning TARGETS_LATE)",
                   "first qualifying period ending after signedAt + " +
                       std::to_string(acquisition.months) + " months (acquisition, mixed) / " +
                       std::to_string(usage.months) +
                       " months (usage): paid, not opposable; none for a project of national "
                       "scope (national guichet): \u00ab ces d\u00e9lais indicatifs ne "
                       "concernent pas les projets de port\u00e9e nationale \u00bb",
                   std::string(acquisition.source)});
  }
  return out;
}

}  // namespace esms::domain
