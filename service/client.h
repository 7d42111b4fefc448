// Client of `esms-ledger serve` (service/server.h): connects to `unix:PATH` or
// `HOST:PORT` (TLS, trusting the CA file given), logs in through the connection's Gate
// (a challenge signed with the client's key, or anonymously), then calls the Ledger
// capability. Calls are synchronous (the client's own kj event loop).
//
// Errors: a server that cannot be reached, a TLS handshake that fails (an untrusted
// certificate) or a lost connection -> IoError (STORAGE_ERROR, exit 4: the ledger cannot
// be reached), marked by IsTransportError so that the caller may reconnect and retry; a
// refused login -> the server's status (UNAUTHORIZED).
//
// Thread-safety: one Client per thread (kj allows one event loop per thread).
#ifndef ESMS_SERVICE_CLIENT_H_
#define ESMS_SERVICE_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ledger/keys.h"
#include "service/writer.h"

namespace esms::service {

struct ClientOptions {
  std::string server;  // unix:PATH or HOST:PORT
  std::string tls_ca;  // PEM: the CA that signed the server's certificate (HOST:PORT)
  // Logs in with this key enrolled as `key_name` (its signature of the server's challenge,
  // service/access.h SignChallenge); null: anonymously (public reads only, unless the
  // server runs with --no-auth).
  const ledger::SigningKey* key = nullptr;
  std::string key_name;
};

// True for the errors after which a new connection may succeed.
bool IsTransportError(const Status& status);

// A signed line of `sign` (INTERFACE.md §6): {"event": {...}, "signer": NAME,
// "signature": BASE64}. nullopt when `line` is not one (a plain event); BAD_INPUT when
// it is one but malformed (projections::ParseSignedLine, as an AppendLine).
Result<std::optional<AppendLine>> ParseSignedLine(std::string_view line);

class Client {
 public:
  static Result<std::unique_ptr<Client>> Connect(const ClientOptions& options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The ledger's origin, verifier key, size; the name `public_key` is enrolled under.
  Result<LedgerInfo> Info(const std::optional<ledger::PublicKey>& public_key);
  // Appends `lines` (AppendResult: the results, or the refused line). A call that
  // failed as a whole (the server shutting down) -> its status, nothing written.
  Result<AppendResult> Append(const std::vector<AppendLine>& lines);
  Result<ReadOutput> Read(const ReadRequest& request);

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace esms::service

#endif  // ESMS_SERVICE_CLIENT_H_
