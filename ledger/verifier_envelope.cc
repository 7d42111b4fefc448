#include "ledger/internal/verifier_envelope.h"

#include <bit>
#include <cstdlib>
#include <cstring>

namespace esms::ledger::internal {
namespace {

// The Envelope's layout (docs/format.md §1): 3 data words, 8 pointers.
constexpr size_t kWord = 8;
constexpr uint64_t kMaxDataWords = 3;
constexpr uint64_t kPointers = 8;
enum PointerIndex : int {
  kPrevHash = 0,
  kEventId,
  kStream,
  kType,
  kPayload,
  kSigner,
  kSignature,
  kAt,
};
constexpr size_t kPrevHashBytes = 32;
constexpr size_t kSignatureBytes = 64;
constexpr size_t kMaxTextChars = 4096;   // record.cc CheckEnvelopeFields
constexpr size_t kMaxPayload = 4 << 20;  // kMaxPayloadBytes
constexpr size_t kMaxRecord = 8 << 20;   // kMaxRecordBytes
constexpr uint64_t kByteElements = 2;    // list element size code: 1 byte

uint64_t WordAt(ByteView bytes, size_t word) {
  uint64_t value;
  std::memcpy(&value, bytes.data() + word * kWord, kWord);
  if constexpr (std::endian::native == std::endian::big) value = __builtin_bswap64(value);
  return value;
}

std::string_view TextView(ByteView bytes, size_t offset, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(bytes.data()) + offset, size);
}

bool AllZero(const uint8_t* begin, const uint8_t* end) {
  for (; begin != end; ++begin) {
    if (*begin != 0) return false;
  }
  return true;
}

}  // namespace

std::optional<EnvelopeView> ParseEnvelope(ByteView bytes) {
  if (bytes.empty() || bytes.size() % kWord != 0 || bytes.size() > kMaxRecord) return std::nullopt;
  const size_t words = bytes.size() / kWord;
  const uint64_t root = WordAt(bytes, 0);
  // Struct pointer, offset 0: the high half holds the section sizes.
  if ((root & 0xffffffffu) != 0) return std::nullopt;
  const uint64_t data_words = (root >> 32) & 0xffff;
  const uint64_t pointers = root >> 48;
  if (data_words == 0 || data_words > kMaxDataWords || pointers != kPointers) return std::nullopt;
  const size_t first_pointer = 1 + data_words;
  size_t cursor = first_pointer + kPointers;  // where the next object must start
  if (cursor > words) return std::nullopt;
  // Trailing zero data words are truncated: the last one kept is not zero.
  if (WordAt(bytes, data_words) == 0) return std::nullopt;

  EnvelopeView v;
  v.bytes = bytes;
  v.seq = WordAt(bytes, 1);
  v.recorded_at_micros = data_words >= 2 ? static_cast<int64_t>(WordAt(bytes, 2)) : 0;
  v.stream_version = data_words >= 3 ? WordAt(bytes, 3) : 0;

  size_t offsets[kPointers];
  size_t sizes[kPointers];
  for (uint64_t i = 0; i < kPointers; ++i) {
    const size_t at_word = first_pointer + i;
    const uint64_t pointer = WordAt(bytes, at_word);
    const uint64_t count = pointer >> 35;
    if (count == 0) return std::nullopt;  // empty lists: another canonical shape
    // A list of bytes starting exactly at the cursor (pre-order, no gap).
    const uint64_t expected_low = ((cursor - at_word - 1) << 2) | 1;
    if ((pointer & 0xffffffffu) != expected_low || ((pointer >> 32) & 7) != kByteElements) {
      return std::nullopt;
    }
    const size_t object_words = (count + kWord - 1) / kWord;
    if (object_words > words - cursor) return std::nullopt;
    const uint8_t* object = bytes.data() + cursor * kWord;
    if (!AllZero(object + count, object + object_words * kWord)) return std::nullopt;  // padding
    offsets[i] = cursor * kWord;
    sizes[i] = count;
    cursor += object_words;
  }
  if (cursor != words) return std::nullopt;  // trailing data

  if (sizes[kPrevHash] != kPrevHashBytes || sizes[kSignature] != kSignatureBytes ||
      sizes[kPayload] > kMaxPayload) {
    return std::nullopt;
  }
  std::string_view* texts[] = {&v.event_id, &v.stream, &v.type, &v.signer, &v.at};
  const int text_pointers[] = {kEventId, kStream, kType, kSigner, kAt};
  for (int t = 0; t < 5; ++t) {
    const int i = text_pointers[t];
    // NUL-terminated, no other NUL, at most 4096 chars (else re-encoding refuses it).
    const size_t chars = sizes[i] - 1;
    if (chars > kMaxTextChars || bytes[offsets[i] + chars] != 0) return std::nullopt;
    if (std::memchr(bytes.data() + offsets[i], 0, chars) != nullptr) return std::nullopt;
    *texts[t] = TextView(bytes, offsets[i], chars);
  }
  v.prev_hash = bytes.subspan(offsets[kPrevHash], kPrevHashBytes);
  v.payload = bytes.subspan(offsets[kPayload], sizes[kPayload]);
  v.signature = bytes.subspan(offsets[kSignature], kSignatureBytes);
  v.signature_pointer = (first_pointer + kSignature) * kWord;
  v.signature_object = offsets[kSignature];
  return v;
}

namespace {

// The signed bytes differ from the record bytes in three places: the signature pointer
// is null, the `at` pointer (right after it) points 8 words nearer (the signature's
// 64 bytes are gone), and those 64 bytes are removed. Calls `out(data, size)` for the
// pieces in order.
template <typename Out>
void SignedPieces(const EnvelopeView& v, Out&& out) {
  const uint8_t* b = v.bytes.data();
  const size_t at_pointer = v.signature_pointer + kWord;
  uint64_t at = 0;
  std::memcpy(&at, b + at_pointer, kWord);
  if constexpr (std::endian::native == std::endian::big) at = __builtin_bswap64(at);
  at -= uint64_t{kSignatureBytes / kWord} << 2;  // the offset field starts at bit 2
  if constexpr (std::endian::native == std::endian::big) at = __builtin_bswap64(at);
  uint8_t pointers[2 * kWord] = {};
  std::memcpy(pointers + kWord, &at, kWord);
  out(b, v.signature_pointer);
  out(pointers, sizeof(pointers));
  out(b + at_pointer + kWord, v.signature_object - at_pointer - kWord);
  const size_t after = v.signature_object + kSignatureBytes;
  out(b + after, v.bytes.size() - after);
}

}  // namespace

Bytes EnvelopeSignedBytes(const EnvelopeView& v) {
  Bytes out;
  out.reserve(v.bytes.size() - kSignatureBytes);
  SignedPieces(v,
               [&](const uint8_t* data, size_t size) { out.insert(out.end(), data, data + size); });
  return out;
}

Hash EnvelopeHasher::RecordHash(const EnvelopeView& v) {
  static constexpr uint8_t kRecordPrefix = 0x02;
  sha_.Update(ByteView(&kRecordPrefix, 1));
  SignedPieces(v, [this](const uint8_t* data, size_t size) { sha_.Update(ByteView(data, size)); });
  sha_.Update(v.signature);
  return sha_.Finish();
}

Hash EnvelopeHasher::LeafHash(ByteView bytes) {
  static constexpr uint8_t kLeafPrefix = 0x00;
  sha_.Update(ByteView(&kLeafPrefix, 1));
  sha_.Update(bytes);
  return sha_.Finish();
}

Hash EnvelopeHasher::NodeHash(const Hash& left, const Hash& right) {
  uint8_t buf[1 + 2 * 32];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), 32);
  std::memcpy(buf + 33, right.data(), 32);
  sha_.Update(ByteView(buf, sizeof(buf)));
  return sha_.Finish();
}

}  // namespace esms::ledger::internal
