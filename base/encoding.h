// The two text encodings of bytes the programme's formats use: lowercase hex
// (INTERFACE.md outputs, hashes) and standard padded base64 (RFC 4648 §4: C2SP signed
// notes, checkpoints, public keys in key.enrolled events). Each decoder is strict, so
// one byte string has exactly one accepted text.
//
// Thread-safety: pure functions.
#ifndef ESMS_BASE_ENCODING_H_
#define ESMS_BASE_ENCODING_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace esms::base {

// Lowercase hex.
std::string ToHex(std::span<const uint8_t> data);
// Hex (either case) to bytes; BAD_INPUT on an odd length or a non-hex char.
Result<std::vector<uint8_t>> FromHex(std::string_view hex);

// Standard alphabet (RFC 4648 §4), padded.
std::string Base64Encode(std::span<const uint8_t> data);
// Strict: standard alphabet, padded, no whitespace, canonical (the bits the padding
// drops are zero); BAD_INPUT otherwise.
Result<std::vector<uint8_t>> Base64Decode(std::string_view text);

}  // namespace esms::base

#endif  // ESMS_BASE_ENCODING_H_
