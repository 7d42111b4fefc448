// ProgrammeState: the programme as the ledger's records say it stands — projects
// (status machine, establishments with their rank, conventions, payments, expense
// statements, extensions), the establishment registry (FINESS lineage through
// finess.changed, and per establishment the project records naming it, SONS orders,
// EU funds, measurements, target adjustments), the Ségur referencing facts, and the
// voided seqs.
//
// It is a pure fold (DESIGN.md "Projections"): Apply() takes the records in ledger
// order, already accepted by the ledger and the guard, and never refuses a programme
// event for a rule (that is the guard's job, before the record exists). Derived
// values (status, ranks, warnings) are computed from the stored facts, so a voided
// record is simply removed from the facts (event.voided: "the record stays,
// projections ignore it").
//
// Encode() gives a deterministic byte form (sorted maps, facts in seq order, fixed
// binary encoding, state_codec.cc): folding the same records always gives the same
// bytes, whether incrementally, from a snapshot, or from seq 0. A state decoded from
// snapshot parts (DecodeParts) loads its measurements lazily, chunk by chunk (see
// EstablishmentRegistry).
//
// Thread-safety: a value type. Const methods may be called concurrently; Apply needs
// exclusive access.
#ifndef ESMS_PROJECTIONS_STATE_H_
#define ESMS_PROJECTIONS_STATE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "domain/date.h"
#include "domain/events.h"
#include "domain/finess.h"
#include "domain/region.h"
#include "ledger/hash.h"
#include "ledger/record.h"

namespace esms::projections {

// INTERFACE.md §3 `status`.
enum class ProjectStatus {
  kSubmitted,
  kSelected,
  kRejected,
  kConventionSigned,
  kAdvancePaid,
  kBalancePaid,
  // Amorçage 2021 (001 « Modalités de financement »: 40 % at the convention, 40 % « à
  // la fin du paramétrage », 20 % « à la fin du déploiement »): after the second and
  // the third tranche. Its first tranche gives kAdvancePaid.
  kParametrisationPaid,
  kDeploymentPaid,
  // Never returned by Project::status() (it needs a date and the measurements): see
  // IsLapsed (projections/deadlines.h), which `state` applies as of a date.
  kLapsed,
};
// "submitted", "selected", "rejected", "convention-signed", "advance-paid",
// "balance-paid", "parametrisation-paid", "deployment-paid", "lapsed".
std::string_view ToString(ProjectStatus status);
// The last tranche of the campaign is paid: généralisation's balance, amorçage's
// deployment. A finished project takes no complement and no amended convention.
bool IsFinished(ProjectStatus status);

// One ESSMS of a project, listed by a submission or an extension. Its rank is its
// position in Project::establishments (1-based).
struct ProjectEstablishment {
  domain::EstablishmentEntry entry;
  uint64_t seq = 0;  // the submission or extension that listed it
  bool from_extension = false;
};

template <typename T>
struct Fact {
  uint64_t seq = 0;
  T data;
};

struct Decision {
  uint64_t seq = 0;
  bool selected = false;
  domain::Date committee_at;  // selection only
  std::string reason;         // rejection only
};

struct Project {
  uint64_t submitted_seq = 0;
  // The submission; its establishments and organisations are moved to the lists below.
  domain::ProjectSubmitted submission;
  std::vector<domain::OrganisationEntry> organisations;  // submission, then extensions
  std::vector<ProjectEstablishment> establishments;      // rank order
  std::optional<Decision> decision;
  // A selection a later project.rejected closed before any convention (DOMAIN.md §2):
  // voiding the rejection brings it back.
  std::optional<Decision> overruled_selection;
  std::vector<Fact<domain::ConventionSigned>> conventions;  // the last one is in force
  std::vector<Fact<domain::PaymentIssued>> payments;
  std::vector<Fact<domain::ExpensesCertified>> expenses;
  // Extensions, with their establishments moved to `establishments`.
  std::vector<Fact<domain::GrappeExtended>> extensions;
  // Amorçage: the invoices of the parametrisation and deployment tranches (001).
  std::vector<Fact<domain::InvoiceReceived>> invoices;

  const std::string& id() const { return submission.project; }
  domain::Campaign campaign() const { return submission.campaign; }
  // Derived from the facts: rejected / selected / convention-signed, then the latest
  // tranche paid (INTERFACE.md §3 `status`): généralisation "advance-paid",
  // "balance-paid"; amorçage "advance-paid", "parametrisation-paid",
  // "deployment-paid" (« amorçage adds parametrisation-paid, deployment-paid »).
  // Payments of a complément de grappe by its paying region (IsComplementPayment) do
  // not move it: the status follows the project's own tranches, as its follow-up stays
  // with the lead region (002).
  ProjectStatus status() const;
  // The convention in force, or nullptr.
  const Fact<domain::ConventionSigned>* convention() const;
  int64_t PaidCents() const;
  int64_t PaidCents(domain::Tranche tranche) const;
  // The regions of the establishments of the project (submission and extensions),
  // INSEE codes, sorted.
  std::set<std::string> Regions() const;
  // The regions of the submitted establishments only (follow-up stays there, 002).
  std::set<std::string> InitialRegions() const;
  // The lead region (INSEE code): the region with the most submitted ESSMS, a tie to
  // the porteur's region (002 Mise en grappes, DOMAIN.md §2).
  std::string LeadRegion() const;
  // Index in `establishments` of `finess` (the listed number), or -1.
  int IndexOf(const domain::Finess& finess) const;
  // The regions whose ARS funds a complément de grappe of the project: the
  // payingRegion of its extensions, the lead region excepted (its ARS funds the rest).
  std::set<std::string> ComplementRegions() const;
  // A payment of a complément de grappe: its payingRegion is one of ComplementRegions()
  // (002: « L'ARS de la région concernée par ces nouveaux ESMS sera sollicitée
  // uniquement pour le financement de ce complément »).
  bool IsComplementPayment(const domain::PaymentIssued& payment) const;
};

// Recomputes `project.establishments` and `project.organisations` from its submission
// and extensions: ranks run over the submission's establishments in listing order,
// then each extension's in ledger order (DOMAIN.md §3 Interpretation).
void RebuildProjectLists(Project& project);

// A targets.adjusted fact with the business date (`at`) of its record: DOMAIN.md §6,
// « it counts for a payment or a `check --at` only if its business date (`at`) is on or
// before that date » (issue 13 item 17). The fold keeps the date, as the event's data
// does not carry it.
struct AdjustmentFact {
  uint64_t seq = 0;
  domain::Date at;  // the record's business date
  domain::TargetsAdjusted data;
};

// A record of a project naming an establishment (submission, extension, convention).
struct ProjectLink {
  std::string project;
  uint64_t seq = 0;
};

// Everything recorded about one FINESS number (not followed through its lineage:
// EstablishmentRegistry::Lineage does that).
struct EstablishmentFacts {
  std::vector<ProjectLink> project_records;
  std::vector<Fact<domain::SonsOrdered>> sons;
  std::vector<Fact<domain::EuFundingDeclared>> eu_funds;
  std::vector<Fact<domain::IndicatorMeasured>> measurements;
  std::vector<AdjustmentFact> adjustments;
  // Funding granted outside the ledger (funding.recorded, DOMAIN.md §2).
  std::vector<Fact<domain::FundingRecorded>> recorded_funding;

  bool empty() const {
    return project_records.empty() && sons.empty() && eu_funds.empty() && measurements.empty() &&
           adjustments.empty() && recorded_funding.empty();
  }
};

// The measurements are stored apart, in chunks of the FINESS numbers sharing their
// first kChunkPrefixSize characters (about ten establishments), so that a state
// decoded from a snapshot's parts (ProgrammeState::DecodeParts) loads the measurements
// of a chunk only when something reads them: Find() loads the chunk of its number,
// all() loads every chunk. The name of the chunk of `finess`.
inline constexpr size_t kChunkPrefixSize = 7;
std::string MeasurementChunkOf(const domain::Finess& finess);

// Where the measurement chunks of a state decoded from snapshot parts come from.
struct MeasurementSource {
  // The stored bytes of chunk `name` (nullopt when absent).
  std::function<Result<std::optional<ledger::Bytes>>(const std::string& name)> load;
  // When the stored bytes of a chunk are absent or do not match the digest the core
  // lists: every indicator.measured fact of records [0, seq) whose FINESS is in one of
  // the chunks `names` (the damaged one and every other one not loaded yet, so that
  // one pass over the records serves them all), voided ones included (the state
  // drops them), in seq order. May be empty: the state then fails the load (see
  // EstablishmentRegistry::load_status()).
  std::function<Result<std::vector<Fact<domain::IndicatorMeasured>>>(
      const std::set<std::string>& names, uint64_t seq)>
      rebuild;
  // Optional: calls fn(name, bytes) for every stored chunk, in one pass (faster than
  // `load` chunk by chunk when every chunk is read, as the active-DUI report does).
  std::function<Status(const std::function<Status(const std::string& name, ledger::ByteView)>&)>
      scan;
};

// FINESS lineage (DOMAIN.md §7): a renumbering moves the whole history of `from` to
// `to`; a merger of `from` into `to` links `from`'s history to `to`. A number has at
// most one successor; following successors gives the current number.
//
// Thread-safety: as ProgrammeState (const methods concurrently); the lazy loads of
// measurement chunks behind Find() and all() take a mutex of their own.
class EstablishmentRegistry {
 public:
  struct Member {
    domain::Finess finess;
    // True when the path from this number to the current one crosses a merger: its
    // non-cumulation findings are warnings (002 Éligibilité).
    bool via_merger = false;
    std::vector<uint64_t> change_seqs;  // the finess.changed records on that path
  };

  EstablishmentRegistry();
  ~EstablishmentRegistry();
  // A copy holds every measurement (the source's chunks are loaded first).
  EstablishmentRegistry(const EstablishmentRegistry& other);
  EstablishmentRegistry& operator=(const EstablishmentRegistry& other);
  EstablishmentRegistry(EstablishmentRegistry&& other) noexcept;
  EstablishmentRegistry& operator=(EstablishmentRegistry&& other) noexcept;

  // The current number of `finess`: its successors followed to the end.
  domain::Finess Resolve(const domain::Finess& finess) const;
  // The current number of `finess` and every number whose history leads to it,
  // current number first, then by FINESS order.
  std::vector<Member> Lineage(const domain::Finess& finess) const;
  // The change that superseded `finess`, or nullptr.
  const Fact<domain::FinessChanged>* SuccessorOf(const domain::Finess& finess) const;
  // Facts of exactly this number (its measurement chunk loaded), or nullptr.
  const EstablishmentFacts* Find(const domain::Finess& finess) const;
  // The same without loading its measurement chunk: `measurements` may be empty
  // while the number has some. For the readers of the other facts (links, SONS, EU
  // funds, adjustments), so that `state` of a project reads no measurement.
  const EstablishmentFacts* FindWithoutMeasurements(const domain::Finess& finess) const;

  // Every number's facts (every measurement chunk loaded).
  const std::map<domain::Finess, EstablishmentFacts>& all() const;
  const std::map<domain::Finess, Fact<domain::FinessChanged>>& changes() const {
    return successor_;
  }
  // OK, or why a measurement chunk could be neither loaded nor rebuilt (storage
  // trouble): its measurements are then missing from the facts.
  Status load_status() const;

 private:
  friend class ProgrammeState;
  friend struct StateCodec;
  struct Lazy;  // the chunks not loaded yet (state.cc)

  // Loads the chunk of `finess` / every chunk, if not in memory yet.
  void LoadChunk(const std::string& chunk) const;
  void LoadAll() const;
  // Facts of `finess`, created if absent; `measurements`: its chunk loaded and marked
  // changed.
  EstablishmentFacts& At(const domain::Finess& finess, bool measurements = false);
  void RebuildPredecessors();

  mutable std::map<domain::Finess, EstablishmentFacts> facts_;
  std::map<domain::Finess, Fact<domain::FinessChanged>> successor_;
  std::map<domain::Finess, std::vector<domain::Finess>> predecessors_;  // derived
  std::unique_ptr<Lazy> lazy_;
  // Chunk name -> digest of its encoding, for the chunks unchanged since they were
  // loaded or saved (the others are encoded again by EncodeParts).
  std::map<std::string, ledger::Hash> digests_;
};

// A state's snapshot in parts: the core (everything but the measurements, and the
// name and digest of each measurement chunk) and the measurement chunks.
struct SnapshotParts {
  ledger::Bytes core;
  struct Chunk {
    std::string name;
    ledger::Hash digest{};
    ledger::Bytes bytes;  // empty when unchanged since the last load or save (reused)
    bool reused = false;
  };
  std::vector<Chunk> chunks;  // by name
};

class ProgrammeState {
 public:
  // Folds one record (the next one: record.seq == next_seq()). Key records only
  // advance next_seq (the ledger's KeyRegistry folds them). DataLoss if the payload
  // does not decode.
  Status Apply(const ledger::Record& record);
  // The same from the record's seq, type, payload and business date (Ledger::ScanViews
  // gives no date: `at` is needed for a targets.adjusted record only, see ApplyEvent).
  Status Apply(uint64_t seq, std::string_view type, ledger::ByteView payload,
               std::optional<domain::Date> at = std::nullopt);
  // Folds one decoded programme event recorded at `seq` (>= next_seq()) with its
  // record's business date `at`. A targets.adjusted event needs its `at` (the date
  // from which it counts for a decision, AdjustmentFact): Internal without it.
  Status ApplyEvent(const domain::EventData& data, uint64_t seq,
                    std::optional<domain::Date> at = std::nullopt);

  // The number of records folded: the state reflects seqs [0, next_seq()).
  uint64_t next_seq() const { return next_seq_; }

  const Project* FindProject(std::string_view id) const;
  const std::map<std::string, Project, std::less<>>& projects() const { return projects_; }
  const EstablishmentRegistry& registry() const { return registry_; }
  const std::vector<Fact<domain::SolutionReferenced>>& referencing() const { return referencing_; }
  const std::set<uint64_t>& voided() const { return voided_; }
  bool IsVoided(uint64_t seq) const { return voided_.contains(seq); }
  // Whether `finess` is the FINESS EJ of a project's porteur or of one of its
  // organisations (submission or extension): never an establishment's FINESS
  // (DOMAIN.md §0). Derived from the projects, kept as they change.
  bool IsEjNumber(const domain::Finess& finess) const { return ej_numbers_.contains(finess); }

  // Deterministic bytes of the whole state (see the header comment): the core, then
  // every measurement chunk.
  ledger::Bytes Encode() const;
  // Every measurement in memory. DataLoss if `bytes` is not an Encode() output of
  // format 2, or a format 1 (JSON) state.
  static Result<ProgrammeState> Decode(ledger::ByteView bytes);

  // The snapshot in parts (deterministic, as Encode): chunks whose digest is known
  // (unchanged since the last DecodeParts or NoteSaved) are listed, not encoded again.
  SnapshotParts EncodeParts() const;
  // The parts were stored: their digests are now known.
  void NoteSaved(const SnapshotParts& parts);
  // A state from `core` (SnapshotParts::core) whose measurement chunks are loaded from
  // `source` when read. DataLoss if `core` is not an EncodeParts() core.
  static Result<ProgrammeState> DecodeParts(ledger::ByteView core, MeasurementSource source);

 private:
  friend struct StateCodec;
  void Void(uint64_t seq);
  void AddEjNumbers(const Project& project);
  void RebuildEjNumbers();

  uint64_t next_seq_ = 0;
  std::map<std::string, Project, std::less<>> projects_;
  EstablishmentRegistry registry_;
  std::vector<Fact<domain::SolutionReferenced>> referencing_;
  std::set<uint64_t> voided_;
  std::set<domain::Finess> ej_numbers_;  // derived from projects_ (IsEjNumber)
};

}  // namespace esms::projections

#endif  // ESMS_PROJECTIONS_STATE_H_
