// Ledger::Backup, BackupDirectory and Restore (ledger/backup.cc): backups taken while
// another thread commits are whole commits that verify, a restored ledger takes more
// appends, and the refusals (USAGE, NOT_FOUND, UNAUTHORIZED, LEDGER_LOCKED,
// STORAGE_ERROR) leave nothing half written behind.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/note.h"

namespace esms::ledger {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "esms-backup-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

SigningKey NewKey() { return std::move(SigningKey::Generate()).value(); }

Entry Event(int i) {
  std::string payload = "payload " + std::to_string(i);
  return Entry{"ev-" + std::to_string(i),
               "2024-03-10",
               "stream/" + std::to_string(i % 7),
               std::nullopt,
               "test.event",
               Bytes(payload.begin(), payload.end())};
}

// The names in `dir`, sorted.
std::set<std::string> Names(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename());
  return names;
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Ledger>> created =
        Ledger::Create(dir_, "esms.test/backup", "admin", admin_);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    ledger_ = std::move(created).value();
  }

  // Appends events [first, first + count) in batches of `per_commit`.
  void Append(Ledger& ledger, int first, int count, int per_commit) {
    for (int done = 0; done < count; done += per_commit) {
      std::unique_ptr<Ledger::Batch> batch = ledger.NewBatch();
      for (int i = first + done; i < first + std::min(count, done + per_commit); ++i) {
        ASSERT_TRUE(batch->Add(Event(i), admin_).ok()) << i;
      }
      Status committed = batch->Commit();
      ASSERT_TRUE(committed.ok()) << committed.ToString();
    }
  }

  // Opens `dir` read-only and verifies it in full: its report.
  static Ledger::VerifyReport VerifyAt(const fs::path& dir) {
    Result<std::unique_ptr<Ledger>> opened = Ledger::Open(dir, Ledger::Mode::kReadOnly);
    EXPECT_TRUE(opened.ok()) << dir << ": " << opened.status().ToString();
    if (!opened.ok()) return {};
    Result<Ledger::VerifyReport> report = (*opened)->Verify();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : Ledger::VerifyReport{};
  }

  TempDir tmp_;
  fs::path dir_ = tmp_.path() / "ledger";
  SigningKey admin_ = NewKey();
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(BackupTest, BackupIsALedgerThatVerifiesWithLedgerPubAndNoKey) {
  Append(*ledger_, 0, 30, 10);
  Result<BackupInfo> info = ledger_->Backup(tmp_.path() / "backup");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 31u);
  EXPECT_EQ(info->root, *ledger_->RootAt(31));
  EXPECT_FALSE(info->includes_key);
  EXPECT_GT(info->files, 2u);
  EXPECT_GT(info->bytes, 0u);
  const fs::path backup = tmp_.path() / "backup";
  EXPECT_EQ(ReadText(backup / "ledger.pub"), ledger_->verifier_key() + "\n");
  EXPECT_FALSE(fs::exists(backup / "ledger.key")) << "the ledger key is left out by default";
  EXPECT_FALSE(fs::exists(backup / "LOCK"));
  // The checkpoint in the backup is the one of its tree, signed by the ledger key.
  Result<Note> note = ParseNote(info->checkpoint);
  ASSERT_TRUE(note.ok()) << info->checkpoint;
  NoteVerifier verifier = MakeNoteVerifier(ledger_->origin(), ledger_->ledger_key());
  Result<std::string> text = OpenNote(info->checkpoint, std::span(&verifier, 1));
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(ParseCheckpoint(*text)->size, 31u);

  Ledger::VerifyReport report = VerifyAt(backup);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.size, 31u);
  EXPECT_EQ(report.root, info->root);
  // Only the backup was made beside it: no temporary directory left.
  EXPECT_EQ(Names(tmp_.path()), (std::set<std::string>{"backup", "ledger"}));
}

TEST_F(BackupTest, BackupsTakenWhileAnotherThreadCommitsAreWholeCommitsThatVerify) {
  constexpr int kPerCommit = 25;
  constexpr int kCommits = 60;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    Append(*ledger_, 0, kPerCommit * kCommits, kPerCommit);
    done = true;
  });
  std::vector<std::pair<fs::path, BackupInfo>> backups;
  for (int n = 0; !done || backups.size() < 2; ++n) {
    const fs::path to = tmp_.path() / ("backup-" + std::to_string(n));
    Result<BackupInfo> info = ledger_->Backup(to);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    backups.emplace_back(to, *info);
    if (done && backups.size() >= 2) break;
  }
  writer.join();
  ASSERT_GE(backups.size(), 2u);
  EXPECT_LT(backups.front().second.size, ledger_->size()) << "no backup was taken mid-append";
  uint64_t previous = 0;
  std::set<uint64_t> sizes;
  for (const auto& [path, info] : backups) {
    // Genesis, then whole commits of kPerCommit: never a commit cut in two.
    EXPECT_EQ((info.size - 1) % kPerCommit, 0u) << path << ": size " << info.size;
    EXPECT_GE(info.size, previous) << path;
    previous = info.size;
    sizes.insert(info.size);
    EXPECT_EQ(info.root, *ledger_->RootAt(info.size)) << path << ": a prefix of the ledger";
    Ledger::VerifyReport report = VerifyAt(path);
    EXPECT_TRUE(report.ok) << path << ": " << report.problem;
    EXPECT_EQ(report.size, info.size);
  }
  std::cerr << backups.size() << " backups taken while appending, " << sizes.size()
            << " distinct sizes, last " << previous << " of " << ledger_->size() << "\n";
}

TEST_F(BackupTest, RestoredLedgerIsWritableWithItsKeyAndTakesMoreAppends) {
  Append(*ledger_, 0, 20, 5);
  // The ledger key of a Create()d ledger is dir/ledger.key.
  Result<SigningKey> key = SigningKey::LoadPem(dir_ / kLedgerKeyFile);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto shared_key = std::make_shared<const SigningKey>(std::move(*key));
  ASSERT_TRUE(ledger_->Backup(tmp_.path() / "backup").ok());
  ledger_.reset();

  // Without the key: restored, readable, not writable.
  Result<RestoreInfo> bare = Ledger::Restore(tmp_.path() / "backup", tmp_.path() / "bare");
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_FALSE(bare->writable);
  EXPECT_EQ(bare->size, 21u);
  EXPECT_EQ(bare->origin, "esms.test/backup");
  Result<std::unique_ptr<Ledger>> no_key =
      Ledger::Open(tmp_.path() / "bare", Ledger::Mode::kReadWrite);
  EXPECT_EQ(no_key.status().error_code(), "USAGE") << no_key.status().ToString();

  // With the key given: checked, not copied; writable with it.
  Result<RestoreInfo> restored =
      Ledger::Restore(tmp_.path() / "backup", tmp_.path() / "restored", shared_key);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_TRUE(restored->writable);
  EXPECT_FALSE(restored->key_in_directory);
  EXPECT_FALSE(fs::exists(tmp_.path() / "restored" / kLedgerKeyFile));
  {
    Result<std::unique_ptr<Ledger>> writable =
        Ledger::Open(tmp_.path() / "restored", Ledger::Mode::kReadWrite,
                     {.now_micros = {}, .ledger_key = shared_key});
    ASSERT_TRUE(writable.ok()) << writable.status().ToString();
    Append(**writable, 20, 15, 5);
    EXPECT_EQ((*writable)->size(), 36u);
  }
  Ledger::VerifyReport report = VerifyAt(tmp_.path() / "restored");
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.size, 36u);
  // The backup was copied, not linked: it is as it was.
  EXPECT_EQ(VerifyAt(tmp_.path() / "backup").size, 21u);
}

TEST_F(BackupTest, IncludeKeyCopiesTheKeyWithMode0600AndRestoreUsesIt) {
  Append(*ledger_, 0, 3, 3);
  BackupOptions options;
  options.include_key = true;
  Result<BackupInfo> info = ledger_->Backup(tmp_.path() / "backup", options);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->includes_key);
  struct stat st {};
  ASSERT_EQ(::stat((tmp_.path() / "backup" / kLedgerKeyFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ledger_.reset();
  Result<RestoreInfo> restored = Ledger::Restore(tmp_.path() / "backup", tmp_.path() / "restored");
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_TRUE(restored->key_in_directory);
  EXPECT_TRUE(restored->writable);
  Result<std::unique_ptr<Ledger>> writable =
      Ledger::Open(tmp_.path() / "restored", Ledger::Mode::kReadWrite);
  ASSERT_TRUE(writable.ok()) << writable.status().ToString();
  Append(**writable, 3, 2, 2);
  EXPECT_EQ((*writable)->size(), 6u);
}

TEST_F(BackupTest, RefusalsLeaveNothingBehind) {
  Append(*ledger_, 0, 5, 5);
  // A target that holds something: USAGE, never overwritten.
  const fs::path full = tmp_.path() / "full";
  fs::create_directory(full);
  std::ofstream(full / "keep.txt") << "mine\n";
  Result<BackupInfo> into_full = ledger_->Backup(full);
  EXPECT_EQ(into_full.status().error_code(), "USAGE") << into_full.status().ToString();
  EXPECT_EQ(Names(full), std::set<std::string>{"keep.txt"});
  // An empty directory is fine (replaced by the backup).
  fs::create_directory(tmp_.path() / "empty");
  EXPECT_TRUE(ledger_->Backup(tmp_.path() / "empty").ok());
  // A path under a regular file: an I/O error (STORAGE_ERROR).
  Result<BackupInfo> under_file = ledger_->Backup(full / "keep.txt" / "backup");
  EXPECT_EQ(under_file.status().code(), StatusCode::kIoError) << under_file.status().ToString();

  // The ledger is held by this process: BackupDirectory is told LEDGER_LOCKED.
  Result<BackupInfo> locked = Ledger::BackupDirectory(dir_, tmp_.path() / "b2");
  EXPECT_EQ(locked.status().code(), StatusCode::kUnavailable) << locked.status().ToString();
  // A read-only ledger holds no lock: refused.
  {
    Result<std::unique_ptr<Ledger>> reader = Ledger::Open(dir_, Ledger::Mode::kReadOnly);
    ASSERT_TRUE(reader.ok());
    EXPECT_EQ((*reader)->Backup(tmp_.path() / "b3").status().error_code(), "USAGE");
  }
  // --include-key with the key elsewhere: USAGE.
  ledger_.reset();
  fs::rename(dir_ / kLedgerKeyFile, tmp_.path() / "ledger.key");
  BackupOptions with_key;
  with_key.include_key = true;
  EXPECT_EQ(Ledger::BackupDirectory(dir_, tmp_.path() / "b4", with_key).status().error_code(),
            "USAGE");
  // With nobody holding the ledger, BackupDirectory works without the ledger key.
  Result<BackupInfo> closed = Ledger::BackupDirectory(dir_, tmp_.path() / "b5");
  ASSERT_TRUE(closed.ok()) << closed.status().ToString();
  EXPECT_EQ(closed->size, 6u);

  // Restore: onto a ledger (USAGE), from something that is not one (NOT_FOUND), with
  // another key (UNAUTHORIZED).
  Result<RestoreInfo> onto = Ledger::Restore(tmp_.path() / "b5", dir_);
  EXPECT_EQ(onto.status().error_code(), "USAGE") << onto.status().ToString();
  EXPECT_EQ(Ledger::Restore(full, tmp_.path() / "r1").status().code(), StatusCode::kNotFound);
  auto other = std::make_shared<const SigningKey>(NewKey());
  Result<RestoreInfo> wrong = Ledger::Restore(tmp_.path() / "b5", tmp_.path() / "r2", other);
  EXPECT_EQ(wrong.status().code(), StatusCode::kPermissionDenied) << wrong.status().ToString();
  EXPECT_FALSE(fs::exists(tmp_.path() / "r2"));

  EXPECT_EQ(Names(tmp_.path()),
            (std::set<std::string>{"b5", "empty", "full", "ledger", "ledger.key"}))
      << "no temporary directory is left by a refused backup or restore";
}

}  // namespace
}  // namespace esms::ledger
