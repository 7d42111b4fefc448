// Private to ledger/: the verifier's fast reading of stored record bytes. A record's
// bytes are accepted here only when they are, byte for byte, the canonical Cap'n Proto
// encoding of the record they hold (docs/format.md §2), statement included, in the
// shape every record the ledger seals has: a Record with 0-3 data words (the last one
// non-zero) and 3 pointers, a Statement with 0 or 2 data words (expectedVersion, then
// hasExpectedVersion = 1) and 7 pointers, each pointer a byte list laid out in
// pre-order, a 32-byte prevHash, a 64-byte signature, a non-empty payload,
// NUL-terminated texts without any other NUL and at most 4096 chars. The check is
// exact (it re-derives every word the canonical encoder would write) but needs no
// allocation nor re-encoding.
//
// Bytes it does not accept are not necessarily bad: an empty payload is canonical in
// another shape. The caller then asks DecodeRecord (ledger/record.h), which judges
// every case and says why. So: ParseEnvelope(b) accepted => DecodeRecord(b) accepts b
// with the same fields, and the hashes below equal the Record's `hash` and `leaf_hash`
// (tests/ledger/verifier_envelope_test.cc checks this on mutated bytes).
//
// Thread-safety: EnvelopeView is a value (a view: the bytes must outlive it); free
// functions are pure. An EnvelopeHasher is a mutable object: one thread at a time.
#ifndef ESMS_LEDGER_INTERNAL_VERIFIER_ENVELOPE_H_
#define ESMS_LEDGER_INTERNAL_VERIFIER_ENVELOPE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "ledger/hash.h"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace esms::ledger::internal {

struct EnvelopeView {
  ByteView bytes;  // the whole record (the Merkle leaf)
  uint64_t seq = 0;
  int64_t recorded_at_micros = 0;
  uint64_t stream_version = 0;
  ByteView prev_hash;  // 32 bytes
  ByteView statement;  // the statement bytes (what the signer signed)
  ByteView signature;  // 64 bytes
  // The statement's fields.
  std::string_view origin;
  std::string_view event_id;
  std::string_view type;
  std::string_view stream;
  std::string_view at;
  std::optional<uint64_t> expected_version;
  ByteView payload;
  std::string_view signer;
};

// The view when `bytes` are a canonical envelope of the common shape (see above),
// nullopt otherwise (then DecodeRecord decides).
std::optional<EnvelopeView> ParseEnvelope(ByteView bytes);

// The signed bytes (the statement's), copied from the view.
Bytes EnvelopeSignedBytes(const EnvelopeView& view);

// SHA-256 with one reused OpenSSL context (no allocation per hash).
class EnvelopeHasher {
 public:
  // RecordHash(bytes) = SHA-256(0x02 || bytes).
  Hash RecordHash(ByteView bytes);
  // LeafHash(bytes).
  Hash LeafHash(ByteView bytes);
  // NodeHash(left, right).
  Hash NodeHash(const Hash& left, const Hash& right);

 private:
  Sha256Hasher sha_;  // one OpenSSL context, reset by each Finish()
};

}  // namespace esms::ledger::internal

#endif  // ESMS_LEDGER_INTERNAL_VERIFIER_ENVELOPE_H_
