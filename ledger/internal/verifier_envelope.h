// Private to ledger/: the verifier's fast reading of stored record bytes. A record's
// bytes are accepted here only when they are, byte for byte, the canonical Cap'n Proto
// encoding of the envelope they hold (docs/format.md §2) in the shape every record the
// ledger seals has: 1-3 data words with the last one non-zero, 8 pointers, each a byte
// list laid out in pre-order, a 32-byte prevHash, a 64-byte signature, a non-empty
// payload, NUL-terminated texts without any other NUL and at most 4096 chars. The check
// is exact (it re-derives every word the canonical encoder would write) but needs no
// allocation nor re-encoding.
//
// Bytes it does not accept are not necessarily bad: an empty payload or a genesis with
// seq, recordedAt and streamVersion all zero is canonical in another shape. The caller
// then asks DecodeRecord (ledger/record.h), which judges every case and says why. So:
// ParseEnvelope(b) accepted => DecodeRecord(b) accepts b with the same fields, and the
// hashes below equal the Record's `hash` and `leaf_hash`
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
  std::string_view event_id;
  std::string_view stream;
  std::string_view type;
  ByteView payload;
  std::string_view signer;
  ByteView signature;  // 64 bytes
  std::string_view at;
  // Byte offsets in `bytes`, to derive the signed bytes: the signature pointer (the
  // `at` pointer follows it) and the signature's 64 bytes.
  size_t signature_pointer = 0;
  size_t signature_object = 0;
};

// The view when `bytes` are a canonical envelope of the common shape (see above),
// nullopt otherwise (then DecodeRecord decides).
std::optional<EnvelopeView> ParseEnvelope(ByteView bytes);

// The signed bytes (the envelope without its signature), rebuilt from the view.
Bytes EnvelopeSignedBytes(const EnvelopeView& view);

// SHA-256 with one reused OpenSSL context (no allocation per hash).
class EnvelopeHasher {
 public:
  // RecordHash(signed bytes, signature), from the view's pieces.
  Hash RecordHash(const EnvelopeView& view);
  // LeafHash(bytes).
  Hash LeafHash(ByteView bytes);
  // NodeHash(left, right).
  Hash NodeHash(const Hash& left, const Hash& right);

 private:
  Sha256Hasher sha_;  // one OpenSSL context, reset by each Finish()
};

}  // namespace esms::ledger::internal

#endif  // ESMS_LEDGER_INTERNAL_VERIFIER_ENVELOPE_H_
