// The witness's HTTP front (c2sp.org/tlog-witness): `POST /add-checkpoint` served by
// kj-http on one event-loop thread, answering what Witness::Add decides.
//
// Group commit: an accepted checkpoint is answered only once it is on disk. The
// accepted requests of one turn of the event loop wait together; when the loop has
// nothing else to do (kj::evalLast), Witness::Persist writes them all with one fsync'd
// replacement of the state file, then each gets its cosignature (or 500 if the write
// failed, after Witness::Revert). While the write blocks, further requests queue in the
// kernel's socket buffers and form the next group, so one fsync serves as many
// cosignatures as there are clients waiting.
//
// Other paths answer 404, another method on /add-checkpoint 405, a body larger than
// kMaxRequestBytes 400.
//
// Thread-safety: Serve runs on the calling thread, which must have no KJ event loop of
// its own; the Witness is used from that thread only.
#ifndef ESMS_WITNESS_SERVER_H_
#define ESMS_WITNESS_SERVER_H_

#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "witness/witness.h"

namespace esms::witness {

struct ServeOptions {
  // "HOST:PORT" (port 0: any free port) or "unix:PATH".
  std::string listen;
  // Called once the socket is bound, with the address it is bound to ("127.0.0.1:40123",
  // the port resolved; or "unix:PATH").
  std::function<void(const std::string& address)> on_listening;
  // Called for each request answered: method, path, HTTP status (a log line).
  std::function<void(std::string_view method, std::string_view path, int status)> on_request;
};

// Serves `witness` until the process receives SIGTERM or SIGINT (then returns OK).
// Errors: an address that does not parse or cannot be bound (InvalidArgument /
// Unavailable, with the reason).
Status Serve(Witness& witness, const ServeOptions& options);

}  // namespace esms::witness

#endif  // ESMS_WITNESS_SERVER_H_
