#include "ledger/record.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/record.capnp.h"

namespace esms::ledger {
namespace {

Bytes BytesOf(std::string_view text) { return Bytes(text.begin(), text.end()); }

Record SampleFields() {
  Record r;
  r.seq = 7;
  r.prev_hash = Sha256(std::string_view("previous"));
  r.recorded_at_micros = 1710000000123456;
  r.origin = "esms.example/ledger";
  r.at = "2024-03-10";
  r.event_id = "bzh-2024-0001";
  r.stream = "project/BZH-1";
  r.stream_version = 2;
  r.expected_version = 2;
  r.type = "project.submitted";
  r.payload = BytesOf("opaque payload bytes");
  r.signer = "porteur-1";
  return r;
}

class RecordTest : public ::testing::Test {
 protected:
  SigningKey key_ = std::move(SigningKey::Generate()).value();
};

TEST_F(RecordTest, SealedRecordDecodesToTheSameFields) {
  Result<Record> sealed = SealRecord(SampleFields(), key_);
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  Bytes signed_bytes;
  Result<Record> decoded = DecodeRecord(sealed->bytes, &signed_bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->seq, 7u);
  EXPECT_EQ(decoded->prev_hash, sealed->prev_hash);
  EXPECT_EQ(decoded->recorded_at_micros, 1710000000123456);
  EXPECT_EQ(decoded->origin, "esms.example/ledger");
  EXPECT_EQ(decoded->at, "2024-03-10");
  EXPECT_EQ(decoded->event_id, "bzh-2024-0001");
  EXPECT_EQ(decoded->stream, "project/BZH-1");
  EXPECT_EQ(decoded->stream_version, 2u);
  EXPECT_EQ(decoded->expected_version, std::optional<uint64_t>(2));
  EXPECT_EQ(decoded->type, "project.submitted");
  EXPECT_EQ(decoded->payload, BytesOf("opaque payload bytes"));
  EXPECT_EQ(decoded->signer, "porteur-1");
  EXPECT_EQ(decoded->signature, sealed->signature);
  EXPECT_EQ(decoded->bytes, sealed->bytes);
  EXPECT_EQ(decoded->hash, sealed->hash);
  EXPECT_EQ(decoded->leaf_hash, sealed->leaf_hash);
  EXPECT_EQ(signed_bytes, *SignedBytes(SampleFields()));
  EXPECT_EQ(decoded->statement_bytes, signed_bytes);
  // Without an expectedVersion.
  Record fields = SampleFields();
  fields.expected_version.reset();
  decoded = DecodeRecord(SealRecord(fields, key_)->bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_FALSE(decoded->expected_version.has_value());
}

// The statement is position-independent: the signature stays valid wherever the ledger
// puts the record, and breaks when any statement field changes.
TEST_F(RecordTest, SignatureCoversTheStatementNotThePosition) {
  Record sealed = *SealRecord(SampleFields(), key_);
  Bytes signed_bytes = *SignedBytes(sealed);
  EXPECT_TRUE(VerifySignature(key_.public_key(), signed_bytes, sealed.signature));
  EXPECT_TRUE(VerifyAuthorSignature(sealed, key_.public_key()).ok());
  Record moved = sealed;
  moved.seq = 99;
  moved.stream_version = 5;
  moved.prev_hash = Sha256(std::string_view("elsewhere"));
  moved.recorded_at_micros = 1;
  moved.statement_bytes.clear();
  EXPECT_TRUE(VerifyAuthorSignature(moved, key_.public_key()).ok());
  // Any statement field changes the signed bytes.
  auto refused = [&](Record other) {
    other.signature = sealed.signature;
    other.statement_bytes.clear();
    Status status = VerifyAuthorSignature(other, key_.public_key());
    return status.code() == StatusCode::kPermissionDenied;
  };
  Record other = SampleFields();
  other.origin = "another.example/ledger";
  EXPECT_TRUE(refused(other));
  other = SampleFields();
  other.at = "2024-03-11";
  EXPECT_TRUE(refused(other));
  other = SampleFields();
  other.expected_version = 3;
  EXPECT_TRUE(refused(other));
  other = SampleFields();
  other.expected_version.reset();
  EXPECT_TRUE(refused(other));
  other = SampleFields();
  other.signer = "porteur-2";
  EXPECT_TRUE(refused(other));
  other = SampleFields();
  other.payload.back() ^= 1;
  EXPECT_TRUE(refused(other));
  SigningKey stranger = std::move(SigningKey::Generate()).value();
  EXPECT_FALSE(VerifyAuthorSignature(sealed, stranger.public_key()).ok());
}

TEST_F(RecordTest, HashAndLeafCoverTheWholeRecord) {
  Record sealed = *SealRecord(SampleFields(), key_);
  Bytes preimage = {0x02};
  preimage.insert(preimage.end(), sealed.bytes.begin(), sealed.bytes.end());
  EXPECT_EQ(sealed.hash, Sha256(preimage));
  EXPECT_EQ(sealed.hash, RecordHash(sealed.bytes));
  Bytes leaf = {0x00};
  leaf.insert(leaf.end(), sealed.bytes.begin(), sealed.bytes.end());
  EXPECT_EQ(sealed.leaf_hash, Sha256(leaf));
  EXPECT_EQ(sealed.leaf_hash, LeafHash(sealed.bytes));
}

TEST_F(RecordTest, StatementRoundTripAndCanonicalForm) {
  Statement st = StatementOf(SampleFields());
  Result<Bytes> bytes = StatementBytes(st);
  ASSERT_TRUE(bytes.ok());
  Result<Statement> back = DecodeStatement(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, st);
  Bytes longer = *bytes;
  longer.insert(longer.end(), 8, 0);
  EXPECT_EQ(DecodeStatement(longer).status().code(), StatusCode::kInvalidArgument);
  // expectedVersion without hasExpectedVersion: not what the encoder writes.
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::Statement>();
  root.setOrigin("o");
  root.setExpectedVersion(4);
  auto canonical = capnp::canonicalize(root.asReader());
  Bytes odd(canonical.asBytes().begin(), canonical.asBytes().end());
  EXPECT_EQ(DecodeStatement(odd).status().code(), StatusCode::kInvalidArgument);
}

// Freezes the byte form: a change here is a format change (docs/format.md §2, worked
// example: the same bytes).
TEST_F(RecordTest, GoldenStatementAndRecordBytes) {
  Record fields;
  fields.seq = 1;
  fields.recorded_at_micros = 2;
  fields.stream_version = 3;
  fields.origin = "o";
  fields.event_id = "e";
  fields.type = "t";
  fields.stream = "s";
  fields.at = "2024-01-31";
  fields.expected_version = 3;
  fields.payload = {0xAA};
  fields.signer = "k";
  fields.signature.fill(0x55);
  Result<Record> encoded = EncodeRecord(fields);
  ASSERT_TRUE(encoded.ok());
  // The statement's canonical bytes (18 words), also the record's `statement` field.
  const std::string statement_hex =
      "0000000002000700"  // root pointer: struct, offset 0, 2 data words, 7 pointers
      "0300000000000000"  // expectedVersion = 3
      "0100000000000000"  // hasExpectedVersion = true (bit 0)
      "1900000012000000"  // origin: bytes, +6 words, 2 ("o" NUL)
      "1900000012000000"  // eventId: +6 words
      "1900000012000000"  // type
      "1900000012000000"  // stream
      "190000005a000000"  // at: +6 words, 11 bytes ("2024-01-31" NUL)
      "1d0000000a000000"  // payload: +7 words, 1 byte
      "1d00000012000000"  // signer: +7 words, 2 bytes
      "6f00000000000000"  // "o"
      "6500000000000000"  // "e"
      "7400000000000000"  // "t"
      "7300000000000000"  // "s"
      "323032342d30312d3331000000000000"  // "2024-01-31"
      "aa00000000000000"                  // payload
      "6b00000000000000";
  EXPECT_EQ(ToHex(encoded->statement_bytes), statement_hex);
  EXPECT_EQ(ToHex(encoded->bytes),
            "0000000003000300"  // root pointer: struct, offset 0, 3 data words, 3 pointers
            "0100000000000000"  // seq = 1
            "0200000000000000"  // recordedAt = 2
            "0300000000000000"  // streamVersion = 3
            "0900000002010000"  // prevHash: bytes, +2 words, 32
            "1500000082040000"  // statement: bytes, +5 words, 144 (18 words)
            "5900000002020000"  // signature: bytes, +22 words, 64
            "0000000000000000000000000000000000000000000000000000000000000000"  // prevHash
                + statement_hex +  // the statement bytes above, then the signature:
                "55555555555555555555555555555555555555555555555555555555555555555555555555555555"
                "555555555555555555555555555555555555555555555555");
  EXPECT_EQ(ToHex(encoded->hash),
            "d7e9a9b722d157b172af267222c07655cb337cf2e51abb88a366d9a1edfb8e4e");
  EXPECT_EQ(ToHex(encoded->leaf_hash),
            "8e996df4fb1f9fe5e2e663ded6d8def11b87d5c349e6003070ed270830feca46");
}

// The sealing pipeline prepares the record bytes before the chain link is known (and
// may sign after): the bytes must be exactly those of the reference encoding, for every
// shape of record (zero fields truncate the canonical data sections, empty and long
// texts and payloads move the objects around).
TEST_F(RecordTest, PreparedSealEqualsTheReferenceEncoding) {
  std::vector<Record> variants;
  variants.push_back(SampleFields());
  Record genesis = SampleFields();
  genesis.seq = 0;
  genesis.prev_hash = Hash{};
  genesis.stream_version = 0;
  genesis.expected_version.reset();
  variants.push_back(genesis);
  Record zeros = genesis;
  zeros.recorded_at_micros = 0;
  variants.push_back(zeros);
  Record version_zero = genesis;
  version_zero.expected_version = 0;
  variants.push_back(version_zero);
  Record empty_payload = SampleFields();
  empty_payload.payload.clear();
  variants.push_back(empty_payload);
  Record big = SampleFields();
  big.payload = Bytes(kMaxPayloadBytes, 0xab);
  big.origin = std::string(256, 'o');
  big.event_id = std::string(128, 'e');
  big.type = std::string(128, 't');
  big.stream = std::string(256, 's');
  big.signer = std::string(64, 'k');
  variants.push_back(big);
  for (size_t n = 0; n < 17; ++n) {  // every padding of the texts and the payload
    Record r = SampleFields();
    r.seq = 1000 + n;
    r.stream_version = n;
    r.event_id = "id-" + std::string(n, 'x');
    r.stream = "s/" + std::string(16 - n, 'y');
    r.signer = std::string(1 + n % 5, 'z');
    r.payload = Bytes(n * 3, static_cast<uint8_t>(n));
    variants.push_back(r);
  }
  for (const Record& fields : variants) {
    Result<Record> sealed = SealRecord(fields, key_);
    ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
    EXPECT_LE(sealed->bytes.size(), kMaxRecordBytes);
    Record reference_fields = fields;
    reference_fields.signature = sealed->signature;
    Result<Record> reference = EncodeRecord(reference_fields);
    ASSERT_TRUE(reference.ok());
    EXPECT_EQ(sealed->bytes, reference->bytes) << fields.event_id;
    EXPECT_EQ(sealed->hash, reference->hash) << fields.event_id;
    EXPECT_EQ(sealed->leaf_hash, reference->leaf_hash) << fields.event_id;
    // Prepared unsigned, signed, then sealed: the same bytes.
    Result<PreparedRecord> prepared = PrepareRecord(fields);
    ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
    EXPECT_EQ(Bytes(prepared->fields.bytes.begin() + prepared->prev_hash_offset,
                    prepared->fields.bytes.begin() + prepared->prev_hash_offset + 32),
              Bytes(32, 0));
    SignPrepared(*prepared, key_);
    Record staged = SealPrepared(*prepared, fields.prev_hash, /*with_leaf_hash=*/false);
    EXPECT_EQ(staged.bytes, reference->bytes) << fields.event_id;
    EXPECT_EQ(staged.hash, reference->hash) << fields.event_id;
    EXPECT_EQ(staged.leaf_hash, Hash{});
    EXPECT_TRUE(VerifySignature(key_.public_key(), *SignedBytes(*sealed), sealed->signature));
    Result<Record> decoded = DecodeRecord(sealed->bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(decoded->hash, sealed->hash);
  }
}

TEST_F(RecordTest, PrepareRefusesBadFields) {
  Record fields = SampleFields();
  fields.event_id = std::string("a\0b", 3);
  EXPECT_TRUE(PrepareRecord(fields).status().code() == StatusCode::kInvalidArgument);
}

TEST_F(RecordTest, RefusesBytesThatAreNotWholeWords) {
  Record sealed = *SealRecord(SampleFields(), key_);
  Bytes cut(sealed.bytes.begin(), sealed.bytes.end() - 3);
  Result<Record> decoded = DecodeRecord(cut);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(decoded.status().message().find("whole number of 8-byte words"), std::string::npos);
  EXPECT_FALSE(DecodeRecord(Bytes{}).ok());
}

TEST_F(RecordTest, RefusesTrailingWords) {
  Record sealed = *SealRecord(SampleFields(), key_);
  Bytes longer = sealed.bytes;
  longer.insert(longer.end(), 8, 0);
  Result<Record> decoded = DecodeRecord(longer);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(decoded.status().message(), "bytes are not the canonical encoding of the record");
}

TEST_F(RecordTest, RefusesANonCanonicalLayoutOfTheSameFields) {
  Record sealed = *SealRecord(SampleFields(), key_);
  // The same fields written in another order: a valid message, another byte form.
  capnp::MallocMessageBuilder message;
  auto rec = message.initRoot<schema::Record>();
  rec.setSignature(capnp::Data::Reader(sealed.signature.data(), sealed.signature.size()));
  rec.setStatement(
      capnp::Data::Reader(sealed.statement_bytes.data(), sealed.statement_bytes.size()));
  rec.setPrevHash(capnp::Data::Reader(sealed.prev_hash.data(), sealed.prev_hash.size()));
  rec.setSeq(sealed.seq);
  rec.setRecordedAt(sealed.recorded_at_micros);
  rec.setStreamVersion(sealed.stream_version);
  auto segments = message.getSegmentsForOutput();
  ASSERT_EQ(segments.size(), 1u);
  auto raw = segments[0].asBytes();
  Bytes layout(raw.begin(), raw.end());
  ASSERT_NE(layout, sealed.bytes);
  Result<Record> decoded = DecodeRecord(layout);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "bytes are not the canonical encoding of the record");
}

TEST_F(RecordTest, RefusesANonCanonicalStatement) {
  Record sealed = *SealRecord(SampleFields(), key_);
  // The statement with a trailing word, wrapped canonically: the record is refused.
  Bytes statement = sealed.statement_bytes;
  statement.insert(statement.end(), 8, 0);
  capnp::MallocMessageBuilder message;
  auto rec = message.initRoot<schema::Record>();
  rec.setSeq(sealed.seq);
  rec.setPrevHash(capnp::Data::Reader(sealed.prev_hash.data(), sealed.prev_hash.size()));
  rec.setRecordedAt(sealed.recorded_at_micros);
  rec.setStreamVersion(sealed.stream_version);
  rec.setStatement(capnp::Data::Reader(statement.data(), statement.size()));
  rec.setSignature(capnp::Data::Reader(sealed.signature.data(), sealed.signature.size()));
  auto canonical = capnp::canonicalize(rec.asReader());
  Bytes bytes(canonical.asBytes().begin(), canonical.asBytes().end());
  Result<Record> decoded = DecodeRecord(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(decoded.status().message(),
            "statement: bytes are not the canonical encoding of the statement");
}

TEST_F(RecordTest, GarbageIsDataLossNotAnException) {
  Bytes garbage(64);
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<uint8_t>(i * 37 + 11);
  Result<Record> decoded = DecodeRecord(garbage);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kDataLoss);
  // A far pointer that leaves the single segment.
  Bytes far = {0x02, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  decoded = DecodeRecord(far);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(decoded.status().message().find("malformed record"), std::string::npos);
}

TEST_F(RecordTest, RefusesWrongHashAndSignatureSizes) {
  capnp::MallocMessageBuilder message;
  auto rec = message.initRoot<schema::Record>();
  Bytes short_hash(31, 1);
  rec.setPrevHash(capnp::Data::Reader(short_hash.data(), short_hash.size()));
  auto canonical = capnp::canonicalize(rec.asReader());
  Bytes bytes(canonical.asBytes().begin(), canonical.asBytes().end());
  Result<Record> decoded = DecodeRecord(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "prevHash has 31 bytes, not 32");

  Bytes hash(32, 1);
  rec.setPrevHash(capnp::Data::Reader(hash.data(), hash.size()));
  canonical = capnp::canonicalize(rec.asReader());
  bytes.assign(canonical.asBytes().begin(), canonical.asBytes().end());
  decoded = DecodeRecord(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "signature has 0 bytes, not 64");
}

TEST_F(RecordTest, SealRefusesNulInTextAndOversizedPayloadOrRecord) {
  Record fields = SampleFields();
  fields.stream = std::string("a\0b", 3);
  EXPECT_TRUE(SealRecord(fields, key_).status().code() == StatusCode::kInvalidArgument);
  fields = SampleFields();
  fields.payload.assign(kMaxPayloadBytes + 1, 0);
  EXPECT_TRUE(SealRecord(fields, key_).status().code() == StatusCode::kInvalidArgument);
  // Texts within their own limit, but a record over 65 535 bytes: refused.
  fields = SampleFields();
  fields.payload.assign(kMaxPayloadBytes, 0);
  fields.origin = std::string(kMaxStatementText, 'o');
  Result<Record> sealed = SealRecord(fields, key_);
  ASSERT_FALSE(sealed.ok());
  EXPECT_EQ(sealed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(sealed.status().message().find("exceeds the limit of 65535 bytes"), std::string::npos)
      << sealed.status().message();
}

TEST_F(RecordTest, KeyEnrolledRoundTripAndJson) {
  PublicKey pub = key_.public_key();
  Bytes payload = EncodeKeyEnrolled("ars-bzh", pub, {"ars-instructor", "ars-payer"}, {"53"});
  Result<KeyEnrolment> k = DecodeKeyEnrolled(payload);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->name, "ars-bzh");
  EXPECT_EQ(k->public_key, pub);
  EXPECT_EQ(k->roles, (std::vector<std::string>{"ars-instructor", "ars-payer"}));
  EXPECT_EQ(k->regions, (std::vector<std::string>{"53"}));
  Result<std::string> json = KeyPayloadToJson(kKeyEnrolledType, payload);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, R"({"name":"ars-bzh","publicKey":")" + Base64Encode(pub) +
                       R"(","roles":["ars-instructor","ars-payer"],"regions":["53"]})");
}

TEST_F(RecordTest, KeyRevokedRoundTripAndJsonEscaping) {
  Bytes payload = EncodeKeyRevoked("ars-bzh", "lost \"laptop\"\\\n\x01");
  Result<KeyRevocation> k = DecodeKeyRevoked(payload);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->name, "ars-bzh");
  Result<std::string> json = KeyPayloadToJson(kKeyRevokedType, payload);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, R"({"name":"ars-bzh","reason":"lost \"laptop\"\\\n\u0001"})");
}

TEST_F(RecordTest, KeyPayloadErrorsAreBadInput) {
  EXPECT_TRUE(KeyPayloadToJson("project.submitted", EncodeKeyRevoked("a", "b")).status().code() ==
              StatusCode::kInvalidArgument);
  EXPECT_TRUE(DecodeKeyEnrolled(Bytes{1, 2, 3}).status().code() == StatusCode::kInvalidArgument);
  // A 31-byte public key.
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::KeyEnrolled>();
  root.setName("x");
  Bytes short_key(31, 7);
  root.setPublicKey(capnp::Data::Reader(short_key.data(), short_key.size()));
  auto canonical = capnp::canonicalize(root.asReader());
  Bytes payload(canonical.asBytes().begin(), canonical.asBytes().end());
  Result<KeyEnrolment> k = DecodeKeyEnrolled(payload);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().message(), "key.enrolled publicKey has 31 bytes, not 32");
}

}  // namespace
}  // namespace esms::ledger
