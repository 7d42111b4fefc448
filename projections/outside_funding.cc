#include "projections/outside_funding.h"

#include <string>

#include "domain/money.h"

namespace esms::projections {

std::vector<Finding> RecordedFundingFindings(const ProgrammeState& state,
                                             const FundingContext& context,
                                             const domain::EstablishmentEntry& entry) {
  std::vector<Finding> findings;
  for (const auto& member : state.registry().Lineage(entry.finess)) {
    const EstablishmentFacts* facts = state.registry().FindWithoutMeasurements(member.finess);
    if (facts == nullptr) continue;
    for (const auto& f : facts->recorded_funding) {
      const bool same = SameSoftware(f.data.solution, context.solution);
      std::vector<uint64_t> seqs{f.seq};
      seqs.insert(seqs.end(), member.change_seqs.begin(), member.change_seqs.end());
      findings.push_back(
          {same ? "NONCUMUL_SAME_SOFTWARE" : "NONCUMUL_SECOND_DUI",
           entry.finess.str() + " was granted " +
               domain::Money::Cents(f.data.amount_cents).ToString() + " outside this ledger (" +
               f.data.campaign + ", " + f.data.granted_at.ToString() + ") for the " +
               std::string(domain::ToString(f.data.operation)) + " of " +
               (same ? "the same software " : "another DUI software ") + f.data.solution.vendor +
               " " + f.data.solution.product + " " + f.data.solution.version +
               (member.finess == entry.finess ? std::string()
                                              : " (recorded for " + member.finess.str() + ")"),
           std::move(seqs), member.via_merger});
    }
  }
  return findings;
}

}  // namespace esms::projections
