// The JSON spelling of each closed vocabulary of domain/events.h, as tables
// shared by events.cc (ToString) and both codecs (the JSON names, with the
// allowed values listed in an error; the Cap'n Proto ordinals, checked against
// the table's size). A domain enum and its wire enum in events.capnp list their
// values in the same order. Private to domain/.
//
// Thread-safety: constant tables and pure functions.
#ifndef ESMS_DOMAIN_INTERNAL_ENUM_NAMES_H_
#define ESMS_DOMAIN_INTERNAL_ENUM_NAMES_H_

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "domain/events.h"

namespace esms::domain::internal {

template <typename E>
struct EnumName {
  E value;
  std::string_view name;
};

// kEnumNames<E>: every value of E, in ordinal order, with its JSON name.
template <typename E>
inline constexpr std::span<const EnumName<E>> kEnumNames;

template <typename E>
concept NamedEnum = std::is_enum_v<E> && !kEnumNames<E>.empty();

// True when entry i is the value of ordinal i (the Cap'n Proto decoder relies
// on it).
template <typename E, size_t N>
consteval bool InOrdinalOrder(const EnumName<E> (&table)[N]) {
  for (size_t i = 0; i < N; ++i) {
    if (static_cast<size_t>(table[i].value) != i) return false;
  }
  return true;
}

#define ESMS_ENUM_NAMES(E, ...)                               \
  inline constexpr EnumName<E> k##E##Names[] = {__VA_ARGS__}; \
  static_assert(InOrdinalOrder(k##E##Names));                 \
  template <>                                                 \
  inline constexpr std::span<const EnumName<E>> kEnumNames<E> = k##E##Names

ESMS_ENUM_NAMES(ProjectKind, {ProjectKind::kAcquisition, "acquisition"},
                {ProjectKind::kUsage, "usage"}, {ProjectKind::kMixed, "mixed"});
ESMS_ENUM_NAMES(Situation, {Situation::kAcquisition, "acquisition"},
                {Situation::kUpgrade, "upgrade"});
ESMS_ENUM_NAMES(Tranche, {Tranche::kAdvance, "advance"}, {Tranche::kBalance, "balance"},
                {Tranche::kParametrisation, "parametrisation"},
                {Tranche::kDeployment, "deployment"});
ESMS_ENUM_NAMES(EuFund, {EuFund::kFeder, "FEDER"}, {EuFund::kFse, "FSE"}, {EuFund::kHopen, "HOPEN"},
                {EuFund::kOther, "OTHER"});
ESMS_ENUM_NAMES(EuOperation, {EuOperation::kAcquisition, "acquisition"},
                {EuOperation::kUpgrade, "upgrade"});
ESMS_ENUM_NAMES(FinessChangeKind, {FinessChangeKind::kRenumbering, "renumbering"},
                {FinessChangeKind::kMerger, "merger"});
ESMS_ENUM_NAMES(Certifier, {Certifier::kPublicAccountant, "public-accountant"},
                {Certifier::kStatutoryAuditor, "statutory-auditor"});
ESMS_ENUM_NAMES(SolutionStatus, {SolutionStatus::kCandidate, "candidate"},
                {SolutionStatus::kReferenced, "referenced"});
ESMS_ENUM_NAMES(Role, {Role::kAdmin, "admin"}, {Role::kPorteur, "porteur"},
                {Role::kArsInstructor, "ars-instructor"}, {Role::kArsPayer, "ars-payer"},
                {Role::kNational, "national"}, {Role::kAuditor, "auditor"});
ESMS_ENUM_NAMES(AdjustedIndicator, {AdjustedIndicator::kActiveFiles, "activeFiles"},
                {AdjustedIndicator::kPlan, "plan"}, {AdjustedIndicator::kAgenda, "agenda"},
                {AdjustedIndicator::kMssante, "mssante"}, {AdjustedIndicator::kDmp, "dmp"});
#undef ESMS_ENUM_NAMES

template <NamedEnum E>
std::optional<E> EnumFromName(std::string_view name) {
  for (const EnumName<E>& entry : kEnumNames<E>) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

// "" for a value outside the table (only a cast can make one).
template <NamedEnum E>
std::string_view EnumToName(E value) {
  for (const EnumName<E>& entry : kEnumNames<E>) {
    if (entry.value == value) return entry.name;
  }
  return {};
}

// "a, b, c": the allowed values, for error messages.
template <NamedEnum E>
std::string EnumNameList() {
  std::string out;
  for (const EnumName<E>& entry : kEnumNames<E>) {
    if (!out.empty()) out += ", ";
    out += entry.name;
  }
  return out;
}

}  // namespace esms::domain::internal

#endif  // ESMS_DOMAIN_INTERNAL_ENUM_NAMES_H_
