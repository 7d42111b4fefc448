#include "projections/deadlines.h"

#include <algorithm>
#include <string>

#include "domain/duration.h"
#include "domain/rulebook.h"

namespace esms::projections {

namespace {

bool Opposable(const Project& project) {
  return domain::DurationFor(project.campaign(), project.submission.kind).opposable;
}

}  // namespace

const Fact<domain::ConventionSigned>* ConventionAsOf(const Project& project, domain::Date as_of) {
  const Fact<domain::ConventionSigned>* in_force = nullptr;
  for (const auto& c : project.conventions) {
    if (c.data.signed_at <= as_of) in_force = &c;
  }
  return in_force;
}

domain::Date ConventionEnd(const Project& project,
                           const Fact<domain::ConventionSigned>& convention) {
  const domain::Date start = project.conventions.empty()
                                 ? convention.data.signed_at
                                 : project.conventions.front().data.signed_at;
  return domain::DurationEnd(start, convention.data.duration_months);
}

Status RequireBalanceWithinDuration(const ProgrammeState& state, const Project& project,
                                    const std::vector<domain::Finess>& listed,
                                    domain::Date paid_at) {
  const auto* convention = project.convention();
  if (convention == nullptr || !Opposable(project)) return Status::OK();
  const domain::Date end = ConventionEnd(project, *convention);
  const TargetsVerdict by_end =
      GrappeTargets(state, project.campaign(), listed, std::min(paid_at, end), paid_at);
  if (by_end.met) return Status::OK();
  const TargetsVerdict late = GrappeTargets(state, project.campaign(), listed, paid_at);
  if (paid_at <= end && !late.met) return Status::OK();
  const domain::ProjectDuration contract =
      domain::DurationFor(project.campaign(), project.submission.kind);
  std::string message = "no qualifying period ends on or before " + end.ToString() +
                        ", the end of the project under the convention signed " +
                        convention->data.signed_at.ToString() + " (" +
                        std::to_string(convention->data.duration_months) +
                        " months from the first convention; " + std::string(contract.source) +
                        ": the envelope can be drawn only "
                        "during the contractual duration)";
  if (late.met && late.period_end.has_value()) {
    message += "; a later one ends " + late.period_end->ToString();
  }
  std::vector<uint64_t> seqs{convention->seq};
  seqs.insert(seqs.end(), late.evidence.begin(), late.evidence.end());
  std::sort(seqs.begin(), seqs.end());
  seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
  return Status::FailedPrecondition("CONVENTION_EXPIRED", std::move(message))
      .WithConflicts(std::move(seqs));
}

bool AmendmentAllowedAnyTime(const Project& project) {
  if (!Opposable(project) || project.conventions.empty()) return false;
  const ProjectStatus status = project.status();
  return !IsFinished(status) && status != ProjectStatus::kRejected;
}

bool IsLapsed(const ProgrammeState& state, const Project& project, domain::Date as_of) {
  if (!Opposable(project)) return false;
  const ProjectStatus status = project.status();
  if (IsFinished(status) || status == ProjectStatus::kRejected) return false;
  const auto* convention = ConventionAsOf(project, as_of);
  if (convention == nullptr) return false;
  const domain::Date end = ConventionEnd(project, *convention);
  if (as_of <= end) return false;
  return !GrappeTargets(state, project.campaign(), ConventionEstablishments(state, project), end,
                        as_of)
              .met;
}

std::vector<Warning> DeadlineWarnings(const ProgrammeState& state, const Project& project) {
  std::vector<Warning> warnings;
  if (project.conventions.empty()) return warnings;
  const domain::ProjectDuration contract =
      domain::DurationFor(project.campaign(), project.submission.kind);
  if (contract.months == 0) return warnings;  // amorçage: the porteur gives it (001)
  if (contract.opposable) {
    for (const auto& c : project.conventions) {
      if (!domain::DurationAboveContract(project.campaign(), project.submission.kind,
                                         c.data.duration_months)) {
        continue;
      }
      warnings.push_back({"DURATION_ABOVE_CONTRACT",
                          "convention signed " + c.data.signed_at.ToString() + " for " +
                              std::to_string(c.data.duration_months) +
                              " months, above the contractual " + std::to_string(contract.months) +
                              " months of a " +
                              std::string(domain::ToString(project.submission.kind)) +
                              " project (" + std::string(contract.source) +
                              ": a flexibility « au cas par cas, à titre "
                              "exceptionnel »)",
                          {c.seq}});
    }
    return warnings;
  }
  // 2023/2024: indicative durations from the first convention's signature. 000 §4.5.2 /
  // 003 §3.4.2, right after them: « Ces délais indicatifs ne concernent pas les projets
  // de portée nationale. » Interpretation: a project of national scope is one on the
  // national guichet, as the guard judges it (OnNationalGuichet).
  if (OnNationalGuichet(project)) return warnings;
  const auto& first = project.conventions.front();
  const domain::Date indicative = domain::DurationEnd(first.data.signed_at, contract.months);
  const std::vector<domain::Finess> listed = ConventionEstablishments(state, project);
  if (GrappeTargets(state, project.campaign(), listed, indicative).met) return warnings;
  const TargetsVerdict later =
      GrappeTargets(state, project.campaign(), listed, *domain::Date::FromCivil(9999, 12, 31));
  if (!later.met) return warnings;
  std::vector<uint64_t> seqs{first.seq};
  seqs.insert(seqs.end(), later.evidence.begin(), later.evidence.end());
  warnings.push_back({"TARGETS_LATE",
                      "the targets are first met over a period ending after " +
                          indicative.ToString() + " (signed " + first.data.signed_at.ToString() +
                          " + " + std::to_string(contract.months) +
                          " months, indicative: « sans que cela soit une "
                          "condition opposable », " +
                          std::string(contract.source) + ")",
                      std::move(seqs)});
  return warnings;
}

}  // namespace esms::projections
