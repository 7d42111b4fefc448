#include "service/address.h"

#include <sys/un.h>

#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include <kj/compat/tls.h>

#include <fmt/format.h>

#include "base/kj.h"

namespace esms::service {

std::string Address::ToString() const {
  if (is_unix) return "unix:" + path;
  return fmt::format("{}:{}", host, port);
}

Result<Address> ParseAddress(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Status::BadInput(
        fmt::format("address '{}': {}; expected unix:PATH or HOST:PORT", text, why));
  };
  Address address;
  if (text.starts_with("unix:")) {
    address.is_unix = true;
    address.path = std::string(text.substr(5));
    if (address.path.empty()) return bad("no socket path");
    if (address.path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      return bad(
          fmt::format("a socket path holds at most {} bytes", sizeof(sockaddr_un{}.sun_path) - 1));
    }
    return address;
  }
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad("no host or no port");
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.find(':') != std::string_view::npos && !(host.front() == '[' && host.back() == ']')) {
    return bad("an IPv6 host goes in brackets");
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return bad("the port is not a number 0-65535");
  }
  address.host = std::string(host);
  address.port = static_cast<uint16_t>(value);
  return address;
}

struct TlsSetup::Impl {
  std::optional<kj::TlsKeypair> keypair;
  std::vector<kj::TlsCertificate> trusted;
  kj::Own<kj::TlsContext> context;
};

namespace {

Result<std::string> ReadPem(const std::string& file, std::string_view what) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return Status::InvalidArgument("USAGE", fmt::format("cannot read the {} {}", what, file));
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > (1 << 20)) {
    return Status::BadInput(fmt::format("the {} {} is larger than 1 MiB", what, file));
  }
  return text.str();
}

}  // namespace

TlsSetup::TlsSetup(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsSetup::~TlsSetup() = default;
kj::TlsContext& TlsSetup::context() { return *impl_->context; }

Result<std::unique_ptr<TlsSetup>> TlsSetup::ForServer(const std::string& cert_file,
                                                      const std::string& key_file) {
  ASSIGN_OR_RETURN(std::string cert, ReadPem(cert_file, "TLS certificate"));
  ASSIGN_OR_RETURN(std::string key, ReadPem(key_file, "TLS private key"));
  auto impl = std::make_unique<Impl>();
  std::optional<std::string> error = base::CatchKj([&] {
    impl->keypair.emplace(kj::TlsKeypair{kj::TlsPrivateKey(kj::StringPtr(key.c_str())),
                                         kj::TlsCertificate(kj::StringPtr(cert.c_str()))});
    kj::TlsContext::Options options;
    options.useSystemTrustStore = false;
    options.minVersion = kj::TlsVersion::TLS_1_2;
    options.defaultKeypair = *impl->keypair;
    impl->context = kj::heap<kj::TlsContext>(kj::mv(options));
  });
  if (error) {
    return Status::BadInput(
        fmt::format("TLS certificate {} / key {}: {}", cert_file, key_file, *error));
  }
  return std::unique_ptr<TlsSetup>(new TlsSetup(std::move(impl)));
}

Result<std::unique_ptr<TlsSetup>> TlsSetup::ForClient(const std::string& ca_file) {
  ASSIGN_OR_RETURN(std::string ca, ReadPem(ca_file, "CA certificate"));
  auto impl = std::make_unique<Impl>();
  std::optional<std::string> error = base::CatchKj([&] {
    impl->trusted.emplace_back(kj::StringPtr(ca.c_str()));
    kj::TlsContext::Options options;
    options.useSystemTrustStore = false;
    options.minVersion = kj::TlsVersion::TLS_1_2;
    options.trustedCertificates =
        kj::ArrayPtr<const kj::TlsCertificate>(impl->trusted.data(), impl->trusted.size());
    impl->context = kj::heap<kj::TlsContext>(kj::mv(options));
  });
  if (error) return Status::BadInput(fmt::format("CA certificate {}: {}", ca_file, *error));
  return std::unique_ptr<TlsSetup>(new TlsSetup(std::move(impl)));
}

}  // namespace esms::service
