#include "projections/complement.h"

#include <algorithm>

#include "domain/money.h"
#include "projections/rules.h"

namespace esms::projections {

namespace {

bool Contains(const std::vector<domain::Finess>& list, const domain::Finess& f) {
  return std::find(list.begin(), list.end(), f) != list.end();
}

bool InPart(const PaymentPart& part, const std::set<std::string>& complement_regions,
            const domain::PaymentIssued& payment) {
  const bool complement = payment.paying_region.has_value() &&
                          complement_regions.contains(payment.paying_region->code());
  if (!part.complement()) return !complement;
  return complement && payment.paying_region->code() == part.paying_region;
}

}  // namespace

std::vector<const Fact<domain::PaymentIssued>*> PaymentPart::Payments(
    const Project& project) const {
  const std::set<std::string> regions = project.ComplementRegions();
  std::vector<const Fact<domain::PaymentIssued>*> out;
  for (const auto& pay : project.payments) {
    if (InPart(*this, regions, pay.data)) out.push_back(&pay);
  }
  return out;
}

int64_t PaymentPart::PaidCents(const Project& project) const {
  int64_t total = 0;
  for (const auto* pay : Payments(project)) total += pay->data.amount_cents;
  return total;
}

int64_t PaymentPart::PaidCents(const Project& project, domain::Tranche tranche) const {
  int64_t total = 0;
  for (const auto* pay : Payments(project)) {
    if (pay->data.tranche == tranche) total += pay->data.amount_cents;
  }
  return total;
}

Result<std::vector<PaymentPart>> PaymentParts(const ProgrammeState& state, const Project& project) {
  std::vector<PaymentPart> parts;
  const auto* convention = project.convention();
  if (convention == nullptr) return parts;
  PaymentPart lead;
  lead.amount_cents = convention->data.amount_cents;
  parts.push_back(lead);
  const std::set<std::string> regions = project.ComplementRegions();
  if (regions.empty()) {
    parts.front().detail =
        "the convention's " + domain::Money::Cents(convention->data.amount_cents).ToString();
    return parts;
  }
  ASSIGN_OR_RETURN(domain::ProjectEntitlement entitlement, FundedEntitlementOf(state, project));
  const std::vector<domain::Finess> in_convention = ConventionEstablishments(state, project);
  std::string complements;
  int64_t complements_cents = 0;
  for (const std::string& region : regions) {
    PaymentPart part;
    part.paying_region = region;
    for (const auto& x : project.extensions) {
      if (x.data.paying_region.code() != region) continue;
      part.extension_seqs.push_back(x.seq);
      for (const auto& e : x.data.establishments) {
        part.establishments.push_back(e.finess);
        if (!Contains(in_convention, e.finess)) part.not_in_convention.push_back(e.finess);
      }
    }
    int lines = 0;
    for (const auto& line : entitlement.lines) {
      if (!Contains(part.establishments, line.finess) ||
          Contains(part.not_in_convention, line.finess))
        continue;
      part.amount_cents += line.total.cents();
      ++lines;
    }
    part.detail = "the compl\u00e9ment de grappe paid by region " + region + ": the entitlement " +
                  domain::Money::Cents(part.amount_cents).ToString() + " of its " +
                  std::to_string(lines) + " ESSMS listed by the convention in force (002)";
    complements_cents += part.amount_cents;
    complements += ", region " + region + " " + domain::Money::Cents(part.amount_cents).ToString();
    parts.push_back(std::move(part));
  }
  parts.front().amount_cents =
      std::max<int64_t>(0, convention->data.amount_cents - complements_cents);
  parts.front().detail = "the convention's " +
                         domain::Money::Cents(convention->data.amount_cents).ToString() +
                         " less the compl\u00e9ments de grappe paid by their own region (" +
                         complements.substr(2) + ")";
  return parts;
}

const PaymentPart& PartOf(const std::vector<PaymentPart>& parts,
                          const domain::PaymentIssued& payment) {
  if (payment.paying_region.has_value()) {
    for (const PaymentPart& part : parts) {
      if (part.complement() && part.paying_region == payment.paying_region->code()) return part;
    }
  }
  return parts.front();
}

}  // namespace esms::projections
