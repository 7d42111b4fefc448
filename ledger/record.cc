#include "ledger/record.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <utility>

#include "base/kj.h"
#include "ledger/internal/sha256.h"
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

Status CheckStatementFields(const Statement& st) {
  for (const std::string* text :
       {&st.origin, &st.event_id, &st.type, &st.stream, &st.at, &st.signer}) {
    if (HasNul(*text)) return Status::BadInput("statement text fields may not contain NUL");
    if (text->size() > kMaxStatementText) {
      return Status::BadInput(
          fmt::format("statement text field longer than {} chars", kMaxStatementText));
    }
  }
  if (st.payload.size() > kMaxPayloadBytes) {
    return Status::BadInput(
        fmt::format("payload of {} bytes exceeds {} bytes", st.payload.size(), kMaxPayloadBytes));
  }
  return Status::OK();
}

// Fills `builder` from `st` (fields checked by CheckStatementFields first).
void BuildStatement(const Statement& st, schema::Statement::Builder b) {
  b.setOrigin(TextOf(st.origin));
  b.setEventId(TextOf(st.event_id));
  b.setType(TextOf(st.type));
  b.setStream(TextOf(st.stream));
  b.setAt(TextOf(st.at));
  if (st.expected_version) {
    b.setExpectedVersion(*st.expected_version);
    b.setHasExpectedVersion(true);
  }
  b.setPayload(DataOf(st.payload));
  b.setSigner(TextOf(st.signer));
}

void ReadStatement(schema::Statement::Reader r, Statement& st) {
  st.origin = StringOf(r.getOrigin());
  st.event_id = StringOf(r.getEventId());
  st.type = StringOf(r.getType());
  st.stream = StringOf(r.getStream());
  st.at = StringOf(r.getAt());
  st.expected_version.reset();
  if (r.getHasExpectedVersion()) st.expected_version = r.getExpectedVersion();
  st.payload = BytesOf(r.getPayload());
  st.signer = StringOf(r.getSigner());
}

// The canonical record of `r` around `statement_bytes` (r's position and signature).
Result<Bytes> EncodeRecordBytes(const Record& r, ByteView statement_bytes) {
  Bytes out;
  RETURN_IF_ERROR(RunCatchingKj(KjErrorMeans::kBadInput, "cannot encode record", [&] {
    capnp::MallocMessageBuilder message(static_cast<unsigned>(24 + statement_bytes.size() / 8));
    auto rec = message.initRoot<schema::Record>();
    rec.setSeq(r.seq);
    rec.setPrevHash(DataOf(r.prev_hash));
    rec.setRecordedAt(r.recorded_at_micros);
    rec.setStreamVersion(r.stream_version);
    rec.setStatement(DataOf(statement_bytes));
    rec.setSignature(DataOf(r.signature));
    out = BytesOfWords(capnp::canonicalize(rec.asReader()));
  }));
  if (out.size() > kMaxRecordBytes) {
    return Status::BadInput(fmt::format("record of {} bytes exceeds the limit of {} bytes",
                                        out.size(), kMaxRecordBytes));
  }
  return out;
}

// Decodes canonical statement bytes (words must be word-aligned: `words`).
Status DecodeStatementWords(kj::ArrayPtr<const capnp::word> words, Statement& st) {
  return RunCatchingKj(KjErrorMeans::kBadInput, "malformed statement", [&] {
    kj::ArrayPtr<const capnp::word> segments[1] = {words};
    capnp::SegmentArrayMessageReader message(kj::arrayPtr(segments, 1), LimitsFor(words.size()));
    ReadStatement(message.getRoot<schema::Statement>(), st);
  });
}

}  // namespace

Result<Bytes> StatementBytes(const Statement& statement) {
  RETURN_IF_ERROR(CheckStatementFields(statement));
  Bytes out;
  RETURN_IF_ERROR(RunCatchingKj(KjErrorMeans::kBadInput, "cannot encode statement", [&] {
    capnp::MallocMessageBuilder message(
        static_cast<unsigned>(32 + (statement.payload.size() + statement.event_id.size() +
                                    statement.stream.size() + statement.origin.size()) /
                                       8));
    BuildStatement(statement, message.initRoot<schema::Statement>());
    out = BytesOfWords(capnp::canonicalize(message.getRoot<schema::Statement>().asReader()));
  }));
  return out;
}

Result<EncodedStatement> EncodeStatement(Statement statement) {
  EncodedStatement out;
  ASSIGN_OR_RETURN(out.bytes, StatementBytes(statement));
  out.statement = std::move(statement);
  return out;
}

Result<Statement> DecodeStatement(ByteView bytes) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0 || bytes.size() > kMaxRecordBytes) {
    return Status::BadInput(fmt::format("{} bytes are not a statement", bytes.size()));
  }
  kj::Array<capnp::word> words = AlignedCopy(bytes);
  Statement st;
  RETURN_IF_ERROR(DecodeStatementWords(words.asPtr(), st));
  ASSIGN_OR_RETURN(Bytes canonical, StatementBytes(st));
  if (!std::equal(canonical.begin(), canonical.end(), bytes.begin(), bytes.end())) {
    return Status::BadInput("bytes are not the canonical encoding of the statement");
  }
  return st;
}

Signature SignStatement(ByteView statement_bytes, const SigningKey& key) {
  return key.Sign(statement_bytes);
}

bool VerifyStatementSignature(ByteView statement_bytes, const Signature& signature,
                              const PublicKey& key) {
  return VerifySignature(key, statement_bytes, signature);
}

Statement StatementOf(const Record& r) {
  return Statement{r.origin, r.event_id,         r.type,    r.stream,
                   r.at,     r.expected_version, r.payload, r.signer};
}

void SetStatement(Record& r, Statement st) {
  r.origin = std::move(st.origin);
  r.event_id = std::move(st.event_id);
  r.type = std::move(st.type);
  r.stream = std::move(st.stream);
  r.at = std::move(st.at);
  r.expected_version = st.expected_version;
  r.payload = std::move(st.payload);
  r.signer = std::move(st.signer);
}

Status VerifyAuthorSignature(const Record& record, const PublicKey& key) {
  Bytes computed;
  ByteView signed_bytes = record.statement_bytes;
  if (signed_bytes.empty()) {
    ASSIGN_OR_RETURN(computed, StatementBytes(StatementOf(record)));
    signed_bytes = computed;
  }
  if (!VerifySignature(key, signed_bytes, record.signature)) {
    return Status::PermissionDenied(
        fmt::format("the signature of event '{}' does not verify with key '{}'", record.event_id,
                    record.signer));
  }
  return Status::OK();
}

Result<Bytes> SignedBytes(const Record& fields) { return StatementBytes(StatementOf(fields)); }

Hash RecordHash(ByteView record_bytes) {
  static constexpr uint8_t kRecordHashPrefix = 0x02;
  return internal::Sha256Prefixed(kRecordHashPrefix, record_bytes);
}

Result<Record> EncodeRecord(Record fields) {
  ASSIGN_OR_RETURN(fields.statement_bytes, StatementBytes(StatementOf(fields)));
  ASSIGN_OR_RETURN(fields.bytes, EncodeRecordBytes(fields, fields.statement_bytes));
  fields.hash = RecordHash(fields.bytes);
  fields.leaf_hash = LeafHash(fields.bytes);
  return fields;
}

Result<Record> SealRecord(Record fields, const SigningKey& key) {
  ASSIGN_OR_RETURN(fields.statement_bytes, StatementBytes(StatementOf(fields)));
  fields.signature = key.Sign(fields.statement_bytes);
  ASSIGN_OR_RETURN(fields.bytes, EncodeRecordBytes(fields, fields.statement_bytes));
  fields.hash = RecordHash(fields.bytes);
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
int64_t ListOffset(uint64_t w) {
  return static_cast<int32_t>(static_cast<uint32_t>(w) & ~uint32_t{3}) >> 2;
}

// Where the `count` bytes of the byte list of root pointer `slot` are in canonical
// record bytes, if laid out as expected.
bool ByteListOffset(const Bytes& bytes, size_t slot, uint64_t count, size_t* offset) {
  if (bytes.size() < 8 || bytes.size() % 8 != 0) return false;
  const uint64_t root = WordAt(bytes, 0);
  if ((root & 0xffffffffu) != 0) return false;  // struct pointer, offset 0
  const size_t at = 1 + static_cast<size_t>((root >> 32) & 0xffff) + slot;
  if (slot >= (root >> 48) || (at + 1) * 8 > bytes.size()) return false;
  const uint64_t p = WordAt(bytes, at);
  if ((p & 3) != 1 || ((p >> 32) & 7) != 2 || (p >> 35) != count) return false;
  const int64_t target = static_cast<int64_t>(at) + 1 + ListOffset(p);
  if (target < 0 || static_cast<size_t>(target) * 8 + count > bytes.size()) return false;
  *offset = static_cast<size_t>(target) * 8;
  return true;
}

// The Record's pointer slots (record.capnp field order).
constexpr size_t kPrevHashSlot = 0;
constexpr size_t kSignatureSlot = 2;

}  // namespace

Result<PreparedRecord> PrepareRecord(Record fields) {
  fields.prev_hash = Hash{};
  if (fields.statement_bytes.empty()) {
    ASSIGN_OR_RETURN(fields.statement_bytes, StatementBytes(StatementOf(fields)));
  }
  PreparedRecord out;
  ASSIGN_OR_RETURN(fields.bytes, EncodeRecordBytes(fields, fields.statement_bytes));
  if (!ByteListOffset(fields.bytes, kPrevHashSlot, 32, &out.prev_hash_offset) ||
      !ByteListOffset(fields.bytes, kSignatureSlot, 64, &out.signature_offset)) {
    return Status::Internal("the encoded record does not have the expected layout");
  }
  out.fields = std::move(fields);
  return out;
}

void SetPreparedSignature(PreparedRecord& prepared, const Signature& signature) {
  Record& r = prepared.fields;
  r.signature = signature;
  std::copy(signature.begin(), signature.end(),
            r.bytes.begin() + static_cast<std::ptrdiff_t>(prepared.signature_offset));
}

void SignPrepared(PreparedRecord& prepared, const SigningKey& key) {
  SetPreparedSignature(prepared, key.Sign(prepared.fields.statement_bytes));
}

Record SealPrepared(PreparedRecord prepared, const Hash& prev_hash, bool with_leaf_hash) {
  Record& r = prepared.fields;
  r.prev_hash = prev_hash;
  std::copy(prev_hash.begin(), prev_hash.end(),
            r.bytes.begin() + static_cast<std::ptrdiff_t>(prepared.prev_hash_offset));
  r.hash = RecordHash(r.bytes);
  if (with_leaf_hash) r.leaf_hash = LeafHash(r.bytes);
  return std::move(r);
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
  RETURN_IF_ERROR(RunCatchingKj(KjErrorMeans::kDataLoss, "malformed record", [&] {
    kj::ArrayPtr<const capnp::word> segments[1] = {words.asPtr()};
    capnp::SegmentArrayMessageReader message(kj::arrayPtr(segments, 1), LimitsFor(words.size()));
    auto rec = message.getRoot<schema::Record>();
    r.seq = rec.getSeq();
    auto prev_hash = rec.getPrevHash();
    prev_hash_size = prev_hash.size();
    if (prev_hash_size == r.prev_hash.size()) {
      std::memcpy(r.prev_hash.data(), prev_hash.begin(), r.prev_hash.size());
    }
    r.recorded_at_micros = rec.getRecordedAt();
    r.stream_version = rec.getStreamVersion();
    r.statement_bytes = BytesOf(rec.getStatement());
    auto signature = rec.getSignature();
    signature_size = signature.size();
    if (signature_size == r.signature.size()) {
      std::memcpy(r.signature.data(), signature.begin(), r.signature.size());
    }
  }));
  if (prev_hash_size != r.prev_hash.size()) {
    return Status::DataLoss(fmt::format("prevHash has {} bytes, not 32", prev_hash_size));
  }
  if (signature_size != r.signature.size()) {
    return Status::DataLoss(fmt::format("signature has {} bytes, not 64", signature_size));
  }
  Result<Statement> statement = DecodeStatement(r.statement_bytes);
  if (!statement.ok()) {
    return Status::DataLoss("statement: " + statement.status().message());
  }
  SetStatement(r, std::move(statement).value());
  // Re-canonicalize: the bytes must be exactly the canonical encoding of their fields
  // (no other layout, no unknown field, no trailing data).
  Result<Bytes> canonical = EncodeRecordBytes(r, r.statement_bytes);
  if (!canonical.ok()) {
    return Status::DataLoss("record cannot be re-encoded: " + canonical.status().message());
  }
  if (!std::equal(canonical->begin(), canonical->end(), bytes.begin(), bytes.end())) {
    return Status::DataLoss("bytes are not the canonical encoding of the record");
  }
  r.bytes = std::move(*canonical);
  r.hash = RecordHash(r.bytes);
  r.leaf_hash = LeafHash(r.bytes);
  if (signed_bytes != nullptr) *signed_bytes = r.statement_bytes;
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
