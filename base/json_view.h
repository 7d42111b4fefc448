// Read-only views of one parsed JSON value, one interface over two parsers, so that a reader
// is written once (a template over the view) and runs on either:
// - NlohmannView: a value of nlohmann-json's DOM (ParseStrictJson, base/json.h: the exact
//   messages, duplicate keys refused);
// - SimdJsonView: a value of simdjson's DOM (ParseSimdJson below: several times faster; an
//   object keeps a repeated key twice, so a reader that cares must check).
// Both read numbers as nlohmann does: an integer is unsigned when written without '-';
// 1.0, 1e2 are floats. Strings are UTF-8 string_views. Items and members come in document
// order (nlohmann's objects: in key order). dump() is the compact JSON of the value.
//
// This header includes <nlohmann/json.hpp>; <simdjson.h> is included by json_view.cc only.
//
// Thread-safety: a view is a pointer into its document: read it from one thread at a time,
// while the document lives (ParseSimdJson: until this thread's next ParseSimdJson).
#ifndef ESMS_BASE_JSON_VIEW_H_
#define ESMS_BASE_JSON_VIEW_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "base/json.h"
#include "base/status.h"
#include "base/text.h"

namespace esms::base {

// for (auto x : view.items()) / view.members(): a pair of iterators.
template <typename It>
struct JsonRange {
  It first, last;
  It begin() const { return first; }
  It end() const { return last; }
};

template <typename View>
struct JsonMember {
  std::string_view key;
  View value;
};

class NlohmannView {
 public:
  NlohmannView() = default;  // no value
  explicit NlohmannView(const nlohmann::json& value) : value_(&value) {}
  explicit operator bool() const { return value_ != nullptr; }

  bool is_boolean() const { return value_->is_boolean(); }
  bool is_number() const { return value_->is_number(); }
  bool is_number_float() const { return value_->is_number_float(); }
  bool is_number_integer() const { return value_->is_number_integer(); }
  bool is_number_unsigned() const { return value_->is_number_unsigned(); }
  bool is_string() const { return value_->is_string(); }
  bool is_array() const { return value_->is_array(); }
  bool is_object() const { return value_->is_object(); }

  bool boolean() const { return value_->get<bool>(); }
  uint64_t unsigned_integer() const { return value_->get<uint64_t>(); }  // is_number_unsigned
  std::string_view string() const { return value_->get_ref<const std::string&>(); }
  std::string dump() const { return value_->dump(); }
  size_t size() const { return value_->size(); }  // of an array

  // An array's items (NlohmannView), an object's members (JsonMember<NlohmannView>).
  template <bool kMembers>
  class Iterator {
   public:
    explicit Iterator(nlohmann::json::const_iterator at) : at_(at) {}
    auto operator*() const {
      if constexpr (kMembers) {
        return JsonMember<NlohmannView>{at_.key(), NlohmannView(at_.value())};
      } else {
        return NlohmannView(*at_);
      }
    }
    Iterator& operator++() { return ++at_, *this; }
    bool operator!=(const Iterator& other) const { return at_ != other.at_; }

   private:
    nlohmann::json::const_iterator at_;
  };
  JsonRange<Iterator<false>> items() const {
    return {Iterator<false>(value_->cbegin()), Iterator<false>(value_->cend())};
  }
  JsonRange<Iterator<true>> members() const {
    return {Iterator<true>(value_->cbegin()), Iterator<true>(value_->cend())};
  }

 private:
  const nlohmann::json* value_ = nullptr;
};

class SimdJsonView {
 public:
  SimdJsonView() = default;  // no value
  explicit operator bool() const { return type_ != 0; }

  bool is_boolean() const { return type_ == 't'; }
  bool is_number() const { return is_number_float() || is_number_integer(); }
  bool is_number_float() const { return type_ == 'd'; }
  bool is_number_integer() const { return type_ == 'l' || type_ == 'u'; }
  bool is_number_unsigned() const { return unsigned_; }
  bool is_string() const { return type_ == '"'; }
  bool is_array() const { return type_ == '['; }
  bool is_object() const { return type_ == '{'; }

  bool boolean() const;
  uint64_t unsigned_integer() const;  // is_number_unsigned
  std::string_view string() const;
  std::string dump() const;
  size_t size() const;  // of an array

  // Where simdjson's element or iterator is (its document, its place on the tape): the
  // bytes of one, opaque here.
  using Raw = std::array<uintptr_t, 2>;

  template <bool kMembers>
  class Iterator {
   public:
    explicit Iterator(Raw at) : at_(at) {}
    std::conditional_t<kMembers, JsonMember<SimdJsonView>, SimdJsonView> operator*() const;
    Iterator& operator++();
    bool operator!=(const Iterator& other) const { return at_ != other.at_; }

   private:
    Raw at_;
  };
  JsonRange<Iterator<false>> items() const;
  JsonRange<Iterator<true>> members() const;

  // An element (json_view.cc).
  explicit SimdJsonView(Raw element);

 private:
  Raw element_{};
  char type_ = 0;  // simdjson's element_type: '[', '{', 'l', 'u', 'd', '"', 't', 'n'; 0: none
  bool unsigned_ = false;  // 'u', or 'l' not negative
};

extern template class SimdJsonView::Iterator<false>;  // json_view.cc
extern template class SimdJsonView::Iterator<true>;

// A value for a message: "the string \"x\"" (quoted, cut at 40 bytes), "the number 1.0",
// "an object", "an array", "null", "true", "false".
template <typename View>
std::string DescribeJson(const View& value) {
  if (value.is_string()) return "the string " + Quote(value.string(), 40);
  if (value.is_number()) return "the number " + value.dump();
  if (value.is_object()) return "an object";
  if (value.is_array()) return "an array";
  return value.dump();  // null, true, false
}

// The longest text ParseSimdJson reads: its parser keeps, for the thread, the memory of the
// longest text it read (about 14 bytes a byte: under 1 MiB a thread).
inline constexpr size_t kMaxSimdJsonBytes = 64 << 10;

// `text` (one JSON value) parsed by this thread's simdjson parser; nullopt when simdjson
// refuses it (syntax, trailing text, invalid UTF-8 or escape, a number beyond 64 bits, a BOM,
// nesting deeper than `max_depth`), when it is longer than kMaxSimdJsonBytes, or when it may
// hold the integer -0 (simdjson reads it as 0, nlohmann as a negative integer). The view is
// valid until this thread's next ParseSimdJson.
std::optional<SimdJsonView> ParseSimdJson(std::string_view text, size_t max_depth);

// `read(view)` (a Result, for a SimdJsonView and a NlohmannView) on the value of `text`.
// kFastThenExact: on simdjson's DOM; when simdjson refuses the text or `read` returns an error,
// on ParseStrictJson's DOM, whose result (or error) is returned: so a refusal is always
// ParseStrictJson's or `read`'s on nlohmann's DOM, and an accepted text, simdjson's reading.
template <typename Read>
auto ReadJson(std::string_view text, size_t max_depth, JsonParse parse, Read&& read)
    -> decltype(read(NlohmannView())) {
  if (parse != JsonParse::kExact) {
    const std::optional<SimdJsonView> root = ParseSimdJson(text, max_depth);
    if (!root && parse == JsonParse::kFast) return Status::BadInput("refused by simdjson");
    if (root) {
      auto result = read(*root);
      if (result.ok() || parse == JsonParse::kFast) return result;
    }
  }
  Result<nlohmann::json> root = ParseStrictJson(text, max_depth);
  if (!root.ok()) return std::move(root).TakeStatus();
  return read(NlohmannView(root.value()));
}

}  // namespace esms::base

#endif  // ESMS_BASE_JSON_VIEW_H_
