#include "projections/queries.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "domain/calendar.h"
#include "domain/duration.h"
#include "domain/money.h"
#include "domain/rulebook.h"
#include "projections/amorcage.h"
#include "projections/complement.h"
#include "projections/deadlines.h"

namespace esms::projections {

namespace {

using nlohmann::json;

Result<const Project*> FindOrError(const ProgrammeState& state, std::string_view id) {
  const Project* p = state.FindProject(id);
  if (p == nullptr) {
    return Status::NotFound("UNKNOWN_PROJECT", "unknown project \"" + std::string(id) + "\"");
  }
  return p;
}

json WarningsJson(const std::vector<Warning>& warnings) {
  json out = json::array();
  for (const auto& w : warnings) {
    out.push_back({{"code", w.code}, {"message", w.message}, {"seqs", w.seqs}});
  }
  return out;
}

std::string Seqs(const std::vector<uint64_t>& seqs) {
  std::string out;
  for (uint64_t s : seqs) out += (out.empty() ? "" : ", ") + std::to_string(s);
  return out.empty() ? "-" : out;
}

// Amorçage 2021 (projections/amorcage.h): the tranche's invoice (parametrisation,
// deployment) and, for the deployment, one USAGE_CRITERION condition per announced
// criterion (announced value, result, share; evidence: the measurements behind the
// result). Returns the deployment's prorata payable, if computable.
std::optional<int64_t> AmorcageConditions(const ProgrammeState& state, const Project& p,
                                          const std::vector<domain::Finess>& listed,
                                          const domain::TrancheAmount& t, domain::Date at,
                                          std::vector<Condition>* conditions) {
  if (t.tranche != domain::Tranche::kParametrisation && t.tranche != domain::Tranche::kDeployment) {
    return std::nullopt;
  }
  const auto* invoice = InvoiceFor(p, t.tranche, at);
  Condition invoiced{"INVOICE_RECEIVED", invoice != nullptr, {}, ""};
  if (invoice != nullptr) {
    invoiced.evidence.push_back(invoice->seq);
    invoiced.detail = "invoice " + invoice->data.reference + " of " +
                      domain::Money::Cents(invoice->data.amount_cents).ToString() + " received " +
                      invoice->data.received_at.ToString();
  } else {
    invoiced.detail = "no invoice of the " + std::string(domain::ToString(t.tranche)) +
                      " received (NO_INVOICE, 001 Modalit\u00e9s de financement)";
  }
  conditions->push_back(std::move(invoiced));
  if (t.tranche != domain::Tranche::kDeployment) return std::nullopt;
  const AmorcageUsage usage = AmorcageResults(state, p, listed, at);
  Result<domain::DeploymentProrata> prorata = DeploymentProrataAt(state, p, listed, t.amount, at);
  if (!prorata.ok()) {
    conditions->push_back(
        {"USAGE_CRITERIA_MEASURED", false, usage.evidence, prorata.status().message()});
    return std::nullopt;
  }
  conditions->push_back({"USAGE_CRITERIA_MEASURED", true, usage.evidence, prorata->detail});
  for (const auto& c : prorata->criteria) {
    conditions->push_back({"USAGE_CRITERION", true, usage.evidence, c.detail});
  }
  return prorata->payable.cents();
}

}  // namespace

// ---- state ----

SignerLookup LedgerSigners(const ledger::Ledger& ledger) {
  return [&ledger](uint64_t seq) -> const ledger::KeyInfo* {
    Result<ledger::Record> record = ledger.Get(seq);
    if (!record.ok()) return nullptr;
    return ledger.keys().Find(record->signer);
  };
}

Result<ProjectView> ViewProject(const ProgrammeState& state, std::string_view id,
                                std::optional<domain::Date> as_of, const SignerLookup& signer_of) {
  ASSIGN_OR_RETURN(const Project* p, FindOrError(state, id));
  ProjectView view;
  view.project = p->id();
  view.campaign = std::string(domain::CampaignId(p->campaign()));
  view.status = std::string(ToString(p->status()));
  view.lead_region = p->LeadRegion();
  if (as_of.has_value() && IsLapsed(state, *p, *as_of))
    view.status = ToString(ProjectStatus::kLapsed);
  std::vector<domain::Finess> in_convention = ConventionEstablishments(state, *p);
  // Ranks and amounts over the ESSMS party to the project as funded (DOMAIN.md §3):
  // an ESSMS left out of the convention in force shows rank 0 and no entitlement.
  Result<domain::ProjectEntitlement> entitlement = FundedEntitlementOf(state, *p);
  for (size_t i = 0; i < p->establishments.size(); ++i) {
    const auto& e = p->establishments[i];
    EstablishmentView ev;
    ev.finess = e.entry.finess.str();
    ev.current_finess = state.registry().Resolve(e.entry.finess).str();
    ev.situation = std::string(domain::ToString(e.entry.situation));
    if (entitlement.ok()) {
      for (const auto& line : entitlement->lines) {
        if (line.finess == e.entry.finess) {
          ev.entitlement_cents = line.total.cents();
          ev.rank = line.rank;
        }
      }
    }
    ev.in_convention = std::find(in_convention.begin(), in_convention.end(), e.entry.finess) !=
                       in_convention.end();
    view.establishments.push_back(std::move(ev));
  }
  if (entitlement.ok()) view.entitlement_cents = entitlement->total.cents();
  if (const auto* c = p->convention()) view.convention_cents = c->data.amount_cents;
  view.paid_cents = p->PaidCents();
  for (const auto& pay : p->payments) {
    view.payments.push_back(
        {pay.seq, std::string(domain::ToString(pay.data.tranche)), pay.data.amount_cents,
         pay.data.paid_at.ToString(),
         p->IsComplementPayment(pay.data) ? pay.data.paying_region->code() : std::string()});
  }
  view.warnings = WarningsOf(state, *p);
  for (Warning& w : LeadRegionWarnings(*p, signer_of)) view.warnings.push_back(std::move(w));
  return view;
}

std::string ToJson(const ProjectView& v) {
  json establishments = json::array();
  for (const auto& e : v.establishments) {
    establishments.push_back({{"finess", e.finess},
                              {"rank", e.rank},
                              {"situation", e.situation},
                              {"entitlementCents", e.entitlement_cents},
                              {"currentFiness", e.current_finess},
                              {"inConvention", e.in_convention}});
  }
  json payments = json::array();
  for (const auto& p : v.payments) {
    json payment = {{"seq", p.seq},
                    {"tranche", p.tranche},
                    {"amountCents", p.amount_cents},
                    {"paidAt", p.paid_at}};
    if (!p.paying_region.empty()) payment["payingRegion"] = p.paying_region;
    payments.push_back(std::move(payment));
  }
  json out = {{"project", v.project},
              {"campaign", v.campaign},
              {"status", v.status},
              {"leadRegion", v.lead_region},
              {"establishments", std::move(establishments)},
              {"entitlementCents", v.entitlement_cents},
              {"conventionCents", v.convention_cents},
              {"paidCents", v.paid_cents},
              {"payments", std::move(payments)},
              {"warnings", WarningsJson(v.warnings)}};
  return out.dump();
}

std::string ToText(const ProjectView& v) {
  std::string out = "project " + v.project + " (" + v.campaign + "): " + v.status +
                    ", lead region " + v.lead_region + "\n";
  for (const auto& e : v.establishments) {
    // Rank "-": left out of the convention in force, it uses no rank (DOMAIN.md §3).
    out += "  #" + (e.rank > 0 ? std::to_string(e.rank) : std::string("-")) + " " + e.finess +
           (e.current_finess != e.finess ? " (now " + e.current_finess + ")" : "") + " " +
           e.situation + " " + domain::Money::Cents(e.entitlement_cents).ToString() +
           (e.in_convention ? "" : " (not in the convention)") + "\n";
  }
  out += "entitlement " + domain::Money::Cents(v.entitlement_cents).ToString() + ", convention " +
         domain::Money::Cents(v.convention_cents).ToString() + ", paid " +
         domain::Money::Cents(v.paid_cents).ToString() + "\n";
  for (const auto& p : v.payments) {
    out += "  payment seq " + std::to_string(p.seq) + ": " + p.tranche + " " +
           domain::Money::Cents(p.amount_cents).ToString() + " on " + p.paid_at +
           (p.paying_region.empty()
                ? std::string()
                : " (compl\u00e9ment de grappe, paid by region " + p.paying_region + ")") +
           "\n";
  }
  for (const auto& w : v.warnings) {
    out += "warning " + w.code + ": " + w.message + " (seqs " + Seqs(w.seqs) + ")\n";
  }
  return out;
}

// ---- check ----

Result<CheckReport> CheckProject(const ProgrammeState& state, std::string_view id, domain::Date at,
                                 const SignerLookup& signer_of) {
  ASSIGN_OR_RETURN(const Project* p, FindOrError(state, id));
  CheckReport report;
  report.project = p->id();
  report.at = at;
  report.warnings = WarningsOf(state, *p);
  for (Warning& w : LeadRegionWarnings(*p, signer_of)) report.warnings.push_back(std::move(w));
  // The convention in force at `at`: the last one signed on or before it (an amendment
  // signed later does not count yet); if none was signed by then, the first one, to
  // say when it was signed.
  const Fact<domain::ConventionSigned>* convention = nullptr;
  for (const auto& c : p->conventions) {
    if (c.data.signed_at <= at) convention = &c;
  }
  if (convention == nullptr && !p->conventions.empty()) convention = &p->conventions.front();
  const bool signed_by_then = convention != nullptr && convention->data.signed_at <= at;
  const domain::Money amount =
      domain::Money::Cents(convention != nullptr ? convention->data.amount_cents : 0);
  std::vector<domain::Finess> listed = ConventionEstablishments(state, *p);
  // The parts of the convention by paying ARS (projections/complement.h): the lead
  // region's, then each complément de grappe paid by its own region (002), each with
  // its own tranches. An amendment signed after `at` does not count yet: the
  // convention as of `at` is then the lead region's alone.
  std::vector<PaymentPart> parts;
  if (convention != nullptr && convention == p->convention()) {
    ASSIGN_OR_RETURN(parts, PaymentParts(state, *p));
  }
  if (parts.empty()) {
    PaymentPart lead;
    lead.amount_cents = amount.cents();
    parts.push_back(std::move(lead));
  }

  Condition signed_condition{"CONVENTION_SIGNED", signed_by_then, {}, ""};
  if (convention != nullptr) {
    signed_condition.evidence.push_back(convention->seq);
    signed_condition.detail =
        "convention of " + amount.ToString() + " signed " + convention->data.signed_at.ToString();
  } else {
    signed_condition.detail = "no convention signed";
  }
  Condition cumulation{"NO_CUMULATION", true, {}, "no non-cumulation finding"};
  for (const Finding& f : ProjectFindings(state, *p, listed)) {
    if (f.via_merger) continue;
    if (cumulation.met) cumulation.detail = f.code + ": " + f.message;
    cumulation.met = false;
    cumulation.evidence.insert(cumulation.evidence.end(), f.seqs.begin(), f.seqs.end());
  }

  for (const PaymentPart& part : parts) {
    const std::vector<domain::TrancheAmount> schedule =
        domain::PaymentSchedule(p->campaign(), domain::Money::Cents(part.amount_cents));
    const std::vector<const Fact<domain::PaymentIssued>*> part_payments = part.Payments(*p);
    for (size_t i = 0; i < schedule.size(); ++i) {
      const domain::TrancheAmount& t = schedule[i];
      TrancheCheck check;
      check.tranche = std::string(domain::ToString(t.tranche));
      check.paying_region = part.paying_region;
      check.conditions.push_back(signed_condition);
      if (part.complement()) {
        // DOMAIN.md §7: the paying region pays only its complement, once the convention
        // in force lists its ESSMS (projections/complement.h).
        std::vector<uint64_t> evidence = part.extension_seqs;
        if (convention != nullptr) evidence.push_back(convention->seq);
        check.conditions.push_back(
            {"COMPLEMENT_IN_CONVENTION", part.not_in_convention.empty(), std::move(evidence),
             part.not_in_convention.empty()
                 ? part.detail
                 : "the convention in force does not list " + part.not_in_convention.front().str() +
                       " of the compl\u00e9ment de grappe paid by region " + part.paying_region});
      }
      if (i > 0) {
        Condition previous{"PREVIOUS_TRANCHE_PAID", false, {}, ""};
        for (const auto* pay : part_payments) {
          if (pay->data.tranche == schedule[i - 1].tranche && pay->data.paid_at <= at) {
            previous.met = true;
            previous.evidence.push_back(pay->seq);
          }
        }
        previous.detail = std::string(domain::ToString(schedule[i - 1].tranche)) +
                          (previous.met ? " paid" : " not paid");
        check.conditions.push_back(std::move(previous));
      }
      check.conditions.push_back(cumulation);
      std::optional<int64_t> prorata_cap;  // amorçage deployment: the usage prorata
      if (p->campaign() == domain::Campaign::kAmorcage2021) {
        prorata_cap = AmorcageConditions(state, *p, listed, t, at, &check.conditions);
      } else if (i + 1 == schedule.size()) {
        const Fact<domain::ExpensesCertified>* proof = nullptr;
        for (const auto& e : p->expenses) {
          if (e.data.certified_at <= at) proof = &e;
        }
        Condition expense{"EXPENSE_PROOF", proof != nullptr, {}, ""};
        if (proof != nullptr) {
          expense.evidence.push_back(proof->seq);
          expense.detail = "expenses of " +
                           domain::Money::Cents(proof->data.total_cents).ToString() +
                           " certified " + proof->data.certified_at.ToString() + " by the " +
                           std::string(domain::ToString(proof->data.certified_by));
        } else {
          expense.detail = "no certified expense statement";
        }
        check.conditions.push_back(expense);
        Result<domain::ProjectEntitlement> entitlement = FundedEntitlementOf(state, *p);
        const int64_t equipment = entitlement.ok() ? EquipmentCentsFor(*entitlement, listed) : 0;
        Condition within{
            "EQUIPMENT_WITHIN_EXPENSE",
            equipment == 0 || (proof != nullptr && equipment <= proof->data.equipment_cents),
            {},
            ""};
        if (proof != nullptr) within.evidence.push_back(proof->seq);
        within.detail =
            "equipment funding " + domain::Money::Cents(equipment).ToString() +
            (proof != nullptr ? ", certified equipment expense " +
                                    domain::Money::Cents(proof->data.equipment_cents).ToString()
                              : std::string());
        check.conditions.push_back(within);
        TargetsVerdict targets = GrappeTargets(state, p->campaign(), listed, at);
        if (targets.has_targets) {
          check.conditions.push_back(
              {"USAGE_TARGETS_MET", targets.met, targets.evidence, targets.detail});
        }
        // 2025: a qualifying period by the end of the convention in force (deadlines.h).
        if (convention != nullptr &&
            domain::DurationFor(p->campaign(), p->submission.kind).opposable) {
          const domain::Date end = ConventionEnd(*p, *convention);
          TargetsVerdict by_end =
              GrappeTargets(state, p->campaign(), listed, std::min(at, end), at);
          std::vector<uint64_t> evidence{convention->seq};
          evidence.insert(evidence.end(), by_end.evidence.begin(), by_end.evidence.end());
          check.conditions.push_back(
              {"WITHIN_CONVENTION_DURATION", by_end.met, std::move(evidence),
               "a qualifying period must end on or before " + end.ToString() + " (first signed " +
                   p->conventions.front().data.signed_at.ToString() + " + " +
                   std::to_string(convention->data.duration_months) + " months, else " +
                   "CONVENTION_EXPIRED): " + (by_end.met ? "met, " : "not met, ") + by_end.detail});
        }
      }
      int64_t paid = 0;
      Condition outstanding{"TRANCHE_OUTSTANDING", false, {}, ""};
      for (const auto* pay : part_payments) {
        if (pay->data.tranche == t.tranche && pay->data.paid_at <= at) {
          paid += pay->data.amount_cents;
          outstanding.evidence.push_back(pay->seq);
        }
      }
      check.amount_cents = std::max<int64_t>(0, t.amount.cents() - paid);
      if (prorata_cap.has_value()) {
        check.amount_cents =
            std::min(check.amount_cents, std::max<int64_t>(0, *prorata_cap - paid));
      }
      outstanding.met = convention != nullptr && check.amount_cents > 0;
      outstanding.detail =
          domain::Money::Cents(paid).ToString() + " of " + t.amount.ToString() + " (" +
          std::to_string(t.per_mille / 10) + " %, " + std::string(t.source) + ") paid" +
          (part.complement() ? " by region " + part.paying_region + " (" + part.detail + ")"
                             : std::string());
      check.conditions.push_back(std::move(outstanding));
      check.payable = std::all_of(check.conditions.begin(), check.conditions.end(),
                                  [](const Condition& c) { return c.met; });
      report.tranches.push_back(std::move(check));
    }
  }
  return report;
}

std::string ToJson(const CheckReport& r) {
  json tranches = json::array();
  for (const auto& t : r.tranches) {
    json conditions = json::array();
    for (const auto& c : t.conditions) {
      conditions.push_back(
          {{"code", c.code}, {"met", c.met}, {"evidence", c.evidence}, {"detail", c.detail}});
    }
    json tranche = {{"tranche", t.tranche},
                    {"payable", t.payable},
                    {"amountCents", t.amount_cents},
                    {"conditions", std::move(conditions)}};
    if (!t.paying_region.empty()) tranche["payingRegion"] = t.paying_region;
    tranches.push_back(std::move(tranche));
  }
  json out = {{"project", r.project},
              {"at", r.at.ToString()},
              {"tranches", std::move(tranches)},
              {"warnings", WarningsJson(r.warnings)}};
  return out.dump();
}

std::string ToText(const CheckReport& r) {
  std::string out = "project " + r.project + " as of " + r.at.ToString() + "\n";
  for (const auto& t : r.tranches) {
    out +=
        t.tranche +
        (t.paying_region.empty() ? std::string()
                                 : " (compl\u00e9ment de grappe, region " + t.paying_region + ")") +
        ": " + (t.payable ? "payable " : "not payable ") +
        domain::Money::Cents(t.amount_cents).ToString() + "\n";
    for (const auto& c : t.conditions) {
      out += std::string("  [") + (c.met ? "x" : " ") + "] " + c.code + ": " + c.detail +
             " (seqs " + Seqs(c.evidence) + ")\n";
    }
  }
  for (const auto& w : r.warnings) out += "warning " + w.code + ": " + w.message + "\n";
  return out;
}

// ---- history ----

Result<std::vector<uint64_t>> History(const ledger::Ledger& ledger, const ProgrammeState& state,
                                      std::string_view key) {
  if (state.FindProject(key) != nullptr) {
    return ledger.StreamSeqs("project/" + std::string(key));
  }
  Result<domain::Finess> finess = domain::Finess::Parse(key);
  if (!finess.ok()) {
    ASSIGN_OR_RETURN(std::vector<uint64_t> seqs, ledger.StreamSeqs("project/" + std::string(key)));
    if (seqs.empty()) {
      return Status::NotFound("UNKNOWN_PROJECT",
                              "\"" + std::string(key) + "\" is neither a project nor a FINESS");
    }
    return seqs;  // a voided project: its records remain
  }
  std::set<uint64_t> seqs;
  for (const auto& member : state.registry().Lineage(*finess)) {
    ASSIGN_OR_RETURN(std::vector<uint64_t> own, ledger.StreamSeqs("finess/" + member.finess.str()));
    seqs.insert(own.begin(), own.end());
    seqs.insert(member.change_seqs.begin(), member.change_seqs.end());
    if (const EstablishmentFacts* facts = state.registry().FindWithoutMeasurements(member.finess)) {
      for (const auto& link : facts->project_records) seqs.insert(link.seq);
    }
  }
  if (seqs.empty()) {
    return Status::NotFound("no record names " + finess->str());
  }
  return std::vector<uint64_t>(seqs.begin(), seqs.end());
}

}  // namespace esms::projections
