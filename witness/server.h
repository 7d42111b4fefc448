// The witness's HTTP front (c2sp.org/tlog-witness): `POST /add-checkpoint` served by
// kj-http on one event-loop thread, answering what Witness::Add decides.
//
// Group commit: an accepted checkpoint is answered only once it is on disk. Accepted
// checkpoints wait together: when the event loop has nothing else to do
// (kj::evalLast), the ones accepted so far go to a writer thread, which replaces the
// state file durably (Witness::WriteState: temporary file, fsync, rename, fsync of the
// directory); then each gets its cosignature, or 500 if the write failed. While a write
// is under way, the loop goes on reading and checking requests (against the
// checkpoints being written) and they form the next write, started as soon as this one
// ends: one write serves every client that was waiting. Requests for one origin are
// checked one after the other on the loop's thread, so the check of the old size and
// the update of the state are atomic as c2sp.org/tlog-witness requires.
//
// Other paths answer 404, another method on /add-checkpoint 405, a body larger than
// kMaxRequestBytes 400.
//
// Thread-safety: Serve runs on the calling thread, which must have no KJ event loop of
// its own; the Witness is used from that thread only, but for WriteState, which runs on
// Serve's writer thread.
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

// Serves `witness` until the process receives SIGTERM or SIGINT (then returns OK, once
// the write under way, if any, has ended; requests not yet answered are not).
// Errors: an address that does not parse or cannot be bound (InvalidArgument /
// Unavailable, with the reason).
Status Serve(Witness& witness, const ServeOptions& options);

}  // namespace esms::witness

#endif  // ESMS_WITNESS_SERVER_H_
