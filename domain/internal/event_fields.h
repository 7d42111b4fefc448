// One description per event: for each struct of domain/events.h, its fields in
// order, each with its name (the JSON key and the field of domain/events.capnp)
// and the struct member it is read into and written from. The strict JSON
// reader and the JSON writer (event_json.cc) and both Cap'n Proto directions
// (event_capnp.cc) are derived from these tables; what a field is (text, count
// or money, date, FINESS, enum, list, nested struct, optional) follows from the
// member's C++ type. Private to domain/.
//
// To add a field to an event (say `usageCommitments` to project.submitted):
// 1. the member in the struct of domain/events.h (`std::optional<int64_t>
//    usage_commitments;` for an optional count; money in a member ending in
//    `_cents`, named `...Cents` here);
// 2. its line below, in the struct's order: `F("usageCommitments",
//    &ProjectSubmitted::usage_commitments)`;
// 3. its field in domain/events.capnp, appended with the next number (an
//    optional scalar or text `x` is the pair `hasX :Bool` + `x`; an optional
//    struct is a pointer, null when absent);
// 4. its within-event checks, if any, in ValidateEventData (domain/events.cc).
// The compiler refuses a struct whose members are not all listed here
// (kFields below), and the golden tests (tests/domain/event_golden_test.cc)
// refuse a line whose name is not in events.capnp. A new event type: its struct
// and EventData alternative in events.h, its table here, its struct in
// events.capnp and its line in kWireTypes (event_capnp.cc).
//
// Thread-safety: constant tables.
#ifndef ESMS_DOMAIN_INTERNAL_EVENT_FIELDS_H_
#define ESMS_DOMAIN_INTERNAL_EVENT_FIELDS_H_

#include <cstddef>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "domain/events.h"

namespace esms::domain::internal {

template <typename S, typename M>
struct Field {
  using Type = M;
  std::string_view name;
  M S::*member;
};

template <typename S, typename M>
constexpr Field<S, M> F(std::string_view name, M S::*member) {
  return {name, member};
}

// kFields<T>: the fields of T, in the struct's order (and the JSON output's).
template <typename T>
inline constexpr std::nullptr_t kFields = nullptr;

template <>
inline constexpr auto kFields<Solution> =
    std::tuple(F("vendor", &Solution::vendor), F("product", &Solution::product),
               F("version", &Solution::version));
template <>
inline constexpr auto kFields<Porteur> =
    std::tuple(F("finessEj", &Porteur::finess_ej), F("siret", &Porteur::siret),
               F("name", &Porteur::name), F("ght", &Porteur::ght),
               F("nationalEntityAgreement", &Porteur::national_entity_agreement));
template <>
inline constexpr auto kFields<OrganisationEntry> = std::tuple(
    F("finessEj", &OrganisationEntry::finess_ej),
    F("name", &OrganisationEntry::name),
    F("essmsTotal", &OrganisationEntry::essms_total),
    F("region", &OrganisationEntry::region));
template <>
inline constexpr auto kFields<SaadHours> = std::tuple(
    F("total", &SaadHours::total), F("eligible", &SaadHours::eligible));
template <>
inline constexpr auto kFields<EstablishmentEntry> = std::tuple(
    F("finess", &EstablishmentEntry::finess),
    F("finessEj", &EstablishmentEntry::finess_ej),
    F("name", &EstablishmentEntry::name),
    F("region", &EstablishmentEntry::region),
    F("situation", &EstablishmentEntry::situation),
    F("saadHours", &EstablishmentEntry::saad_hours),
    F("equipmentQuoteCents", &EstablishmentEntry::equipment_quote_cents));

template <>
inline constexpr auto kFields<ProjectSubmitted> = std::tuple(
    F("project", &ProjectSubmitted::project),
    F("campaign", &ProjectSubmitted::campaign),
    F("porteur", &ProjectSubmitted::porteur),
    F("kind", &ProjectSubmitted::kind),
    F("solution", &ProjectSubmitted::solution),
    F("organisations", &ProjectSubmitted::organisations),
    F("establishments", &ProjectSubmitted::establishments),
    F("amoaRequestedCents", &ProjectSubmitted::amoa_requested_cents),
    F("submittedAt", &ProjectSubmitted::submitted_at));
template <>
inline constexpr auto kFields<ProjectSelected> =
    std::tuple(F("project", &ProjectSelected::project),
               F("committeeAt", &ProjectSelected::committee_at));
template <>
inline constexpr auto kFields<ProjectRejected> =
    std::tuple(F("project", &ProjectRejected::project),
               F("reason", &ProjectRejected::reason));
template <>
inline constexpr auto kFields<ConventionSigned> = std::tuple(
    F("project", &ConventionSigned::project),
    F("signedAt", &ConventionSigned::signed_at),
    F("amountCents", &ConventionSigned::amount_cents),
    F("establishments", &ConventionSigned::establishments),
    F("durationMonths", &ConventionSigned::duration_months));
template <>
inline constexpr auto kFields<PaymentIssued> = std::tuple(
    F("project", &PaymentIssued::project), F("tranche", &PaymentIssued::tranche),
    F("amountCents", &PaymentIssued::amount_cents),
    F("paidAt", &PaymentIssued::paid_at),
    F("reference", &PaymentIssued::reference),
    F("payingRegion", &PaymentIssued::paying_region));
template <>
inline constexpr auto kFields<IndicatorMeasured> = std::tuple(
    F("finess", &IndicatorMeasured::finess),
    F("periodStart", &IndicatorMeasured::period_start),
    F("periodEnd", &IndicatorMeasured::period_end),
    F("personsAccompanied", &IndicatorMeasured::persons_accompanied),
    F("activeFiles", &IndicatorMeasured::active_files),
    F("activeFilesWithPlan", &IndicatorMeasured::active_files_with_plan),
    F("activeFilesWithAgendaEvent",
      &IndicatorMeasured::active_files_with_agenda_event),
    F("personsEligible", &IndicatorMeasured::persons_eligible),
    F("mssanteMessages", &IndicatorMeasured::mssante_messages),
    F("dmpFed", &IndicatorMeasured::dmp_fed),
    F("ePrescriptionImports", &IndicatorMeasured::e_prescription_imports),
    F("eParcoursExchanges", &IndicatorMeasured::e_parcours_exchanges));
template <>
inline constexpr auto kFields<GrappeExtended> = std::tuple(
    F("project", &GrappeExtended::project),
    F("extendedAt", &GrappeExtended::extended_at),
    F("porteurAgreement", &GrappeExtended::porteur_agreement),
    F("payingRegion", &GrappeExtended::paying_region),
    F("organisations", &GrappeExtended::organisations),
    F("establishments", &GrappeExtended::establishments));
template <>
inline constexpr auto kFields<FinessChanged> = std::tuple(
    F("from", &FinessChanged::from), F("to", &FinessChanged::to),
    F("kind", &FinessChanged::kind),
    F("effectiveAt", &FinessChanged::effective_at));
template <>
inline constexpr auto kFields<SonsOrdered> = std::tuple(
    F("finess", &SonsOrdered::finess), F("solution", &SonsOrdered::solution),
    F("orderedAt", &SonsOrdered::ordered_at),
    F("validatedAt", &SonsOrdered::validated_at));
template <>
inline constexpr auto kFields<EuFundingDeclared> = std::tuple(
    F("finess", &EuFundingDeclared::finess), F("fund", &EuFundingDeclared::fund),
    F("operation", &EuFundingDeclared::operation),
    F("declaredAt", &EuFundingDeclared::declared_at));
template <>
inline constexpr auto kFields<ExpensesCertified> = std::tuple(
    F("project", &ExpensesCertified::project),
    F("totalCents", &ExpensesCertified::total_cents),
    F("equipmentCents", &ExpensesCertified::equipment_cents),
    F("certifiedBy", &ExpensesCertified::certified_by),
    F("certifiedAt", &ExpensesCertified::certified_at));
template <>
inline constexpr auto kFields<SolutionReferenced> = std::tuple(
    F("solution", &SolutionReferenced::solution),
    F("corridor", &SolutionReferenced::corridor),
    F("status", &SolutionReferenced::status),
    F("referencedAt", &SolutionReferenced::referenced_at));
template <>
inline constexpr auto kFields<TargetsAdjusted> = std::tuple(
    F("finess", &TargetsAdjusted::finess),
    F("denominator", &TargetsAdjusted::denominator),
    F("reason", &TargetsAdjusted::reason));
template <>
inline constexpr auto kFields<KeyEnrolled> = std::tuple(
    F("name", &KeyEnrolled::name), F("publicKey", &KeyEnrolled::public_key),
    F("roles", &KeyEnrolled::roles), F("regions", &KeyEnrolled::regions));
template <>
inline constexpr auto kFields<KeyRevoked> = std::tuple(
    F("name", &KeyRevoked::name), F("reason", &KeyRevoked::reason));
template <>
inline constexpr auto kFields<EventVoided> = std::tuple(
    F("seq", &EventVoided::seq), F("reason", &EventVoided::reason));

// ---- What the codecs need to walk a table. ----

template <typename T>
concept Described = !std::is_same_v<decltype(kFields<T>), const std::nullptr_t>;

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};

// Calls `visit(field)` on each field of T in order and stops at the first
// visit that does not return OK; returns that status.
template <Described T, typename Visit>
Status ForEachField(Visit&& visit) {
  Status status = Status::OK();
  auto step = [&](const auto& field) {
    Status result = visit(field);
    if (result.ok()) return true;
    status = std::move(result);
    return false;
  };
  std::apply([&](const auto&... field) { (void)(step(field) && ...); },
             kFields<T>);
  return status;
}

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

// Every member of every described struct is in its table.
template <typename... T>
consteval bool AllMembersDescribed(std::variant<T...>*) {
  return ((MemberCount<T>() == std::tuple_size_v<decltype(kFields<T>)>)&&...);
}
static_assert(AllMembersDescribed(static_cast<EventData*>(nullptr)));
static_assert(AllMembersDescribed(
    static_cast<std::variant<Solution, Porteur, OrganisationEntry, SaadHours,
                             EstablishmentEntry>*>(nullptr)));

}  // namespace esms::domain::internal

#endif  // ESMS_DOMAIN_INTERNAL_EVENT_FIELDS_H_
