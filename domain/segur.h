// Ségur referencing of the DUI software (DOMAIN.md §2; 000 §4.2 C, 003 §3.2 C, 002):
// the corridors a solution.referenced fact names, and the figures of the rule. The
// rule itself reads the ledger's facts: projections/referencing.h.
//
// 000 §4.2 C: « La solution logicielle retenue ou à faire évoluer doit être référencée
// Ségur « Vague 1 » dans le couloir médico-social, sauf dans le cas des Groupements
// Hospitaliers de Territoire (GHT) » ; a GHT « peut équiper les ESSMS d'une solution
// référencée Ségur « vague 1 » dans le couloir hôpital, aux conditions cumulatives
// suivantes : … 3. le porteur devra démontrer qu'il n'a perçu, pour les ESSMS
// concernés, aucune autre aide au titre d'un financement européen ou au titre du
// programme HOP'EN. » 002: « il faut vous assurer que la version est bien référencée
// SEGUR ».
//
// Thread-safety: pure functions; safe from any thread.
#ifndef ESMS_DOMAIN_SEGUR_H_
#define ESMS_DOMAIN_SEGUR_H_

#include <string_view>
#include <vector>

#include "domain/rulebook.h"

namespace esms::domain {

inline constexpr std::string_view kCorridorMedicoSocial = "medico-social";
inline constexpr std::string_view kCorridorHospital = "hospital";

// True for "medico-social" and "hospital" (solution.referenced `corridor`).
bool IsKnownCorridor(std::string_view corridor);

// The figures of the referencing rule for the `rules` command (Ségur campaigns only).
std::vector<RuleFigure> ReferencingFigures(Campaign campaign);

}  // namespace esms::domain

#endif  // ESMS_DOMAIN_SEGUR_H_
