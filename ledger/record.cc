#include "ledger/record.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <utility>

#include "base/kj.h"
#include "ledger/merkle.h"
#include "ledger/record.capnp.h"

namespace esms::ledger {
namespace {

// Cap'n Proto errors become a Status in base/kj.h's adapter (RunCatchingKj): no code in
// ledger/ catches kj::Exception.
using base::KjErrorMeans;
using base::RunCatchingKj;

// Explicit limits (capnp/message.h): a message may not make us traverse more than a
// few times its own size, nor nest deeper than our schemas do.
capnp::ReaderOptions LimitsFor(size_t words) {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = 4 * words + 64;
  options.nestingLimit = 8;
  return options;
}

capnp::Data::Reader DataOf(ByteView bytes) {
  return capnp::Data::Reader(bytes.data(), bytes.size());
}
// `text` must stay alive and be NUL-terminated (std::string is).
capnp::Text::Reader TextOf(const std::string& text) {
  return capnp::Text::Reader(text.data(), text.size());
}
std::string StringOf(capnp::Text::Reader text) { return std::string(text.cStr(), text.size()); }
Bytes BytesOf(capnp::Data::Reader data) { return Bytes(data.begin(), data.end()); }

Bytes BytesOfWords(kj::ArrayPtr<const capnp::word> words) {
  auto bytes = words.asBytes();
  return Bytes(bytes.begin(), bytes.end());
}

// Copies `bytes` into word-aligned memory (storage gives no alignment guarantee).
kj::Array<capnp::word> AlignedCopy(ByteView bytes) {
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  if (!bytes.empty()) std::memcpy(words.begin(), bytes.data(), bytes.size());
  return words;
}

bool HasNul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

Status CheckEnvelopeFields(const Record& r) {
  for (const std::string* text : {&r.at, &r.event_id, &r.stream, &r.type, &r.signer}) {
    if (HasNul(*text)) return Status::BadInput("envelope text fields may not contain NUL");
    if (text->size() > 4096) return Status::BadInput("envelope text field longer than 4096");
  }
  if (r.payload.size() > kMaxPayloadBytes) {
    return Status::BadInput(
        fmt::format("payload of {} bytes exceeds {} bytes", r.payload.size(), kMaxPayloadBytes));
  }
  return Status::OK();
}

// The canonical envelope of `r`, with or without its signature. Fields are checked by
// CheckEnvelopeFields first.
Result<Bytes> EncodeEnvelope(const Record& r, bool with_signature) {
  RETURN_IF_ERROR(CheckEnvelopeFields(r));
  Bytes out;
  size_t estimate_words = 32 + (r.payload.size() + r.event_id.size() + r.stream.size()) / 8;
  RETURN_IF_ERROR(RunCatchingKj(KjErrorMeans::kBadInput, "cannot encode envelope", [&] {
    capnp::MallocMessageBuilder message(static_cast<unsigned>(estimate_words));
    auto env = message.initRoot<schema::Envelope>();
    env.setSeq(r.seq);
    env.setPrevHash(DataOf(r.prev_hash));
    env.setRecordedAt(r.recorded_at_micros);
    env.setEventId(TextOf(r.event_id));
    env.setStream(TextOf(r.stream));
    env.setStreamVersion(r.stream_version);
    env.setType(TextOf(r.type));
    env.setPayload(DataOf(r.payload));
    env.setSigner(TextOf(r.signer));
    if (with_signature) env.setSignature(DataOf(r.signature));
    env.setAt(TextOf(r.at));
    out = BytesOfWords(capnp::canonicalize(env.asReader()));
  }));
  return out;
}

}  // namespace

Result<Bytes> SignedBytes(const Record& fields) { return EncodeEnvelope(fields, false); }

Hash RecordHash(ByteView signed_bytes, const Signature& signature) {
  static constexpr uint8_t kRecordHashPrefix = 0x02;
  Sha256Hasher hasher;
  hasher.Update(ByteView(&kRecordHashPrefix, 1));
  hasher.Update(signed_bytes);
  hasher.Update(ByteView(signature));
  return hasher.Finish();
}

Result<Record> EncodeRecord(Record fields) {
  ASSIGN_OR_RETURN(Bytes signed_bytes, EncodeEnvelope(fields, false));
  ASSIGN_OR_RETURN(fields.bytes, EncodeEnvelope(fields, true));
  fields.hash = RecordHash(signed_bytes, fields.signature);
  fields.leaf_hash = LeafHash(fields.bytes);
  return fields;
}

namespace {

// Cap'n Proto wire pointers (little-endian words): a list pointer is
// [2 bits kind = 1][30 bits signed offset][3 bits element size][29 bits count], a struct
// pointer [2 bits kind = 0][30 bits offset][16 bits data words][16 bits pointers].
uint64_t WordAt(const Bytes& bytes, size_t word) {
  uint64_t w = 0;
  for (int i = 7; i >= 0; --i) w = w << 8 | bytes[word * 8 + static_cast<size_t>(i)];
  return w;
}
void SetWordAt(Bytes& bytes, size_t word, uint64_t w) {
  for (size_t i = 0; i < 8; ++i) bytes[word * 8 + i] = static_cast<uint8_t>(w >> (8 * i));
}
int64_t ListOffset(uint64_t w) {
  return static_cast<int32_t>(static_cast<uint32_t>(w) & ~uint32_t{3}) >> 2;
}
uint64_t ByteListPointer(int64_t offset, uint64_t count) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(offset << 2)) | 1) | (uint64_t{2} << 32) |
         (count << 35);
}

// The canonical envelope's root pointer section: its first word and pointer count.
struct RootLayout {
  size_t pointers_at = 0;  // word index of pointer 0
  size_t pointer_count = 0;
};
bool ReadRoot(const Bytes& bytes, RootLayout* out) {
  if (bytes.size() < 8 || bytes.size() % 8 != 0) return false;
  const uint64_t root = WordAt(bytes, 0);
  if ((root & 0xffffffffu) != 0) return false;  // struct pointer, offset 0
  out->pointers_at = 1 + static_cast<size_t>((root >> 32) & 0xffff);
  out->pointer_count = static_cast<size_t>(root >> 48);
  return (out->pointers_at + out->pointer_count) * 8 <= bytes.size();
}

// The Envelope's pointer slots (record.capnp field order).
constexpr size_t kPrevHashSlot = 0;
constexpr size_t kSignatureSlot = 6;
constexpr size_t kAtSlot = 7;
constexpr size_t kEnvelopePointers = 8;

// Where the 32 prevHash bytes are in canonical envelope bytes, if laid out as expected.
bool PrevHashOffset(const Bytes& bytes, size_t* offset) {
  RootLayout root;
  if (!ReadRoot(bytes, &root) || root.pointer_count != kEnvelopePointers) return false;
  const size_t at = root.pointers_at + kPrevHashSlot;
  const uint64_t p = WordAt(bytes, at);
  if ((p & 3) != 1 || ((p >> 32) & 7) != 2 || (p >> 35) != 32) return false;
  const int64_t target = static_cast<int64_t>(at) + 1 + ListOffset(p);
  if (target < 0 || (static_cast<size_t>(target) + 4) * 8 > bytes.size()) return false;
  *offset = static_cast<size_t>(target) * 8;
  return true;
}

// The record bytes from the canonical signed bytes: canonical order puts each pointer's
// object after the previous ones, so the signature's 8 words go right before the `at`
// text, the last object. False if the layout is not that one (then re-encode).
bool SpliceSignature(const Bytes& signed_bytes, const Signature& signature, Bytes* out) {
  RootLayout root;
  if (!ReadRoot(signed_bytes, &root) || root.pointer_count != kEnvelopePointers) return false;
  const size_t sig_slot = root.pointers_at + kSignatureSlot;
  const size_t at_slot = root.pointers_at + kAtSlot;
  if (WordAt(signed_bytes, sig_slot) != 0) return false;
  const uint64_t at = WordAt(signed_bytes, at_slot);
  if ((at & 3) != 1 || ((at >> 32) & 7) != 2) return false;
  const uint64_t at_bytes = at >> 35;
  const int64_t target = static_cast<int64_t>(at_slot) + 1 + ListOffset(at);
  const size_t words = signed_bytes.size() / 8;
  if (at_bytes == 0 || target <= static_cast<int64_t>(at_slot) ||
      static_cast<size_t>(target) + (at_bytes + 7) / 8 != words) {
    return false;
  }
  const size_t insert = static_cast<size_t>(target);
  out->clear();
  out->reserve(signed_bytes.size() + signature.size());
  out->insert(out->end(), signed_bytes.begin(), signed_bytes.begin() + insert * 8);
  out->insert(out->end(), signature.begin(), signature.end());
  out->insert(out->end(), signed_bytes.begin() + insert * 8, signed_bytes.end());
  SetWordAt(*out, sig_slot,
            ByteListPointer(static_cast<int64_t>(insert) - static_cast<int64_t>(sig_slot) - 1,
                            signature.size()));
  SetWordAt(*out, at_slot, ByteListPointer(ListOffset(at) + 8, at_bytes));
  return true;
}

}  // namespace

Result<PreparedRecord> PrepareRecord(Record fields) {
  fields.prev_hash = Hash{};
  PreparedRecord out;
  ASSIGN_OR_RETURN(out.signed_bytes, EncodeEnvelope(fields, false));
  if (!PrevHashOffset(out.signed_bytes, &out.prev_hash_offset)) {
    return Status::Internal("the encoded envelope does not have the expected layout");
  }
  out.fields = std::move(fields);
  return out;
}

Record SealPrepared(PreparedRecord prepared, const Hash& prev_hash, const SigningKey& key,
                    bool with_leaf_hash) {
  Record& r = prepared.fields;
  r.prev_hash = prev_hash;
  std::copy(prev_hash.begin(), prev_hash.end(),
            prepared.signed_bytes.begin() + static_cast<std::ptrdiff_t>(prepared.prev_hash_offset));
  r.signature = key.Sign(prepared.signed_bytes);
  r.hash = RecordHash(prepared.signed_bytes, r.signature);
  if (!SpliceSignature(prepared.signed_bytes, r.signature, &r.bytes)) {
    // Not reached with the envelopes PrepareRecord makes; kept as the reference path.
    Result<Bytes> encoded = EncodeEnvelope(r, true);
    if (!encoded.ok()) std::abort();  // the same fields encoded without signature just now
    r.bytes = std::move(encoded).value();
  }
  if (with_leaf_hash) r.leaf_hash = LeafHash(r.bytes);
  return std::move(r);
}

Result<Record> SealRecord(Record fields, const SigningKey& key) {
  const Hash prev_hash = fields.prev_hash;
  ASSIGN_OR_RETURN(PreparedRecord prepared, PrepareRecord(std::move(fields)));
  return SealPrepared(std::move(prepared), prev_hash, key);
}

Result<Record> DecodeRecord(ByteView bytes, Bytes* signed_bytes) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0) {
    return Status::DataLoss(
        fmt::format("{} bytes is not a whole number of 8-byte words", bytes.size()));
  }
  if (bytes.size() > kMaxRecordBytes) {
    return Status::DataLoss(fmt::format("{} bytes exceeds the record limit of {} bytes",
                                        bytes.size(), kMaxRecordBytes));
  }
  kj::Array<capnp::word> words = AlignedCopy(bytes);
  Record r;
  size_t prev_hash_size = 0;
  size_t signature_size = 0;
  RETURN_IF_ERROR(RunCatchingKj(KjErrorMeans::kDataLoss, "malformed envelope", [&] {
    kj::ArrayPtr<const capnp::word> segments[1] = {words.asPtr()};
    capnp::SegmentArrayMessageReader message(kj::arrayPtr(segments, 1), LimitsFor(words.size()));
    auto env = message.getRoot<schema::Envelope>();
    r.seq = env.getSeq();
    auto prev_hash = env.getPrevHash();
    prev_hash_size = prev_hash.size();
    if (prev_hash_size == r.prev_hash.size()) {
      std::memcpy(r.prev_hash.data(), prev_hash.begin(), r.prev_hash.size());
    }
    r.recorded_at_micros = env.getRecordedAt();
    r.event_id = StringOf(env.getEventId());
    r.stream = StringOf(env.getStream());
    r.stream_version = env.getStreamVersion();
    r.type = StringOf(env.getType());
    r.payload = BytesOf(env.getPayload());
    r.signer = StringOf(env.getSigner());
    auto signature = env.getSignature();
    signature_size = signature.size();
    if (signature_size == r.signature.size()) {
      std::memcpy(r.signature.data(), signature.begin(), r.signature.size());
    }
    r.at = StringOf(env.getAt());
  }));
  if (prev_hash_size != r.prev_hash.size()) {
    return Status::DataLoss(fmt::format("prevHash has {} bytes, not 32", prev_hash_size));
  }
  if (signature_size != r.signature.size()) {
    return Status::DataLoss(fmt::format("signature has {} bytes, not 64", signature_size));
  }
  // Re-canonicalize: the bytes must be exactly the canonical encoding of their fields
  // (no other layout, no unknown field, no trailing data).
  Result<Bytes> signed_encoding = EncodeEnvelope(r, false);
  if (!signed_encoding.ok()) {
    return Status::DataLoss("envelope fields cannot be re-encoded: " +
                            signed_encoding.status().message());
  }
  Result<Bytes> canonical = EncodeEnvelope(r, true);
  if (!canonical.ok()) {
    return Status::DataLoss("envelope cannot be re-encoded: " + canonical.status().message());
  }
  if (!std::equal(canonical->begin(), canonical->end(), bytes.begin(), bytes.end())) {
    return Status::DataLoss("bytes are not the canonical encoding of the envelope");
  }
  r.bytes = std::move(*canonical);
  r.hash = RecordHash(*signed_encoding, r.signature);
  r.leaf_hash = LeafHash(r.bytes);
  if (signed_bytes != nullptr) *signed_bytes = std::move(*signed_encoding);
  return r;
}

// ---------------------------------------------------------------------------------
// Key records.

namespace {

Result<Bytes> EncodeKeyEnrolledChecked(const KeyEnrolment& k) {
  Bytes out;
  RETURN_IF_ERROR(RunCatchingKj(KjErrorMeans::kBadInput, "cannot encode key.enrolled", [&] {
    capnp::MallocMessageBuilder message(64);
    auto root = message.initRoot<schema::KeyEnrolled>();
    root.setName(TextOf(k.name));
    root.setPublicKey(DataOf(k.public_key));
    auto roles = root.initRoles(static_cast<unsigned>(k.roles.size()));
    for (size_t i = 0; i < k.roles.size(); ++i) roles.set(i, TextOf(k.roles[i]));
    auto regions = root.initRegions(static_cast<unsigned>(k.regions.size()));
    for (size_t i = 0; i < k.regions.size(); ++i) regions.set(i, TextOf(k.regions[i]));
    out = BytesOfWords(capnp::canonicalize(root.asReader()));
  }));
  return out;
}

Result<Bytes> EncodeKeyRevokedChecked(const KeyRevocation& k) {
  Bytes out;
  RETURN_IF_ERROR(RunCatchingKj(KjErrorMeans::kBadInput, "cannot encode key.revoked", [&] {
    capnp::MallocMessageBuilder message(32);
    auto root = message.initRoot<schema::KeyRevoked>();
    root.setName(TextOf(k.name));
    root.setReason(TextOf(k.reason));
    out = BytesOfWords(capnp::canonicalize(root.asReader()));
  }));
  return out;
}

Status CheckPayloadShape(ByteView payload, std::string_view type) {
  if (payload.empty() || payload.size() % sizeof(capnp::word) != 0 ||
      payload.size() > kMaxPayloadBytes) {
    return Status::BadInput(
        fmt::format("{} payload of {} bytes is not a canonical message", type, payload.size()));
  }
  return Status::OK();
}

}  // namespace

Bytes EncodeKeyEnrolled(std::string_view name, const PublicKey& key,
                        const std::vector<std::string>& roles,
                        const std::vector<std::string>& regions) {
  KeyEnrolment k{std::string(name), key, roles, regions};
  Result<Bytes> out = EncodeKeyEnrolledChecked(k);
  return out.ok() ? std::move(out).value() : Bytes{};
}

Bytes EncodeKeyRevoked(std::string_view name, std::string_view reason) {
  Result<Bytes> out = EncodeKeyRevokedChecked({std::string(name), std::string(reason)});
  return out.ok() ? std::move(out).value() : Bytes{};
}

Result<KeyEnrolment> DecodeKeyEnrolled(ByteView payload) {
  RETURN_IF_ERROR(CheckPayloadShape(payload, kKeyEnrolledType));
  kj::Array<capnp::word> words = AlignedCopy(payload);
  KeyEnrolment k;
  size_t key_size = 0;
  RETURN_IF_ERROR(RunCatchingKj(KjErrorMeans::kBadInput, "malformed key.enrolled payload", [&] {
    kj::ArrayPtr<const capnp::word> segments[1] = {words.asPtr()};
    capnp::SegmentArrayMessageReader message(kj::arrayPtr(segments, 1), LimitsFor(words.size()));
    auto root = message.getRoot<schema::KeyEnrolled>();
    k.name = StringOf(root.getName());
    auto key = root.getPublicKey();
    key_size = key.size();
    if (key_size == k.public_key.size()) {
      std::memcpy(k.public_key.data(), key.begin(), k.public_key.size());
    }
    for (auto role : root.getRoles()) k.roles.push_back(StringOf(role));
    for (auto region : root.getRegions()) k.regions.push_back(StringOf(region));
  }));
  if (key_size != k.public_key.size()) {
    return Status::BadInput(fmt::format("key.enrolled publicKey has {} bytes, not 32", key_size));
  }
  ASSIGN_OR_RETURN(Bytes canonical, EncodeKeyEnrolledChecked(k));
  if (!std::equal(canonical.begin(), canonical.end(), payload.begin(), payload.end())) {
    return Status::BadInput("key.enrolled payload is not canonical");
  }
  return k;
}

Result<KeyRevocation> DecodeKeyRevoked(ByteView payload) {
  RETURN_IF_ERROR(CheckPayloadShape(payload, kKeyRevokedType));
  kj::Array<capnp::word> words = AlignedCopy(payload);
  KeyRevocation k;
  RETURN_IF_ERROR(RunCatchingKj(KjErrorMeans::kBadInput, "malformed key.revoked payload", [&] {
    kj::ArrayPtr<const capnp::word> segments[1] = {words.asPtr()};
    capnp::SegmentArrayMessageReader message(kj::arrayPtr(segments, 1), LimitsFor(words.size()));
    auto root = message.getRoot<schema::KeyRevoked>();
    k.name = StringOf(root.getName());
    k.reason = StringOf(root.getReason());
  }));
  ASSIGN_OR_RETURN(Bytes canonical, EncodeKeyRevokedChecked(k));
  if (!std::equal(canonical.begin(), canonical.end(), payload.begin(), payload.end())) {
    return Status::BadInput("key.revoked payload is not canonical");
  }
  return k;
}

namespace {
std::string JsonStringArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ",";
    out += JsonQuote(values[i]);
  }
  return out + "]";
}
}  // namespace

Result<std::string> KeyPayloadToJson(std::string_view type, ByteView payload) {
  if (type == kKeyEnrolledType) {
    ASSIGN_OR_RETURN(KeyEnrolment k, DecodeKeyEnrolled(payload));
    return fmt::format(R"({{"name":{},"publicKey":{},"roles":{},"regions":{}}})", JsonQuote(k.name),
                       JsonQuote(Base64Encode(k.public_key)), JsonStringArray(k.roles),
                       JsonStringArray(k.regions));
  }
  if (type == kKeyRevokedType) {
    ASSIGN_OR_RETURN(KeyRevocation k, DecodeKeyRevoked(payload));
    return fmt::format(R"({{"name":{},"reason":{}}})", JsonQuote(k.name), JsonQuote(k.reason));
  }
  return Status::BadInput(fmt::format("'{}' is not a key record type", type));
}

std::string FormatMicros(int64_t micros) {
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rest);
}

}  // namespace esms::ledger
