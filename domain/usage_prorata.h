// Amorçage 2021's last 20 %: the deployment tranche paid on the usage criteria the
// porteur announced in its file (DOMAIN.md §5; 001 §3 « Critères d'utilisation »,
// Remarque: « 20% du financement des projets est lié aux critères d'utilisation, ces
// 20% sont répartis équitablement entre ces cinq critères. La part de financement de
// chaque critère est liée au résultat obtenu (prorata entre l'évaluation faite et le
// résultat réel obtenu) »).
//
// payable = floor( Σ_criteria tranche / n x min(1, result / announced) ), in exact
// rational arithmetic, rounded down to the cent once (DOMAIN.md §3 "Money is exact").
//
// Thread-safety: pure functions over value types; safe from any thread.
#ifndef ESMS_DOMAIN_USAGE_PRORATA_H_
#define ESMS_DOMAIN_USAGE_PRORATA_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "domain/money.h"
#include "domain/rulebook.h"

namespace esms::domain {

// The criteria of 001 §3: three métier rates and four socle / platform counts.
enum class UsageCriterion {
  kActiveFilesRate,       // « Taux de dossiers actifs »
  kPlanRate,              // « … avec un projet personnalisé »
  kAgendaRate,            // « … ayant au moins un événement »
  kMssanteMessages,       // « Nombre de messages émis par la MSSanté »
  kDmpDocuments,          // « Nombre de documents déposés dans le DMP »
  kEPrescriptionImports,  // « … échangées entre le DUI et l'outil e-prescription »
  kEParcoursExchanges,    // « … entre une plateforme e-parcours et le DUI »
};
// "activeFilesRate", "planRate", "agendaRate", "mssanteMessages", "dmpDocuments",
// "ePrescriptionImports", "eParcoursExchanges" (the usageCommitments field names).
std::string_view CriterionId(UsageCriterion criterion);
bool IsRate(UsageCriterion criterion);

// One announced criterion and the result measured for it. A rate's result is
// numerator / denominator (Σ over the convention's ESMS), announced in whole percent;
// a count's result is `numerator` (denominator 1), announced as a count.
struct CriterionResult {
  UsageCriterion criterion = UsageCriterion::kActiveFilesRate;
  int64_t announced = 0;  // rates 1..100 (%), counts >= 1
  int64_t numerator = 0;
  int64_t denominator = 1;  // rates: 0 = nothing to measure (share 0)
};

struct CriterionShare {
  CriterionResult result;
  bool capped = false;  // the result reached the announced value: 100 %
  Money share;          // tranche / n (rounded down, shown only)
  Money amount;         // share x min(1, result / announced), rounded down, shown only
  std::string detail;   // "planRate: announced 80 %, result 60,00 % -> 75,00 % of 6 000,00 €"
};

struct DeploymentProrata {
  Money tranche;  // the deployment tranche (20 %)
  Money payable;  // rounded down once from the exact sum
  std::vector<CriterionShare> criteria;
  std::string detail;
};

// The prorata of `tranche` over `results` (at least one). BAD_INPUT when `results` is
// empty, lists a criterion twice, a rate announced outside 1..100, a count announced
// below 1, or a negative result.
// Interpretation: the 20 % is split equally over the criteria announced (the three
// rates and every count announced); 001's « ces cinq critères » is the case of two
// counts, the minimum it asks for. A rate with a zero denominator (no person
// accompanied) earns nothing.
Result<DeploymentProrata> ProrataDeployment(Money tranche,
                                            const std::vector<CriterionResult>& results);

// The figures of this page for the `rules` command (amorçage only; empty otherwise).
std::vector<RuleFigure> ProrataFigures(Campaign campaign);

}  // namespace esms::domain

#endif  // ESMS_DOMAIN_USAGE_PRORATA_H_
