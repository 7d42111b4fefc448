// Readers while a writer works: `verify`, `log`, `state`, `report active-dui` run again and again
// while a large import is under way; each sees a consistent prefix of the ledger (verify ok, log
// contiguous from seq 0 and ending at the size verify saw or later, sizes never going back, the
// project's state unchanged) and none fails. Two writers: the second is told at once that the
// ledger is locked (exit 4, LEDGER_LOCKED).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/reliability/fixture.h"

namespace esms::testing {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// A reader, as the real program in its own process: these tests are about processes
// sharing a ledger.
CliResult Read(const KeyedLedger& l, std::vector<std::string> args) {
  args.push_back("--ledger");
  args.push_back(l.ledger());
  return RunProgram(args);
}

bool Running(pid_t pid) {
  int status = 0;
  return waitpid(pid, &status, WNOHANG) == 0;
}

TEST(ConcurrencyTest, ReadersSeeAConsistentPrefixWhileAnImportRuns) {
  TempDir dir;
  KeyedLedger l(dir.path(), {{"national", {"national"}, {}}, {"porteur", {"porteur"}, {}}});
  ASSERT_TRUE(l.ok()) << l.error();
  CliResult submitted = l.Import(
      "porteur", Line("sub-a", "project.submitted", "2024-03-10", Submission("a", {Et(1), Et(2)})));
  ASSERT_EQ(submitted.exit_code, 0) << submitted.out << submitted.err;
  CliResult measured = l.Import(
      "porteur", Line("m-1", "indicator.measured", "2025-10-01", Measurement(Et(1), 100, 95)));
  ASSERT_EQ(measured.exit_code, 0) << measured.out << measured.err;
  CliResult state_before = Read(l, {"state", "a", "--json"});
  ASSERT_EQ(state_before.exit_code, 0) << state_before.err;
  const std::vector<std::string> report_args = {"report", "active-dui", "--at", "2025-12-31",
                                                "--json"};
  CliResult report_before = Read(l, report_args);
  ASSERT_EQ(report_before.exit_code, 0) << report_before.err;
  ASSERT_EQ(json::parse(report_before.out)["total"], 95) << report_before.out;
  const uint64_t start_size = 5;

  constexpr int kEvents = 20000;
  // The import reads its events from a pipe: the first half, then (once a read has seen
  // the ledger in the middle of the import, its first group commits done and the rest not
  // sent yet) the second half. So a read lands mid-import however fast the import is.
  signal(SIGPIPE, SIG_IGN);  // an import gone early makes write() fail, not kill the test
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  Child writer = StartCli({"import", "-", "--key", l.KeyFile("national"), "--ledger", l.ledger()},
                          dir / "writer.out", fds[0]);
  close(fds[0]);
  std::atomic<bool> seen_mid_import{false};
  std::thread feeder([&, out = fds[1]] {
    auto send = [out](const std::string& text) {
      for (size_t done = 0; done < text.size();) {
        ssize_t n = write(out, text.data() + done, text.size() - done);
        if (n <= 0) return;  // the import is gone: the test reports its exit code
        done += static_cast<size_t>(n);
      }
    };
    send(SolutionLines(kEvents / 2));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!seen_mid_import && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    send(SolutionLines(kEvents / 2, kEvents / 2));
    close(out);
  });
  struct JoinAtExit {
    std::thread& t;
    ~JoinAtExit() { t.join(); }
  } join_feeder{feeder};

  uint64_t last_verify = 0, last_log = 0;
  int reads = 0, reads_mid_import = 0;
  int exit_code = -1;
  // Until the writer is done, and at least a few times.
  for (int i = 0; reads < 3 || exit_code < 0; ++i) {
    if (exit_code < 0) {
      int status = 0;
      if (waitpid(writer.pid, &status, WNOHANG) == writer.pid) {
        exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      }
    }
    ++reads;
    CliResult v = Read(l, {"verify", "--json"});
    ASSERT_EQ(v.exit_code, 0) << "read " << i << ": " << v.out << v.err;
    json report = json::parse(v.out);
    ASSERT_EQ(report["ok"], true) << v.out;
    uint64_t size = report["size"];
    ASSERT_GE(size, last_verify) << "verify saw the ledger shrink";
    last_verify = size;
    if (size > start_size && size < start_size + kEvents) {
      ++reads_mid_import;
      seen_mid_import = true;
    }

    CliResult log = Read(l, {"log", "--json", "--from", std::to_string(size > 50 ? size - 50 : 0)});
    ASSERT_EQ(log.exit_code, 0) << log.err;
    json records = json::parse(log.out)["records"];
    ASSERT_FALSE(records.empty());
    uint64_t expected = size > 50 ? size - 50 : 0;
    for (const auto& r : records) {
      ASSERT_EQ(r["seq"], expected) << "log is not contiguous";
      ++expected;
    }
    ASSERT_GE(expected, size) << "log ended before the size verify saw just before";
    ASSERT_GE(expected, last_log);
    last_log = expected;

    CliResult s = Read(l, {"state", "a", "--json"});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_EQ(s.out, state_before.out);

    CliResult r = Read(l, report_args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["total"], 95) << "the import adds no measurement";

    CliResult p =
        Read(l, {"prove", std::to_string(size - 1), "--size", std::to_string(size), "--json"});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    EXPECT_EQ(json::parse(p.out)["root"], report["root"]) << "the root verify saw, proven";
  }
  EXPECT_EQ(exit_code, 0) << ReadFile(dir / "writer.out");
  EXPECT_EQ(last_verify, start_size + kEvents);
  EXPECT_GE(reads_mid_import, 1) << "no read landed while the import was under way";
}

TEST(ConcurrencyTest, SecondWriterIsToldAtOnceAndReadersAreNotBlocked) {
  TempDir dir;
  KeyedLedger l(dir.path(), {{"national", {"national"}, {}}});
  ASSERT_TRUE(l.ok()) << l.error();
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  Child holder = StartCli({"import", "-", "--key", l.KeyFile("national"), "--ledger", l.ledger()},
                          dir / "holder.out", fds[0]);
  close(fds[0]);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(Running(holder.pid));
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"import", "-", "--json", "--key", l.KeyFile("national")},
           {"checkpoint", "--json", "--key", l.KeyFile("admin")}}) {
    std::vector<std::string> full = args;
    full.push_back("--ledger");
    full.push_back(l.ledger());
    auto start = std::chrono::steady_clock::now();
    CliResult second = RunProgram(full, SolutionLines(1));
    EXPECT_EQ(second.exit_code, 4) << args[0] << ": " << second.out << second.err;
    EXPECT_THAT(second.out, HasSubstr("LEDGER_LOCKED")) << args[0];
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  }
  EXPECT_EQ(Read(l, {"verify"}).exit_code, 0);
  EXPECT_EQ(Read(l, {"checkpoint"}).exit_code, 0);  // printing the latest is a read
  std::string line = SolutionLines(1);
  ASSERT_EQ(write(fds[1], line.data(), line.size()), static_cast<ssize_t>(line.size()));
  close(fds[1]);
  EXPECT_EQ(WaitChild(holder), 0);
  EXPECT_EQ(json::parse(Read(l, {"verify", "--json"}).out)["size"], 3);
}

}  // namespace
}  // namespace esms::testing
