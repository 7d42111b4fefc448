// Strict JSON for events (INTERFACE.md §1), derived from the field lists of event_fields.h.
// Not Cap'n Proto's JSON codec (DESIGN.md prefers it): it skips unknown fields, cannot tell a
// missing field (all have defaults), reads 1.0 into an Int64 and accepts duplicate keys. Here one
// walk checks each object field by field, on a view (base/json_view.h) of simdjson's DOM, then on
// any problem of nlohmann's (base::ParseStrictJson: duplicate keys, deep nesting refused).
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
#include "base/json_view.h"
#include "domain/event_codec.h"
#include "domain/internal/base64.h"
#include "domain/internal/enum_names.h"
#include "domain/internal/event_fields.h"
#include "domain/internal/text.h"

namespace esms::domain::internal {
namespace {

using OrderedJson = nlohmann::ordered_json;

// Events are at most 4 levels deep (data.establishments[i].saadHours).
constexpr size_t kMaxDepth = 16;

// ============================================================== reading values
// One Read overload per kind of JSON value, chosen by the member's C++ type (event_fields.h).

Status WrongType(const auto& value, const Path& path, std::string_view expected) {
  return Status::BadInput((path.parent ? path.str() : "event") + ": expected " +
                          std::string(expected) + ", got " + base::DescribeJson(value));
}

Status Read(const auto& value, const Path& path, bool& out) {
  if (!value.is_boolean()) return WrongType(value, path, "true or false");
  out = value.boolean();
  return Status::OK();
}

// Cents and counts (int64_t), seqs and versions (uint64_t): a JSON integer, not negative,
// without fraction or exponent (1.0 and 1e2 are refused).
template <typename V, std::integral I>
Status Read(const V& value, const Path& path, I& out) {
  constexpr const char* what = "a non-negative integer";  // no string built for a valid one
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
      value.unsigned_integer() > uint64_t{std::numeric_limits<int64_t>::max()}) {
    return Status::BadInput(path.str() + ": " + value.dump() + " is too large");
  }
  out = static_cast<I>(value.unsigned_integer());
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

template <typename V, typename T>
Status Read(const V& value, const Path& path, T& out) requires requires(T* at) {
  ParseText(std::string_view(), at);
}
{
  if (!value.is_string()) return WrongType(value, path, What<T>());
  Result<T> parsed = ParseText(value.string(), &out);
  if (!parsed.ok()) return std::move(parsed).TakeStatus().WithContext(path.str());
  out = std::move(parsed).value();
  return Status::OK();
}

template <typename V, Described T>
Status Read(const V& value, const Path& path, T& out);

template <typename V, typename T>
Status Read(const V& value, const Path& path, std::vector<T>& out) {
  if (!value.is_array()) return WrongType(value, path, "an array");
  out.resize(value.size());
  auto it = value.items().begin();
  for (size_t i = 0; i < out.size(); ++i, ++it) RETURN_IF_ERROR(Read(*it, {&path, {}, i}, out[i]));
  return Status::OK();
}

// `value` must be an object of keys in `allowed`, each once; `slots[i]`: `allowed[i]`'s value.
template <typename V, size_t N>
Result<std::array<V, N>> ExpectObject(const V& value, const Path& path,
                                      const std::array<std::string_view, N>& allowed) {
  if (!value.is_object()) return WrongType(value, path, "an object");
  std::array<V, N> slots;
  for (const auto [key, member] : value.members()) {
    const size_t i = std::find(allowed.begin(), allowed.end(), key) - allowed.begin();
    if (i == N) {
      return Status::BadInput(JoinPath(path.str(), Sanitize(key)) +
                              ": unknown field (expected one of: " + Joined(allowed) + ")");
    }
    if (slots[i]) return Status::BadInput(JoinPath(path.str(), Sanitize(key)) + ": duplicate key");
    slots[i] = member;
  }
  return slots;
}

// A field's value at `key` (`slot`), or none: missing unless optional.
template <typename V, typename T>
Status ReadSlot(const V& slot, const Path& key, T& out) {
  if constexpr (kIs<T, std::optional>) {
    return slot ? Read(slot, key, out.emplace()) : Status::OK();
  } else {
    return slot ? Read(slot, key, out) : Status::BadInput(key.str() + ": missing");
  }
}

// An object of the fields of T: unknown keys refused, a missing one unless optional.
template <typename V, Described T>
Status Read(const V& value, const Path& path, T& out) {
  ASSIGN_OR_RETURN(const auto slots, ExpectObject(value, path, kNames<T>));
  return ForEachField<T>([&](const auto& field, size_t i) {
    return ReadSlot(slots[i], {&path, field.name()}, out.*field.member);
  });
}

// The event of the object `root`, validated, its stream filled in.
template <typename V>
Result<Event> ReadEvent(const V& root) {
  constexpr std::array<std::string_view, 5> kKeys = {"id", "type", "at", "expectedVersion", "data"};
  const Path top;
  ASSIGN_OR_RETURN(const auto slots, ExpectObject(root, top, kKeys));
  auto read = [&](size_t i, auto& out) { return ReadSlot(slots[i], {&top, kKeys[i]}, out); };
  Event event;
  RETURN_IF_ERROR(read(0, event.id));
  if (!IsValidIdentifier(event.id)) {
    return Status::BadInput("id: an event id is 1-128 characters of [A-Za-z0-9._:/-], got " +
                            Quote(event.id));
  }
  RETURN_IF_ERROR(read(1, event.type));
  if (!IsEventType(event.type)) {
    return Status::BadInput("type: " + Quote(event.type) +
                            " is not an event type (expected one of: " + Joined(kEventTypes) + ")");
  }
  RETURN_IF_ERROR(read(2, event.at));
  RETURN_IF_ERROR(read(3, event.expected_version));
  ASSIGN_OR_RETURN(event.data, DataOfType(event.type, [&](auto& value) { return read(4, value); }));
  RETURN_IF_ERROR(ValidateEventData(event.data));
  event.stream = StreamOf(event.data);
  return event;
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

Result<Event> ParseEvent(std::string_view json_text, base::JsonParse parse) {
  return base::ReadJson(json_text, internal::kMaxDepth, parse,
                        [](const auto& root) { return internal::ReadEvent(root); });
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
