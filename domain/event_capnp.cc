// Typed events <-> canonical Cap'n Proto payloads (domain/events.capnp), derived from the field
// lists of event_fields.h: each member is read and written at the offset of the wire field of
// its name, found in the compiled-in schema once per struct (SlotsOf). Not through
// capnp::DynamicStruct: even resolved once, it reads the schema at every get/set (twice this
// code's time per payload). Cap'n Proto reads bytes only inside DecodeBytes's base::CatchKj: a
// kj::Exception (malformed message, limits exceeded) becomes Status::DataLoss there.
#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/schema.h>
#include <kj/array.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "base/kj.h"
#include "domain/event_codec.h"
#include "domain/events.capnp.h"
#include "domain/internal/event_fields.h"
#include "domain/internal/text.h"

namespace esms::domain::internal {
namespace {

constexpr size_t kMaxPayloadBytes = size_t{4} << 20;  // larger is refused (the ledger's limit)

static_assert(std::endian::native == std::endian::little,
              "Cap'n Proto data sections are little-endian");

// ---------------------------------------------------------------- layout

// How the wire holds a value of C++ type M: a Date as Int32 days since 1970-01-01, an enum as
// its UInt16 ordinal, a number as itself (in the data section); a struct, or else a text.
template <typename M>
using RawOf = std::conditional_t<
    std::is_same_v<M, Date>, int32_t,
    std::conditional_t<
        std::is_enum_v<M>, uint16_t,
        std::conditional_t<std::is_arithmetic_v<M>, M,
                           std::conditional_t<Described<M>, capnp::AnyStruct, capnp::Text>>>>;
template <typename M>
constexpr bool kInDataSection = std::is_arithmetic_v<RawOf<M>>;

// The wire type of a value of C++ type M.
template <typename M>
capnp::schema::Type::Which WireTypeOf() {
  using W = capnp::schema::Type;
  if constexpr (!kIs<M, std::vector> && !Described<M> && !std::is_enum_v<M>) {
    return capnp::Schema::from<RawOf<M>>();  // BOOL, INT32 (a date), INT64, UINT64 or TEXT
  }
  return kIs<M, std::vector> ? W::LIST : Described<M> ? W::STRUCT : W::ENUM;
}

// Where a field lives in its wire struct.
struct Slot {
  uint32_t offset = 0;                    // data: in units of its size; pointer: index
  int64_t presence_bit = -1;              // optional: the bit of `hasX`; -1: none
  capnp::StructSchema nested;             // a struct or list-of-struct field: its struct
  uint16_t data_words = 0, pointers = 0;  // ... and that struct's size
  uint32_t enumerants = 0;                // an enum or list-of-enum field: its number of values
};

// The slots of T in its wire struct `schema`, resolved on first use.
template <Described T>
const auto& SlotsOf(capnp::StructSchema schema) {
  static const auto resolved = [schema] {
    std::array<Slot, std::tuple_size_v<decltype(kFields<T>)>> slots;
    unsigned wire_fields = 0;  // the wire fields used: all of them
    (void)ForEachField<T>([&](const auto& f, size_t i) {
      Slot* slot = &slots[i];
      const std::string_view name = f.name();
      const auto field = schema.getFieldByName(kj::StringPtr(name.data(), name.size()));
      capnp::Type type = field.getType();
      KJ_REQUIRE(type.which() == WireTypeOf<ValueOf<decltype(f)>>(),
                 "the wire field has another type", field.getProto().getName());
      slot->offset = field.getProto().getSlot().getOffset();
      if (type.isList()) type = type.asList().getElementType();
      if (type.isStruct()) {
        slot->nested = type.asStruct();
        slot->data_words = slot->nested.getProto().getStruct().getDataWordCount();
        slot->pointers = slot->nested.getProto().getStruct().getPointerCount();
      }
      if (type.isEnum()) slot->enumerants = type.asEnum().getEnumerants().size();
      std::string has = "has" + std::string(name);
      has[3] = static_cast<char>(has[3] - 'a' + 'A');
      KJ_IF_MAYBE (flag, schema.findFieldByName(has)) {
        slot->presence_bit = flag->getProto().getSlot().getOffset();
        ++wire_fields;
      }
      ++wire_fields;
      return Status::OK();
    });
    KJ_REQUIRE(wire_fields == schema.getFields().size(), "a wire field is not in the table",
               schema.getProto().getDisplayName());
    return slots;
  }();
  return resolved;
}

// Data fields, at `offset` in units of their size (bits for a bool); beyond a (truncated)
// data section a field reads as 0. A builder's starts zeroed; each field is set once.
template <typename R>
R GetData(capnp::AnyStruct::Reader from, uint32_t offset) {
  const kj::ArrayPtr<const kj::byte> data = from.getDataSection();
  R value{};
  if constexpr (std::is_same_v<R, bool>) {
    value = offset / 8 < data.size() && ((data[offset / 8] >> (offset % 8)) & 1) != 0;
  } else if ((offset + 1) * sizeof(R) <= data.size()) {
    std::memcpy(&value, data.begin() + offset * sizeof(R), sizeof(R));
  }
  return value;
}
template <typename R>
void SetData(capnp::AnyStruct::Builder to, uint32_t offset, R value) {
  if constexpr (std::is_same_v<R, bool>) {
    to.getDataSection()[offset / 8] |= static_cast<kj::byte>(value << (offset % 8));
  } else {
    std::memcpy(to.getDataSection().begin() + offset * sizeof(R), &value, sizeof(R));
  }
}

capnp::AnyPointer::Reader PointerOf(capnp::AnyStruct::Reader from, uint32_t index) {
  const auto pointers = from.getPointerSection();
  return index < pointers.size() ? pointers[index] : capnp::AnyPointer::Reader();
}

// ---------------------------------------------------------------- encoding

// A number, date, enumerant or text as the wire holds it.
template <typename M>
auto Raw(const M& value) {
  if constexpr (std::is_same_v<M, Date>) {
    return static_cast<int32_t>(value.days());
  } else if constexpr (kInDataSection<M>) {
    return static_cast<RawOf<M>>(value);
  } else {
    const std::string_view text = TextOf(value);
    return capnp::Text::Reader(text.data(), text.size());
  }
}

template <Described T>
void Encode(capnp::AnyStruct::Builder to, capnp::StructSchema schema, const T& value);

template <typename M>
void Put(capnp::AnyStruct::Builder to, const Slot& slot, const M& value) {
  if constexpr (kInDataSection<M>) {
    SetData(to, slot.offset, Raw(value));
  } else {
    capnp::AnyPointer::Builder pointer = to.getPointerSection()[slot.offset];
    if constexpr (Described<M>) {
      Encode(pointer.initAsAnyStruct(slot.data_words, slot.pointers), slot.nested, value);
    } else if constexpr (!kIs<M, std::vector>) {
      pointer.setAs<capnp::Text>(Raw(value));
    } else if constexpr (Described<typename M::value_type>) {
      auto list = pointer.initAsListOfAnyStruct(slot.data_words, slot.pointers,
                                                static_cast<unsigned>(value.size()));
      for (unsigned i = 0; i < list.size(); ++i) Encode(list[i], slot.nested, value[i]);
    } else {
      using Item = typename M::value_type;
      // A list of enumerants (targets.adjusted indicators): null when empty, the byte form of
      // the records written before the field existed.
      if (std::is_enum_v<Item> && value.empty()) return;
      auto list = pointer.initAs<capnp::List<RawOf<Item>>>(static_cast<unsigned>(value.size()));
      for (unsigned i = 0; i < list.size(); ++i) list.set(i, Raw(value[i]));
    }
  }
}

template <Described T>
void Encode(capnp::AnyStruct::Builder to, capnp::StructSchema schema, const T& value) {
  (void)ForEachField<T>([&](const auto& field, size_t i) {
    const Slot& slot = SlotsOf<T>(schema)[i];
    const auto& member = value.*field.member;
    if constexpr (kIsOptional<decltype(field)>) {
      if (!member) return Status::OK();
      if (slot.presence_bit >= 0) SetData(to, slot.presence_bit, true);
      Put(to, slot, *member);
    } else {
      Put(to, slot, member);
    }
    return Status::OK();
  });
}

// ---------------------------------------------------------------- decoding
// A value that cannot come from EncodePayload is Status::DataLoss naming the field (Path).

Status Corrupt(const Path& path, std::string_view why) {
  return Status::DataLoss(path.str() + ": " + std::string(why));
}

template <Described T>
Status Decode(capnp::AnyStruct::Reader from, capnp::StructSchema schema, const Path& path, T& out);

// A value read from the wire (`raw`, of type RawOf<M>) into `out`.
template <typename M, typename R>
Status FromRaw(R raw, const Slot& slot, const Path& path, M& out) {
  if constexpr (Described<M>) {
    return Decode(raw, slot.nested, path, out);
  } else if constexpr (std::is_same_v<M, Date>) {
    // Date::Parse accepts years 0000-9999 only; so does the decoder.
    static const int64_t kFirst = Date::FromCivil(0, 1, 1)->days();
    static const int64_t kLast = Date::FromCivil(9999, 12, 31)->days();
    if (raw < kFirst || raw > kLast) {
      return Corrupt(path, "day number " + std::to_string(raw) + " is out of range");
    }
    out = Date::FromDays(raw);
  } else if constexpr (std::is_enum_v<M>) {
    if (raw >= slot.enumerants) {
      return Corrupt(path,
                     (std::is_same_v<M, Campaign> ? "unknown campaign " : "unknown enumerant ") +
                         std::to_string(raw));
    }
    out = static_cast<M>(raw);
  } else if constexpr (std::is_arithmetic_v<M>) {
    out = raw;
  } else {
    Result<M> parsed = ParseText(std::string_view(raw.begin(), raw.size()), &out);
    if (!parsed.ok()) return Corrupt(path, parsed.status().message());
    out = std::move(parsed).value();
  }
  return Status::OK();
}

template <typename M>
Status Get(capnp::AnyStruct::Reader from, const Slot& slot, const Path& path, M& out) {
  if constexpr (kInDataSection<M>) {
    return FromRaw(GetData<RawOf<M>>(from, slot.offset), slot, path, out);
  } else if constexpr (!kIs<M, std::vector>) {
    return FromRaw(PointerOf(from, slot.offset).getAs<RawOf<M>>(), slot, path, out);
  } else {
    using Item = typename M::value_type;
    const capnp::AnyPointer::Reader pointer = PointerOf(from, slot.offset);
    const auto list = [&] {
      if constexpr (Described<Item>) {
        return pointer.getAs<capnp::AnyList>().as<capnp::List<capnp::AnyStruct>>();
      } else {
        return pointer.getAs<capnp::List<RawOf<Item>>>();
      }
    }();
    out.resize(list.size());
    for (unsigned i = 0; i < list.size(); ++i) {
      RETURN_IF_ERROR(FromRaw(list[i], slot, Path{&path, {}, i}, out[i]));
    }
    return Status::OK();
  }
}

template <Described T>
Status Decode(capnp::AnyStruct::Reader from, capnp::StructSchema schema, const Path& path, T& out) {
  return ForEachField<T>([&](const auto& field, size_t i) {
    using M = ValueOf<decltype(field)>;
    const Slot& slot = SlotsOf<T>(schema)[i];
    auto& member = out.*field.member;
    const Path key{&path, field.name()};
    if constexpr (kIsOptional<decltype(field)>) {
      // Absent (its flag, or else its pointer, unset): the value must stay at its default (one
      // value, one byte form).
      bool set = false;  // whether the field holds something other than its default value
      if constexpr (kInDataSection<M>) {
        set = GetData<RawOf<M>>(from, slot.offset) != RawOf<M>{};
      } else {
        set = !PointerOf(from, slot.offset).isNull();
      }
      if (!(slot.presence_bit >= 0 ? GetData<bool>(from, slot.presence_bit) : set)) {
        return set ? Corrupt(key, "set while marked absent") : Status::OK();
      }
      return Get(from, slot, key, member.emplace());
    } else {
      return Get(from, slot, key, member);
    }
  });
}

// ---------------------------------------------------------------- dispatch

Status KeyRecordRefusal() { return Status::Internal("key records are encoded by the ledger"); }

// An event type with a payload of the domain has a wire struct, decltype(WireOf(value)).
template <typename T>
Result<std::vector<uint8_t>> EncodeAs(const T& value) {
  if constexpr (!requires { WireOf(value); }) {
    return KeyRecordRefusal();
  } else {
    const capnp::StructSchema schema = capnp::Schema::from<decltype(WireOf(value))>();
    const auto node = schema.getProto().getStruct();
    capnp::MallocMessageBuilder message(64);  // words; the default zeroes 8 KiB per payload
    capnp::AnyStruct::Builder root = message.getRoot<capnp::AnyPointer>().initAsAnyStruct(
        node.getDataWordCount(), node.getPointerCount());
    Encode(root, schema, value);
    kj::Array<capnp::word> words = root.asReader().canonicalize();
    kj::ArrayPtr<const kj::byte> bytes = words.asBytes();
    return std::vector<uint8_t>(bytes.begin(), bytes.end());
  }
}

// Decodes `words` as the payload of a record of `type` (a known type).
Result<EventData> DecodeWords(std::string_view type, kj::ArrayPtr<const capnp::word> words,
                              bool check_canonical) {
  return DataOfType(type, [&](auto& value) {
    if constexpr (!requires { WireOf(value); }) {
      return KeyRecordRefusal();
    } else {
      capnp::ReaderOptions options;
      // Canonical messages share no pointers: isCanonical and Decode read each word once.
      options.traversalLimitInWords = 2 * words.size() + 64;
      options.nestingLimit = 8;
      kj::ArrayPtr<const capnp::word> segments[1] = {words};
      capnp::SegmentArrayMessageReader reader(kj::arrayPtr(segments, 1), options);
      if (check_canonical && !reader.isCanonical()) {
        return Status::DataLoss(std::string(type) + " payload is not in canonical form");
      }
      Status status = Decode(reader.getRoot<capnp::AnyPointer>().getAs<capnp::AnyStruct>(),
                             capnp::Schema::from<decltype(WireOf(value))>(), Path(), value);
      if (!status.ok()) {
        return Status::DataLoss(std::string(type) + " payload: " + status.message());
      }
      // One value, one byte form: canonical bytes other than the encoding of what they
      // decode to (a null text where the encoder writes an empty one, ...) are refused.
      if (!check_canonical) return Status::OK();
      Result<std::vector<uint8_t>> again = EncodeAs(value);
      const auto bytes = words.asBytes();
      if (!again.ok() || !std::equal(again->begin(), again->end(), bytes.begin(), bytes.end())) {
        return Status::DataLoss(std::string(type) + " payload is not the encoding of its value");
      }
      return Status::OK();
    }
  });
}

// `check_canonical` false skips isCanonical and the re-encoding: only for bytes this program
// encoded and kept under its own integrity check (DecodeTrustedPayload).
Result<EventData> DecodeBytes(std::string_view type, std::span<const uint8_t> payload,
                              bool check_canonical) {
  if (payload.empty() || payload.size() % sizeof(capnp::word) != 0 ||
      payload.size() > kMaxPayloadBytes) {
    return Status::DataLoss(Sanitize(type) + " payload of " + std::to_string(payload.size()) +
                            (payload.size() > kMaxPayloadBytes
                                 ? " bytes exceeds the limit"
                                 : " bytes is not a whole number of 8-byte words"));
  }
  // Copy into word-aligned memory: the caller's bytes need not be aligned.
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(payload.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), payload.data(), payload.size());
  if (!IsEventType(type)) return Status::DataLoss("payload of unknown event type " + Quote(type));
  Result<EventData> decoded = Status::Internal("payload not decoded");
  std::optional<std::string> error =
      base::CatchKj([&] { decoded = DecodeWords(type, words.asPtr(), check_canonical); });
  if (!error) return decoded;
  return Status::DataLoss(Sanitize(type) + " payload is malformed: " + Sanitize(*error));
}

}  // namespace
}  // namespace esms::domain::internal

namespace esms::domain {

Result<std::vector<uint8_t>> EncodePayload(const EventData& data) {
  return std::visit([](const auto& value) { return internal::EncodeAs(value); }, data);
}

Result<EventData> DecodePayload(std::string_view type, std::span<const uint8_t> payload) {
  return internal::DecodeBytes(type, payload, /*check_canonical=*/true);
}

Result<EventData> DecodeTrustedPayload(std::string_view type, std::span<const uint8_t> payload) {
  return internal::DecodeBytes(type, payload, /*check_canonical=*/false);
}

}  // namespace esms::domain
