// Where the output goes (issue 18, points 5 and 8): `--out` onto a FIFO, a device node
// or a symbolic link writes through it and never replaces it with a regular file (a
// regular file is still replaced atomically); an error writing standard output is exit
// 4; a program started with its standard streams closed keeps them on /dev/null, so
// that RocksDB's info log never takes fd 1, and says when its output is lost.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/reliability/fixture.h"

namespace esms::testing {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class OutputTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = std::make_unique<KeyedLedger>(dir_.path(),
                                            std::vector<Grant>{{"porteur", {"porteur"}, {}}});
    ASSERT_TRUE(ledger_->ok()) << ledger_->error();
    CliResult submitted = ledger_->Import(
        "porteur",
        Line("sub-a", "project.submitted", "2024-03-10", Submission("a", {Et(1), Et(2)})));
    ASSERT_EQ(submitted.exit_code, 0) << submitted.out << submitted.err;
    CliResult checkpoint = Run({"checkpoint"});  // every commit keeps one
    ASSERT_EQ(checkpoint.exit_code, 0) << checkpoint.out << checkpoint.err;
  }
  // Every command with an --out FILE, writing to `target`.
  std::vector<std::vector<std::string>> Writers(const std::string& target) const {
    return {{"bundle", "a", "--out", target},
            {"report", "active-dui", "--at", "2025-12-31", "--out", target},
            {"prove", "1", "--format", "tlog-proof", "--out", target}};
  }
  CliResult Run(std::vector<std::string> args) const { return ledger_->Run(std::move(args)); }

  TempDir dir_;
  std::unique_ptr<KeyedLedger> ledger_;
};

TEST_F(OutputTargetTest, AFifoIsWrittenThroughNotReplaced) {
  const fs::path fifo = dir_ / "out.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  for (const auto& args : Writers(fifo.string())) {
    SCOPED_TRACE(args[0]);
    int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(reader, 0);
    std::string got;
    std::atomic<bool> cli_done{false};
    std::thread drain([&] {
      ::fcntl(reader, F_SETFL, 0);  // blocking from now on: EOF when the writer closes
      char buf[65536];
      for (;;) {
        ssize_t n = ::read(reader, buf, sizeof buf);
        if (n > 0) {
          got.append(buf, static_cast<size_t>(n));
        } else if (n == 0 && (!got.empty() || cli_done.load())) {
          break;
        } else if (n == 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));  // no writer yet
        } else {
          break;
        }
      }
    });
    CliResult r = Run(args);
    cli_done = true;
    drain.join();
    ::close(reader);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    struct stat st {};
    ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO was replaced";
    EXPECT_FALSE(got.empty()) << "nothing came through the FIFO";
  }
}

TEST_F(OutputTargetTest, ADeviceNodeIsWrittenThroughNotReplaced) {
  if (geteuid() != 0) GTEST_SKIP() << "not root: cannot make a device node";
  const fs::path node = dir_ / "null";
  ASSERT_EQ(::mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);  // as /dev/null
  for (const auto& args : Writers(node.string())) {
    SCOPED_TRACE(args[0]);
    CliResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    struct stat st {};
    ASSERT_EQ(::lstat(node.c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << "the device node was replaced";
  }
  // /dev/full: the write error is reported, exit 4.
  const fs::path full = dir_ / "full";
  ASSERT_EQ(::mknod(full.c_str(), S_IFCHR | 0666, makedev(1, 7)), 0);
  CliResult r = Run({"bundle", "a", "--out", full.string()});
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("STORAGE_ERROR"));
}

TEST_F(OutputTargetTest, ASymlinkStaysASymlinkAndItsTargetIsReplaced) {
  for (const auto& args : Writers((dir_ / "link").string())) {
    SCOPED_TRACE(args[0]);
    const fs::path target = dir_ / "real.txt";
    WriteFile(target, "old");
    std::error_code ec;
    fs::remove(dir_ / "link", ec);
    fs::create_symlink(target, dir_ / "link");
    CliResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(fs::is_symlink(dir_ / "link")) << "the symlink was replaced";
    EXPECT_NE(ReadFile(target), "old");
    EXPECT_FALSE(ReadFile(target).empty());
  }
  // A directory is refused, clearly.
  CliResult r = Run({"bundle", "a", "--out", dir_.path().string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("directory"));
}

TEST_F(OutputTargetTest, ARegularFileIsStillReplacedAtomically) {
  const fs::path file = dir_ / "bundle.json";
  WriteFile(file, "old");
  struct stat before {};
  ASSERT_EQ(::stat(file.c_str(), &before), 0);
  CliResult r = Run({"bundle", "a", "--out", file.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  struct stat after {};
  ASSERT_EQ(::stat(file.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino) << "written in place, not renamed over";
  EXPECT_THAT(ReadFile(file), HasSubstr("\"records\""));
}

// ---- 8. Standard output ----

TEST_F(OutputTargetTest, AnErrorWritingStdoutIsExitFour) {
  auto to_dev_full = [] {
    int fd = ::open("/dev/full", O_WRONLY);
    if (fd < 0) _exit(126);
    ::dup2(fd, 1);
    ::close(fd);
  };
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"log", "--json"}, {"log"}, {"verify", "--json"}, {"state", "a"}, {"rules"}}) {
    std::vector<std::string> full = args;
    full.push_back("--ledger");
    full.push_back(ledger_->ledger());
    CliResult r = RunCli(full, "", to_dev_full);
    EXPECT_EQ(r.exit_code, 4) << ::testing::PrintToString(args) << r.err;
    EXPECT_THAT(r.err, HasSubstr("standard output")) << ::testing::PrintToString(args);
  }
}

TEST_F(OutputTargetTest, ClosedStandardStreamsNeverReachTheLedgerFiles) {
  // stdout closed: the output is lost, which is said on stderr (exit 4), and RocksDB's
  // LOG never gets it.
  CliResult r = RunCli({"log", "--json", "--ledger", ledger_->ledger()}, "", [] { ::close(1); });
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_THAT(r.err, HasSubstr("standard output"));
  for (const auto& entry : fs::directory_iterator(ledger_->ledger())) {
    if (!entry.is_regular_file()) continue;
    EXPECT_THAT(ReadFile(entry.path()), ::testing::Not(HasSubstr("{\"records\":[")))
        << entry.path() << " holds the output";
  }
  // All three closed: the command still runs (and the ledger still verifies).
  CliResult quiet = RunCli({"verify", "--ledger", ledger_->ledger()}, "", [] {
    ::close(0);
    ::close(1);
    ::close(2);
  });
  EXPECT_EQ(quiet.exit_code, 4);
  EXPECT_EQ(Run({"verify"}).exit_code, 0);
}

}  // namespace
}  // namespace esms::testing
