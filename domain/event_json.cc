// Strict JSON for events (INTERFACE.md §1), derived from the field lists of event_fields.h.
// Not Cap'n Proto's JSON codec (DESIGN.md prefers it): it skips unknown fields, cannot tell a
// missing field (all have defaults), reads 1.0 into an Int64 and accepts duplicate keys. Here a
// DOM is parsed (base::ParseStrictJson: duplicate keys, deep nesting refused) and each object
// checked field by field.
#include <algorithm>
#include <array>
#include <concepts>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "base/json.h"
#include "domain/event_codec.h"
#include "domain/internal/base64.h"
#include "domain/internal/enum_names.h"
#include "domain/internal/event_fields.h"
#include "domain/internal/text.h"

namespace esms::domain::internal {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Events are at most 4 levels deep (data.establishments[i].saadHours).
constexpr size_t kMaxDepth = 16;

// ============================================================== reading values
// One Read overload per kind of JSON value, chosen by the member's C++ type (event_fields.h).

std::string Describe(const Json& value) {
  if (value.is_string()) return "the string " + Quote(value.get_ref<const std::string&>(), 40);
  if (value.is_number()) return "the number " + value.dump();
  if (value.is_object()) return "an object";
  if (value.is_array()) return "an array";
  return value.dump();  // null, true, false
}

Status WrongType(const Json& value, const Path& path, std::string_view expected) {
  return Status::BadInput((path.parent ? path.str() : "event") + ": expected " +
                          std::string(expected) + ", got " + Describe(value));
}

Status Read(const Json& value, const Path& path, bool& out) {
  if (!value.is_boolean()) return WrongType(value, path, "true or false");
  out = value.get<bool>();
  return Status::OK();
}

// Cents and counts (int64_t), seqs and versions (uint64_t): a JSON integer, not negative,
// without fraction or exponent (1.0 and 1e2 are refused).
template <std::integral I>
Status Read(const Json& value, const Path& path, I& out) {
  const std::string what = "a non-negative integer";
  if (value.is_number_float()) {
    return Status::BadInput(path.str() + ": expected " + what +
                            " (no fraction or exponent), got the number " + value.dump());
  }
  if (!value.is_number_integer()) return WrongType(value, path, what);
  if (!value.is_number_unsigned()) {
    return Status::BadInput(path.str() + ": expected " + what + ", got " + value.dump() +
                            " (must not be negative)");
  }
  if (std::is_signed_v<I> &&
      value.get<uint64_t>() > uint64_t{std::numeric_limits<int64_t>::max()}) {
    return Status::BadInput(path.str() + ": " + value.dump() + " is too large");
  }
  out = value.get<I>();
  return Status::OK();
}

// A JSON string: a text (ParseText; a factory's error, FINESS_INVALID, ..., keeps its code,
// prefixed with the path), a closed vocabulary or a key. What<T>(): what the string holds.
using Key = std::array<uint8_t, 32>;
template <typename T>
std::string What() {
  if constexpr (NamedEnum<T>) return "one of: " + Joined(EnumNames<T>());
  if constexpr (std::is_same_v<T, Key>) return "the base64 of a raw 32-byte Ed25519 public key";
  if constexpr (std::is_same_v<T, Date>) return "a date string (YYYY-MM-DD)";
  if constexpr (std::is_same_v<T, Finess>) return "a FINESS number as a string";
  if constexpr (std::is_same_v<T, Siret>) return "a SIRET number as a string";
  if constexpr (std::is_same_v<T, Region>) return "an INSEE region code as a string";
  return "a string";
}

using internal::ParseText;  // and, for JSON only, these two:
template <NamedEnum E>
Result<E> ParseText(std::string_view text, E*) {
  if (const std::optional<E> value = EnumFromName<E>(text)) return *value;
  return Status::BadInput(Quote(text, 40) + " is not allowed (expected " + What<E>() + ")");
}

Result<Key> ParseText(std::string_view text, Key*) {
  std::optional<std::vector<uint8_t>> bytes = Base64Decode(text);
  Key key;
  if (!bytes || bytes->size() != key.size()) {
    return Status::BadInput("expected " + What<Key>() + ", got the string " + Quote(text));
  }
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

template <typename T>
Status Read(const Json& value, const Path& path, T& out) requires requires(T* at) {
  ParseText(std::string_view(), at);
}
{
  if (!value.is_string()) return WrongType(value, path, What<T>());
  Result<T> parsed = ParseText(value.get_ref<const std::string&>(), &out);
  if (!parsed.ok()) return std::move(parsed).TakeStatus().WithContext(path.str());
  out = std::move(parsed).value();
  return Status::OK();
}

template <Described T>
Status Read(const Json& value, const Path& path, T& out);

template <typename T>
Status Read(const Json& value, const Path& path, std::vector<T>& out) {
  if (!value.is_array()) return WrongType(value, path, "an array");
  out.resize(value.size());
  for (size_t i = 0; i < value.size(); ++i) RETURN_IF_ERROR(Read(value[i], {&path, {}, i}, out[i]));
  return Status::OK();
}

// `value` must be an object whose keys are all in `allowed`.
template <size_t N>
Status ExpectObject(const Json& value, const Path& path,
                    const std::array<std::string_view, N>& allowed) {
  if (!value.is_object()) return WrongType(value, path, "an object");
  for (const auto& [key, unused] : value.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Status::BadInput(JoinPath(path.str(), Sanitize(key)) +
                              ": unknown field (expected one of: " + Joined(allowed) + ")");
    }
  }
  return Status::OK();
}

// An object of the fields of T: unknown keys refused, a missing one unless optional.
template <Described T>
Status Read(const Json& value, const Path& path, T& out) {
  RETURN_IF_ERROR(ExpectObject(value, path, kNames<T>));
  return ForEachField<T>([&](const auto& field, size_t) {
    const Path key{&path, field.name()};
    const auto it = value.find(field.name());
    if (it == value.end()) {
      return kIsOptional<decltype(field)> ? Status::OK()
                                          : Status::BadInput(key.str() + ": missing");
    }
    if constexpr (kIsOptional<decltype(field)>) {
      return Read(*it, key, (out.*field.member).emplace());
    } else {
      return Read(*it, key, out.*field.member);
    }
  });
}

// ============================================================== writing

// A member's JSON: an object of the fields of T in the table's order, without absent optional
// ones; an array; a number or a text (TextOf).
template <typename T>
OrderedJson ToJson(const T& value) {
  if constexpr (Described<T>) {
    OrderedJson out = OrderedJson::object();
    (void)ForEachField<T>([&](const auto& field, size_t) {
      const auto& member = value.*field.member;
      if constexpr (kIsOptional<decltype(field)>) {
        if (member) out[std::string(field.name())] = ToJson(*member);
      } else {
        out[std::string(field.name())] = ToJson(member);
      }
      return Status::OK();
    });
    return out;
  } else if constexpr (kIs<T, std::vector>) {
    OrderedJson out = OrderedJson::array();
    for (const auto& item : value) out.push_back(ToJson(item));
    return out;
  } else if constexpr (std::is_arithmetic_v<T>) {
    return value;
  } else if constexpr (NamedEnum<T>) {
    return EnumToName(value);
  } else if constexpr (std::is_same_v<T, Key>) {
    return Base64Encode(value);
  } else {
    return TextOf(value);
  }
}

OrderedJson DataToJsonValue(const EventData& data) {
  return std::visit([](const auto& value) { return ToJson(value); }, data);
}

// Compact text; invalid UTF-8 (only code, never the parser, makes it) is replaced.
std::string Dump(const OrderedJson& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false, OrderedJson::error_handler_t::replace);
}

}  // namespace
}  // namespace esms::domain::internal

namespace esms::domain {

using internal::OrderedJson;

Result<Event> ParseEvent(std::string_view json_text) {
  ASSIGN_OR_RETURN(internal::Json root, base::ParseStrictJson(json_text, internal::kMaxDepth));
  static constexpr std::array<std::string_view, 5> kEventKeys = {"id", "type", "at",
                                                                 "expectedVersion", "data"};
  const internal::Path top;
  RETURN_IF_ERROR(internal::ExpectObject(root, top, kEventKeys));
  auto read = [&](const char* key, auto& out) {
    const auto it = root.find(key);
    if (it == root.end()) return Status::BadInput(std::string(key) + ": missing");
    return internal::Read(*it, {&top, key}, out);
  };
  Event event;
  RETURN_IF_ERROR(read("id", event.id));
  if (!IsValidIdentifier(event.id)) {
    return Status::BadInput("id: an event id is 1-128 characters of [A-Za-z0-9._:/-], got " +
                            internal::Quote(event.id));
  }
  RETURN_IF_ERROR(read("type", event.type));
  if (!IsEventType(event.type)) {
    return Status::BadInput(
        "type: " + internal::Quote(event.type) +
        " is not an event type (expected one of: " + internal::Joined(kEventTypes) + ")");
  }
  RETURN_IF_ERROR(read("at", event.at));
  if (root.contains("expectedVersion")) {
    RETURN_IF_ERROR(read("expectedVersion", event.expected_version.emplace()));
  }
  ASSIGN_OR_RETURN(event.data, internal::DataOfType(
                                   event.type, [&](auto& value) { return read("data", value); }));
  RETURN_IF_ERROR(ValidateEventData(event.data));
  event.stream = StreamOf(event.data);
  return event;
}

std::string DataToJson(const EventData& data) {
  return internal::Dump(internal::DataToJsonValue(data));
}

std::string EventToJson(const Event& event) {
  OrderedJson out = {{"id", event.id}, {"type", event.type}, {"at", event.at.ToString()}};
  if (event.expected_version) out["expectedVersion"] = *event.expected_version;
  out["data"] = internal::DataToJsonValue(event.data);
  return internal::Dump(out);
}

}  // namespace esms::domain
