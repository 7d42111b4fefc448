// The JSON spelling of each closed vocabulary of domain/events.h, read from its enum in
// domain/events.capnp: the enumerant's name, or its $Json.name where the JSON spells it otherwise
// ("FEDER", "public-accountant"). A domain enum and its wire enum list their values in the same
// order (the Cap'n Proto codec writes ordinals). Shared by events.cc (ToString, ParseRole) and the
// JSON codec (the names, with the allowed values listed in an error). Private to domain/.
//
// Thread-safety: the names of an enum are read once (a function-local static), then only read.
#ifndef ESMS_DOMAIN_INTERNAL_ENUM_NAMES_H_
#define ESMS_DOMAIN_INTERNAL_ENUM_NAMES_H_

#include <capnp/schema.h>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/events.capnp.h"
#include "domain/events.h"

namespace esms::domain::internal {

// WireEnumOf(E{}): the enum of events.capnp that spells E's values (declared only, for its type).
wire::ProjectKind WireEnumOf(ProjectKind);
wire::Situation WireEnumOf(Situation);
wire::Tranche WireEnumOf(Tranche);
wire::EuFund WireEnumOf(EuFund);
wire::EuOperation WireEnumOf(EuOperation);
wire::FinessChangeKind WireEnumOf(FinessChangeKind);
wire::Certifier WireEnumOf(Certifier);
wire::SolutionStatus WireEnumOf(SolutionStatus);
wire::Role WireEnumOf(Role);
wire::AdjustedIndicator WireEnumOf(AdjustedIndicator);

template <typename E>
concept NamedEnum = requires(E value) {
  WireEnumOf(value);
};

// The JSON names of E's values, in ordinal order.
template <NamedEnum E>
const std::vector<std::string>& EnumNames() {
  static const std::vector<std::string> names = [] {
    constexpr uint64_t kJsonName = 0xfa5b1fd61c2e7c3d;  // $Json.name (capnp/compat/json.capnp)
    std::vector<std::string> out;
    for (const auto enumerant : capnp::Schema::from<decltype(WireEnumOf(E{}))>().getEnumerants()) {
      kj::StringPtr name = enumerant.getProto().getName();
      for (const auto annotation : enumerant.getProto().getAnnotations()) {
        if (annotation.getId() == kJsonName) name = annotation.getValue().getText();
      }
      out.emplace_back(name.cStr());
    }
    return out;
  }();
  return names;
}

template <NamedEnum E>
std::optional<E> EnumFromName(std::string_view name) {
  const std::vector<std::string>& names = EnumNames<E>();
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) return std::nullopt;
  return static_cast<E>(it - names.begin());
}

// "" for a value outside the enum (only a cast can make one).
template <NamedEnum E>
std::string_view EnumToName(E value) {
  const std::vector<std::string>& names = EnumNames<E>();
  const auto ordinal = static_cast<size_t>(value);
  return ordinal < names.size() ? std::string_view(names[ordinal]) : std::string_view();
}

// "a, b, c": names joined, for error messages (the allowed values: Joined(EnumNames<E>())).
std::string Joined(const auto& names) {
  std::string out;
  for (std::string_view name : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

}  // namespace esms::domain::internal

#endif  // ESMS_DOMAIN_INTERNAL_ENUM_NAMES_H_
