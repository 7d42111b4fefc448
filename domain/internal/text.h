// Small text helpers for error messages and identifiers. Private to domain/.
//
// Thread-safety: pure functions.
#ifndef ESMS_DOMAIN_INTERNAL_TEXT_H_
#define ESMS_DOMAIN_INTERNAL_TEXT_H_

#include <string>
#include <string_view>

namespace esms::domain::internal {

// `text` in double quotes, safe to embed in a message (and so in JSON output):
// '"' and
// '\' escaped, control characters and bytes that are not valid UTF-8 written as
// \u00XX / \xXX, and cut (at a character boundary, with "...") beyond
// `max_bytes`.
std::string Quote(std::string_view text, size_t max_bytes = 80);

// `text` with control characters and invalid UTF-8 escaped as in Quote, not
// quoted and not cut: for library messages that may echo raw input.
std::string Sanitize(std::string_view text);

// True when `text` is valid UTF-8 (no overlong forms, no surrogates).
bool IsValidUtf8(std::string_view text);

// "<path>.<key>", or "<key>" at the top level.
std::string JoinPath(std::string_view path, std::string_view key);
// "<path>[<index>]".
std::string IndexPath(std::string_view path, size_t index);

}  // namespace esms::domain::internal

#endif  // ESMS_DOMAIN_INTERNAL_TEXT_H_
