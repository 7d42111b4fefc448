#include "domain/internal/text.h"

#include <cstdint>
#include <cstdio>

namespace esms::domain::internal {
namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 if there is
// none.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t length = 0;
  uint32_t code_point = 0;
  if ((b0 & 0xE0) == 0xC0) {
    length = 2;
    code_point = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3;
    code_point = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4;
    code_point = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < kMinimum[length]) return 0;                 // overlong
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;  // surrogate
  if (code_point > 0x10FFFF) return 0;
  return length;
}

// Appends text[begin, end) escaped; returns where it stopped (end, or earlier
// when the output would exceed max_bytes).
size_t AppendEscaped(std::string_view text, size_t max_bytes,
                     std::string& out) {
  size_t i = 0;
  const size_t start = out.size();
  char buffer[8];
  while (i < text.size()) {
    if (out.size() - start >= max_bytes) break;
    const uint8_t b = static_cast<uint8_t>(text[i]);
    if (b == '"' || b == '\\') {
      out += '\\';
      out += static_cast<char>(b);
      ++i;
    } else if (b < 0x20 || b == 0x7F) {
      std::snprintf(buffer, sizeof buffer, "\\u%04X", b);
      out += buffer;
      ++i;
    } else if (b < 0x80) {
      out += static_cast<char>(b);
      ++i;
    } else if (size_t n = Utf8SequenceLength(text, i); n > 0) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      std::snprintf(buffer, sizeof buffer, "\\x%02X", b);
      out += buffer;
      ++i;
    }
  }
  return i;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string Quote(std::string_view text, size_t max_bytes) {
  std::string out = "\"";
  const size_t stopped = AppendEscaped(text, max_bytes, out);
  out += '"';
  if (stopped < text.size()) out += "...";
  return out;
}

std::string Sanitize(std::string_view text) {
  std::string out;
  AppendEscaped(text, static_cast<size_t>(-1), out);
  return out;
}

std::string JoinPath(std::string_view path, std::string_view key) {
  std::string out(path);
  if (!out.empty()) out += '.';
  out.append(key);
  return out;
}

std::string IndexPath(std::string_view path, size_t index) {
  std::string out(path);
  out += '[';
  out += std::to_string(index);
  out += ']';
  return out;
}

}  // namespace esms::domain::internal
