// Funding granted outside this ledger (DOMAIN.md §2; 004: « un appel à projet par an
// de 2022 à 2025 »; the 2021 Ségur AAP; grants made before the ledger existed),
// recorded as funding.recorded facts and seen by the non-cumulation rules exactly as a
// project of the ledger funding the ESSMS (000 §4.2 A 2 and 3, 003 §3.2 A).
//
// Thread-safety: pure functions; safe from any thread on a state not being modified.
#ifndef ESMS_PROJECTIONS_OUTSIDE_FUNDING_H_
#define ESMS_PROJECTIONS_OUTSIDE_FUNDING_H_

#include <vector>

#include "domain/events.h"
#include "projections/rules.h"
#include "projections/state.h"

namespace esms::projections {

// For each funding.recorded fact of `entry`'s lineage: NONCUMUL_SAME_SOFTWARE when it
// funded the same software (vendor + product, whatever the version), else
// NONCUMUL_SECOND_DUI (the programme never funds two DUI software for one ESSMS).
// Through a merger: a warning (via_merger), as for the ledger's own projects.
std::vector<Finding> RecordedFundingFindings(const ProgrammeState& state,
                                             const FundingContext& context,
                                             const domain::EstablishmentEntry& entry);

}  // namespace esms::projections

#endif  // ESMS_PROJECTIONS_OUTSIDE_FUNDING_H_
