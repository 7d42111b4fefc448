// Text helpers of domain/: the JSON paths of the event codec's messages (base/json.h), and
// the quoting and UTF-8 checks of base/text.h, under the names the domain code uses.
//
// Thread-safety: pure functions.
#ifndef ESMS_DOMAIN_INTERNAL_TEXT_H_
#define ESMS_DOMAIN_INTERNAL_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/text.h"

namespace esms::domain::internal {

using base::IndexPath;
using base::IsValidUtf8;
using base::JoinPath;
using base::Quote;
using base::Sanitize;

}  // namespace esms::domain::internal

#endif  // ESMS_DOMAIN_INTERNAL_TEXT_H_
