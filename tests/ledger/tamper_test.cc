// Tamper tests in the manner of LevelDB's db/log_test.cc: build a small ledger, close
// it, damage its RocksDB directly (same column families), and check that Verify()
// names the exact first bad seq and the reason.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "ledger/hash.h"
#include "ledger/internal/storage.h"
#include "ledger/internal/storage_keys.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/record.h"
#include "tests/testing/raw_db.h"

namespace esms::ledger {
namespace {

namespace fs = std::filesystem;
using esms::testing::RawDb;

std::string StringOf(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }
Bytes BytesOf(std::string_view text) { return Bytes(text.begin(), text.end()); }

class TamperTest : public ::testing::Test {
 protected:
  // seq 0 genesis (admin), 1 key.enrolled ars-bzh, 2 key.enrolled porteur, 3..11 events
  // (even seqs signed by ars-bzh, odd by porteur), then a checkpoint of size 12. Built
  // once for the suite; each test damages its own copy.
  static void SetUpTestSuite() {
    std::string pattern = (fs::temp_directory_path() / "esms-tamper-suite-XXXXXX").string();
    suite_root_ = new fs::path(mkdtemp(pattern.data()));
    SigningKey admin = std::move(SigningKey::Generate()).value();
    SigningKey ars = std::move(SigningKey::Generate()).value();
    porteur_ = new SigningKey(std::move(SigningKey::Generate()).value());
    const SigningKey& porteur = *porteur_;
    auto ledger =
        std::move(Ledger::Create(*suite_root_ / "ledger", "esms.test/tamper", "admin", admin))
            .value();
    ASSERT_TRUE(
        ledger->Append(EnrolEntry("k-ars", "ars-bzh", ars, {"ars-instructor"}), admin).ok());
    ASSERT_TRUE(
        ledger->Append(EnrolEntry("k-porteur", "porteur", porteur, {"porteur"}), admin).ok());
    for (uint64_t seq = 3; seq < 12; ++seq) {
      Entry e{"ev-" + std::to_string(seq),
              "2024-03-10",
              "project/P" + std::to_string(seq % 3),
              std::nullopt,
              "test.event",
              BytesOf("payload-" + std::to_string(seq) + "-abcdefgh")};
      Result<Appended> a = ledger->Append(e, seq % 2 == 0 ? ars : porteur);
      ASSERT_TRUE(a.ok()) << a.status().ToString();
      ASSERT_EQ(a->seq, seq);
    }
    ASSERT_TRUE(ledger->MakeCheckpoint().ok());
    suite_ok_ = true;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    if (suite_root_ != nullptr) fs::remove_all(*suite_root_, ec);
    delete suite_root_;
    suite_root_ = nullptr;
    delete porteur_;
    porteur_ = nullptr;
    suite_ok_ = false;
  }
  void SetUp() override {
    ASSERT_TRUE(suite_ok_) << "the suite's ledger could not be built";
    std::string pattern = (fs::temp_directory_path() / "esms-tamper-XXXXXX").string();
    root_ = mkdtemp(pattern.data());
    dir_ = root_ / "ledger";
    fs::copy(*suite_root_ / "ledger", dir_, fs::copy_options::recursive);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  static Entry EnrolEntry(std::string id, std::string_view name, const SigningKey& key,
                          std::vector<std::string> roles) {
    return Entry{std::move(id),  "2024-03-01",
                 "programme",    std::nullopt,
                 "key.enrolled", EncodeKeyEnrolled(name, key.public_key(), roles, {})};
  }

  Ledger::VerifyReport VerifyLedger() {
    Result<std::unique_ptr<Ledger>> ledger = Ledger::Open(dir_, Ledger::Mode::kReadOnly);
    EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
    if (!ledger.ok()) return {};
    Result<Ledger::VerifyReport> report = (*ledger)->Verify();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : Ledger::VerifyReport{};
  }

  // "first_bad=<seq>: <problem>" so that a failure reads like the bug.
  static std::string Describe(const Ledger::VerifyReport& report) {
    if (report.ok) return "ok";
    return "first_bad=" + (report.first_bad ? std::to_string(*report.first_bad) : "none") + ": " +
           report.problem;
  }

  fs::path root_;
  fs::path dir_;
  static inline fs::path* suite_root_ = nullptr;
  static inline SigningKey* porteur_ = nullptr;  // signs the odd seqs
  static inline bool suite_ok_ = false;
  // Removes the checkpoints of sizes >= `size` (every commit keeps one).
  void DropCheckpointsFrom(uint64_t size) {
    RawDb db(dir_);
    for (uint64_t s = size; s <= 12; ++s) db.Delete(storage::kCheckpoints, storage::SeqKey(s));
  }
};

TEST_F(TamperTest, UntouchedLedgerVerifies) {
  Ledger::VerifyReport report = VerifyLedger();
  EXPECT_EQ(Describe(report), "ok");
  EXPECT_EQ(report.size, 12u);
}

// The ledger writes its tables with LZ4 (ledger/ledger.cc); ledgers whose tables were
// written with RocksDB's default, Snappy, as before that choice, read and verify the
// same.
TEST_F(TamperTest, Lz4TablesAndOlderSnappyTablesBothVerify) {
  if (internal::LedgerColumnFamilyOptions().compression != rocksdb::kLZ4Compression) {
    GTEST_SKIP() << "this RocksDB has no LZ4: the ledger keeps Snappy";
  }
  const Ledger::VerifyReport before = VerifyLedger();
  ASSERT_EQ(Describe(before), "ok");
  {
    RawDb db(dir_, RawDb::Tables::kRocksDbDefaults);  // compacts as RocksDB did by default
    const std::vector<std::string> written = db.TableCompressions(storage::kRecords);
    ASSERT_FALSE(written.empty());
    for (const std::string& name : written) EXPECT_EQ(name, "LZ4");
    db.CompactAll();
    const std::vector<std::string> rewritten = db.TableCompressions(storage::kRecords);
    ASSERT_FALSE(rewritten.empty());
    for (const std::string& name : rewritten) EXPECT_EQ(name, "Snappy");
  }
  const Ledger::VerifyReport after = VerifyLedger();
  EXPECT_EQ(Describe(after), "ok");
  EXPECT_EQ(after.size, before.size);
  EXPECT_EQ(after.root, before.root);
}

TEST_F(TamperTest, FlippedPayloadByte) {
  {
    RawDb db(dir_);
    std::string bytes = db.Record(6);
    size_t at = bytes.find("payload-6-");
    ASSERT_NE(at, std::string::npos);
    bytes[at + 12] ^= 0x01;
    db.PutRecord(6, bytes);
  }
  // Every commit signed a checkpoint: the first covering seq 6 no longer matches.
  EXPECT_THAT(Describe(VerifyLedger()),
              ::testing::StartsWith("first_bad=6: seq 6: records 0..6 give root "));
  // Without the checkpoints after it (dropped too), the author's signature names it.
  DropCheckpointsFrom(7);
  EXPECT_EQ(Describe(VerifyLedger()),
            "first_bad=6: seq 6: signature does not verify with key 'ars-bzh' as enrolled at "
            "seq 1");
}

TEST_F(TamperTest, FlippedStructureByte) {
  {
    RawDb db(dir_);
    std::string bytes = db.Record(6);
    // The signature's list pointer is the record's third pointer, after the root pointer
    // and the data words: (64 << 3) | 2 = 0x0202 in its upper half.
    const size_t pointer = (1 + static_cast<uint8_t>(bytes[4]) + 2) * 8;
    ASSERT_EQ(static_cast<uint8_t>(bytes[pointer + 5]), 0x02);
    bytes[pointer + 5] = 0x01;  // 32 bytes
    db.PutRecord(6, bytes);
  }
  EXPECT_EQ(Describe(VerifyLedger()),
            "first_bad=6: seq 6: record bytes corrupt: signature has 32 bytes, not 64");
}

TEST_F(TamperTest, DeletedRecord) {
  {
    RawDb db(dir_);
    db.Delete(storage::kRecords, storage::SeqKey(4));
  }
  EXPECT_EQ(Describe(VerifyLedger()), "first_bad=4: seq 4: record missing (gap)");
}

TEST_F(TamperTest, SwappedRecords) {
  {
    RawDb db(dir_);
    std::string three = db.Record(3);
    std::string six = db.Record(6);
    db.PutRecord(3, six);
    db.PutRecord(6, three);
  }
  EXPECT_EQ(Describe(VerifyLedger()), "first_bad=3: seq 3: record stored under seq 3 holds seq 6");
}

TEST_F(TamperTest, TruncatedBelowTheLatestCheckpoint) {
  {
    RawDb db(dir_);
    Record seven = *DecodeRecord(AsBytes(db.Record(7)));
    for (uint64_t seq = 8; seq < 12; ++seq) db.Delete(storage::kRecords, storage::SeqKey(seq));
    db.Put(storage::kMeta, std::string(storage::kMetaHead), storage::HeadValue(8, seven.hash));
  }
  EXPECT_EQ(Describe(VerifyLedger()),
            "first_bad=8: seq 8: record missing: the checkpoint of size 12 commits to 12 records "
            "but the ledger has 8 (truncated)");
}

TEST_F(TamperTest, TailDeletedWithoutTouchingTheHead) {
  {
    RawDb db(dir_);
    db.Delete(storage::kRecords, storage::SeqKey(11));
  }
  EXPECT_EQ(Describe(VerifyLedger()),
            "first_bad=11: seq 11: record missing (the meta head records 12 records)");
}

TEST_F(TamperTest, SignatureByAnotherEnrolledKey) {
  {
    RawDb db(dir_);
    Bytes signed_bytes;
    Record six = *DecodeRecord(AsBytes(db.Record(6)), &signed_bytes);
    ASSERT_EQ(six.signer, "ars-bzh");
    six.signature = porteur_->Sign(signed_bytes);  // a valid signature, by porteur
    ASSERT_TRUE(VerifySignature(porteur_->public_key(), signed_bytes, six.signature));
    Record forged = *EncodeRecord(six);
    db.PutRecord(6, StringOf(forged.bytes));
  }
  EXPECT_THAT(Describe(VerifyLedger()),
              ::testing::StartsWith("first_bad=6: seq 6: records 0..6 give root "));
  DropCheckpointsFrom(7);
  EXPECT_EQ(Describe(VerifyLedger()),
            "first_bad=6: seq 6: signature does not verify with key 'ars-bzh' as enrolled at "
            "seq 1");
}

TEST_F(TamperTest, CorruptedTreeNode) {
  {
    RawDb db(dir_);
    std::string node = db.Value(storage::kTree, storage::TreeKey(1, 2));  // leaves 4 and 5
    ASSERT_EQ(node.size(), 32u);
    node[0] ^= 0x80;
    db.Put(storage::kTree, storage::TreeKey(1, 2), node);
  }
  EXPECT_EQ(Describe(VerifyLedger()),
            "first_bad=5: seq 5: stored tree node (level 1, index 2) does not match the hash "
            "recomputed from the records");
}

TEST_F(TamperTest, DeletedTreeNode) {
  {
    RawDb db(dir_);
    db.Delete(storage::kTree, storage::TreeKey(2, 1));  // leaves 4..7
  }
  EXPECT_EQ(Describe(VerifyLedger()),
            "first_bad=7: seq 7: tree node (level 2, index 1) is missing");
}

TEST_F(TamperTest, DeletedEventIdEntry) {
  {
    RawDb db(dir_);
    db.Delete(storage::kEventIds, "ev-7");
  }
  EXPECT_EQ(Describe(VerifyLedger()),
            "first_bad=7: seq 7: event id 'ev-7' missing from the event_ids index");
}

TEST_F(TamperTest, StrayEventIdEntry) {
  {
    RawDb db(dir_);
    db.Put(storage::kEventIds, "ghost", storage::SeqKey(5));
  }
  EXPECT_EQ(Describe(VerifyLedger()),
            "first_bad=5: seq 5: event_ids entry 'ghost' points to seq 5, whose event id is "
            "'ev-5'");
}

TEST_F(TamperTest, MisdirectedStreamEntry) {
  {
    RawDb db(dir_);
    // ev-9 is version 2 of project/P0 (seqs 3, 6, 9): point it at seq 3.
    db.Put(storage::kStreams, storage::StreamKey("project/P0", 2), storage::SeqKey(3));
  }
  EXPECT_EQ(Describe(VerifyLedger()),
            "first_bad=9: seq 9: stream 'project/P0' version 2 is misdirected in the streams "
            "index");
}

TEST_F(TamperTest, ForgedCheckpoint) {
  {
    RawDb db(dir_);
    std::string note = db.Value(storage::kCheckpoints, storage::SeqKey(12));
    note[note.find('\n') + 1] = '9';  // "12" -> "92": the signature no longer matches
    db.Put(storage::kCheckpoints, storage::SeqKey(12), note);
  }
  Ledger::VerifyReport report = VerifyLedger();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad, std::nullopt);
  EXPECT_EQ(report.problem.rfind("checkpoint of size 12: ", 0), 0u) << report.problem;
}

TEST_F(TamperTest, ChecksumErrorInTheRecordsFileNamesTheSeq) {
  fs::path sst;
  {
    RawDb db(dir_);
    sst = db.FlushRecords();
  }
  ASSERT_TRUE(fs::exists(sst)) << sst;
  {
    std::fstream file(sst, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(40);
    char byte = 0;
    file.read(&byte, 1);
    byte ^= 0x20;
    file.seekp(40);
    file.write(&byte, 1);
  }
  Ledger::VerifyReport report = VerifyLedger();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad, std::optional<uint64_t>(0));
  EXPECT_EQ(report.problem.rfind("seq 0: record unreadable: ", 0), 0u) << report.problem;
  EXPECT_NE(report.problem.find("Corruption"), std::string::npos) << report.problem;
}

}  // namespace
}  // namespace esms::ledger
