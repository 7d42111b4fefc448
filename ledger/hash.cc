#include "ledger/hash.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace esms::ledger {
namespace {

// OpenSSL's SHA-256 can only fail on allocation failure or a broken library build:
// both are bugs of the environment, not errors a caller could handle.
void Check(int ok) {
  if (ok != 1) std::abort();
}

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
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

Hash Sha256(ByteView data) {
  Hash out;
  unsigned int len = 0;
  Check(EVP_Digest(data.data(), data.size(), out.data(), &len, Sha256Md(), nullptr));
  if (len != out.size()) std::abort();
  return out;
}

Hash Sha256(std::string_view data) { return Sha256(AsBytes(data)); }

std::string ToHex(ByteView data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (uint8_t b : data) {
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0x0f]);
  }
  return out;
}

Result<Bytes> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return Status::BadInput("hex string has an odd length (" + std::to_string(hex.size()) + ")");
  }
  Bytes out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]);
    int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return Status::BadInput("not a hex digit at offset " + std::to_string(hi < 0 ? i : i + 1));
    }
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

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

std::string Base64Encode(ByteView data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = uint32_t{data[i]} << 16 | uint32_t{data[i + 1]} << 8 | data[i + 2];
    out.push_back(kBase64Alphabet[v >> 18 & 63]);
    out.push_back(kBase64Alphabet[v >> 12 & 63]);
    out.push_back(kBase64Alphabet[v >> 6 & 63]);
    out.push_back(kBase64Alphabet[v & 63]);
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t{data[i]} << 16;
    out.push_back(kBase64Alphabet[v >> 18 & 63]);
    out.push_back(kBase64Alphabet[v >> 12 & 63]);
    out.append("==");
  } else if (rest == 2) {
    uint32_t v = uint32_t{data[i]} << 16 | uint32_t{data[i + 1]} << 8;
    out.push_back(kBase64Alphabet[v >> 18 & 63]);
    out.push_back(kBase64Alphabet[v >> 12 & 63]);
    out.push_back(kBase64Alphabet[v >> 6 & 63]);
    out.push_back('=');
  }
  return out;
}

Result<Bytes> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return Status::BadInput("base64 length " + std::to_string(text.size()) +
                            " is not a multiple of 4 (standard padded base64 expected)");
  }
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    int v[4] = {0, 0, 0, 0};
    for (int j = 0; j < 4 - pad; ++j) {
      v[j] = Base64Value(text[i + j]);
      if (v[j] < 0) {
        return Status::BadInput("not a standard base64 character at offset " +
                                std::to_string(i + j));
      }
    }
    uint32_t word = uint32_t(v[0]) << 18 | uint32_t(v[1]) << 12 | uint32_t(v[2]) << 6 |
                    uint32_t(v[3]);
    out.push_back(static_cast<uint8_t>(word >> 16));
    if (pad < 2) out.push_back(static_cast<uint8_t>(word >> 8));
    if (pad < 1) out.push_back(static_cast<uint8_t>(word));
    // Canonical encoding only: the bits dropped by the padding must be zero.
    if ((pad == 1 && (word & 0xff) != 0) || (pad == 2 && (word & 0xffff) != 0)) {
      return Status::BadInput("non-canonical base64 (padding bits set)");
    }
  }
  return out;
}

}  // namespace esms::ledger
