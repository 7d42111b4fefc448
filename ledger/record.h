// The ledger's records (format 2): what an author signs (a Statement), the one byte form
// of a record, how it is hashed and chained, and the ledger-owned key records
// ("key.enrolled", "key.revoked"). docs/format.md is the byte-exact specification.
//
// An author signs a position-independent *statement*: the canonical Cap'n Proto encoding
// (capnp::canonicalize: one segment, no segment table) of the Statement of
// ledger/record.capnp (ledger origin, event id, type, stream, at, expectedVersion when
// given, payload, signer key name). The signature is pure Ed25519 over those bytes; it
// can be made anywhere, before the position is known. The ledger stores a Record: seq,
// prevHash, recordedAt, streamVersion, the statement bytes exactly as signed and the
// signature. Record hash = SHA-256(0x02 || record bytes), the next record's prevHash;
// Merkle leaf = LeafHash(record bytes). Both cover the whole record.
//
// Decoding bytes read from storage never throws: every Cap'n Proto error becomes
// Status::DataLoss (CORRUPTION) with the reason, and bytes that are not exactly the
// canonical encoding of what they decode to (record or statement) are refused, so no
// two byte forms of one record exist.
//
// Thread-safety: value types and pure functions; safe from any thread.
#ifndef ESMS_LEDGER_RECORD_H_
#define ESMS_LEDGER_RECORD_H_

#include <cstdint>
#include <optional>
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

// The record format this code writes and reads (meta "format", docs/format.md).
inline constexpr int kRecordFormat = 2;

// Limits enforced when sealing and when decoding (bytes beyond them are refused). A
// record fits a C2SP tlog-tiles entry (uint16 length prefix): at most 65 535 bytes. The
// payload cap leaves room for the largest texts the ledger accepts (origin 256, event id
// 128, type 128, stream 256, signer 64 chars), so any valid entry whose payload fits
// makes a record that fits.
inline constexpr size_t kMaxRecordBytes = 65535;
inline constexpr size_t kMaxPayloadBytes = 62 * 1024;  // 63 488
// Text fields of a statement: at most this many chars, no NUL.
inline constexpr size_t kMaxStatementText = 4096;

// What an author signs: position-independent.
struct Statement {
  std::string origin;  // the ledger's origin (ledger.pub's key name)
  std::string event_id;
  std::string type;
  std::string stream;
  std::string at;  // business date, YYYY-MM-DD
  std::optional<uint64_t> expected_version;
  Bytes payload;
  std::string signer;  // name of the enrolled key that signs

  bool operator==(const Statement&) const = default;
};

// The canonical bytes of a statement: what its signer signs. BAD_INPUT if a text has a
// NUL or more than kMaxStatementText chars, or the payload exceeds kMaxPayloadBytes.
Result<Bytes> StatementBytes(const Statement& statement);
// The statement of canonical statement bytes; BAD_INPUT if they are not exactly the
// canonical encoding of a statement within the limits.
Result<Statement> DecodeStatement(ByteView bytes);
// A statement with its canonical bytes, encoded once (e.g. on the thread that signs or
// checks it) and handed to the ledger with the entry it states (Ledger::Batch::AddSigned),
// which then does not encode it again.
struct EncodedStatement {
  Statement statement;
  Bytes bytes;  // StatementBytes(statement)
};
Result<EncodedStatement> EncodeStatement(Statement statement);
// Ed25519 signature of statement bytes / its check (pure Ed25519 over the bytes, no
// prefix, no prehash).
Signature SignStatement(ByteView statement_bytes, const SigningKey& key);
bool VerifyStatementSignature(ByteView statement_bytes, const Signature& signature,
                              const PublicKey& key);

struct Record {
  // The position, added by the ledger.
  uint64_t seq = 0;
  Hash prev_hash{};
  int64_t recorded_at_micros = 0;
  uint64_t stream_version = 0;
  // The statement's fields (what the author signed).
  std::string origin;
  std::string at;  // business date, YYYY-MM-DD
  std::string event_id;
  std::string stream;
  std::optional<uint64_t> expected_version;
  std::string type;
  Bytes payload;
  std::string signer;
  // The signer's Ed25519 signature of statement_bytes.
  Signature signature{};
  // Derived by EncodeRecord / SealRecord / DecodeRecord.
  Bytes statement_bytes;  // canonical statement (what was signed)
  Bytes bytes;            // canonical record bytes (what is stored; the Merkle leaf)
  Hash hash{};            // SHA-256(0x02 || bytes)
  Hash leaf_hash{};       // LeafHash(bytes) = SHA-256(0x00 || bytes)
};

// The statement fields of a record.
Statement StatementOf(const Record& record);
// `record`'s statement fields set from `statement` (the rest untouched).
void SetStatement(Record& record, Statement statement);

// OK if record.signature is `key`'s signature of the record's statement bytes (computed
// from its fields when statement_bytes is empty); PermissionDenied (UNAUTHORIZED)
// naming the seq and signer otherwise.
Status VerifyAuthorSignature(const Record& record, const PublicKey& key);

// A recordedAt (UTC microseconds since the Unix epoch) as RFC 3339 text with
// microseconds, the form `log` and bundles print: "2026-11-23T11:42:56.123456Z".
std::string FormatMicros(int64_t micros);

// The bytes the signer signs: StatementBytes(StatementOf(fields)).
Result<Bytes> SignedBytes(const Record& fields);

// SHA-256(0x02 || record_bytes).
Hash RecordHash(ByteView record_bytes);

// `fields` with statement_bytes, bytes, hash and leaf_hash computed from its fields
// (signature included, as given: nothing is signed or checked here). BAD_INPUT beyond
// the limits (a record over kMaxRecordBytes included).
Result<Record> EncodeRecord(Record fields);

// `fields`' statement signed by `key` (the signature field is overwritten), then
// encoded. `fields.signer` must already name the key.
Result<Record> SealRecord(Record fields, const SigningKey& key);

// Sealing in two steps, for the ledger's sealing pipeline: PrepareRecord encodes the
// record bytes once, with a zero prevHash (the statement is signed, every field but the
// chain link is known when an entry is checked); SealPrepared writes the previous
// record's hash into them and hashes (no signing, no encoding: the serial part).
// EncodeRecord(fields) == SealPrepared(PrepareRecord(fields), fields.prev_hash), byte
// for byte; leaf_hash is left zero when `with_leaf_hash` is false (the caller computes
// it later, off the serial path). `fields.signature` must be set, or be set later by
// SignPrepared (`fields.statement_bytes` is computed when empty).
struct PreparedRecord {
  Record fields;                // bytes with a zero prevHash; hash, leaf_hash unset
  size_t prev_hash_offset = 0;  // where the 32 prevHash bytes sit in fields.bytes
  size_t signature_offset = 0;  // where the 64 signature bytes sit in fields.bytes
};
Result<PreparedRecord> PrepareRecord(Record fields);
// Signs the prepared statement with `key` (fields.signature and its bytes in the
// record), for a record prepared before it was signed.
void SignPrepared(PreparedRecord& prepared, const SigningKey& key);
// Sets a signature made elsewhere (fields.signature and its bytes in the record).
void SetPreparedSignature(PreparedRecord& prepared, const Signature& signature);
Record SealPrepared(PreparedRecord prepared, const Hash& prev_hash, bool with_leaf_hash = true);

// Decodes stored record bytes. Status::DataLoss if they are not a well-formed, canonical
// record with a 32-byte prevHash, a 64-byte signature and a canonical statement. When
// `signed_bytes` is not null it receives the statement bytes (also in statement_bytes).
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
