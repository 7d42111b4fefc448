#include "base/encoding.h"

#include <array>
#include <cstdint>

namespace esms::base {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The 6-bit value of each byte, or -1 outside the standard alphabet: one load per
// character (an import decodes a signature on every signed line).
constexpr std::array<int8_t, 256> kBase64Values = [] {
  std::array<int8_t, 256> values{};
  values.fill(-1);
  for (int i = 0; i < 64; ++i)
    values[static_cast<uint8_t>(kBase64Alphabet[i])] = static_cast<int8_t>(i);
  return values;
}();

int Base64Value(char c) { return kBase64Values[static_cast<uint8_t>(c)]; }

}  // namespace

std::string ToHex(std::span<const uint8_t> data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (uint8_t b : data) {
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0x0f]);
  }
  return out;
}

Result<std::vector<uint8_t>> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return Status::BadInput("hex string has an odd length (" + std::to_string(hex.size()) + ")");
  }
  std::vector<uint8_t> out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]);
    int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return Status::BadInput("not a hex digit at offset " + std::to_string(hi < 0 ? i : i + 1));
    }
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

std::string Base64Encode(std::span<const uint8_t> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = uint32_t{data[i]} << 16 | uint32_t{data[i + 1]} << 8 | data[i + 2];
    out.push_back(kBase64Alphabet[v >> 18 & 63]);
    out.push_back(kBase64Alphabet[v >> 12 & 63]);
    out.push_back(kBase64Alphabet[v >> 6 & 63]);
    out.push_back(kBase64Alphabet[v & 63]);
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t{data[i]} << 16;
    out.push_back(kBase64Alphabet[v >> 18 & 63]);
    out.push_back(kBase64Alphabet[v >> 12 & 63]);
    out.append("==");
  } else if (rest == 2) {
    uint32_t v = uint32_t{data[i]} << 16 | uint32_t{data[i + 1]} << 8;
    out.push_back(kBase64Alphabet[v >> 18 & 63]);
    out.push_back(kBase64Alphabet[v >> 12 & 63]);
    out.push_back(kBase64Alphabet[v >> 6 & 63]);
    out.push_back('=');
  }
  return out;
}

Result<std::vector<uint8_t>> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return Status::BadInput("base64 length " + std::to_string(text.size()) +
                            " is not a multiple of 4 (standard padded base64 expected)");
  }
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  // Every quantum but the last: four characters of the alphabet, no padding.
  const size_t full = text.empty() ? 0 : text.size() - 4;
  size_t i = 0;
  for (; i < full; i += 4) {
    const int a = Base64Value(text[i]), b = Base64Value(text[i + 1]), c = Base64Value(text[i + 2]),
              d = Base64Value(text[i + 3]);
    if ((a | b | c | d) < 0) break;  // the loop below names the offset
    const uint32_t word = uint32_t(a) << 18 | uint32_t(b) << 12 | uint32_t(c) << 6 | uint32_t(d);
    out.insert(out.end(), {static_cast<uint8_t>(word >> 16), static_cast<uint8_t>(word >> 8),
                           static_cast<uint8_t>(word)});
  }
  for (; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    int v[4] = {0, 0, 0, 0};
    for (int j = 0; j < 4 - pad; ++j) {
      v[j] = Base64Value(text[i + j]);
      if (v[j] < 0) {
        return Status::BadInput("not a standard base64 character at offset " +
                                std::to_string(i + j));
      }
    }
    uint32_t word =
        uint32_t(v[0]) << 18 | uint32_t(v[1]) << 12 | uint32_t(v[2]) << 6 | uint32_t(v[3]);
    out.push_back(static_cast<uint8_t>(word >> 16));
    if (pad < 2) out.push_back(static_cast<uint8_t>(word >> 8));
    if (pad < 1) out.push_back(static_cast<uint8_t>(word));
    // Canonical encoding only: the bits dropped by the padding must be zero.
    if ((pad == 1 && (word & 0xff) != 0) || (pad == 2 && (word & 0xffff) != 0)) {
      return Status::BadInput("non-canonical base64 (padding bits set)");
    }
  }
  return out;
}

}  // namespace esms::base
