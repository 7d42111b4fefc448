#include "projections/referencing.h"

#include "domain/segur.h"

namespace esms::projections {

ReferencingVerdict AssessReferencing(const ProgrammeState& state, const domain::Solution& solution,
                                     bool ght, domain::Date by) {
  ReferencingVerdict verdict;
  const std::string software = solution.vendor + " " + solution.product;
  bool version_known = false, dated = false, medico_social = false, hospital = false;
  for (const auto& fact : state.referencing()) {
    if (!SameSoftware(fact.data.solution, solution)) continue;
    verdict.seqs.push_back(fact.seq);
    if (fact.data.solution.version != solution.version) continue;
    version_known = true;
    if (fact.data.referenced_at > by) continue;
    dated = true;
    if (fact.data.corridor == domain::kCorridorMedicoSocial) medico_social = true;
    if (fact.data.corridor == domain::kCorridorHospital) hospital = true;
  }
  using Outcome = ReferencingVerdict::Outcome;
  if (verdict.seqs.empty()) {
    verdict.outcome = Outcome::kUnknown;
    verdict.detail = "the ledger holds no S\u00e9gur referencing fact for " + software;
  } else if (!version_known) {
    verdict.outcome = Outcome::kNotReferenced;
    verdict.detail = software + " version " + solution.version +
                     " is not S\u00e9gur-referenced (facts exist for other versions; 002: "
                     "\u00ab la version est bien r\u00e9f\u00e9renc\u00e9e SEGUR \u00bb)";
  } else if (!dated) {
    verdict.outcome = Outcome::kNotReferenced;
    verdict.detail = software + " " + solution.version +
                     " is not candidate to S\u00e9gur referencing on " + by.ToString();
  } else if (medico_social) {
    verdict.outcome = Outcome::kReferenced;
    verdict.detail = software + " " + solution.version +
                     " is referenced (or candidate) in the medico-social corridor";
  } else if (hospital && ght) {
    verdict.outcome = Outcome::kHospitalCorridor;
    verdict.detail = software + " " + solution.version +
                     " is referenced in the hospital corridor only: allowed for a GHT porteur "
                     "whose ESSMS get no EU fund nor HOP'EN (000 \u00a74.2 C)";
  } else {
    verdict.outcome = Outcome::kNotReferenced;
    verdict.detail = software + " " + solution.version +
                     " is referenced in the hospital corridor only; a porteur that is not a GHT "
                     "needs the medico-social corridor (000 \u00a74.2 C)";
  }
  return verdict;
}

std::vector<Finding> HospitalCorridorFindings(const ProgrammeState& state,
                                              const FundingContext& context,
                                              const domain::EstablishmentEntry& entry) {
  std::vector<Finding> findings;
  if (!context.ght) return findings;
  const domain::Date any_time = *domain::Date::FromCivil(9999, 12, 31);
  const ReferencingVerdict referencing =
      AssessReferencing(state, context.solution, context.ght, any_time);
  if (referencing.outcome != ReferencingVerdict::Outcome::kHospitalCorridor) return findings;
  const bool acquisition = entry.situation == domain::Situation::kAcquisition;
  for (const auto& member : state.registry().Lineage(entry.finess)) {
    const EstablishmentFacts* facts = state.registry().FindWithoutMeasurements(member.finess);
    if (facts == nullptr) continue;
    for (const auto& eu : facts->eu_funds) {
      const bool same_operation =
          (eu.data.operation == domain::EuOperation::kAcquisition) == acquisition;
      if (same_operation) continue;  // FundingFindings reports it already
      std::vector<uint64_t> seqs{eu.seq};
      seqs.insert(seqs.end(), member.change_seqs.begin(), member.change_seqs.end());
      seqs.insert(seqs.end(), referencing.seqs.begin(), referencing.seqs.end());
      findings.push_back(
          {"NONCUMUL_EU_FUNDS",
           entry.finess.str() + " gets " + std::string(domain::ToString(eu.data.fund)) +
               " funds (for its " + std::string(domain::ToString(eu.data.operation)) +
               "), and the GHT porteur's solution is referenced in the hospital corridor only: "
               "no EU fund nor HOP'EN for any operation (000 \u00a74.2 C 3)" +
               (member.finess == entry.finess ? std::string()
                                              : " (recorded for " + member.finess.str() + ")"),
           std::move(seqs), member.via_merger});
    }
  }
  return findings;
}

std::vector<Warning> ReferencingWarnings(const ProgrammeState& state, const Project& project) {
  std::vector<Warning> warnings;
  if (project.campaign() == domain::Campaign::kAmorcage2021) return warnings;
  const domain::Date any_time = *domain::Date::FromCivil(9999, 12, 31);
  const ReferencingVerdict verdict = AssessReferencing(
      state, project.submission.solution, project.submission.porteur.ght.value_or(false), any_time);
  if (verdict.outcome == ReferencingVerdict::Outcome::kUnknown) {
    warnings.push_back({"REFERENCING_UNKNOWN",
                        verdict.detail + ": accepted, the national level may not have recorded "
                                         "it yet (DOMAIN.md \u00a72)",
                        {project.submitted_seq}});
  }
  return warnings;
}

}  // namespace esms::projections
