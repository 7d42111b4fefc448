// One description per event: for each struct of domain/events.h, its members in order
// (ESMS_DESCRIBE below). A member's name in camelCase (`finess_ej` -> "finessEj") is its JSON
// key and its domain/events.capnp field; what it is follows from its C++ type. Both JSON
// directions (event_json.cc) and both Cap'n Proto ones (event_capnp.cc) derive from these lists.
//
// A new field, say an optional count `usageCommitments` on project.submitted:
// 1. `std::optional<int64_t> usage_commitments;` in ProjectSubmitted (domain/events.h);
// 2. `usage_commitments` at the same place in its ESMS_DESCRIBE below;
// 3. `hasUsageCommitments @10 :Bool; usageCommitments @11 :Int64;` appended to its struct in
//    domain/events.capnp (its conventions say how an optional field is written; never renumber);
// 4. its rule, if any, in ValidateEventData (domain/events.cc).
// The compiler refuses a member missing here (ESMS_DESCRIBE); the first encode or decode
// of a struct, a wire field missing or of another type (SlotsOf, run by the golden tests). A new
// event type: its struct and EventData alternative (events.h), ESMS_EVENT below and its wire
// struct, of the same name (events.capnp).
//
// Thread-safety: constant tables.
#ifndef ESMS_DOMAIN_INTERNAL_EVENT_FIELDS_H_
#define ESMS_DOMAIN_INTERNAL_EVENT_FIELDS_H_

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "domain/events.capnp.h"
#include "domain/events.h"
#include "domain/internal/text.h"

namespace esms::domain::internal {

// One field: its member, and its name (the member's in camelCase).
template <typename S, typename M, size_t N>
struct Field {
  using Type = M;
  std::array<char, N> chars;
  size_t length;
  M S::*member;

  constexpr std::string_view name() const { return {chars.data(), length}; }
};

template <typename S, typename M, size_t N>
consteval Field<S, M, N> MakeField(const char (&member_name)[N], M S::*member) {
  Field<S, M, N> field{{}, 0, member};
  for (size_t i = 0; i + 1 < N; ++i) {
    const bool upper = member_name[i] == '_';
    if (upper) ++i;
    field.chars[field.length++] =
        upper ? static_cast<char>(member_name[i] - 'a' + 'A') : member_name[i];
  }
  return field;
}

// kFields<T>: the fields of T, in the JSON output's order (the struct's, but for the noted
// exceptions).
template <typename T>
inline constexpr std::nullptr_t kFields = nullptr;

// The number of members of the aggregate T (each initialised by one `Any`).
struct Any {
  template <typename U>
  operator U() const;
};
template <typename T, typename... A>
consteval size_t MemberCount() {
  if constexpr (requires { T{A{}..., Any{}}; }) {
    return MemberCount<T, A..., Any>();
  } else {
    return sizeof...(A);
  }
}

// ESMS_DESCRIBE(S, members...): kFields<S> = (MakeField("m1", &S::m1), ...); the compiler
// refuses a member of S missing from the list.
#define ESMS_DESCRIBE(S, ...)                                                              \
  template <>                                                                              \
  inline constexpr auto kFields<S> = std::tuple(ESMS_EXPAND(ESMS_FIELDS(S, __VA_ARGS__))); \
  static_assert(MemberCount<S>() == std::tuple_size_v<decltype(kFields<S>)>,               \
                #S ": a member is not described")
// ESMS_EVENT(S, members...): ESMS_DESCRIBE for an event type whose payload is the struct of
// the same name in events.capnp (WireOf); the ledger's key records have none.
#define ESMS_EVENT(S, ...)  \
  wire::S WireOf(const S&); \
  ESMS_DESCRIBE(S, __VA_ARGS__)
#define ESMS_FIELDS(S, m, ...) \
  MakeField(#m, &S::m) __VA_OPT__(, ESMS_FIELDS_AGAIN ESMS_PARENS(S, __VA_ARGS__))
#define ESMS_FIELDS_AGAIN() ESMS_FIELDS
#define ESMS_PARENS ()
#define ESMS_EXPAND(...) ESMS_EXPAND4(ESMS_EXPAND4(ESMS_EXPAND4(ESMS_EXPAND4(__VA_ARGS__))))
#define ESMS_EXPAND4(...) ESMS_EXPAND1(ESMS_EXPAND1(ESMS_EXPAND1(ESMS_EXPAND1(__VA_ARGS__))))
#define ESMS_EXPAND1(...) __VA_ARGS__

ESMS_DESCRIBE(Solution, vendor, product, version);
ESMS_DESCRIBE(Porteur, finess_ej, siret, name, ght, national_entity_agreement);
ESMS_DESCRIBE(OrganisationEntry, finess_ej, name, essms_total, region);
ESMS_DESCRIBE(SaadHours, total, eligible);
ESMS_DESCRIBE(EstablishmentEntry, finess, finess_ej, name, region, situation, saad_hours,
              equipment_quote_cents);
ESMS_DESCRIBE(UsageCommitments, active_files_rate, plan_rate, agenda_rate, mssante_messages,
              dmp_documents, e_prescription_imports, e_parcours_exchanges);

ESMS_EVENT(ProjectSubmitted, project, campaign, porteur, kind, solution, organisations,
           establishments, amoa_requested_cents, submitted_at, usage_commitments);
ESMS_EVENT(ProjectSelected, project, committee_at);
ESMS_EVENT(ProjectRejected, project, reason);
ESMS_EVENT(ConventionSigned, project, signed_at, amount_cents, establishments, duration_months);
ESMS_EVENT(PaymentIssued, project, tranche, amount_cents, paid_at, reference, paying_region);
ESMS_EVENT(IndicatorMeasured, finess, period_start, period_end, persons_accompanied, active_files,
           active_files_with_plan, active_files_with_agenda_event, persons_eligible,
           mssante_messages, dmp_fed, e_prescription_imports, e_parcours_exchanges,
           socle_period_start, dmp_documents);
ESMS_EVENT(GrappeExtended, project, extended_at, porteur_agreement, paying_region, organisations,
           establishments);
ESMS_EVENT(InvoiceReceived, project, tranche, amount_cents, received_at, reference);
ESMS_EVENT(FinessChanged, from, to, kind, effective_at);
ESMS_EVENT(SonsOrdered, finess, solution, ordered_at, validated_at);
ESMS_EVENT(EuFundingDeclared, finess, fund, operation, declared_at);
ESMS_EVENT(ExpensesCertified, project, total_cents, equipment_cents, certified_by, certified_at);
ESMS_EVENT(SolutionReferenced, solution, corridor, status, referenced_at);
// JSON in INTERFACE.md §1's order (indicators and effectiveFrom before reason); the
// struct appends them after `reason` (issue 13), the wire finds them by name.
ESMS_EVENT(TargetsAdjusted, finess, denominator, indicators, effective_from, reason);
ESMS_EVENT(FundingRecorded, finess, campaign, solution, operation, amount_cents, granted_at);
ESMS_DESCRIBE(KeyEnrolled, name, public_key, roles, regions);
ESMS_DESCRIBE(KeyRevoked, name, reason);
ESMS_EVENT(EventVoided, seq, reason);

// ---- What the codecs need to walk a table. ----

// The text of a text field, and back: ParseText (a FINESS, SIRET, region, date or campaign must
// parse; its error keeps its code).
inline std::string_view TextOf(const std::string& value) { return value; }
inline std::string_view TextOf(const Finess& value) { return value.str(); }
inline std::string_view TextOf(const Siret& value) { return value.str(); }
inline std::string_view TextOf(const Region& value) { return value.code(); }
inline std::string_view TextOf(Campaign value) { return CampaignId(value); }
inline std::string TextOf(Date value) { return value.ToString(); }

inline Result<std::string> ParseText(std::string_view text, std::string*) {
  return std::string(text);
}
inline Result<Campaign> ParseText(std::string_view text, Campaign*) { return ParseCampaign(text); }
template <typename M>
auto ParseText(std::string_view text, M*) -> decltype(M::Parse(text)) {
  return M::Parse(text);
}

// Where a value is, for an error ("data.establishments[2].finess"): spelled only then.
struct Path {
  const Path* parent = nullptr;  // null: the root (the event, or the payload)
  std::string_view name;         // a field of the parent,
  size_t index = 0;              // or, with no name, an element of it

  std::string str() const {
    if (parent == nullptr) return std::string();
    return name.empty() ? IndexPath(parent->str(), index) : JoinPath(parent->str(), name);
  }
};

template <typename T>
concept Described = !std::is_same_v<decltype(kFields<T>), const std::nullptr_t>;

// kIs<M, std::vector>: whether M is a std::vector (or std::optional, ...).
template <typename M, template <typename...> typename Of>
constexpr bool kIs = false;
template <typename... A, template <typename...> typename Of>
constexpr bool kIs<Of<A...>, Of> = true;
// kIsOptional<F>: whether field F is optional; ValueOf<F>: its value type (T for optional<T>).
template <typename F, typename M = typename std::remove_cvref_t<F>::Type>
constexpr bool kIsOptional = kIs<M, std::optional>;
template <typename F, typename M = typename std::remove_cvref_t<F>::Type>
using ValueOf = typename std::conditional_t<kIs<M, std::optional>, M, std::optional<M>>::value_type;

// kNames<T>: the names of the fields of T, in order.
template <Described T>
inline constexpr auto kNames = std::apply(
    [](const auto&... f) { return std::array<std::string_view, sizeof...(f)>{f.name()...}; },
    kFields<T>);

// Calls `visit(field, index)` on each field of T in order; returns the first status not OK.
template <Described T, typename Visit>
Status ForEachField(Visit&& visit) {
  Status status = Status::OK();
  size_t index = 0;
  auto step = [&](const auto& field) {  // an OK status is not moved (decoding's hot path)
    Status result = visit(field, index++);
    return result.ok() || (status = std::move(result), false);
  };
  std::apply([&](const auto&... field) { (void)(step(field) && ...); }, kFields<T>);
  return status;
}

// Fills a default value of the EventData alternative of kType `type` (there must be one)
// with `fill(value)` (a Status), and returns it.
template <size_t I = 0, typename Fill>
Result<EventData> DataOfType(std::string_view type, Fill&& fill) {
  using T = std::variant_alternative_t<I, EventData>;
  if constexpr (I + 1 < std::variant_size_v<EventData>) {
    if (T::kType != type) return DataOfType<I + 1>(type, fill);
  }
  T data;
  RETURN_IF_ERROR(fill(data));
  return EventData(std::move(data));
}

}  // namespace esms::domain::internal

#endif  // ESMS_DOMAIN_INTERNAL_EVENT_FIELDS_H_
