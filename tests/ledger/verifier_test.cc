// Ledger::Verify on a ledger of several thousand records (the verifier's pipeline hands
// records over in chunks of 512, so damage lands inside and across chunks), in both
// kinds: full and structural (VerifyOptions{.check_signatures = false}). Each damage
// must be named at the same seq, with the same reason, as the one-thread order of
// docs/format.md §8 gives; the structural verify differs only in not checking record
// signatures.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "ledger/hash.h"
#include "ledger/internal/storage_keys.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/record.h"
#include "tests/testing/raw_db.h"

namespace esms::ledger {
namespace {

namespace fs = std::filesystem;
using esms::testing::RawDb;

Record GetRecord(RawDb& db, uint64_t seq) {
  Result<Record> r = DecodeRecord(AsBytes(db.Record(seq)));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Record{};
}
void PutRecord(RawDb& db, uint64_t seq, const Bytes& bytes) {
  db.PutRecord(seq, std::string(bytes.begin(), bytes.end()));
}

Bytes BytesOf(std::string_view text) { return Bytes(text.begin(), text.end()); }

constexpr uint64_t kRecords = 3001;     // genesis, one key record, 2999 events
constexpr uint64_t kCheckpoint = 2000;  // a checkpoint of that size is kept

class VerifierTest : public ::testing::Test {
 protected:
  // seq 0 genesis (admin), 1 key.enrolled "writer", then events in 7 streams signed by
  // the writer, committed 500 at a time; a checkpoint of size 2000; events up to 3000.
  // Built once for the suite; each test damages its own copy.
  static void SetUpTestSuite() {
    std::string pattern = (fs::temp_directory_path() / "esms-verifier-suite-XXXXXX").string();
    suite_root_ = new fs::path(mkdtemp(pattern.data()));
    const fs::path dir = *suite_root_ / "ledger";
    SigningKey admin = std::move(SigningKey::Generate()).value();
    SigningKey writer = std::move(SigningKey::Generate()).value();
    auto ledger = std::move(Ledger::Create(dir, "esms.test/verifier", "admin", admin)).value();
    ASSERT_TRUE(
        ledger
            ->Append(
                Entry{"k-writer", "2024-03-01", "programme", std::nullopt, "key.enrolled",
                      EncodeKeyEnrolled("writer", writer.public_key(), {"ars-instructor"}, {})},
                admin)
            .ok());
    std::unique_ptr<Ledger::Batch> batch = ledger->NewBatch();
    for (uint64_t seq = 2; seq < kRecords; ++seq) {
      Entry e{"ev-" + std::to_string(seq),
              "2024-03-10",
              "project/P" + std::to_string(seq % 7),
              std::nullopt,
              "test.event",
              BytesOf("payload-" + std::to_string(seq) + std::string(seq % 50, 'x'))};
      Result<Appended> a = batch->Add(e, writer);
      ASSERT_TRUE(a.ok()) << a.status().ToString();
      if (seq % 500 == 0 || seq == kCheckpoint - 1) {
        ASSERT_TRUE(batch->Commit().ok());
      }
      if (seq == kCheckpoint - 1) {
        ASSERT_TRUE(ledger->MakeCheckpoint().ok());
      }
    }
    ASSERT_TRUE(batch->Commit().ok());
    ASSERT_EQ(ledger->size(), kRecords);
    suite_ok_ = true;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    if (suite_root_ != nullptr) fs::remove_all(*suite_root_, ec);
    delete suite_root_;
    suite_root_ = nullptr;
    suite_ok_ = false;
  }
  void SetUp() override {
    ASSERT_TRUE(suite_ok_) << "the suite's ledger could not be built";
    std::string pattern = (fs::temp_directory_path() / "esms-verifier-XXXXXX").string();
    root_ = mkdtemp(pattern.data());
    dir_ = root_ / "ledger";
    fs::copy(*suite_root_ / "ledger", dir_, fs::copy_options::recursive);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  Ledger::VerifyReport Verify(bool check_signatures) {
    Result<std::unique_ptr<Ledger>> ledger = Ledger::Open(dir_, Ledger::Mode::kReadOnly);
    EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
    if (!ledger.ok()) return {};
    Ledger::VerifyOptions options;
    options.check_signatures = check_signatures;
    Result<Ledger::VerifyReport> report = (*ledger)->Verify(options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : Ledger::VerifyReport{};
  }
  static std::string Describe(const Ledger::VerifyReport& report) {
    if (report.ok) return "ok";
    return "first_bad=" + (report.first_bad ? std::to_string(*report.first_bad) : "none") + ": " +
           report.problem;
  }
  // Both kinds of verify give `expected`.
  void ExpectBoth(const std::string& expected) {
    EXPECT_EQ(Describe(Verify(true)), expected) << "full verify";
    EXPECT_EQ(Describe(Verify(false)), expected) << "structural verify";
  }

  // Replaces the last record by `fields` (re-encoded, signature as given) and makes the
  // rest of the ledger agree with it: the tree nodes its leaf completes and the head.
  void ReplaceLastRecord(RawDb& db, const Record& fields) {
    Record r = *EncodeRecord(fields);
    PutRecord(db, r.seq, r.bytes);
    // The tree nodes its leaf completes.
    Hash node = r.leaf_hash;
    uint64_t index = r.seq;
    int level = 0;
    db.Put(storage::kTree, storage::TreeKey(level, index), std::string(node.begin(), node.end()));
    while (index % 2 == 1) {
      std::string left = db.Value(storage::kTree, storage::TreeKey(level, index - 1));
      Hash left_hash;
      ASSERT_EQ(left.size(), left_hash.size());
      std::copy(left.begin(), left.end(), left_hash.begin());
      node = NodeHash(left_hash, node);
      index >>= 1;
      ++level;
      db.Put(storage::kTree, storage::TreeKey(level, index), std::string(node.begin(), node.end()));
    }
    db.Put(storage::kMeta, std::string(storage::kMetaHead), storage::HeadValue(r.seq + 1, r.hash));
  }

  static inline fs::path* suite_root_ = nullptr;
  static inline bool suite_ok_ = false;
  fs::path root_;
  fs::path dir_;
};

TEST_F(VerifierTest, BothKindsAgreeOnASoundLedger) {
  Ledger::VerifyReport full = Verify(true);
  Ledger::VerifyReport structural = Verify(false);
  EXPECT_EQ(Describe(full), "ok");
  EXPECT_EQ(Describe(structural), "ok");
  EXPECT_EQ(full.size, kRecords);
  EXPECT_EQ(structural.size, kRecords);
  EXPECT_EQ(structural.root, full.root);
  Result<std::unique_ptr<Ledger>> ledger = Ledger::Open(dir_, Ledger::Mode::kReadOnly);
  ASSERT_TRUE(ledger.ok());
  EXPECT_EQ(structural.root, *(*ledger)->RootAt(kRecords));
}

// The structural verify proves everything but who signed: a last record re-signed by
// a key that was never enrolled, with the head and the tree made to agree, passes it.
TEST_F(VerifierTest, StructuralVerifyDoesNotCheckSignatures) {
  {
    RawDb db(dir_);
    Record last = GetRecord(db, kRecords - 1);
    Bytes signed_bytes = *SignedBytes(last);
    SigningKey stranger = std::move(SigningKey::Generate()).value();
    last.signature = stranger.Sign(signed_bytes);
    ReplaceLastRecord(db, last);
    // The last commit's checkpoint covers it: without it (a record rewritten after the
    // latest checkpoint), only the signature tells.
    db.Delete(storage::kCheckpoints, storage::SeqKey(kRecords));
  }
  EXPECT_EQ(Describe(Verify(true)),
            "first_bad=3000: seq 3000: signature does not verify with key 'writer' as enrolled "
            "at seq 1");
  Ledger::VerifyReport structural = Verify(false);
  EXPECT_EQ(Describe(structural), "ok");
  EXPECT_EQ(structural.size, kRecords);
}

// A signer that was never enrolled is a key rule, which the structural verify checks.
TEST_F(VerifierTest, UnknownSignerIsCaughtWithoutSignatures) {
  {
    RawDb db(dir_);
    Record last = GetRecord(db, kRecords - 1);
    last.signer = "nobody";
    ReplaceLastRecord(db, last);
  }
  ExpectBoth("first_bad=3000: seq 3000: signer refused: key 'nobody' is not enrolled");
}

TEST_F(VerifierTest, FlippedPayloadByteBreaksTheChainAtTheNextRecord) {
  {
    RawDb db(dir_);
    std::string bytes = db.Value(storage::kRecords, storage::SeqKey(1234));
    size_t at = bytes.find("payload-1234");
    ASSERT_NE(at, std::string::npos);
    bytes[at + 9] ^= 0x01;
    db.Put(storage::kRecords, storage::SeqKey(1234), bytes);
  }
  EXPECT_EQ(Describe(Verify(true)),
            "first_bad=1234: seq 1234: signature does not verify with key 'writer' as enrolled "
            "at seq 1");
  // Without signatures: its leaf no longer matches the stored tree (and the next
  // record's prevHash breaks the chain at 1235).
  Ledger::VerifyReport structural = Verify(false);
  EXPECT_EQ(Describe(structural),
            "first_bad=1234: seq 1234: stored tree node (level 0, index 1234) does not match the "
            "hash recomputed from the records");
}

TEST_F(VerifierTest, FlippedStructureByteIsACorruptRecord) {
  {
    RawDb db(dir_);
    std::string bytes = db.Value(storage::kRecords, storage::SeqKey(700));
    // The signature pointer (the third, after the root pointer and the data words).
    const size_t pointer = (1 + static_cast<uint8_t>(bytes[4]) + 2) * 8;
    ASSERT_EQ(static_cast<uint8_t>(bytes[pointer + 5]), 0x02);  // its size: 64 << 3
    bytes[pointer + 5] = 0x01;
    db.Put(storage::kRecords, storage::SeqKey(700), bytes);
  }
  ExpectBoth("first_bad=700: seq 700: record bytes corrupt: signature has 32 bytes, not 64");
}

// At one seq the prevHash is judged before the stream version (docs/format.md §8).
TEST_F(VerifierTest, PrevHashComesBeforeStreamVersionAtTheSameSeq) {
  {
    RawDb db(dir_);
    Record r = GetRecord(db, 1500);
    r.prev_hash[0] ^= 1;
    r.stream_version += 5;
    PutRecord(db, 1500, EncodeRecord(r)->bytes);
  }
  ExpectBoth("first_bad=1500: seq 1500: prevHash does not match hash of seq 1499");
}

TEST_F(VerifierTest, StreamVersionSkipped) {
  {
    RawDb db(dir_);
    Record r = GetRecord(db, 2600);  // project/P3, after 371 of its records
    ASSERT_EQ(r.stream_version, 371u);
    r.stream_version += 1;
    PutRecord(db, 2600, EncodeRecord(r)->bytes);
  }
  ExpectBoth(
      "first_bad=2600: seq 2600: streamVersion 372 but stream 'project/P3' holds 371 "
      "earlier records");
}

// Two records of one stream exchange their versions, and the streams index is made to
// agree: the index digest matches the records, but its versions no longer follow the
// seqs, so the stream versions are counted record by record and the first named.
TEST_F(VerifierTest, StreamVersionsExchangedWithTheIndex) {
  {
    RawDb db(dir_);
    Record a = GetRecord(db, 1002);  // project/P1, version 142
    Record b = GetRecord(db, 1009);  // project/P1, version 143
    ASSERT_EQ(a.stream, b.stream);
    ASSERT_EQ(a.stream_version + 1, b.stream_version);
    std::swap(a.stream_version, b.stream_version);
    PutRecord(db, a.seq, EncodeRecord(a)->bytes);
    PutRecord(db, b.seq, EncodeRecord(b)->bytes);
    db.Put(storage::kStreams, storage::StreamKey(a.stream, a.stream_version),
           storage::SeqKey(a.seq));
    db.Put(storage::kStreams, storage::StreamKey(b.stream, b.stream_version),
           storage::SeqKey(b.seq));
  }
  ExpectBoth(
      "first_bad=1002: seq 1002: streamVersion 143 but stream 'project/P1' holds 142 "
      "earlier records");
}

TEST_F(VerifierTest, IndexDamageIsNamedAtItsRecord) {
  {
    RawDb db(dir_);
    db.Delete(storage::kEventIds, "ev-2222");
  }
  ExpectBoth("first_bad=2222: seq 2222: event id 'ev-2222' missing from the event_ids index");
}

TEST_F(VerifierTest, StrayAndMisdirectedIndexEntries) {
  uint64_t version = 0;
  {
    RawDb db(dir_);
    db.Put(storage::kEventIds, "ghost", storage::SeqKey(2900));
    Record r = GetRecord(db, 2801);  // a version of project/P1: point its entry at seq 8
    version = r.stream_version;
    db.Put(storage::kStreams, storage::StreamKey(r.stream, r.stream_version), storage::SeqKey(8));
  }
  ExpectBoth(fmt::format(
      "first_bad=2801: seq 2801: stream 'project/P1' version {} is misdirected in the streams "
      "index",
      version));
}

TEST_F(VerifierTest, StrayEventIdEntryAlone) {
  {
    RawDb db(dir_);
    db.Put(storage::kEventIds, "ghost", storage::SeqKey(2900));
  }
  ExpectBoth(
      "first_bad=2900: seq 2900: event_ids entry 'ghost' points to seq 2900, whose event "
      "id is 'ev-2900'");
}

TEST_F(VerifierTest, MalformedIndexValue) {
  {
    RawDb db(dir_);
    db.Put(storage::kStreams, storage::StreamKey("project/P3", 10), "short");  // seq 73
  }
  ExpectBoth(
      "first_bad=73: seq 73: stream 'project/P3' version 10 is misdirected in the "
      "streams index");
}

TEST_F(VerifierTest, TreeNodeAcrossChunks) {
  {
    RawDb db(dir_);
    db.Delete(storage::kTree, storage::TreeKey(10, 1));  // leaves 1024..2047
  }
  ExpectBoth("first_bad=2047: seq 2047: tree node (level 10, index 1) is missing");
}

// The last record under the checkpoint of size 2000 altered: its root no longer is the
// signed one (a record problem at 1999, before the tree's and, in a full verify, on a
// tie with the signature, reported first as in one pass).
TEST_F(VerifierTest, CheckpointRootMismatch) {
  {
    RawDb db(dir_);
    Record r = GetRecord(db, kCheckpoint - 1);
    r.payload.push_back('!');
    PutRecord(db, r.seq, EncodeRecord(r)->bytes);
  }
  for (bool signatures : {true, false}) {
    EXPECT_EQ(Describe(Verify(signatures))
                  .rfind("first_bad=1999: seq 1999: records 0..1999 give "
                         "root ",
                         0),
              0u)
        << Describe(Verify(signatures));
  }
}

TEST_F(VerifierTest, TailRecordsDeleted) {
  {
    RawDb db(dir_);
    db.Delete(storage::kRecords, storage::SeqKey(kRecords - 1));
    db.Delete(storage::kRecords, storage::SeqKey(kRecords - 2));
  }
  ExpectBoth("first_bad=2999: seq 2999: record missing (the meta head records 3001 records)");
}

}  // namespace
}  // namespace esms::ledger
