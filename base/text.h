// Text helpers shared by every layer: UTF-8 decoding and validation, quoting a value
// into a human message, and quoting a string as a JSON literal.
//
// Thread-safety: pure functions.
#ifndef ESMS_BASE_TEXT_H_
#define ESMS_BASE_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace esms::base {

// Decodes one UTF-8 code point at text[*i] (*i < text.size()), advancing *i past it;
// -1 (and *i unchanged) if malformed: overlong, surrogate, beyond U+10FFFF, truncated.
int32_t DecodeUtf8(std::string_view text, size_t* i);

// True when `text` is valid UTF-8 (no overlong forms, no surrogates).
bool IsValidUtf8(std::string_view text);

// `text` in double quotes, safe to embed in a message (and so in JSON output): '"' and
// '\' escaped, control characters and bytes that are not valid UTF-8 written as
// \u00XX / \xXX, and cut (at a character boundary, with "...") beyond `max_bytes`.
std::string Quote(std::string_view text, size_t max_bytes = 80);

// `text` with control characters and invalid UTF-8 escaped as in Quote, not quoted
// and not cut: for library messages that may echo raw input.
std::string Sanitize(std::string_view text);

// `text` as a JSON string literal, quotes included (RFC 8259 §7: '"', '\' and control
// characters escaped; other bytes as they are).
std::string JsonQuote(std::string_view text);

}  // namespace esms::base

#endif  // ESMS_BASE_TEXT_H_
