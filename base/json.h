// Strict JSON for what other people hand us: events, evidence bundles, federation files.
// nlohmann-json, which parses them, lets a key repeat in one object (the last one wins,
// where another reader may keep the first: two parties would read two documents) and
// nests as deep as its recursion goes. ParseStrictJson refuses both, and names where.
//
// Thread-safety: pure functions; safe from any thread.
#ifndef ESMS_BASE_JSON_H_
#define ESMS_BASE_JSON_H_

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "base/status.h"

namespace esms::base {

// The JSON path of a value, as errors name it: "<path>.<key>" ("<key>" at the top level),
// "<path>[<index>]".
std::string JoinPath(std::string_view path, std::string_view key);
std::string IndexPath(std::string_view path, size_t index);

// The nesting allowed in a document we read (a bundle, a national bundle, a federation file):
// far beyond what we write (a national bundle's deepest value is about 10 levels down), far
// below what would exhaust the parser's stack.
inline constexpr size_t kMaxDocumentDepth = 64;

// One JSON value. BAD_INPUT with the first problem: "invalid JSON: <the parser's reason>"
// (syntax, trailing text), "<path>.<key>: duplicate key", or "<path>: nested deeper than
// <max_depth> levels" (objects and arrays counted).
Result<nlohmann::json> ParseStrictJson(std::string_view text, size_t max_depth);

// How ReadJson (base/json_view.h) parses: simdjson, then nlohmann when simdjson or the reader
// refuses the text (kFastThenExact, what a reader wants); or one of them alone (kFast, kExact:
// for tests).
enum class JsonParse { kFastThenExact, kFast, kExact };

}  // namespace esms::base

#endif  // ESMS_BASE_JSON_H_
