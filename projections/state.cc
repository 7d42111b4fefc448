#include "projections/state.h"

#include <algorithm>
#include <deque>
#include <type_traits>
#include <utility>
#include <variant>

#include "domain/event_codec.h"
#include "ledger/key_registry.h"

namespace esms::projections {

std::string_view ToString(ProjectStatus status) {
  switch (status) {
    case ProjectStatus::kSubmitted:
      return "submitted";
    case ProjectStatus::kSelected:
      return "selected";
    case ProjectStatus::kRejected:
      return "rejected";
    case ProjectStatus::kConventionSigned:
      return "convention-signed";
    case ProjectStatus::kAdvancePaid:
      return "advance-paid";
    case ProjectStatus::kBalancePaid:
      return "balance-paid";
    case ProjectStatus::kParametrisationPaid:
      return "parametrisation-paid";
    case ProjectStatus::kDeploymentPaid:
      return "deployment-paid";
    case ProjectStatus::kLapsed:
      return "lapsed";
  }
  return "unknown";
}

// ---- Project ----

ProjectStatus Project::status() const {
  if (decision.has_value() && !decision->selected) return ProjectStatus::kRejected;
  if (conventions.empty()) {
    return decision.has_value() ? ProjectStatus::kSelected : ProjectStatus::kSubmitted;
  }
  // The latest tranche paid, in the schedule's order (the guard pays them in order).
  auto order = [](domain::Tranche t) {
    switch (t) {
      case domain::Tranche::kAdvance:
        return 1;
      case domain::Tranche::kParametrisation:
        return 2;
      case domain::Tranche::kBalance:
      case domain::Tranche::kDeployment:
        return 3;
    }
    return 0;
  };
  int latest = 0;
  domain::Tranche latest_tranche = domain::Tranche::kAdvance;
  const std::set<std::string> complement = ComplementRegions();
  for (const auto& payment : payments) {
    const auto& paying = payment.data.paying_region;
    if (paying.has_value() && complement.contains(paying->code())) continue;
    if (order(payment.data.tranche) > latest) {
      latest = order(payment.data.tranche);
      latest_tranche = payment.data.tranche;
    }
  }
  if (latest == 0) return ProjectStatus::kConventionSigned;
  switch (latest_tranche) {
    case domain::Tranche::kAdvance:
      return ProjectStatus::kAdvancePaid;
    case domain::Tranche::kParametrisation:
      return ProjectStatus::kParametrisationPaid;
    case domain::Tranche::kBalance:
      return ProjectStatus::kBalancePaid;
    case domain::Tranche::kDeployment:
      return ProjectStatus::kDeploymentPaid;
  }
  return ProjectStatus::kConventionSigned;
}

std::set<std::string> Project::ComplementRegions() const {
  std::set<std::string> regions;
  if (extensions.empty()) return regions;
  const std::string lead = LeadRegion();
  for (const auto& x : extensions) {
    if (x.data.paying_region.code() != lead) regions.insert(x.data.paying_region.code());
  }
  return regions;
}

bool Project::IsComplementPayment(const domain::PaymentIssued& payment) const {
  if (!payment.paying_region.has_value() || extensions.empty()) return false;
  return ComplementRegions().contains(payment.paying_region->code());
}

bool IsFinished(ProjectStatus status) {
  return status == ProjectStatus::kBalancePaid || status == ProjectStatus::kDeploymentPaid;
}

const Fact<domain::ConventionSigned>* Project::convention() const {
  return conventions.empty() ? nullptr : &conventions.back();
}

int64_t Project::PaidCents() const {
  int64_t total = 0;
  for (const auto& payment : payments) total += payment.data.amount_cents;
  return total;
}

int64_t Project::PaidCents(domain::Tranche tranche) const {
  int64_t total = 0;
  for (const auto& payment : payments) {
    if (payment.data.tranche == tranche) total += payment.data.amount_cents;
  }
  return total;
}

std::set<std::string> Project::Regions() const {
  std::set<std::string> regions;
  for (const auto& e : establishments) regions.insert(e.entry.region.code());
  return regions;
}

std::set<std::string> Project::InitialRegions() const {
  std::set<std::string> regions;
  for (const auto& e : submission.establishments) regions.insert(e.region.code());
  return regions;
}

// 002 Mise en grappes: « c'est l'ARS et le GRADeS de la région la plus représentée qui
// assurent le suivi du projet » (DOMAIN.md §2, issue 13 item 15): the region with the
// most of the submitted ESSMS (each FINESS once); a tie goes to the porteur's region
// (its organisations[] entry, else its FINESS EJ's département).
// Interpretation: counted over the submission only, so that a complément de grappe never
// moves the follow-up (« follow-up stays with the lead region », DOMAIN.md §7); a tie
// the porteur's region is not part of goes to the smallest INSEE code.
std::string Project::LeadRegion() const {
  std::map<std::string, int> counts;
  std::set<std::string> seen;
  for (const auto& e : submission.establishments) {
    if (seen.insert(e.finess.str()).second) ++counts[e.region.code()];
  }
  std::string porteur_region;
  for (const auto& og : submission.organisations) {
    if (og.finess_ej == submission.porteur.finess_ej) porteur_region = og.region.code();
  }
  if (porteur_region.empty()) {
    std::optional<domain::Region> r =
        domain::Region::OfDepartement(submission.porteur.finess_ej.departement());
    if (r.has_value()) porteur_region = r->code();
  }
  std::string lead;
  int most = 0;
  for (const auto& [region, n] : counts) {
    if (n > most) {
      lead = region;
      most = n;
    }
  }
  auto porteur = counts.find(porteur_region);
  if (porteur != counts.end() && porteur->second == most) lead = porteur_region;
  return lead;
}

int Project::IndexOf(const domain::Finess& finess) const {
  for (size_t i = 0; i < establishments.size(); ++i) {
    if (establishments[i].entry.finess == finess) return static_cast<int>(i);
  }
  return -1;
}

void RebuildProjectLists(Project& project) {
  project.establishments.clear();
  project.organisations.clear();
  auto add_orgs = [&](const std::vector<domain::OrganisationEntry>& orgs) {
    for (const auto& org : orgs) {
      bool known = std::any_of(project.organisations.begin(), project.organisations.end(),
                               [&](const auto& o) { return o.finess_ej == org.finess_ej; });
      if (!known) project.organisations.push_back(org);
    }
  };
  add_orgs(project.submission.organisations);
  for (const auto& e : project.submission.establishments) {
    project.establishments.push_back({e, project.submitted_seq, false});
  }
  for (const auto& extension : project.extensions) {
    add_orgs(extension.data.organisations);
    for (const auto& e : extension.data.establishments) {
      if (project.IndexOf(e.finess) >= 0) continue;  // the guard refuses this
      project.establishments.push_back({e, extension.seq, true});
    }
  }
}

namespace {

template <typename F>
void EraseSeq(std::vector<F>& facts, uint64_t seq) {
  std::erase_if(facts, [&](const F& f) { return f.seq == seq; });
}

}  // namespace

// ---- EstablishmentRegistry ----

std::string MeasurementChunkOf(const domain::Finess& finess) {
  return finess.str().substr(0, kChunkPrefixSize);
}

domain::Finess EstablishmentRegistry::Resolve(const domain::Finess& finess) const {
  domain::Finess current = finess;
  // The guard refuses cycles; the bound only protects against a bug.
  for (size_t i = 0; i <= successor_.size(); ++i) {
    auto it = successor_.find(current);
    if (it == successor_.end()) break;
    current = it->second.data.to;
  }
  return current;
}

std::vector<EstablishmentRegistry::Member> EstablishmentRegistry::Lineage(
    const domain::Finess& finess) const {
  std::vector<Member> members;
  members.push_back({Resolve(finess), false, {}});
  std::set<domain::Finess> seen{members.front().finess};
  for (size_t i = 0; i < members.size(); ++i) {
    auto it = predecessors_.find(members[i].finess);
    if (it == predecessors_.end()) continue;
    for (const domain::Finess& from : it->second) {
      if (!seen.insert(from).second) continue;
      const auto& change = successor_.at(from);
      Member m{from, members[i].via_merger, members[i].change_seqs};
      if (change.data.kind == domain::FinessChangeKind::kMerger) m.via_merger = true;
      m.change_seqs.push_back(change.seq);
      members.push_back(std::move(m));
    }
  }
  std::sort(members.begin() + 1, members.end(),
            [](const Member& a, const Member& b) { return a.finess < b.finess; });
  return members;
}

const Fact<domain::FinessChanged>* EstablishmentRegistry::SuccessorOf(
    const domain::Finess& finess) const {
  auto it = successor_.find(finess);
  return it == successor_.end() ? nullptr : &it->second;
}

const EstablishmentFacts* EstablishmentRegistry::Find(const domain::Finess& finess) const {
  auto it = facts_.find(finess);
  if (it == facts_.end()) return nullptr;
  if (lazy_ != nullptr) LoadChunk(MeasurementChunkOf(finess));
  return &it->second;
}

const EstablishmentFacts* EstablishmentRegistry::FindWithoutMeasurements(
    const domain::Finess& finess) const {
  auto it = facts_.find(finess);
  return it == facts_.end() ? nullptr : &it->second;
}

const std::map<domain::Finess, EstablishmentFacts>& EstablishmentRegistry::all() const {
  LoadAll();
  return facts_;
}

EstablishmentFacts& EstablishmentRegistry::At(const domain::Finess& finess, bool measurements) {
  if (measurements) {
    std::string chunk = MeasurementChunkOf(finess);
    LoadChunk(chunk);
    if (!digests_.empty()) digests_.erase(chunk);
  }
  return facts_[finess];
}

void EstablishmentRegistry::RebuildPredecessors() {
  predecessors_.clear();
  // successor_ is ordered by `from`, so each list is sorted.
  for (const auto& [from, change] : successor_) predecessors_[change.data.to].push_back(from);
}

// ---- ProgrammeState ----

const Project* ProgrammeState::FindProject(std::string_view id) const {
  auto it = projects_.find(id);
  return it == projects_.end() ? nullptr : &it->second;
}

Status ProgrammeState::Apply(const ledger::Record& record) {
  std::optional<domain::Date> at;
  if (Result<domain::Date> parsed = domain::Date::Parse(record.at); parsed.ok()) at = *parsed;
  return Apply(record.seq, record.type, record.payload, at);
}

Status ProgrammeState::Apply(uint64_t seq, std::string_view type, ledger::ByteView payload,
                             std::optional<domain::Date> at) {
  if (seq != next_seq_) {
    return Status::Internal("projection at seq " + std::to_string(next_seq_) +
                            " cannot fold record " + std::to_string(seq));
  }
  if (!ledger::IsKeyRecordType(type)) {
    Result<domain::EventData> data = domain::DecodePayload(type, payload);
    if (!data.ok()) {
      return Status::DataLoss("seq " + std::to_string(seq) +
                              ": payload does not decode: " + data.status().message());
    }
    RETURN_IF_ERROR(ApplyEvent(*data, seq, at));
  }
  next_seq_ = seq + 1;
  return Status::OK();
}

Status ProgrammeState::ApplyEvent(const domain::EventData& data, uint64_t seq,
                                  std::optional<domain::Date> at) {
  if (seq < next_seq_) {
    return Status::Internal("projection at seq " + std::to_string(next_seq_) + " cannot fold seq " +
                            std::to_string(seq) + " again");
  }
  if (std::holds_alternative<domain::TargetsAdjusted>(data) && !at.has_value()) {
    return Status::Internal("seq " + std::to_string(seq) +
                            ": a targets.adjusted record folded without its business date");
  }
  auto project_of = [&](const std::string& id) -> Project* {
    auto it = projects_.find(id);
    return it == projects_.end() ? nullptr : &it->second;
  };
  auto link = [&](const domain::Finess& finess, const std::string& project) {
    registry_.At(finess).project_records.push_back({project, seq});
  };
  std::visit(
      [&](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, domain::ProjectSubmitted>) {
          Project project;
          project.submitted_seq = seq;
          project.submission = d;
          RebuildProjectLists(project);
          for (const auto& e : d.establishments) link(e.finess, d.project);
          AddEjNumbers(project);
          projects_[d.project] = std::move(project);
        } else if constexpr (std::is_same_v<T, domain::ProjectSelected>) {
          if (Project* p = project_of(d.project))
            p->decision = Decision{seq, true, d.committee_at, ""};
        } else if constexpr (std::is_same_v<T, domain::ProjectRejected>) {
          if (Project* p = project_of(d.project)) {
            // A selected dossier closed before any convention (DOMAIN.md §2): the
            // selection is kept, for a void of the rejection to bring it back.
            if (p->decision.has_value() && p->decision->selected) {
              p->overruled_selection = p->decision;
            }
            p->decision = Decision{seq, false, {}, d.reason};
          }
        } else if constexpr (std::is_same_v<T, domain::ConventionSigned>) {
          if (Project* p = project_of(d.project)) {
            p->conventions.push_back({seq, d});
            for (const auto& f : d.establishments) link(f, d.project);
          }
        } else if constexpr (std::is_same_v<T, domain::PaymentIssued>) {
          if (Project* p = project_of(d.project)) p->payments.push_back({seq, d});
        } else if constexpr (std::is_same_v<T, domain::ExpensesCertified>) {
          if (Project* p = project_of(d.project)) p->expenses.push_back({seq, d});
        } else if constexpr (std::is_same_v<T, domain::GrappeExtended>) {
          if (Project* p = project_of(d.project)) {
            p->extensions.push_back({seq, d});
            RebuildProjectLists(*p);
            AddEjNumbers(*p);
            for (const auto& e : d.establishments) link(e.finess, d.project);
          }
        } else if constexpr (std::is_same_v<T, domain::IndicatorMeasured>) {
          registry_.At(d.finess, /*measurements=*/true).measurements.push_back({seq, d});
        } else if constexpr (std::is_same_v<T, domain::SonsOrdered>) {
          registry_.At(d.finess).sons.push_back({seq, d});
        } else if constexpr (std::is_same_v<T, domain::EuFundingDeclared>) {
          registry_.At(d.finess).eu_funds.push_back({seq, d});
        } else if constexpr (std::is_same_v<T, domain::TargetsAdjusted>) {
          registry_.At(d.finess).adjustments.push_back({seq, *at, d});
        } else if constexpr (std::is_same_v<T, domain::FundingRecorded>) {
          registry_.At(d.finess).recorded_funding.push_back({seq, d});
        } else if constexpr (std::is_same_v<T, domain::InvoiceReceived>) {
          if (Project* p = project_of(d.project)) p->invoices.push_back({seq, d});
        } else if constexpr (std::is_same_v<T, domain::FinessChanged>) {
          registry_.successor_[d.from] = {seq, d};
          registry_.RebuildPredecessors();
        } else if constexpr (std::is_same_v<T, domain::SolutionReferenced>) {
          referencing_.push_back({seq, d});
        } else if constexpr (std::is_same_v<T, domain::EventVoided>) {
          voided_.insert(d.seq);
          Void(d.seq);
        }
        // key.enrolled / key.revoked: the ledger's KeyRegistry folds them.
      },
      data);
  next_seq_ = seq + 1;
  return Status::OK();
}

void ProgrammeState::AddEjNumbers(const Project& project) {
  ej_numbers_.insert(project.submission.porteur.finess_ej);
  for (const auto& og : project.organisations) ej_numbers_.insert(og.finess_ej);
}

void ProgrammeState::RebuildEjNumbers() {
  ej_numbers_.clear();
  for (const auto& [id, project] : projects_) AddEjNumbers(project);
}

void ProgrammeState::Void(uint64_t seq) {
  registry_.LoadAll();  // a voided measurement may be in any chunk
  auto unlink = [&](const std::string& project, std::optional<uint64_t> only_seq) {
    for (auto& [finess, facts] : registry_.facts_) {
      std::erase_if(facts.project_records, [&](const ProjectLink& l) {
        return l.project == project && (!only_seq.has_value() || l.seq == *only_seq);
      });
    }
  };
  for (auto it = projects_.begin(); it != projects_.end();) {
    Project& p = it->second;
    if (p.submitted_seq == seq) {
      unlink(p.id(), std::nullopt);
      it = projects_.erase(it);
      continue;
    }
    if (p.decision.has_value() && p.decision->seq == seq) {
      p.decision = p.overruled_selection;  // a voided rejection restores the selection
      p.overruled_selection.reset();
    }
    if (p.overruled_selection.has_value() && p.overruled_selection->seq == seq) {
      p.overruled_selection.reset();
    }
    size_t conventions = p.conventions.size(), extensions = p.extensions.size();
    EraseSeq(p.conventions, seq);
    EraseSeq(p.payments, seq);
    EraseSeq(p.expenses, seq);
    EraseSeq(p.extensions, seq);
    EraseSeq(p.invoices, seq);
    if (extensions != p.extensions.size()) RebuildProjectLists(p);
    if (conventions != p.conventions.size() || extensions != p.extensions.size()) {
      unlink(p.id(), seq);
    }
    ++it;
  }
  for (auto it = registry_.facts_.begin(); it != registry_.facts_.end();) {
    EstablishmentFacts& f = it->second;
    EraseSeq(f.sons, seq);
    EraseSeq(f.eu_funds, seq);
    const size_t measurements = f.measurements.size();
    EraseSeq(f.measurements, seq);
    if (measurements != f.measurements.size()) {
      registry_.digests_.erase(MeasurementChunkOf(it->first));
    }
    EraseSeq(f.adjustments, seq);
    EraseSeq(f.recorded_funding, seq);
    it = f.empty() ? registry_.facts_.erase(it) : std::next(it);
  }
  size_t changes = registry_.successor_.size();
  std::erase_if(registry_.successor_, [&](const auto& kv) { return kv.second.seq == seq; });
  if (changes != registry_.successor_.size()) registry_.RebuildPredecessors();
  EraseSeq(referencing_, seq);
  RebuildEjNumbers();  // a voided submission or extension may take numbers away
}

}  // namespace esms::projections
