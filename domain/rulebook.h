// Campaigns of the ESMS numérique programme and their rulebooks: every figure of the
// programme's texts (DOMAIN.md §1-§6), each with the source it comes from
// ("003 §3.3.2" = seed 003, section 3.3.2), so that the `rules` command and an auditor
// can trace any amount, threshold or date back to its text.
//
// Seeds: 000 = AAP généralisation 2023 (ARS Mayotte), 001 = AAP amorçage 2021
// (ARS Grand Est), 002 = FAQ 2025 (ARS Île-de-France), 003 = AAP généralisation 2024
// (ARS Bretagne).
//
// The rulebooks are constant data: RulebookFor() returns a reference to an immutable
// object built once. The pure calculations that use them live in entitlement.h,
// calendar.h and usage.h.
//
// Thread-safety: all functions are pure or return references to immutable data; safe
// from any thread.
#ifndef ESMS_DOMAIN_RULEBOOK_H_
#define ESMS_DOMAIN_RULEBOOK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "domain/date.h"
#include "domain/money.h"

namespace esms::domain {

// DOMAIN.md §1: one rulebook per campaign.
enum class Campaign {
  kAmorcage2021,        // "amorcage-2021", seed 001 (ARS Grand Est)
  kGeneralisation2023,  // "generalisation-2023", seed 000 (ARS Mayotte)
  kGeneralisation2024,  // "generalisation-2024", seed 003 (ARS Bretagne)
  kGeneralisation2025,  // "generalisation-2025", seed 002 (FAQ, ARS Île-de-France)
};

// All campaigns, in chronological order.
std::vector<Campaign> AllCampaigns();

// "amorcage-2021", "generalisation-2023", "generalisation-2024",
// "generalisation-2025"; anything else ->
// Status::InvalidArgument("UNKNOWN_CAMPAIGN", "... known campaigns: ...").
Result<Campaign> ParseCampaign(std::string_view id);

// The rulebook id of `c` ("generalisation-2024").
std::string_view CampaignId(Campaign c);

// ---- Rulebook vocabulary ----

// A figure and the text it comes from.
template <typename T>
struct Sourced {
  T value;
  std::string_view source;  // "003 §3.3.2"
};

// How a campaign funds an ESSMS.
enum class FundingModel {
  kRankTiers,         // généralisation: per-ESSMS rates by rank in the project (§3)
  kAmorcageForfaits,  // amorçage 2021: flat forfaits per ESMS, at most 30 ESMS (001)
};

// How AMOA (assistance à maîtrise d'ouvrage) for a grappe of small OGs is funded.
enum class AmoaModel {
  kNone,    // not a separate item (amorçage: part of the forfait)
  kFlat,    // 2023: a flat amount per project (000 §4.4.2 3)
  kCapped,  // 2024+: at most the amount, never more than requested (003 §3.3.2 3)
};

// A per-ESSMS amount by rank: ranks 1..last_full_rank get `full`, later ranks `volume`.
struct RankRate {
  Money full;    // "up to the 49th ESSMS"
  Money volume;  // "from the 50th ESSMS", to account for the volume effect
  std::string_view source;

  Money At(int rank, int last_full_rank) const { return rank <= last_full_rank ? full : volume; }
};

// A threshold that is lower in overseas territories and Corsica.
struct SizeThreshold {
  int metropolitan;
  int overseas_or_corsica;
  std::string_view source;

  int For(bool overseas) const { return overseas ? overseas_or_corsica : metropolitan; }
};

// A submission window; both days are included (the texts close "à minuit" on the
// closing day, so a file dated that day is still in).
struct SubmissionWindow {
  Date opens;
  Date closes;
  std::string_view source;

  bool Contains(Date d) const { return opens <= d && d <= closes; }
};

// One payment tranche: its share of the convention amount in per-mille (1000 = all).
struct TrancheRule {
  std::string_view id;    // as in payment.issued `tranche`: "advance", "balance", ...
  int per_mille;          // 500 = 50 %
  std::string_view when;  // human text: "at convention signature"
  std::string_view source;
};

// The five mandatory usage indicators (DOMAIN.md §6).
enum class Indicator {
  kActiveFiles,       // active files / persons accompanied
  kPersonalisedPlan,  // active files with a projet personnalisé / active files
  kAgendaEvent,       // active files with an agenda event / active files
  kMssante,           // MSSanté messages sent / persons eligible
  kDmp,               // DMP fed with a document / persons eligible
};

// "active-files", "personalised-plan", "agenda-event", "mssante", "dmp".
std::string_view IndicatorId(Indicator indicator);
// "active files rate", ...
std::string_view IndicatorName(Indicator indicator);

struct UsageTarget {
  Indicator indicator;
  int percent;  // met when numerator * 100 >= percent * denominator
  std::string_view source;
};

// How usage is measured and combined into the grappe's common period (DOMAIN.md §5,
// §6 "Rhythm"; issue 13 items 6 and 20). A measure counts towards the common period
// only when its period is whole calendar months ending on a month end.
struct MeasurementRule {
  int common_period_months = 0;      // 2023: 1 (the month elapsed); 2024, 2025: 3
  bool monthly_rhythm = false;       // 2023, 2025: a counting measure covers one month...
  int first_measure_max_months = 0;  // ...except the ESSMS's first, up to 3 months
  int socle_min_months = 0;          // 2024: MSSanté / DMP over 3...
  int socle_max_months = 0;          // ...to 6 months (soclePeriodStart); 0: no window
  std::string_view source;
};

// Everything a campaign's texts fix, with sources. Fields that do not apply to a
// campaign hold zero / empty / nullopt and say so in their comment.
struct Rulebook {
  Campaign campaign;
  std::string_view id;           // "generalisation-2024"
  std::string_view source_text;  // "003: AAP généralisation 2024, ARS Bretagne"
  Sourced<FundingModel> funding_model;

  // -- Généralisation amounts per ESSMS by rank (000 §4.4.2, 003 §3.3.2). --
  Sourced<int> last_full_rate_rank;  // 49: the 49th gets the full rate, the 50th not
  RankRate acquisition_usage;        // 7 000 € / 2 000 €
  RankRate acquisition_software;     // 14 000 € / 3 000 €
  RankRate upgrade_usage;            // 5 000 € / 2 000 € (software: the vendor, by SONS)

  // -- Small OGs (000/003 §4.4.2 3 / §3.3.2 3; amorçage: small ESMS, 001). --
  SizeThreshold small_og_below;           // small when essmsTotal < 15 (< 8)
  Sourced<Money> small_og_equipment_cap;  // 20 000 € 2023, 10 000 € 2024+, 20 000 € 2021
  Sourced<AmoaModel> amoa_model;
  Sourced<Money> amoa_amount;  // 100 000 € (flat 2023, at most 2024+)

  // -- Amorçage forfaits (001 "Projets éligibles"); zero in généralisation. --
  Sourced<Money> amorcage_acquisition_per_esms;  // 25 000 €
  Sourced<Money> amorcage_conformity_per_esms;   // 10 000 €
  Sourced<int> amorcage_max_funded_esms;         // 30

  // -- Project size (DOMAIN.md §2). --
  SizeThreshold grappe_ideal_essms;      // généralisation: ideally 15 (8); a warning
  SizeThreshold amorcage_min_ogs;        // amorçage acquisition: at least 3 OGs (2)
  SizeThreshold amorcage_min_esms;       // amorçage acquisition: at least 15 ESMS (8)
  Sourced<bool> grappe_size_is_refusal;  // amorçage acquisition; 2025 (002)

  // -- Guichet (000 §4.3, 003 §7). --
  Sourced<bool> has_national_guichet;       // false in amorçage (always the ARS)
  Sourced<int> national_guichet_min_essms;  // 50 ESSMS or more in several regions

  // -- Submission windows (DOMAIN.md §1); nullopt when the texts give none. --
  std::optional<SubmissionWindow> regional_window;
  std::optional<SubmissionWindow> multiregional_window;
  std::string_view window_note;  // why there is no window, or how windows are chosen

  // -- Payment schedule (DOMAIN.md §5); the shares add up to 1000. --
  std::vector<TrancheRule> tranches;

  // -- Usage targets and measurement periods (DOMAIN.md §6); no targets in amorçage. --
  std::vector<UsageTarget> usage_targets;
  Sourced<std::string_view> dui_measurement_period;
  Sourced<std::string_view> socle_measurement_period;  // MSSanté / DMP
  Sourced<int> grappe_solidarity_months;               // the common period's months: 1 (2023), 3
  MeasurementRule measurement;

  // -- Durations in months (0 = the texts give none). --
  Sourced<int> duration_usage_months;        // 9 (indicative) / 6 (2025 contract)
  Sourced<int> duration_acquisition_months;  // 18
  Sourced<bool> durations_opposable;         // false 2023/2024 ("non opposable"), true 2025

  // -- Non-cumulation with SONS (003 §2.1): a Prestation Ségur validated on or before
  // this day disqualifies usage funding; nullopt when the campaign has no cut-off. --
  std::optional<Sourced<Date>> sons_validated_no_later_than_disqualifies;

  // -- The PNRR active-DUI indicator (003 §3.1, §4 B). --
  Sourced<int64_t> pnrr_active_dui_target;  // 410 000
  Sourced<Date> pnrr_target_date;           // 2024-12-31
};

// The rulebook of `c`; the reference stays valid for the life of the program.
const Rulebook& RulebookFor(Campaign c);

// One line of the `rules` command: a figure, its human value, its source.
struct RuleFigure {
  std::string name;    // "usage development per ESSMS in acquisition"
  std::string value;   // "7 000,00 € up to the 49th ESSMS"
  std::string source;  // "003 §3.3.2"
};

// Every figure of the campaign's rulebook as human-readable lines, each with a
// non-empty source.
std::vector<RuleFigure> DescribeRules(Campaign c);

}  // namespace esms::domain

#endif  // ESMS_DOMAIN_RULEBOOK_H_
