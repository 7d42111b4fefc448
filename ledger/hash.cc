#include "ledger/hash.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "ledger/internal/sha256.h"

namespace esms::ledger {
namespace {

// OpenSSL's SHA-256 can only fail on allocation failure or a broken library build:
// both are bugs of the environment, not errors a caller could handle.
void Check(int ok) {
  if (ok != 1) std::abort();
}

// SHA-256 fetched once from the default provider: EVP_sha256() makes OpenSSL 3 fetch
// the implementation again (locks, hash-table walk) on every digest.
const EVP_MD* Sha256Md() {
  static EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) std::abort();
    return fetched;
  }();
  return md;
}

// A context per thread for one-shot digests, initialised again for each: creating and
// freeing one per digest costs about a quarter of a 400-byte SHA-256 (BENCHMARKS.md).
EVP_MD_CTX* ThreadContext() {
  struct Holder {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Holder() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Holder holder;
  if (holder.ctx == nullptr) std::abort();
  return holder.ctx;
}

// SHA-256 of `prefix` (if any) then `data`, on this thread's context.
Hash Digest(const uint8_t* prefix, ByteView data) {
  EVP_MD_CTX* ctx = ThreadContext();
  Check(EVP_DigestInit_ex(ctx, Sha256Md(), nullptr));
  if (prefix != nullptr) Check(EVP_DigestUpdate(ctx, prefix, 1));
  if (!data.empty()) Check(EVP_DigestUpdate(ctx, data.data(), data.size()));
  Hash out;
  unsigned int len = 0;
  Check(EVP_DigestFinal_ex(ctx, out.data(), &len));
  if (len != out.size()) std::abort();
  return out;
}

}  // namespace

struct Sha256Hasher::Impl {
  Impl() : ctx(EVP_MD_CTX_new()) {
    if (ctx == nullptr) std::abort();
    Reset();
  }
  ~Impl() { EVP_MD_CTX_free(ctx); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void Reset() { Check(EVP_DigestInit_ex(ctx, Sha256Md(), nullptr)); }

  EVP_MD_CTX* ctx;
};

Sha256Hasher::Sha256Hasher() : impl_(std::make_unique<Impl>()) {}
Sha256Hasher::~Sha256Hasher() = default;
Sha256Hasher::Sha256Hasher(Sha256Hasher&&) noexcept = default;
Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&&) noexcept = default;

void Sha256Hasher::Update(ByteView data) {
  if (!impl_) impl_ = std::make_unique<Impl>();  // used after being moved from
  if (!data.empty()) Check(EVP_DigestUpdate(impl_->ctx, data.data(), data.size()));
}

void Sha256Hasher::Update(std::string_view data) { Update(AsBytes(data)); }

Hash Sha256Hasher::Finish() {
  if (!impl_) impl_ = std::make_unique<Impl>();
  Hash out;
  unsigned int len = 0;
  Check(EVP_DigestFinal_ex(impl_->ctx, out.data(), &len));
  if (len != out.size()) std::abort();
  impl_->Reset();
  return out;
}

Hash Sha256(ByteView data) { return Digest(nullptr, data); }

namespace internal {
Hash Sha256Prefixed(uint8_t prefix, ByteView data) { return Digest(&prefix, data); }
}  // namespace internal

Hash Sha256(std::string_view data) { return Sha256(AsBytes(data)); }

Result<Hash> HashFromHex(std::string_view hex) {
  if (hex.size() != 64) {
    return Status::BadInput("a hash is 64 hex digits, got " + std::to_string(hex.size()) +
                            " characters");
  }
  ASSIGN_OR_RETURN(Bytes bytes, FromHex(hex));
  Hash out;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

std::vector<Hash> HashesOf(ByteView bytes) {
  std::vector<Hash> hashes(bytes.size() / sizeof(Hash));
  for (size_t i = 0; i < hashes.size(); ++i) {
    std::copy_n(bytes.begin() + static_cast<ptrdiff_t>(i * sizeof(Hash)), sizeof(Hash),
                hashes[i].begin());
  }
  return hashes;
}

}  // namespace esms::ledger
