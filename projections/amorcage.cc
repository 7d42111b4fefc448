#include "projections/amorcage.h"

#include <algorithm>
#include <string>

#include "projections/rules.h"

namespace esms::projections {

namespace {

Status Refuse(std::string_view code, std::string message, std::vector<uint64_t> seqs) {
  std::sort(seqs.begin(), seqs.end());
  seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
  return Status::FailedPrecondition(code, std::move(message)).WithConflicts(std::move(seqs));
}

}  // namespace

const Fact<domain::InvoiceReceived>* InvoiceFor(const Project& project, domain::Tranche tranche,
                                                domain::Date at) {
  const Fact<domain::InvoiceReceived>* found = nullptr;
  for (const auto& invoice : project.invoices) {
    if (invoice.data.tranche == tranche && invoice.data.received_at <= at) found = &invoice;
  }
  return found;
}

AmorcageUsage AmorcageResults(const ProgrammeState& state, const Project& project,
                              const std::vector<domain::Finess>& listed, domain::Date at) {
  AmorcageUsage usage;
  const auto& commitments = project.submission.usage_commitments;
  usage.has_commitments = commitments.has_value();
  if (!commitments.has_value()) return usage;
  using C = domain::UsageCriterion;
  // Σ over the ESMS of their latest measurement ending on or before `at`.
  int64_t active = 0, persons = 0, plan = 0, agenda = 0, mssante = 0, dmp_documents = 0,
          prescriptions = 0, exchanges = 0;
  for (const domain::Finess& finess : listed) {
    const Fact<domain::IndicatorMeasured>* latest = nullptr;
    for (const auto* m : IndicatorSeries(state, finess)) {
      if (m->data.period_end <= at) latest = m;
    }
    if (latest == nullptr) continue;
    usage.measured = true;
    usage.evidence.push_back(latest->seq);
    const domain::IndicatorMeasured& m = latest->data;
    active += m.active_files;
    persons += m.persons_accompanied;
    plan += m.active_files_with_plan;
    agenda += m.active_files_with_agenda_event;
    mssante += m.mssante_messages;
    dmp_documents += m.dmp_documents.value_or(0);
    prescriptions += m.e_prescription_imports.value_or(0);
    exchanges += m.e_parcours_exchanges.value_or(0);
  }
  std::sort(usage.evidence.begin(), usage.evidence.end());
  const domain::UsageCommitments& c = *commitments;
  usage.results.push_back({C::kActiveFilesRate, c.active_files_rate, active, persons});
  usage.results.push_back({C::kPlanRate, c.plan_rate, plan, active});
  usage.results.push_back({C::kAgendaRate, c.agenda_rate, agenda, active});
  auto count = [&](C criterion, const std::optional<int64_t>& announced, int64_t result) {
    if (announced.has_value()) usage.results.push_back({criterion, *announced, result, 1});
  };
  count(C::kMssanteMessages, c.mssante_messages, mssante);
  count(C::kDmpDocuments, c.dmp_documents, dmp_documents);
  count(C::kEPrescriptionImports, c.e_prescription_imports, prescriptions);
  count(C::kEParcoursExchanges, c.e_parcours_exchanges, exchanges);
  return usage;
}

Result<domain::DeploymentProrata> DeploymentProrataAt(const ProgrammeState& state,
                                                      const Project& project,
                                                      const std::vector<domain::Finess>& listed,
                                                      domain::Money tranche, domain::Date at) {
  const AmorcageUsage usage = AmorcageResults(state, project, listed, at);
  if (!usage.has_commitments) {
    return Status::FailedPrecondition(
        "TARGETS_NOT_MET",
        "the file announced no usage commitments: the deployment tranche cannot be "
        "verified against them (001 \u00a73)");
  }
  if (!usage.measured) {
    return Status::FailedPrecondition(
        "TARGETS_NOT_MET",
        "no measurement of the convention's ESMS ends on or before " + at.ToString());
  }
  return domain::ProrataDeployment(tranche, usage.results);
}

Status RequireAmorcageTranche(const ProgrammeState& state, const Project& project,
                              const domain::PaymentIssued& payment, domain::Money tranche_amount) {
  if (payment.tranche != domain::Tranche::kParametrisation &&
      payment.tranche != domain::Tranche::kDeployment) {
    return Status::OK();
  }
  const auto* convention = project.convention();
  std::vector<uint64_t> base;
  if (convention != nullptr) base.push_back(convention->seq);
  if (InvoiceFor(project, payment.tranche, payment.paid_at) == nullptr) {
    return Refuse("NO_INVOICE",
                  "no invoice of the " + std::string(domain::ToString(payment.tranche)) +
                      " received on or before " + payment.paid_at.ToString() +
                      " (001 Modalit\u00e9s de financement: \u00ab d\u00e8s la r\u00e9ception de "
                      "la facture \u00bb)",
                  base);
  }
  if (payment.tranche != domain::Tranche::kDeployment) return Status::OK();
  const std::vector<domain::Finess> listed = ConventionEstablishments(state, project);
  Result<domain::DeploymentProrata> prorata =
      DeploymentProrataAt(state, project, listed, tranche_amount, payment.paid_at);
  if (!prorata.ok()) {
    return Refuse(prorata.status().error_code(), prorata.status().message(), base);
  }
  const int64_t paid = project.PaidCents(domain::Tranche::kDeployment);
  if (paid + payment.amount_cents <= prorata->payable.cents()) return Status::OK();
  std::vector<uint64_t> seqs = base;
  const AmorcageUsage usage = AmorcageResults(state, project, listed, payment.paid_at);
  seqs.insert(seqs.end(), usage.evidence.begin(), usage.evidence.end());
  std::string criteria;
  for (const auto& c : prorata->criteria) criteria += "; " + c.detail;
  return Refuse("USAGE_SHARE_EXCEEDED",
                "deployment payments of " +
                    domain::Money::Cents(paid + payment.amount_cents).ToString() +
                    " exceed the usage prorata " + prorata->payable.ToString() + " of the " +
                    tranche_amount.ToString() + " tranche" + criteria,
                std::move(seqs));
}

}  // namespace esms::projections
