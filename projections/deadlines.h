// Deadlines of a project (DOMAIN.md §5 "Durations"; sources quoted in
// domain/duration.h): the 2025 balance needs a qualifying period ending by the end of
// the convention in force (else CONVENTION_EXPIRED, and past it the project is
// `lapsed`); 2023/2024 late targets are a warning (TARGETS_LATE); a 2025 duration
// above the contract is a warning (DURATION_ABOVE_CONTRACT).
//
// Thread-safety: pure functions; safe from any thread on a state not being modified.
#ifndef ESMS_PROJECTIONS_DEADLINES_H_
#define ESMS_PROJECTIONS_DEADLINES_H_

#include <optional>
#include <vector>

#include "domain/date.h"
#include "projections/rules.h"
#include "projections/state.h"

namespace esms::projections {

// The convention in force as of `as_of`: the last one (ledger order) signed on or
// before it; nullptr when none was signed by then.
const Fact<domain::ConventionSigned>* ConventionAsOf(const Project& project, domain::Date as_of);

// The last day of `project` under `convention` (one of its conventions): the first
// convention's signedAt + `convention`'s durationMonths (domain::DurationEnd).
// Interpretation: an amended convention (avenant) states the project's whole duration
// from its start, so « a longer durationMonths » extends the end and the same duration
// signed again does not move it (DOMAIN.md §5: « convention.signed again, longer
// durationMonths »).
domain::Date ConventionEnd(const Project& project,
                           const Fact<domain::ConventionSigned>& convention);

// 2025 (002, durations opposable): the balance paid on `paid_at` needs a qualifying
// period (GrappeTargets) ending on or before the end of the convention in force (the
// last convention.signed: an amended convention extends it). CONVENTION_EXPIRED when
// there is none by then and either `paid_at` is past the end or a later period
// qualifies; OK otherwise (the targets rule then says TARGETS_NOT_MET if nothing
// qualifies). Other campaigns: always OK (durations not opposable).
Status RequireBalanceWithinDuration(const ProgrammeState& state, const Project& project,
                                    const std::vector<domain::Finess>& listed,
                                    domain::Date paid_at);

// 2025: an amended convention (another convention.signed, e.g. a longer
// durationMonths) is allowed at any time after the first while no balance is paid —
// the ARS's « souplesse … au cas par cas, à titre exceptionnel » (002). Other
// campaigns: false (an amendment follows a grappe extension, the guard's rule).
bool AmendmentAllowedAnyTime(const Project& project);

// The 2025 project as of `as_of`: true when it has a convention in force, no balance
// paid, `as_of` is past the convention's end and no qualifying period ends on or
// before that end (002: « les 50% de financement ne seront pas versés »).
// Interpretation: an amended convention signed later (any time, 002 « souplesse … à
// titre exceptionnel ») extends the end, so a project lapsed as of one day may run
// again as of the amendment's date.
bool IsLapsed(const ProgrammeState& state, const Project& project, domain::Date as_of);

// TARGETS_LATE (2023/2024, not opposable: paid with a warning): the first qualifying
// period ends after the first convention's signedAt + 9 / 18 months.
// DURATION_ABOVE_CONTRACT (2025): a convention whose durationMonths exceeds the
// contractual 18 (acquisition, mixed) / 6 (usage) months.
std::vector<Warning> DeadlineWarnings(const ProgrammeState& state, const Project& project);

}  // namespace esms::projections

#endif  // ESMS_PROJECTIONS_DEADLINES_H_
