// The plan's helpers. See demo/internal/plan.h.
#include "demo/internal/plan.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "demo/internal/tables.h"
#include "domain/event_codec.h"
#include "domain/finess.h"
#include "domain/money.h"
#include "domain/region.h"

namespace esms::demo::internal {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

int MonthOf(Date d) { return d.year() * 12 + d.month() - 1; }
Date MonthStart(int m) { return *Date::FromCivil(m / 12, m % 12 + 1, 1); }
Date MonthEnd(int m) { return MonthStart(m).EndOfMonth(); }
Date ReportDate(int m) { return MonthStart(m + 1).AddDays(4); }
Date D(int y, int m, int d) { return *Date::FromCivil(y, m, d); }
Date Between(Rng& rng, Date lo, Date hi) {
  return lo.AddDays(rng.Between(0, std::max<int64_t>(0, hi.days() - lo.days())));
}

std::string EventJson(const std::string& id, Date at, domain::EventData data) {
  domain::Event event;
  event.id = id;
  event.type = std::string(domain::TypeName(data));
  event.at = at;
  event.stream = domain::StreamOf(data);
  event.data = std::move(data);
  return domain::EventToJson(event);
}

std::string Plan::Slug(int region) const { return Regions()[static_cast<size_t>(region)].slug; }
std::string Plan::RegionCode(int region) const {
  return Regions()[static_cast<size_t>(region)].code;
}
std::string Plan::Instructor(int region) const {
  return "ars-" + RegionCode(region) + "-instructor";
}
std::string Plan::Payer(int region) const { return "ars-" + RegionCode(region) + "-payer"; }
std::string Plan::Porteurs(int region) const { return "porteurs-" + RegionCode(region); }

std::string Plan::PaymentReference(const Project& p, Date paid, int64_t n) const {
  return fmt::format("ARS{}-{}-{:05d}", RegionCode(p.region), paid.year(), n);
}

std::vector<int> Plan::FreeEstablishments(int region) const {
  std::vector<int> out;
  for (int o : free_by_region[static_cast<size_t>(region)]) {
    for (int e : og(o).ests) out.push_back(e);
  }
  return out;
}

void Plan::Add(Date date, SignerRank rank, std::string signer, std::string id,
               domain::EventData data) {
  std::string json = EventJson(id, date, std::move(data));
  timeline.push_back(
      Timed{date, rank, timeline.size(),
            EventLine{std::move(signer), std::move(id), date.ToString(), std::move(json)}});
}

Status Plan::AddFinessChange(int region, const std::string& from, const std::string& to,
                             domain::FinessChangeKind kind, Date effective) {
  domain::FinessChanged data;
  ASSIGN_OR_RETURN(data.from, domain::Finess::Parse(from));
  ASSIGN_OR_RETURN(data.to, domain::Finess::Parse(to));
  data.kind = kind;
  data.effective_at = effective;
  Add(effective, kInstructorRank, Instructor(region), "chg/" + from, std::move(data));
  return Status::OK();
}

Result<std::string> Plan::NewFiness(const std::string& dept, bool ej) {
  int& serial = dept_serial[dept + (ej ? "/ej" : "/et")];
  ++serial;
  std::string body;
  if (dept.size() == 3) {  // overseas: 97 + 0 + territory, or 98 0 5 for Mayotte
    std::string prefix = dept == "976" ? "9805" : "970" + dept.substr(2, 1);
    body = prefix + fmt::format("{:04d}", (ej ? 5000 : 0) + serial);
  } else {
    body = dept + "0" + fmt::format("{:05d}", (ej ? 50000 : 100) + serial);
  }
  std::string luhn_digits = body;
  if (luhn_digits.starts_with("2A")) luhn_digits.replace(0, 2, "21");
  if (luhn_digits.starts_with("2B")) luhn_digits.replace(0, 2, "22");
  std::string finess = body + LuhnKeyDigit(luhn_digits);
  ASSIGN_OR_RETURN(domain::Finess parsed, domain::Finess::Parse(finess));
  std::optional<domain::Region> region = domain::Region::OfDepartement(parsed.departement());
  if (!region.has_value() || region->code().empty()) {
    return Status::Internal("demo FINESS " + finess + " has no region");
  }
  if (!used_numbers.insert(finess).second) {
    return Status::Internal("demo FINESS " + finess + " drawn twice");
  }
  return finess;
}

Result<std::string> Plan::NewSiret(Rng& rng) {
  for (;;) {
    std::string siren = fmt::format("{:08d}", rng.Between(10000000, 99999999));
    siren.push_back(LuhnKeyDigit(siren));
    if (siren == "356000000") continue;
    std::string siret = siren + fmt::format("{:04d}", rng.Between(1, 120));
    siret.push_back(LuhnKeyDigit(siret));
    RETURN_IF_ERROR(domain::Siret::Parse(siret).status());
    return siret;
  }
}

std::string Plan::Town(Rng& rng, const std::string& dept) {
  auto it = Towns().find(dept);
  if (it != Towns().end()) return rng.Pick(it->second);
  return rng.Pick(GenericTowns()) + " (" + dept + ")";
}

domain::Solution Plan::SolutionOf(int index) const {
  const SolutionInfo& s = Solutions()[static_cast<size_t>(index)];
  return domain::Solution{s.vendor, s.product, s.version};
}

Result<domain::Porteur> Plan::PorteurOf(int og_index) const {
  const Og& o = og(og_index);
  domain::Porteur porteur;
  ASSIGN_OR_RETURN(porteur.finess_ej, domain::Finess::Parse(o.finess_ej));
  ASSIGN_OR_RETURN(porteur.siret, domain::Siret::Parse(o.siret));
  porteur.name = o.name;
  return porteur;
}

Result<domain::OrganisationEntry> Plan::OrganisationOf(int og_index) const {
  const Og& o = og(og_index);
  domain::OrganisationEntry entry;
  ASSIGN_OR_RETURN(entry.finess_ej, domain::Finess::Parse(o.finess_ej));
  entry.name = o.name;
  entry.essms_total = static_cast<int64_t>(o.ests.size());
  ASSIGN_OR_RETURN(entry.region, domain::Region::Parse(RegionCode(o.region)));
  return entry;
}

Result<domain::EstablishmentEntry> Plan::EstablishmentOf(const Est& e) const {
  domain::EstablishmentEntry entry;
  ASSIGN_OR_RETURN(entry.finess, domain::Finess::Parse(e.finess));
  ASSIGN_OR_RETURN(entry.finess_ej, domain::Finess::Parse(og(e.og).finess_ej));
  entry.name = e.name;
  ASSIGN_OR_RETURN(entry.region, domain::Region::Parse(RegionCode(e.region)));
  entry.situation = e.acquisition ? domain::Situation::kAcquisition : domain::Situation::kUpgrade;
  if (e.saad_total > 0) entry.saad_hours = domain::SaadHours{e.saad_total, e.saad_eligible};
  if (e.quote_cents > 0) entry.equipment_quote_cents = e.quote_cents;
  return entry;
}

Result<std::vector<domain::Finess>> Plan::FinessOf(const std::vector<int>& indexes) const {
  std::vector<domain::Finess> out;
  for (int e : indexes) {
    ASSIGN_OR_RETURN(domain::Finess finess, domain::Finess::Parse(est(e).finess));
    out.push_back(std::move(finess));
  }
  return out;
}

domain::UsageCounts Plan::CountsAt(const Est& e, int m) const {
  const int k = std::max(0, m - (e.climb_month >= 0 ? e.climb_month : e.first_month));
  std::array<int, 5> rate{};
  for (size_t i = 0; i < 5; ++i) rate[i] = std::min(e.final[i], e.r0[i] + k * e.step[i]);
  auto num = [&](int64_t den, size_t i) {
    int64_t n = std::min(den, CeilDiv(den * rate[i], 1000));
    if (e.final[i] < kTargetPercent[i] * 10) {  // never reaches: stay below the target
      n = std::min(n, CeilDiv(den * kTargetPercent[i], 100) - 1);
    }
    return std::max<int64_t>(0, n);
  };
  domain::UsageCounts c;
  c.persons_accompanied = e.persons;
  c.persons_eligible = e.persons;
  c.active_files = num(e.persons, 0);
  c.active_files_with_plan = num(c.active_files, 1);
  c.active_files_with_agenda_event = num(c.active_files, 2);
  c.mssante_messages = num(e.persons, 3);
  c.dmp_fed = num(e.persons, 4);
  return c;
}

bool Plan::Meets(Campaign campaign, const Est& e, int m) const {
  domain::UsageEvaluation eval = domain::EvaluateUsage(campaign, CountsAt(e, m));
  return eval.has_targets && eval.all_met;
}

int Plan::LastMonth() const {
  int m = MonthOf(today);
  while (ReportDate(m) > today) --m;
  return m;
}

std::optional<int> Plan::GrappeMetMonth(const Project& p) const {
  std::vector<int> all = p.ests;
  if (p.amended.has_value()) all.insert(all.end(), p.ext_ests.begin(), p.ext_ests.end());
  int from = 0;
  for (int index : all) from = std::max(from, est(index).first_month + 3);
  for (int m = from; m <= LastMonth(); ++m) {
    const int period_first = MonthOf(MonthEnd(m).AddMonths(-3).AddDays(1));
    bool met = true;
    for (size_t i = 0; i < all.size() && met; ++i) {
      const Est& e = est(all[i]);
      for (int k = period_first; k <= m && met; ++k) {
        met = k > e.first_month && Meets(p.campaign, e, k);
      }
    }
    if (met) return m;
  }
  return std::nullopt;
}

const std::string& Plan::MeasuredFinessAt(const Est& e, int m) const {
  if (!e.new_finess.empty() && ReportDate(m) >= e.renumbered_at) return e.new_finess;
  return e.finess;
}

Result<EventLine> Plan::Measurement(const Est& e, int m) const {
  const domain::UsageCounts c = CountsAt(e, m);
  const std::string& finess = MeasuredFinessAt(e, m);
  domain::IndicatorMeasured data;
  ASSIGN_OR_RETURN(data.finess, domain::Finess::Parse(finess));
  // The first report covers the quarter ending at month m.
  data.period_start = MonthStart(m == e.first_month ? m - 2 : m);
  data.period_end = MonthEnd(m);
  data.persons_accompanied = c.persons_accompanied;
  data.active_files = c.active_files;
  data.active_files_with_plan = c.active_files_with_plan;
  data.active_files_with_agenda_event = c.active_files_with_agenda_event;
  data.mssante_messages = c.mssante_messages;
  data.dmp_fed = c.dmp_fed;
  if (Amorcage(e)) data.dmp_documents = DmpDocuments(c);
  const Date at = ReportDate(m);
  std::string id = fmt::format("m/{}/{:04d}-{:02d}", finess, m / 12, m % 12 + 1);
  std::string json = EventJson(id, at, std::move(data));
  return EventLine{Porteurs(e.region), std::move(id), at.ToString(), std::move(json)};
}

Status Plan::AppendEntries(const std::vector<int>& og_list, const std::vector<int>& est_list,
                           std::vector<domain::OrganisationEntry>* orgs,
                           std::vector<domain::EstablishmentEntry>* entries) const {
  for (int o : og_list) {
    ASSIGN_OR_RETURN(domain::OrganisationEntry entry, OrganisationOf(o));
    orgs->push_back(std::move(entry));
  }
  for (int e : est_list) {
    ASSIGN_OR_RETURN(domain::EstablishmentEntry entry, EstablishmentOf(est(e)));
    entries->push_back(std::move(entry));
  }
  return Status::OK();
}

Result<domain::ProjectEntitlement> Plan::Entitlement(const Project& p, bool with_extension) const {
  std::vector<domain::OrganisationEntry> orgs;
  std::vector<domain::EstablishmentEntry> entries;
  RETURN_IF_ERROR(AppendEntries(p.ogs, p.ests, &orgs, &entries));
  if (with_extension) RETURN_IF_ERROR(AppendEntries(p.ext_ogs, p.ext_ests, &orgs, &entries));
  std::optional<domain::Money> amoa;
  if (p.amoa) amoa = domain::Money::Euros(100000);
  return domain::ComputeEntitlement(p.campaign, orgs, entries, amoa);
}

}  // namespace esms::demo::internal
