// The verifier's fast canonical-form check (ledger/internal/verifier_envelope.h) against
// the reference one (DecodeRecord re-encodes): whatever the fast check accepts,
// DecodeRecord accepts with the same fields, signed bytes and hashes; the shapes the
// ledger seals are accepted; every byte flipped, every truncation and every appended
// word of a record is refused by one exactly when it is by the other, or left to it.
#include "ledger/internal/verifier_envelope.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ledger/hash.h"
#include "ledger/merkle.h"
#include "ledger/record.h"

namespace esms::ledger::internal {
namespace {

Bytes BytesOf(std::string_view text) { return Bytes(text.begin(), text.end()); }

Record Sample() {
  Record r;
  r.seq = 41;
  r.prev_hash = Sha256(std::string_view("previous"));
  r.recorded_at_micros = 1710000000123456;
  r.origin = "esms.example/ledger";
  r.expected_version = 2;
  r.at = "2024-03-10";
  r.event_id = "bzh-2024-0001";
  r.stream = "project/BZH-1";
  r.stream_version = 2;
  r.type = "project.submitted";
  r.payload = BytesOf("opaque payload bytes, not a multiple of eight");
  r.signer = "porteur-1";
  for (size_t i = 0; i < r.signature.size(); ++i) r.signature[i] = static_cast<uint8_t>(i * 7);
  return r;
}

Record Encoded(const Record& fields) {
  Result<Record> r = EncodeRecord(fields);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Record{};
}

// When the fast check accepts `bytes`, everything it derives agrees with DecodeRecord.
// Returns whether it accepted.
bool AgreesWithDecodeRecord(const Bytes& bytes, const std::string& what) {
  std::optional<EnvelopeView> view = ParseEnvelope(bytes);
  if (!view) return false;
  Bytes signed_bytes;
  Result<Record> decoded = DecodeRecord(bytes, &signed_bytes);
  EXPECT_TRUE(decoded.ok()) << what << ": the fast check accepted what DecodeRecord refuses: "
                            << decoded.status().ToString();
  if (!decoded.ok()) return true;
  const Record& r = *decoded;
  EXPECT_EQ(view->seq, r.seq) << what;
  EXPECT_EQ(view->recorded_at_micros, r.recorded_at_micros) << what;
  EXPECT_EQ(view->stream_version, r.stream_version) << what;
  EXPECT_EQ(Bytes(view->prev_hash.begin(), view->prev_hash.end()),
            Bytes(r.prev_hash.begin(), r.prev_hash.end()))
      << what;
  EXPECT_EQ(view->event_id, r.event_id) << what;
  EXPECT_EQ(view->stream, r.stream) << what;
  EXPECT_EQ(view->type, r.type) << what;
  EXPECT_EQ(Bytes(view->payload.begin(), view->payload.end()), r.payload) << what;
  EXPECT_EQ(view->signer, r.signer) << what;
  EXPECT_EQ(Bytes(view->signature.begin(), view->signature.end()),
            Bytes(r.signature.begin(), r.signature.end()))
      << what;
  EXPECT_EQ(view->at, r.at) << what;
  EXPECT_EQ(view->origin, r.origin) << what;
  EXPECT_EQ(view->expected_version, r.expected_version) << what;
  EXPECT_EQ(Bytes(view->statement.begin(), view->statement.end()), r.statement_bytes) << what;
  EXPECT_EQ(EnvelopeSignedBytes(*view), signed_bytes) << what;
  EnvelopeHasher hasher;
  EXPECT_EQ(hasher.RecordHash(bytes), r.hash) << what;
  EXPECT_EQ(hasher.LeafHash(bytes), r.leaf_hash) << what;
  return true;
}

TEST(VerifierEnvelopeTest, SealedShapesAreAcceptedWithTheSameFieldsAndHashes) {
  std::vector<Record> shapes;
  shapes.push_back(Sample());
  Record genesis = Sample();  // seq 0, streamVersion 0: two data words
  genesis.seq = 0;
  genesis.stream_version = 0;
  genesis.prev_hash = Hash{};
  shapes.push_back(genesis);
  Record only_seq = Sample();  // recordedAt 0 and streamVersion 0: one data word
  only_seq.recorded_at_micros = 0;
  only_seq.stream_version = 0;
  shapes.push_back(only_seq);
  Record negative_time = Sample();
  negative_time.recorded_at_micros = -1;
  shapes.push_back(negative_time);
  Record word_sized = Sample();  // texts and payload ending exactly on a word
  word_sized.event_id = "1234567";
  word_sized.payload = BytesOf("12345678");
  word_sized.type = "";
  shapes.push_back(word_sized);
  Record long_texts = Sample();
  long_texts.stream = std::string(4096, 's');
  long_texts.payload = Bytes(60000, 0xAB);
  shapes.push_back(long_texts);
  Record all_zero_data = genesis;  // no data word in the record
  all_zero_data.recorded_at_micros = 0;
  all_zero_data.expected_version.reset();  // nor in the statement
  shapes.push_back(all_zero_data);
  Record version_zero = genesis;  // expectedVersion 0: two statement data words
  version_zero.expected_version = 0;
  shapes.push_back(version_zero);
  for (size_t i = 0; i < shapes.size(); ++i) {
    Record r = Encoded(shapes[i]);
    EXPECT_TRUE(AgreesWithDecodeRecord(r.bytes, "shape " + std::to_string(i)))
        << "shape " << i << " not accepted";
  }
}

TEST(VerifierEnvelopeTest, OtherCanonicalShapesAreLeftToDecodeRecord) {
  Record empty_payload = Sample();
  empty_payload.payload.clear();
  for (const Record& fields : {empty_payload}) {
    Record r = Encoded(fields);
    ASSERT_TRUE(DecodeRecord(r.bytes).ok());
    EXPECT_FALSE(ParseEnvelope(r.bytes).has_value());
  }
}

TEST(VerifierEnvelopeTest, RefusesWhatDecodeRecordRefuses) {
  Record too_long = Sample();  // DecodeRecord cannot re-encode a text over 4096 chars
  too_long.stream = std::string(4096, 's');
  Bytes bytes = Encoded(too_long).bytes;
  ASSERT_TRUE(ParseEnvelope(bytes).has_value());
  // The stream's NUL terminator made a char: no longer a text.
  std::optional<EnvelopeView> view = ParseEnvelope(bytes);
  size_t nul =
      static_cast<size_t>(reinterpret_cast<const uint8_t*>(view->stream.data()) - bytes.data()) +
      view->stream.size();
  bytes[nul] = 's';
  EXPECT_FALSE(ParseEnvelope(bytes).has_value());
  EXPECT_FALSE(DecodeRecord(bytes).ok());

  // A NUL inside a text: re-encoding refuses it.
  Bytes with_nul = Encoded(Sample()).bytes;
  view = ParseEnvelope(with_nul);
  size_t first = static_cast<size_t>(reinterpret_cast<const uint8_t*>(view->event_id.data()) -
                                     with_nul.data());
  with_nul[first + 1] = 0;
  EXPECT_FALSE(ParseEnvelope(with_nul).has_value());
  EXPECT_FALSE(DecodeRecord(with_nul).ok());
}

// Every single-byte change (three values per byte), every truncation and appended word:
// never accepted by the fast check unless DecodeRecord accepts it too, with the same
// meaning.
TEST(VerifierEnvelopeTest, MutationsNeverFoolTheFastCheck) {
  Record small = Sample();
  small.payload = BytesOf("p");
  small.event_id = "e";
  std::vector<Record> bases = {Encoded(Sample()), Encoded(small)};
  int accepted = 0;
  int refused_by_both = 0;
  for (const Record& base : bases) {
    const Bytes& original = base.bytes;
    for (size_t i = 0; i < original.size(); ++i) {
      for (uint8_t delta : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
        Bytes mutated = original;
        mutated[i] ^= delta;
        const std::string what = "byte " + std::to_string(i) + " ^ " + std::to_string(delta);
        if (AgreesWithDecodeRecord(mutated, what)) {
          ++accepted;  // a change inside a text, the payload, a hash or the data words
        } else if (!DecodeRecord(mutated).ok()) {
          ++refused_by_both;
        }
      }
    }
    for (size_t size = 0; size < original.size(); size += 8) {
      Bytes cut(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(size));
      EXPECT_FALSE(ParseEnvelope(cut).has_value()) << "truncated to " << size;
    }
    Bytes longer = original;
    longer.insert(longer.end(), 8, 0);
    EXPECT_FALSE(ParseEnvelope(longer).has_value());
    EXPECT_FALSE(DecodeRecord(longer).ok());
  }
  EXPECT_GT(accepted, 0);
  EXPECT_GT(refused_by_both, 0);
}

TEST(VerifierEnvelopeTest, NodeHashIsTheMerkleNodeHash) {
  Hash left = Sha256(std::string_view("left"));
  Hash right = Sha256(std::string_view("right"));
  EnvelopeHasher hasher;
  EXPECT_EQ(hasher.NodeHash(left, right), NodeHash(left, right));
  EXPECT_EQ(hasher.LeafHash(BytesOf("leaf")), LeafHash(BytesOf("leaf")));
}

}  // namespace
}  // namespace esms::ledger::internal
