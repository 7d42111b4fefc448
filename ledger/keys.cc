#include "ledger/keys.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

namespace esms::ledger {
namespace {

// Owning wrappers of the OpenSSL objects used here.
struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioDeleter {
  void operator()(BIO* p) const { BIO_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

// What a file that holds no private key holds when it is a public key, by its text: a
// PEM public key, a C2SP verifier key line (ledger.pub, a witness's key: NAME+HASH+KEY),
// or the base64 of a raw 32-byte key (as `key new` prints it). Empty otherwise.
std::string_view PublicKeyKind(std::string_view text) {
  if (text.find("-----BEGIN PUBLIC KEY-----") != std::string_view::npos) {
    return "a PEM public key";
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  if (text.empty() || text.find_first_of("\n\r ") != std::string_view::npos) return {};
  const size_t first = text.find('+');
  const size_t second = first == std::string_view::npos ? first : text.find('+', first + 1);
  if (first != std::string_view::npos && first > 0 && second == first + 9 &&
      text.substr(first + 1, 8).find_first_not_of("0123456789abcdef") == std::string_view::npos) {
    return "a verifier key line (a public key, such as ledger.pub)";
  }
  if (text.size() == 44 && text.back() == '=' &&
      text.substr(0, 43).find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                           "0123456789+/") == std::string_view::npos) {
    return "a raw public key (base64)";
  }
  return {};
}

// Refuses encrypted PEM keys instead of prompting on the terminal.
int NoPassword(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return -1; }

// A buffer that is wiped when it goes away (it may hold private key PEM).
class SecretBuffer {
 public:
  SecretBuffer() = default;
  ~SecretBuffer() {
    if (!data_.empty()) OPENSSL_cleanse(data_.data(), data_.size());
  }
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;
  std::string& str() { return data_; }

 private:
  std::string data_;
};

std::string ErrnoText(int err) { return std::strerror(err); }

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

namespace {

// libsodium's one-time initialisation (thread-safe, idempotent); false only if the
// library cannot initialise at all.
bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

// libsodium's 64-byte Ed25519 secret key (seed || public key), wiped when it goes away.
struct SecretKey {
  SecretKey() = default;
  ~SecretKey() { sodium_memzero(bytes.data(), bytes.size()); }
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  std::array<uint8_t, crypto_sign_ed25519_SECRETKEYBYTES> bytes{};
};

// An Ed25519 EVP_PKEY checked for its type, with its raw public key.
struct CheckedKey {
  PkeyPtr pkey;
  PublicKey public_key{};
};

Result<CheckedKey> CheckEd25519(PkeyPtr pkey, std::string_view what) {
  if (EVP_PKEY_is_a(pkey.get(), "ED25519") != 1) {
    return Status::InvalidArgument(kKeyInvalid, std::string(what) + " is not an Ed25519 key");
  }
  CheckedKey out;
  size_t len = out.public_key.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), out.public_key.data(), &len) != 1 ||
      len != out.public_key.size()) {
    return Status::InvalidArgument(kKeyInvalid,
                                   std::string(what) + ": cannot read its Ed25519 public key");
  }
  out.pkey = std::move(pkey);
  return out;
}

// Expands the key's 32-byte seed into libsodium's secret key (`secret`); the public key
// libsodium derives must be the one OpenSSL read.
Status ExpandSeed(EVP_PKEY* pkey, const PublicKey& public_key, std::string_view what,
                  SecretKey& secret) {
  if (!SodiumReady()) return Status::Internal("libsodium cannot initialise");
  std::array<uint8_t, crypto_sign_ed25519_SEEDBYTES> seed{};
  size_t len = seed.size();
  PublicKey derived{};
  const bool read =
      EVP_PKEY_get_raw_private_key(pkey, seed.data(), &len) == 1 && len == seed.size() &&
      crypto_sign_ed25519_seed_keypair(derived.data(), secret.bytes.data(), seed.data()) == 0;
  sodium_memzero(seed.data(), seed.size());
  if (!read) {
    return Status::InvalidArgument(kKeyInvalid,
                                   std::string(what) + ": cannot read its Ed25519 private key");
  }
  if (derived != public_key) {
    return Status::InvalidArgument(
        kKeyInvalid, std::string(what) + ": its public key does not match its private key");
  }
  return Status::OK();
}

}  // namespace

// The private key lives twice: as an OpenSSL EVP_PKEY, which reads and writes the
// PKCS#8 PEM file, and as libsodium's secret key, which signs. libsodium signs and
// verifies because it is the faster of the two, measured (BENCHMARKS.md, issue #14:
// about 2x OpenSSL 3's EVP Ed25519 on the project's machine).
struct SigningKey::Impl {
  explicit Impl(CheckedKey key) : pkey(std::move(key.pkey)), public_key(key.public_key) {}
  PkeyPtr pkey;
  PublicKey public_key{};
  SecretKey secret;  // read-only after creation
};

SigningKey::SigningKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SigningKey::~SigningKey() = default;
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;

Result<SigningKey> SigningKey::Generate() {
  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!pkey) return Status::Internal("Ed25519 key generation failed");
  ASSIGN_OR_RETURN(CheckedKey key, CheckEd25519(std::move(pkey), "generated key"));
  auto impl = std::make_unique<Impl>(std::move(key));
  RETURN_IF_ERROR(ExpandSeed(impl->pkey.get(), impl->public_key, "generated key", impl->secret));
  return SigningKey(std::move(impl));
}

Result<SigningKey> SigningKey::LoadPem(const std::filesystem::path& path) {
  const std::string name = path.string();
  Fd fd(::open(name.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    int err = errno;
    return Status::InvalidArgument(
        kKeyInvalid, fmt::format("cannot open key file {}: {}", name, ErrnoText(err)));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    int err = errno;
    return Status::InvalidArgument(
        kKeyInvalid, fmt::format("cannot stat key file {}: {}", name, ErrnoText(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(kKeyInvalid,
                                   fmt::format("key file {} is not a regular file", name));
  }
  constexpr off_t kMaxKeyFileSize = 64 * 1024;
  if (st.st_size > kMaxKeyFileSize) {
    return Status::InvalidArgument(kKeyInvalid,
                                   fmt::format("key file {} is too large for a PEM key", name));
  }
  SecretBuffer pem;
  pem.str().resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < pem.str().size()) {
    ssize_t n = ::read(fd.get(), pem.str().data() + done, pem.str().size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      return Status::InvalidArgument(
          kKeyInvalid, fmt::format("cannot read key file {}: {}", name, ErrnoText(err)));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  pem.str().resize(done);

  BioPtr bio(BIO_new_mem_buf(pem.str().data(), static_cast<int>(pem.str().size())));
  if (!bio) return Status::Internal("BIO_new_mem_buf failed");
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr));
  // What the file holds is judged before its mode, so that a public key given by mistake
  // (ledger.pub is world-readable) is named as such, not "chmod 600"-ed.
  if (!pkey) {
    std::string_view public_kind = PublicKeyKind(pem.str());
    if (!public_kind.empty()) {
      return Status::InvalidArgument(
          kKeyInvalid, fmt::format("key file {} holds {}, not a private key: give the private "
                                   "key PEM file (written by `key new` or `openssl genpkey "
                                   "-algorithm ed25519`)",
                                   name, public_kind));
    }
    return Status::InvalidArgument(
        kKeyInvalid, fmt::format("key file {} is not an unencrypted PEM private key", name));
  }
  const unsigned mode = st.st_mode & 07777;
  if ((mode & 077) != 0) {
    return Status::PermissionDenied(fmt::format(
        "key file {} has mode {:04o}: a private key must not be readable or writable by group "
        "or others; run `chmod 600 {}`",
        name, mode, name));
  }
  const std::string what = fmt::format("key file {}", name);
  ASSIGN_OR_RETURN(CheckedKey key, CheckEd25519(std::move(pkey), what));
  auto impl = std::make_unique<Impl>(std::move(key));
  RETURN_IF_ERROR(ExpandSeed(impl->pkey.get(), impl->public_key, what, impl->secret));
  return SigningKey(std::move(impl));
}

Status SigningKey::WritePem(const std::filesystem::path& path) const {
  const std::string name = path.string();
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return Status::Internal("BIO_new failed");
  if (PEM_write_bio_PKCS8PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr, 0, nullptr,
                                    nullptr) != 1) {
    return Status::Internal("cannot encode the key as PKCS#8 PEM");
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  // Wipe the PEM from the BIO's memory whatever happens below.
  struct Wipe {
    char* data;
    long size;
    ~Wipe() {
      if (data != nullptr && size > 0) OPENSSL_cleanse(data, static_cast<size_t>(size));
    }
  } wipe{data, size};

  Fd fd(::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) {
    int err = errno;
    if (err == EEXIST) {
      return Status::AlreadyExists(
          "BAD_INPUT", fmt::format("{} already exists; not overwriting a key file", name));
    }
    return Status::IoError(fmt::format("cannot create key file {}: {}", name, ErrnoText(err)));
  }
  auto fail = [&](std::string_view what) {
    int err = errno;
    ::close(fd.Release());
    ::unlink(name.c_str());
    return Status::IoError(fmt::format("cannot {} key file {}: {}", what, name, ErrnoText(err)));
  };
  // The umask may only remove bits; make the mode exactly 0600.
  if (::fchmod(fd.get(), 0600) != 0) return fail("chmod");
  long written = 0;
  while (written < size) {
    ssize_t n = ::write(fd.get(), data + written, static_cast<size_t>(size - written));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("write");
    written += n;
  }
  if (::fsync(fd.get()) != 0) return fail("sync");
  if (::close(fd.Release()) != 0) {
    int err = errno;
    ::unlink(name.c_str());
    return Status::IoError(fmt::format("cannot close key file {}: {}", name, ErrnoText(err)));
  }
  return Status::OK();
}

const PublicKey& SigningKey::public_key() const { return impl_->public_key; }

Signature SigningKey::Sign(ByteView message) const {
  Signature sig;
  // Cannot fail for a key made above (libsodium initialised, 64-byte secret key).
  if (crypto_sign_ed25519_detached(sig.data(), nullptr, message.data(), message.size(),
                                   impl_->secret.bytes.data()) != 0) {
    std::abort();
  }
  return sig;
}

bool VerifySignature(const PublicKey& key, ByteView message, const Signature& signature) {
  if (!SodiumReady()) return false;
  return crypto_sign_ed25519_verify_detached(signature.data(), message.data(), message.size(),
                                             key.data()) == 0;
}

Result<PublicKey> PublicKeyFromBase64(std::string_view text) {
  ASSIGN_OR_RETURN(Bytes bytes, Base64Decode(text));
  PublicKey key;
  if (bytes.size() != key.size()) {
    return Status::BadInput("an Ed25519 public key is 32 bytes, got " +
                            std::to_string(bytes.size()));
  }
  std::copy(bytes.begin(), bytes.end(), key.begin());
  return key;
}

}  // namespace esms::ledger
