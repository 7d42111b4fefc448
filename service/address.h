// Where the service listens and clients connect: `unix:PATH` (a Unix domain socket) or
// `HOST:PORT` (TCP, with TLS 1.2 or later through kj-tls unless explicitly insecure),
// and the TLS contexts of both ends built from PEM files.
//
// Thread-safety: plain values and functions; a TlsSetup is used by the thread of the
// event loop it serves.
#ifndef ESMS_SERVICE_ADDRESS_H_
#define ESMS_SERVICE_ADDRESS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace kj {
class TlsContext;
}

namespace esms::service {

struct Address {
  bool is_unix = false;
  std::string path;  // unix
  std::string host;  // TCP
  uint16_t port = 0;
  // The form kj's network parses: "unix:PATH" or "HOST:PORT".
  std::string ToString() const;
};

// "unix:PATH" (PATH non-empty, at most 107 bytes: sockaddr_un) or "HOST:PORT" (PORT
// 0-65535; a literal IPv6 host in brackets). BAD_INPUT otherwise, naming the forms.
Result<Address> ParseAddress(std::string_view text);

// A TLS context and what it was built from (kj keeps references to them).
class TlsSetup {
 public:
  // The server's: its certificate chain and private key (PEM files); TLS 1.2 at least.
  static Result<std::unique_ptr<TlsSetup>> ForServer(const std::string& cert_file,
                                                     const std::string& key_file);
  // A client's: trusts the CA certificates of `ca_file` (PEM) only, not the system's
  // store; TLS 1.2 at least.
  static Result<std::unique_ptr<TlsSetup>> ForClient(const std::string& ca_file);
  ~TlsSetup();
  TlsSetup(const TlsSetup&) = delete;
  TlsSetup& operator=(const TlsSetup&) = delete;

  kj::TlsContext& context();

 private:
  struct Impl;
  explicit TlsSetup(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace esms::service

#endif  // ESMS_SERVICE_ADDRESS_H_
