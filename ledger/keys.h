// Ed25519 keys: a SigningKey (private key, loaded from or written to a PKCS#8 PEM file
// as `openssl genpkey -algorithm ed25519` writes it, through OpenSSL 3) and signature
// verification against a raw 32-byte public key. Signing and verification go through
// libsodium (crypto_sign_ed25519_*), measured 2x faster than OpenSSL 3's EVP Ed25519
// (BENCHMARKS.md). No OpenSSL or libsodium type appears here (pimpl).
// Private key bytes are never logged nor put in a Status message.
//
// Thread-safety: a SigningKey is immutable after creation; const methods (Sign,
// public_key) may be called from several threads at once. Free functions are pure.
#ifndef ESMS_LEDGER_KEYS_H_
#define ESMS_LEDGER_KEYS_H_

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "base/status.h"
#include "ledger/hash.h"

namespace esms::ledger {

using PublicKey = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;

// An Ed25519 private key with its public key. Move-only resource type.
class SigningKey {
 public:
  // A fresh key from the OS random source.
  static Result<SigningKey> Generate();
  // Reads a PKCS#8 PEM Ed25519 private key as `openssl genpkey -algorithm ed25519`
  // writes it. Refuses (Status::PermissionDenied, i.e. UNAUTHORIZED, with a message
  // naming the file, its mode and the `chmod 600` fix) a file readable/writable by group
  // or others. Missing file, not PEM, not Ed25519 ->
  // Status::InvalidArgument("KEY_INVALID", ...). Never logs key bytes.
  static Result<SigningKey> LoadPem(const std::filesystem::path& path);
  // Writes PKCS#8 PEM to a new file created with mode 0600 (O_CREAT|O_EXCL: refuses to
  // overwrite an existing file: AlreadyExists). I/O failure: IoError.
  Status WritePem(const std::filesystem::path& path) const;

  const PublicKey& public_key() const;
  // The 64-byte Ed25519 signature (RFC 8032, pure Ed25519) of `message`.
  Signature Sign(ByteView message) const;

  ~SigningKey();
  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

 private:
  struct Impl;
  explicit SigningKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// True if `signature` is a valid Ed25519 signature of `message` by `key`.
bool VerifySignature(const PublicKey& key, ByteView message, const Signature& signature);

// A raw 32-byte Ed25519 public key in standard base64 (INTERFACE.md `key.enrolled`
// `publicKey`); BAD_INPUT otherwise.
Result<PublicKey> PublicKeyFromBase64(std::string_view text);

// The key error code of LoadPem.
inline constexpr std::string_view kKeyInvalid = "KEY_INVALID";

}  // namespace esms::ledger

#endif  // ESMS_LEDGER_KEYS_H_
