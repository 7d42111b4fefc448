// Target adjustments for publics accompanied anonymously (DOMAIN.md §6; 002 Cibles
// d'usage: « des saisines sont réalisées par les ARS afin d'apporter de la souplesse
// aux ESMS concernés en aménageant le dénominateur du calcul des cibles, en fonction
// des possibilités de qualification de l'INS de l'établissement. Ces aménagements
// doivent être traités au cas par cas. »).
//
// Thread-safety: pure functions; safe from any thread on a state not being modified.
#ifndef ESMS_PROJECTIONS_ADJUSTMENTS_H_
#define ESMS_PROJECTIONS_ADJUSTMENTS_H_

#include <cstdint>
#include <vector>

#include "domain/date.h"
#include "domain/events.h"
#include "domain/rulebook.h"
#include "domain/usage.h"
#include "projections/state.h"

namespace esms::projections {

// The targets.adjusted facts of `finess`'s lineage, voided ones excluded, in seq order.
std::vector<const AdjustmentFact*> AdjustmentsOf(const ProgrammeState& state,
                                                 const domain::Finess& finess);

// Evaluates `measured` against the campaign's targets for a decision taken on
// `decided_at` (a payment's paidAt, a `check --at` date). An adjustment replaces the
// denominator of each indicator it names (`indicators[]`; the latest by seq wins) when
// - its effectiveFrom is on or before the measurement's periodEnd (DOMAIN.md §6: « it
//   replaces those denominators in the measurements whose period ends on or after that
//   date »), and
// - its record's business date (`at`) is on or before `decided_at` (DOMAIN.md §6: « it
//   counts for a payment or a `check --at` only if its business date (`at`) is on or
//   before that date. A later adjustment never rescues an earlier payment decision. »;
//   002 Cibles d'usage, « au cas par cas »).
// The guard also only ever sees adjustments recorded before the payment it decides
// (ledger order): an adjustment recorded after a payment, or dated after it, never
// rescues it. Interpretation: an adjustment dated the day of the decision counts
// (« on or before »). An adjustment written before issue 13 (no indicators, no
// effectiveFrom) replaces the persons denominators (active files, MSSanté, DMP) of
// every measurement, as it did then. `used` receives the seqs of the adjustments
// applied.
domain::UsageEvaluation EvaluateAdjusted(domain::Campaign campaign,
                                         const domain::IndicatorMeasured& measured,
                                         const std::vector<const AdjustmentFact*>& adjustments,
                                         domain::Date decided_at, std::vector<uint64_t>* used);

}  // namespace esms::projections

#endif  // ESMS_PROJECTIONS_ADJUSTMENTS_H_
