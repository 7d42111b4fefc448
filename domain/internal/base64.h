// Base64 for the event codec, as base/encoding.h writes and reads it (standard
// alphabet, padded, strict); the decoder's answer as an optional, which is all the
// codec needs (it words its own error with the JSON path). New code: base/encoding.h.
//
// Thread-safety: pure functions.
#ifndef ESMS_DOMAIN_INTERNAL_BASE64_H_
#define ESMS_DOMAIN_INTERNAL_BASE64_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/encoding.h"

namespace esms::domain::internal {

using base::Base64Encode;

// nullopt when `text` is not the canonical base64 of some bytes.
inline std::optional<std::vector<uint8_t>> Base64Decode(std::string_view text) {
  Result<std::vector<uint8_t>> bytes = base::Base64Decode(text);
  if (!bytes.ok()) return std::nullopt;
  return std::move(bytes).value();
}

}  // namespace esms::domain::internal

#endif  // ESMS_DOMAIN_INTERNAL_BASE64_H_
