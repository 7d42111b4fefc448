// The JSON spelling of each closed vocabulary of domain/events.h, as tables
// shared by events.cc (ToString) and the JSON codec (parsing, with the allowed
// values listed in the error). Private to domain/.
//
// Thread-safety: constant tables and pure functions.
#ifndef ESMS_DOMAIN_INTERNAL_ENUM_NAMES_H_
#define ESMS_DOMAIN_INTERNAL_ENUM_NAMES_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "domain/events.h"

namespace esms::domain::internal {

template <typename E>
struct EnumName {
  E value;
  std::string_view name;
};

inline constexpr EnumName<ProjectKind> kProjectKindNames[] = {
    {ProjectKind::kAcquisition, "acquisition"},
    {ProjectKind::kUsage, "usage"},
    {ProjectKind::kMixed, "mixed"},
};
inline constexpr EnumName<Situation> kSituationNames[] = {
    {Situation::kAcquisition, "acquisition"},
    {Situation::kUpgrade, "upgrade"},
};
inline constexpr EnumName<Tranche> kTrancheNames[] = {
    {Tranche::kAdvance, "advance"},
    {Tranche::kBalance, "balance"},
    {Tranche::kParametrisation, "parametrisation"},
    {Tranche::kDeployment, "deployment"},
};
inline constexpr EnumName<EuFund> kEuFundNames[] = {
    {EuFund::kFeder, "FEDER"},
    {EuFund::kFse, "FSE"},
    {EuFund::kHopen, "HOPEN"},
    {EuFund::kOther, "OTHER"},
};
inline constexpr EnumName<EuOperation> kEuOperationNames[] = {
    {EuOperation::kAcquisition, "acquisition"},
    {EuOperation::kUpgrade, "upgrade"},
};
inline constexpr EnumName<FinessChangeKind> kFinessChangeKindNames[] = {
    {FinessChangeKind::kRenumbering, "renumbering"},
    {FinessChangeKind::kMerger, "merger"},
};
inline constexpr EnumName<Certifier> kCertifierNames[] = {
    {Certifier::kPublicAccountant, "public-accountant"},
    {Certifier::kStatutoryAuditor, "statutory-auditor"},
};
inline constexpr EnumName<SolutionStatus> kSolutionStatusNames[] = {
    {SolutionStatus::kCandidate, "candidate"},
    {SolutionStatus::kReferenced, "referenced"},
};
inline constexpr EnumName<Role> kRoleNames[] = {
    {Role::kAdmin, "admin"},
    {Role::kPorteur, "porteur"},
    {Role::kArsInstructor, "ars-instructor"},
    {Role::kArsPayer, "ars-payer"},
    {Role::kNational, "national"},
    {Role::kAuditor, "auditor"},
};
inline constexpr EnumName<AdjustedIndicator> kAdjustedIndicatorNames[] = {
    {AdjustedIndicator::kActiveFiles, "activeFiles"},
    {AdjustedIndicator::kPlan, "plan"},
    {AdjustedIndicator::kAgenda, "agenda"},
    {AdjustedIndicator::kMssante, "mssante"},
    {AdjustedIndicator::kDmp, "dmp"},
};

template <typename E, size_t N>
std::optional<E> EnumFromName(const EnumName<E> (&table)[N],
                              std::string_view name) {
  for (const EnumName<E>& entry : table) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

// "" for a value outside the table (only a cast can make one).
template <typename E, size_t N>
std::string_view EnumToName(const EnumName<E> (&table)[N], E value) {
  for (const EnumName<E>& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return {};
}

// "a, b, c": the allowed values, for error messages.
template <typename E, size_t N>
std::string EnumNameList(const EnumName<E> (&table)[N]) {
  std::string out;
  for (const EnumName<E>& entry : table) {
    if (!out.empty()) out += ", ";
    out += entry.name;
  }
  return out;
}

}  // namespace esms::domain::internal

#endif  // ESMS_DOMAIN_INTERNAL_ENUM_NAMES_H_
