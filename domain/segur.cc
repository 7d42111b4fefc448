#include "domain/segur.h"

#include <string>

namespace esms::domain {

bool IsKnownCorridor(std::string_view corridor) {
  return corridor == kCorridorMedicoSocial || corridor == kCorridorHospital;
}

std::vector<RuleFigure> ReferencingFigures(Campaign campaign) {
  // 001 asks for the CNSA purchasing contract, never Ségur referencing (DOMAIN.md §2).
  if (campaign == Campaign::kAmorcage2021) return {};
  const std::string source = campaign == Campaign::kGeneralisation2023 ? "000 \u00a74.2 C"
                             : campaign == Campaign::kGeneralisation2024
                                 ? "003 \u00a73.2 C"
                                 : "002 \u00c9ligibilit\u00e9";
  return {
      {"S\u00e9gur corridor",
       "medico-social; a GHT porteur may use the hospital corridor, and then no EU fund nor "
       "HOP'EN for its ESSMS, whatever the operation (NONCUMUL_EU_FUNDS)",
       source},
      {"S\u00e9gur referencing per version",
       "the project's version must be referenced (facts for the product but none for the "
       "version: SOLUTION_NOT_REFERENCED)",
       "002 \u00c9ligibilit\u00e9 (\u00ab la version est bien r\u00e9f\u00e9renc\u00e9e SEGUR "
       "\u00bb)"},
      {"no referencing fact for the software", "accepted with the warning REFERENCING_UNKNOWN",
       "DOMAIN.md \u00a72"},
  };
}

}  // namespace esms::domain
