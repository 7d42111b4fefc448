#include "projections/queries.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "domain/calendar.h"
#include "domain/money.h"
#include "domain/rulebook.h"

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

}  // namespace

// ---- state ----

Result<ProjectView> ViewProject(const ProgrammeState& state, std::string_view id) {
  ASSIGN_OR_RETURN(const Project* p, FindOrError(state, id));
  ProjectView view;
  view.project = p->id();
  view.campaign = std::string(domain::CampaignId(p->campaign()));
  view.status = std::string(ToString(p->status()));
  std::vector<domain::Finess> in_convention = ConventionEstablishments(state, *p);
  Result<domain::ProjectEntitlement> entitlement = EntitlementOf(*p);
  for (size_t i = 0; i < p->establishments.size(); ++i) {
    const auto& e = p->establishments[i];
    EstablishmentView ev;
    ev.finess = e.entry.finess.str();
    ev.current_finess = state.registry().Resolve(e.entry.finess).str();
    ev.rank = static_cast<int>(i) + 1;
    ev.situation = std::string(domain::ToString(e.entry.situation));
    if (entitlement.ok()) {
      for (const auto& line : entitlement->lines) {
        if (line.finess == e.entry.finess) ev.entitlement_cents = line.total.cents();
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
    view.payments.push_back({pay.seq, std::string(domain::ToString(pay.data.tranche)),
                             pay.data.amount_cents, pay.data.paid_at.ToString()});
  }
  view.warnings = WarningsOf(state, *p);
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
    payments.push_back({{"seq", p.seq},
                        {"tranche", p.tranche},
                        {"amountCents", p.amount_cents},
                        {"paidAt", p.paid_at}});
  }
  json out = {{"project", v.project},
              {"campaign", v.campaign},
              {"status", v.status},
              {"establishments", std::move(establishments)},
              {"entitlementCents", v.entitlement_cents},
              {"conventionCents", v.convention_cents},
              {"paidCents", v.paid_cents},
              {"payments", std::move(payments)},
              {"warnings", WarningsJson(v.warnings)}};
  return out.dump();
}

std::string ToText(const ProjectView& v) {
  std::string out = "project " + v.project + " (" + v.campaign + "): " + v.status + "\n";
  for (const auto& e : v.establishments) {
    out += "  #" + std::to_string(e.rank) + " " + e.finess +
           (e.current_finess != e.finess ? " (now " + e.current_finess + ")" : "") + " " +
           e.situation + " " + domain::Money::Cents(e.entitlement_cents).ToString() +
           (e.in_convention ? "" : " (not in the convention)") + "\n";
  }
  out += "entitlement " + domain::Money::Cents(v.entitlement_cents).ToString() +
         ", convention " + domain::Money::Cents(v.convention_cents).ToString() + ", paid " +
         domain::Money::Cents(v.paid_cents).ToString() + "\n";
  for (const auto& p : v.payments) {
    out += "  payment seq " + std::to_string(p.seq) + ": " + p.tranche + " " +
           domain::Money::Cents(p.amount_cents).ToString() + " on " + p.paid_at + "\n";
  }
  for (const auto& w : v.warnings) {
    out += "warning " + w.code + ": " + w.message + " (seqs " + Seqs(w.seqs) + ")\n";
  }
  return out;
}

// ---- check ----

Result<CheckReport> CheckProject(const ProgrammeState& state, std::string_view id,
                                 domain::Date at) {
  ASSIGN_OR_RETURN(const Project* p, FindOrError(state, id));
  CheckReport report;
  report.project = p->id();
  report.at = at;
  report.warnings = WarningsOf(state, *p);
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
  std::vector<domain::TrancheAmount> schedule = domain::PaymentSchedule(p->campaign(), amount);
  std::vector<domain::Finess> listed = ConventionEstablishments(state, *p);

  Condition signed_condition{"CONVENTION_SIGNED", signed_by_then, {}, ""};
  if (convention != nullptr) {
    signed_condition.evidence.push_back(convention->seq);
    signed_condition.detail = "convention of " + amount.ToString() + " signed " +
                              convention->data.signed_at.ToString();
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

  for (size_t i = 0; i < schedule.size(); ++i) {
    const domain::TrancheAmount& t = schedule[i];
    TrancheCheck check;
    check.tranche = std::string(domain::ToString(t.tranche));
    check.conditions.push_back(signed_condition);
    if (i > 0) {
      Condition previous{"PREVIOUS_TRANCHE_PAID", false, {}, ""};
      for (const auto& pay : p->payments) {
        if (pay.data.tranche == schedule[i - 1].tranche && pay.data.paid_at <= at) {
          previous.met = true;
          previous.evidence.push_back(pay.seq);
        }
      }
      previous.detail = std::string(domain::ToString(schedule[i - 1].tranche)) +
                        (previous.met ? " paid" : " not paid");
      check.conditions.push_back(std::move(previous));
    }
    check.conditions.push_back(cumulation);
    if (i + 1 == schedule.size()) {
      const Fact<domain::ExpensesCertified>* proof = nullptr;
      for (const auto& e : p->expenses) {
        if (e.data.certified_at <= at) proof = &e;
      }
      Condition expense{"EXPENSE_PROOF", proof != nullptr, {}, ""};
      if (proof != nullptr) {
        expense.evidence.push_back(proof->seq);
        expense.detail = "expenses of " + domain::Money::Cents(proof->data.total_cents).ToString() +
                         " certified " + proof->data.certified_at.ToString() + " by the " +
                         std::string(domain::ToString(proof->data.certified_by));
      } else {
        expense.detail = "no certified expense statement";
      }
      check.conditions.push_back(expense);
      Result<domain::ProjectEntitlement> entitlement = EntitlementOf(*p);
      const int64_t equipment = entitlement.ok() ? EquipmentCentsFor(*entitlement, listed) : 0;
      Condition within{"EQUIPMENT_WITHIN_EXPENSE",
                       equipment == 0 ||
                           (proof != nullptr && equipment <= proof->data.equipment_cents),
                       {},
                       ""};
      if (proof != nullptr) within.evidence.push_back(proof->seq);
      within.detail = "equipment funding " + domain::Money::Cents(equipment).ToString() +
                      (proof != nullptr ? ", certified equipment expense " +
                                              domain::Money::Cents(proof->data.equipment_cents)
                                                  .ToString()
                                        : std::string());
      check.conditions.push_back(within);
      TargetsVerdict targets = GrappeTargets(state, p->campaign(), listed, at);
      if (targets.has_targets) {
        check.conditions.push_back(
            {"USAGE_TARGETS_MET", targets.met, targets.evidence, targets.detail});
      }
    }
    int64_t paid = 0;
    Condition outstanding{"TRANCHE_OUTSTANDING", false, {}, ""};
    for (const auto& pay : p->payments) {
      if (pay.data.tranche == t.tranche && pay.data.paid_at <= at) {
        paid += pay.data.amount_cents;
        outstanding.evidence.push_back(pay.seq);
      }
    }
    check.amount_cents = std::max<int64_t>(0, t.amount.cents() - paid);
    outstanding.met = convention != nullptr && check.amount_cents > 0;
    outstanding.detail = domain::Money::Cents(paid).ToString() + " of " + t.amount.ToString() +
                         " (" + std::to_string(t.per_mille / 10) + " %, " +
                         std::string(t.source) + ") paid";
    check.conditions.push_back(std::move(outstanding));
    check.payable = std::all_of(check.conditions.begin(), check.conditions.end(),
                                [](const Condition& c) { return c.met; });
    report.tranches.push_back(std::move(check));
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
    tranches.push_back({{"tranche", t.tranche},
                        {"payable", t.payable},
                        {"amountCents", t.amount_cents},
                        {"conditions", std::move(conditions)}});
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
    out += t.tranche + ": " + (t.payable ? "payable " : "not payable ") +
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
