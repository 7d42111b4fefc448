#include "projections/guard.h"

#include <algorithm>
#include <map>
#include <set>
#include <type_traits>
#include <variant>

#include "domain/calendar.h"
#include "domain/entitlement.h"
#include "domain/event_codec.h"
#include "domain/rulebook.h"
#include "projections/amorcage.h"
#include "projections/complement.h"
#include "projections/deadlines.h"
#include "projections/referencing.h"
#include "projections/rules.h"

namespace esms::projections {

namespace {

constexpr std::string_view kUnknownProject = "UNKNOWN_PROJECT";
constexpr std::string_view kDuplicateProject = "DUPLICATE_PROJECT";
constexpr std::string_view kInvalidTransition = "INVALID_TRANSITION";

Status Refuse(std::string_view code, std::string message, std::vector<uint64_t> conflicts = {}) {
  std::sort(conflicts.begin(), conflicts.end());
  conflicts.erase(std::unique(conflicts.begin(), conflicts.end()), conflicts.end());
  return Status::FailedPrecondition(code, std::move(message)).WithConflicts(std::move(conflicts));
}

Result<const Project*> ProjectOrError(const ProgrammeState& state, const std::string& id) {
  const Project* project = state.FindProject(id);
  if (project == nullptr) {
    return Status::NotFound(kUnknownProject, "unknown project \"" + id + "\"");
  }
  return project;
}

bool IsArsRole(std::string_view role) { return role == "ars-instructor" || role == "ars-payer"; }

// The region of an establishment: as listed by a project of its lineage, else from
// its FINESS département.
std::optional<std::string> RegionOfFiness(const ProgrammeState& state, const domain::Finess& f) {
  for (const auto& member : state.registry().Lineage(f)) {
    const EstablishmentFacts* facts = state.registry().FindWithoutMeasurements(member.finess);
    if (facts == nullptr) continue;
    for (const ProjectLink& link : facts->project_records) {
      const Project* p = state.FindProject(link.project);
      int index = p == nullptr ? -1 : p->IndexOf(member.finess);
      if (index >= 0) return p->establishments[index].entry.region.code();
    }
  }
  std::optional<domain::Region> region = domain::Region::OfDepartement(f.departement());
  if (region.has_value()) return region->code();
  return std::nullopt;
}

// Non-cumulation findings that refuse (not through a merger): the first one, with
// the conflicts of every finding of the same code.
Status RefuseFindings(const std::vector<Finding>& findings, std::string_view when) {
  const Finding* first = nullptr;
  std::vector<uint64_t> seqs;
  for (const Finding& f : findings) {
    if (f.via_merger) continue;
    if (first == nullptr) first = &f;
    if (f.code == first->code) seqs.insert(seqs.end(), f.seqs.begin(), f.seqs.end());
  }
  if (first == nullptr) return Status::OK();
  return Refuse(first->code, std::string(when) + ": " + first->message, std::move(seqs));
}

// Ségur referencing (DOMAIN.md §2, projections/referencing.h): corridor and version.
// Interpretation: 2023/2024 check it at submission ("referencing in progress" =
// candidate is enough); 2025 at the convention ("candidate at the latest on the
// convention signature date", 002).
Status RequireReferenced(const ProgrammeState& state, const domain::Solution& solution, bool ght,
                         domain::Date by, std::string_view when) {
  ReferencingVerdict verdict = AssessReferencing(state, solution, ght, by);
  if (verdict.outcome != ReferencingVerdict::Outcome::kNotReferenced) return Status::OK();
  return Refuse("SOLUTION_NOT_REFERENCED", std::string(when) + ": " + verdict.detail,
                std::move(verdict.seqs));
}

// 000 §4.2 B / 003 §3.2 B: « Dans le cas où un ESSMS partie d'un projet ou porteur
// d'un projet est rattaché à une entité nationale, il devra obtenir un accord écrit de
// cette entité pour déposer un projet et fournir cet accord dans le projet déposé. »
// `porteur.nationalEntityAgreement: false` is refused; true or absent (no national
// entity) passes.
Status RequireNationalAgreement(const domain::ProjectSubmitted& d) {
  if (d.porteur.national_entity_agreement.value_or(true)) return Status::OK();
  return Refuse("NATIONAL_AGREEMENT_MISSING",
                "the porteur " + d.porteur.name +
                    " is attached to a national entity whose written agreement is not in the "
                    "file (000 \u00a74.2 B, 003 \u00a73.2 B)");
}

// Checks the establishments a submission or an extension adds: current numbers only,
// each establishment once through lineage (also against `existing`).
Status CheckNewEstablishments(const ProgrammeState& state,
                              const std::vector<domain::EstablishmentEntry>& entries,
                              const Project* existing) {
  std::map<domain::Finess, const domain::EstablishmentEntry*> by_current;
  if (existing != nullptr) {
    for (const auto& e : existing->establishments) {
      by_current[state.registry().Resolve(e.entry.finess)] = &e.entry;
    }
  }
  for (const auto& e : entries) {
    if (const auto* change = state.registry().SuccessorOf(e.finess)) {
      return Status::InvalidArgument(
                 "FINESS_INVALID", e.finess.str() + " no longer counts on its own: " +
                                       std::string(domain::ToString(change->data.kind)) + " into " +
                                       change->data.to.str() + " effective " +
                                       change->data.effective_at.ToString())
          .WithConflicts({change->seq});
    }
    domain::Finess current = state.registry().Resolve(e.finess);
    auto [it, inserted] = by_current.emplace(current, &e);
    if (!inserted) {
      std::vector<uint64_t> seqs;
      for (const auto& m : state.registry().Lineage(current)) {
        seqs.insert(seqs.end(), m.change_seqs.begin(), m.change_seqs.end());
      }
      if (existing != nullptr) {
        int index = existing->IndexOf(it->second->finess);
        if (index >= 0) seqs.push_back(existing->establishments[index].seq);
      }
      std::sort(seqs.begin(), seqs.end());
      seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
      return Status::InvalidArgument("DUPLICATE_FINESS",
                                     e.finess.str() + " is the same establishment as " +
                                         it->second->finess.str() + " (one FINESS = one subsidy)")
          .WithConflicts(std::move(seqs));
    }
  }
  return Status::OK();
}

// The project's listed FINESS for each FINESS of a convention (followed through
// lineage), or the refusal.
Result<std::vector<domain::Finess>> ListConventionEstablishments(
    const ProgrammeState& state, const Project& project, const std::vector<domain::Finess>& list) {
  std::vector<domain::Finess> listed;
  for (const domain::Finess& f : list) {
    domain::Finess current = state.registry().Resolve(f);
    const ProjectEstablishment* match = nullptr;
    for (const auto& e : project.establishments) {
      if (state.registry().Resolve(e.entry.finess) == current) match = &e;
    }
    if (match == nullptr) {
      return Refuse(kEstablishmentNotInProject,
                    f.str() + " is not an establishment of project " + project.id(),
                    {project.submitted_seq});
    }
    listed.push_back(match->entry.finess);
  }
  return listed;
}

// The refusal of `ej`, a FINESS EJ of `where`, as an establishment's FINESS.
Status EjRefusal(const domain::Finess& ej, const std::string& where, std::vector<uint64_t> seqs) {
  return Status::InvalidArgument("FINESS_INVALID",
                                 ej.str() + " is a FINESS EJ (" + where +
                                     "), not an establishment's FINESS g\u00e9ographique: "
                                     "funding and targets are per FINESS ET (002)")
      .WithConflicts(std::move(seqs));
}

// The refusal for the first FINESS EJ of the ledger's projects (project by project, the
// porteur's then the OGs') that `is_establishment` holds; OK when there is none.
template <typename IsEstablishment>
Status RefuseLedgerEjs(const ProgrammeState& state, const IsEstablishment& is_establishment) {
  for (const auto& [id, project] : state.projects()) {
    if (is_establishment(project.submission.porteur.finess_ej)) {
      return EjRefusal(project.submission.porteur.finess_ej, "the porteur of project " + id,
                       {project.submitted_seq});
    }
    for (const auto& og : project.organisations) {
      if (is_establishment(og.finess_ej)) {
        return EjRefusal(og.finess_ej, "an OG of project " + id, {project.submitted_seq});
      }
    }
  }
  return Status::OK();
}

// DOMAIN.md §0 (issue 13 item 19): « seuls les ESMS ayant leur propre FINESS
// géographique » (002); a FINESS EJ identifies the legal entity, never an
// establishment. A number used as a FINESS EJ in the same event (porteur,
// organisations, establishments' finessEj) or by any project of the ledger is refused
// as an establishment's FINESS (FINESS_INVALID).
// Interpretation: only this direction is checked (an EJ later found to be an ET number
// elsewhere is left to the ARS); the ledger's EJ numbers are those of the projects'
// porteurs and organisations (an establishment's finessEj is one of its event's
// organisations, ValidateEventData).
Status RefuseEjAsEstablishment(const ProgrammeState& state, const domain::Porteur* porteur,
                               const std::vector<domain::OrganisationEntry>& organisations,
                               const std::vector<domain::EstablishmentEntry>& entries) {
  std::set<domain::Finess> ets;
  for (const auto& e : entries) ets.insert(e.finess);
  auto check = [&](const domain::Finess& ej, const std::string& where) -> Status {
    return ets.contains(ej) ? EjRefusal(ej, where, {}) : Status::OK();
  };
  if (porteur != nullptr) RETURN_IF_ERROR(check(porteur->finess_ej, "the porteur's"));
  for (const auto& og : organisations) RETURN_IF_ERROR(check(og.finess_ej, "an OG's"));
  for (const auto& e : entries) RETURN_IF_ERROR(check(e.finess_ej, "an OG's"));
  return RefuseLedgerEjs(state, [&](const domain::Finess& ej) { return ets.contains(ej); });
}

// DOMAIN.md §0, the same rule for the facts that name one establishment (measurements,
// SONS orders, EU funds, target adjustments, outside funding, FINESS changes): a number
// the ledger's projects use as a FINESS EJ is refused as that establishment's FINESS
// (FINESS_INVALID). A measurement on an EJ number would otherwise count in the active-DUI
// report as one more ESSMS. One lookup per fact (ProgrammeState::IsEjNumber); the
// project naming the number is looked for only to explain a refusal.
Status RefuseEjFact(const ProgrammeState& state, const domain::Finess& finess) {
  if (!state.IsEjNumber(finess)) return Status::OK();
  RETURN_IF_ERROR(RefuseLedgerEjs(state, [&](const domain::Finess& ej) { return ej == finess; }));
  return Status::Internal("the index of FINESS EJ numbers names " + finess.str() +
                          ", which no project holds");
}

// DOMAIN.md §2 (issue 13 item 4): amorçage 2021 is not a Ségur campaign (001 asks for
// the CNSA national purchasing contract, never Ségur referencing); 2025 checks it at
// the convention (002), the others at submission.
bool ReferencingCheckedAtSubmission(domain::Campaign campaign) {
  return campaign != domain::Campaign::kAmorcage2021 &&
         campaign != domain::Campaign::kGeneralisation2025;
}

// DOMAIN.md §7 (issue 13 item 13): a complément de grappe joins a project « en cours »
// (002 Mise en grappes: « rejoindre le projet en cours, en fonction de son état
// d'avancement »): not after its last tranche (balance-paid, amorçage
// deployment-paid), else its money could never be
// paid while its ESSMS are locked out of every other project.
Status RequireRunningProject(const Project& p) {
  if (!IsFinished(p.status())) return Status::OK();
  std::vector<uint64_t> seqs;
  const auto& tranches = domain::RulebookFor(p.campaign()).tranches;
  for (const auto& pay : p.payments) {
    if (!tranches.empty() && domain::ToString(pay.data.tranche) == tranches.back().id) {
      seqs.push_back(pay.seq);
    }
  }
  return Refuse("INVALID_TRANSITION",
                "project " + p.id() + " is finished (" + std::string(ToString(p.status())) +
                    "): a compl\u00e9ment de grappe needs a running project (002)",
                seqs);
}

// DOMAIN.md §7 (issue 13 item 14): ESSMS of another region are funded by that region's
// ARS (001 « chaque ARS finançant ses propres ESMS »; 002 compléments): the extension's
// payingRegion must be the region of every ESSMS it adds (PAYING_REGION_MISMATCH).
Status RequirePayingRegionOfTheAddedEssms(const domain::GrappeExtended& d) {
  for (const auto& e : d.establishments) {
    if (e.region == d.paying_region) continue;
    return Refuse("PAYING_REGION_MISMATCH",
                  "payingRegion " + d.paying_region.code() + " is not the region " +
                      e.region.code() + " of the added ESSMS " + e.finess.str() +
                      ": the ARS of the added ESSMS' region funds them (002)");
  }
  return Status::OK();
}

// DOMAIN.md §7 (issue 13 item 14): a payment by the ARS of another region than the lead
// one (payingRegion set, not the lead region) pays only a complément de grappe of that
// region (002: « L'ARS de la région concernée par ces nouveaux ESMS sera sollicitée
// uniquement pour le financement de ce complément »): an extension must name it as its
// payingRegion, else PAYING_REGION_MISMATCH. What it may pay is its part
// (projections/complement.h), checked with the schedule.
Status RequirePayingRegion(const Project& p, const domain::PaymentIssued& d) {
  if (!d.paying_region.has_value() || d.paying_region->code() == p.LeadRegion()) {
    return Status::OK();
  }
  if (p.IsComplementPayment(d)) return Status::OK();
  return Refuse("PAYING_REGION_MISMATCH",
                "region " + d.paying_region->code() + " is neither the lead region " +
                    p.LeadRegion() +
                    " nor the paying region of a compl\u00e9ment de grappe of project " + p.id() +
                    " (002: its ARS funds only such a complement)",
                {p.submitted_seq});
}

// DOMAIN.md §7: « that ARS's payer may pay at most the complement's own entitlement »
// (issue 13 item 14). A complement's payments are bounded by its part
// (projections/complement.h): above it is AMOUNT_EXCEEDS_ENTITLEMENT — the bound is an
// entitlement (DOMAIN.md §7's word; INTERFACE.md §4 lists the code), not the
// convention's grant (PAYMENT_EXCEEDS_GRANT stays the bound of the whole convention,
// DOMAIN.md §5 « cumulative payments never exceed the convention amount »). Its ESSMS
// must be listed by the convention in force first (PAYMENT_BEFORE_CONVENTION: « No
// payment before the convention », DOMAIN.md §5).
Status RequireWithinComplement(const Project& p, const PaymentPart& part,
                               const domain::PaymentIssued& d) {
  if (!part.complement()) return Status::OK();
  if (!part.not_in_convention.empty()) {
    std::vector<uint64_t> seqs = part.extension_seqs;
    if (const auto* c = p.convention()) seqs.push_back(c->seq);
    return Refuse("PAYMENT_BEFORE_CONVENTION",
                  "the convention in force does not list " + part.not_in_convention.front().str() +
                      " of the compl\u00e9ment de grappe paid by region " + part.paying_region +
                      ": an amended convention must list it before its region pays (002)",
                  std::move(seqs));
  }
  const int64_t paid = part.PaidCents(p);
  if (paid + d.amount_cents <= part.amount_cents) return Status::OK();
  std::vector<uint64_t> seqs = part.extension_seqs;
  for (const auto* pay : part.Payments(p)) seqs.push_back(pay->seq);
  return Refuse("AMOUNT_EXCEEDS_ENTITLEMENT",
                "region " + part.paying_region + " would pay " +
                    domain::Money::Cents(paid + d.amount_cents).ToString() +
                    ", above its compl\u00e9ment de grappe's own entitlement " +
                    domain::Money::Cents(part.amount_cents).ToString() +
                    " (002: its ARS funds only this complement; DOMAIN.md \u00a77)",
                std::move(seqs));
}

// Issue 13 item 22: 002 « Appel à projet/Convention »: the contractual duration (18
// months acquisition or mixed, 6 months usage) is the time during which the envelope
// can be drawn: a 2025 advance paid after the project's end under the convention in
// force (ConventionEnd, projections/deadlines.h: the first convention's signedAt + the
// durationMonths in force, as for the balance) is CONVENTION_EXPIRED (the end day
// itself is still in).
Status RefuseAdvanceAfterContractualEnd(const Project& p, const domain::PaymentIssued& d) {
  const auto* convention = p.convention();
  if (convention == nullptr || d.tranche != domain::Tranche::kAdvance) return Status::OK();
  if (!domain::RulebookFor(p.campaign()).durations_opposable.value) return Status::OK();
  const domain::Date end = ConventionEnd(p, *convention);
  if (d.paid_at <= end) return Status::OK();
  return Refuse(
      "CONVENTION_EXPIRED",
      "advance paid " + d.paid_at.ToString() + ", after the contractual end " + end.ToString() +
          " of the convention signed " + convention->data.signed_at.ToString() + " for " +
          std::to_string(convention->data.duration_months) + " months (" +
          std::string(domain::RulebookFor(p.campaign()).duration_acquisition_months.source) + ")",
      {convention->seq});
}

class RuleChecker {
 public:
  RuleChecker(const ProgrammeState& state, uint64_t next_seq, const RecordLookup& lookup)
      : state_(state), next_seq_(next_seq), lookup_(lookup) {}

  Status operator()(const domain::ProjectSubmitted& d) const {
    if (const Project* p = state_.FindProject(d.project)) {
      return Status::AlreadyExists(kDuplicateProject, "project \"" + d.project + "\" exists")
          .WithConflicts({p->submitted_seq});
    }
    RETURN_IF_ERROR(CheckNewEstablishments(state_, d.establishments, nullptr));
    RETURN_IF_ERROR(RefuseEjAsEstablishment(state_, &d.porteur, d.organisations, d.establishments));
    RETURN_IF_ERROR(RequireNationalAgreement(d));
    domain::ProjectShape shape = domain::ShapeOf(d.establishments);
    RETURN_IF_ERROR(domain::CheckProjectKind(d.kind, shape));
    RETURN_IF_ERROR(domain::RequireSubmissionInWindow(d.campaign, d.submitted_at, shape.regions));
    ASSIGN_OR_RETURN(domain::GrappeSizeAssessment size,
                     domain::AssessGrappeSize(d.campaign, d.organisations, d.establishments));
    if (size.outcome == domain::GrappeSizeAssessment::Outcome::kRefusal) {
      return Refuse("GRAPPE_TOO_SMALL", size.detail);
    }
    if (ReferencingCheckedAtSubmission(d.campaign)) {
      RETURN_IF_ERROR(RequireReferenced(state_, d.solution, d.porteur.ght.value_or(false),
                                        d.submitted_at, "at submission"));
    }
    FundingContext context{d.project, d.campaign, d.solution, d.porteur.ght.value_or(false)};
    std::vector<Finding> findings;
    for (const auto& e : d.establishments) {
      for (auto& f : FundingFindings(state_, context, e)) findings.push_back(std::move(f));
    }
    return RefuseFindings(findings, "at submission");
  }

  Status operator()(const domain::ProjectSelected& d) const { return Decide(d.project, "select"); }
  Status operator()(const domain::ProjectRejected& d) const { return Decide(d.project, "reject"); }

  Status operator()(const domain::ConventionSigned& d) const {
    ASSIGN_OR_RETURN(const Project* p, ProjectOrError(state_, d.project));
    const ProjectStatus status = p->status();
    const auto* in_force = p->convention();
    // An amended convention (avenant) is allowed after a grappe extension.
    const bool amendment = (in_force != nullptr && !p->extensions.empty() &&
                            p->extensions.back().seq > in_force->seq) ||
                           AmendmentAllowedAnyTime(*p);
    if (status != ProjectStatus::kSelected && !amendment) {
      std::vector<uint64_t> seqs;
      if (p->decision.has_value()) seqs.push_back(p->decision->seq);
      if (in_force != nullptr) seqs.push_back(in_force->seq);
      return Refuse(kInvalidTransition,
                    "cannot sign a convention for project " + p->id() + " in status " +
                        std::string(ToString(status)),
                    seqs);
    }
    ASSIGN_OR_RETURN(std::vector<domain::Finess> listed,
                     ListConventionEstablishments(state_, *p, d.establishments));
    // Ranks over the ESSMS this convention lists (DOMAIN.md §3, issue 13 item 3).
    ASSIGN_OR_RETURN(domain::ProjectEntitlement entitlement, EntitlementOver(*p, listed));
    const int64_t allowed = EntitlementCentsFor(entitlement, listed);
    if (d.amount_cents > allowed) {
      return Refuse("AMOUNT_EXCEEDS_ENTITLEMENT",
                    "convention amount " + domain::Money::Cents(d.amount_cents).ToString() +
                        " exceeds the entitlement of its establishments " +
                        domain::Money::Cents(allowed).ToString(),
                    {p->submitted_seq});
    }
    if (p->campaign() == domain::Campaign::kGeneralisation2025) {
      RETURN_IF_ERROR(RequireReferenced(state_, p->submission.solution,
                                        p->submission.porteur.ght.value_or(false), d.signed_at,
                                        "at the convention"));
    }
    return RefuseFindings(ProjectFindings(state_, *p, listed), "at the convention");
  }

  Status operator()(const domain::PaymentIssued& d) const {
    ASSIGN_OR_RETURN(const Project* p, ProjectOrError(state_, d.project));
    const auto* convention = p->convention();
    if (convention == nullptr) {
      return Refuse("PAYMENT_BEFORE_CONVENTION", "project " + p->id() + " has no signed convention",
                    {p->submitted_seq});
    }
    if (d.paid_at < convention->data.signed_at) {
      return Refuse("PAYMENT_BEFORE_CONVENTION",
                    "paid " + d.paid_at.ToString() + ", before the convention signed " +
                        convention->data.signed_at.ToString(),
                    {convention->seq});
    }
    RETURN_IF_ERROR(RefuseAdvanceAfterContractualEnd(*p, d));
    RETURN_IF_ERROR(RequirePayingRegion(*p, d));
    // The part of the convention this payment draws on: the lead region's, or a
    // complément de grappe's, each on the campaign's schedule (projections/complement.h).
    ASSIGN_OR_RETURN(std::vector<PaymentPart> parts, PaymentParts(state_, *p));
    const PaymentPart& part = PartOf(parts, d);
    RETURN_IF_ERROR(RequireWithinComplement(*p, part, d));
    const std::string of_part =
        part.complement() ? " of the compl\u00e9ment de grappe paid by region " + part.paying_region
                          : std::string();
    const domain::Money amount = domain::Money::Cents(part.amount_cents);
    std::vector<domain::TrancheAmount> schedule = domain::PaymentSchedule(p->campaign(), amount);
    auto pos = std::find_if(schedule.begin(), schedule.end(),
                            [&](const auto& t) { return t.tranche == d.tranche; });
    if (pos == schedule.end()) {
      return Refuse(kInvalidTransition,
                    "campaign " + std::string(domain::CampaignId(p->campaign())) +
                        " has no tranche " + std::string(domain::ToString(d.tranche)));
    }
    const bool last = pos + 1 == schedule.end();
    std::vector<uint64_t> payment_seqs;
    for (const auto* pay : part.Payments(*p)) payment_seqs.push_back(pay->seq);
    for (auto it = schedule.begin(); it != schedule.end(); ++it) {
      const int64_t paid = part.PaidCents(*p, it->tranche);
      if (it < pos && paid == 0) {
        return Refuse(kInvalidTransition,
                      std::string(domain::ToString(d.tranche)) + " before the " +
                          std::string(domain::ToString(it->tranche)) + of_part + " was paid",
                      {convention->seq});
      }
      if (it > pos && paid > 0) {
        return Refuse(kInvalidTransition,
                      std::string(domain::ToString(d.tranche)) + " after the " +
                          std::string(domain::ToString(it->tranche)) + of_part + " was paid",
                      payment_seqs);
      }
    }
    std::vector<domain::Finess> listed = ConventionEstablishments(state_, *p);
    RETURN_IF_ERROR(RefuseFindings(ProjectFindings(state_, *p, listed), "at payment"));
    std::vector<uint64_t> grant_seqs = payment_seqs;
    grant_seqs.push_back(convention->seq);
    const int64_t paid_tranche = part.PaidCents(*p, d.tranche);
    if (!last && paid_tranche + d.amount_cents > pos->amount.cents()) {
      return Refuse("ADVANCE_EXCEEDS_SHARE",
                    std::string(domain::ToString(d.tranche)) + " of " +
                        domain::Money::Cents(paid_tranche + d.amount_cents).ToString() +
                        " exceeds its share (" + std::to_string(pos->per_mille / 10) + " %) " +
                        pos->amount.ToString() +
                        (part.complement() ? of_part : std::string(" of the convention")) + " (" +
                        std::string(pos->source) + ")",
                    grant_seqs);
    }
    // The lead part: the convention less the complements paid by their own region.
    if (!part.complement() && parts.size() > 1 &&
        part.PaidCents(*p) + d.amount_cents > part.amount_cents) {
      return Refuse("PAYMENT_EXCEEDS_GRANT",
                    "the lead region's payments would total " +
                        domain::Money::Cents(part.PaidCents(*p) + d.amount_cents).ToString() +
                        ", above its part " + amount.ToString() + ": " + part.detail,
                    grant_seqs);
    }
    if (p->PaidCents() + d.amount_cents > convention->data.amount_cents) {
      std::vector<uint64_t> seqs{convention->seq};
      for (const auto& pay : p->payments) seqs.push_back(pay.seq);
      return Refuse("PAYMENT_EXCEEDS_GRANT",
                    "payments would total " +
                        domain::Money::Cents(p->PaidCents() + d.amount_cents).ToString() +
                        ", above the convention's " +
                        domain::Money::Cents(convention->data.amount_cents).ToString(),
                    std::move(seqs));
    }
    // Amorçage 2021: invoices and the usage prorata, no certified statement
    // (projections/amorcage.h).
    if (p->campaign() == domain::Campaign::kAmorcage2021) {
      return RequireAmorcageTranche(state_, *p, d, pos->amount);
    }
    if (!last) return Status::OK();
    // The balance (000 §4.5, 003 §3.4): expense proof, equipment within the expense,
    // usage targets met by the whole grappe.
    const Fact<domain::ExpensesCertified>* proof = nullptr;
    for (const auto& e : p->expenses) {
      if (e.data.certified_at <= d.paid_at) proof = &e;
    }
    if (proof == nullptr) {
      return Refuse("NO_EXPENSE_PROOF",
                    "no expense statement certified on or before " + d.paid_at.ToString(),
                    {convention->seq});
    }
    ASSIGN_OR_RETURN(domain::ProjectEntitlement entitlement, FundedEntitlementOf(state_, *p));
    const int64_t equipment = EquipmentCentsFor(entitlement, listed);
    if (equipment > proof->data.equipment_cents) {
      // DOMAIN.md §5 (c): equipment funding never above the real expense, so the
      // grant shrinks by the uncovered part.
      const int64_t payable =
          convention->data.amount_cents - (equipment - proof->data.equipment_cents);
      if (p->PaidCents() + d.amount_cents > payable) {
        return Refuse("EQUIPMENT_EXCEEDS_EXPENSE",
                      "equipment funding " + domain::Money::Cents(equipment).ToString() +
                          " is above the certified equipment expense " +
                          domain::Money::Cents(proof->data.equipment_cents).ToString() +
                          ": at most " + domain::Money::Cents(payable).ToString() +
                          " may be paid in all",
                      {proof->seq, convention->seq});
      }
    }
    // 2025: within the convention's duration (projections/deadlines.h).
    RETURN_IF_ERROR(RequireBalanceWithinDuration(state_, *p, listed, d.paid_at));
    TargetsVerdict targets = GrappeTargets(state_, p->campaign(), listed, d.paid_at);
    if (targets.has_targets && !targets.met) {
      // The convention, and the measurement that misses a target (when one does,
      // rather than a period left without measurement).
      std::vector<uint64_t> seqs{convention->seq};
      seqs.insert(seqs.end(), targets.failing.begin(), targets.failing.end());
      return Refuse("TARGETS_NOT_MET", targets.detail, seqs);
    }
    return Status::OK();
  }

  Status operator()(const domain::ExpensesCertified& d) const {
    return ProjectOrError(state_, d.project).status();
  }

  // An invoice belongs to an amorçage project (001: tranches 2 and 3 are paid on it).
  Status operator()(const domain::InvoiceReceived& d) const {
    ASSIGN_OR_RETURN(const Project* p, ProjectOrError(state_, d.project));
    if (p->campaign() != domain::Campaign::kAmorcage2021) {
      return Refuse(kInvalidTransition,
                    "campaign " + std::string(domain::CampaignId(p->campaign())) +
                        " pays no tranche on an invoice (amorcage-2021 only, 001)",
                    {p->submitted_seq});
    }
    return Status::OK();
  }

  Status operator()(const domain::GrappeExtended& d) const {
    ASSIGN_OR_RETURN(const Project* p, ProjectOrError(state_, d.project));
    if (p->convention() == nullptr) {
      return Refuse("EXTENSION_NOT_FUNDED",
                    "project " + p->id() + " has no signed convention to extend",
                    {p->submitted_seq});
    }
    RETURN_IF_ERROR(RequireRunningProject(*p));
    if (!d.porteur_agreement) {
      return Refuse("EXTENSION_NO_AGREEMENT",
                    "the initial porteur's agreement is required (002 Mise en grappes)");
    }
    RETURN_IF_ERROR(RequirePayingRegionOfTheAddedEssms(d));
    RETURN_IF_ERROR(CheckNewEstablishments(state_, d.establishments, p));
    RETURN_IF_ERROR(RefuseEjAsEstablishment(state_, nullptr, d.organisations, d.establishments));
    FundingContext context{p->id(), p->campaign(), p->submission.solution,
                           p->submission.porteur.ght.value_or(false)};
    std::vector<Finding> findings;
    for (const auto& e : d.establishments) {
      for (auto& f : FundingFindings(state_, context, e)) findings.push_back(std::move(f));
    }
    return RefuseFindings(findings, "at the extension");
  }

  Status operator()(const domain::IndicatorMeasured& d) const {
    return RefuseEjFact(state_, d.finess);
  }
  Status operator()(const domain::SonsOrdered& d) const { return RefuseEjFact(state_, d.finess); }
  Status operator()(const domain::EuFundingDeclared& d) const {
    return RefuseEjFact(state_, d.finess);
  }
  Status operator()(const domain::TargetsAdjusted& d) const {
    return RefuseEjFact(state_, d.finess);
  }
  Status operator()(const domain::FundingRecorded& d) const {
    return RefuseEjFact(state_, d.finess);
  }

  Status operator()(const domain::FinessChanged& d) const {
    RETURN_IF_ERROR(RefuseEjFact(state_, d.from));
    RETURN_IF_ERROR(RefuseEjFact(state_, d.to));
    if (const auto* change = state_.registry().SuccessorOf(d.from)) {
      return Refuse(kInvalidTransition,
                    d.from.str() + " already changed into " + change->data.to.str(), {change->seq});
    }
    if (state_.registry().Resolve(d.to) == d.from) {
      return Refuse(kInvalidTransition,
                    d.to.str() + " already leads to " + d.from.str() + ": a cycle");
    }
    return Status::OK();
  }

  Status operator()(const domain::EventVoided& d) const {
    if (d.seq >= next_seq_) {
      return Status::NotFound("no record " + std::to_string(d.seq) + " to void");
    }
    if (state_.IsVoided(d.seq)) {
      return Refuse(kInvalidTransition, "record " + std::to_string(d.seq) + " is already voided",
                    {d.seq});
    }
    if (lookup_) {
      ASSIGN_OR_RETURN(ledger::Record target, lookup_(d.seq));
      if (ledger::IsKeyRecordType(target.type) || target.type == domain::EventVoided::kType) {
        return Refuse(kInvalidTransition,
                      "a " + target.type + " record cannot be voided (revoke the key instead)",
                      {d.seq});
      }
    }
    return Status::OK();
  }

  // Facts that only need authorization.
  template <typename T>
  Status operator()(const T&) const {
    return Status::OK();
  }

 private:
  Status Decide(const std::string& id, std::string_view verb) const {
    ASSIGN_OR_RETURN(const Project* p, ProjectOrError(state_, id));
    // DOMAIN.md §2 (issue 13 item 16): « un dossier [...] n'a pas abouti »: it may be
    // rejected from `selected` too, as long as no convention is signed (002: its ESSMS
    // « peuvent repostuler »).
    const bool closing_a_selected_dossier =
        verb == "reject" && p->status() == ProjectStatus::kSelected && p->conventions.empty();
    if (p->status() != ProjectStatus::kSubmitted && !closing_a_selected_dossier) {
      std::vector<uint64_t> seqs;
      if (p->decision.has_value()) seqs.push_back(p->decision->seq);
      return Refuse(kInvalidTransition,
                    "cannot " + std::string(verb) + " project " + id + " in status " +
                        std::string(ToString(p->status())),
                    seqs);
    }
    return Status::OK();
  }

  const ProgrammeState& state_;
  uint64_t next_seq_;
  const RecordLookup& lookup_;
};

}  // namespace

std::vector<std::string_view> RolesFor(std::string_view type) {
  static const std::map<std::string_view, std::vector<std::string_view>> kRoles = {
      {"project.submitted", {"porteur"}},
      {"project.selected", {"ars-instructor"}},
      {"project.rejected", {"ars-instructor"}},
      {"convention.signed", {"ars-instructor"}},
      {"payment.issued", {"ars-payer"}},
      {"indicator.measured", {"porteur", "ars-instructor"}},
      {"grappe.extended", {"ars-instructor"}},
      {"finess.changed", {"ars-instructor"}},
      {"sons.ordered", {"national", "ars-instructor"}},
      {"eu-funding.declared", {"national", "ars-instructor"}},
      {"expenses.certified", {"porteur", "ars-instructor"}},
      {"solution.referenced", {"national"}},
      {"targets.adjusted", {"ars-instructor"}},
      {"invoice.received", {"porteur", "ars-instructor"}},
      {"funding.recorded", {"national"}},
      {"key.enrolled", {"admin"}},
      {"key.revoked", {"admin"}},
      {"event.voided", {"ars-instructor", "admin"}},
  };
  auto it = kRoles.find(type);
  return it == kRoles.end() ? std::vector<std::string_view>{} : it->second;
}

std::optional<std::set<std::string>> ScopeOf(const domain::EventData& data,
                                             const ProgrammeState& state) {
  return std::visit(
      [&](const auto& d) -> std::optional<std::set<std::string>> {
        using T = std::decay_t<decltype(d)>;
        auto finess_scope = [&](const domain::Finess& f) -> std::optional<std::set<std::string>> {
          std::optional<std::string> region = RegionOfFiness(state, f);
          return region.has_value() ? std::set<std::string>{*region} : std::set<std::string>{};
        };
        if constexpr (std::is_same_v<T, domain::ProjectSubmitted>) {
          std::set<std::string> regions;
          for (const auto& e : d.establishments) regions.insert(e.region.code());
          return regions;
        } else if constexpr (std::is_same_v<T, domain::GrappeExtended>) {
          const Project* p = state.FindProject(d.project);
          if (p == nullptr) return std::nullopt;
          return p->InitialRegions();
        } else if constexpr (std::is_same_v<T, domain::PaymentIssued>) {
          const Project* p = state.FindProject(d.project);
          if (p == nullptr) return std::nullopt;
          if (d.paying_region.has_value()) {
            std::set<std::string> regions = p->Regions();
            if (!regions.contains(d.paying_region->code())) return std::set<std::string>{};
            return std::set<std::string>{d.paying_region->code()};
          }
          return p->InitialRegions();
        } else if constexpr (requires { d.project; }) {
          // Follow-up stays with the submitted ESSMS' regions (002, DOMAIN.md §7): a
          // complement's paying region only pays its complement (issue 13 item 14).
          const Project* p = state.FindProject(d.project);
          if (p == nullptr) return std::nullopt;
          return p->InitialRegions();
        } else if constexpr (std::is_same_v<T, domain::FinessChanged>) {
          return finess_scope(d.from);
        } else if constexpr (requires { d.finess; }) {
          return finess_scope(d.finess);
        } else {
          return std::nullopt;
        }
      },
      data);
}

namespace {

// DOMAIN.md §2, INTERFACE.md §1 (issue 13 item 15): « ≥ 50, > 1 région: National »
// (000 §4.3, 003 §7): a national-guichet project is selected (or rejected) and
// conventioned by the `national` role, and only by it. The project, when `data` is
// such an act on a national-guichet project; else nullptr.
const Project* NationalGuichetAct(const domain::EventData& data, const ProgrammeState& state) {
  const std::string* id = nullptr;
  if (const auto* d = std::get_if<domain::ProjectSelected>(&data)) id = &d->project;
  if (const auto* d = std::get_if<domain::ProjectRejected>(&data)) id = &d->project;
  if (const auto* d = std::get_if<domain::ConventionSigned>(&data)) id = &d->project;
  if (id == nullptr) return nullptr;
  const Project* p = state.FindProject(*id);
  return p != nullptr && OnNationalGuichet(*p) ? p : nullptr;
}

}  // namespace

Status Guard::Authorize(const domain::Event& event, const ledger::KeyInfo& signer,
                        const ProgrammeState& state) const {
  if (!signer.active()) {
    return Status::PermissionDenied("key '" + signer.name + "' was revoked at seq " +
                                    std::to_string(*signer.revoked_seq))
        .WithConflicts({*signer.revoked_seq});
  }
  if (const Project* p = NationalGuichetAct(event.data, state)) {
    if (signer.HasRole("national")) return Status::OK();
    return Status::PermissionDenied("project " + p->id() +
                                    " is on the national guichet (50 ESSMS or more in several "
                                    "regions, 000 \u00a74.3, 003 \u00a77): its " +
                                    event.type + " is signed by the national role, not by key '" +
                                    signer.name + "'")
        .WithConflicts({p->submitted_seq});
  }
  const std::vector<std::string_view> roles = RolesFor(event.type);
  std::string needed;
  for (std::string_view role : roles) {
    needed += (needed.empty() ? "" : " or ") + std::string(role);
    if (!signer.HasRole(role)) continue;
    if (!IsArsRole(role)) return Status::OK();
    std::optional<std::set<std::string>> scope;
    if (const auto* voided = std::get_if<domain::EventVoided>(&event.data)) {
      if (lookup_) {
        Result<ledger::Record> target = lookup_(voided->seq);
        if (target.ok() && !ledger::IsKeyRecordType(target->type)) {
          Result<domain::EventData> data = domain::DecodePayload(target->type, target->payload);
          if (data.ok()) scope = ScopeOf(*data, state);
        }
      }
    } else {
      scope = ScopeOf(event.data, state);
    }
    if (!scope.has_value()) return Status::OK();
    for (const std::string& region : *scope) {
      if (signer.HasRegion(region)) return Status::OK();
    }
    std::string regions;
    for (const std::string& r : *scope) regions += (regions.empty() ? "" : ", ") + r;
    return Status::PermissionDenied(
        "key '" + signer.name + "' (" + std::string(role) + ") does not act in region " +
        (regions.empty() ? std::string("(none)") : regions) + " of this " + event.type);
  }
  return Status::PermissionDenied("key '" + signer.name + "' lacks the role to sign " + event.type +
                                  " (needs " + needed + ")")
      .WithConflicts({signer.enrolled_seq});
}

Status Guard::CheckRules(const domain::Event& event, uint64_t next_seq,
                         const ProgrammeState& state) const {
  return std::visit(RuleChecker(state, next_seq, lookup_), event.data);
}

Status Guard::Check(const domain::Event& event, const ledger::KeyInfo& signer, uint64_t next_seq,
                    const ProgrammeState& state) const {
  RETURN_IF_ERROR(Authorize(event, signer, state));
  return CheckRules(event, next_seq, state);
}

}  // namespace esms::projections
