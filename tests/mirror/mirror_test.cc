// The mirror against an operator that signs what it publishes: tiles and checkpoints
// made here from a real ledger's records, some of them altered and the tree, the tiles
// and the checkpoint recomputed and signed by the ledger key, so that only the record
// checks (Replica::Append) can catch them: a forged author signature (UNAUTHORIZED), a
// broken chain (CORRUPTION), another history after the copy's head (CONSISTENCY_FAILED).
// Each one leaves the copy as it was.
#include "mirror/mirror.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "ledger/hash.h"
#include "ledger/internal/storage.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/record.h"
#include "ledger/replica.h"
#include "ledger/tiles.h"

namespace esms::mirror {
namespace {

namespace fs = std::filesystem;
using ledger::Bytes;
using ledger::ByteView;
using ledger::Ledger;
using ledger::Record;

constexpr std::string_view kOrigin = "mirror.test/esms";

class MirrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "esms-mirror-test-XXXXXX").string();
    tmp_ = mkdtemp(pattern.data());
    admin_ = std::make_unique<ledger::SigningKey>(*ledger::SigningKey::Generate());
    ledger_key_ = std::make_shared<const ledger::SigningKey>(*ledger::SigningKey::Generate());
    Result<std::unique_ptr<Ledger>> created =
        Ledger::Create(tmp_ / "ledger", kOrigin, "admin", *admin_,
                       {.now_micros = [this] { return now_ += 1000; }, .ledger_key = ledger_key_});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    std::unique_ptr<Ledger> ledger = std::move(created).value();
    std::unique_ptr<Ledger::Batch> batch = ledger->NewBatch();
    for (int i = 1; i < 600; ++i) {
      std::string payload = "event " + std::to_string(i);
      ledger::Entry e{"ev-" + std::to_string(i),
                      "2024-03-10",
                      "project/P" + std::to_string(i % 7),
                      std::nullopt,
                      "test.event",
                      Bytes(payload.begin(), payload.end())};
      ASSERT_TRUE(batch->Add(e, *admin_).ok()) << i;
    }
    ASSERT_TRUE(batch->Commit().ok());
    for (uint64_t seq = 0; seq < ledger->size(); ++seq) records_.push_back(*ledger->Get(seq));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }

  // The tiles of `records` and a checkpoint of them signed by the ledger key, in a new
  // directory: what an operator publishes.
  fs::path Publish(const std::vector<Record>& records, const std::string& name) {
    const fs::path dir = tmp_ / name;
    ledger::MemoryTree tree;
    std::vector<ByteView> entries;
    for (const Record& r : records) {
      tree.Append(ledger::LeafHash(r.bytes));
      entries.emplace_back(r.bytes);
    }
    for (const ledger::Tile& tile : ledger::TilesOfTree(records.size())) {
      Result<Bytes> bytes =
          tile.entries
              ? ledger::EntryBundleBytes(std::span(entries).subspan(tile.first_leaf(), tile.width),
                                         tile.first_leaf())
              : ledger::HashTileBytes(tile, tree);
      EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
      Write(dir / ledger::TilePath(tile), std::string(bytes->begin(), bytes->end()));
    }
    Write(dir / "checkpoint",
          ledger::SignNote(
              ledger::FormatCheckpoint({std::string(kOrigin), records.size(), tree.Root(), {}}),
              kOrigin, *ledger_key_));
    return dir;
  }
  static void Write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }
  // The first `n` records.
  std::vector<Record> First(size_t n) const {
    return std::vector<Record>(records_.begin(), records_.begin() + static_cast<ptrdiff_t>(n));
  }
  // `r` with its fields changed by `change`, encoded again (bytes and hashes).
  static Record Altered(Record r, const std::function<void(Record&)>& change) {
    change(r);
    return *ledger::EncodeRecord(std::move(r));
  }
  // The records from `from` on chained again after an alteration.
  static void Rechain(std::vector<Record>& records, size_t from) {
    for (size_t i = from; i < records.size(); ++i) {
      records[i] = Altered(records[i], [&](Record& r) { r.prev_hash = records[i - 1].hash; });
    }
  }
  Result<MirrorReport> Run(const fs::path& tiles) {
    return Mirror(ledger::DirectoryTileSource(tiles), tmp_ / "copy", log_key());
  }
  ledger::NoteVerifier log_key() const {
    return ledger::MakeNoteVerifier(kOrigin, ledger_key_->public_key());
  }
  uint64_t CopySize() {
    Result<std::unique_ptr<Ledger>> copy = Ledger::Open(tmp_ / "copy", Ledger::Mode::kReadOnly);
    return copy.ok() ? (*copy)->size() : 0;
  }

  fs::path tmp_;
  int64_t now_ = 1'700'000'000'000'000;
  std::unique_ptr<ledger::SigningKey> admin_;
  std::shared_ptr<const ledger::SigningKey> ledger_key_;
  std::vector<Record> records_;
};

TEST_F(MirrorTest, TheHonestTilesGiveACopyThatVerifies) {
  ASSERT_TRUE(Run(Publish(First(300), "t300")).ok());
  Result<MirrorReport> more = Run(Publish(records_, "t600"));
  ASSERT_TRUE(more.ok()) << more.status().ToString();
  EXPECT_EQ(more->old_size, 300u);
  EXPECT_EQ(more->records, 300u);
  Result<std::unique_ptr<Ledger>> copy = Ledger::Open(tmp_ / "copy", Ledger::Mode::kReadOnly);
  ASSERT_TRUE(copy.ok());
  Result<Ledger::VerifyReport> verified = (*copy)->Verify();
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->problem;
  EXPECT_EQ(verified->size, 600u);
  // Refused for writing, even with the ledger key.
  Ledger::Options options;
  options.ledger_key = ledger_key_;
  Result<std::unique_ptr<Ledger>> writable =
      Ledger::Open(tmp_ / "copy", Ledger::Mode::kReadWrite, std::move(options));
  EXPECT_EQ(writable.status().error_code(), "USAGE");
}

TEST_F(MirrorTest, AForgedAuthorSignatureUnderASignedCheckpointIsUnauthorized) {
  ASSERT_TRUE(Run(Publish(First(300), "t300")).ok());
  std::vector<Record> forged = records_;
  forged[450] = Altered(forged[450], [](Record& r) {
    const std::string payload = "event 450, amount changed by the operator";
    r.payload = Bytes(payload.begin(), payload.end());
    r.statement_bytes.clear();  // the author signed another statement
  });
  Rechain(forged, 451);
  Result<MirrorReport> run = Run(Publish(forged, "forged"));
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().error_code(), "UNAUTHORIZED") << run.status().ToString();
  EXPECT_NE(run.status().message().find("seq 450"), std::string::npos) << run.status().ToString();
  EXPECT_EQ(CopySize(), 300u);
}

TEST_F(MirrorTest, ASignerThatIsNotEnrolledIsUnauthorized) {
  ASSERT_TRUE(Run(Publish(First(300), "t300")).ok());
  const ledger::SigningKey intruder = *ledger::SigningKey::Generate();
  std::vector<Record> forged = records_;
  forged[320] = Altered(forged[320], [&](Record& r) {
    r.signer = "intruder";
    r.statement_bytes.clear();
    r.signature = ledger::SignStatement(*ledger::SignedBytes(r), intruder);
  });
  Rechain(forged, 321);
  Result<MirrorReport> run = Run(Publish(forged, "intruder"));
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().error_code(), "UNAUTHORIZED") << run.status().ToString();
  EXPECT_NE(run.status().message().find("seq 320"), std::string::npos) << run.status().ToString();
  EXPECT_EQ(CopySize(), 300u);
}

TEST_F(MirrorTest, ABrokenChainIsCorruptionAndAnotherHistoryAFork) {
  ASSERT_TRUE(Run(Publish(First(300), "t300")).ok());
  // A record whose prevHash is not its predecessor's hash.
  std::vector<Record> broken = records_;
  broken[400] = Altered(broken[400], [](Record& r) { r.prev_hash[0] ^= 1; });
  Rechain(broken, 401);
  Result<MirrorReport> run = Run(Publish(broken, "broken"));
  ASSERT_FALSE(run.ok());
  // DataLoss with no other code: CORRUPTION (the CLI's public code, exit 1).
  EXPECT_EQ(run.status().ToString().rfind("CORRUPTION: ", 0), 0u) << run.status().ToString();
  EXPECT_NE(run.status().message().find("seq 400"), std::string::npos) << run.status().ToString();

  // The records after the copy's head chained to another record 299 than the copy's: the
  // tiles keep the copy's leaves, but the history does not follow the copy's.
  std::vector<Record> other = records_;
  other[300] = Altered(other[300], [](Record& r) { r.prev_hash[5] ^= 1; });
  Rechain(other, 301);
  run = Run(Publish(other, "other"));
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().error_code(), "CONSISTENCY_FAILED") << run.status().ToString();

  // A checkpoint over another first 300 records: a fork, caught from the tiles.
  std::vector<Record> fork = records_;
  fork[10] = Altered(fork[10], [](Record& r) { r.recorded_at_micros += 1; });
  Rechain(fork, 11);
  run = Run(Publish(fork, "fork"));
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().error_code(), "CONSISTENCY_FAILED") << run.status().ToString();
  EXPECT_NE(run.status().message().find("fork"), std::string::npos) << run.status().ToString();
  EXPECT_EQ(CopySize(), 300u);

  // The honest tiles still catch up.
  ASSERT_TRUE(Run(Publish(records_, "t600")).ok());
  EXPECT_EQ(CopySize(), 600u);
}

TEST_F(MirrorTest, AFirstRunStoppedBeforeItsWriteLeavesACopyTheNextRunFills) {
  // What a first run that died between creating the database and its one write leaves:
  // an empty database, no ledger.pub.
  ASSERT_TRUE(
      ledger::internal::Storage::Open(tmp_ / "copy", /*create=*/true, /*read_only=*/false).ok());
  Result<MirrorReport> run = Run(Publish(First(300), "t300"));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(CopySize(), 300u);
  // ledger.pub lost afterwards: written again by the next run.
  fs::remove(tmp_ / "copy" / "ledger.pub");
  ASSERT_TRUE(Run(Publish(records_, "t600")).ok());
  EXPECT_TRUE(fs::exists(tmp_ / "copy" / "ledger.pub"));
  Result<std::unique_ptr<Ledger>> copy = Ledger::Open(tmp_ / "copy", Ledger::Mode::kReadOnly);
  ASSERT_TRUE(copy.ok());
  Result<Ledger::VerifyReport> verified = (*copy)->Verify();
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->problem;
  EXPECT_EQ(verified->size, 600u);
}

}  // namespace
}  // namespace esms::mirror
