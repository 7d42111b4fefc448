#include "cli/demo_generator.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <set>
#include <limits>
#include <random>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "domain/calendar.h"
#include "domain/date.h"
#include "domain/entitlement.h"
#include "domain/events.h"
#include "domain/finess.h"
#include "domain/money.h"
#include "domain/region.h"
#include "domain/rulebook.h"
#include "domain/usage.h"
#include "ledger/hash.h"

namespace esms::cli {
namespace {

using domain::Campaign;
using domain::Date;
using Json = nlohmann::ordered_json;

// ---------------------------------------------------------------------------------
// Deterministic randomness: std::mt19937_64 is fully specified by the standard; the
// distributions are ours (the standard library's are implementation-defined), so the
// same seed gives the same programme with any compiler.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  // Uniform in [lo, hi] (both included).
  int64_t Between(int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    return lo + static_cast<int64_t>(engine_() % static_cast<uint64_t>(hi - lo + 1));
  }
  // True with probability per_mille / 1000.
  bool Chance(int per_mille) { return Between(0, 999) < per_mille; }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[static_cast<size_t>(Between(0, static_cast<int64_t>(items.size()) - 1))];
  }
  template <typename T>
  void Shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i) {
      std::swap(items[i - 1], items[static_cast<size_t>(Between(0, static_cast<int64_t>(i) - 1))]);
    }
  }

 private:
  std::mt19937_64 engine_;
};

// ---------------------------------------------------------------------------------
// Geography: INSEE regions and their départements (2016 regions).
struct RegionInfo {
  const char* code;
  const char* slug;
  const char* name;
  std::vector<std::string> departements;
  int weight;  // share of the national establishments, per mille
};

const std::vector<RegionInfo>& Regions() {
  static const std::vector<RegionInfo> kRegions = {
      {"84", "ara", "Auvergne-Rhône-Alpes",
       {"01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"}, 120},
      {"27", "bfc", "Bourgogne-Franche-Comté", {"21", "25", "39", "58", "70", "71", "89", "90"}, 50},
      {"53", "bzh", "Bretagne", {"22", "29", "35", "56"}, 55},
      {"24", "cvl", "Centre-Val de Loire", {"18", "28", "36", "37", "41", "45"}, 40},
      {"94", "cor", "Corse", {"2A", "2B"}, 5},
      {"44", "ge", "Grand Est", {"08", "10", "51", "52", "54", "55", "57", "67", "68", "88"}, 85},
      {"32", "hdf", "Hauts-de-France", {"02", "59", "60", "62", "80"}, 90},
      {"11", "idf", "Île-de-France", {"75", "77", "78", "91", "92", "93", "94", "95"}, 160},
      {"28", "nor", "Normandie", {"14", "27", "50", "61", "76"}, 55},
      {"75", "naq", "Nouvelle-Aquitaine",
       {"16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"}, 95},
      {"76", "occ", "Occitanie",
       {"09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"}, 90},
      {"52", "pdl", "Pays de la Loire", {"44", "49", "53", "72", "85"}, 60},
      {"93", "paca", "Provence-Alpes-Côte d'Azur", {"04", "05", "06", "13", "83", "84"}, 75},
      {"01", "gua", "Guadeloupe", {"971"}, 5},
      {"02", "mtq", "Martinique", {"972"}, 5},
      {"03", "guy", "Guyane", {"973"}, 3},
      {"04", "reu", "La Réunion", {"974"}, 8},
      {"06", "myt", "Mayotte", {"976"}, 2},
  };
  return kRegions;
}

const std::map<std::string, std::vector<std::string>>& Towns() {
  static const std::map<std::string, std::vector<std::string>> kTowns = {
      {"22", {"Saint-Brieuc", "Lannion", "Dinan", "Guingamp", "Lamballe", "Loudéac", "Paimpol",
              "Plérin", "Perros-Guirec", "Quintin", "Rostrenen", "Tréguier"}},
      {"29", {"Brest", "Quimper", "Morlaix", "Concarneau", "Landerneau", "Quimperlé",
              "Douarnenez", "Landivisiau", "Carhaix-Plouguer", "Pont-l'Abbé", "Crozon", "Lesneven"}},
      {"35", {"Rennes", "Saint-Malo", "Fougères", "Vitré", "Redon", "Dinard", "Bruz",
              "Cesson-Sévigné", "Montfort-sur-Meu", "Combourg", "Janzé", "Guichen"}},
      {"56", {"Vannes", "Lorient", "Pontivy", "Auray", "Ploërmel", "Lanester", "Hennebont",
              "Questembert", "Josselin", "Quiberon", "Guidel", "Malestroit"}},
  };
  return kTowns;
}

const std::vector<std::string>& GenericTowns() {
  static const std::vector<std::string> kTowns = {
      "Saint-Martin", "Villeneuve", "Beaulieu", "Montfort", "Bellevue", "Saint-Jean",
      "Châteauneuf", "Fontaine", "Le Mesnil", "Bourg-Neuf", "Saint-Pierre", "Mont-Saint-Éloi",
      "La Chapelle", "Les Essarts", "Saint-Laurent", "Champagne", "Rochefort", "Valmont",
      "Saint-Denis", "Bois-Colombes", "Clairefontaine", "Sainte-Marie"};
  return kTowns;
}

const std::vector<std::string>& HouseNames() {
  static const std::vector<std::string> kNames = {
      "Les Tilleuls", "Les Glycines", "Ker Anna", "Les Hortensias", "Le Grand Chêne",
      "La Roseraie", "Les Ajoncs", "Kerélys", "Saint-Joseph", "Les Embruns", "Le Clos Fleuri",
      "Les Camélias", "Ti Aour", "La Source", "Les Mimosas", "Le Verger", "Les Bruyères",
      "L'Arc-en-Ciel", "Les Peupliers", "La Providence", "Le Littoral", "Les Châtaigniers"};
  return kNames;
}

const std::vector<std::string>& AssociationNames() {
  static const std::vector<std::string> kNames = {
      "Les Papillons Blancs", "Ar Roc'h", "Saint-Yves", "Les Genêts d'Or", "Don Bosco",
      "Amitiés d'Armor", "Avel Vor", "L'Hermine", "Le Goëland", "Kan Ar Mor", "La Sauvegarde",
      "Les Amis de l'Atelier", "L'Essor", "Le Pont", "Espoir", "La Passerelle", "Les Ormeaux",
      "Trait d'Union", "Horizons", "Le Phare", "Aux Quatre Vents", "L'Étoile"};
  return kNames;
}

// ESSMS categories: name, weight (per mille), persons accompanied range.
struct Category {
  const char* name;
  int weight;
  int persons_min;
  int persons_max;
  bool saad;
};

const std::vector<Category>& Categories() {
  static const std::vector<Category> kCategories = {
      {"EHPAD", 240, 55, 120, false},  {"SSIAD", 80, 30, 110, false},
      {"SAAD", 130, 80, 320, true},    {"IME", 60, 30, 90, false},
      {"ESAT", 60, 40, 120, false},    {"MAS", 30, 30, 60, false},
      {"FAM", 30, 25, 50, false},      {"CHRS", 50, 30, 100, false},
      {"SESSAD", 70, 20, 60, false},   {"Foyer de vie", 50, 20, 50, false},
      {"CAMSP", 30, 80, 220, false},   {"Résidence autonomie", 50, 40, 80, false},
      {"SAVS", 60, 30, 80, false},     {"SAMSAH", 30, 25, 60, false},
  };
  return kCategories;
}

struct SolutionInfo {
  const char* vendor;
  const char* product;
  const char* version;
};

const std::vector<SolutionInfo>& Solutions() {
  static const std::vector<SolutionInfo> kSolutions = {
      {"Logisoins", "Sillage DUI", "5.2-segur"},
      {"MedicoNet", "Parcours+", "3.1-segur"},
      {"Kerlog", "Kerdossier", "2.4-segur"},
      {"Atlantique Informatique", "Siloé", "7.0-segur"},
      {"Numeria Santé", "Orféo", "4.3-segur"},
      {"Helios Solutions", "DUI Social", "11.2-segur"},
  };
  return kSolutions;
}

Json SolutionJson(int index) {
  const SolutionInfo& s = Solutions()[static_cast<size_t>(index)];
  return Json{{"vendor", s.vendor}, {"product", s.product}, {"version", s.version}};
}

// ---------------------------------------------------------------------------------
// Dates: month indexes (year * 12 + month - 1).
int MonthOf(Date d) { return d.year() * 12 + d.month() - 1; }
Date MonthStart(int m) { return *Date::FromCivil(m / 12, m % 12 + 1, 1); }
Date MonthEnd(int m) { return MonthStart(m).EndOfMonth(); }
// The date an indicator of month m is reported: the 5th of the next month.
Date ReportDate(int m) { return MonthStart(m + 1).AddDays(4); }
Date D(int y, int m, int d) { return *Date::FromCivil(y, m, d); }
Date Between(Rng& rng, Date lo, Date hi) {
  return lo.AddDays(rng.Between(0, std::max<int64_t>(0, hi.days() - lo.days())));
}

// ---------------------------------------------------------------------------------
// The plan.

enum SignerRank { kAdminRank = 0, kNationalRank, kPorteurRank, kInstructorRank, kPayerRank };

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
  int64_t quote_cents = 0;  // 0: none
  std::array<int, 5> r0{}, step{}, final{};  // per mille, by domain::Indicator order
  int first_month = -1;                      // month of the first (3-month) measurement
  // Month from which the rates climb (the project's start); before it they stay at r0:
  // an establishment that keeps its software reports its usage from 2022 on, and it
  // grows once the project deploys the Ségur version. -1: from first_month.
  int climb_month = -1;
  std::string new_finess;                    // renumbered to
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
  Date submitted, committee;
  std::optional<Date> convention, advance, parametrisation, extended, amended, expenses, balance;
  int duration = 18;
  int64_t amount = 0, amended_amount = 0, advance_cents = 0, param_cents = 0,
          equipment_cents = 0;
  bool amoa = false;
};

// An entry of the timeline (every event but the measurements).
struct Timed {
  Date date;
  int rank = 0;
  uint64_t order = 0;
  DemoEvent event;
};

constexpr std::array<int, 5> kTargetPercent = {90, 90, 90, 70, 70};

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

char LuhnKeyDigit(std::string_view digits) {
  for (char key = '0'; key <= '9'; ++key) {
    std::string candidate(digits);
    candidate.push_back(key);
    if (domain::LuhnValid(candidate)) return key;
  }
  return '0';  // unreachable: one digit always completes a Luhn number
}

std::string DemoKeyPem(uint64_t seed, std::string_view name) {
  ledger::Hash secret =
      ledger::Sha256(fmt::format("esms-ledger demo key\n{}\n{}", seed, name));
  // PKCS#8 PrivateKeyInfo for Ed25519 (RFC 8410 §7): a fixed 16-byte prefix + the seed.
  ledger::Bytes der = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                       0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
  der.insert(der.end(), secret.begin(), secret.end());
  return "-----BEGIN PRIVATE KEY-----\n" + ledger::Base64Encode(der) +
         "\n-----END PRIVATE KEY-----\n";
}

struct DemoGenerator::Plan {
  DemoOptions options;
  Date today;
  std::vector<int> regions;  // indexes into Regions()
  std::vector<DemoKey> keys;
  std::vector<Og> ogs;
  std::vector<Est> ests;
  std::vector<Project> projects;
  std::vector<Timed> timeline;
  std::vector<DemoAttempt> attempts;
  DemoSummary summary;
  std::map<std::string, int> dept_serial;
  std::set<std::string> used_numbers;

  std::string Slug(int region) const { return Regions()[static_cast<size_t>(region)].slug; }
  std::string RegionCode(int region) const { return Regions()[static_cast<size_t>(region)].code; }
  std::string Instructor(int region) const { return "ars-" + RegionCode(region) + "-instructor"; }
  std::string Payer(int region) const { return "ars-" + RegionCode(region) + "-payer"; }
  std::string Porteurs(int region) const { return "porteurs-" + RegionCode(region); }

  void Add(Date date, SignerRank rank, std::string signer, std::string id, const Json& data,
           std::string_view type) {
    Json event{{"id", id}, {"type", type}, {"at", date.ToString()}, {"data", data}};
    Timed t{date, rank, timeline.size(), {std::move(signer), std::move(id), date.ToString(), event.dump()}};
    timeline.push_back(std::move(t));
  }

  // A new valid FINESS in `dept`; `ej` numbers come from another range than ET ones.
  Result<std::string> NewFiness(const std::string& dept, bool ej) {
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

  Result<std::string> NewSiret(Rng& rng) {
    for (;;) {
      std::string siren = fmt::format("{:08d}", rng.Between(10000000, 99999999));
      siren.push_back(LuhnKeyDigit(siren));
      if (siren == "356000000") continue;
      std::string siret = siren + fmt::format("{:04d}", rng.Between(1, 120));
      siret.push_back(LuhnKeyDigit(siret));
      ASSIGN_OR_RETURN(domain::Siret parsed, domain::Siret::Parse(siret));
      (void)parsed;
      return siret;
    }
  }

  std::string Town(Rng& rng, const std::string& dept) {
    auto it = Towns().find(dept);
    if (it != Towns().end()) return rng.Pick(it->second);
    return rng.Pick(GenericTowns()) + " (" + dept + ")";
  }

  // ---- measurements ----
  // The counts of establishment `e`'s measurement ending at month m.
  domain::UsageCounts CountsAt(const Est& e, int m) const {
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

  bool Meets(Campaign campaign, const Est& e, int m) const {
    domain::UsageEvaluation eval = domain::EvaluateUsage(campaign, CountsAt(e, m));
    return eval.has_targets && eval.all_met;
  }

  // The last month whose measurement is reported on or before today.
  int LastMonth() const {
    int m = MonthOf(today);
    while (ReportDate(m) > today) --m;
    return m;
  }

  // The first month M such that every establishment of the convention met the targets
  // over the 3-month period ending at the end of M, as projections/rules.h reads it
  // (from the day after E - 3 months to E, so a period ending on 30 June starts on
  // 31 March: the March measurement must meet too); nullopt if none by LastMonth().
  std::optional<int> GrappeMetMonth(const Project& p) const {
    std::vector<int> all = p.ests;
    if (p.amended.has_value()) all.insert(all.end(), p.ext_ests.begin(), p.ext_ests.end());
    int from = 0;
    for (int index : all) from = std::max(from, ests[static_cast<size_t>(index)].first_month + 3);
    for (int m = from; m <= LastMonth(); ++m) {
      const int period_first = MonthOf(MonthEnd(m).AddMonths(-3).AddDays(1));
      bool met = true;
      for (size_t i = 0; i < all.size() && met; ++i) {
        const Est& e = ests[static_cast<size_t>(all[i])];
        for (int k = period_first; k <= m && met; ++k) {
          met = k > e.first_month && Meets(p.campaign, e, k);
        }
      }
      if (met) return m;
    }
    return std::nullopt;
  }

  const std::string& MeasuredFinessAt(const Est& e, int m) const {
    if (!e.new_finess.empty() && ReportDate(m) >= e.renumbered_at) return e.new_finess;
    return e.finess;
  }

  // The national scale writes millions of these: formatted directly (the same bytes as
  // nlohmann's dump of the ordered object; FINESS numbers and dates need no escaping).
  DemoEvent Measurement(const Est& e, int m) const {
    domain::UsageCounts c = CountsAt(e, m);
    const bool first = m == e.first_month;
    const std::string& finess = MeasuredFinessAt(e, m);
    const std::string at = ReportDate(m).ToString();
    std::string id = fmt::format("m/{}/{:04d}-{:02d}", finess, m / 12, m % 12 + 1);
    std::string json = fmt::format(
        R"({{"id":"{}","type":"indicator.measured","at":"{}","data":{{"finess":"{}",)"
        R"("periodStart":"{}","periodEnd":"{}","personsAccompanied":{},"activeFiles":{},)"
        R"("activeFilesWithPlan":{},"activeFilesWithAgendaEvent":{},"mssanteMessages":{},)"
        R"("dmpFed":{}}}}})",
        id, at, finess, MonthStart(first ? m - 2 : m).ToString(), MonthEnd(m).ToString(),
        c.persons_accompanied, c.active_files, c.active_files_with_plan,
        c.active_files_with_agenda_event, c.mssante_messages, c.dmp_fed);
    return DemoEvent{Porteurs(e.region), std::move(id), at, std::move(json)};
  }

  Json EstablishmentJson(const Est& e) const {
    Json j{{"finess", e.finess},
           {"finessEj", ogs[static_cast<size_t>(e.og)].finess_ej},
           {"name", e.name},
           {"region", RegionCode(e.region)},
           {"situation", e.acquisition ? "acquisition" : "upgrade"}};
    if (e.saad_total > 0) j["saadHours"] = Json{{"total", e.saad_total}, {"eligible", e.saad_eligible}};
    if (e.quote_cents > 0) j["equipmentQuoteCents"] = e.quote_cents;
    return j;
  }

  Json OrganisationJson(int og_index) const {
    const Og& og = ogs[static_cast<size_t>(og_index)];
    return Json{{"finessEj", og.finess_ej},
                {"name", og.name},
                {"essmsTotal", static_cast<int64_t>(og.ests.size())},
                {"region", RegionCode(og.region)}};
  }

  Result<domain::ProjectEntitlement> Entitlement(const Project& p, bool with_extension) const {
    std::vector<domain::OrganisationEntry> orgs;
    std::vector<domain::EstablishmentEntry> entries;
    auto add_og = [&](int index) -> Status {
      const Og& og = ogs[static_cast<size_t>(index)];
      domain::OrganisationEntry o;
      ASSIGN_OR_RETURN(o.finess_ej, domain::Finess::Parse(og.finess_ej));
      o.name = og.name;
      o.essms_total = static_cast<int64_t>(og.ests.size());
      ASSIGN_OR_RETURN(o.region, domain::Region::Parse(RegionCode(og.region)));
      orgs.push_back(std::move(o));
      return Status::OK();
    };
    auto add_est = [&](int index) -> Status {
      const Est& e = ests[static_cast<size_t>(index)];
      domain::EstablishmentEntry entry;
      ASSIGN_OR_RETURN(entry.finess, domain::Finess::Parse(e.finess));
      ASSIGN_OR_RETURN(entry.finess_ej,
                       domain::Finess::Parse(ogs[static_cast<size_t>(e.og)].finess_ej));
      entry.name = e.name;
      ASSIGN_OR_RETURN(entry.region, domain::Region::Parse(RegionCode(e.region)));
      entry.situation = e.acquisition ? domain::Situation::kAcquisition : domain::Situation::kUpgrade;
      if (e.saad_total > 0) entry.saad_hours = domain::SaadHours{e.saad_total, e.saad_eligible};
      if (e.quote_cents > 0) entry.equipment_quote_cents = e.quote_cents;
      entries.push_back(std::move(entry));
      return Status::OK();
    };
    for (int og : p.ogs) RETURN_IF_ERROR(add_og(og));
    for (int e : p.ests) RETURN_IF_ERROR(add_est(e));
    if (with_extension) {
      for (int og : p.ext_ogs) RETURN_IF_ERROR(add_og(og));
      for (int e : p.ext_ests) RETURN_IF_ERROR(add_est(e));
    }
    std::optional<domain::Money> amoa;
    if (p.amoa) amoa = domain::Money::Euros(100000);
    return domain::ComputeEntitlement(p.campaign, orgs, entries, amoa);
  }
};

DemoGenerator::DemoGenerator(std::unique_ptr<Plan> plan) : plan_(std::move(plan)) {}
DemoGenerator::~DemoGenerator() = default;

const std::vector<DemoKey>& DemoGenerator::keys() const { return plan_->keys; }
const DemoSummary& DemoGenerator::summary() const { return plan_->summary; }

std::string DemoGenerator::origin() const {
  return plan_->options.scale == DemoScale::kRegion
             ? "demo.esms-numerique.example/" + plan_->Slug(plan_->regions.front())
             : std::string("demo.esms-numerique.example/national");
}

std::string DemoGenerator::scope_name() const {
  if (plan_->options.scale == DemoScale::kNational) {
    return fmt::format("France, {} régions", plan_->regions.size());
  }
  const RegionInfo& r = Regions()[static_cast<size_t>(plan_->regions.front())];
  return fmt::format("{} ({})", r.name, r.code);
}

std::vector<DemoAttempt> DemoGenerator::Attempts() const { return plan_->attempts; }

Result<std::unique_ptr<DemoGenerator>> DemoGenerator::Create(const DemoOptions& options) {
  auto plan = std::make_unique<Plan>();
  Plan& P = *plan;
  P.options = options;
  ASSIGN_OR_RETURN(P.today, Date::Parse(options.today));
  if (P.today < D(2025, 12, 31)) return Status::BadInput("the demo's today must be 2025-12-31 or later");
  const bool national = options.scale == DemoScale::kNational;
  int target = options.establishments > 0 ? options.establishments : (national ? 36500 : 2000);
  if (target < 40) return Status::BadInput("the demo needs at least 40 establishments");
  Rng rng(options.seed);

  for (size_t i = 0; i < Regions().size(); ++i) {
    if (national || std::string_view(Regions()[i].code) == "53") P.regions.push_back(static_cast<int>(i));
  }

  // ---- keys ----
  P.keys.push_back({"admin", {"admin"}, {}});
  P.keys.push_back({"national", {"national"}, {}});
  for (int r : P.regions) {
    P.keys.push_back({P.Instructor(r), {"ars-instructor"}, {P.RegionCode(r)}});
    P.keys.push_back({P.Payer(r), {"ars-payer"}, {P.RegionCode(r)}});
    P.keys.push_back({P.Porteurs(r), {"porteur"}, {P.RegionCode(r)}});
  }
  P.keys.push_back({"auditor", {"auditor"}, {}});

  // ---- organisations and establishments, region by region ----
  int weight_total = 0;
  for (int r : P.regions) weight_total += Regions()[static_cast<size_t>(r)].weight;
  auto draw_category = [&]() {
    int x = static_cast<int>(rng.Between(0, 999));
    for (size_t i = 0; i < Categories().size(); ++i) {
      if (x < Categories()[i].weight) return static_cast<int>(i);
      x -= Categories()[i].weight;
    }
    return 0;
  };
  for (int r : P.regions) {
    const RegionInfo& info = Regions()[static_cast<size_t>(r)];
    int quota = national ? std::max(40, target * info.weight / weight_total) : target;
    int made = 0;
    while (made < quota) {
      // OG sizes: many small OGs, a few large ones (20-80 ESSMS).
      int x = static_cast<int>(rng.Between(0, 999));
      int size = x < 560 ? static_cast<int>(rng.Between(1, 3))
                 : x < 860 ? static_cast<int>(rng.Between(4, 10))
                 : x < 960 ? static_cast<int>(rng.Between(11, 19))
                           : static_cast<int>(rng.Between(20, 80));
      size = std::min(size, quota - made);
      if (quota - made - size < 3 && quota - made - size > 0) size = quota - made;
      Og og;
      og.region = r;
      og.dept = rng.Pick(info.departements);
      ASSIGN_OR_RETURN(og.finess_ej, P.NewFiness(og.dept, true));
      ASSIGN_OR_RETURN(og.siret, P.NewSiret(rng));
      std::string town = P.Town(rng, og.dept);
      if (size >= 20) {
        og.name = rng.Chance(500) ? "Fondation " + rng.Pick(AssociationNames())
                                  : "Association départementale " + rng.Pick(AssociationNames()) +
                                        " (" + og.dept + ")";
      } else if (size >= 4) {
        og.name = rng.Chance(300) ? "Mutualité " + town : "Association " + rng.Pick(AssociationNames());
      } else {
        int y = static_cast<int>(rng.Between(0, 2));
        og.name = y == 0 ? "CCAS de " + town
                  : y == 1 ? "ADMR " + town
                           : "Association " + rng.Pick(AssociationNames()) + " " + town;
      }
      const int og_index = static_cast<int>(P.ogs.size());
      for (int i = 0; i < size; ++i) {
        Est e;
        e.og = og_index;
        e.region = r;
        e.dept = size >= 20 ? rng.Pick(info.departements) : og.dept;
        ASSIGN_OR_RETURN(e.finess, P.NewFiness(e.dept, false));
        e.category = draw_category();
        const Category& c = Categories()[static_cast<size_t>(e.category)];
        e.name = fmt::format("{} {} ({})", c.name, rng.Pick(HouseNames()), P.Town(rng, e.dept));
        e.persons = rng.Between(c.persons_min, c.persons_max);
        if (c.saad) {
          e.saad_total = rng.Between(15, 80) * 1000;
          e.saad_eligible = e.saad_total * rng.Between(60, 100) / 100;
        }
        og.ests.push_back(static_cast<int>(P.ests.size()));
        P.ests.push_back(std::move(e));
      }
      made += size;
      P.ogs.push_back(std::move(og));
    }
  }
  P.summary.regions = static_cast<int>(P.regions.size());
  P.summary.organisations = static_cast<int>(P.ogs.size());
  P.summary.establishments = static_cast<int>(P.ests.size());

  // ---- grappes: region by region, OGs in a drawn order ----
  std::map<int, int> project_serial;  // by campaign year key
  std::vector<std::vector<int>> free_by_region(Regions().size()), pool_by_region(Regions().size());
  for (int r : P.regions) {
    std::vector<int> order;
    for (size_t i = 0; i < P.ogs.size(); ++i) {
      if (P.ogs[i].region == r) order.push_back(static_cast<int>(i));
    }
    rng.Shuffle(order);
    // Some OGs stay outside the programme (free: SONS, EU funds, mergers, attempts), a
    // few join a grappe later (extension pool).
    std::vector<int> in_grappes;
    int free_count = 0, pool_count = 0;
    const int free_min = std::max<int>(3, static_cast<int>(order.size()) / 12);
    const int pool_min = std::max<int>(2, static_cast<int>(order.size()) / 40);
    for (int og : order) {
      Og& o = P.ogs[static_cast<size_t>(og)];
      if (free_count < free_min && o.ests.size() <= 10) {
        o.role = Og::Role::kFree;
        ++free_count;
        free_by_region[static_cast<size_t>(r)].push_back(og);
      } else if (pool_count < pool_min && o.ests.size() <= 5) {
        o.role = Og::Role::kExtensionPool;
        ++pool_count;
        pool_by_region[static_cast<size_t>(r)].push_back(og);
      } else {
        in_grappes.push_back(og);
      }
    }
    std::vector<std::vector<int>> grappes;
    std::vector<int> current;
    int current_size = 0;
    // Grappes of 9-22 ESSMS from small OGs (about 1 400 projects nationally, with the
    // large OGs' own projects).
    int wanted = static_cast<int>(rng.Between(9, 22));
    for (int og : in_grappes) {
      const int size = static_cast<int>(P.ogs[static_cast<size_t>(og)].ests.size());
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
        wanted = static_cast<int>(rng.Between(9, 22));
      }
    }
    if (!current.empty()) {
      if (current_size >= 8 || grappes.empty()) {
        grappes.push_back(current);
      } else {
        grappes.back().insert(grappes.back().end(), current.begin(), current.end());
      }
    }

    for (auto& grappe : grappes) {
      Project p;
      p.region = r;
      p.ogs = grappe;
      std::sort(p.ogs.begin(), p.ogs.end(), [&](int a, int b) {
        return std::make_tuple(-static_cast<int>(P.ogs[static_cast<size_t>(a)].ests.size()), a) <
               std::make_tuple(-static_cast<int>(P.ogs[static_cast<size_t>(b)].ests.size()), b);
      });
      p.porteur = p.ogs.front();
      for (int og : p.ogs) {
        for (int e : P.ogs[static_cast<size_t>(og)].ests) p.ests.push_back(e);
      }
      P.projects.push_back(std::move(p));
    }
  }

  // ---- campaigns and fates ----
  const int n_projects = static_cast<int>(P.projects.size());
  if (n_projects < 3) return Status::BadInput("too few establishments for three projects");
  int featured = -1, laggard = -1, rejected = -1;
  for (int i = 0; i < n_projects; ++i) {
    Project& p = P.projects[static_cast<size_t>(i)];
    std::set<int> og_set(p.ogs.begin(), p.ogs.end());
    const int n = static_cast<int>(p.ests.size());
    int x = static_cast<int>(rng.Between(0, 999));
    if (i == 0 && national == false) x = 200;  // featured: généralisation 2023
    if (i == 1 && national == false) x = 200;  // laggard: généralisation 2023
    if (i == 2 && national == false) x = 500;  // rejected: généralisation 2024
    if (x < 60 && n >= 15 && n <= 30 && og_set.size() >= 3) {
      p.campaign = Campaign::kAmorcage2021;
    } else if (x < 330) {
      p.campaign = Campaign::kGeneralisation2023;
    } else if (x < 680 || n < 15) {
      // The current guard refuses a 2025 grappe under 15 ESSMS (DOMAIN.md §2 makes it a
      // warning in généralisation): small grappes go to 2024.
      p.campaign = Campaign::kGeneralisation2024;
    } else {
      p.campaign = Campaign::kGeneralisation2025;
    }
    if (featured < 0 && p.campaign == Campaign::kGeneralisation2023) {
      featured = i;
    } else if (laggard < 0 && p.campaign == Campaign::kGeneralisation2023) {
      laggard = i;
      p.laggard = true;
    } else if (rejected < 0 && p.campaign == Campaign::kGeneralisation2024) {
      rejected = i;
      p.rejected = true;
    } else {
      p.rejected = rng.Chance(60);
      p.laggard = !p.rejected && rng.Chance(110);
    }
    p.solution = static_cast<int>(rng.Between(0, static_cast<int64_t>(Solutions().size()) - 1));
    // Situations: amorçage projects are acquisition or conformity, never both (001).
    const bool amorcage = p.campaign == Campaign::kAmorcage2021;
    // About half the ESSMS acquire a DUI; the others upgrade the one they use (and report
    // its usage from 2022 on).
    const int acq_share = static_cast<int>(rng.Between(15, 85));
    for (int e : p.ests) {
      Est& est = P.ests[static_cast<size_t>(e)];
      est.project = i;
      est.acquisition = amorcage || rng.Between(0, 99) < acq_share;
    }
    int small_ogs = 0;
    for (int og : p.ogs) {
      if (domain::IsSmallOg(p.campaign, static_cast<int64_t>(P.ogs[static_cast<size_t>(og)].ests.size()),
                            Regions()[static_cast<size_t>(p.region)].code[0] == '0' ||
                                std::string_view(Regions()[static_cast<size_t>(p.region)].code) == "94")) {
        ++small_ogs;
        for (int e : P.ogs[static_cast<size_t>(og)].ests) {
          Est& est = P.ests[static_cast<size_t>(e)];
          if (est.acquisition && rng.Chance(700)) est.quote_cents = rng.Between(40, 250) * 10000;
        }
      }
    }
    p.amoa = !amorcage && small_ogs >= 3 && p.campaign != Campaign::kGeneralisation2025;
  }
  if (featured < 0 || laggard < 0 || rejected < 0) {
    return Status::BadInput("the drawn programme lacks a featured, a laggard or a rejected project");
  }

  // ---- usage curves ----
  for (Est& e : P.ests) {
    e.r0 = {static_cast<int>(rng.Between(250, 600)), static_cast<int>(rng.Between(200, 500)),
            static_cast<int>(rng.Between(200, 500)), static_cast<int>(rng.Between(50, 300)),
            static_cast<int>(rng.Between(50, 300))};
    for (size_t i = 0; i < 5; ++i) e.step[i] = static_cast<int>(rng.Between(35, 90));
    e.final = {static_cast<int>(rng.Between(915, 990)), static_cast<int>(rng.Between(905, 980)),
               static_cast<int>(rng.Between(905, 985)), static_cast<int>(rng.Between(710, 900)),
               static_cast<int>(rng.Between(710, 880))};
  }

  // ---- Ségur referencing (national), before any submission ----
  for (size_t s = 0; s < Solutions().size(); ++s) {
    Json sol = SolutionJson(static_cast<int>(s));
    P.Add(D(2021, 1, 11), kNationalRank, "national", fmt::format("sol/{}/candidate", s),
          Json{{"solution", sol}, {"corridor", "medico-social"}, {"status", "candidate"},
               {"referencedAt", "2021-01-11"}},
          "solution.referenced");
    Date referenced = D(2022, 3, 1).AddDays(static_cast<int64_t>(s) * 23);
    P.Add(referenced, kNationalRank, "national", fmt::format("sol/{}/referenced", s),
          Json{{"solution", sol}, {"corridor", "medico-social"}, {"status", "referenced"},
               {"referencedAt", referenced.ToString()}},
          "solution.referenced");
  }

  // ---- the life of each project ----
  std::map<std::pair<int, int>, int> serials;  // (region, year) -> last serial
  for (int i = 0; i < n_projects; ++i) {
    Project& p = P.projects[static_cast<size_t>(i)];
    const int year = p.campaign == Campaign::kAmorcage2021       ? 2021
                     : p.campaign == Campaign::kGeneralisation2023 ? 2023
                     : p.campaign == Campaign::kGeneralisation2024 ? 2024
                                                                   : 2025;
    p.id = fmt::format("{}-{}-{:04d}", P.Slug(p.region), year, ++serials[{p.region, year}]);
    const std::string instructor = P.Instructor(p.region), payer = P.Payer(p.region),
                      porteurs = P.Porteurs(p.region);
    bool all_acq = true, all_upg = true;
    for (int e : p.ests) {
      (P.ests[static_cast<size_t>(e)].acquisition ? all_upg : all_acq) = false;
    }
    // Dates (DOMAIN.md §1 windows).
    switch (p.campaign) {
      case Campaign::kAmorcage2021:
        p.submitted = Between(rng, D(2021, 2, 15), D(2021, 4, 28));
        p.committee = D(2021, 5, 20);
        break;
      case Campaign::kGeneralisation2023:
        p.submitted = i == featured ? Between(rng, D(2023, 1, 20), D(2023, 2, 28))
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
    // SONS orders of upgrading establishments, before the submission (national).
    if (p.campaign != Campaign::kAmorcage2021) {
      for (int e : p.ests) {
        Est& est = P.ests[static_cast<size_t>(e)];
        if (est.acquisition || !rng.Chance(300)) continue;
        est.sons = true;
        est.sons_solution = p.solution;
        Date ordered = Between(rng, D(2022, 2, 1), D(2022, 11, 30));
        Json data{{"finess", est.finess}, {"solution", SolutionJson(p.solution)},
                  {"orderedAt", ordered.ToString()}};
        Date at = ordered;
        if (p.campaign != Campaign::kGeneralisation2023) {
          Date validated = Between(rng, D(2023, 4, 3), D(2023, 9, 29));  // 003 §2.1: after Q1 2023
          data["validatedAt"] = validated.ToString();
          at = validated;
        }
        P.Add(at, kNationalRank, "national", "sons/" + est.finess, data, "sons.ordered");
        ++P.summary.sons_orders;
      }
    }
    Json organisations = Json::array(), establishments = Json::array();
    for (int og : p.ogs) organisations.push_back(P.OrganisationJson(og));
    for (int e : p.ests) establishments.push_back(P.EstablishmentJson(P.ests[static_cast<size_t>(e)]));
    const Og& porteur = P.ogs[static_cast<size_t>(p.porteur)];
    Json submitted{{"project", p.id},
                   {"campaign", std::string(domain::CampaignId(p.campaign))},
                   {"porteur", Json{{"finessEj", porteur.finess_ej},
                                    {"siret", porteur.siret},
                                    {"name", porteur.name}}},
                   {"kind", all_acq ? "acquisition" : all_upg ? "usage" : "mixed"},
                   {"solution", SolutionJson(p.solution)},
                   {"organisations", organisations},
                   {"establishments", establishments}};
    if (p.amoa) submitted["amoaRequestedCents"] = int64_t{100000} * 100;
    submitted["submittedAt"] = p.submitted.ToString();
    P.Add(p.submitted, kPorteurRank, porteurs, p.id + "/submitted", submitted, "project.submitted");
    if (p.rejected) {
      P.Add(p.committee, kInstructorRank, instructor, p.id + "/rejected",
            Json{{"project", p.id},
                 {"reason", rng.Pick(std::vector<std::string>{
                                "dossier incomplet: devis et attestation de l'éditeur manquants",
                                "envelope consumed: to resubmit at the next campaign",
                                "grappe too small and no pooling of the deployment"})}},
            "project.rejected");
      continue;
    }
    P.Add(p.committee, kInstructorRank, instructor, p.id + "/selected",
          Json{{"project", p.id}, {"committeeAt", p.committee.ToString()}}, "project.selected");
    Date conv = p.committee.AddDays(rng.Between(30, 75));
    if (conv > P.today) continue;
    p.convention = conv;
    p.duration = (p.campaign == Campaign::kGeneralisation2025 && all_upg) ? 6 : all_upg ? 9 : 18;
    ASSIGN_OR_RETURN(domain::ProjectEntitlement ent, P.Entitlement(p, false));
    p.amount = ent.total.cents();
    Json conv_list = Json::array();
    for (int e : p.ests) conv_list.push_back(P.ests[static_cast<size_t>(e)].finess);
    P.Add(conv, kInstructorRank, instructor, p.id + "/convention",
          Json{{"project", p.id}, {"signedAt", conv.ToString()}, {"amountCents", p.amount},
               {"establishments", conv_list}, {"durationMonths", p.duration}},
          "convention.signed");
    std::vector<domain::TrancheAmount> schedule =
        domain::PaymentSchedule(p.campaign, domain::Money::Cents(p.amount));
    // Each establishment reports monthly from the month after its convention (the first
    // report covers the quarter ending then), amorçage ones from January 2022.
    const int first_month = MonthOf(conv) + 1;
    for (int e : p.ests) {
      Est& est = P.ests[static_cast<size_t>(e)];
      est.first_month =
          p.campaign == Campaign::kAmorcage2021 ? std::max(first_month, 2022 * 12) : first_month;
      est.climb_month = est.first_month;
      // An establishment that keeps its software (upgrade) already has active DUI files:
      // its porteur reports them from early 2022 (003 §4 B: as early as possible), flat
      // until the project deploys the Ségur version.
      if (!est.acquisition) {
        est.first_month = std::min(est.first_month, 2022 * 12 + static_cast<int>(rng.Between(0, 5)));
      }
    }
    if (i == featured) {  // a quick, complete grappe
      for (int e : p.ests) {
        for (int& s : P.ests[static_cast<size_t>(e)].step) s = std::max(s, 70);
      }
    }
    if (p.laggard) {  // one establishment never reaches MSSanté or DMP
      Est& slow = P.ests[static_cast<size_t>(p.ests[static_cast<size_t>(rng.Between(0, static_cast<int64_t>(p.ests.size()) - 1))])];
      slow.final[rng.Chance(500) ? 3 : 4] = static_cast<int>(rng.Between(480, 660));
      ++P.summary.never_reaching_grappes;
    }
    Date adv = conv.AddDays(rng.Between(14, 45));
    if (adv <= P.today) {
      p.advance = adv;
      p.advance_cents = schedule.front().amount.cents();
      P.Add(adv, kPayerRank, payer, p.id + "/advance",
            Json{{"project", p.id}, {"tranche", "advance"}, {"amountCents", p.advance_cents},
                 {"paidAt", adv.ToString()},
                 {"reference", fmt::format("ARS{}-{}-{:05d}", P.RegionCode(p.region), adv.year(),
                                           rng.Between(1, 99999))}},
            "payment.issued");
    }
    // Amorçage: 40 % more at the end of parametrisation (001).
    if (p.campaign == Campaign::kAmorcage2021 && p.advance.has_value()) {
      Date param = conv.AddMonths(8).AddDays(rng.Between(0, 20));
      if (param <= P.today) {
        p.parametrisation = param;
        p.param_cents = schedule[1].amount.cents();
        P.Add(param, kPayerRank, payer, p.id + "/parametrisation",
              Json{{"project", p.id}, {"tranche", "parametrisation"}, {"amountCents", p.param_cents},
                   {"paidAt", param.ToString()},
                   {"reference", fmt::format("ARS{}-{}-{:05d}", P.RegionCode(p.region),
                                             param.year(), rng.Between(1, 99999))}},
              "payment.issued");
      }
    }
    // Grappe extension (002 complément de grappe) and its amended convention.
    std::vector<int>& pool = pool_by_region[static_cast<size_t>(p.region)];
    const bool extend = p.campaign != Campaign::kAmorcage2021 && !p.laggard && !pool.empty() &&
                        (i == featured || rng.Chance(150));
    if (extend) {
      Date ext = conv.AddDays(rng.Between(60, 100));
      Date amended = ext.AddDays(rng.Between(14, 40));
      if (amended <= P.today) {
        int og = pool.back();
        pool.pop_back();
        p.ext_ogs.push_back(og);
        for (int e : P.ogs[static_cast<size_t>(og)].ests) {
          Est& est = P.ests[static_cast<size_t>(e)];
          est.project = i;
          est.extension = true;
          est.acquisition = rng.Chance(600);
          est.first_month = MonthOf(ext) + 1;
          est.climb_month = est.first_month;
          if (i == featured) {
            for (int& s : est.step) s = std::max(s, 70);
          }
          p.ext_ests.push_back(e);
        }
        Json ext_orgs = Json::array(), ext_list = Json::array();
        for (int o : p.ext_ogs) ext_orgs.push_back(P.OrganisationJson(o));
        for (int e : p.ext_ests) ext_list.push_back(P.EstablishmentJson(P.ests[static_cast<size_t>(e)]));
        p.extended = ext;
        P.Add(ext, kInstructorRank, instructor, p.id + "/extension-1",
              Json{{"project", p.id}, {"extendedAt", ext.ToString()}, {"porteurAgreement", true},
                   {"payingRegion", P.RegionCode(p.region)}, {"organisations", ext_orgs},
                   {"establishments", ext_list}},
              "grappe.extended");
        ASSIGN_OR_RETURN(domain::ProjectEntitlement ent2, P.Entitlement(p, true));
        p.amended = amended;
        p.amended_amount = ent2.total.cents();
        Json all_list = conv_list;
        for (int e : p.ext_ests) all_list.push_back(P.ests[static_cast<size_t>(e)].finess);
        P.Add(amended, kInstructorRank, instructor, p.id + "/convention-2",
              Json{{"project", p.id}, {"signedAt", amended.ToString()},
                   {"amountCents", p.amended_amount}, {"establishments", all_list},
                   {"durationMonths", p.duration}},
              "convention.signed");
        ++P.summary.extensions;
        // The advance follows the amended amount (50 % of it, 000 §4.5.1).
        const int64_t share = domain::PaymentSchedule(p.campaign, domain::Money::Cents(p.amended_amount))
                                  .front()
                                  .amount.cents();
        Date top_up = amended.AddDays(rng.Between(14, 30));
        if (p.advance.has_value() && share > p.advance_cents && top_up <= P.today) {
          P.Add(top_up, kPayerRank, payer, p.id + "/advance-2",
                Json{{"project", p.id}, {"tranche", "advance"}, {"amountCents", share - p.advance_cents},
                     {"paidAt", top_up.ToString()},
                     {"reference", fmt::format("ARS{}-{}-{:05d}", P.RegionCode(p.region),
                                               top_up.year(), rng.Between(1, 99999))}},
                "payment.issued");
          p.advance_cents = share;
        }
      }
    }
    // Expenses at the end of the project, certified (000 §4.5, 003 §3.4).
    ASSIGN_OR_RETURN(domain::ProjectEntitlement final_ent, P.Entitlement(p, p.amended.has_value()));
    for (const auto& line : final_ent.lines) p.equipment_cents += line.small_og_equipment.cents();
    const int64_t grant = p.amended.has_value() ? p.amended_amount : p.amount;
    Date end = conv.AddMonths(p.duration);
    Date certified = end.AddDays(rng.Between(0, 45));
    if (certified <= P.today && p.advance.has_value()) {
      p.expenses = certified;
      P.Add(certified, kPorteurRank, porteurs, p.id + "/expenses",
            Json{{"project", p.id}, {"totalCents", grant + grant / 100 * rng.Between(5, 30)},
                 {"equipmentCents", p.equipment_cents + p.equipment_cents / 10},
                 {"certifiedBy", rng.Chance(500) ? "public-accountant" : "statutory-auditor"},
                 {"certifiedAt", certified.ToString()}},
            "expenses.certified");
    }
  }

  // ---- FINESS renumberings, after the convention (002: history follows the ESSMS) ----
  for (int i = 0; i < n_projects; ++i) {
    Project& p = P.projects[static_cast<size_t>(i)];
    if (!p.convention.has_value()) continue;
    for (int e : p.ests) {
      Est& est = P.ests[static_cast<size_t>(e)];
      const bool pick = (i == featured && e == p.ests.back()) || rng.Chance(6);
      if (!pick) continue;
      Date effective = MonthStart(MonthOf(*p.convention) + 6);
      if (effective > P.today) continue;
      ASSIGN_OR_RETURN(est.new_finess, P.NewFiness(est.dept, false));
      est.renumbered_at = effective;
      P.Add(effective, kInstructorRank, P.Instructor(p.region), "chg/" + est.finess,
            Json{{"from", est.finess}, {"to", est.new_finess}, {"kind", "renumbering"},
                 {"effectiveAt", effective.ToString()}},
            "finess.changed");
      ++P.summary.renumberings;
    }
  }

  // ---- establishments outside the programme: SONS orders, EU funds, mergers ----
  for (int r : P.regions) {
    std::vector<int> free_ests;
    for (int og : free_by_region[static_cast<size_t>(r)]) {
      for (int e : P.ogs[static_cast<size_t>(og)].ests) free_ests.push_back(e);
    }
    // The first free establishment ordered SONS (the attempt "acquisition after SONS"
    // needs one); the second got FEDER for its acquisition; the third merges into a
    // funded establishment; the fourth stays untouched (out-of-window attempt).
    for (size_t k = 0; k < free_ests.size(); ++k) {
      Est& est = P.ests[static_cast<size_t>(free_ests[k])];
      if (k == 0 || (k >= 4 && rng.Chance(100))) {
        est.sons = true;
        est.sons_solution = static_cast<int>(rng.Between(0, static_cast<int64_t>(Solutions().size()) - 1));
        Date ordered = Between(rng, D(2022, 2, 1), D(2022, 12, 15));
        Json data{{"finess", est.finess}, {"solution", SolutionJson(est.sons_solution)},
                  {"orderedAt", ordered.ToString()}};
        Date at = ordered;
        if (k == 0) {  // validated in Q1 2023: too early for 2024 usage funding (003 §2.1)
          Date validated = Between(rng, D(2023, 2, 1), D(2023, 3, 24));
          data["validatedAt"] = validated.ToString();
          at = validated;
        }
        P.Add(at, kNationalRank, "national", "sons/" + est.finess, data, "sons.ordered");
        ++P.summary.sons_orders;
      } else if (k == 1 || k == 2 || (k >= 4 && rng.Chance(20))) {
        est.eu_funded = true;
        Date declared = Between(rng, D(2022, 1, 10), D(2022, 12, 15));
        P.Add(declared, kNationalRank, "national", "eu/" + est.finess,
              Json{{"finess", est.finess}, {"fund", rng.Chance(800) ? "FEDER" : "FSE"},
                   {"operation", "acquisition"}, {"declaredAt", declared.ToString()}},
              "eu-funding.declared");
        ++P.summary.eu_funds;
      }
    }
    // Mergers: an EU-funded free establishment merges into an establishment of a
    // convention-signed project of its region (INHERITED_FUNDING: a warning, 002).
    int mergers = std::max<int>(1, static_cast<int>(free_ests.size()) / 60);
    for (size_t k = 2; k < free_ests.size() && mergers > 0; ++k) {
      Est& from = P.ests[static_cast<size_t>(free_ests[k])];
      if (!from.eu_funded) continue;
      const Project* target_project = nullptr;
      for (const Project& p : P.projects) {
        if (p.region == r && p.convention.has_value() && !p.rejected && &p != &P.projects[static_cast<size_t>(featured)] &&
            p.campaign != Campaign::kAmorcage2021) {
          target_project = &p;
          if (rng.Chance(300)) break;
        }
      }
      if (target_project == nullptr) break;
      const Est& into = P.ests[static_cast<size_t>(target_project->ests.front())];
      if (!into.new_finess.empty()) continue;
      Date effective = std::max(target_project->convention->AddDays(rng.Between(30, 120)), D(2023, 1, 2));
      if (effective > P.today) continue;
      from.merged_away = true;
      P.Add(effective, kInstructorRank, P.Instructor(r), "chg/" + from.finess,
            Json{{"from", from.finess}, {"to", into.finess}, {"kind", "merger"},
                 {"effectiveAt", effective.ToString()}},
            "finess.changed");
      ++P.summary.mergers;
      --mergers;
    }
  }

  // ---- balances: when the whole grappe met the targets over 3 months ----
  for (int i = 0; i < n_projects; ++i) {
    Project& p = P.projects[static_cast<size_t>(i)];
    if (!p.expenses.has_value()) continue;
    const bool amorcage = p.campaign == Campaign::kAmorcage2021;
    if (amorcage && !p.parametrisation.has_value()) continue;
    Date earliest = p.expenses->AddDays(10 + (i * 7) % 30);
    if (!amorcage) {
      std::optional<int> met = P.GrappeMetMonth(p);
      if (!met.has_value()) continue;
      earliest = std::max(earliest, ReportDate(*met).AddDays(10 + (i * 3) % 20));
    }
    if (earliest > P.today) continue;
    p.balance = earliest;
    const int64_t grant = p.amended.has_value() ? p.amended_amount : p.amount;
    const std::string tranche = amorcage ? "deployment" : "balance";
    P.Add(earliest, kPayerRank, P.Payer(p.region), p.id + "/" + tranche,
          Json{{"project", p.id}, {"tranche", tranche},
               {"amountCents", grant - p.advance_cents - p.param_cents},
               {"paidAt", earliest.ToString()},
               {"reference", fmt::format("ARS{}-{}-{:05d}", P.RegionCode(p.region), earliest.year(),
                                         (i * 7919) % 100000)}},
          "payment.issued");
    ++P.summary.balances;
  }

  // ---- ordering: by date, then signer rank, then drawing order ----
  std::sort(P.timeline.begin(), P.timeline.end(), [](const Timed& a, const Timed& b) {
    return std::tie(a.date, a.rank, a.order) < std::tie(b.date, b.rank, b.order);
  });

  // ---- summary ----
  std::map<std::string, int> by_campaign;
  for (const Project& p : P.projects) {
    ++by_campaign[std::string(domain::CampaignId(p.campaign))];
    if (p.rejected) ++P.summary.rejected;
  }
  P.summary.projects = n_projects;
  P.summary.projects_by_campaign.assign(by_campaign.begin(), by_campaign.end());
  P.summary.featured_project = P.projects[static_cast<size_t>(featured)].id;
  P.summary.laggard_project = P.projects[static_cast<size_t>(laggard)].id;
  const int last = P.LastMonth();
  P.summary.latest_measure_date = ReportDate(last).ToString();
  const int end_2024 = 2024 * 12 + 11;
  for (const Est& e : P.ests) {
    if (e.first_month < 0 || e.first_month > last) continue;
    P.summary.measurements += static_cast<uint64_t>(last - e.first_month + 1);
    ++P.summary.measured_establishments;
    P.summary.active_dui_latest += P.CountsAt(e, last).active_files;
    if (e.first_month <= end_2024) {
      P.summary.active_dui_end_2024 += P.CountsAt(e, std::min(last, end_2024)).active_files;
    }
  }
  P.summary.events = P.timeline.size() + P.summary.measurements;

  // ---- attempts the rules refuse ----
  const Project& feat = P.projects[static_cast<size_t>(featured)];
  const Project& lag = P.projects[static_cast<size_t>(laggard)];
  const Project& rej = P.projects[static_cast<size_t>(rejected)];
  const int home = feat.region;
  std::vector<int> free_ests;
  for (int og : free_by_region[static_cast<size_t>(home)]) {
    for (int e : P.ogs[static_cast<size_t>(og)].ests) free_ests.push_back(e);
  }
  // Fillers: establishments no project funds and with no facts (free ones, then those of
  // the rejected project), so that an attempt is a grappe of 15 ESSMS whose only fault
  // is the one it demonstrates.
  std::vector<int> fillers;
  for (size_t k = 4; k < free_ests.size(); ++k) {
    const Est& e = P.ests[static_cast<size_t>(free_ests[k])];
    if (!e.sons && !e.eu_funded && !e.merged_away) fillers.push_back(free_ests[k]);
  }
  for (int e : rej.ests) {
    if (!P.ests[static_cast<size_t>(e)].sons) fillers.push_back(e);
  }
  // A grappe of 15: `est` and fillers, all in acquisition (or all keeping their software).
  auto submission = [&](const std::string& id, Campaign campaign, Date at, const Est& est,
                        int solution, bool upgrade = false) {
    std::vector<const Est*> listed{&est};
    for (int f : fillers) {
      if (listed.size() >= 15) break;
      if (P.ests[static_cast<size_t>(f)].finess != est.finess) listed.push_back(&P.ests[static_cast<size_t>(f)]);
    }
    std::vector<int> og_list;
    Json organisations = Json::array(), establishments = Json::array();
    for (const Est* e : listed) {
      if (std::find(og_list.begin(), og_list.end(), e->og) == og_list.end()) {
        og_list.push_back(e->og);
        organisations.push_back(P.OrganisationJson(e->og));
      }
      Json j = P.EstablishmentJson(*e);
      j["situation"] = upgrade ? "upgrade" : "acquisition";
      establishments.push_back(j);
    }
    const Og& og = P.ogs[static_cast<size_t>(est.og)];
    Json data{{"project", id},
              {"campaign", std::string(domain::CampaignId(campaign))},
              {"porteur", Json{{"finessEj", og.finess_ej}, {"siret", og.siret}, {"name", og.name}}},
              {"kind", upgrade ? "usage" : "acquisition"},
              {"solution", SolutionJson(solution)},
              {"organisations", organisations},
              {"establishments", establishments},
              {"submittedAt", at.ToString()}};
    return Json{{"id", id + "/submitted"}, {"type", "project.submitted"}, {"at", at.ToString()},
                {"data", data}}
        .dump();
  };
  const std::string slug = P.Slug(home);
  const Date late = P.today.AddDays(-20);
  {  // 1. A second DUI for an establishment the featured project already funds.
    int funded_index = feat.ests.front();
    for (int e : feat.ests) {
      if (P.ests[static_cast<size_t>(e)].new_finess.empty()) {
        funded_index = e;
        break;
      }
    }
    const Est& funded = P.ests[static_cast<size_t>(funded_index)];
    const int other = (feat.solution + 1) % static_cast<int>(Solutions().size());
    const std::string id = slug + "-2025-9001";
    P.attempts.push_back({P.Porteurs(home), id + "/submitted",
                          submission(id, Campaign::kGeneralisation2025, late, funded, other),
                          "NONCUMUL_SECOND_DUI",
                          fmt::format("fund {} a second DUI ({}), though project {} funds {}",
                                      funded.finess, Solutions()[static_cast<size_t>(other)].product,
                                      feat.id, Solutions()[static_cast<size_t>(feat.solution)].product)});
  }
  if (!free_ests.empty()) {  // 2. An acquisition after a SONS order.
    const Est& sons = P.ests[static_cast<size_t>(free_ests[0])];
    const int other = (sons.sons_solution + 1) % static_cast<int>(Solutions().size());
    const std::string id = slug + "-2025-9002";
    P.attempts.push_back({P.Porteurs(home), id + "/submitted",
                          submission(id, Campaign::kGeneralisation2025, late, sons, other),
                          "NONCUMUL_SONS_ACQUISITION",
                          fmt::format("fund the acquisition of {} for {}, which ordered the "
                                      "Prestation Ségur (SONS) for {}",
                                      Solutions()[static_cast<size_t>(other)].product, sons.finess,
                                      Solutions()[static_cast<size_t>(sons.sons_solution)].product)});
  }
  if (lag.convention.has_value()) {  // 3. A balance before the grappe met the targets.
    const int64_t grant = lag.amount;
    const bool has_expenses = lag.expenses.has_value();
    Json event{{"id", lag.id + "/balance-early"},
               {"type", "payment.issued"},
               {"at", late.ToString()},
               {"data", Json{{"project", lag.id}, {"tranche", "balance"},
                             {"amountCents", grant - lag.advance_cents},
                             {"paidAt", late.ToString()}, {"reference", "ARS-EARLY-0001"}}}};
    P.attempts.push_back(
        {P.Payer(lag.region), lag.id + "/balance-early", event.dump(),
         !lag.advance.has_value() ? "INVALID_TRANSITION"
         : has_expenses           ? "TARGETS_NOT_MET"
                                  : "NO_EXPENSE_PROOF",
         fmt::format("pay the balance of {} while one of its establishments never reached "
                     "the usage targets (grappe solidarity, 002)",
                     lag.id)});
  }
  if (free_ests.size() > 1) {  // 4. EU funds for the same acquisition.
    const Est& eu = P.ests[static_cast<size_t>(free_ests[1])];
    const std::string id = slug + "-2025-9003";
    P.attempts.push_back({P.Porteurs(home), id + "/submitted",
                          submission(id, Campaign::kGeneralisation2025, late, eu, 0),
                          "NONCUMUL_EU_FUNDS",
                          fmt::format("fund the acquisition of a DUI for {}, whose acquisition "
                                      "already gets European funds",
                                      eu.finess)});
  }
  if (free_ests.size() > 3) {  // 5. A 2024 file after the window closed.
    const Est& est = P.ests[static_cast<size_t>(free_ests[3])];
    const std::string id = slug + "-2024-9004";
    P.attempts.push_back({P.Porteurs(home), id + "/submitted",
                          submission(id, Campaign::kGeneralisation2024, D(2024, 10, 2), est, 0),
                          "SUBMISSION_OUT_OF_WINDOW",
                          "submit a généralisation-2024 file on 2024-10-02, after the window "
                          "closed on 2024-09-15 (003 §8)"});
  }
  {  // 6. A payment for a rejected project.
    Json event{{"id", rej.id + "/advance-rejected"},
               {"type", "payment.issued"},
               {"at", late.ToString()},
               {"data", Json{{"project", rej.id}, {"tranche", "advance"},
                             {"amountCents", int64_t{5000000}}, {"paidAt", late.ToString()},
                             {"reference", "ARS-REJ-0001"}}}};
    P.attempts.push_back({P.Payer(rej.region), rej.id + "/advance-rejected", event.dump(),
                          "PAYMENT_BEFORE_CONVENTION",
                          fmt::format("pay an advance to {}, a rejected project without convention",
                                      rej.id)});
  }
  {  // 7. A porteur signing a payment.
    Json event{{"id", feat.id + "/self-payment"},
               {"type", "payment.issued"},
               {"at", late.ToString()},
               {"data", Json{{"project", feat.id}, {"tranche", "balance"},
                             {"amountCents", int64_t{100}}, {"paidAt", late.ToString()},
                             {"reference", "SELF-0001"}}}};
    P.attempts.push_back({P.Porteurs(home), feat.id + "/self-payment", event.dump(), "UNAUTHORIZED",
                          "a porteur's key signs a payment to its own project (only an ARS "
                          "payer may)"});
  }
  if (!free_ests.empty()) {  // 8. Usage funding after a Prestation Ségur validated in Q1 2023.
    const Est& sons = P.ests[static_cast<size_t>(free_ests[0])];
    const std::string id = slug + "-2024-9005";
    P.attempts.push_back({P.Porteurs(home), id + "/submitted",
                          submission(id, Campaign::kGeneralisation2024, D(2024, 5, 21), sons,
                                     sons.sons_solution, /*upgrade=*/true),
                          "SONS_VALIDATED_TOO_EARLY",
                          fmt::format("fund usage (2024) for {}, whose Prestation Ségur was "
                                      "validated before the end of Q1 2023 (003 §2.1)",
                                      sons.finess)});
  }
  if (!fillers.empty()) {  // 9. A FINESS number whose Luhn key is wrong.
    Est typo = P.ests[static_cast<size_t>(fillers.front())];
    typo.finess.back() = typo.finess.back() == '9' ? '0' : static_cast<char>(typo.finess.back() + 1);
    const std::string id = slug + "-2025-9006";
    P.attempts.push_back({P.Porteurs(home), id + "/submitted",
                          submission(id, Campaign::kGeneralisation2025, late, typo, 0),
                          "FINESS_INVALID",
                          fmt::format("submit a file listing FINESS {} (a typo for {}: its Luhn "
                                      "key does not match)",
                                      typo.finess, P.ests[static_cast<size_t>(fillers.front())].finess)});
  }
  if (lag.advance.has_value()) {  // 10. An advance above its 50 % share.
    Json event{{"id", lag.id + "/advance-again"},
               {"type", "payment.issued"},
               {"at", late.ToString()},
               {"data", Json{{"project", lag.id}, {"tranche", "advance"},
                             {"amountCents", int64_t{1000000}}, {"paidAt", late.ToString()},
                             {"reference", "ARS-ADV-0002"}}}};
    P.attempts.push_back({P.Payer(lag.region), lag.id + "/advance-again", event.dump(),
                          "ADVANCE_EXCEEDS_SHARE",
                          fmt::format("pay {} a second advance of 10 000 € on top of its 50 % "
                                      "share (000 §4.5.1)",
                                      lag.id)});
    // 11. A balance above what the convention grants.
    Json over{{"id", lag.id + "/balance-over"},
              {"type", "payment.issued"},
              {"at", late.ToString()},
              {"data", Json{{"project", lag.id}, {"tranche", "balance"},
                            {"amountCents", lag.amount - lag.advance_cents + 100000},
                            {"paidAt", late.ToString()}, {"reference", "ARS-OVER-0001"}}}};
    P.attempts.push_back({P.Payer(lag.region), lag.id + "/balance-over", over.dump(),
                          "PAYMENT_EXCEEDS_GRANT",
                          fmt::format("pay {} a balance 1 000 € above what its convention grants",
                                      lag.id)});
  }
  if (lag.convention.has_value() && !fillers.empty()) {  // 12. An extension the porteur refused.
    const Est& joining = P.ests[static_cast<size_t>(fillers.back())];
    Json j = P.EstablishmentJson(joining);
    Json event{{"id", lag.id + "/extension-no-agreement"},
               {"type", "grappe.extended"},
               {"at", late.ToString()},
               {"data", Json{{"project", lag.id}, {"extendedAt", late.ToString()},
                             {"porteurAgreement", false}, {"payingRegion", P.RegionCode(lag.region)},
                             {"organisations", Json::array({P.OrganisationJson(joining.og)})},
                             {"establishments", Json::array({j})}}}};
    P.attempts.push_back({P.Instructor(lag.region), lag.id + "/extension-no-agreement", event.dump(),
                          "EXTENSION_NO_AGREEMENT",
                          fmt::format("add {} to the grappe of {} without the initial porteur's "
                                      "agreement (002 complément de grappe)",
                                      joining.finess, lag.id)});
  }
  {  // 13. A balance with no certified expenses.
    for (const Project& p : P.projects) {
      if (p.rejected || p.laggard || !p.advance.has_value() || p.expenses.has_value() ||
          p.campaign == Campaign::kAmorcage2021 || p.amended.has_value()) {
        continue;
      }
      Json event{{"id", p.id + "/balance-unproven"},
                 {"type", "payment.issued"},
                 {"at", late.ToString()},
                 {"data", Json{{"project", p.id}, {"tranche", "balance"},
                               {"amountCents", p.amount - p.advance_cents},
                               {"paidAt", late.ToString()}, {"reference", "ARS-NOPROOF-0001"}}}};
      P.attempts.push_back({P.Payer(p.region), p.id + "/balance-unproven", event.dump(),
                            "NO_EXPENSE_PROOF",
                            fmt::format("pay the balance of {} before any certified statement of "
                                        "its expenses (000 §4.5)",
                                        p.id)});
      break;
    }
  }
  return std::unique_ptr<DemoGenerator>(new DemoGenerator(std::move(plan)));
}

Status DemoGenerator::Emit(const std::function<Status(const DemoEvent&)>& emit) const {
  const Plan& P = *plan_;
  // The measurements are drawn month by month and merged into the timeline at their
  // report date (the 5th of the next month), after the admin's and national events of
  // that day and before the porteurs', ARS instructors' and payers'.
  int first = std::numeric_limits<int>::max();
  for (const Est& e : P.ests) {
    if (e.first_month >= 0) first = std::min(first, e.first_month);
  }
  const int last = P.LastMonth();
  size_t next = 0;
  auto emit_until = [&](Date date, int rank_below) -> Status {
    while (next < P.timeline.size()) {
      const Timed& t = P.timeline[next];
      if (t.date > date || (t.date == date && t.rank >= rank_below)) break;
      RETURN_IF_ERROR(emit(t.event));
      ++next;
    }
    return Status::OK();
  };
  for (int m = first; m <= last; ++m) {
    const Date report = ReportDate(m);
    RETURN_IF_ERROR(emit_until(report, kPorteurRank));
    for (const Est& e : P.ests) {
      if (e.first_month < 0 || m < e.first_month) continue;
      RETURN_IF_ERROR(emit(P.Measurement(e, m)));
    }
  }
  return emit_until(Date::FromDays(std::numeric_limits<int32_t>::max()), 0);
}

}  // namespace esms::cli
