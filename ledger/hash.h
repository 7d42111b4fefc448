// Byte vocabulary and SHA-256 for the ledger: Bytes / ByteView / Hash, one-shot and
// incremental SHA-256 (OpenSSL 3 EVP behind a pimpl). The two text encodings the
// ledger's formats use, lowercase hex and standard padded base64, are base/encoding.h's,
// named here too (ledger::ToHex, ledger::Base64Encode, ...).
//
// Thread-safety: free functions are pure and may be called from any thread. A
// Sha256Hasher is a mutable object: one thread at a time.
#ifndef ESMS_LEDGER_HASH_H_
#define ESMS_LEDGER_HASH_H_

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/encoding.h"
#include "base/status.h"

namespace esms::ledger {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;
using Hash = std::array<uint8_t, 32>;

// A view of the chars of `s` as bytes (no copy; valid as long as `s` is).
inline ByteView AsBytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

Hash Sha256(ByteView data);
Hash Sha256(std::string_view data);

// Incremental SHA-256: Update() any number of times, then Finish() once (after which
// the hasher is reset and may be reused). Move-only.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(ByteView data);
  void Update(std::string_view data);
  Hash Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// base/encoding.h.
using base::Base64Decode;
using base::Base64Encode;
using base::FromHex;
using base::ToHex;
// Exactly 64 hex chars; BAD_INPUT otherwise.
Result<Hash> HashFromHex(std::string_view hex);
// The consecutive 32-byte hashes of `bytes` (a tlog tile's content); a trailing part
// shorter than a hash is ignored.
std::vector<Hash> HashesOf(ByteView bytes);

}  // namespace esms::ledger

#endif  // ESMS_LEDGER_HASH_H_
