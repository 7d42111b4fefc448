#include "base/text.h"

#include <cstdio>

namespace esms::base {
namespace {

// Appends text escaped (see Quote); returns where it stopped (text.size(), or earlier
// when the output would exceed max_bytes).
size_t AppendEscaped(std::string_view text, size_t max_bytes, std::string& out) {
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
    } else if (size_t next = i; DecodeUtf8(text, &next) >= 0) {
      out.append(text.substr(i, next - i));
      i = next;
    } else {
      std::snprintf(buffer, sizeof buffer, "\\x%02X", b);
      out += buffer;
      ++i;
    }
  }
  return i;
}

}  // namespace

int32_t DecodeUtf8(std::string_view text, size_t* i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t b0 = byte(*i);
  if (b0 < 0x80) {
    ++*i;
    return b0;
  }
  size_t length;
  int32_t code_point;
  int32_t minimum;
  if ((b0 & 0xE0) == 0xC0) {
    length = 2, code_point = b0 & 0x1F, minimum = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3, code_point = b0 & 0x0F, minimum = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4, code_point = b0 & 0x07, minimum = 0x10000;
  } else {
    return -1;
  }
  if (*i + length > text.size()) return -1;
  for (size_t k = 1; k < length; ++k) {
    const uint8_t b = byte(*i + k);
    if ((b & 0xC0) != 0x80) return -1;
    code_point = code_point << 6 | (b & 0x3F);
  }
  if (code_point < minimum || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return -1;
  }
  *i += length;
  return code_point;
}

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (static_cast<uint8_t>(text[i]) < 0x80) {
      ++i;
    } else if (DecodeUtf8(text, &i) < 0) {
      return false;
    }
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

std::string JsonQuote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  char buffer[8];
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned char>(c));
          out += buffer;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace esms::base
