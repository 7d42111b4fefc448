#include "projections/rules.h"

#include <algorithm>
#include <map>
#include <set>

#include "domain/calendar.h"
#include "domain/entitlement.h"
#include "domain/rulebook.h"
#include "domain/usage.h"
#include "projections/adjustments.h"
#include "projections/deadlines.h"
#include "projections/outside_funding.h"
#include "projections/referencing.h"

namespace esms::projections {

namespace {

std::string SolutionText(const domain::Solution& s) {
  return s.vendor + " " + s.product + " " + s.version;
}

std::vector<uint64_t> WithPath(std::vector<uint64_t> seqs,
                               const EstablishmentRegistry::Member& member) {
  seqs.insert(seqs.end(), member.change_seqs.begin(), member.change_seqs.end());
  return seqs;
}

std::string Through(const EstablishmentRegistry::Member& member, const domain::Finess& asked) {
  if (member.finess == asked) return "";
  return " (recorded for " + member.finess.str() +
         (member.via_merger ? ", merged" : ", renumbered") + " into the lineage of " + asked.str() +
         ")";
}

// The seqs of the records of `project` that fund `finess`: its listing and its
// convention, if any.
std::vector<uint64_t> FundingSeqs(const Project& project, const domain::Finess& finess) {
  std::vector<uint64_t> seqs;
  int index = project.IndexOf(finess);
  if (index >= 0) seqs.push_back(project.establishments[index].seq);
  if (const auto* convention = project.convention()) seqs.push_back(convention->seq);
  return seqs;
}

// 000 §3.2: « Cette prestation ne peut pas être cumulée avec un financement à
// l'équipement logiciel ESMS Numérique (porteurs en acquisition) »: an ESSMS that
// ordered the Prestation Ségur gets no acquisition funding at all, whichever software
// (another one, or the SONS one again); usage funding (situation upgrade) keeping the
// SONS-funded solution stays allowed (002 Éligibilité, 003 §2.1). Issue 13 item 2.
Finding SonsAgainstAcquisition(const Fact<domain::SonsOrdered>& sons, const FundingContext& context,
                               const domain::EstablishmentEntry& entry,
                               const EstablishmentRegistry::Member& member,
                               const std::string& through) {
  const bool same = SameSoftware(sons.data.solution, context.solution);
  return {"NONCUMUL_SONS_ACQUISITION",
          entry.finess.str() + " ordered the Prestation S\u00e9gur (SONS) for " +
              SolutionText(sons.data.solution) + " and cannot be funded for the acquisition of " +
              (same ? std::string("that same software") : SolutionText(context.solution)) +
              " (000 \u00a73.2: not cumulable with any software-equipment funding)" + through,
          WithPath({sons.seq}, member), member.via_merger};
}

}  // namespace

bool SameSoftware(const domain::Solution& a, const domain::Solution& b) {
  return a.vendor == b.vendor && a.product == b.product;
}

std::vector<Finding> FundingFindings(const ProgrammeState& state, const FundingContext& context,
                                     const domain::EstablishmentEntry& entry) {
  std::vector<Finding> findings;
  const domain::Rulebook& rulebook = domain::RulebookFor(context.campaign);
  const bool acquisition = entry.situation == domain::Situation::kAcquisition;
  for (const auto& member : state.registry().Lineage(entry.finess)) {
    const EstablishmentFacts* facts = state.registry().FindWithoutMeasurements(member.finess);
    if (facts == nullptr) continue;
    const std::string through = Through(member, entry.finess);
    // Other projects funding this ESSMS (000 §4.2 A 2 and 3, 003 §3.2 A).
    std::set<std::string> seen_projects;
    for (const ProjectLink& link : facts->project_records) {
      if (link.project == context.project || !seen_projects.insert(link.project).second) continue;
      const Project* other = state.FindProject(link.project);
      if (other == nullptr || other->status() == ProjectStatus::kRejected) continue;
      if (other->IndexOf(member.finess) < 0) continue;  // named by a convention only
      const bool same = SameSoftware(other->submission.solution, context.solution);
      findings.push_back({same ? "NONCUMUL_SAME_SOFTWARE" : "NONCUMUL_SECOND_DUI",
                          entry.finess.str() + " is already funded by project " + other->id() +
                              " for " + (same ? "the same software " : "another DUI software ") +
                              SolutionText(other->submission.solution) + through,
                          WithPath(FundingSeqs(*other, member.finess), member), member.via_merger});
    }
    // European funds for the same operation (000 §4.2 A 1, 003 §3.2 A 1).
    for (const auto& eu : facts->eu_funds) {
      const bool same_operation =
          (eu.data.operation == domain::EuOperation::kAcquisition) == acquisition;
      if (!same_operation) continue;
      if (eu.data.fund == domain::EuFund::kHopen && !context.ght) continue;
      findings.push_back({"NONCUMUL_EU_FUNDS",
                          entry.finess.str() + " already gets " +
                              std::string(domain::ToString(eu.data.fund)) + " funds for its " +
                              std::string(domain::ToString(eu.data.operation)) + through,
                          WithPath({eu.seq}, member), member.via_merger});
    }
    // SONS (000 §3.2, 002 Éligibilité, 003 §2.1).
    for (const auto& sons : facts->sons) {
      const bool keeps_sons_software = SameSoftware(sons.data.solution, context.solution);
      if (acquisition) {
        findings.push_back(SonsAgainstAcquisition(sons, context, entry, member, through));
        continue;
      }
      if (!acquisition && !keeps_sons_software) {
        findings.push_back({"SOLUTION_MISMATCH",
                            entry.finess.str() + " upgrades its SONS software " +
                                SolutionText(sons.data.solution) + ", not the project's solution " +
                                SolutionText(context.solution) + through,
                            WithPath({sons.seq}, member), member.via_merger});
        continue;
      }
      const auto& cutoff = rulebook.sons_validated_no_later_than_disqualifies;
      if (cutoff.has_value() && sons.data.validated_at.has_value() &&
          *sons.data.validated_at <= cutoff->value) {
        findings.push_back({"SONS_VALIDATED_TOO_EARLY",
                            entry.finess.str() + ": its Prestation Ségur was validated on " +
                                sons.data.validated_at->ToString() + ", on or before " +
                                cutoff->value.ToString() + " (" + std::string(cutoff->source) +
                                ")" + through,
                            WithPath({sons.seq}, member), member.via_merger});
      }
    }
  }
  // The GHT hospital-corridor condition (projections/referencing.h).
  for (Finding& f : HospitalCorridorFindings(state, context, entry))
    findings.push_back(std::move(f));
  // Funding granted outside the ledger (projections/outside_funding.h).
  for (Finding& f : RecordedFundingFindings(state, context, entry))
    findings.push_back(std::move(f));
  return findings;
}

std::vector<Finding> ProjectFindings(const ProgrammeState& state, const Project& project,
                                     const std::vector<domain::Finess>& finess_list) {
  FundingContext context{project.id(), project.campaign(), project.submission.solution,
                         project.submission.porteur.ght.value_or(false)};
  std::vector<Finding> findings;
  for (const auto& e : project.establishments) {
    if (!finess_list.empty() &&
        std::find(finess_list.begin(), finess_list.end(), e.entry.finess) == finess_list.end()) {
      continue;
    }
    for (auto& f : FundingFindings(state, context, e.entry)) findings.push_back(std::move(f));
  }
  return findings;
}

std::vector<domain::Finess> ConventionEstablishments(const ProgrammeState& state,
                                                     const Project& project) {
  std::vector<domain::Finess> listed;
  const auto* convention = project.convention();
  if (convention == nullptr) return listed;
  for (const domain::Finess& f : convention->data.establishments) {
    const domain::Finess current = state.registry().Resolve(f);
    domain::Finess match = f;
    for (const auto& e : project.establishments) {
      if (state.registry().Resolve(e.entry.finess) == current) match = e.entry.finess;
    }
    listed.push_back(match);
  }
  return listed;
}

bool OnNationalGuichet(const Project& project) {
  const domain::ProjectShape shape = domain::ShapeOf(project.submission.establishments);
  return domain::DecideGuichet(project.campaign(), shape.unique_essms, shape.regions).guichet ==
         domain::Guichet::kNational;
}

Result<domain::ProjectEntitlement> EntitlementOf(const Project& project) {
  std::vector<domain::EstablishmentEntry> entries;
  for (const auto& e : project.establishments) entries.push_back(e.entry);
  std::optional<domain::Money> amoa;
  if (project.submission.amoa_requested_cents.has_value()) {
    amoa = domain::Money::Cents(*project.submission.amoa_requested_cents);
  }
  return domain::ComputeEntitlement(project.campaign(), project.organisations, entries, amoa);
}

// DOMAIN.md §3 « Ranks count the ESSMS party to the project as funded » (issue 13
// item 3): once a convention is signed, the ESSMS it lists (the convention in force),
// then the ESSMS added by extensions recorded after it (« extensions take the next
// ranks after the convention's ESSMS »); before any convention, every listed ESSMS.
// 000 §4.4.1: « Le nombre d'ESSMS est calculé par rapport au nombre de FINESS
// géographiques uniques des établissements parties au projet ».
// Interpretation: an ESSMS left out of the convention in force is no longer party to
// the project and uses no rank; project listing order is kept (same relative order).
std::vector<domain::Finess> FundedEstablishments(const ProgrammeState& state,
                                                 const Project& project) {
  std::vector<domain::Finess> funded;
  const auto* convention = project.convention();
  const std::vector<domain::Finess> listed = ConventionEstablishments(state, project);
  for (const auto& e : project.establishments) {
    const bool in_convention =
        std::find(listed.begin(), listed.end(), e.entry.finess) != listed.end();
    const bool added_after = e.from_extension && convention != nullptr && e.seq > convention->seq;
    if (convention == nullptr || in_convention || added_after) funded.push_back(e.entry.finess);
  }
  return funded;
}

Result<domain::ProjectEntitlement> EntitlementOver(const Project& project,
                                                   const std::vector<domain::Finess>& finess_list) {
  std::vector<domain::EstablishmentEntry> entries;
  for (const auto& e : project.establishments) {
    if (std::find(finess_list.begin(), finess_list.end(), e.entry.finess) != finess_list.end()) {
      entries.push_back(e.entry);
    }
  }
  std::optional<domain::Money> amoa;
  if (project.submission.amoa_requested_cents.has_value()) {
    amoa = domain::Money::Cents(*project.submission.amoa_requested_cents);
  }
  return domain::ComputeEntitlement(project.campaign(), project.organisations, entries, amoa);
}

Result<domain::ProjectEntitlement> FundedEntitlementOf(const ProgrammeState& state,
                                                       const Project& project) {
  return EntitlementOver(project, FundedEstablishments(state, project));
}

int64_t EntitlementCentsFor(const domain::ProjectEntitlement& entitlement,
                            const std::vector<domain::Finess>& finess_list) {
  int64_t total = entitlement.amoa.cents();
  for (const auto& line : entitlement.lines) {
    if (std::find(finess_list.begin(), finess_list.end(), line.finess) != finess_list.end()) {
      total += line.total.cents();
    }
  }
  return total;
}

int64_t EquipmentCentsFor(const domain::ProjectEntitlement& entitlement,
                          const std::vector<domain::Finess>& finess_list) {
  int64_t total = 0;
  for (const auto& line : entitlement.lines) {
    if (std::find(finess_list.begin(), finess_list.end(), line.finess) != finess_list.end()) {
      total += line.small_og_equipment.cents();
    }
  }
  return total;
}

namespace {
// The first day of the `months`-month period ending on `end`. A period ending on a
// month's last day is made of whole calendar months (30 Nov -> 1 Sep, 28 Feb -> 1 Dec):
// `end - months + 1 day` would give 31 Aug for 30 Nov, and the September-October-
// November measurements would never cover it. Any other end: the same day `months`
// months earlier, plus one day (15 Nov -> 16 Aug).
domain::Date PeriodStart(domain::Date end, int months) {
  if (end == end.EndOfMonth()) return end.AddMonths(-months).EndOfMonth().AddDays(1);
  return end.AddMonths(-months).AddDays(1);
}

// The number of calendar months from `start`'s month to `end`'s, both included.
int MonthsSpanned(domain::Date start, domain::Date end) {
  return (end.year() - start.year()) * 12 + end.month() - start.month() + 1;
}

// Whole calendar months: from a first day to a last day.
bool WholeMonths(domain::Date start, domain::Date end) {
  return start.day() == 1 && end == end.EndOfMonth() && start <= end;
}

// Per ESSMS: its measurements through its lineage, and its target adjustments.
struct Series {
  domain::Finess finess;
  std::vector<const Fact<domain::IndicatorMeasured>*> measurements;  // by start, then seq
  std::vector<const AdjustmentFact*> adjustments;                    // adjustments.h
};

// The evaluation of `m` with the ESSMS's adjusted denominators (002: the ARS adjusts
// the denominator for publics accompanied anonymously; by indicator and effective date,
// EvaluateAdjusted, projections/adjustments.h) for a decision taken on `decided_at`.
// `used` receives the seqs of the adjustments applied.
domain::UsageEvaluation AdjustedCounts(domain::Campaign campaign, const Series& s,
                                       const domain::IndicatorMeasured& m, domain::Date decided_at,
                                       std::vector<uint64_t>* used) {
  return EvaluateAdjusted(campaign, m, s.adjustments, decided_at, used);
}

}  // namespace

// DOMAIN.md §6 "Rhythm" and §5 (issue 13 items 6 and 20). Whether a measurement may
// count towards the grappe's common period under `rule`:
// - its period is whole calendar months ending on a month end (« mesuré à chaque fin de
//   mois »): a mid-month period never counts (it stays a fact, for the PNRR report);
// - 2023 and 2025 (000 §5, 002 Cibles d'usage: « sur le mois écoulé mesuré à chaque fin
//   de mois (avec une période de 3 mois pour la première mesure) »): one calendar month,
//   except the ESSMS's first measurement (`first`), which may cover up to three;
// - 2024 (003 §4 A: MSSanté / DMP « sur les 3 à 6 mois écoulés avant la date de mesure
//   finale »): with a soclePeriodStart, that window must be 3 to 6 whole months ending
//   on the period's end.
bool MeasurementCounts(const domain::MeasurementRule& rule, const domain::IndicatorMeasured& m,
                       bool first) {
  if (!WholeMonths(m.period_start, m.period_end)) return false;
  const int months = MonthsSpanned(m.period_start, m.period_end);
  if (rule.monthly_rhythm && months != 1 && !(first && months <= rule.first_measure_max_months)) {
    return false;
  }
  if (rule.socle_max_months > 0 && m.socle_period_start.has_value()) {
    if (m.socle_period_start->day() != 1 || *m.socle_period_start > m.period_end) return false;
    const int socle = MonthsSpanned(*m.socle_period_start, m.period_end);
    if (socle < rule.socle_min_months || socle > rule.socle_max_months) return false;
  }
  return true;
}

TargetsVerdict GrappeTargets(const ProgrammeState& state, domain::Campaign campaign,
                             const std::vector<domain::Finess>& finess_list, domain::Date at,
                             std::optional<domain::Date> decided_at) {
  const domain::Date decided = decided_at.value_or(at);
  TargetsVerdict verdict;
  const domain::Rulebook& rulebook = domain::RulebookFor(campaign);
  verdict.has_targets = !rulebook.usage_targets.empty();
  if (!verdict.has_targets) {
    verdict.detail = "the campaign fixes no usage targets";
    return verdict;
  }
  const domain::MeasurementRule& rule = rulebook.measurement;
  const int months = rule.common_period_months > 0 ? rule.common_period_months : 3;
  // Per ESSMS: the measurements that may count (MeasurementCounts), and the candidate
  // period ends: the month ends on or before `at` where one of them ends.
  std::vector<Series> series;
  std::set<domain::Date> ends;
  for (const domain::Finess& finess : finess_list) {
    Series s{finess, {}, AdjustmentsOf(state, finess)};
    std::vector<const Fact<domain::IndicatorMeasured>*> all;
    for (const auto& member : state.registry().Lineage(finess)) {
      const EstablishmentFacts* facts = state.registry().Find(member.finess);
      if (facts == nullptr) continue;
      for (const auto& m : facts->measurements) all.push_back(&m);
    }
    std::sort(all.begin(), all.end(), [](const auto* a, const auto* b) {
      return std::pair(a->data.period_start, a->seq) < std::pair(b->data.period_start, b->seq);
    });
    for (size_t i = 0; i < all.size(); ++i) {
      if (!MeasurementCounts(rule, all[i]->data, /*first=*/i == 0)) continue;
      s.measurements.push_back(all[i]);
      if (all[i]->data.period_end <= at) ends.insert(all[i]->data.period_end);
    }
    series.push_back(std::move(s));
  }
  const std::string period_name =
      months == 1 ? std::string("month") : std::to_string(months) + "-month period";
  if (series.empty() || ends.empty()) {
    verdict.detail = "no measurement ending on a month end on or before " + at.ToString() +
                     " in the campaign's rhythm (" + std::string(rule.source) + ")";
    return verdict;
  }
  std::string first_failure;
  std::optional<uint64_t> first_failing_seq;
  for (auto it = ends.rbegin(); it != ends.rend(); ++it) {
    const domain::Date end = *it;
    const domain::Date start = PeriodStart(end, months);
    std::vector<uint64_t> evidence;
    std::string failure;
    std::optional<uint64_t> failing_seq;
    for (const Series& s : series) {
      domain::Date cursor = start;
      bool all_met = true;
      std::string why;
      for (const auto* m : s.measurements) {
        // Inside the period; for a common month, the measure ending on its last day
        // (a first measure may start earlier, 000 §5).
        const bool inside = m->data.period_start >= start && m->data.period_end <= end;
        const bool ends_it = months == 1 && m->data.period_end == end;
        if (!inside && !ends_it) continue;
        if (m->data.period_start > cursor) break;  // a gap
        std::vector<uint64_t> adjusted;
        domain::UsageEvaluation eval = AdjustedCounts(campaign, s, m->data, decided, &adjusted);
        if (!eval.all_met) {
          all_met = false;
          for (const auto& r : eval.indicators) {
            if (!r.met) {
              why = s.finess.str() + " misses a target in the measurement of seq " +
                    std::to_string(m->seq) + ": " + r.detail;
              failing_seq = m->seq;
              break;
            }
          }
          break;
        }
        evidence.push_back(m->seq);
        evidence.insert(evidence.end(), adjusted.begin(), adjusted.end());
        if (m->data.period_end.AddDays(1) > cursor) cursor = m->data.period_end.AddDays(1);
      }
      if (all_met && cursor <= end) {
        why = s.finess.str() + " has no measurement in the campaign's rhythm covering " +
              start.ToString() + " to " + end.ToString();
        all_met = false;
      }
      if (!all_met) {
        failure = why;
        break;
      }
    }
    if (failure.empty()) {
      std::sort(evidence.begin(), evidence.end());
      evidence.erase(std::unique(evidence.begin(), evidence.end()), evidence.end());
      verdict.met = true;
      verdict.period_start = start;
      verdict.period_end = end;
      verdict.evidence = std::move(evidence);
      verdict.detail = "every ESSMS of the convention meets all targets from " + start.ToString() +
                       " to " + end.ToString();
      return verdict;
    }
    if (first_failure.empty()) {
      first_failure = failure;
      first_failing_seq = failing_seq;
    }
  }
  if (first_failing_seq.has_value()) verdict.failing.push_back(*first_failing_seq);
  verdict.detail = "no common " + period_name + " ending on or before " + at.ToString() +
                   " where every ESSMS meets all targets (" + std::string(rule.source) +
                   "); latest: " + first_failure;
  return verdict;
}

std::vector<const Fact<domain::IndicatorMeasured>*> IndicatorSeries(const ProgrammeState& state,
                                                                    const domain::Finess& finess) {
  std::vector<const Fact<domain::IndicatorMeasured>*> series;
  for (const auto& member : state.registry().Lineage(finess)) {
    const EstablishmentFacts* facts = state.registry().Find(member.finess);
    if (facts == nullptr) continue;
    for (const auto& m : facts->measurements) series.push_back(&m);
  }
  std::sort(series.begin(), series.end(), [](const auto* a, const auto* b) {
    return std::pair(a->data.period_end, a->seq) < std::pair(b->data.period_end, b->seq);
  });
  return series;
}

// 002 Mise en grappes: « Pour le suivi du projet, cela se fait au cas par cas, mais la
// règle générale est que c'est l'ARS et le GRADeS de la région la plus représentée qui
// assurent le suivi du projet » (DOMAIN.md §2, issue 13 item 15): a selection, a
// convention or a balance signed by an ARS key that does not act in the project's lead
// region is accepted (« au cas par cas ») with a warning NOT_LEAD_REGION.
// Interpretation: the balance is the campaign's last tranche; a complement's payment
// (payingRegion set to another region) is that region's own act, never flagged.
std::vector<Warning> LeadRegionWarnings(const Project& project, const SignerLookup& signer_of) {
  std::vector<Warning> warnings;
  if (!signer_of) return warnings;
  const std::string lead = project.LeadRegion();
  auto flag = [&](uint64_t seq, const std::string& act) {
    const ledger::KeyInfo* key = signer_of(seq);
    if (key == nullptr) return;
    const bool ars = key->HasRole("ars-instructor") || key->HasRole("ars-payer");
    if (!ars || key->HasRegion(lead)) return;
    std::string regions;
    for (const auto& r : key->regions) regions += (regions.empty() ? "" : ", ") + r;
    warnings.push_back({"NOT_LEAD_REGION",
                        act + " signed by '" + key->name + "' (ARS of " + regions +
                            "), not by the lead region " + lead +
                            " (002: the most represented region follows the project)",
                        {seq}});
  };
  if (project.decision.has_value() && project.decision->selected) {
    flag(project.decision->seq, "selection");
  }
  for (const auto& c : project.conventions) flag(c.seq, "convention");
  const auto& tranches = domain::RulebookFor(project.campaign()).tranches;
  for (const auto& pay : project.payments) {
    if (tranches.empty() || domain::ToString(pay.data.tranche) != tranches.back().id) continue;
    if (pay.data.paying_region.has_value() && pay.data.paying_region->code() != lead) continue;
    flag(pay.seq, std::string(domain::ToString(pay.data.tranche)));
  }
  return warnings;
}

std::vector<Warning> WarningsOf(const ProgrammeState& state, const Project& project) {
  std::vector<Warning> warnings;
  // GRAPPE_TOO_SMALL in généralisation: the ARS's judgement (000 §4.2 D).
  std::vector<domain::EstablishmentEntry> entries;
  for (const auto& e : project.establishments) entries.push_back(e.entry);
  Result<domain::GrappeSizeAssessment> size =
      domain::AssessGrappeSize(project.campaign(), project.organisations, entries);
  if (size.ok() && size->outcome == domain::GrappeSizeAssessment::Outcome::kWarning) {
    warnings.push_back({"GRAPPE_TOO_SMALL", size->detail, {project.submitted_seq}});
  }
  // INHERITED_FUNDING: non-cumulation findings that come through a merger (002).
  for (const Finding& f : ProjectFindings(state, project)) {
    if (f.via_merger) {
      warnings.push_back({"INHERITED_FUNDING", f.code + " through a merger: " + f.message, f.seqs});
    }
  }
  // CALENDAR_AT_RISK (see the header's Interpretation).
  // Judged against the first convention: the initial calendar (an amended convention
  // after an extension does not move it).
  if (!project.conventions.empty()) {
    const auto& first = project.conventions.front();
    const domain::Date limit =
        first.data.signed_at.AddMonths(static_cast<int>(first.data.duration_months / 2));
    for (const auto& extension : project.extensions) {
      if (extension.data.extended_at > limit) {
        warnings.push_back(
            {"CALENDAR_AT_RISK",
             "extension of " + extension.data.extended_at.ToString() + " comes after half of the " +
                 std::to_string(first.data.duration_months) + "-month convention signed " +
                 first.data.signed_at.ToString() + " (" + limit.ToString() + ")",
             {extension.seq, first.seq}});
      }
    }
  }
  // Second reading: REFERENCING_UNKNOWN (referencing.h), TARGETS_LATE and
  // DURATION_ABOVE_CONTRACT (deadlines.h).
  for (Warning& w : ReferencingWarnings(state, project)) warnings.push_back(std::move(w));
  for (Warning& w : DeadlineWarnings(state, project)) warnings.push_back(std::move(w));
  return warnings;
}

}  // namespace esms::projections
