#include "ledger/internal/verifier_envelope.h"

#include <bit>
#include <cstdlib>
#include <cstring>

namespace esms::ledger::internal {
namespace {

// The layouts (docs/format.md §1): Record 0-3 data words and 3 pointers; Statement 0 or
// 2 data words and 7 pointers.
constexpr size_t kWord = 8;
constexpr uint64_t kRecordDataWords = 3;
constexpr uint64_t kRecordPointers = 3;
enum RecordPointer : int { kPrevHash = 0, kStatement, kSignature };
constexpr uint64_t kStatementPointers = 7;
enum StatementPointer : int { kOrigin = 0, kEventId, kType, kStream, kAt, kPayload, kSigner };
constexpr size_t kPrevHashBytes = 32;
constexpr size_t kSignatureBytes = 64;
constexpr size_t kMaxTextChars = 4096;     // kMaxStatementText
constexpr size_t kMaxPayload = 62 * 1024;  // kMaxPayloadBytes
constexpr size_t kMaxRecord = 65535;       // kMaxRecordBytes
constexpr uint64_t kByteElements = 2;      // list element size code: 1 byte

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

// A canonical struct message whose every pointer is a non-empty byte list, laid out in
// pre-order right after the pointer section, with zero padding and nothing after.
struct Layout {
  uint64_t data_words = 0;
  uint64_t data[3] = {0, 0, 0};
  size_t offsets[8] = {};
  size_t sizes[8] = {};
};
bool ParseByteListStruct(ByteView bytes, uint64_t max_data_words, uint64_t pointers, Layout* out) {
  if (bytes.empty() || bytes.size() % kWord != 0) return false;
  const size_t words = bytes.size() / kWord;
  const uint64_t root = WordAt(bytes, 0);
  // Struct pointer, offset 0: the high half holds the section sizes.
  if ((root & 0xffffffffu) != 0) return false;
  out->data_words = (root >> 32) & 0xffff;
  if (out->data_words > max_data_words || (root >> 48) != pointers) return false;
  const size_t first_pointer = 1 + out->data_words;
  size_t cursor = first_pointer + pointers;  // where the next object must start
  if (cursor > words) return false;
  for (uint64_t i = 0; i < out->data_words; ++i) out->data[i] = WordAt(bytes, 1 + i);
  // Trailing zero data words are truncated: the last one kept is not zero.
  if (out->data_words > 0 && out->data[out->data_words - 1] == 0) return false;
  for (uint64_t i = 0; i < pointers; ++i) {
    const size_t at_word = first_pointer + i;
    const uint64_t pointer = WordAt(bytes, at_word);
    const uint64_t count = pointer >> 35;
    if (count == 0) return false;  // empty lists: another canonical shape
    // A list of bytes starting exactly at the cursor (pre-order, no gap).
    const uint64_t expected_low = ((cursor - at_word - 1) << 2) | 1;
    if ((pointer & 0xffffffffu) != expected_low || ((pointer >> 32) & 7) != kByteElements) {
      return false;
    }
    const size_t object_words = (count + kWord - 1) / kWord;
    if (object_words > words - cursor) return false;
    const uint8_t* object = bytes.data() + cursor * kWord;
    if (!AllZero(object + count, object + object_words * kWord)) return false;  // padding
    out->offsets[i] = cursor * kWord;
    out->sizes[i] = count;
    cursor += object_words;
  }
  return cursor == words;  // no trailing data
}

// A NUL-terminated text of at most kMaxTextChars chars and no other NUL.
bool Text(ByteView bytes, size_t offset, size_t size, std::string_view* out) {
  const size_t chars = size - 1;
  if (chars > kMaxTextChars || bytes[offset + chars] != 0) return false;
  if (std::memchr(bytes.data() + offset, 0, chars) != nullptr) return false;
  *out = TextView(bytes, offset, chars);
  return true;
}

}  // namespace

std::optional<EnvelopeView> ParseEnvelope(ByteView bytes) {
  if (bytes.size() > kMaxRecord) return std::nullopt;
  Layout record;
  if (!ParseByteListStruct(bytes, kRecordDataWords, kRecordPointers, &record)) return std::nullopt;
  if (record.sizes[kPrevHash] != kPrevHashBytes || record.sizes[kSignature] != kSignatureBytes ||
      record.sizes[kStatement] % kWord != 0) {
    return std::nullopt;
  }
  EnvelopeView v;
  v.bytes = bytes;
  v.seq = record.data[0];
  v.recorded_at_micros = static_cast<int64_t>(record.data[1]);
  v.stream_version = record.data[2];
  v.prev_hash = bytes.subspan(record.offsets[kPrevHash], kPrevHashBytes);
  v.statement = bytes.subspan(record.offsets[kStatement], record.sizes[kStatement]);
  v.signature = bytes.subspan(record.offsets[kSignature], kSignatureBytes);

  const ByteView st = v.statement;
  Layout statement;
  if (!ParseByteListStruct(st, 2, kStatementPointers, &statement)) return std::nullopt;
  if (statement.data_words == 2) {
    if (statement.data[1] != 1) return std::nullopt;  // hasExpectedVersion, no other bit
    v.expected_version = statement.data[0];
  } else if (statement.data_words != 0) {
    return std::nullopt;  // an expectedVersion without hasExpectedVersion
  }
  if (statement.sizes[kPayload] > kMaxPayload) return std::nullopt;
  std::string_view* texts[] = {&v.origin, &v.event_id, &v.type, &v.stream, &v.at, &v.signer};
  const int text_pointers[] = {kOrigin, kEventId, kType, kStream, kAt, kSigner};
  for (int t = 0; t < 6; ++t) {
    const int i = text_pointers[t];
    if (!Text(st, statement.offsets[i], statement.sizes[i], texts[t])) return std::nullopt;
  }
  v.payload = st.subspan(statement.offsets[kPayload], statement.sizes[kPayload]);
  return v;
}

Bytes EnvelopeSignedBytes(const EnvelopeView& v) {
  return Bytes(v.statement.begin(), v.statement.end());
}

Hash EnvelopeHasher::RecordHash(ByteView bytes) {
  static constexpr uint8_t kRecordPrefix = 0x02;
  sha_.Update(ByteView(&kRecordPrefix, 1));
  sha_.Update(bytes);
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
