// Amorçage 2021's tranches 2 and 3 (DOMAIN.md §5; 001 « Modalités de financement »:
// « 40% à la fin du paramétrage de la solution dès la réception de la facture de la fin
// du paramétrage de la solution ; 20% à la fin du déploiement … dès la vérification des
// critères d'utilisation et réception de la facture de la fin du déploiement de la
// solution »): an invoice for each, and the deployment paid prorata of the usage
// criteria the porteur announced (domain/usage_prorata.h).
//
// Thread-safety: pure functions; safe from any thread on a state not being modified.
#ifndef ESMS_PROJECTIONS_AMORCAGE_H_
#define ESMS_PROJECTIONS_AMORCAGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/date.h"
#include "domain/events.h"
#include "domain/usage_prorata.h"
#include "projections/state.h"

namespace esms::projections {

// The latest invoice of `tranche` received on or before `at`, or nullptr.
const Fact<domain::InvoiceReceived>* InvoiceFor(const Project& project, domain::Tranche tranche,
                                                domain::Date at);

// The results of the criteria announced in the project's usageCommitments, over the
// ESMS of `listed`, each from its latest measurement (through its lineage) ending on
// or before `at`: rates = Σ numerators / Σ denominators, counts = Σ (DOMAIN.md §5).
// Interpretation: a count the measurement does not carry (dmpDocuments,
// ePrescriptionImports, eParcoursExchanges are optional) counts 0 for that ESMS.
struct AmorcageUsage {
  bool has_commitments = false;                  // false: a file without usageCommitments
  bool measured = false;                         // at least one ESMS has a measurement by `at`
  std::vector<domain::CriterionResult> results;  // the announced criteria, 001's order
  std::vector<uint64_t> evidence;                // the measurements behind every result
};
AmorcageUsage AmorcageResults(const ProgrammeState& state, const Project& project,
                              const std::vector<domain::Finess>& listed, domain::Date at);

// The deployment tranche's prorata as of `at`, or why there is none (TARGETS_NOT_MET:
// no usageCommitments, or no measurement at all).
Result<domain::DeploymentProrata> DeploymentProrataAt(const ProgrammeState& state,
                                                      const Project& project,
                                                      const std::vector<domain::Finess>& listed,
                                                      domain::Money tranche, domain::Date at);

// The guard's rule for an amorçage payment `payment` of `tranche_amount`, once the
// schedule and the grant are checked: NO_INVOICE for a parametrisation or deployment
// payment without its tranche's invoice received on or before paidAt;
// TARGETS_NOT_MET for a deployment payment with nothing measured (or no
// commitments); USAGE_SHARE_EXCEEDED when the deployment payments would exceed the
// prorata. No certified expense statement is asked for (the invoice replaces it, 001).
Status RequireAmorcageTranche(const ProgrammeState& state, const Project& project,
                              const domain::PaymentIssued& payment, domain::Money tranche_amount);

}  // namespace esms::projections

#endif  // ESMS_PROJECTIONS_AMORCAGE_H_
