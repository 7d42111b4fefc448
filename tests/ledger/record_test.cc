#include "ledger/record.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

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
  r.at = "2024-03-10";
  r.event_id = "bzh-2024-0001";
  r.stream = "project/BZH-1";
  r.stream_version = 2;
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
  EXPECT_EQ(decoded->at, "2024-03-10");
  EXPECT_EQ(decoded->event_id, "bzh-2024-0001");
  EXPECT_EQ(decoded->stream, "project/BZH-1");
  EXPECT_EQ(decoded->stream_version, 2u);
  EXPECT_EQ(decoded->type, "project.submitted");
  EXPECT_EQ(decoded->payload, BytesOf("opaque payload bytes"));
  EXPECT_EQ(decoded->signer, "porteur-1");
  EXPECT_EQ(decoded->signature, sealed->signature);
  EXPECT_EQ(decoded->bytes, sealed->bytes);
  EXPECT_EQ(decoded->hash, sealed->hash);
  EXPECT_EQ(decoded->leaf_hash, sealed->leaf_hash);
  EXPECT_EQ(signed_bytes, *SignedBytes(SampleFields()));
}

TEST_F(RecordTest, SignatureCoversTheEnvelopeWithoutSignature) {
  Record sealed = *SealRecord(SampleFields(), key_);
  Bytes signed_bytes = *SignedBytes(sealed);
  EXPECT_TRUE(VerifySignature(key_.public_key(), signed_bytes, sealed.signature));
  EXPECT_NE(signed_bytes, sealed.bytes);
  // Any envelope field changes the signed bytes.
  Record other = SampleFields();
  other.stream_version = 3;
  EXPECT_FALSE(VerifySignature(key_.public_key(), *SignedBytes(other), sealed.signature));
  other = SampleFields();
  other.at = "2024-03-11";
  EXPECT_FALSE(VerifySignature(key_.public_key(), *SignedBytes(other), sealed.signature));
}

TEST_F(RecordTest, HashAndLeafFollowTheSpec) {
  Record sealed = *SealRecord(SampleFields(), key_);
  Bytes preimage = {0x02};
  Bytes signed_bytes = *SignedBytes(sealed);
  preimage.insert(preimage.end(), signed_bytes.begin(), signed_bytes.end());
  preimage.insert(preimage.end(), sealed.signature.begin(), sealed.signature.end());
  EXPECT_EQ(sealed.hash, Sha256(preimage));
  Bytes leaf = {0x00};
  leaf.insert(leaf.end(), sealed.bytes.begin(), sealed.bytes.end());
  EXPECT_EQ(sealed.leaf_hash, Sha256(leaf));
  EXPECT_EQ(sealed.leaf_hash, LeafHash(sealed.bytes));
}

// Freezes the byte form: a change here is a format change (docs/format.md).
TEST_F(RecordTest, GoldenEnvelopeBytes) {
  Record fields;
  fields.seq = 1;
  fields.recorded_at_micros = 2;
  fields.at = "2024-01-31";
  fields.event_id = "e";
  fields.stream = "s";
  fields.stream_version = 3;
  fields.type = "t";
  fields.payload = {0xAA};
  fields.signer = "k";
  fields.signature.fill(0x55);
  Result<Record> encoded = EncodeRecord(fields);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(ToHex(*SignedBytes(fields)),
            "0000000003000800"  // root pointer: struct, 3 data words, 8 pointers
            "0100000000000000"  // seq = 1
            "0200000000000000"  // recordedAt = 2
            "0300000000000000"  // streamVersion = 3
            "1d00000002010000"  // prevHash: bytes, 32, at +7 words
            "2900000012000000"  // eventId: bytes, 2 ("e" NUL), at +10 words
            "2900000012000000"  // stream
            "2900000012000000"  // type
            "290000000a000000"  // payload: 1 byte
            "2900000012000000"  // signer
            "0000000000000000"  // signature: null
            "250000005a000000"  // at: 11 bytes (10 chars + NUL), at +9 words
            "0000000000000000000000000000000000000000000000000000000000000000"
            "6500000000000000"
            "7300000000000000"
            "7400000000000000"
            "aa00000000000000"
            "6b00000000000000"
            "323032342d30312d3331000000000000");
  // With the signature: 8 more words, between signer and at.
  EXPECT_EQ(encoded->bytes.size(), 8u * (23 + 8));
  EXPECT_EQ(ToHex(ByteView(encoded->bytes).subspan(80, 16)), "2900000002020000450000005a000000");
  EXPECT_EQ(ToHex(encoded->hash),
            "6e404bb6620cdc7dd5d7f5adcdeb8290c23b020216290aacee443cddd34d0278");
  EXPECT_EQ(ToHex(encoded->leaf_hash),
            "06e958be8e09932ffa6f6e46cfc1d4c412d152f549346bdae3304223dba6cfa8");
}

// The sealing pipeline splices the signature into the signed bytes instead of encoding
// the envelope again: the bytes must be exactly those of the reference encoding, for
// every shape of envelope (zero fields truncate the canonical data section, empty and
// long texts and payloads move the objects around).
TEST_F(RecordTest, SplicedSealEqualsTheReferenceEncoding) {
  std::vector<Record> variants;
  variants.push_back(SampleFields());
  Record genesis = SampleFields();
  genesis.seq = 0;
  genesis.prev_hash = Hash{};
  genesis.stream_version = 0;
  variants.push_back(genesis);
  Record zeros = genesis;
  zeros.recorded_at_micros = 0;
  variants.push_back(zeros);
  Record empty_payload = SampleFields();
  empty_payload.payload.clear();
  variants.push_back(empty_payload);
  Record big = SampleFields();
  big.payload = Bytes(70000, 0xab);
  big.event_id = std::string(128, 'e');
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
    Record reference_fields = fields;
    reference_fields.signature = sealed->signature;
    Result<Record> reference = EncodeRecord(reference_fields);
    ASSERT_TRUE(reference.ok());
    EXPECT_EQ(sealed->bytes, reference->bytes) << fields.event_id;
    EXPECT_EQ(sealed->hash, reference->hash) << fields.event_id;
    EXPECT_EQ(sealed->leaf_hash, reference->leaf_hash) << fields.event_id;
    EXPECT_TRUE(VerifySignature(key_.public_key(), *SignedBytes(*sealed), sealed->signature));
    Result<Record> decoded = DecodeRecord(sealed->bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(decoded->hash, sealed->hash);
  }
}

// PrepareRecord encodes before the chain link is known; SealPrepared fills it in.
TEST_F(RecordTest, PreparedThenSealedEqualsSealedAtOnce) {
  Record fields = SampleFields();
  Result<PreparedRecord> prepared = PrepareRecord(fields);
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  // The prevHash is zero in the prepared bytes, at the offset given.
  EXPECT_EQ(Bytes(prepared->signed_bytes.begin() + prepared->prev_hash_offset,
                  prepared->signed_bytes.begin() + prepared->prev_hash_offset + 32),
            Bytes(32, 0));
  Record sealed = SealPrepared(*prepared, fields.prev_hash, key_);
  Record at_once = *SealRecord(fields, key_);
  EXPECT_EQ(sealed.bytes, at_once.bytes);  // Ed25519 is deterministic
  EXPECT_EQ(sealed.hash, at_once.hash);
  EXPECT_EQ(sealed.leaf_hash, at_once.leaf_hash);
  EXPECT_EQ(sealed.prev_hash, fields.prev_hash);
  // Without the leaf hash (computed later by the ledger's writer).
  Record no_leaf = SealPrepared(*prepared, fields.prev_hash, key_, /*with_leaf_hash=*/false);
  EXPECT_EQ(no_leaf.bytes, at_once.bytes);
  EXPECT_EQ(no_leaf.leaf_hash, Hash{});
  // Bad fields are refused when preparing.
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
  EXPECT_EQ(decoded.status().message(), "bytes are not the canonical encoding of the envelope");
}

TEST_F(RecordTest, RefusesANonCanonicalLayoutOfTheSameFields) {
  Record sealed = *SealRecord(SampleFields(), key_);
  // The same fields written in another order: a valid message, another byte form.
  capnp::MallocMessageBuilder message;
  auto env = message.initRoot<schema::Envelope>();
  env.setAt(sealed.at);
  env.setSignature(capnp::Data::Reader(sealed.signature.data(), sealed.signature.size()));
  env.setSigner(sealed.signer);
  env.setPayload(capnp::Data::Reader(sealed.payload.data(), sealed.payload.size()));
  env.setType(sealed.type);
  env.setStream(sealed.stream);
  env.setEventId(sealed.event_id);
  env.setPrevHash(capnp::Data::Reader(sealed.prev_hash.data(), sealed.prev_hash.size()));
  env.setSeq(sealed.seq);
  env.setRecordedAt(sealed.recorded_at_micros);
  env.setStreamVersion(sealed.stream_version);
  auto segments = message.getSegmentsForOutput();
  ASSERT_EQ(segments.size(), 1u);
  auto raw = segments[0].asBytes();
  Bytes layout(raw.begin(), raw.end());
  ASSERT_NE(layout, sealed.bytes);
  Result<Record> decoded = DecodeRecord(layout);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "bytes are not the canonical encoding of the envelope");
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
  EXPECT_NE(decoded.status().message().find("malformed envelope"), std::string::npos);
}

TEST_F(RecordTest, RefusesWrongHashAndSignatureSizes) {
  capnp::MallocMessageBuilder message;
  auto env = message.initRoot<schema::Envelope>();
  Bytes short_hash(31, 1);
  env.setPrevHash(capnp::Data::Reader(short_hash.data(), short_hash.size()));
  auto canonical = capnp::canonicalize(env.asReader());
  Bytes bytes(canonical.asBytes().begin(), canonical.asBytes().end());
  Result<Record> decoded = DecodeRecord(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "prevHash has 31 bytes, not 32");

  Bytes hash(32, 1);
  env.setPrevHash(capnp::Data::Reader(hash.data(), hash.size()));
  canonical = capnp::canonicalize(env.asReader());
  bytes.assign(canonical.asBytes().begin(), canonical.asBytes().end());
  decoded = DecodeRecord(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "signature has 0 bytes, not 64");
}

TEST_F(RecordTest, SealRefusesNulInTextAndOversizedPayload) {
  Record fields = SampleFields();
  fields.stream = std::string("a\0b", 3);
  EXPECT_TRUE(SealRecord(fields, key_).status().code() == StatusCode::kInvalidArgument);
  fields = SampleFields();
  fields.payload.assign(kMaxPayloadBytes + 1, 0);
  EXPECT_TRUE(SealRecord(fields, key_).status().code() == StatusCode::kInvalidArgument);
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
