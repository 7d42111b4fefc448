// The attempts the programme rules refuse, each with its code. See
// demo/internal/phases.h (DrawRefusedAttempts).
#include <algorithm>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "demo/internal/phases.h"
#include "demo/internal/tables.h"
#include "domain/calendar.h"
#include "domain/duration.h"

namespace esms::demo::internal {
namespace {

const char* Product(int solution) { return Solutions()[static_cast<size_t>(solution)].product; }

// The attempts' context: the featured project's region ("home"), its late date, and the
// fillers: establishments no project funds and with no facts (free ones, then those of
// the rejected project), so that an attempted submission is a grappe of 15 ESSMS whose
// only fault is the one it demonstrates.
struct Context {
  const Project& feat;
  const Project& lag;
  const Project& rej;
  int home;
  std::string slug;
  Date late;
  std::vector<int> free_ests;
  std::vector<int> fillers;
};

Context ContextOf(const Plan& P) {
  Context c{P.project(P.featured),
            P.project(P.laggard),
            P.project(P.rejected),
            P.project(P.featured).region,
            "",
            P.today.AddDays(-20),
            {},
            {}};
  c.slug = P.Slug(c.home);
  c.free_ests = P.FreeEstablishments(c.home);
  for (size_t k = 4; k < c.free_ests.size(); ++k) {
    const Est& e = P.est(c.free_ests[k]);
    if (!e.sons && !e.eu_funded && !e.merged_away) c.fillers.push_back(c.free_ests[k]);
  }
  for (int e : c.rej.ests) {
    if (!P.est(e).sons) c.fillers.push_back(e);
  }
  return c;
}

// The submission `id` of a grappe of 15: `est`, listed as `listed_finess`, and fillers,
// all in acquisition (or all keeping their software, `upgrade`), carried by est's OG.
// A FINESS whose key is wrong is no domain::Finess: when `listed_finess` is not est's
// own number, the event is built with est's number and its line then edited to list
// `listed_finess` instead, as a user's typo would.
Result<std::string> Submission(
    const Plan& P, const Context& c, const std::string& id, Campaign campaign, Date at,
    const Est& est, int solution, bool upgrade, const std::string& listed_finess,
    const std::function<void(domain::ProjectSubmitted&)>& edit = nullptr) {
  std::vector<const Est*> listed{&est};
  for (int f : c.fillers) {
    if (listed.size() >= 15) break;
    if (P.est(f).finess != listed_finess) listed.push_back(&P.est(f));
  }
  domain::ProjectSubmitted data;
  data.project = id;
  data.campaign = campaign;
  ASSIGN_OR_RETURN(data.porteur, P.PorteurOf(est.og));
  data.kind = upgrade ? domain::ProjectKind::kUsage : domain::ProjectKind::kAcquisition;
  data.solution = P.SolutionOf(solution);
  std::vector<int> og_list;
  for (const Est* e : listed) {
    if (std::find(og_list.begin(), og_list.end(), e->og) == og_list.end()) {
      og_list.push_back(e->og);
      ASSIGN_OR_RETURN(domain::OrganisationEntry entry, P.OrganisationOf(e->og));
      data.organisations.push_back(std::move(entry));
    }
    ASSIGN_OR_RETURN(domain::EstablishmentEntry entry, P.EstablishmentOf(*e));
    entry.situation = upgrade ? domain::Situation::kUpgrade : domain::Situation::kAcquisition;
    data.establishments.push_back(std::move(entry));
  }
  data.submitted_at = at;
  if (edit) edit(data);
  std::string json = EventJson(id + "/submitted", at, std::move(data));
  if (listed_finess != est.finess) {
    // The first "finess" key is establishments[0]'s (the porteur and organisations
    // name theirs "finessEj").
    const std::string real = "\"finess\":\"" + est.finess + "\"";
    json.replace(json.find(real), real.size(), "\"finess\":\"" + listed_finess + "\"");
  }
  return json;
}

Status AddSubmission(Plan& P, const Context& c, const std::string& id, Campaign campaign, Date at,
                     const Est& est, int solution, std::string expected_code, std::string what,
                     bool upgrade = false) {
  ASSIGN_OR_RETURN(std::string json,
                   Submission(P, c, id, campaign, at, est, solution, upgrade, est.finess));
  P.attempts.push_back({P.Porteurs(c.home), id + "/submitted", std::move(json),
                        std::move(expected_code), std::move(what)});
  return Status::OK();
}

void AddPayment(Plan& P, const std::string& signer, const Project& p, const std::string& suffix,
                domain::Tranche tranche, int64_t amount, Date at, std::string reference,
                std::string expected_code, std::string what) {
  const std::string id = p.id + suffix;
  P.attempts.push_back({signer, id,
                        EventJson(id, at,
                                  domain::PaymentIssued{p.id, tranche, amount, at,
                                                        std::move(reference), std::nullopt}),
                        std::move(expected_code), std::move(what)});
}

// 1. A second DUI for an establishment the featured project already funds.
Status SecondDui(Plan& P, const Context& c) {
  int funded_index = c.feat.ests.front();
  for (int e : c.feat.ests) {
    if (P.est(e).new_finess.empty()) {
      funded_index = e;
      break;
    }
  }
  const Est& funded = P.est(funded_index);
  const int other = (c.feat.solution + 1) % static_cast<int>(Solutions().size());
  return AddSubmission(
      P, c, c.slug + "-2025-9001", Campaign::kGeneralisation2025, c.late, funded, other,
      "NONCUMUL_SECOND_DUI",
      fmt::format("fund {} a second DUI ({}), though project {} funds {}", funded.finess,
                  Product(other), c.feat.id, Product(c.feat.solution)));
}

// 2. An acquisition after a SONS order.
Status AcquisitionAfterSons(Plan& P, const Context& c) {
  const Est& sons = P.est(c.free_ests[0]);
  const int other = (sons.sons_solution + 1) % static_cast<int>(Solutions().size());
  return AddSubmission(P, c, c.slug + "-2025-9002", Campaign::kGeneralisation2025, c.late, sons,
                       other, "NONCUMUL_SONS_ACQUISITION",
                       fmt::format("fund the acquisition of {} for {}, which ordered the "
                                   "Prestation Ségur (SONS) for {}",
                                   Product(other), sons.finess, Product(sons.sons_solution)));
}

// 3. A balance before the grappe met the targets.
void EarlyBalance(Plan& P, const Context& c) {
  const Project& lag = c.lag;
  AddPayment(P, P.Payer(lag.region), lag, "/balance-early", domain::Tranche::kBalance,
             lag.amount - lag.advance_cents, c.late, "ARS-EARLY-0001",
             !lag.advance.has_value()   ? "INVALID_TRANSITION"
             : lag.expenses.has_value() ? "TARGETS_NOT_MET"
                                        : "NO_EXPENSE_PROOF",
             fmt::format("pay the balance of {} while one of its establishments never reached "
                         "the usage targets (grappe solidarity, 002)",
                         lag.id));
}

// 12. An extension the porteur did not agree to.
Status ExtensionWithoutAgreement(Plan& P, const Context& c) {
  const Project& lag = c.lag;
  const Est& joining = P.est(c.fillers.back());
  domain::GrappeExtended data;
  data.project = lag.id;
  data.extended_at = c.late;
  data.porteur_agreement = false;
  ASSIGN_OR_RETURN(data.paying_region, domain::Region::Parse(P.RegionCode(lag.region)));
  ASSIGN_OR_RETURN(domain::OrganisationEntry og, P.OrganisationOf(joining.og));
  data.organisations.push_back(std::move(og));
  ASSIGN_OR_RETURN(domain::EstablishmentEntry et, P.EstablishmentOf(joining));
  data.establishments.push_back(std::move(et));
  const std::string id = lag.id + "/extension-no-agreement";
  P.attempts.push_back({P.Instructor(lag.region), id, EventJson(id, c.late, std::move(data)),
                        "EXTENSION_NO_AGREEMENT",
                        fmt::format("add {} to the grappe of {} without the initial porteur's "
                                    "agreement (002 complément de grappe)",
                                    joining.finess, lag.id)});
  return Status::OK();
}

// 13. A balance with no certified expenses: the first project that could ask for one.
void BalanceWithoutExpenses(Plan& P, const Context& c) {
  for (const Project& p : P.projects) {
    if (p.rejected || p.laggard || !p.advance.has_value() || p.expenses.has_value() ||
        p.campaign == Campaign::kAmorcage2021 || p.amended.has_value()) {
      continue;
    }
    AddPayment(P, P.Payer(p.region), p, "/balance-unproven", domain::Tranche::kBalance,
               p.amount - p.advance_cents, c.late, "ARS-NOPROOF-0001", "NO_EXPENSE_PROOF",
               fmt::format("pay the balance of {} before any certified statement of "
                           "its expenses (000 §4.5)",
                           p.id));
    return;
  }
}

// An extension of `p` by `joining` (its OG with it), paid by `paying`.
Status AddExtension(Plan& P, const Project& p, const std::string& suffix, Date at,
                    const Est& joining, int paying, std::string expected_code, std::string what) {
  domain::GrappeExtended data;
  data.project = p.id;
  data.extended_at = at;
  data.porteur_agreement = true;
  ASSIGN_OR_RETURN(data.paying_region, domain::Region::Parse(P.RegionCode(paying)));
  ASSIGN_OR_RETURN(domain::OrganisationEntry og, P.OrganisationOf(joining.og));
  data.organisations.push_back(std::move(og));
  ASSIGN_OR_RETURN(domain::EstablishmentEntry et, P.EstablishmentOf(joining));
  data.establishments.push_back(std::move(et));
  const std::string id = p.id + suffix;
  P.attempts.push_back({P.Instructor(p.region), id, EventJson(id, at, std::move(data)),
                        std::move(expected_code), std::move(what)});
  return Status::OK();
}

// Issue 13's attempts (items 7, 8, 10, 13, 14, 19).
Status SecondReadingAttempts(Plan& P, const Context& c) {
  // 7. Amorçage's deployment above its usage prorata, and without its invoice.
  if (P.prorata >= 0) {
    const Project& p = P.project(P.prorata);
    if (p.balance.has_value() && p.deployment_cents < p.deployment_tranche) {
      AddPayment(P, P.Payer(p.region), p, "/deployment-rest", domain::Tranche::kDeployment,
                 p.deployment_tranche - p.deployment_cents, P.today, "ARS-PRORATA-0001",
                 "USAGE_SHARE_EXCEEDED",
                 fmt::format("pay {} the rest of its deployment tranche ({} of {} paid): "
                             "above the prorata of the usage it announced (001 §3)",
                             p.id, domain::Money::Cents(p.deployment_cents).ToString(),
                             domain::Money::Cents(p.deployment_tranche).ToString()));
    }
  }
  if (P.no_invoice >= 0) {
    const Project& p = P.project(P.no_invoice);
    if (p.parametrisation.has_value()) {
      const int64_t tranche = domain::PaymentSchedule(p.campaign, domain::Money::Cents(p.grant()))
                                  .back()
                                  .amount.cents();
      AddPayment(P, P.Payer(p.region), p, "/deployment-uninvoiced", domain::Tranche::kDeployment,
                 tranche, c.late, "ARS-NOINV-0001", "NO_INVOICE",
                 fmt::format("pay the deployment tranche of {}, whose end-of-deployment "
                             "invoice never came (001: « dès … réception de la facture »)",
                             p.id));
    }
  }
  // 8. A 2025 balance after the convention's duration.
  if (P.lapse >= 0) {
    const Project& p = P.project(P.lapse);
    if (p.advance.has_value() && p.expenses.has_value()) {
      AddPayment(P, P.Payer(p.region), p, "/balance-late", domain::Tranche::kBalance,
                 p.amount - p.advance_cents, P.today, "ARS-LATE-0001", "CONVENTION_EXPIRED",
                 fmt::format("pay the balance of {} on {}: its {} months ended on {} with "
                             "no qualifying period (002)",
                             p.id, P.today.ToString(), p.duration,
                             domain::DurationEnd(*p.convention, p.duration).ToString()));
    }
  }
  // 10. A porteur attached to a national entity, without that entity's agreement.
  if (c.fillers.size() > 1) {
    const Est& est = P.est(c.fillers[1]);
    const std::string id = c.slug + "-2025-9007";
    ASSIGN_OR_RETURN(std::string json,
                     Submission(P, c, id, Campaign::kGeneralisation2025, c.late, est, 0, false,
                                est.finess, [](domain::ProjectSubmitted& d) {
                                  d.porteur.national_entity_agreement = false;
                                }));
    P.attempts.push_back({P.Porteurs(c.home), id + "/submitted", std::move(json),
                          "NATIONAL_AGREEMENT_MISSING",
                          "submit a file whose porteur belongs to a national entity that did not "
                          "give its written agreement (000/003 §B)"});
  }
  // 13. A complement after the balance.
  if (c.feat.balance.has_value() && !c.fillers.empty()) {
    const Est& joining = P.est(c.fillers.back());
    RETURN_IF_ERROR(AddExtension(P, c.feat, "/extension-after-balance", c.late, joining,
                                 c.feat.region, "INVALID_TRANSITION",
                                 fmt::format("add {} to {}, whose balance is paid (a complément "
                                             "needs a running project, 002)",
                                             joining.finess, c.feat.id)));
  }
  // 14. A complement of another region paid by the lead region.
  if (P.neighbour_ogs.size() > 1 && c.lag.convention.has_value()) {
    const Est& joining = P.est(P.og(P.neighbour_ogs[1]).ests.front());
    RETURN_IF_ERROR(AddExtension(
        P, c.lag, "/extension-wrong-payer", c.late, joining, c.lag.region, "PAYING_REGION_MISMATCH",
        fmt::format("add {} (region {}) to {} with region {} paying: the ARS of the added "
                    "ESSMS' region funds them (002)",
                    joining.finess, P.RegionCode(joining.region), c.lag.id,
                    P.RegionCode(c.lag.region))));
  }
  // 19. An ESSMS listed under its OG's FINESS EJ.
  if (c.fillers.size() > 2) {
    const Est& est = P.est(c.fillers[2]);
    const std::string& ej = P.og(est.og).finess_ej;
    const std::string id = c.slug + "-2025-9008";
    ASSIGN_OR_RETURN(std::string json, Submission(P, c, id, Campaign::kGeneralisation2025, c.late,
                                                  est, 0, false, ej));
    P.attempts.push_back({P.Porteurs(c.home), id + "/submitted", std::move(json), "FINESS_INVALID",
                          fmt::format("submit a file listing {} as an establishment: it is the "
                                      "FINESS EJ of its OG, not a FINESS géographique (002)",
                                      ej)});
  }
  return Status::OK();
}

}  // namespace

Status DrawRefusedAttempts(Plan& P) {
  const Context c = ContextOf(P);
  const Project& lag = c.lag;
  RETURN_IF_ERROR(SecondDui(P, c));
  if (!c.free_ests.empty()) RETURN_IF_ERROR(AcquisitionAfterSons(P, c));
  if (lag.convention.has_value()) EarlyBalance(P, c);
  if (c.free_ests.size() > 1) {  // 4. EU funds for the same acquisition.
    const Est& eu = P.est(c.free_ests[1]);
    RETURN_IF_ERROR(AddSubmission(P, c, c.slug + "-2025-9003", Campaign::kGeneralisation2025,
                                  c.late, eu, 0, "NONCUMUL_EU_FUNDS",
                                  fmt::format("fund the acquisition of a DUI for {}, whose "
                                              "acquisition already gets European funds",
                                              eu.finess)));
  }
  if (c.free_ests.size() > 3) {  // 5. A 2024 file after the window closed.
    RETURN_IF_ERROR(AddSubmission(P, c, c.slug + "-2024-9004", Campaign::kGeneralisation2024,
                                  D(2024, 10, 2), P.est(c.free_ests[3]), 0,
                                  "SUBMISSION_OUT_OF_WINDOW",
                                  "submit a généralisation-2024 file on 2024-10-02, after the "
                                  "window closed on 2024-09-15 (003 §8)"));
  }
  // 6. A payment for a rejected project.
  AddPayment(P, P.Payer(c.rej.region), c.rej, "/advance-rejected", domain::Tranche::kAdvance,
             5000000, c.late, "ARS-REJ-0001", "PAYMENT_BEFORE_CONVENTION",
             fmt::format("pay an advance to {}, a rejected project without convention", c.rej.id));
  // 7. A porteur signing a payment.
  AddPayment(P, P.Porteurs(c.home), c.feat, "/self-payment", domain::Tranche::kBalance, 100, c.late,
             "SELF-0001", "UNAUTHORIZED",
             "a porteur's key signs a payment to its own project (only an ARS payer may)");
  if (!c.free_ests.empty()) {  // 8. Usage funding after a Prestation Ségur validated in Q1 2023.
    const Est& sons = P.est(c.free_ests[0]);
    RETURN_IF_ERROR(AddSubmission(P, c, c.slug + "-2024-9005", Campaign::kGeneralisation2024,
                                  D(2024, 5, 21), sons, sons.sons_solution,
                                  "SONS_VALIDATED_TOO_EARLY",
                                  fmt::format("fund usage (2024) for {}, whose Prestation Ségur "
                                              "was validated before the end of Q1 2023 (003 §2.1)",
                                              sons.finess),
                                  /*upgrade=*/true));
  }
  if (!c.fillers.empty()) {  // 9. A FINESS number whose Luhn key is wrong.
    const Est& real = P.est(c.fillers.front());
    std::string typo = real.finess;
    typo.back() = typo.back() == '9' ? '0' : static_cast<char>(typo.back() + 1);
    const std::string id = c.slug + "-2025-9006";
    ASSIGN_OR_RETURN(std::string json, Submission(P, c, id, Campaign::kGeneralisation2025, c.late,
                                                  real, 0, false, typo));
    P.attempts.push_back({P.Porteurs(c.home), id + "/submitted", std::move(json), "FINESS_INVALID",
                          fmt::format("submit a file listing FINESS {} (a typo for {}: its Luhn "
                                      "key does not match)",
                                      typo, real.finess)});
  }
  if (lag.advance.has_value()) {
    // 10. An advance above its 50 % share.
    AddPayment(P, P.Payer(lag.region), lag, "/advance-again", domain::Tranche::kAdvance, 1000000,
               c.late, "ARS-ADV-0002", "ADVANCE_EXCEEDS_SHARE",
               fmt::format("pay {} a second advance of 10 000 € on top of its 50 % share "
                           "(000 §4.5.1)",
                           lag.id));
    // 11. A balance above what the convention grants.
    AddPayment(P, P.Payer(lag.region), lag, "/balance-over", domain::Tranche::kBalance,
               lag.amount - lag.advance_cents + 100000, c.late, "ARS-OVER-0001",
               "PAYMENT_EXCEEDS_GRANT",
               fmt::format("pay {} a balance 1 000 € above what its convention grants", lag.id));
  }
  if (lag.convention.has_value() && !c.fillers.empty()) {
    RETURN_IF_ERROR(ExtensionWithoutAgreement(P, c));
  }
  BalanceWithoutExpenses(P, c);
  return SecondReadingAttempts(P, c);
}

}  // namespace esms::demo::internal
