// The life of each project, from its submission to its expenses. See
// demo/internal/phases.h (LiveProjects).
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "demo/internal/phases.h"
#include "demo/internal/tables.h"
#include "domain/calendar.h"
#include "domain/duration.h"
#include "domain/entitlement.h"
#include "domain/money.h"

namespace esms::demo::internal {
namespace {

// The submission and committee dates (DOMAIN.md §1 windows).
void DrawDates(Rng& rng, Project& p, bool featured) {
  if (p.lapse) {  // early enough for its 6 months to end before the demo's today
    p.submitted = Between(rng, D(2025, 1, 20), D(2025, 1, 31));
    p.committee = p.submitted.AddDays(rng.Between(35, 60));
    return;
  }
  switch (p.campaign) {
    case Campaign::kAmorcage2021:
      p.submitted = Between(rng, D(2021, 2, 15), D(2021, 4, 28));
      p.committee = D(2021, 5, 20);
      break;
    case Campaign::kGeneralisation2023:
      p.submitted = featured ? Between(rng, D(2023, 1, 20), D(2023, 2, 28))
                             : Between(rng, D(2023, 1, 20), D(2023, 9, 8));
      p.committee = p.submitted.AddDays(rng.Between(35, 60));
      break;
    case Campaign::kGeneralisation2024:
      p.submitted = Between(rng, D(2024, 1, 20), D(2024, 9, 10));
      // 003 §8: Bretagne's committees of April, June and September.
      p.committee = p.submitted <= D(2024, 3, 31)   ? D(2024, 4, 11)
                    : p.submitted <= D(2024, 5, 31) ? D(2024, 6, 13)
                                                    : D(2024, 9, 26);
      break;
    default:
      p.submitted = Between(rng, D(2025, 1, 20), D(2025, 6, 30));
      p.committee = p.submitted.AddDays(rng.Between(35, 60));
      break;
  }
}

// SONS orders of upgrading establishments, before the submission (national); validated
// after Q1 2023 (003 §2.1) for the campaigns after 2023.
Status OrderSons(Plan& P, Rng& rng, const Project& p) {
  if (p.campaign == Campaign::kAmorcage2021) return Status::OK();
  for (int e : p.ests) {
    Est& est = P.est(e);
    if (est.acquisition || !rng.Chance(300)) continue;
    const Date ordered = Between(rng, D(2022, 2, 1), D(2022, 11, 30));
    std::optional<Date> validated;
    if (p.campaign != Campaign::kGeneralisation2023) {
      validated = Between(rng, D(2023, 4, 3), D(2023, 9, 29));
    }
    RETURN_IF_ERROR(AddSonsOrder(P, est, p.solution, ordered, validated));
  }
  return Status::OK();
}

// Amorçage: the usage the file announces (001 §3: the three métier rates and, here, two
// socle counts, over three months). Most porteurs announce what they will reach; the
// prorata showcase announces more (95 %, and as many messages as persons accompanied),
// so its deployment tranche is paid prorata (DOMAIN.md §5).
domain::UsageCommitments Commitments(const Plan& P, const Project& p, bool ambitious) {
  int64_t persons = 0;
  for (int e : p.ests) persons += P.est(e).persons;
  domain::UsageCommitments c;
  c.active_files_rate = ambitious ? 95 : 80;
  c.plan_rate = ambitious ? 95 : 80;
  c.agenda_rate = ambitious ? 95 : 80;
  c.mssante_messages = std::max<int64_t>(1, ambitious ? persons : persons / 2);
  c.dmp_documents = std::max<int64_t>(1, ambitious ? persons * 2 : persons / 2);
  return c;
}

Status Submit(Plan& P, const Project& p) {
  bool all_acq = true, all_upg = true;
  for (int e : p.ests) (P.est(e).acquisition ? all_upg : all_acq) = false;
  domain::ProjectSubmitted data;
  data.project = p.id;
  data.campaign = p.campaign;
  ASSIGN_OR_RETURN(data.porteur, P.PorteurOf(p.porteur));
  data.kind = all_acq   ? domain::ProjectKind::kAcquisition
              : all_upg ? domain::ProjectKind::kUsage
                        : domain::ProjectKind::kMixed;
  data.solution = P.SolutionOf(p.solution);
  RETURN_IF_ERROR(P.AppendEntries(p.ogs, p.ests, &data.organisations, &data.establishments));
  if (p.amoa) data.amoa_requested_cents = int64_t{100000} * 100;
  data.usage_commitments = p.commitments;
  data.submitted_at = p.submitted;
  P.Add(p.submitted, kPorteurRank, P.Porteurs(p.region), p.id + "/submitted", std::move(data));
  return Status::OK();
}

// A convention of `p` (its first, "/convention", or the amended one, "/convention-2")
// for `amount` over `ests`.
Status SignConvention(Plan& P, const Project& p, const std::string& suffix, Date signed_at,
                      int64_t amount, const std::vector<int>& ests) {
  domain::ConventionSigned data;
  data.project = p.id;
  data.signed_at = signed_at;
  data.amount_cents = amount;
  ASSIGN_OR_RETURN(data.establishments, P.FinessOf(ests));
  data.duration_months = p.duration;
  P.Add(signed_at, kInstructorRank, P.Instructor(p.region), p.id + suffix, std::move(data));
  return Status::OK();
}

void Pay(Plan& P, const Project& p, const std::string& suffix, domain::Tranche tranche,
         int64_t amount, Date paid, std::string reference) {
  P.Add(paid, kPayerRank, P.Payer(p.region), p.id + suffix,
        domain::PaymentIssued{p.id, tranche, amount, paid, std::move(reference), std::nullopt});
}

// Each establishment reports monthly from the month after its convention (the first
// report covers the quarter ending then), amorçage ones from January 2022.
void StartMeasurements(Plan& P, Rng& rng, const Project& p) {
  const int first_month = MonthOf(*p.convention) + 1;
  for (int e : p.ests) {
    Est& est = P.est(e);
    est.first_month =
        p.campaign == Campaign::kAmorcage2021 ? std::max(first_month, 2022 * 12) : first_month;
    est.climb_month = est.first_month;
    // An establishment that keeps its software (upgrade) already has active DUI files:
    // its porteur reports them from early 2022 (003 §4 B: as early as possible), flat
    // until the project deploys the Ségur version.
    if (!est.acquisition) {
      est.first_month = std::min(est.first_month, 2022 * 12 + rng.Int(0, 5));
    }
  }
}

// The featured grappe is quick and complete.
void Hurry(Est& est) {
  for (int& s : est.step) s = std::max(s, 70);
}

// One establishment of a laggard grappe never reaches MSSanté or DMP.
void SlowDown(Plan& P, Rng& rng, const Project& p) {
  Est& slow = P.est(p.ests[rng.Index(p.ests.size())]);
  // The rate is drawn before the indicator (the order of the first demo's
  // `final[Chance(500) ? 3 : 4] = Between(480, 660)`: C++17 evaluates the right first).
  const int final_rate = rng.Int(480, 660);
  slow.final[rng.Chance(500) ? 3 : 4] = final_rate;
  ++P.summary.never_reaching_grappes;
}

// A grappe extension (002 complément de grappe), its amended convention, and the
// advance's top-up to 50 % of the amended amount (000 §4.5.1).
Status Extend(Plan& P, Rng& rng, Project& p, int i) {
  std::vector<int>& pool = P.pool_by_region[static_cast<size_t>(p.region)];
  // The featured project's complement comes from the neighbour region (issue 13 item 14:
  // paid by that region's ARS).
  const bool cross = i == P.featured && !P.neighbour_ogs.empty();
  const bool extend = p.campaign != Campaign::kAmorcage2021 && !p.laggard &&
                      (cross || !pool.empty()) && (i == P.featured || rng.Chance(150));
  if (!extend) return Status::OK();
  const Date ext = p.convention->AddDays(rng.Between(60, 100));
  const Date amended = ext.AddDays(rng.Between(14, 40));
  if (amended > P.today) return Status::OK();
  int og = 0;
  if (cross) {
    og = P.neighbour_ogs.front();
    p.ext_region = P.neighbour;
  } else {
    og = pool.back();
    pool.pop_back();
  }
  const int paying = cross ? P.neighbour : p.region;
  p.ext_ogs.push_back(og);
  for (int e : P.og(og).ests) {
    Est& est = P.est(e);
    est.project = i;
    est.extension = true;
    est.acquisition = rng.Chance(600);
    est.first_month = MonthOf(ext) + 1;
    est.climb_month = est.first_month;
    if (i == P.featured) Hurry(est);
    p.ext_ests.push_back(e);
  }
  domain::GrappeExtended data;
  data.project = p.id;
  data.extended_at = ext;
  data.porteur_agreement = true;
  ASSIGN_OR_RETURN(data.paying_region, domain::Region::Parse(P.RegionCode(paying)));
  RETURN_IF_ERROR(
      P.AppendEntries(p.ext_ogs, p.ext_ests, &data.organisations, &data.establishments));
  p.extended = ext;
  P.Add(ext, kInstructorRank, P.Instructor(p.region), p.id + "/extension-1", std::move(data));
  ASSIGN_OR_RETURN(domain::ProjectEntitlement ent, P.Entitlement(p, true));
  p.amended = amended;
  p.amended_amount = ent.total.cents();
  std::vector<int> all = p.ests;
  all.insert(all.end(), p.ext_ests.begin(), p.ext_ests.end());
  RETURN_IF_ERROR(SignConvention(P, p, "/convention-2", amended, p.amended_amount, all));
  ++P.summary.extensions;
  const int64_t share = domain::PaymentSchedule(p.campaign, domain::Money::Cents(p.amended_amount))
                            .front()
                            .amount.cents();
  const Date top_up = amended.AddDays(rng.Between(14, 30));
  // 2025: no advance after the contractual end (002; issue 13 item 22).
  const bool in_time = p.campaign != Campaign::kGeneralisation2025 ||
                       top_up <= domain::DurationEnd(*p.convention, p.duration);
  if (p.advance.has_value() && share > p.advance_cents && top_up <= P.today && in_time) {
    // A complement of another region is paid by that region's ARS, up to its own
    // entitlement (002; DOMAIN.md §7): the top-up of the advance.
    std::optional<domain::Region> paying_region;
    if (cross) {
      ASSIGN_OR_RETURN(paying_region, domain::Region::Parse(P.RegionCode(paying)));
    }
    const int64_t n = rng.Between(1, 99999);
    std::string reference =
        cross ? fmt::format("ARS{}-{}-{:05d}", P.RegionCode(paying), top_up.year(), n)
              : P.PaymentReference(p, top_up, n);
    P.Add(top_up, kPayerRank, P.Payer(paying), p.id + "/advance-2",
          domain::PaymentIssued{p.id, domain::Tranche::kAdvance, share - p.advance_cents, top_up,
                                std::move(reference), std::move(paying_region)});
    if (cross) p.complement_advance_cents = share - p.advance_cents;
    p.advance_cents = share;
  }
  return Status::OK();
}

// Expenses at the end of the project, certified (000 §4.5, 003 §3.4).
Status CertifyExpenses(Plan& P, Rng& rng, Project& p) {
  ASSIGN_OR_RETURN(domain::ProjectEntitlement ent, P.Entitlement(p, p.amended.has_value()));
  for (const auto& line : ent.lines) p.equipment_cents += line.small_og_equipment.cents();
  Date certified = p.convention->AddMonths(p.duration).AddDays(rng.Between(0, 45));
  // The lapsing project certifies its expenses on its last day; its balance is refused
  // (CONVENTION_EXPIRED, attempts.cc).
  if (p.lapse) certified = domain::DurationEnd(*p.convention, p.duration);
  if (certified > P.today || !p.advance.has_value()) return Status::OK();
  p.expenses = certified;
  const int64_t grant = p.grant();
  domain::ExpensesCertified data;
  data.project = p.id;
  data.total_cents = grant + grant / 100 * rng.Between(5, 30);
  data.equipment_cents = p.equipment_cents + p.equipment_cents / 10;
  data.certified_by =
      rng.Chance(500) ? domain::Certifier::kPublicAccountant : domain::Certifier::kStatutoryAuditor;
  data.certified_at = certified;
  P.Add(certified, kPorteurRank, P.Porteurs(p.region), p.id + "/expenses", std::move(data));
  return Status::OK();
}

// From the selection on: convention, measurements, advances, extension, expenses.
Status LiveSelectedProject(Plan& P, Rng& rng, Project& p, int i) {
  P.Add(p.committee, kInstructorRank, P.Instructor(p.region), p.id + "/selected",
        domain::ProjectSelected{p.id, p.committee});
  const Date conv = p.committee.AddDays(rng.Between(30, 75));
  if (conv > P.today) return Status::OK();
  p.convention = conv;
  bool all_upg = true;
  for (int e : p.ests) all_upg = all_upg && !P.est(e).acquisition;
  p.duration = (p.campaign == Campaign::kGeneralisation2025 && all_upg) ? 6 : all_upg ? 9 : 18;
  ASSIGN_OR_RETURN(domain::ProjectEntitlement ent, P.Entitlement(p, false));
  p.amount = ent.total.cents();
  RETURN_IF_ERROR(SignConvention(P, p, "/convention", conv, p.amount, p.ests));
  const std::vector<domain::TrancheAmount> schedule =
      domain::PaymentSchedule(p.campaign, domain::Money::Cents(p.amount));
  StartMeasurements(P, rng, p);
  if (i == P.featured) {
    for (int e : p.ests) Hurry(P.est(e));
  }
  if (p.laggard) SlowDown(P, rng, p);
  const Date adv = conv.AddDays(rng.Between(14, 45));
  if (adv <= P.today) {
    p.advance = adv;
    p.advance_cents = schedule.front().amount.cents();
    Pay(P, p, "/advance", domain::Tranche::kAdvance, p.advance_cents, adv,
        P.PaymentReference(p, adv, rng.Between(1, 99999)));
  }
  // Amorçage: 40 % more at the end of parametrisation (001).
  if (p.campaign == Campaign::kAmorcage2021 && p.advance.has_value()) {
    const Date param = conv.AddMonths(8).AddDays(rng.Between(0, 20));
    if (param <= P.today) {
      p.parametrisation = param;
      p.param_cents = schedule[1].amount.cents();
      // 001: « dès la réception de la facture de la fin du paramétrage ».
      const Date invoiced = param.AddDays(-7);
      P.Add(invoiced, kPorteurRank, P.Porteurs(p.region), p.id + "/invoice-parametrisation",
            domain::InvoiceReceived{p.id, domain::Tranche::kParametrisation, p.param_cents,
                                    invoiced, fmt::format("FAC-{}-P", p.id)});
      Pay(P, p, "/parametrisation", domain::Tranche::kParametrisation, p.param_cents, param,
          P.PaymentReference(p, param, rng.Between(1, 99999)));
    }
  }
  RETURN_IF_ERROR(Extend(P, rng, p, i));
  return CertifyExpenses(P, rng, p);
}

int CampaignYear(Campaign campaign) {
  switch (campaign) {
    case Campaign::kAmorcage2021:
      return 2021;
    case Campaign::kGeneralisation2023:
      return 2023;
    case Campaign::kGeneralisation2024:
      return 2024;
    default:
      return 2025;
  }
}

}  // namespace

Status LiveProjects(Plan& P, Rng& rng) {
  std::map<std::pair<int, int>, int> serials;  // (region, year) -> last serial
  for (int i = 0; i < static_cast<int>(P.projects.size()); ++i) {
    Project& p = P.project(i);
    const int year = CampaignYear(p.campaign);
    p.id = fmt::format("{}-{}-{:04d}", P.Slug(p.region), year, ++serials[{p.region, year}]);
    if (p.campaign == Campaign::kAmorcage2021) p.commitments = Commitments(P, p, i == P.prorata);
    DrawDates(rng, p, i == P.featured);
    RETURN_IF_ERROR(OrderSons(P, rng, p));
    RETURN_IF_ERROR(Submit(P, p));
    if (p.rejected) {
      P.Add(p.committee, kInstructorRank, P.Instructor(p.region), p.id + "/rejected",
            domain::ProjectRejected{p.id, rng.Pick(RejectionReasons())});
      continue;
    }
    RETURN_IF_ERROR(LiveSelectedProject(P, rng, p, i));
  }
  return Status::OK();
}

}  // namespace esms::demo::internal
