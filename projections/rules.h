// The programme rules that need the ledger's state, as pure functions over a
// ProgrammeState: non-cumulation followed through FINESS lineage (DOMAIN.md §4, §7),
// grappe solidarity on the usage targets (DOMAIN.md §5, §6), entitlement of a project
// as it stands, and the warnings of a project. The guard (guard.h) turns findings into
// refusals; the queries (queries.h) show them as conditions and warnings. The
// calculations that need no state (amounts, schedule, rates, windows, size) are the
// domain's (domain/entitlement.h, calendar.h, usage.h) and are only called here.
//
// Thread-safety: pure functions; safe from any thread on a state not being modified.
#ifndef ESMS_PROJECTIONS_RULES_H_
#define ESMS_PROJECTIONS_RULES_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "domain/date.h"
#include "domain/entitlement.h"
#include "domain/events.h"
#include "ledger/key_registry.h"
#include "projections/state.h"

namespace esms::projections {

// Interpretation: "the same software" is the same vendor and product, whatever the
// version (a Ségur upgrade changes the version, not the software).
bool SameSoftware(const domain::Solution& a, const domain::Solution& b);

// One non-cumulation (or solution) finding for one ESSMS.
struct Finding {
  std::string code;  // NONCUMUL_EU_FUNDS, ..., SOLUTION_MISMATCH
  std::string message;
  std::vector<uint64_t> seqs;  // the conflicting records, then the finess.changed path
  // Found through a merger: a warning (INHERITED_FUNDING) for the ARS's review,
  // never a refusal (002 Éligibilité).
  bool via_merger = false;
};

// What the funding of one ESSMS by a project is checked against.
struct FundingContext {
  std::string project;  // the project asking (its own records never conflict)
  domain::Campaign campaign = domain::Campaign::kGeneralisation2024;
  domain::Solution solution;
  bool ght = false;  // porteur is a GHT: HOP'EN also counts (000/003 §4.2 A)
};

// Non-cumulation findings for funding `entry` (DOMAIN.md §4), over its whole lineage:
// - NONCUMUL_EU_FUNDS: EU funds declared for the same operation kind as the ESSMS's
//   situation (acquisition / upgrade are distinct operations); HOP'EN counts only
//   for GHT porteurs.
// - NONCUMUL_SAME_SOFTWARE / NONCUMUL_SECOND_DUI: another project that is not
//   rejected lists the ESSMS, with the same / another software. Interpretation: a
//   project funds its ESSMS from its submission on unless it is rejected (a pending
//   rival file is a conflict too; the ARS can reject one of them).
// - NONCUMUL_SONS_ACQUISITION: a SONS order, and the ESSMS asks for acquisition
//   funding, whichever software (000 §3.2; usage funding keeping it stays allowed, 002).
// - SONS_VALIDATED_TOO_EARLY: usage funding complementing a SONS order (same software)
//   whose validation is on or before the campaign's cut-off (2024: 2023-03-31, 003 §2.1).
// - SOLUTION_MISMATCH: an ESSMS in situation `upgrade` keeps its software, so a known
//   software of it (SONS order) that is not the project's solution contradicts the
//   "same DUI for all" rule (000 §4.2 C, 003 §3.2 C).
std::vector<Finding> FundingFindings(const ProgrammeState& state, const FundingContext& context,
                                     const domain::EstablishmentEntry& entry);

// All findings for the ESSMS of `project` whose FINESS are in `finess_list` (all the
// project's ESSMS when empty).
std::vector<Finding> ProjectFindings(const ProgrammeState& state, const Project& project,
                                     const std::vector<domain::Finess>& finess_list = {});

// The establishments of the convention in force, as the project lists them (a
// convention may name the new number of a renumbered ESSMS); empty without one.
std::vector<domain::Finess> ConventionEstablishments(const ProgrammeState& state,
                                                     const Project& project);

// Whether `project` is on the national guichet: « ≥ 50, > 1 région: National » (000
// §4.3, 003 §7; DOMAIN.md §2), judged over its submitted ESSMS. Who may select and
// convention it (the guard), and whether the indicative durations concern it (deadlines).
bool OnNationalGuichet(const Project& project);

// The project's entitlement as it stands (submission + extensions).
Result<domain::ProjectEntitlement> EntitlementOf(const Project& project);
// The ESSMS party to the project as funded (DOMAIN.md §3): before any convention every
// listed ESSMS; then the ESSMS of the convention in force and those added by
// extensions recorded after it; in listing order.
std::vector<domain::Finess> FundedEstablishments(const ProgrammeState& state,
                                                 const Project& project);
// The entitlement computed over the listed ESSMS in `finess_list` only, ranked in
// listing order (an ESSMS not in the list uses no rank).
Result<domain::ProjectEntitlement> EntitlementOver(const Project& project,
                                                   const std::vector<domain::Finess>& finess_list);
// EntitlementOver(project, FundedEstablishments(state, project)).
Result<domain::ProjectEntitlement> FundedEntitlementOf(const ProgrammeState& state,
                                                       const Project& project);
// The part of `entitlement` for the ESSMS in `finess_list` (their lines), plus AMOA.
int64_t EntitlementCentsFor(const domain::ProjectEntitlement& entitlement,
                            const std::vector<domain::Finess>& finess_list);
// Small-OG equipment funding of the ESSMS in `finess_list` (DOMAIN.md §5 (c)).
int64_t EquipmentCentsFor(const domain::ProjectEntitlement& entitlement,
                          const std::vector<domain::Finess>& finess_list);

// Grappe solidarity on the usage targets (DOMAIN.md §5, 002 Mise en grappes).
//
// Interpretation of "over one common period of 3 months": a candidate period ends on
// the end date E of some measurement (E <= `at`) and starts the day after
// E - 3 months. An ESSMS meets the targets over it when the measurements of its
// lineage lying inside the period cover every day of it (one 3-month measurement, or
// three monthly ones) and each of them meets every mandatory target of the campaign.
// The grappe meets them when every ESSMS does over the same period; the latest such
// period is reported. targets.adjusted records replace the denominators they name when
// dated on or before the decision date `decided_at` (default `at`; a 2025 balance
// looks for periods ending by the convention's end, decided on its paidAt):
// EvaluateAdjusted, projections/adjustments.h.
struct TargetsVerdict {
  bool has_targets = false;  // false: the campaign fixes no targets (amorçage)
  bool met = false;
  std::optional<domain::Date> period_start;
  std::optional<domain::Date> period_end;
  std::vector<uint64_t> evidence;  // the measurements (and adjustments) used
  std::vector<uint64_t> failing;   // not met: the measurement missing a target, if any
  std::string detail;
};
// Whether measurement `m` may count towards the common period under `rule` (DOMAIN.md
// §6 "Rhythm"): whole calendar months ending on a month end; with a monthly rhythm one
// month, or up to `first_measure_max_months` for the ESSMS's `first` measurement; with a
// socle window, a soclePeriodStart making it 3 to 6 whole months. Others stay facts.
bool MeasurementCounts(const domain::MeasurementRule& rule, const domain::IndicatorMeasured& m,
                       bool first);
TargetsVerdict GrappeTargets(const ProgrammeState& state, domain::Campaign campaign,
                             const std::vector<domain::Finess>& finess_list, domain::Date at,
                             std::optional<domain::Date> decided_at = std::nullopt);

// The indicator series of an establishment followed through its lineage (every
// number whose history leads to its current number), voided measurements excluded,
// ordered by period end, then seq.
std::vector<const Fact<domain::IndicatorMeasured>*> IndicatorSeries(const ProgrammeState& state,
                                                                    const domain::Finess& finess);

// A warning of a project (INTERFACE.md §3 `warnings`).
struct Warning {
  std::string code;  // GRAPPE_TOO_SMALL, INHERITED_FUNDING, CALENDAR_AT_RISK
  std::string message;
  std::vector<uint64_t> seqs;
};
// The key that signed record `seq` (nullptr when unknown): the state holds no signers,
// so the views that show NOT_LEAD_REGION take them from the ledger (LedgerSigners).
using SignerLookup = std::function<const ledger::KeyInfo*(uint64_t seq)>;
// NOT_LEAD_REGION warnings (DOMAIN.md §2): the selection, conventions and balance of
// `project` signed by an ARS key that does not act in its lead region. None without
// `signer_of`.
std::vector<Warning> LeadRegionWarnings(const Project& project, const SignerLookup& signer_of);

// Interpretation of CALENDAR_AT_RISK ("the initial calendar must not be strongly
// impacted", 002): an extension dated after half of the convention's duration has
// elapsed (extendedAt > signedAt + durationMonths / 2 months, integer months).
std::vector<Warning> WarningsOf(const ProgrammeState& state, const Project& project);

}  // namespace esms::projections

#endif  // ESMS_PROJECTIONS_RULES_H_
