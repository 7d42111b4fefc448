#include "projections/rules.h"

#include <algorithm>
#include <map>
#include <set>

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
  return " (recorded for " + member.finess.str() + (member.via_merger ? ", merged" : ", renumbered") +
         " into the lineage of " + asked.str() + ")";
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
      findings.push_back(
          {same ? "NONCUMUL_SAME_SOFTWARE" : "NONCUMUL_SECOND_DUI",
           entry.finess.str() + " is already funded by project " + other->id() + " for " +
               (same ? "the same software " : "another DUI software ") +
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
    // SONS (002 Éligibilité, 003 §2.1).
    for (const auto& sons : facts->sons) {
      const bool keeps_sons_software = SameSoftware(sons.data.solution, context.solution);
      if (acquisition && !keeps_sons_software) {
        findings.push_back({"NONCUMUL_SONS_ACQUISITION",
                            entry.finess.str() + " ordered the Prestation Ségur (SONS) for " +
                                SolutionText(sons.data.solution) +
                                " and cannot be funded for the acquisition of " +
                                SolutionText(context.solution) + through,
                            WithPath({sons.seq}, member), member.via_merger});
        continue;
      }
      if (!acquisition && !keeps_sons_software) {
        findings.push_back({"SOLUTION_MISMATCH",
                            entry.finess.str() + " upgrades its SONS software " +
                                SolutionText(sons.data.solution) +
                                ", not the project's solution " + SolutionText(context.solution) +
                                through,
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
  for (Finding& f : HospitalCorridorFindings(state, context, entry)) findings.push_back(std::move(f));
  // Funding granted outside the ledger (projections/outside_funding.h).
  for (Finding& f : RecordedFundingFindings(state, context, entry)) findings.push_back(std::move(f));
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

Result<domain::ProjectEntitlement> EntitlementOf(const Project& project) {
  std::vector<domain::EstablishmentEntry> entries;
  for (const auto& e : project.establishments) entries.push_back(e.entry);
  std::optional<domain::Money> amoa;
  if (project.submission.amoa_requested_cents.has_value()) {
    amoa = domain::Money::Cents(*project.submission.amoa_requested_cents);
  }
  return domain::ComputeEntitlement(project.campaign(), project.organisations, entries, amoa);
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
}  // namespace

TargetsVerdict GrappeTargets(const ProgrammeState& state, domain::Campaign campaign,
                             const std::vector<domain::Finess>& finess_list, domain::Date at) {
  TargetsVerdict verdict;
  verdict.has_targets = !domain::RulebookFor(campaign).usage_targets.empty();
  if (!verdict.has_targets) {
    verdict.detail = "the campaign fixes no usage targets";
    return verdict;
  }
  const int months = domain::RulebookFor(campaign).grappe_solidarity_months.value > 0
                         ? domain::RulebookFor(campaign).grappe_solidarity_months.value
                         : 3;
  // Per ESSMS: its measurements through its lineage, and its adjusted denominator.
  struct Series {
    domain::Finess finess;
    std::vector<const Fact<domain::IndicatorMeasured>*> measurements;
    std::vector<const Fact<domain::TargetsAdjusted>*> adjustments;  // adjustments.h
  };
  std::vector<Series> series;
  std::set<domain::Date> ends;
  for (const domain::Finess& finess : finess_list) {
    Series s{finess, {}, AdjustmentsOf(state, finess)};
    for (const auto& member : state.registry().Lineage(finess)) {
      const EstablishmentFacts* facts = state.registry().Find(member.finess);
      if (facts == nullptr) continue;
      for (const auto& m : facts->measurements) {
        s.measurements.push_back(&m);
        if (m.data.period_end <= at) ends.insert(m.data.period_end);
      }
    }
    std::sort(s.measurements.begin(), s.measurements.end(),
              [](const auto* a, const auto* b) {
                return std::pair(a->data.period_start, a->seq) < std::pair(b->data.period_start, b->seq);
              });
    series.push_back(std::move(s));
  }
  if (series.empty() || ends.empty()) {
    verdict.detail = "no measurement ending on or before " + at.ToString();
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
        if (m->data.period_start < start || m->data.period_end > end) continue;
        if (m->data.period_start > cursor) break;  // a gap
        std::vector<uint64_t> adjusted;
        domain::UsageEvaluation eval =
            EvaluateAdjusted(campaign, m->data, s.adjustments, at, &adjusted);
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
        why = s.finess.str() + " has no measurement covering " + start.ToString() + " to " +
              end.ToString();
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
      verdict.detail = "every ESSMS of the convention meets all targets from " +
                       start.ToString() + " to " + end.ToString();
      return verdict;
    }
    if (first_failure.empty()) {
      first_failure = failure;
      first_failing_seq = failing_seq;
    }
  }
  if (first_failing_seq.has_value()) verdict.failing.push_back(*first_failing_seq);
  verdict.detail = "no common " + std::to_string(months) + "-month period ending on or before " +
                   at.ToString() + " where every ESSMS meets all targets; latest: " +
                   first_failure;
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
        warnings.push_back({"CALENDAR_AT_RISK",
                            "extension of " + extension.data.extended_at.ToString() +
                                " comes after half of the " +
                                std::to_string(first.data.duration_months) +
                                "-month convention signed " + first.data.signed_at.ToString() +
                                " (" + limit.ToString() + ")",
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
