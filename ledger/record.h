// The ledger's record envelope: the one byte form of a record, how it is signed and
// hashed, and the ledger-owned key records ("key.enrolled", "key.revoked").
//
// A record's bytes are the canonical Cap'n Proto encoding (capnp::canonicalize: one
// segment, no segment table) of the Envelope of ledger/record.capnp. The signed bytes
// are the same encoding with `signature` null; the record hash is
// SHA-256(0x02 || signed bytes || signature) and is the next record's prevHash; the
// Merkle leaf is the record bytes (LeafHash(bytes)). docs/format.md is the spec.
//
// Decoding bytes read from storage never throws: every Cap'n Proto error becomes
// Status::DataLoss (CORRUPTION) with the reason, and bytes that are not exactly the
// canonical encoding of what they decode to are refused, so no two byte forms of one
// record exist.
//
// Thread-safety: value types and pure functions; safe from any thread.
#ifndef ESMS_LEDGER_RECORD_H_
#define ESMS_LEDGER_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text.h"
#include "ledger/hash.h"
#include "ledger/keys.h"

namespace esms::ledger {

inline constexpr std::string_view kKeyEnrolledType = "key.enrolled";
inline constexpr std::string_view kKeyRevokedType = "key.revoked";

// Limits enforced when sealing and when decoding (bytes beyond them are refused).
inline constexpr size_t kMaxPayloadBytes = 4 << 20;
inline constexpr size_t kMaxRecordBytes = 8 << 20;

struct Record {
  // The envelope's fields.
  uint64_t seq = 0;
  Hash prev_hash{};
  int64_t recorded_at_micros = 0;
  std::string at;  // business date, YYYY-MM-DD
  std::string event_id;
  std::string stream;
  uint64_t stream_version = 0;
  std::string type;
  Bytes payload;
  std::string signer;
  Signature signature{};
  // Derived by EncodeRecord / SealRecord / DecodeRecord.
  Bytes bytes;       // canonical record bytes (what is stored; the Merkle leaf)
  Hash hash{};       // SHA-256(0x02 || signed bytes || signature)
  Hash leaf_hash{};  // LeafHash(bytes)
};

// A recordedAt (UTC microseconds since the Unix epoch) as RFC 3339 text with
// microseconds, the form `log` and bundles print: "2026-11-23T11:42:56.123456Z".
std::string FormatMicros(int64_t micros);

// The signed bytes of `fields`: the canonical envelope without signature. Only the
// envelope fields of `fields` are read. BAD_INPUT if a field is beyond the limits.
Result<Bytes> SignedBytes(const Record& fields);

// SHA-256(0x02 || signed_bytes || signature).
Hash RecordHash(ByteView signed_bytes, const Signature& signature);

// `fields` with bytes, hash and leaf_hash computed from its envelope fields (signature
// included, as given: nothing is signed or checked here).
Result<Record> EncodeRecord(Record fields);

// `fields` signed by `key` (the signature field is overwritten), then encoded.
// `fields.signer` must already name the key.
Result<Record> SealRecord(Record fields, const SigningKey& key);

// Sealing in two steps, for the ledger's sealing pipeline: PrepareRecord encodes the
// signed bytes once, with a zero prevHash (every field but the chain link is known
// when an entry is checked); SealPrepared then writes the previous record's hash into
// them, signs, hashes, and splices the signature into the record bytes (no second
// encoding). SealRecord(fields, key) == SealPrepared(PrepareRecord(fields), ...), byte
// for byte; leaf_hash is left zero when `with_leaf_hash` is false (the caller computes
// it later, off the serial path).
struct PreparedRecord {
  Record fields;                // bytes, hash, leaf_hash unset
  Bytes signed_bytes;           // with a zero prevHash
  size_t prev_hash_offset = 0;  // where the 32 prevHash bytes sit in signed_bytes
};
Result<PreparedRecord> PrepareRecord(Record fields);
Record SealPrepared(PreparedRecord prepared, const Hash& prev_hash, const SigningKey& key,
                    bool with_leaf_hash = true);

// Decodes stored record bytes. Status::DataLoss if they are not a well-formed,
// canonical envelope with a 32-byte prevHash and a 64-byte signature. When
// `signed_bytes` is not null it receives the record's signed bytes.
Result<Record> DecodeRecord(ByteView bytes, Bytes* signed_bytes = nullptr);

// Ledger-owned key records.
struct KeyEnrolment {
  std::string name;
  PublicKey public_key{};
  std::vector<std::string> roles;
  std::vector<std::string> regions;
};
struct KeyRevocation {
  std::string name;
  std::string reason;
};

// Canonical payload bytes of a "key.enrolled" / "key.revoked" record.
Bytes EncodeKeyEnrolled(std::string_view name, const PublicKey& key,
                        const std::vector<std::string>& roles,
                        const std::vector<std::string>& regions);
Bytes EncodeKeyRevoked(std::string_view name, std::string_view reason);
// BAD_INPUT if the payload is not the canonical encoding of the struct (or the public
// key is not 32 bytes).
Result<KeyEnrolment> DecodeKeyEnrolled(ByteView payload);
Result<KeyRevocation> DecodeKeyRevoked(ByteView payload);

// The payload of a key record as a JSON object text, as INTERFACE.md §1 writes it:
// {"name", "publicKey" (base64), "roles", "regions"} / {"name", "reason"}.
// BAD_INPUT for another type or a payload that does not decode.
Result<std::string> KeyPayloadToJson(std::string_view type, ByteView payload);

// base/text.h: `text` as a JSON string literal.
using base::JsonQuote;

}  // namespace esms::ledger

#endif  // ESMS_LEDGER_RECORD_H_
