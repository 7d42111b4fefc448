#include "ledger/keys.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace esms::ledger {
namespace {

// Owning wrappers of the OpenSSL objects used here.
struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioDeleter {
  void operator()(BIO* p) const { BIO_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

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

struct SigningKey::Impl {
  Impl(PkeyPtr key, const PublicKey& pub) : pkey(std::move(key)), public_key(pub) {
    // A context initialised once for this key: each Sign() copies it instead of
    // initialising a new one (OpenSSL 3 fetches the algorithm again on every init).
    sign_template.reset(EVP_MD_CTX_new());
    if (!sign_template ||
        EVP_DigestSignInit(sign_template.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
      sign_template.reset();
    }
  }
  PkeyPtr pkey;
  PublicKey public_key{};
  MdCtxPtr sign_template;  // read-only after construction
};

namespace {

// A scratch context per thread, reused by Sign() and VerifySignature().
EVP_MD_CTX* ScratchContext() {
  thread_local MdCtxPtr scratch(EVP_MD_CTX_new());
  return scratch.get();
}

// Verification contexts initialised for the few public keys a thread checks
// (the signers of a ledger), most recent first.
struct VerifyTemplate {
  PublicKey key{};
  MdCtxPtr ctx;
};
constexpr size_t kVerifyTemplates = 16;

EVP_MD_CTX* VerifyTemplateFor(const PublicKey& key) {
  thread_local std::vector<VerifyTemplate> cache;
  for (size_t i = 0; i < cache.size(); ++i) {
    if (cache[i].key == key) {
      if (i > 0) std::swap(cache[i], cache[0]);
      return cache[0].ctx.get();
    }
  }
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size()));
  if (!pkey) return nullptr;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  // The context keeps its own reference to the key.
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    return nullptr;
  }
  if (cache.size() >= kVerifyTemplates) cache.pop_back();
  cache.insert(cache.begin(), VerifyTemplate{key, std::move(ctx)});
  return cache[0].ctx.get();
}

}  // namespace

SigningKey::SigningKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SigningKey::~SigningKey() = default;
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;

namespace {

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

}  // namespace

Result<SigningKey> SigningKey::Generate() {
  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!pkey) return Status::Internal("Ed25519 key generation failed");
  ASSIGN_OR_RETURN(CheckedKey key, CheckEd25519(std::move(pkey), "generated key"));
  return SigningKey(std::make_unique<Impl>(std::move(key.pkey), key.public_key));
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
  const unsigned mode = st.st_mode & 07777;
  if ((mode & 077) != 0) {
    return Status::PermissionDenied(fmt::format(
        "key file {} has mode {:04o}: a private key must not be readable or writable by group "
        "or others; run `chmod 600 {}`",
        name, mode, name));
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
  if (!pkey) {
    return Status::InvalidArgument(
        kKeyInvalid, fmt::format("key file {} is not an unencrypted PEM private key", name));
  }
  ASSIGN_OR_RETURN(CheckedKey key, CheckEd25519(std::move(pkey), fmt::format("key file {}", name)));
  return SigningKey(std::make_unique<Impl>(std::move(key.pkey), key.public_key));
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
  EVP_MD_CTX* ctx = ScratchContext();
  Signature sig;
  size_t len = sig.size();
  // Failure here is an allocation failure or a broken OpenSSL: a bug, not an error.
  bool ready = ctx != nullptr &&
               (impl_->sign_template
                    ? EVP_MD_CTX_copy_ex(ctx, impl_->sign_template.get()) == 1
                    : EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, impl_->pkey.get()) == 1);
  if (!ready || EVP_DigestSign(ctx, sig.data(), &len, message.data(), message.size()) != 1 ||
      len != sig.size()) {
    std::abort();
  }
  return sig;
}

bool VerifySignature(const PublicKey& key, ByteView message, const Signature& signature) {
  EVP_MD_CTX* tmpl = VerifyTemplateFor(key);
  EVP_MD_CTX* ctx = ScratchContext();
  if (tmpl == nullptr || ctx == nullptr || EVP_MD_CTX_copy_ex(ctx, tmpl) != 1) return false;
  return EVP_DigestVerify(ctx, signature.data(), signature.size(), message.data(),
                          message.size()) == 1;
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
