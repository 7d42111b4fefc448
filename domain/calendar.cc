#include "domain/calendar.h"

namespace esms::domain {
namespace {

inline constexpr std::string_view kOutOfWindow = "SUBMISSION_OUT_OF_WINDOW";

std::optional<Tranche> TrancheOf(std::string_view id) {
  if (id == "advance") return Tranche::kAdvance;
  if (id == "balance") return Tranche::kBalance;
  if (id == "parametrisation") return Tranche::kParametrisation;
  if (id == "deployment") return Tranche::kDeployment;
  return std::nullopt;
}

}  // namespace

std::string_view GuichetId(Guichet g) { return g == Guichet::kNational ? "national" : "regional"; }

std::string_view WindowKindId(WindowKind k) {
  return k == WindowKind::kMultiRegional ? "multi-regional" : "regional";
}

GuichetDecision DecideGuichet(Campaign campaign, int unique_essms, int regions) {
  const Rulebook& rules = RulebookFor(campaign);
  GuichetDecision d;
  d.unique_essms = unique_essms;
  d.regions = regions;
  d.source = rules.has_national_guichet.source;
  const std::string counts = std::to_string(unique_essms) + " ESSMS in " + std::to_string(regions) +
                             (regions == 1 ? " region" : " regions");
  if (!rules.has_national_guichet.value) {
    // 001 "La phase d'amorçage": filed with the ARS of the head office or of the region
    // with most establishments; each ARS funds its own ESMS.
    d.guichet = Guichet::kRegional;
    d.reason = counts + ": regional (amor\u00e7age has no national guichet)";
    return d;
  }
  // 000 §4.3 / 003 §7: "ESSMS < 50, ≥ 1 région: Régional; ≥ 50, = 1 région: Régional;
  // ≥ 50, > 1 région: National".
  const int threshold = rules.national_guichet_min_essms.value;
  d.source = rules.national_guichet_min_essms.source;
  if (unique_essms >= threshold && regions > 1) {
    d.guichet = Guichet::kNational;
    d.reason =
        counts + ": national (" + std::to_string(threshold) + " or more ESSMS in several regions)";
  } else if (unique_essms >= threshold) {
    d.guichet = Guichet::kRegional;
    d.reason =
        counts + ": regional (" + std::to_string(threshold) + " or more ESSMS, but one region)";
  } else {
    d.guichet = Guichet::kRegional;
    d.reason = counts + ": regional (fewer than " + std::to_string(threshold) + " ESSMS)";
  }
  return d;
}

WindowCheck CheckSubmissionWindow(Campaign campaign, Date submitted_at, int regions) {
  const Rulebook& rules = RulebookFor(campaign);
  WindowCheck c;
  // Multi-regional = establishments in more than one region (000 §4.6, 003 §8).
  c.kind = regions > 1 ? WindowKind::kMultiRegional : WindowKind::kRegional;
  c.window =
      c.kind == WindowKind::kMultiRegional ? rules.multiregional_window : rules.regional_window;
  const std::string kind(WindowKindId(c.kind));
  if (!c.window) {
    // DOMAIN.md §1: 2025 has no dates in the seeds; say so rather than invent them.
    c.checked = false;
    c.within = true;
    c.detail = "no submission window checked for " + std::string(rules.id) + ": " +
               std::string(rules.window_note);
    return c;
  }
  c.checked = true;
  c.within = c.window->Contains(submitted_at);
  const std::string range = c.window->opens.ToString() + " to " + c.window->closes.ToString() +
                            " (" + std::string(c.window->source) + ")";
  if (c.within) {
    c.detail = "submitted " + submitted_at.ToString() + ", within the " + kind + " window " + range;
  } else if (submitted_at > c.window->closes) {
    // 000 §4.6 / 003 §8: "Tout dossier déposé après la date de clôture [...] sera
    // considéré comme non recevable."
    c.detail = "submitted " + submitted_at.ToString() + ", after the " + kind +
               " window closed: " + range + "; the file is non recevable";
  } else {
    c.detail = "submitted " + submitted_at.ToString() + ", before the " + kind +
               " window opened: " + range;
  }
  return c;
}

Status RequireSubmissionInWindow(Campaign campaign, Date submitted_at, int regions) {
  WindowCheck c = CheckSubmissionWindow(campaign, submitted_at, regions);
  if (c.within) return Status::OK();
  return Status::FailedPrecondition(kOutOfWindow, std::move(c.detail));
}

std::vector<TrancheAmount> PaymentSchedule(Campaign campaign, Money convention_amount) {
  const Rulebook& rules = RulebookFor(campaign);
  std::vector<TrancheAmount> out;
  Money paid;
  for (size_t i = 0; i < rules.tranches.size(); ++i) {
    const TrancheRule& rule = rules.tranches[i];
    TrancheAmount t;
    t.tranche = TrancheOf(rule.id).value_or(Tranche::kBalance);
    t.per_mille = rule.per_mille;
    t.when = rule.when;
    t.source = rule.source;
    // DOMAIN.md §3 / §5: exact cents, rounded down; the last tranche takes the
    // remainder so that the tranches add up to the convention amount.
    t.amount = i + 1 < rules.tranches.size() ? convention_amount.MulDiv(rule.per_mille, 1000)
                                             : convention_amount - paid;
    paid += t.amount;
    out.push_back(t);
  }
  return out;
}

Result<TrancheAmount> TrancheFor(Campaign campaign, Tranche tranche, Money convention_amount) {
  std::string known;
  for (const TrancheAmount& t : PaymentSchedule(campaign, convention_amount)) {
    if (t.tranche == tranche) return t;
    if (!known.empty()) known += ", ";
    known += ToString(t.tranche);
  }
  return Status::BadInput("tranche \"" + std::string(ToString(tranche)) + "\" does not exist in " +
                          std::string(CampaignId(campaign)) + " (tranches: " + known + ")");
}

}  // namespace esms::domain
