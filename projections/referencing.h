// Ségur referencing of a project's DUI software as the ledger's solution.referenced
// facts say it (DOMAIN.md §2; sources quoted in domain/segur.h): the corridor, the
// version, and the GHT porteur's hospital-corridor condition on EU funds.
//
// Thread-safety: pure functions; safe from any thread on a state not being modified.
#ifndef ESMS_PROJECTIONS_REFERENCING_H_
#define ESMS_PROJECTIONS_REFERENCING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "domain/date.h"
#include "domain/events.h"
#include "projections/rules.h"
#include "projections/state.h"

namespace esms::projections {

struct ReferencingVerdict {
  enum class Outcome {
    kReferenced,        // a médico-social fact for the version, dated on or before `by`
    kHospitalCorridor,  // GHT porteur: only hospital-corridor facts for the version
    kUnknown,           // no fact at all for the software (vendor + product)
    kNotReferenced,     // facts for the software, none acceptable (SOLUTION_NOT_REFERENCED)
  };
  Outcome outcome = Outcome::kUnknown;
  std::vector<uint64_t> seqs;  // the facts for the software
  std::string detail;
};

// The referencing rule (000 §4.2 C, 003 §3.2 C, 002 Éligibilité):
// - no solution.referenced fact for the vendor and product: kUnknown (accepted with
//   the warning REFERENCING_UNKNOWN: the national level may not have recorded it yet);
// - facts for the product but none for the project's version: kNotReferenced (002:
//   « la version est bien référencée SEGUR »);
// - a fact (candidate or referenced) for the version dated on or before `by` in the
//   médico-social corridor: kReferenced; only in the hospital corridor: kHospitalCorridor
//   for a GHT porteur, kNotReferenced otherwise.
// Interpretation: "candidate" counts as referencing in progress (000 §4.2 C allows a
// software « en cours de référencement » at submission).
ReferencingVerdict AssessReferencing(const ProgrammeState& state, const domain::Solution& solution,
                                     bool ght, domain::Date by);

// The GHT hospital-corridor condition (000 §4.2 C 3: « aucune autre aide au titre d'un
// financement européen ou au titre du programme HOP'EN » for the ESSMS concerned): when
// the porteur is a GHT and its solution is referenced only in the hospital corridor
// (any date), every EU fund declared for the ESSMS's lineage, HOP'EN included and
// whatever the operation, is a NONCUMUL_EU_FUNDS finding. Only the funds the ordinary
// rule (FundingFindings: same operation) does not already report are returned.
std::vector<Finding> HospitalCorridorFindings(const ProgrammeState& state,
                                              const FundingContext& context,
                                              const domain::EstablishmentEntry& entry);

// REFERENCING_UNKNOWN (a warning, DOMAIN.md §2): a Ségur campaign's project whose
// software has no solution.referenced fact at all. None in amorçage (001 asks for no
// Ségur referencing).
std::vector<Warning> ReferencingWarnings(const ProgrammeState& state, const Project& project);

}  // namespace esms::projections

#endif  // ESMS_PROJECTIONS_REFERENCING_H_
