// The RPC front of `esms-ledger serve`: Cap'n Proto's two-party protocol on a unix socket
// or on TCP with TLS (service/address.h), one kj event loop on the calling thread, the
// work handed to a Writer (service/writer.h). Each connection's bootstrap is a Gate
// (service/ledger_service.capnp); its login gives the Ledger capability. Serve()
// returns on SIGTERM or SIGINT after draining: it stops accepting, refuses new
// requests, and waits (at most `drain_timeout_ms`) until every request already taken is
// answered.
//
// Wire input is bounded: a message larger than `max_message_bytes` or nested too deep
// fails that connection only (ReaderOptions), a malformed line fails that request at
// that line (nothing of it is written from there on), and connections beyond
// `max_connections` are answered "too many connections" and closed.
//
// Thread-safety: Serve runs on one thread; PrepareServeSignals before any other thread
// starts.
#ifndef ESMS_SERVICE_SERVER_H_
#define ESMS_SERVICE_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ledger/hash.h"
#include "ledger/key_registry.h"
#include "ledger/keys.h"
#include "service/writer.h"

namespace spdlog {
class logger;
}

namespace esms::service {

struct ServerOptions {
  std::string listen;             // unix:PATH or HOST:PORT
  std::string tls_cert, tls_key;  // PEM files: TLS on HOST:PORT
  bool insecure = false;          // HOST:PORT without TLS (explicitly asked)
  bool no_auth = false;           // connections may stay anonymous
  size_t max_connections = 64;    // beyond: "too many connections"
  uint64_t max_message_bytes = 64 << 20;
  int drain_timeout_ms = 4000;
  // A connection that has not logged in (authenticate or anonymous answered with a
  // ledger; the TLS handshake included) this long after it was accepted is closed, so
  // that clients that connect and never speak cannot hold every --max-connections slot.
  int login_timeout_ms = 10000;
  // The challenge check (service/access.h Authenticate, cli/serve_command.cc), against
  // the keys as of the last commit; the Peer it gives has checked = true. When set,
  // anonymous connections are let in too (public reads only). Empty: a login is only
  // accepted with no_auth (the key name is then logged, not checked).
  std::function<Result<Peer>(const ledger::KeyRegistry& keys, std::string_view origin,
                             ledger::ByteView nonce, std::string_view key_name,
                             const ledger::Signature& signature)>
      authenticate;
  // May `peer` run `request`? Checked on the event loop before the read is queued
  // (what needs the projected state is for the read handler, which gets the peer in
  // ReadRequest::peer). A refusal is logged with the request id. Empty: every read
  // allowed.
  std::function<Status(const Peer& peer, const ReadRequest& request)> authorize_read;
  spdlog::logger* log = nullptr;  // must outlive Serve; may be null
  // Called once listening, with the bound address (the port chosen for port 0).
  std::function<void(const std::string& bound)> on_listening;
};

// Blocks SIGTERM and SIGINT in the calling thread (and the threads it starts later) so
// that Serve's event loop receives them. Call before any thread starts.
void PrepareServeSignals();

// Serves until SIGTERM or SIGINT. Errors: a bad address or TLS files (BAD_INPUT /
// USAGE), a TCP listen without TLS nor `insecure` (USAGE), a socket that cannot be bound
// (IoError).
Status Serve(Writer& writer, const ServerOptions& options);

// The lines of an append request's message (a Ledger.append params struct, as flat
// unpacked Cap'n Proto bytes), decoded with the server's ReaderOptions. A malformed
// message -> BAD_INPUT; a malformed line is kept with its refusal (AppendLine::refusal)
// and ends the list. Used by the RPC method and by the fuzz target.
Result<std::vector<AppendLine>> DecodeAppendRequest(ledger::ByteView message,
                                                    uint64_t max_message_bytes = 64 << 20);

}  // namespace esms::service

#endif  // ESMS_SERVICE_SERVER_H_
