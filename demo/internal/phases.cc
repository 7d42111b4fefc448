// The phases of the plan but the projects' lives and the attempts. See
// demo/internal/phases.h.
#include "demo/internal/phases.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "demo/internal/tables.h"
#include "domain/calendar.h"
#include "domain/duration.h"
#include "domain/entitlement.h"
#include "domain/usage_prorata.h"

namespace esms::demo::internal {
namespace {

int DrawCategory(Rng& rng) {
  int x = rng.Int(0, 999);
  for (size_t i = 0; i < Categories().size(); ++i) {
    if (x < Categories()[i].weight) return static_cast<int>(i);
    x -= Categories()[i].weight;
  }
  return 0;
}

// An establishment's FINESS, category, name, size and SAAD hours, once its region,
// département and OG are set.
Status DrawEstablishment(Plan& P, Rng& rng, Est& e) {
  ASSIGN_OR_RETURN(e.finess, P.NewFiness(e.dept, false));
  e.category = DrawCategory(rng);
  const Category& c = Categories()[static_cast<size_t>(e.category)];
  // Two draws: sequenced (a function's arguments are evaluated in an unspecified order,
  // which g++ and clang choose differently), the town first as g++ did.
  const std::string town = P.Town(rng, e.dept);
  e.name = fmt::format("{} {} ({})", c.name, rng.Pick(HouseNames()), town);
  e.persons = rng.Between(c.persons_min, c.persons_max);
  if (c.saad) {
    e.saad_total = rng.Between(15, 80) * 1000;
    e.saad_eligible = e.saad_total * rng.Between(60, 100) / 100;
  }
  return Status::OK();
}

// OG sizes: many small OGs, a few large ones (20-80 ESSMS).
int DrawOgSize(Rng& rng) {
  const int x = rng.Int(0, 999);
  return x < 560   ? rng.Int(1, 3)
         : x < 860 ? rng.Int(4, 10)
         : x < 960 ? rng.Int(11, 19)
                   : rng.Int(20, 80);
}

std::string DrawOgName(Rng& rng, int size, const std::string& dept, const std::string& town) {
  if (size >= 20) {
    return rng.Chance(500)
               ? "Fondation " + rng.Pick(AssociationNames())
               : "Association départementale " + rng.Pick(AssociationNames()) + " (" + dept + ")";
  }
  if (size >= 4) {
    return rng.Chance(300) ? "Mutualité " + town : "Association " + rng.Pick(AssociationNames());
  }
  const int y = rng.Int(0, 2);
  return y == 0   ? "CCAS de " + town
         : y == 1 ? "ADMR " + town
                  : "Association " + rng.Pick(AssociationNames()) + " " + town;
}

// The OGs of one region in a drawn order: the free ones and the extension pool set
// apart, the others cut into grappes of 9-22 ESSMS (about 1 400 projects nationally,
// with the large OGs' own projects).
std::vector<std::vector<int>> DrawRegionGrappes(Plan& P, Rng& rng, int r) {
  std::vector<int> order;
  for (size_t i = 0; i < P.ogs.size(); ++i) {
    if (P.ogs[i].region == r) order.push_back(static_cast<int>(i));
  }
  rng.Shuffle(order);
  std::vector<int> in_grappes;
  int free_count = 0, pool_count = 0;
  const int free_min = std::max<int>(3, static_cast<int>(order.size()) / 12);
  const int pool_min = std::max<int>(2, static_cast<int>(order.size()) / 40);
  for (int og : order) {
    Og& o = P.og(og);
    if (free_count < free_min && o.ests.size() <= 10) {
      o.role = Og::Role::kFree;
      ++free_count;
      P.free_by_region[static_cast<size_t>(r)].push_back(og);
    } else if (pool_count < pool_min && o.ests.size() <= 5) {
      o.role = Og::Role::kExtensionPool;
      ++pool_count;
      P.pool_by_region[static_cast<size_t>(r)].push_back(og);
    } else {
      in_grappes.push_back(og);
    }
  }
  std::vector<std::vector<int>> grappes;
  std::vector<int> current;
  int current_size = 0;
  int wanted = rng.Int(9, 22);
  for (int og : in_grappes) {
    const int size = static_cast<int>(P.og(og).ests.size());
    if (size >= 20) {  // a large OG carries its own project
      grappes.push_back({og});
      continue;
    }
    current.push_back(og);
    current_size += size;
    if (current_size >= wanted && current.size() >= 3) {
      grappes.push_back(current);
      current.clear();
      current_size = 0;
      wanted = rng.Int(9, 22);
    }
  }
  if (!current.empty()) {
    if (current_size >= 8 || grappes.empty()) {
      grappes.push_back(current);
    } else {
      grappes.back().insert(grappes.back().end(), current.begin(), current.end());
    }
  }
  return grappes;
}

// Project i's campaign (featured, laggard and rejected forced in a region).
Campaign DrawCampaign(Rng& rng, int i, bool national, int n, size_t distinct_ogs) {
  int x = rng.Int(0, 999);
  if (i == 0 && !national) x = 200;  // featured: généralisation 2023
  if (i == 1 && !national) x = 200;  // laggard: généralisation 2023
  if (i == 2 && !national) x = 500;  // rejected: généralisation 2024
  if (x < 60 && n >= 15 && n <= 30 && distinct_ogs >= 3) return Campaign::kAmorcage2021;
  if (x < 330) return Campaign::kGeneralisation2023;
  // Small grappes go to 2024. (The first guard refused a 2025 grappe under 15 ESSMS;
  // since issue 13 item 1 it is a warning, but the draws stay as they were.)
  if (x < 680 || n < 15) return Campaign::kGeneralisation2024;
  return Campaign::kGeneralisation2025;
}

}  // namespace

void ChooseRegionsAndKeys(Plan& P) {
  for (size_t i = 0; i < Regions().size(); ++i) {
    if (P.national || std::string_view(Regions()[i].code) == P.options.region) {
      P.regions.push_back(static_cast<int>(i));
    }
  }
  P.keys.push_back({"admin", {"admin"}, {}});
  P.keys.push_back({"national", {"national"}, {}});
  for (int r : P.regions) {
    P.keys.push_back({P.Instructor(r), {"ars-instructor"}, {P.RegionCode(r)}});
    P.keys.push_back({P.Payer(r), {"ars-payer"}, {P.RegionCode(r)}});
    P.keys.push_back({P.Porteurs(r), {"porteur"}, {P.RegionCode(r)}});
  }
  P.keys.push_back({"auditor", {"auditor"}, {}});
}

Status DrawOrganisations(Plan& P, Rng& rng, int target) {
  if (!P.national && P.options.region == "52") {
    // Bretagne's demo (the default) numbers the ESSMS of its neighbour, Pays de la
    // Loire, from the start of each département's range: a Pays de la Loire demo starts
    // its own at 10 000, so that the two ledgers never share an ESSMS by accident.
    for (int r : P.regions) {
      for (const std::string& dept : Regions()[static_cast<size_t>(r)].departements) {
        P.dept_serial[dept + "/et"] = 10000;
        P.dept_serial[dept + "/ej"] = 10000;
      }
    }
  }
  int weight_total = 0;
  for (int r : P.regions) weight_total += Regions()[static_cast<size_t>(r)].weight;
  for (int r : P.regions) {
    const RegionInfo& info = Regions()[static_cast<size_t>(r)];
    const int quota = P.national ? std::max(40, target * info.weight / weight_total) : target;
    int made = 0;
    while (made < quota) {
      int size = std::min(DrawOgSize(rng), quota - made);
      if (quota - made - size < 3 && quota - made - size > 0) size = quota - made;
      Og og;
      og.region = r;
      og.dept = rng.Pick(info.departements);
      ASSIGN_OR_RETURN(og.finess_ej, P.NewFiness(og.dept, true));
      ASSIGN_OR_RETURN(og.siret, P.NewSiret(rng));
      const std::string town = P.Town(rng, og.dept);
      og.name = DrawOgName(rng, size, og.dept, town);
      const int og_index = static_cast<int>(P.ogs.size());
      for (int i = 0; i < size; ++i) {
        Est e;
        e.og = og_index;
        e.region = r;
        e.dept = size >= 20 ? rng.Pick(info.departements) : og.dept;
        RETURN_IF_ERROR(DrawEstablishment(P, rng, e));
        og.ests.push_back(static_cast<int>(P.ests.size()));
        P.ests.push_back(std::move(e));
      }
      made += size;
      P.ogs.push_back(std::move(og));
    }
  }
  return Status::OK();
}

void DrawGrappes(Plan& P, Rng& rng) {
  P.free_by_region.assign(Regions().size(), {});
  P.pool_by_region.assign(Regions().size(), {});
  for (int r : P.regions) {
    for (std::vector<int>& grappe : DrawRegionGrappes(P, rng, r)) {
      Project p;
      p.region = r;
      p.ogs = std::move(grappe);
      // The largest OG carries the project.
      std::sort(p.ogs.begin(), p.ogs.end(), [&](int a, int b) {
        return std::make_tuple(-static_cast<int>(P.og(a).ests.size()), a) <
               std::make_tuple(-static_cast<int>(P.og(b).ests.size()), b);
      });
      p.porteur = p.ogs.front();
      for (int og : p.ogs) {
        for (int e : P.og(og).ests) p.ests.push_back(e);
      }
      P.projects.push_back(std::move(p));
    }
  }
}

Status DrawCampaigns(Plan& P, Rng& rng) {
  const int n_projects = static_cast<int>(P.projects.size());
  if (n_projects < 3) return Status::BadInput("too few establishments for three projects");
  for (int i = 0; i < n_projects; ++i) {
    Project& p = P.project(i);
    const std::set<int> og_set(p.ogs.begin(), p.ogs.end());
    p.campaign = DrawCampaign(rng, i, P.national, static_cast<int>(p.ests.size()), og_set.size());
    if (P.featured < 0 && p.campaign == Campaign::kGeneralisation2023) {
      P.featured = i;
    } else if (P.laggard < 0 && p.campaign == Campaign::kGeneralisation2023) {
      P.laggard = i;
      p.laggard = true;
    } else if (P.rejected < 0 && p.campaign == Campaign::kGeneralisation2024) {
      P.rejected = i;
      p.rejected = true;
    } else {
      p.rejected = rng.Chance(60);
      p.laggard = !p.rejected && rng.Chance(110);
    }
    p.solution = static_cast<int>(rng.Index(Solutions().size()));
    // Situations: amorçage projects are acquisition or conformity, never both (001).
    const bool amorcage = p.campaign == Campaign::kAmorcage2021;
    // About half the ESSMS acquire a DUI; the others upgrade the one they use (and report
    // its usage from 2022 on).
    const int acq_share = rng.Int(15, 85);
    for (int e : p.ests) {
      Est& est = P.est(e);
      est.project = i;
      est.acquisition = amorcage || rng.Between(0, 99) < acq_share;
    }
    const RegionInfo& region = Regions()[static_cast<size_t>(p.region)];
    const bool overseas_or_corsica = region.code[0] == '0' || std::string_view(region.code) == "94";
    int small_ogs = 0;
    for (int og : p.ogs) {
      if (!domain::IsSmallOg(p.campaign, static_cast<int64_t>(P.og(og).ests.size()),
                             overseas_or_corsica)) {
        continue;
      }
      ++small_ogs;
      for (int e : P.og(og).ests) {
        Est& est = P.est(e);
        if (est.acquisition && rng.Chance(700)) est.quote_cents = rng.Between(40, 250) * 10000;
      }
    }
    p.amoa = !amorcage && small_ogs >= 3 && p.campaign != Campaign::kGeneralisation2025;
  }
  // Issue 13's showcases: two amorçage projects (the first paid prorata of its announced
  // usage, the second without its end-of-deployment invoice), a 2025 project that lapses.
  for (int i = 0; i < n_projects; ++i) {
    Project& p = P.project(i);
    if (p.rejected || i == P.featured || i == P.laggard) continue;
    if (p.campaign == Campaign::kAmorcage2021) {
      if (P.prorata < 0) {
        P.prorata = i;
      } else if (P.no_invoice < 0) {
        P.no_invoice = i;
      }
    } else if (p.campaign == Campaign::kGeneralisation2025 && P.lapse < 0) {
      // Every ESSMS keeps its software (usage: 6 months, 002) and one never reaches the
      // targets.
      P.lapse = i;
      p.lapse = true;
      p.laggard = true;
      for (int e : p.ests) {
        P.est(e).acquisition = false;
        P.est(e).quote_cents = 0;
      }
    }
  }
  if (P.featured < 0 || P.laggard < 0 || P.rejected < 0) {
    return Status::BadInput(
        "the drawn programme lacks a featured, a laggard or a rejected project");
  }
  return Status::OK();
}

Status DrawNeighbourOgs(Plan& P, Rng& rng) {
  const int home = P.project(P.featured).region;
  for (size_t i = 0; i < Regions().size() && P.neighbour < 0; ++i) {
    const int r = static_cast<int>(i);
    if (r == home) continue;
    if (P.national
            ? std::find(P.regions.begin(), P.regions.end(), r) != P.regions.end()
            : std::string_view(Regions()[i].code) == (P.options.region == "52" ? "53" : "52")) {
      P.neighbour = r;
    }
  }
  if (P.neighbour < 0) return Status::BadInput("no region next to the featured project's");
  if (std::find(P.regions.begin(), P.regions.end(), P.neighbour) == P.regions.end()) {
    // Region scale: the neighbour's payer and porteurs sign its ESSMS' facts and payment.
    P.keys.insert(P.keys.end() - 1,
                  {P.Payer(P.neighbour), {"ars-payer"}, {P.RegionCode(P.neighbour)}});
    P.keys.insert(P.keys.end() - 1,
                  {P.Porteurs(P.neighbour), {"porteur"}, {P.RegionCode(P.neighbour)}});
  }
  const RegionInfo& info = Regions()[static_cast<size_t>(P.neighbour)];
  if (!P.national && (P.options.region != "53" || P.options.federated)) {
    // Region scale elsewhere than Bretagne (`--region`): the neighbour's ESSMS take
    // numbers of their own, a serial range per home region, so that the demos of
    // several regions, one ledger per ARS, never share an ESSMS by accident (the
    // federated report refuses an establishment counted by two ledgers,
    // docs/federation.md). Bretagne's numbers, and so its ledger, stay as they were.
    for (const std::string& dept : info.departements) {
      for (const char* kind : {"/et", "/ej"}) {
        int& serial = P.dept_serial[dept + kind];
        serial = std::max(serial, 20000 + 1000 * home);
      }
    }
  }
  for (int k = 0; k < 2; ++k) {
    Og og;
    og.region = P.neighbour;
    og.role = Og::Role::kExtensionPool;
    og.dept = rng.Pick(info.departements);
    ASSIGN_OR_RETURN(og.finess_ej, P.NewFiness(og.dept, true));
    ASSIGN_OR_RETURN(og.siret, P.NewSiret(rng));
    const std::string town = P.Town(rng, og.dept);
    og.name = "Association " + rng.Pick(AssociationNames()) + " " + town;
    const int og_index = static_cast<int>(P.ogs.size());
    for (int n = 0; n < 2; ++n) {
      Est e;
      e.og = og_index;
      e.region = P.neighbour;
      e.dept = og.dept;
      RETURN_IF_ERROR(DrawEstablishment(P, rng, e));
      e.r0 = {rng.Int(250, 600), rng.Int(200, 500), rng.Int(200, 500), rng.Int(50, 300),
              rng.Int(50, 300)};
      for (size_t x = 0; x < 5; ++x) e.step[x] = rng.Int(35, 90);
      e.final = {rng.Int(915, 990), rng.Int(905, 980), rng.Int(905, 985), rng.Int(710, 900),
                 rng.Int(710, 880)};
      og.ests.push_back(static_cast<int>(P.ests.size()));
      P.ests.push_back(std::move(e));
    }
    P.neighbour_ogs.push_back(og_index);
    P.ogs.push_back(std::move(og));
  }
  return Status::OK();
}

void DrawUsageCurves(Plan& P, Rng& rng) {
  for (Est& e : P.ests) {
    e.r0 = {rng.Int(250, 600), rng.Int(200, 500), rng.Int(200, 500), rng.Int(50, 300),
            rng.Int(50, 300)};
    for (size_t i = 0; i < 5; ++i) e.step[i] = rng.Int(35, 90);
    e.final = {rng.Int(915, 990), rng.Int(905, 980), rng.Int(905, 985), rng.Int(710, 900),
               rng.Int(710, 880)};
  }
}

void ReferenceSolutions(Plan& P) {
  for (size_t s = 0; s < Solutions().size(); ++s) {
    const int index = static_cast<int>(s);
    P.Add(D(2021, 1, 11), kNationalRank, "national", fmt::format("sol/{}/candidate", s),
          domain::SolutionReferenced{P.SolutionOf(index), "medico-social",
                                     domain::SolutionStatus::kCandidate, D(2021, 1, 11)});
    const Date referenced = D(2022, 3, 1).AddDays(static_cast<int64_t>(s) * 23);
    P.Add(referenced, kNationalRank, "national", fmt::format("sol/{}/referenced", s),
          domain::SolutionReferenced{P.SolutionOf(index), "medico-social",
                                     domain::SolutionStatus::kReferenced, referenced});
  }
}

Status RenumberFiness(Plan& P, Rng& rng) {
  for (int i = 0; i < static_cast<int>(P.projects.size()); ++i) {
    const Project& p = P.project(i);
    if (!p.convention.has_value()) continue;
    for (int e : p.ests) {
      Est& est = P.est(e);
      const bool pick = (i == P.featured && e == p.ests.back()) || rng.Chance(6);
      if (!pick) continue;
      const Date effective = MonthStart(MonthOf(*p.convention) + 6);
      if (effective > P.today) continue;
      ASSIGN_OR_RETURN(est.new_finess, P.NewFiness(est.dept, false));
      est.renumbered_at = effective;
      RETURN_IF_ERROR(P.AddFinessChange(p.region, est.finess, est.new_finess,
                                        domain::FinessChangeKind::kRenumbering, effective));
      ++P.summary.renumberings;
    }
  }
  return Status::OK();
}

Status AddSonsOrder(Plan& P, Est& est, int solution, Date ordered, std::optional<Date> validated) {
  est.sons = true;
  est.sons_solution = solution;
  domain::SonsOrdered data;
  ASSIGN_OR_RETURN(data.finess, domain::Finess::Parse(est.finess));
  data.solution = P.SolutionOf(solution);
  data.ordered_at = ordered;
  data.validated_at = validated;
  P.Add(validated.value_or(ordered), kNationalRank, "national", "sons/" + est.finess,
        std::move(data));
  ++P.summary.sons_orders;
  return Status::OK();
}

namespace {

// Region r's free establishments: the first ordered SONS (the attempt "acquisition
// after SONS" needs one); the second got FEDER for its acquisition; the third merges
// into a funded establishment; the fourth stays untouched (out-of-window attempt).
Status DrawFreeFacts(Plan& P, Rng& rng, const std::vector<int>& free_ests) {
  for (size_t k = 0; k < free_ests.size(); ++k) {
    Est& est = P.est(free_ests[k]);
    if (k == 0 || (k >= 4 && rng.Chance(100))) {
      const int solution = static_cast<int>(rng.Index(Solutions().size()));
      const Date ordered = Between(rng, D(2022, 2, 1), D(2022, 12, 15));
      std::optional<Date> validated;
      if (k == 0) {  // validated in Q1 2023: too early for 2024 usage funding (003 §2.1)
        validated = Between(rng, D(2023, 2, 1), D(2023, 3, 24));
      }
      RETURN_IF_ERROR(AddSonsOrder(P, est, solution, ordered, validated));
    } else if (k == 1 || k == 2 || (k >= 4 && rng.Chance(20))) {
      est.eu_funded = true;
      domain::EuFundingDeclared data;
      ASSIGN_OR_RETURN(data.finess, domain::Finess::Parse(est.finess));
      data.declared_at = Between(rng, D(2022, 1, 10), D(2022, 12, 15));
      data.fund = rng.Chance(800) ? domain::EuFund::kFeder : domain::EuFund::kFse;
      data.operation = domain::EuOperation::kAcquisition;
      P.Add(data.declared_at, kNationalRank, "national", "eu/" + est.finess, std::move(data));
      ++P.summary.eu_funds;
    }
  }
  return Status::OK();
}

// Mergers: an EU-funded free establishment of region r merges into an establishment of
// a convention-signed project of its region (INHERITED_FUNDING: a warning, 002).
Status DrawMergers(Plan& P, Rng& rng, int r, const std::vector<int>& free_ests) {
  int mergers = std::max<int>(1, static_cast<int>(free_ests.size()) / 60);
  for (size_t k = 2; k < free_ests.size() && mergers > 0; ++k) {
    Est& from = P.est(free_ests[k]);
    if (!from.eu_funded) continue;
    const Project* target_project = nullptr;
    for (const Project& p : P.projects) {
      if (p.region == r && p.convention.has_value() && !p.rejected &&
          &p != &P.project(P.featured) && p.campaign != Campaign::kAmorcage2021) {
        target_project = &p;
        if (rng.Chance(300)) break;
      }
    }
    if (target_project == nullptr) break;
    const Est& into = P.est(target_project->ests.front());
    if (!into.new_finess.empty()) continue;
    const Date effective =
        std::max(target_project->convention->AddDays(rng.Between(30, 120)), D(2023, 1, 2));
    if (effective > P.today) continue;
    from.merged_away = true;
    RETURN_IF_ERROR(P.AddFinessChange(r, from.finess, into.finess,
                                      domain::FinessChangeKind::kMerger, effective));
    ++P.summary.mergers;
    --mergers;
  }
  return Status::OK();
}

}  // namespace

Status DrawOutsideProgramme(Plan& P, Rng& rng) {
  for (int r : P.regions) {
    const std::vector<int> free_ests = P.FreeEstablishments(r);
    RETURN_IF_ERROR(DrawFreeFacts(P, rng, free_ests));
    RETURN_IF_ERROR(DrawMergers(P, rng, r, free_ests));
  }
  return Status::OK();
}

// Amorçage's deployment (001 §3; DOMAIN.md §5): the prorata of the 20 % tranche over the
// criteria announced, from each ESMS's latest measurement ending on or before `paid`
// (a payment dated the 10th-28th: the previous month's measurement, reported on the
// 5th, is the latest).
Result<domain::DeploymentProrata> DeploymentProrata(const Plan& P, const Project& p, Date paid) {
  using C = domain::UsageCriterion;
  const int m = MonthOf(paid) - 1;
  int64_t persons = 0, active = 0, plan = 0, agenda = 0, mssante = 0, dmp = 0;
  for (int index : p.ests) {
    const Est& e = P.est(index);
    if (e.first_month < 0 || e.first_month > m) continue;
    const domain::UsageCounts c = P.CountsAt(e, m);
    persons += c.persons_accompanied;
    active += c.active_files;
    plan += c.active_files_with_plan;
    agenda += c.active_files_with_agenda_event;
    mssante += c.mssante_messages;
    dmp += Plan::DmpDocuments(c);
  }
  const domain::UsageCommitments& u = *p.commitments;
  const std::vector<domain::CriterionResult> results = {
      {C::kActiveFilesRate, u.active_files_rate, active, persons},
      {C::kPlanRate, u.plan_rate, plan, active},
      {C::kAgendaRate, u.agenda_rate, agenda, active},
      {C::kMssanteMessages, *u.mssante_messages, mssante, 1},
      {C::kDmpDocuments, *u.dmp_documents, dmp, 1}};
  return domain::ProrataDeployment(domain::Money::Cents(p.deployment_tranche), results);
}

Status PayBalances(Plan& P) {
  for (int i = 0; i < static_cast<int>(P.projects.size()); ++i) {
    Project& p = P.project(i);
    if (!p.expenses.has_value()) continue;
    const bool amorcage = p.campaign == Campaign::kAmorcage2021;
    if (amorcage && !p.parametrisation.has_value()) continue;
    Date earliest = p.expenses->AddDays(10 + (i * 7) % 30);
    if (!amorcage) {
      const std::optional<int> met = P.GrappeMetMonth(p);
      if (!met.has_value()) continue;
      // 2025: the qualifying period ends within the convention's duration, else the
      // project lapses (002; DOMAIN.md §5).
      if (p.campaign == Campaign::kGeneralisation2025 &&
          MonthEnd(*met) > domain::DurationEnd(*p.convention, p.duration)) {
        continue;
      }
      earliest = std::max(earliest, ReportDate(*met).AddDays(10 + (i * 3) % 20));
    }
    int64_t amount = p.grant() - p.advance_cents - p.param_cents;
    // A complément de grappe of another region: its region's ARS pays its own balance
    // (the rest of its entitlement), the lead region's ARS the rest (002; DOMAIN.md §7).
    int64_t complement_balance = 0;
    if (p.ext_region >= 0 && p.amended.has_value()) {
      const int64_t complement = p.amended_amount - p.amount;
      amount = p.amount - (p.advance_cents - p.complement_advance_cents) - p.param_cents;
      if (p.complement_advance_cents > 0) {
        complement_balance = complement - p.complement_advance_cents;
      }
    }
    if (amorcage) {
      if (earliest.day() < 10) earliest = D(earliest.year(), earliest.month(), 10);
      if (earliest.day() > 28) earliest = MonthStart(MonthOf(earliest) + 1).AddDays(9);
      if (earliest > P.today || i == P.no_invoice) continue;
      p.deployment_tranche = domain::PaymentSchedule(p.campaign, domain::Money::Cents(p.grant()))
                                 .back()
                                 .amount.cents();
      if (p.deployment_tranche != amount) {
        return Status::Internal(fmt::format("demo: {}'s deployment tranche {} is not the rest {}",
                                            p.id, p.deployment_tranche, amount));
      }
      ASSIGN_OR_RETURN(domain::DeploymentProrata prorata, DeploymentProrata(P, p, earliest));
      amount = prorata.payable.cents();
      // 001: « dès la vérification des critères d'utilisation et réception de la facture ».
      const Date invoiced = earliest.AddDays(-5);
      P.Add(invoiced, kPorteurRank, P.Porteurs(p.region), p.id + "/invoice-deployment",
            domain::InvoiceReceived{p.id, domain::Tranche::kDeployment, p.deployment_tranche,
                                    invoiced, fmt::format("FAC-{}-D", p.id)});
      p.deployment_cents = amount;
      if (amount == 0) continue;
    }
    if (earliest > P.today) continue;
    p.balance = earliest;
    const domain::Tranche tranche =
        amorcage ? domain::Tranche::kDeployment : domain::Tranche::kBalance;
    P.Add(
        earliest, kPayerRank, P.Payer(p.region),
        p.id + "/" + std::string(domain::ToString(tranche)),
        domain::PaymentIssued{p.id, tranche, amount, earliest,
                              P.PaymentReference(p, earliest, (i * 7919) % 100000), std::nullopt});
    if (complement_balance > 0) {
      ASSIGN_OR_RETURN(domain::Region paying, domain::Region::Parse(P.RegionCode(p.ext_region)));
      P.Add(earliest, kPayerRank, P.Payer(p.ext_region), p.id + "/balance-complement",
            domain::PaymentIssued{p.id, domain::Tranche::kBalance, complement_balance, earliest,
                                  fmt::format("ARS{}-{}-{:05d}", P.RegionCode(p.ext_region),
                                              earliest.year(), (i * 7907) % 100000),
                                  std::move(paying)});
    }
    ++P.summary.balances;
  }
  return Status::OK();
}

void OrderAndSummarize(Plan& P) {
  // Ledger order: by date, then signer rank, then drawing order.
  std::sort(P.timeline.begin(), P.timeline.end(), [](const Timed& a, const Timed& b) {
    return std::tie(a.date, a.rank, a.order) < std::tie(b.date, b.rank, b.order);
  });
  Summary& s = P.summary;
  s.regions = static_cast<int>(P.regions.size());
  s.organisations = static_cast<int>(P.ogs.size());
  s.establishments = static_cast<int>(P.ests.size());
  std::map<std::string, int> by_campaign;
  for (const Project& p : P.projects) {
    ++by_campaign[std::string(domain::CampaignId(p.campaign))];
    if (p.rejected) ++s.rejected;
  }
  s.projects = static_cast<int>(P.projects.size());
  s.projects_by_campaign.assign(by_campaign.begin(), by_campaign.end());
  s.featured_project = P.project(P.featured).id;
  s.laggard_project = P.project(P.laggard).id;
  if (P.prorata >= 0 && P.project(P.prorata).balance.has_value()) {
    s.prorata_project = P.project(P.prorata).id;
  }
  if (P.lapse >= 0 && P.project(P.lapse).convention.has_value() &&
      domain::DurationEnd(*P.project(P.lapse).convention, P.project(P.lapse).duration) < P.today) {
    s.lapsed_project = P.project(P.lapse).id;
  }
  for (const Project& p : P.projects) {
    if (p.ext_region >= 0 && p.extended.has_value()) {
      s.complement_project = p.id;
      s.complement_region = P.RegionCode(p.ext_region);
    }
  }
  const int last = P.LastMonth();
  s.latest_measure_date = ReportDate(last).ToString();
  const int end_2024 = 2024 * 12 + 11;
  for (const Est& e : P.ests) {
    if (e.first_month < 0 || e.first_month > last) continue;
    s.measurements += static_cast<uint64_t>(last - e.first_month + 1);
    ++s.measured_establishments;
    s.active_dui_latest += P.CountsAt(e, last).active_files;
    if (e.first_month <= end_2024) {
      s.active_dui_end_2024 += P.CountsAt(e, std::min(last, end_2024)).active_files;
    }
  }
  s.events = P.timeline.size() + s.measurements;
}

}  // namespace esms::demo::internal
