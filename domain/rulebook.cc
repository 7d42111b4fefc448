#include "domain/rulebook.h"

#include <array>
#include <string>

#include "domain/duration.h"
#include "domain/segur.h"
#include "domain/usage_prorata.h"

namespace esms::domain {
namespace {

Date Day(int year, int month, int day) { return *Date::FromCivil(year, month, day); }

constexpr Money kZero = Money::Zero();

// ---------------------------------------------------------------------------------
// Figures shared by the généralisation campaigns.
// ---------------------------------------------------------------------------------

// PNRR active-DUI target. 003 §3.1 and §4 B: "410 000 DUI actifs à fin 2024".
constexpr std::string_view kPnrrSource = "003 \u00a73.1, \u00a74 B";

// 000 §4.2 D / 003 §3.2 D: "idéalement quinze structures [...] idéalement huit dans les
// territoires ultramarins et la Corse"; the ARS judges, so it is a warning, not a
// refusal (INTERFACE.md §4).
//
// Note on 002 (FAQ 2025, "Les MECS sont-elles éligibles"): it lists "former un groupe
// d'au moins 15 établissements" among eligibility criteria. The AAP texts (000, 003)
// leave the minimum to the ARS's judgement and 002 itself admits smaller "compléments
// de grappe", so 2025 keeps the warning (grappe_size_is_refusal false, as in 2023 and
// 2024: the code and this comment say the same); the figure stays 15.

// 003 §2.1: "la validation de la prestation Ségur [...] ne doit pas avoir eu lieu avant
// la fin du premier trimestre 2023": validated 2023-03-31 or earlier disqualifies,
// 2023-04-01 or later is fine (DOMAIN.md §4.4).

std::vector<TrancheRule> FiftyFifty(std::string_view source) {
  // 000 §4.5.1 / 003 §3.4.1: 50 % advance at convention signature, 50 % at the end.
  return {
      {"advance", 500, "advance at the signature of the convention between ARS and porteur",
       source},
      {"balance", 500, "at the end of the project, usage targets reached and expenses proven",
       source},
  };
}

std::vector<UsageTarget> Targets(std::string_view dui_source, std::string_view socle_source) {
  // 000 §5 / 003 §4 / 002 "Cibles d'usage": 90 / 90 / 90 % for the DUI, 70 / 70 % for
  // MSSanté and DMP.
  return {
      {Indicator::kActiveFiles, 90, dui_source}, {Indicator::kPersonalisedPlan, 90, dui_source},
      {Indicator::kAgendaEvent, 90, dui_source}, {Indicator::kMssante, 70, socle_source},
      {Indicator::kDmp, 70, socle_source},
  };
}

// ---------------------------------------------------------------------------------
// generalisation-2023 — seed 000, AAP ARS Mayotte.
// ---------------------------------------------------------------------------------
Rulebook MakeGeneralisation2023() {
  Rulebook r{};
  r.campaign = Campaign::kGeneralisation2023;
  r.id = "generalisation-2023";
  r.source_text = "000: AAP ESMS num\u00e9rique g\u00e9n\u00e9ralisation 2023, ARS Mayotte";
  r.funding_model = {FundingModel::kRankTiers, "000 \u00a74.4.2"};

  // 000 §4.4.2 1) and 2): 7 k€ / 14 k€ (acquisition), 5 k€ (upgrade) per ESSMS up to the
  // 49th ESSMS; 2 k€ / 3 k€ / 2 k€ from the 50th "pour tenir compte de l'effet volume".
  r.last_full_rate_rank = {49, "000 \u00a74.4.2"};
  r.acquisition_usage = {Money::Euros(7000), Money::Euros(2000), "000 \u00a74.4.2 1)"};
  r.acquisition_software = {Money::Euros(14000), Money::Euros(3000), "000 \u00a74.4.2 2)"};
  r.upgrade_usage = {Money::Euros(5000), Money::Euros(2000), "000 \u00a74.4.2 1)"};

  // 000 §4.4.2 3): small OG = fewer than 15 ESSMS (fewer than 8 in Corsica and
  // overseas); equipment at most 20 k€ per ESSMS; AMOA "financement forfaitaire de
  // 100 K€ par projet" for groupings of small OGs.
  r.small_og_below = {15, 8, "000 \u00a74.4.2 3)"};
  r.small_og_equipment_cap = {Money::Euros(20000), "000 \u00a74.4.2 3)"};
  r.amoa_model = {AmoaModel::kFlat, "000 \u00a74.4.2 3)"};
  r.amoa_amount = {Money::Euros(100000), "000 \u00a74.4.2 3)"};

  r.amorcage_acquisition_per_esms = {kZero, "001 only"};
  r.amorcage_conformity_per_esms = {kZero, "001 only"};
  r.amorcage_max_funded_esms = {0, "001 only"};

  // 000 §4.2 D: ideally 15 ESSMS, 8 overseas / Corsica; the ARS judges (warning).
  r.grappe_ideal_essms = {15, 8, "000 \u00a74.2 D"};
  r.amorcage_min_ogs = {0, 0, "001 only"};
  r.amorcage_min_esms = {0, 0, "001 only"};
  r.grappe_size_is_refusal = {false, "000 \u00a74.2 D"};

  // 000 §4.3: < 50 ESSMS -> regional; >= 50 in 1 region -> regional; >= 50 in several
  // regions -> national.
  r.has_national_guichet = {true, "000 \u00a74.3"};
  r.national_guichet_min_essms = {50, "000 \u00a74.3"};

  // 000 §4.6: regional 15/01/2023 - 15/09/2023 "à minuit"; multi-regional
  // 15/01/2023 - 15/06/2023 "à minuit"; a file after the closing date is non recevable.
  r.regional_window = SubmissionWindow{Day(2023, 1, 15), Day(2023, 9, 15), "000 \u00a74.6"};
  r.multiregional_window = SubmissionWindow{Day(2023, 1, 15), Day(2023, 6, 15), "000 \u00a74.6"};
  r.window_note =
      "multi-regional = establishments in more than one region; the closing day is "
      "included (\"\u00e0 minuit\")";

  r.tranches = FiftyFifty("000 \u00a74.5.1");

  r.usage_targets = Targets("000 \u00a75 B", "000 \u00a75 A");
  r.dui_measurement_period = {
      "the month elapsed, measured at each month end (3 months for the first measure)",
      "000 \u00a75 B"};
  r.socle_measurement_period = {
      "the month elapsed, measured at each month end (3 months for the first measure)",
      "000 \u00a75 A"};
  // The grappe solidarity of 002 (all ESSMS reach the targets together) applies to
  // every généralisation campaign (DOMAIN.md §5); its common period follows each
  // campaign's measurement rule. 000 §5 A and B: « sur le mois écoulé mesuré à chaque
  // fin de mois (avec une période de 3 mois pour la première mesure) »: a common month.
  r.grappe_solidarity_months = {1, "000 \u00a75 (DOMAIN.md \u00a75)"};
  // Interpretation (DOMAIN.md §6 rhythm): a measure counts when it covers one calendar
  // month and ends on its last day, or, an ESSMS's first measure, up to three whole
  // months ending on a month end; other periods stay facts (PNRR report) only.
  r.measurement = {
      /*common_period_months=*/1,     /*monthly_rhythm=*/true,
      /*first_measure_max_months=*/3, /*socle_min_months=*/0,
      /*socle_max_months=*/0,         "000 \u00a75 A, \u00a75 B"};

  // 000 §4.5.2: indicative, "sans que cela soit une condition opposable": at most
  // 9 months without software change, 18 months for acquisitions.
  r.duration_usage_months = {9, "000 \u00a74.5.2"};
  r.duration_acquisition_months = {18, "000 \u00a74.5.2"};
  r.durations_opposable = {false, "000 \u00a74.5.2"};

  r.sons_validated_no_later_than_disqualifies = std::nullopt;  // 003 (2024) only

  r.pnrr_active_dui_target = {410000, kPnrrSource};
  r.pnrr_target_date = {Day(2024, 12, 31), kPnrrSource};
  return r;
}

// ---------------------------------------------------------------------------------
// generalisation-2024 — seed 003, AAP ARS Bretagne.
// ---------------------------------------------------------------------------------
Rulebook MakeGeneralisation2024() {
  Rulebook r{};
  r.campaign = Campaign::kGeneralisation2024;
  r.id = "generalisation-2024";
  r.source_text = "003: AAP ESMS num\u00e9rique g\u00e9n\u00e9ralisation 2024, ARS Bretagne";
  r.funding_model = {FundingModel::kRankTiers, "003 \u00a73.3.2"};

  // 003 §3.3.2 1) and 2): same rates as 2023.
  r.last_full_rate_rank = {49, "003 \u00a73.3.2"};
  r.acquisition_usage = {Money::Euros(7000), Money::Euros(2000), "003 \u00a73.3.2 1)"};
  r.acquisition_software = {Money::Euros(14000), Money::Euros(3000), "003 \u00a73.3.2 2)"};
  r.upgrade_usage = {Money::Euros(5000), Money::Euros(2000), "003 \u00a73.3.2 1)"};

  // 003 §3.3.2 3): small OG < 15 (< 8); equipment "montant maximum de 10 k€ par
  // ESSMS"; AMOA "financement forfaitaire maximum de 100 K€ par projet".
  r.small_og_below = {15, 8, "003 \u00a73.3.2 3)"};
  r.small_og_equipment_cap = {Money::Euros(10000), "003 \u00a73.3.2 3)"};
  r.amoa_model = {AmoaModel::kCapped, "003 \u00a73.3.2 3)"};
  r.amoa_amount = {Money::Euros(100000), "003 \u00a73.3.2 3)"};

  r.amorcage_acquisition_per_esms = {kZero, "001 only"};
  r.amorcage_conformity_per_esms = {kZero, "001 only"};
  r.amorcage_max_funded_esms = {0, "001 only"};

  // 003 §3.2 D names only the metropolitan "idéalement quinze structures" (Bretagne has
  // no overseas territory); the overseas / Corsica 8 is 000 §4.2 D's, as DOMAIN.md §2.
  r.grappe_ideal_essms = {15, 8, "003 \u00a73.2 D (8: 000 \u00a74.2 D)"};
  r.amorcage_min_ogs = {0, 0, "001 only"};
  r.amorcage_min_esms = {0, 0, "001 only"};
  r.grappe_size_is_refusal = {false, "003 \u00a73.2 D"};

  r.has_national_guichet = {true, "003 \u00a77"};
  r.national_guichet_min_essms = {50, "003 \u00a77"};

  // 003 §8: regional 15/01/2024 - 15/09/2024 "à minuit"; multi-regional
  // 15/01/2024 - 01/06/2024 "à minuit". The 3 Bretagne committees (first half of April
  // for files until end of March, first half of June for files until end of May,
  // second half of September for files from June if the envelope is not consumed) are
  // selection dates, not submission windows.
  r.regional_window = SubmissionWindow{Day(2024, 1, 15), Day(2024, 9, 15), "003 \u00a78"};
  r.multiregional_window = SubmissionWindow{Day(2024, 1, 15), Day(2024, 6, 1), "003 \u00a78"};
  r.window_note =
      "multi-regional = establishments in more than one region; the closing day is "
      "included (\"\u00e0 minuit\"); Bretagne committees: early April (files until end "
      "of March), early June (until end of May), late September (from June, if the "
      "envelope is not consumed)";

  r.tranches = FiftyFifty("003 \u00a73.4.1");

  r.usage_targets = Targets("003 \u00a74 B", "003 \u00a74 A");
  r.dui_measurement_period = {"one measure over the 3 months before the measurement date",
                              "003 \u00a74 B"};
  r.socle_measurement_period = {
      "one measure over the 3 to 6 months before the final measurement date", "003 \u00a74 A"};
  r.grappe_solidarity_months = {3, "002 Mise en grappes (DOMAIN.md \u00a75)"};
  // 003 §4 B: DUI indicators « une mesure sur les 3 mois écoulés avant la date de
  // mesure »; 003 §4 A: MSSanté and DMP « une mesure sur les 3 à 6 mois écoulés avant la
  // date de mesure finale » (indicator.measured.soclePeriodStart).
  // Interpretation: the common period is three whole calendar months ending on a month
  // end, covered by the ESSMS's measures (one quarter, or shorter ones); a measure with
  // a soclePeriodStart counts only when that window is 3 to 6 whole months ending on its
  // periodEnd; without one, MSSanté / DMP are read over the measure's own period.
  r.measurement = {
      /*common_period_months=*/3,     /*monthly_rhythm=*/false,
      /*first_measure_max_months=*/0, /*socle_min_months=*/3,
      /*socle_max_months=*/6,         "003 \u00a74 A, \u00a74 B"};

  // 003 §3.4.2: indicative, not opposable.
  r.duration_usage_months = {9, "003 \u00a73.4.2"};
  r.duration_acquisition_months = {18, "003 \u00a73.4.2"};
  r.durations_opposable = {false, "003 \u00a73.4.2"};

  r.sons_validated_no_later_than_disqualifies = Sourced<Date>{Day(2023, 3, 31), "003 \u00a72.1"};

  r.pnrr_active_dui_target = {410000, kPnrrSource};
  r.pnrr_target_date = {Day(2024, 12, 31), kPnrrSource};
  return r;
}

// ---------------------------------------------------------------------------------
// generalisation-2025 — seed 002, FAQ ARS Île-de-France.
// Interpretation (DOMAIN.md §1): 002 gives no amounts, so 2025 uses the 2024 amounts,
// thresholds and guichet; targets, payment split and durations are 002's own.
// ---------------------------------------------------------------------------------
Rulebook MakeGeneralisation2025() {
  Rulebook r = MakeGeneralisation2024();
  constexpr std::string_view kAs2024 = "003 \u00a73.3.2 (2025: DOMAIN.md \u00a71)";
  r.campaign = Campaign::kGeneralisation2025;
  r.id = "generalisation-2025";
  r.source_text = "002: FAQ AAP ESMS num\u00e9rique 2025, ARS \u00cele-de-France";
  r.funding_model.source = kAs2024;
  r.last_full_rate_rank.source = kAs2024;
  r.acquisition_usage.source = kAs2024;
  r.acquisition_software.source = kAs2024;
  r.upgrade_usage.source = kAs2024;
  r.small_og_below.source = kAs2024;
  r.small_og_equipment_cap.source = kAs2024;
  r.amoa_model.source = kAs2024;
  r.amoa_amount.source = kAs2024;
  // GRAPPE_TOO_SMALL is a warning in 2025 as in every généralisation campaign
  // (DOMAIN.md §2, issue 13 item 1). 000 §4.2 D / 003 §3.2 D: « idéalement quinze
  // structures » and « L'ARS appréciera ce minima »; 002 takes compléments de grappe
  // « au cas par cas ». The « former un groupe d'au moins 15 établissements » of 002
  // is a reminder inside its answer on the MECS, not a new national rule.
  // Interpretation: 002 names no overseas figure; the 8 of 000 §4.2 D is kept for
  // overseas territories and Corsica.
  r.grappe_ideal_essms.source =
      "000 \u00a74.2 D, 003 \u00a73.2 D (2025: 002 \u00ab au cas par cas \u00bb)";
  r.grappe_size_is_refusal = {false, "000 \u00a74.2 D, 003 \u00a73.2 D (DOMAIN.md \u00a72)"};
  r.has_national_guichet.source = "003 \u00a77 (2025: DOMAIN.md \u00a71)";
  r.national_guichet_min_essms.source = "003 \u00a77 (2025: DOMAIN.md \u00a71)";

  // DOMAIN.md §1: "2025: the seeds give no dates. Interpretation: no window is checked
  // for 2025 until the rulebook is given one".
  r.regional_window = std::nullopt;
  r.multiregional_window = std::nullopt;
  r.window_note = "002 gives no submission dates: no window is checked for 2025";

  // 002 "Cibles d'usage": "50% à l'initialisation du projet et 50% à l'atteinte des
  // cibles d'usage".
  r.tranches = {
      {"advance", 500, "at the start of the project (convention signature)", "002 Cibles d'usage"},
      {"balance", 500, "when the grappe reaches its usage targets", "002 Cibles d'usage"},
  };
  r.usage_targets = Targets("002 Cibles d'usage", "002 Cibles d'usage");
  r.dui_measurement_period = {
      "the month elapsed, measured at each month end (3 months for the first measure)",
      "002 Cibles d'usage"};
  r.socle_measurement_period = r.dui_measurement_period;
  r.grappe_solidarity_months = {3, "002 Mise en grappes"};
  // 002 « en même temps, et ce, sur une période de 3 mois », measured « sur le mois
  // écoulé mesuré à chaque fin de mois (avec une période de 3 mois pour la première
  // mesure) » (002 Cibles d'usage): three whole months covered by monthly measures, an
  // ESSMS's first measure covering up to three of them (DOMAIN.md §6 rhythm).
  r.measurement = {/*common_period_months=*/3,
                   /*monthly_rhythm=*/true,
                   /*first_measure_max_months=*/3,
                   /*socle_min_months=*/0,
                   /*socle_max_months=*/0,
                   "002 Mise en grappes, Cibles d'usage"};

  // 002 "Appel à projet/Convention": contractual duration 18 months for acquisition
  // projects, 6 months for usage-funding projects.
  r.duration_usage_months = {6, "002 Appel \u00e0 projet/Convention"};
  r.duration_acquisition_months = {18, "002 Appel \u00e0 projet/Convention"};
  r.durations_opposable = {true, "002 Appel \u00e0 projet/Convention"};

  // Interpretation: 002 states no SONS validation cut-off (only "conserver la même
  // solution que celle financée par SONS"), so none is applied in 2025.
  r.sons_validated_no_later_than_disqualifies = std::nullopt;
  return r;
}

// ---------------------------------------------------------------------------------
// amorcage-2021 — seed 001, AAP amorçage ARS Grand Est.
// ---------------------------------------------------------------------------------
Rulebook MakeAmorcage2021() {
  Rulebook r{};
  constexpr std::string_view kForfaits = "001 Projets \u00e9ligibles";
  r.campaign = Campaign::kAmorcage2021;
  r.id = "amorcage-2021";
  r.source_text = "001: AAP ESMS num\u00e9rique phase d'amor\u00e7age 2021, ARS Grand Est";
  r.funding_model = {FundingModel::kAmorcageForfaits, kForfaits};

  r.last_full_rate_rank = {0, "000/003 only"};
  r.acquisition_usage = {kZero, kZero, "000/003 only"};
  r.acquisition_software = {kZero, kZero, "000/003 only"};
  r.upgrade_usage = {kZero, kZero, "000/003 only"};

  // 001: "20k€ par ESMS, pour les équipements et infrastructures des petits
  // établissements et services médico-sociaux uniquement".
  // Interpretation: a "small" ESMS is one whose OG runs fewer than 15 ESSMS (fewer than
  // 8 overseas / Corsica), the later campaigns' small-OG threshold (DOMAIN.md §2).
  r.small_og_below = {15, 8, "001 Projets \u00e9ligibles (15 / 8: DOMAIN.md \u00a72)"};
  r.small_og_equipment_cap = {Money::Euros(20000), kForfaits};
  r.amoa_model = {AmoaModel::kNone, "001 Projets \u00e9ligibles 1) (inside the forfait)"};
  r.amoa_amount = {kZero, "001 Projets \u00e9ligibles 1)"};

  // 001: "25k€ par ESMS, pour les projets d'acquisition [...] dans la limite de 30 ESMS
  // par projet"; "10k€ par ESMS, pour les projets de mise en conformité [...] dans la
  // limite de 30 ESMS par projet".
  r.amorcage_acquisition_per_esms = {Money::Euros(25000), kForfaits};
  r.amorcage_conformity_per_esms = {Money::Euros(10000), kForfaits};
  r.amorcage_max_funded_esms = {30, kForfaits};

  // 001 1): "une « grappe » de structures composée d'au moins trois organismes
  // gestionnaires regroupant au moins quinze ESMS. Ce seuil est porté à deux
  // organismes gestionnaires et huit ESMS minimum pour les territoires ultramarins et la
  // Corse." A hard rule for acquisitions.
  r.grappe_ideal_essms = {15, 8, "001 Projets \u00e9ligibles 1)"};
  r.amorcage_min_ogs = {3, 2, "001 Projets \u00e9ligibles 1)"};
  r.amorcage_min_esms = {15, 8, "001 Projets \u00e9ligibles 1)"};
  r.grappe_size_is_refusal = {true, "001 Projets \u00e9ligibles 1)"};

  // 001 "La phase d'amorçage": a multi-regional project is filed with the ARS of the
  // head office or of the region with most establishments, each ARS funding its own
  // ESMS. Interpretation: there is no national guichet in amorçage.
  r.has_national_guichet = {false, "001 La phase d'amor\u00e7age"};
  r.national_guichet_min_essms = {0, "001 La phase d'amor\u00e7age"};

  // 001 "Calendrier": "Ouverture de l'appel à projets : du 12/02/21 au 30/04/21";
  // selection 03/05/21 - 31/05/2021. One window for every project.
  r.regional_window = SubmissionWindow{Day(2021, 2, 12), Day(2021, 4, 30), "001 Calendrier"};
  r.multiregional_window = SubmissionWindow{Day(2021, 2, 12), Day(2021, 4, 30), "001 Calendrier"};
  r.window_note =
      "one window for regional and multi-regional projects; selection from 2021-05-03 to "
      "2021-05-31";

  // 001 "Modalités de financement": 40 % at convention signature, 40 % at the end of
  // parametrisation, 20 % at the end of deployment after checking the usage criteria.
  // 001 "Remarque": those 20 % are split equally over the five usage criteria, each
  // paid prorata of the result obtained against the value announced.
  constexpr std::string_view kPayments = "001 Modalit\u00e9s de financement";
  r.tranches = {
      {"advance", 400, "at the start, at the signature of the convention", kPayments},
      {"parametrisation", 400, "at the end of parametrisation, on its invoice", kPayments},
      {"deployment", 200,
       "at the end of deployment, after checking usage: 5 criteria of 4 % each, prorata of "
       "the result against the value announced (001 Remarque)",
       kPayments},
  };

  // 001 "Critères d'utilisation": no target values; the porteur announces its own.
  r.usage_targets = {};
  r.dui_measurement_period = {
      "the last three months during the project, then every month during maintenance",
      "001 Crit\u00e8res d'utilisation"};
  r.socle_measurement_period = {
      "the last three months during the project, then every month during maintenance",
      "001 Crit\u00e8res d'utilisation"};
  r.grappe_solidarity_months = {0, "002 (g\u00e9n\u00e9ralisation only)"};
  r.measurement = {0, false, 0, 0, 0, "001 Crit\u00e8res d'utilisation (no targets)"};

  // 001 asks the porteur for its duration ("Durée du projet: préciser").
  r.duration_usage_months = {0, "001 Crit\u00e8res de recevabilit\u00e9"};
  r.duration_acquisition_months = {0, "001 Crit\u00e8res de recevabilit\u00e9"};
  r.durations_opposable = {false, "001 Crit\u00e8res de recevabilit\u00e9"};

  r.sons_validated_no_later_than_disqualifies = std::nullopt;

  r.pnrr_active_dui_target = {410000, kPnrrSource};
  r.pnrr_target_date = {Day(2024, 12, 31), kPnrrSource};
  return r;
}

// ---------------------------------------------------------------------------------
// DescribeRules helpers.
// ---------------------------------------------------------------------------------

std::string Ordinal(int n) {
  std::string suffix = "th";
  if (n % 100 < 11 || n % 100 > 13) {
    if (n % 10 == 1) suffix = "st";
    if (n % 10 == 2) suffix = "nd";
    if (n % 10 == 3) suffix = "rd";
  }
  return std::to_string(n) + suffix;
}

std::string Thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out = n < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ' ';
    out += digits[i];
  }
  return out;
}

std::string PerMille(int per_mille) {
  std::string out = std::to_string(per_mille / 10);
  if (per_mille % 10 != 0) out += "," + std::to_string(per_mille % 10);
  return out + " %";
}

void AddRankRate(std::vector<RuleFigure>* out, const std::string& name, const RankRate& rate,
                 int last_full_rank) {
  out->push_back({name + " (ranks 1-" + std::to_string(last_full_rank) + ")",
                  rate.full.ToString() + " up to the " + Ordinal(last_full_rank) + " ESSMS",
                  std::string(rate.source)});
  out->push_back({name + " (from rank " + std::to_string(last_full_rank + 1) + ")",
                  rate.volume.ToString() + " from the " + Ordinal(last_full_rank + 1) + " ESSMS",
                  std::string(rate.source)});
}

std::string Size(const SizeThreshold& t, std::string_view unit) {
  return std::to_string(t.metropolitan) + " " + std::string(unit) + " (" +
         std::to_string(t.overseas_or_corsica) + " overseas / Corsica)";
}

std::string CommonPeriodText(const MeasurementRule& m) {
  std::string out;
  if (m.common_period_months == 1) {
    out = "one calendar month ending on a month end (the month elapsed)";
  } else {
    out = std::to_string(m.common_period_months) + " whole calendar months ending on a month end";
  }
  if (m.monthly_rhythm) {
    out +=
        ", covered by monthly measures ending on a month end (an ESSMS's first measure "
        "may cover up to " +
        std::to_string(m.first_measure_max_months) + " months); other periods never make it";
  } else {
    out += ", covered by the ESSMS's measures; a mid-month period never makes it";
  }
  if (m.socle_max_months > 0) {
    out +=
        "; MSSant\u00e9 / DMP over 3 to 6 whole months ending then "
        "(soclePeriodStart), else over the measure's own period";
    out.replace(out.find("3 to 6"), 6,
                std::to_string(m.socle_min_months) + " to " + std::to_string(m.socle_max_months));
  }
  return out;
}

}  // namespace

std::vector<Campaign> AllCampaigns() {
  return {Campaign::kAmorcage2021, Campaign::kGeneralisation2023, Campaign::kGeneralisation2024,
          Campaign::kGeneralisation2025};
}

std::string_view CampaignId(Campaign c) {
  switch (c) {
    case Campaign::kAmorcage2021:
      return "amorcage-2021";
    case Campaign::kGeneralisation2023:
      return "generalisation-2023";
    case Campaign::kGeneralisation2024:
      return "generalisation-2024";
    case Campaign::kGeneralisation2025:
      return "generalisation-2025";
  }
  return "unknown";
}

Result<Campaign> ParseCampaign(std::string_view id) {
  std::string known;
  for (Campaign c : AllCampaigns()) {
    if (CampaignId(c) == id) return c;
    if (!known.empty()) known += ", ";
    known += CampaignId(c);
  }
  return Status::InvalidArgument("UNKNOWN_CAMPAIGN", "unknown campaign \"" + std::string(id) +
                                                         "\"; known campaigns: " + known);
}

std::string_view IndicatorId(Indicator indicator) {
  switch (indicator) {
    case Indicator::kActiveFiles:
      return "active-files";
    case Indicator::kPersonalisedPlan:
      return "personalised-plan";
    case Indicator::kAgendaEvent:
      return "agenda-event";
    case Indicator::kMssante:
      return "mssante";
    case Indicator::kDmp:
      return "dmp";
  }
  return "unknown";
}

std::string_view IndicatorName(Indicator indicator) {
  switch (indicator) {
    case Indicator::kActiveFiles:
      return "active files rate";
    case Indicator::kPersonalisedPlan:
      return "active files with a personalised plan";
    case Indicator::kAgendaEvent:
      return "active files with an agenda event";
    case Indicator::kMssante:
      return "MSSant\u00e9 use";
    case Indicator::kDmp:
      return "DMP use";
  }
  return "unknown";
}

const Rulebook& RulebookFor(Campaign c) {
  // Built once, immutable afterwards (thread-safe static initialisation).
  static const std::array<Rulebook, 4> kRulebooks = {MakeAmorcage2021(), MakeGeneralisation2023(),
                                                     MakeGeneralisation2024(),
                                                     MakeGeneralisation2025()};
  switch (c) {
    case Campaign::kAmorcage2021:
      return kRulebooks[0];
    case Campaign::kGeneralisation2023:
      return kRulebooks[1];
    case Campaign::kGeneralisation2024:
      return kRulebooks[2];
    case Campaign::kGeneralisation2025:
      return kRulebooks[3];
  }
  return kRulebooks[2];
}

std::vector<RuleFigure> DescribeRules(Campaign c) {
  const Rulebook& r = RulebookFor(c);
  std::vector<RuleFigure> out;
  auto add = [&](std::string name, std::string value, std::string_view source) {
    out.push_back({std::move(name), std::move(value), std::string(source)});
  };

  add("rulebook", std::string(r.id) + " \u2014 " + std::string(r.source_text),
      r.source_text.substr(0, 3));

  if (r.funding_model.value == FundingModel::kRankTiers) {
    const int last = r.last_full_rate_rank.value;
    add("rank tiers",
        "full rates up to the " + Ordinal(last) + " ESSMS, volume rates from the " +
            Ordinal(last + 1) + "; ranks over the whole project in listing order, extensions next",
        r.last_full_rate_rank.source);
    // DOMAIN.md §3 (issue 13 item 3): the ESSMS left out of a convention use no rank.
    add("ranks once a convention is signed",
        "ranks over the ESSMS the signed convention lists, in the same relative order; "
        "extensions take the next ranks after them",
        "DOMAIN.md \u00a73 (000 \u00a74.4.1: \u00ab \u00e9tablissements parties au projet \u00bb)");
    add("project kind",
        "acquisition = every ESSMS in acquisition, usage = every ESSMS in upgrade, mixed = "
        "both; else INVALID_PROJECT_KIND",
        "000 \u00a74.7 (acquisition / mise en conformit\u00e9), 002 Mise en grappes (grappes "
        "mixtes)");
    AddRankRate(&out, "usage development per ESSMS in acquisition", r.acquisition_usage, last);
    AddRankRate(&out, "software equipment per ESSMS in acquisition", r.acquisition_software, last);
    AddRankRate(&out, "usage development per ESSMS in upgrade", r.upgrade_usage, last);
    add("software equipment per ESSMS in upgrade",
        "none: the vendor's S\u00e9gur upgrade is paid by SONS", r.acquisition_software.source);
    add("SAAD prorata",
        "usage + software prorated by eligible / total hours of year N-1, rounded down to "
        "the cent once",
        r.campaign == Campaign::kGeneralisation2023 ? "000 \u00a74.4.1, Annexe 1"
                                                    : "003 \u00a73.3.1, Annexe 1");
  } else {
    add("acquisition forfait per ESMS",
        r.amorcage_acquisition_per_esms.value.ToString() + " per ESMS, at most " +
            std::to_string(r.amorcage_max_funded_esms.value) + " ESMS per project",
        r.amorcage_acquisition_per_esms.source);
    add("conformity forfait per ESMS",
        r.amorcage_conformity_per_esms.value.ToString() + " per ESMS, at most " +
            std::to_string(r.amorcage_max_funded_esms.value) + " ESMS per project",
        r.amorcage_conformity_per_esms.source);
    add("project kind", "acquisition or conformity, never both", "001 Projets \u00e9ligibles 2)");
  }

  add("small OG", "fewer than " + Size(r.small_og_below, "ESSMS"), r.small_og_below.source);
  add(r.funding_model.value == FundingModel::kRankTiers
          ? "equipment and infrastructure per ESSMS of a small OG"
          : "equipment and infrastructure per small ESMS",
      "at most " + r.small_og_equipment_cap.value.ToString() +
          ", never more than the quote nor the real expense",
      r.small_og_equipment_cap.source);
  switch (r.amoa_model.value) {
    case AmoaModel::kFlat:
      add("AMOA for a grappe of small OGs",
          r.amoa_amount.value.ToString() +
              " flat per project, for a regroupement: at least two OGs, all small",
          r.amoa_amount.source);
      break;
    case AmoaModel::kCapped:
      add("AMOA for a grappe of small OGs",
          "at most " + r.amoa_amount.value.ToString() +
              " per project, for a regroupement: at least two OGs, all small",
          r.amoa_amount.source);
      break;
    case AmoaModel::kNone:
      add("AMOA", "no separate amount (part of the project's funding)", r.amoa_model.source);
      break;
  }

  if (r.funding_model.value == FundingModel::kAmorcageForfaits) {
    add("acquisition grappe minimum (refusal below)",
        "at least " + Size(r.amorcage_min_ogs, "OGs") + " and " +
            Size(r.amorcage_min_esms, "ESMS") +
            "; a medium or large OG changing its solution may carry it alone",
        r.amorcage_min_esms.source);
  } else if (r.grappe_size_is_refusal.value) {
    add("grappe minimum size (refusal below)", "at least " + Size(r.grappe_ideal_essms, "ESSMS"),
        r.grappe_size_is_refusal.source);
  } else {
    add("grappe ideal size (warning below)", "ideally " + Size(r.grappe_ideal_essms, "ESSMS"),
        r.grappe_ideal_essms.source);
  }
  add("unit of count", "one FINESS g\u00e9ographique = one ESSMS = one subsidy",
      "000 \u00a74.4.1, 003 \u00a73.3.1, 002 \u00c9ligibilit\u00e9");

  if (r.funding_model.value == FundingModel::kRankTiers) {
    // 000 §3.2 (issue 13 item 2).
    add("SONS and acquisition",
        "an ESSMS that ordered the Prestation S\u00e9gur gets no acquisition funding, whichever "
        "software; usage funding keeping the SONS solution stays allowed",
        "000 \u00a73.2");
  } else {
    // 001 asks for the CNSA national purchasing contract, never Ségur referencing.
    add("S\u00e9gur referencing", "not checked: amor\u00e7age is not a S\u00e9gur campaign",
        "001 Projets \u00e9ligibles (DOMAIN.md \u00a72)");
  }
  add("lead region",
      "the region with the most of the submitted ESSMS (a tie: the porteur's region) follows "
      "the project; a selection, convention or balance signed by another of its regions' "
      "ARS: NOT_LEAD_REGION warning; a complement's paying region pays only the complement "
      "(PAYING_REGION_MISMATCH when it is not the added ESSMS' region)",
      "002 Mise en grappes (\u00ab la r\u00e9gion la plus repr\u00e9sent\u00e9e \u00bb)");
  if (r.has_national_guichet.value) {
    add("guichet",
        "regional below " + std::to_string(r.national_guichet_min_essms.value) +
            " ESSMS or in one region; national from " +
            std::to_string(r.national_guichet_min_essms.value) + " ESSMS in several regions",
        r.national_guichet_min_essms.source);
  } else {
    add("guichet",
        "always the ARS (head office region or region with most ESMS), each ARS funding "
        "its own ESMS",
        r.has_national_guichet.source);
  }

  if (r.regional_window) {
    add("submission window, regional projects",
        r.regional_window->opens.ToString() + " to " + r.regional_window->closes.ToString() +
            " (closing day included)",
        r.regional_window->source);
  }
  if (r.multiregional_window) {
    add("submission window, multi-regional projects",
        r.multiregional_window->opens.ToString() + " to " +
            r.multiregional_window->closes.ToString() + " (closing day included)",
        r.multiregional_window->source);
  }
  if (!r.regional_window && !r.multiregional_window) {
    add("submission window", "none checked: " + std::string(r.window_note),
        "DOMAIN.md \u00a71 (002 has no dates)");
  } else {
    add("submission window notes", std::string(r.window_note),
        r.regional_window ? r.regional_window->source : std::string_view("DOMAIN.md \u00a71"));
  }

  for (const TrancheRule& t : r.tranches) {
    add("payment tranche \"" + std::string(t.id) + "\"",
        PerMille(t.per_mille) + " " + std::string(t.when), t.source);
  }
  add("payment rounding",
      "each tranche but the last rounded down to the cent; the last is the remainder",
      "DOMAIN.md \u00a73, \u00a75");

  if (r.usage_targets.empty()) {
    add("usage targets",
        "no fixed target: the porteur announces its values; the last 20 % is paid prorata "
        "of the results",
        "001 Crit\u00e8res d'utilisation, Remarque");
  }
  for (const UsageTarget& t : r.usage_targets) {
    add("usage target: " + std::string(IndicatorName(t.indicator)),
        std::to_string(t.percent) + " % (numerator x 100 >= target x denominator)", t.source);
  }
  add("measurement period, DUI indicators", std::string(r.dui_measurement_period.value),
      r.dui_measurement_period.source);
  add("measurement period, MSSant\u00e9 / DMP", std::string(r.socle_measurement_period.value),
      r.socle_measurement_period.source);
  if (r.grappe_solidarity_months.value > 0) {
    add("grappe solidarity",
        "every FINESS of the convention meets the targets at the same time, over one "
        "common period, or no balance is paid",
        "002 Mise en grappes");
    add("grappe common period", CommonPeriodText(r.measurement), r.measurement.source);
  }

  if (r.duration_acquisition_months.value > 0) {
    const std::string kind =
        r.durations_opposable.value ? "contractual" : "indicative, not opposable";
    add("duration, acquisition projects",
        std::to_string(r.duration_acquisition_months.value) + " months (" + kind + ")",
        r.duration_acquisition_months.source);
    add("duration, projects without software change",
        std::to_string(r.duration_usage_months.value) + " months (" + kind + ")",
        r.duration_usage_months.source);
    if (r.durations_opposable.value) {
      add("advance after the contractual end",
          "refused (CONVENTION_EXPIRED) when paid after signedAt + durationMonths of the "
          "convention in force",
          r.duration_acquisition_months.source);
    }
  } else {
    add("duration", "given by the porteur", r.duration_usage_months.source);
  }

  if (r.sons_validated_no_later_than_disqualifies) {
    add("SONS validation cut-off",
        "a Prestation S\u00e9gur validated on or before " +
            r.sons_validated_no_later_than_disqualifies->value.ToString() +
            " disqualifies usage funding",
        r.sons_validated_no_later_than_disqualifies->source);
  }
  add("PNRR active-DUI target",
      Thousands(r.pnrr_active_dui_target.value) + " active DUI at " +
          r.pnrr_target_date.value.ToString(),
      r.pnrr_active_dui_target.source);
  // Second reading (DOMAIN.md §2, §5): deadlines, the amorçage prorata, Ségur referencing.
  for (auto figures : {DurationFigures, ProrataFigures, ReferencingFigures}) {
    for (RuleFigure& f : figures(c)) out.push_back(std::move(f));
  }
  return out;
}

}  // namespace esms::domain
