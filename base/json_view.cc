// The one file that includes simdjson (a large header).
#include "base/json_view.h"

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <string>

namespace esms::base {
namespace {

using Element = simdjson::dom::element;
using ArrayAt = simdjson::dom::array::iterator;
using MemberAt = simdjson::dom::object::iterator;
using Raw = SimdJsonView::Raw;

// A view's Raw holds the bytes of one of these: a document and a place on its tape.
static_assert(sizeof(Element) == sizeof(Raw) && sizeof(ArrayAt) == sizeof(Raw) &&
              sizeof(MemberAt) == sizeof(Raw));
template <typename T>
Raw RawOf(const T& value) {
  return std::bit_cast<Raw>(value);
}

// simdjson reads "-0" as the integer 0 (its tape has no sign for it), nlohmann as a negative
// integer: whether `text` has "-0" not followed by a fraction or an exponent ("-0" followed
// by a digit is no JSON number: simdjson refuses it). A "-0" inside a string only costs a
// false alarm.
bool MayHoldNegativeZero(std::string_view text) {
  for (size_t at = text.find("-0"); at != std::string_view::npos; at = text.find("-0", at + 2)) {
    if (at + 2 == text.size() ||
        std::string_view("0123456789.eE").find(text[at + 2]) == std::string_view::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

SimdJsonView::SimdJsonView(Raw element) : element_(element) {
  const Element value = std::bit_cast<Element>(element);
  type_ = static_cast<char>(value.type());
  int64_t number = 0;
  unsigned_ = type_ == 'u' || (type_ == 'l' && !value.get_int64().get(number) && number >= 0);
}

bool SimdJsonView::boolean() const {
  return std::bit_cast<Element>(element_).get_bool().value_unsafe();
}

uint64_t SimdJsonView::unsigned_integer() const {
  const Element value = std::bit_cast<Element>(element_);
  return type_ == 'u' ? value.get_uint64().value_unsafe()
                      : static_cast<uint64_t>(value.get_int64().value_unsafe());
}

std::string_view SimdJsonView::string() const {
  return std::bit_cast<Element>(element_).get_string().value_unsafe();
}

std::string SimdJsonView::dump() const {
  return simdjson::to_string(std::bit_cast<Element>(element_));
}

size_t SimdJsonView::size() const {
  return std::bit_cast<Element>(element_).get_array().value_unsafe().size();
}

template <bool kMembers>
auto SimdJsonView::Iterator<kMembers>::operator*() const
    -> std::conditional_t<kMembers, JsonMember<SimdJsonView>, SimdJsonView> {
  if constexpr (kMembers) {
    const MemberAt at = std::bit_cast<MemberAt>(at_);
    return {at.key(), SimdJsonView(RawOf(at.value()))};
  } else {
    return SimdJsonView(RawOf(*std::bit_cast<ArrayAt>(at_)));
  }
}

template <bool kMembers>
SimdJsonView::Iterator<kMembers>& SimdJsonView::Iterator<kMembers>::operator++() {
  auto at = std::bit_cast<std::conditional_t<kMembers, MemberAt, ArrayAt>>(at_);
  at_ = RawOf(++at);
  return *this;
}

template class SimdJsonView::Iterator<false>;
template class SimdJsonView::Iterator<true>;

JsonRange<SimdJsonView::Iterator<false>> SimdJsonView::items() const {
  const simdjson::dom::array array = std::bit_cast<Element>(element_).get_array().value_unsafe();
  return {Iterator<false>(RawOf(array.begin())), Iterator<false>(RawOf(array.end()))};
}

JsonRange<SimdJsonView::Iterator<true>> SimdJsonView::members() const {
  const simdjson::dom::object object = std::bit_cast<Element>(element_).get_object().value_unsafe();
  return {Iterator<true>(RawOf(object.begin())), Iterator<true>(RawOf(object.end()))};
}

std::optional<SimdJsonView> ParseSimdJson(std::string_view text, size_t max_depth) {
  if (text.size() > kMaxSimdJsonBytes || MayHoldNegativeZero(text)) return std::nullopt;
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: the text is copied into a
  // padded buffer, kept for the thread like the parser.
  thread_local simdjson::dom::parser parser(kMaxSimdJsonBytes);
  thread_local std::string padded;
  if (parser.max_depth() != max_depth &&
      parser.allocate(std::max(parser.capacity(), text.size()), max_depth) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  padded.assign(text);
  padded.append(simdjson::SIMDJSON_PADDING, '\0');
  Element root;
  if (parser.parse(padded.data(), text.size(), /*realloc_if_needed=*/false).get(root)) {
    return std::nullopt;
  }
  return SimdJsonView(RawOf(root));
}

}  // namespace esms::base
