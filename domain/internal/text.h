// Text helpers of domain/: the JSON paths of the event codec's messages, and the
// quoting and UTF-8 checks of base/text.h under the names the domain code uses.
//
// Thread-safety: pure functions.
#ifndef ESMS_DOMAIN_INTERNAL_TEXT_H_
#define ESMS_DOMAIN_INTERNAL_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "base/text.h"

namespace esms::domain::internal {

using base::IsValidUtf8;
using base::Quote;
using base::Sanitize;

// "<path>.<key>", or "<key>" at the top level.
std::string JoinPath(std::string_view path, std::string_view key);
// "<path>[<index>]".
std::string IndexPath(std::string_view path, size_t index);

}  // namespace esms::domain::internal

#endif  // ESMS_DOMAIN_INTERNAL_TEXT_H_
