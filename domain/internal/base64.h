// Standard base64 (RFC 4648 §4, with '=' padding), strict: the decoder refuses
// whitespace, missing or extra padding, characters outside the alphabet and
// non-zero trailing bits, so one byte string has exactly one accepted text.
// Private to domain/ (the domain layer decodes key.enrolled public keys without
// OpenSSL).
//
// Thread-safety: pure functions.
#ifndef ESMS_DOMAIN_INTERNAL_BASE64_H_
#define ESMS_DOMAIN_INTERNAL_BASE64_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace esms::domain::internal {

std::string Base64Encode(std::span<const uint8_t> bytes);

// nullopt when `text` is not the canonical base64 of some bytes.
std::optional<std::vector<uint8_t>> Base64Decode(std::string_view text);

}  // namespace esms::domain::internal

#endif  // ESMS_DOMAIN_INTERNAL_BASE64_H_
