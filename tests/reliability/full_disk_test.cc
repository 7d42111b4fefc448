// A real full disk (issue 18, points 2, 3 and 10): the ledger lives on a small tmpfs
// mounted by the test (root only; skipped with a message otherwise), filled up with a
// file. Every write path, RocksDB's own info log included, must then give exit 4
// STORAGE_ERROR, never an abort: `import`, its end, `checkpoint --key`, a retry, `init`.
// A failed group commit names the first line not written, and exactly the lines
// before it are in the ledger once space returns; a failed `init` leaves nothing
// behind, so that a retry works.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/reliability/fixture.h"

namespace esms::testing {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// A tmpfs of `size` bytes mounted on a fresh directory, unmounted on destruction.
class Tmpfs {
 public:
  explicit Tmpfs(uint64_t size) : path_(dir_.path() / "fs") {
    if (geteuid() != 0) {
      why_not_ = "not root: cannot mount a tmpfs to fill up";
      return;
    }
    fs::create_directories(path_);
    std::string options = "size=" + std::to_string(size) + ",mode=0755";
    if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      why_not_ = std::string("mount tmpfs: ") + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& why_not() const { return why_not_; }
  const fs::path& path() const { return path_; }

  // Writes a filler file until the file system refuses even one byte.
  void Fill() {
    int fd = ::open((path_ / "filler").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    std::string chunk(64 * 1024, 'x');
    for (size_t size : {size_t{64 * 1024}, size_t{4096}, size_t{1}}) {
      while (::write(fd, chunk.data(), size) == static_cast<ssize_t>(size)) {
      }
    }
    ::close(fd);
  }
  // Gives `bytes` back (all of them when 0).
  void Free(uint64_t bytes = 0) {
    fs::path filler = path_ / "filler";
    std::error_code ec;
    uint64_t size = fs::file_size(filler, ec);
    if (ec) return;
    fs::resize_file(filler, bytes == 0 || bytes >= size ? 0 : size - bytes, ec);
  }

 private:
  TempDir dir_;
  fs::path path_;
  bool mounted_ = false;
  std::string why_not_;
};

uint64_t VerifiedSize(const KeyedLedger& l) {
  CliResult v = l.Run({"verify", "--json"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  json j = json::parse(v.out, nullptr, false);
  EXPECT_TRUE(j.is_object() && j["ok"] == true) << v.out;
  return j.is_object() ? j.value("size", uint64_t{0}) : 0;
}

// Every run on the full disk: exit 4 and a STORAGE_ERROR, whole JSON on stdout.
void ExpectStorageError(const CliResult& r, const std::string& what) {
  EXPECT_EQ(r.exit_code, 4) << what << ": " << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("STORAGE_ERROR")) << what << ": " << r.out << r.err;
  EXPECT_FALSE(json::parse(r.out, nullptr, false).is_discarded())
      << what << ": JSON cut off: " << r.out;
}

TEST(FullDiskTest, EveryWritePathGivesExitFourAndNothingAcknowledgedIsLost) {
  Tmpfs disk(16 << 20);
  if (!disk.mounted()) GTEST_SKIP() << disk.why_not();
  KeyedLedger l(disk.path(), {{"national", {"national"}, {}}});
  ASSERT_TRUE(l.ok()) << l.error();
  ASSERT_EQ(l.Import("national", SolutionLines(50)).exit_code, 0);
  const uint64_t before = VerifiedSize(l);

  disk.Fill();
  const std::vector<std::string> import = {
      "import", "-", "--json", "--key", l.KeyFile("national"), "--ledger", l.ledger()};
  for (int attempt = 0; attempt < 3; ++attempt) {  // and again, while the disk stays full
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    ExpectStorageError(RunCli(import, SolutionLines(3000, 50)), "import");
    ExpectStorageError(
        RunCli({"checkpoint", "--json", "--key", l.KeyFile("admin"), "--ledger", l.ledger()}),
        "checkpoint --key");
    // Reads still work on a full disk.
    CliResult state = l.Run({"log", "--json", "--from", std::to_string(before - 1)});
    EXPECT_EQ(state.exit_code, 0) << state.out << state.err;
  }

  disk.Free();
  EXPECT_EQ(VerifiedSize(l), before) << "a refused import appended something";
  CliResult again = RunCli(import, SolutionLines(3000, 50));
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(VerifiedSize(l), before + 3000);
}

// Some group commits fit, then one does not: the refusal names its first line, and
// exactly the lines before it are in the ledger.
TEST(FullDiskTest, AFailedGroupCommitNamesItsFirstLine) {
  Tmpfs disk(24 << 20);
  if (!disk.mounted()) GTEST_SKIP() << disk.why_not();
  KeyedLedger l(disk.path(), {{"national", {"national"}, {}}});
  ASSERT_TRUE(l.ok()) << l.error();
  const uint64_t before = VerifiedSize(l);
  disk.Fill();
  int first = 0;
  bool seen_mid_file = false;
  for (uint64_t room : {uint64_t{1} << 20, uint64_t{3} << 20, uint64_t{6} << 20}) {
    SCOPED_TRACE("room " + std::to_string(room));
    const uint64_t size = VerifiedSize(l);
    disk.Free(room);
    CliResult r =
        RunCli({"import", "-", "--json", "--key", l.KeyFile("national"), "--ledger", l.ledger()},
               SolutionLines(8000, first));
    disk.Free();
    const uint64_t after = VerifiedSize(l);
    first += static_cast<int>(after - size);
    if (r.exit_code == 0) break;
    ExpectStorageError(r, "import");
    json last = KeyedLedger::LastResult(r);
    if (!last.contains("line")) continue;  // refused on opening: no line written
    const uint64_t line = last["line"];
    EXPECT_EQ(after - size, line - 1) << "the refusal names line " << line << " but "
                                      << after - size << " lines were appended: " << last.dump();
    EXPECT_EQ((line - 1) % 1000, 0u) << "not the first line of a group commit: " << last.dump();
    EXPECT_THAT(last["error"]["message"].get<std::string>(), HasSubstr("not written"));
    if (line > 1) seen_mid_file = true;
    disk.Fill();
  }
  EXPECT_TRUE(seen_mid_file) << "no group commit failed after another one succeeded";
  EXPECT_GE(VerifiedSize(l), before);
}

TEST(FullDiskTest, AFailedInitLeavesNothingBehind) {
  Tmpfs disk(8 << 20);
  if (!disk.mounted()) GTEST_SKIP() << disk.why_not();
  const fs::path key = disk.path() / "admin.pem";
  ASSERT_EQ(RunCli({"key", "new", "admin", "--out", key.string()}).exit_code, 0);
  const fs::path fresh = disk.path() / "fresh.db";
  const fs::path empty = disk.path() / "empty.db";
  fs::create_directory(empty);
  disk.Fill();
  for (const fs::path& dir : {fresh, empty}) {
    SCOPED_TRACE(dir.string());
    CliResult r = RunCli({"init", "--json", "--origin", "test.example/full", "--admin-key",
                          key.string(), "--ledger", dir.string()});
    ExpectStorageError(r, "init");
    std::error_code ec;
    if (dir == fresh) {
      EXPECT_FALSE(fs::exists(dir, ec)) << "init left the directory it created";
    } else {
      EXPECT_TRUE(fs::is_directory(dir, ec)) << "init removed a directory it did not create";
      EXPECT_TRUE(fs::is_empty(dir, ec)) << "init left files behind";
    }
  }
  disk.Free();
  for (const fs::path& dir : {fresh, empty}) {
    CliResult r = RunCli({"init", "--origin", "test.example/full", "--admin-key", key.string(),
                          "--ledger", dir.string()});
    EXPECT_EQ(r.exit_code, 0) << "retry after space came back: " << r.out << r.err;
    EXPECT_EQ(RunCli({"verify", "--ledger", dir.string()}).exit_code, 0);
  }
}

}  // namespace
}  // namespace esms::testing
