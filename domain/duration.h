// Project durations and deadlines (DOMAIN.md §5 "Durations"): how long a convention
// runs, when the balance's qualifying period must end, and the warnings the texts
// leave to the ARS (TARGETS_LATE 2023/2024, DURATION_ABOVE_CONTRACT 2025).
//
// 000 §4.5.2 / 003 §3.4.2: « on peut estimer … 9 mois » (no software change) and
// 18 months (acquisition), « sans que cela soit une condition opposable ».
// 002 « Combien de temps peut être mobilisée l'enveloppe de financement pour le
// projet ? La durée contractuelle des projets dépend de leur typologie : il est prévu
// une durée de 18 mois concernant les projets d'acquisition et de 6 mois concernant
// les projets de financement à l'usage. Une souplesse pourrait être accordée par l'ARS
// au cas par cas, à titre exceptionnel. »
//
// Thread-safety: pure functions over value types; safe from any thread.
#ifndef ESMS_DOMAIN_DURATION_H_
#define ESMS_DOMAIN_DURATION_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "domain/date.h"
#include "domain/events.h"
#include "domain/rulebook.h"

namespace esms::domain {

// The duration a campaign's texts give a project of `kind`.
struct ProjectDuration {
  int months = 0;          // 0: the texts give none (amorçage: the porteur says, 001)
  bool opposable = false;  // 2025: contractual (002); 2023/2024: indicative (000/003)
  std::string_view source;
};

// Interpretation: `acquisition` and `mixed` projects change software for some ESSMS, so
// they get the acquisition duration (18 months); `usage` projects the usage one
// (9 months indicative 2023/2024, 6 months contractual 2025).
ProjectDuration DurationFor(Campaign campaign, ProjectKind kind);

// The last day a convention signed on `signed_at` for `months` months covers:
// `signed_at` + `months` calendar months, clamped to the end of a shorter month
// (2025-01-31 + 1 = 2025-02-28). Interpretation: « ending by signedAt +
// durationMonths » includes that day. `months` above 1 200 counts as 1 200.
Date DurationEnd(Date signed_at, int64_t months);

// DURATION_ABOVE_CONTRACT (2025 only, a warning: the ARS's « souplesse … à titre
// exceptionnel », 002): a convention's durationMonths above the contractual duration
// of the project's kind. False in the other campaigns (their durations are not
// opposable, or not given).
bool DurationAboveContract(Campaign campaign, ProjectKind kind, int64_t duration_months);

// The figures of this page for the `rules` command, with their sources.
std::vector<RuleFigure> DurationFigures(Campaign campaign);

}  // namespace esms::domain

#endif  // ESMS_DOMAIN_DURATION_H_
