// THE kj::Exception adapter. Cap'n Proto reports a malformed message or an exceeded
// ReaderOptions limit by throwing kj::Exception; STYLE.md wants errors as values and
// exactly one place that converts. Code that reads Cap'n Proto runs the reading in
// CatchKj (or RunCatchingKj) and gets what happened as a value; no other code catches
// kj::Exception.
//
// Include it from .cc files only: it brings KJ's headers, which domain/ and ledger/
// headers do not show.
//
// Thread-safety: stateless; `fn` runs on the calling thread.
#ifndef ESMS_BASE_KJ_H_
#define ESMS_BASE_KJ_H_

#include <kj/exception.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"

namespace esms::base {

// Runs `fn` (void()); nullopt when it returned, else the description of the
// kj::Exception it threw.
template <typename Fn>
std::optional<std::string> CatchKj(Fn&& fn) {
  KJ_IF_MAYBE (exception, kj::runCatchingExceptions(std::forward<Fn>(fn))) {
    return std::string(exception->getDescription().cStr());
  }
  return std::nullopt;
}

// What a Cap'n Proto error means where it happens: bytes read from storage are corrupt
// (DataLoss); bytes handed in by a caller are bad input (InvalidArgument).
enum class KjErrorMeans { kDataLoss, kBadInput };

// Runs `fn` (void()); OK when it returned, else "<what>: <description>" as DataLoss or
// InvalidArgument.
template <typename Fn>
Status RunCatchingKj(KjErrorMeans means, std::string_view what, Fn&& fn) {
  std::optional<std::string> error = CatchKj(std::forward<Fn>(fn));
  if (!error) return Status::OK();
  std::string message = std::string(what) + ": " + *error;
  return means == KjErrorMeans::kDataLoss ? Status::DataLoss(std::move(message))
                                          : Status::BadInput(std::move(message));
}

}  // namespace esms::base

#endif  // ESMS_BASE_KJ_H_
