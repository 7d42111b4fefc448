// The parts of a project's money by paying ARS (DOMAIN.md §7, issue 13 item 14): a
// complément de grappe of another region is funded by that region's ARS, and only it
// (002 Complément de grappes: « L'ARS de la région concernée par ces nouveaux ESMS sera
// sollicitée uniquement pour le financement de ce complément, tandis que le suivi du
// projet restera assuré par la région de la grappe initiale »); the lead region's ARS
// pays the rest of the convention.
//
// Interpretation (the texts give no schedule of their own for a complement): « The
// complement takes the figures of the project's own campaign » (DOMAIN.md §7), so each
// part is paid on the campaign's schedule over its own amount (généralisation: 50 % at
// the convention listing it, 50 % at the end under the grappe's conditions; 000 §4.5,
// 003 §3.4), its tranches in order, independently of the other parts:
// - a complement's part is the entitlement of the ESSMS its region's extensions added
//   (their lines, at their ranks in the project; no AMOA, which is the project's),
//   counted once the convention in force lists them (« No payment before the
//   convention », DOMAIN.md §5);
// - the lead part is the convention's amount minus the complements' parts it lists.
//
// Thread-safety: pure functions; safe from any thread on a state not being modified.
#ifndef ESMS_PROJECTIONS_COMPLEMENT_H_
#define ESMS_PROJECTIONS_COMPLEMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "domain/events.h"
#include "projections/state.h"

namespace esms::projections {

struct PaymentPart {
  // Empty: the project's own part, paid by the lead region's ARS (payments without
  // payingRegion, or naming a region that funds no complement). Else the INSEE code
  // of the region whose ARS funds the complement.
  std::string paying_region;
  // The complement's ESSMS (as its extensions list them); empty for the lead part.
  std::vector<domain::Finess> establishments;
  // Complement: its ESSMS the convention in force does not list yet (its part counts
  // only once an amended convention lists them).
  std::vector<domain::Finess> not_in_convention;
  std::vector<uint64_t> extension_seqs;  // the extensions of the complement
  int64_t amount_cents = 0;              // what the part may be paid in all
  std::string detail;                    // how the amount is made

  bool complement() const { return !paying_region.empty(); }
  // The payments of `project` that belong to this part, in ledger order.
  std::vector<const Fact<domain::PaymentIssued>*> Payments(const Project& project) const;
  int64_t PaidCents(const Project& project) const;
  int64_t PaidCents(const Project& project, domain::Tranche tranche) const;
};

// The parts of `project` under its convention in force: the lead part first, then one
// per complement region (Project::ComplementRegions), by INSEE code. Empty without a
// convention. An error only if the entitlement cannot be computed.
Result<std::vector<PaymentPart>> PaymentParts(const ProgrammeState& state, const Project& project);

// The part `payment` belongs to, in `parts` (the lead part when it names no complement
// region).
const PaymentPart& PartOf(const std::vector<PaymentPart>& parts,
                          const domain::PaymentIssued& payment);

}  // namespace esms::projections

#endif  // ESMS_PROJECTIONS_COMPLEMENT_H_
