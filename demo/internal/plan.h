// Plan: the programme the generator draws, and what every phase shares: the
// organisations, establishments and projects, the timeline of events (all but the
// measurements, which Emit draws month by month), the refused attempts, the summary,
// and the helpers that turn the plan into typed domain events.
//
// Thread-safety: one thread at a time.
#ifndef ESMS_DEMO_INTERNAL_PLAN_H_
#define ESMS_DEMO_INTERNAL_PLAN_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "demo/generator.h"
#include "demo/internal/rng.h"
#include "domain/date.h"
#include "domain/entitlement.h"
#include "domain/events.h"
#include "domain/rulebook.h"
#include "domain/usage.h"

namespace esms::demo::internal {

using domain::Campaign;
using domain::Date;

// ---- Dates: month indexes (year * 12 + month - 1). ----
int MonthOf(Date d);
Date MonthStart(int m);
Date MonthEnd(int m);
// The date an indicator of month m is reported: the 5th of the next month.
Date ReportDate(int m);
Date D(int y, int m, int d);
// A date drawn uniformly in [lo, hi].
Date Between(Rng& rng, Date lo, Date hi);

// The order of the signers' events on one day: the admin's and national events first,
// then (after the measurements reported that day) the porteurs', instructors', payers'.
enum SignerRank { kAdminRank = 0, kNationalRank, kPorteurRank, kInstructorRank, kPayerRank };

// The usage targets per indicator, in domain::Indicator order (003 §3.3).
inline constexpr std::array<int, 5> kTargetPercent = {90, 90, 90, 70, 70};

struct Est {
  std::string finess;
  std::string name;
  int category = 0;
  std::string dept;
  int region = 0;
  int og = 0;
  int project = -1;
  bool extension = false;
  bool acquisition = true;
  int64_t persons = 0;
  int64_t saad_total = 0, saad_eligible = 0;
  int64_t quote_cents = 0;                   // 0: none
  std::array<int, 5> r0{}, step{}, final{};  // per mille, by domain::Indicator order
  int first_month = -1;                      // month of the first (3-month) measurement
  // Month from which the rates climb (the project's start); before it they stay at r0:
  // an establishment that keeps its software reports its usage from 2022 on, and it
  // grows once the project deploys the Ségur version. -1: from first_month.
  int climb_month = -1;
  std::string new_finess;  // renumbered to
  Date renumbered_at;
  bool merged_away = false;  // merged into another establishment
  bool eu_funded = false;
  bool sons = false;
  int sons_solution = -1;
};

struct Og {
  std::string finess_ej;
  std::string siret;
  std::string name;
  std::string dept;
  int region = 0;
  std::vector<int> ests;
  enum class Role { kProject, kFree, kExtensionPool } role = Role::kProject;
};

struct Project {
  std::string id;
  Campaign campaign = Campaign::kGeneralisation2024;
  int region = 0;
  int porteur = 0;
  std::vector<int> ogs;
  std::vector<int> ests;
  std::vector<int> ext_ogs;
  std::vector<int> ext_ests;
  int solution = 0;
  bool rejected = false;
  bool laggard = false;
  // 2025: never meets the targets within its contractual duration (6 months, usage):
  // lapsed at the demo's today (002; issue 13 item 8).
  bool lapse = false;
  // Amorçage: what the file announced (001 §3; required since issue 13 item 7).
  std::optional<domain::UsageCommitments> commitments;
  Date submitted, committee;
  std::optional<Date> convention, advance, parametrisation, extended, amended, expenses, balance;
  int duration = 18;
  int64_t amount = 0, amended_amount = 0, advance_cents = 0, param_cents = 0, equipment_cents = 0;
  // Amorçage: the deployment tranche (20 %) and what its usage prorata paid of it.
  int64_t deployment_tranche = 0, deployment_cents = 0;
  // The region paying the extension (a complément de grappe of another region), -1: own.
  int ext_region = -1;
  // A complement of another region: its own advance, paid by that region's ARS (part of
  // advance_cents); its balance is that region's too (002; DOMAIN.md §7).
  int64_t complement_advance_cents = 0;
  bool amoa = false;

  int64_t grant() const { return amended.has_value() ? amended_amount : amount; }
};

// An entry of the timeline (every event but the measurements).
struct Timed {
  Date date;
  int rank = 0;
  uint64_t order = 0;
  EventLine event;
};

// The JSON line of `data` as the event `id` dated `at` (domain::EventToJson).
std::string EventJson(const std::string& id, Date at, domain::EventData data);

struct Plan {
  Options options;
  Date today;
  bool national = false;
  std::vector<int> regions;  // indexes into Regions()
  std::vector<Key> keys;
  std::vector<Og> ogs;
  std::vector<Est> ests;
  std::vector<Project> projects;
  // OGs outside the programme (SONS, EU funds, mergers, attempts) and those that join a
  // grappe later (extensions), by region index.
  std::vector<std::vector<int>> free_by_region, pool_by_region;
  int featured = -1, laggard = -1, rejected = -1;  // project indexes
  // Amorçage: the one whose announced usage is above its results (paid prorata), the
  // one whose end-of-deployment invoice never came; 2025: the one that lapses.
  int prorata = -1, no_invoice = -1, lapse = -1;
  // A region next to the featured project's, whose OGs join it (first) or are offered
  // to the laggard with the wrong paying region (second): issue 13 item 14.
  int neighbour = -1;
  std::vector<int> neighbour_ogs;
  std::vector<Timed> timeline;
  std::vector<Attempt> attempts;
  Summary summary;
  std::map<std::string, int> dept_serial;
  std::set<std::string> used_numbers;

  Est& est(int index) { return ests[static_cast<size_t>(index)]; }
  const Est& est(int index) const { return ests[static_cast<size_t>(index)]; }
  Og& og(int index) { return ogs[static_cast<size_t>(index)]; }
  const Og& og(int index) const { return ogs[static_cast<size_t>(index)]; }
  Project& project(int index) { return projects[static_cast<size_t>(index)]; }
  const Project& project(int index) const { return projects[static_cast<size_t>(index)]; }

  std::string Slug(int region) const;
  std::string RegionCode(int region) const;
  std::string Instructor(int region) const;
  std::string Payer(int region) const;
  std::string Porteurs(int region) const;
  // The establishments of the free OGs of `region`, in drawing order.
  std::vector<int> FreeEstablishments(int region) const;

  // Appends the event `id` of `data` at `date` to the timeline.
  void Add(Date date, SignerRank rank, std::string signer, std::string id, domain::EventData data);
  // Appends the finess.changed of `from` (event "chg/<from>"), signed by region's instructor.
  Status AddFinessChange(int region, const std::string& from, const std::string& to,
                         domain::FinessChangeKind kind, Date effective);

  // An ARS payment reference: "ARS<region>-<year>-<n, 5 digits>".
  std::string PaymentReference(const Project& p, Date paid, int64_t n) const;

  // A new valid FINESS in `dept`; `ej` numbers come from another range than ET ones.
  Result<std::string> NewFiness(const std::string& dept, bool ej);
  Result<std::string> NewSiret(Rng& rng);
  std::string Town(Rng& rng, const std::string& dept);

  // ---- typed parts of events ----
  domain::Solution SolutionOf(int index) const;
  Result<domain::Porteur> PorteurOf(int og_index) const;
  Result<domain::OrganisationEntry> OrganisationOf(int og_index) const;
  Result<domain::EstablishmentEntry> EstablishmentOf(const Est& e) const;
  // Appends the entries of the OGs `og_list` and of the establishments `est_list`.
  Status AppendEntries(const std::vector<int>& og_list, const std::vector<int>& est_list,
                       std::vector<domain::OrganisationEntry>* orgs,
                       std::vector<domain::EstablishmentEntry>* entries) const;
  // The convention's list: the FINESS of `ests`.
  Result<std::vector<domain::Finess>> FinessOf(const std::vector<int>& ests) const;

  // ---- measurements ----
  // The counts of establishment `e`'s measurement ending at month m.
  domain::UsageCounts CountsAt(const Est& e, int m) const;
  // The DMP documents an amorçage ESMS reports (001 §3 counts): 3 per 2 DMP fed.
  static int64_t DmpDocuments(const domain::UsageCounts& c) { return c.dmp_fed + c.dmp_fed / 2; }
  bool Amorcage(const Est& e) const {
    return e.project >= 0 && project(e.project).campaign == Campaign::kAmorcage2021;
  }
  bool Meets(Campaign campaign, const Est& e, int m) const;
  // The last month whose measurement is reported on or before today.
  int LastMonth() const;
  // The first month M such that every establishment of the convention met the targets
  // over the 3-month period ending at the end of M, as projections/rules.h reads it
  // (from the day after E - 3 months to E, so a period ending on 30 June starts on
  // 31 March: the March measurement must meet too); nullopt if none by LastMonth().
  std::optional<int> GrappeMetMonth(const Project& p) const;
  const std::string& MeasuredFinessAt(const Est& e, int m) const;
  Result<EventLine> Measurement(const Est& e, int m) const;

  // The entitlement of `p` (domain::ComputeEntitlement), with its extension or not.
  Result<domain::ProjectEntitlement> Entitlement(const Project& p, bool with_extension) const;
};

}  // namespace esms::demo::internal

#endif  // ESMS_DEMO_INTERNAL_PLAN_H_
