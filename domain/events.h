// The programme's events (INTERFACE.md §1) as typed values: one plain struct
// per event type, the closed vocabularies as enums, `EventData` = the variant
// over all of them, and `Event` = one event as submitted (id, type, business
// date, optional expected stream version, its implicit stream and its data).
//
// The structs hold typed, parsed values (Date, Finess, Siret, Region, Campaign,
// enums; money as int64 cents in fields ending in `_cents`; counts as int64),
// so a value exists only when every identifier in it is valid. The within-event
// value checks (non-negative counts, a FINESS listed twice, periodStart <=
// periodEnd, ...) are in ValidateEventData; the JSON codec
// (domain/event_codec.h) runs them on every parse. Programme rules that need
// the ledger's state (windows, non-cumulation, payments against the convention,
// ...) are not checked here.
//
// Thread-safety: plain value types and pure functions; safe from any thread.
#ifndef ESMS_DOMAIN_EVENTS_H_
#define ESMS_DOMAIN_EVENTS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"
#include "domain/date.h"
#include "domain/finess.h"
#include "domain/region.h"
#include "domain/rulebook.h"

namespace esms::domain {

// ---- Closed vocabularies. ToString gives the JSON spelling. ----

// project.submitted `kind`.
enum class ProjectKind { kAcquisition, kUsage, kMixed };
// An establishment's `situation`: a new solution, or the Ségur upgrade of its
// own.
enum class Situation { kAcquisition, kUpgrade };
// payment.issued `tranche`: advance/balance (généralisation),
// advance/parametrisation/deployment (amorçage 2021). Which ones a campaign
// accepts is a programme rule, checked against the project's campaign above
// this layer.
enum class Tranche { kAdvance, kBalance, kParametrisation, kDeployment };
// eu-funding.declared `fund`.
enum class EuFund { kFeder, kFse, kHopen, kOther };
// eu-funding.declared `operation`.
enum class EuOperation { kAcquisition, kUpgrade };
// finess.changed `kind`.
enum class FinessChangeKind { kRenumbering, kMerger };
// expenses.certified `certifiedBy`.
enum class Certifier { kPublicAccountant, kStatutoryAuditor };
// solution.referenced `status`.
enum class SolutionStatus { kCandidate, kReferenced };
// key.enrolled `roles[]` (INTERFACE.md §1 "Roles").
enum class Role { kAdmin, kPorteur, kArsInstructor, kArsPayer, kNational, kAuditor };

std::string_view ToString(ProjectKind value);       // "acquisition", "usage", "mixed"
std::string_view ToString(Situation value);         // "acquisition", "upgrade"
std::string_view ToString(Tranche value);           // "advance", "balance", ...
std::string_view ToString(EuFund value);            // "FEDER", "FSE", "HOPEN", "OTHER"
std::string_view ToString(EuOperation value);       // "acquisition", "upgrade"
std::string_view ToString(FinessChangeKind value);  // "renumbering", "merger"
std::string_view ToString(Certifier value);         // "public-accountant", "statutory-auditor"
std::string_view ToString(SolutionStatus value);    // "candidate", "referenced"
std::string_view ToString(Role value);              // "admin", "ars-instructor", ...

// "admin", "porteur", "ars-instructor", "ars-payer", "national", "auditor";
// anything else -> BAD_INPUT listing them.
Result<Role> ParseRole(std::string_view text);

// ---- Parts shared by several events. ----

// A DUI software: `solution{vendor, product, version}`.
struct Solution {
  std::string vendor;
  std::string product;
  std::string version;

  friend bool operator==(const Solution&, const Solution&) = default;
};

// project.submitted `porteur`: the organisation carrying the project.
struct Porteur {
  Finess finess_ej;
  Siret siret;
  std::string name;
  std::optional<bool> ght;  // true: the porteur is a GHT (hospital corridor, DOMAIN.md §2)
  // Present when the porteur is attached to a national entity: whether that
  // entity gave its written agreement (000/003 §B).
  std::optional<bool> national_entity_agreement;

  friend bool operator==(const Porteur&, const Porteur&) = default;
};

// `organisations[]` of a submission or an extension: one OG of the grappe.
struct OrganisationEntry {
  Finess finess_ej;
  std::string name;
  int64_t essms_total = 0;  // all ESSMS the OG runs (decides "small OG", DOMAIN.md §3)
  Region region;

  friend bool operator==(const OrganisationEntry&, const OrganisationEntry&) = default;
};

// SAAD hours of year N-1 (DOMAIN.md §3: the aid is prorated eligible / total).
struct SaadHours {
  int64_t total = 0;     // > 0
  int64_t eligible = 0;  // 0 <= eligible <= total

  friend bool operator==(const SaadHours&, const SaadHours&) = default;
};

// `establishments[]` of a submission or an extension: one ESSMS (FINESS ET),
// listed in rank order.
struct EstablishmentEntry {
  Finess finess;
  Finess finess_ej;  // its OG; one of the event's organisations[].finessEj
  std::string name;
  Region region;
  Situation situation = Situation::kAcquisition;
  std::optional<SaadHours> saad_hours;
  std::optional<int64_t> equipment_quote_cents;

  friend bool operator==(const EstablishmentEntry&, const EstablishmentEntry&) = default;
};

// project.submitted `usageCommitments`: the values the porteur announces for the
// usage criteria of amorçage 2021 (001 §3 « Critères d'utilisation »; required in
// amorçage, rates in whole percent 1..100, at least two of the four counts, each
// count >= 1). The deployment tranche is paid prorata of the results against them
// (domain/usage_prorata.h).
struct UsageCommitments {
  int64_t active_files_rate = 0;
  int64_t plan_rate = 0;
  int64_t agenda_rate = 0;
  std::optional<int64_t> mssante_messages;
  std::optional<int64_t> dmp_documents;
  std::optional<int64_t> e_prescription_imports;
  std::optional<int64_t> e_parcours_exchanges;

  friend bool operator==(const UsageCommitments&, const UsageCommitments&) = default;
};

// ---- The event types, in the order of INTERFACE.md §1. ----

struct ProjectSubmitted {
  static constexpr std::string_view kType = "project.submitted";
  std::string project;
  Campaign campaign = Campaign::kGeneralisation2024;
  Porteur porteur;
  ProjectKind kind = ProjectKind::kAcquisition;
  Solution solution;
  std::vector<OrganisationEntry> organisations;
  std::vector<EstablishmentEntry> establishments;  // non-empty, each FINESS once
  std::optional<int64_t> amoa_requested_cents;
  Date submitted_at;
  std::optional<UsageCommitments> usage_commitments;

  friend bool operator==(const ProjectSubmitted&, const ProjectSubmitted&) = default;
};

struct ProjectSelected {
  static constexpr std::string_view kType = "project.selected";
  std::string project;
  Date committee_at;

  friend bool operator==(const ProjectSelected&, const ProjectSelected&) = default;
};

struct ProjectRejected {
  static constexpr std::string_view kType = "project.rejected";
  std::string project;
  std::string reason;

  friend bool operator==(const ProjectRejected&, const ProjectRejected&) = default;
};

struct ConventionSigned {
  static constexpr std::string_view kType = "convention.signed";
  std::string project;
  Date signed_at;
  int64_t amount_cents = 0;            // > 0
  std::vector<Finess> establishments;  // non-empty, each FINESS once
  int64_t duration_months = 0;         // > 0

  friend bool operator==(const ConventionSigned&, const ConventionSigned&) = default;
};

struct PaymentIssued {
  static constexpr std::string_view kType = "payment.issued";
  std::string project;
  Tranche tranche = Tranche::kAdvance;
  int64_t amount_cents = 0;  // > 0
  Date paid_at;
  std::string reference;
  std::optional<Region> paying_region;

  friend bool operator==(const PaymentIssued&, const PaymentIssued&) = default;
};

struct IndicatorMeasured {
  static constexpr std::string_view kType = "indicator.measured";
  Finess finess;
  Date period_start;
  Date period_end;  // >= period_start
  int64_t persons_accompanied = 0;
  int64_t active_files = 0;                    // <= persons_accompanied
  int64_t active_files_with_plan = 0;          // <= active_files
  int64_t active_files_with_agenda_event = 0;  // <= active_files
  std::optional<int64_t> persons_eligible;     // absent: persons_accompanied
  int64_t mssante_messages = 0;
  int64_t dmp_fed = 0;
  std::optional<int64_t> e_prescription_imports;
  std::optional<int64_t> e_parcours_exchanges;
  // 2024 (003 §4 A): the start of the 3-6 month window over which MSSanté and DMP are
  // measured, ending at period_end (absent: the measurement's own period).
  std::optional<Date> socle_period_start;
  // Documents put in the DMP over the period (the amorçage count criterion, 001 §3).
  std::optional<int64_t> dmp_documents;

  // The MSSanté / DMP denominator: persons_eligible, by default
  // persons_accompanied.
  int64_t PersonsEligibleOrDefault() const {
    return persons_eligible.value_or(persons_accompanied);
  }

  friend bool operator==(const IndicatorMeasured&, const IndicatorMeasured&) = default;
};

struct GrappeExtended {
  static constexpr std::string_view kType = "grappe.extended";
  std::string project;
  Date extended_at;
  bool porteur_agreement = false;
  Region paying_region;
  std::vector<OrganisationEntry> organisations;
  std::vector<EstablishmentEntry> establishments;  // non-empty, each FINESS once

  friend bool operator==(const GrappeExtended&, const GrappeExtended&) = default;
};

struct FinessChanged {
  static constexpr std::string_view kType = "finess.changed";
  Finess from;
  Finess to;  // != from
  FinessChangeKind kind = FinessChangeKind::kRenumbering;
  Date effective_at;

  friend bool operator==(const FinessChanged&, const FinessChanged&) = default;
};

struct SonsOrdered {
  static constexpr std::string_view kType = "sons.ordered";
  Finess finess;
  Solution solution;
  Date ordered_at;
  std::optional<Date> validated_at;

  friend bool operator==(const SonsOrdered&, const SonsOrdered&) = default;
};

struct EuFundingDeclared {
  static constexpr std::string_view kType = "eu-funding.declared";
  Finess finess;
  EuFund fund = EuFund::kFeder;
  EuOperation operation = EuOperation::kAcquisition;
  Date declared_at;

  friend bool operator==(const EuFundingDeclared&, const EuFundingDeclared&) = default;
};

struct ExpensesCertified {
  static constexpr std::string_view kType = "expenses.certified";
  std::string project;
  int64_t total_cents = 0;
  int64_t equipment_cents = 0;
  Certifier certified_by = Certifier::kPublicAccountant;
  Date certified_at;

  friend bool operator==(const ExpensesCertified&, const ExpensesCertified&) = default;
};

struct SolutionReferenced {
  static constexpr std::string_view kType = "solution.referenced";
  Solution solution;
  std::string corridor;  // e.g. "medico-social", "hospital"
  SolutionStatus status = SolutionStatus::kCandidate;
  Date referenced_at;

  friend bool operator==(const SolutionReferenced&, const SolutionReferenced&) = default;
};

// targets.adjusted `indicators[]`: the denominators an adjustment replaces.
enum class AdjustedIndicator { kActiveFiles, kPlan, kAgenda, kMssante, kDmp };
std::string_view ToString(AdjustedIndicator value);  // "activeFiles", "plan", ...

struct TargetsAdjusted {
  static constexpr std::string_view kType = "targets.adjusted";
  Finess finess;
  int64_t denominator = 0;
  std::string reason;
  // The indicators whose denominator it replaces (each once; required in JSON).
  // Empty only in records written before issue 13: the persons denominators
  // (activeFiles, mssante, dmp), as they were read then.
  std::vector<AdjustedIndicator> indicators;
  // From which period end it applies, and the earliest decision it counts for
  // (DOMAIN.md §6; required in JSON, absent only in records written before).
  std::optional<Date> effective_from;

  friend bool operator==(const TargetsAdjusted&, const TargetsAdjusted&) = default;
};

// Amorçage 2021 tranches 2 and 3 are paid « dès la réception de la facture » (001
// Modalités de financement): the invoice of the end of parametrisation / deployment.
struct InvoiceReceived {
  static constexpr std::string_view kType = "invoice.received";
  std::string project;
  Tranche tranche = Tranche::kParametrisation;  // parametrisation or deployment
  int64_t amount_cents = 0;                     // > 0
  Date received_at;
  std::string reference;

  friend bool operator==(const InvoiceReceived&, const InvoiceReceived&) = default;
};

// Funding granted outside this ledger (the 2021 Ségur AAP, the 2022 campaign, grants
// made before the ledger existed: DOMAIN.md §2), seen by every non-cumulation rule.
struct FundingRecorded {
  static constexpr std::string_view kType = "funding.recorded";
  Finess finess;
  std::string campaign;  // free text: "segur-2021", "generalisation-2022", ...
  Solution solution;
  EuOperation operation = EuOperation::kAcquisition;  // acquisition / upgrade
  int64_t amount_cents = 0;                           // > 0
  Date granted_at;

  friend bool operator==(const FundingRecorded&, const FundingRecorded&) = default;
};

// Key records are owned by the ledger layer, which has its own Cap'n Proto
// schema for them: the domain parses and validates their JSON, but
// EncodePayload / DecodePayload refuse them (the layer above converts these
// structs to the ledger's records).
struct KeyEnrolled {
  static constexpr std::string_view kType = "key.enrolled";
  std::string name;  // 1-128 bytes, no space, control character or '+' (C2SP key name)
  std::array<uint8_t, 32> public_key{};  // raw Ed25519 public key
  std::vector<Role> roles;               // each role at most once
  std::vector<Region> regions;           // each region at most once

  friend bool operator==(const KeyEnrolled&, const KeyEnrolled&) = default;
};

struct KeyRevoked {
  static constexpr std::string_view kType = "key.revoked";
  std::string name;
  std::string reason;

  friend bool operator==(const KeyRevoked&, const KeyRevoked&) = default;
};

struct EventVoided {
  static constexpr std::string_view kType = "event.voided";
  uint64_t seq = 0;  // the voided record
  std::string reason;

  friend bool operator==(const EventVoided&, const EventVoided&) = default;
};

// Every programme event type (the alternatives are in INTERFACE.md §1 order).
using EventData =
    std::variant<ProjectSubmitted, ProjectSelected, ProjectRejected, ConventionSigned,
                 PaymentIssued, IndicatorMeasured, GrappeExtended, InvoiceReceived, FinessChanged,
                 SonsOrdered, EuFundingDeclared, ExpensesCertified, SolutionReferenced,
                 TargetsAdjusted, FundingRecorded, KeyEnrolled, KeyRevoked, EventVoided>;

// The type name of `data` (its kType: "project.submitted", ...).
std::string_view TypeName(const EventData& data);

// Every event type (the kType of each alternative), in INTERFACE.md §1 order.
inline constexpr auto kEventTypes = []<typename... T>(std::variant<T...>*) {
  return std::array<std::string_view, sizeof...(T)>{T::kType...};
}(static_cast<EventData*>(nullptr));

constexpr bool IsEventType(std::string_view type) {
  for (std::string_view known : kEventTypes) {
    if (known == type) return true;
  }
  return false;
}

// One event as submitted. `type` is TypeName(data) and `stream` is
// StreamOf(data).
struct Event {
  std::string id;  // idempotency key: 1-128 characters of [A-Za-z0-9._:/-]
  std::string type;
  Date at;  // business date
  std::optional<uint64_t> expected_version;
  std::string stream;
  EventData data;

  friend bool operator==(const Event&, const Event&) = default;
};

inline constexpr std::string_view kProgrammeStream = "programme";

// The stream `data` belongs to (INTERFACE.md §1): "project/<project>" for
// project events; "finess/<finess>" for establishment facts (finess.changed:
// the `from` number); "programme" for solutions, keys and voids.
std::string StreamOf(const EventData& data);

// True for 1-128 characters of [A-Za-z0-9._:/-]: event ids and project ids.
bool IsValidIdentifier(std::string_view text);

// The within-event value checks, with the JSON path of the offending field in
// the message ("data.establishments[3].finess: ..."):
// - BAD_INPUT: a project id that is not a valid identifier; an empty or
//   control-character text; a negative count or amount; amountCents <= 0
//   (payments, conventions); durationMonths <= 0; saadHours with total <= 0 or
//   eligible outside [0, total]; activeFiles > personsAccompanied;
//   activeFilesWith* > activeFiles; periodStart > periodEnd; no establishments
//   in a submission, extension or convention; an establishment whose finessEj
//   is not among the event's organisations[].finessEj; an organisation listed
//   twice; finess.changed from == to; a role or region listed twice; an invalid
//   key name.
// - DUPLICATE_FINESS (InvalidArgument): a FINESS listed twice in the
// establishments of
//   one submission, extension or convention.
Status ValidateEventData(const EventData& data);

}  // namespace esms::domain

#endif  // ESMS_DOMAIN_EVENTS_H_
