// Readers while writers come and go (issue 18, point 1): `verify`, `state`, `log`,
// `prove` and `checkpoint` run in a loop while many short imports open, write, flush,
// compact and close the ledger one after another. Every open of a writer writes a new
// MANIFEST and deletes the old one; every close flushes the memtables and may compact,
// deleting table files: a read-only open that races them must retry, never report a
// healthy ledger as CORRUPTION (exit 1) nor fail with a transient storage error (exit 4).
// Each read also sees a consistent prefix: sizes never go back, log is contiguous.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/reliability/fixture.h"

namespace esms::testing {
namespace {

namespace fs = std::filesystem;

TEST(ReaderRaceTest, ReadersNeverSeeAFalseCorruptionWhileShortImportsOpenAndClose) {
  TempDir dir;
  KeyedLedger l(dir.path(), {{"national", {"national"}, {}}, {"porteur", {"porteur"}, {}}});
  ASSERT_TRUE(l.ok()) << l.error();
  CliResult submitted = l.Import(
      "porteur", Line("sub-a", "project.submitted", "2024-03-10", Submission("a", {Et(1), Et(2)})));
  ASSERT_EQ(submitted.exit_code, 0) << submitted.out << submitted.err;
  CliResult state_before = l.Run({"state", "a", "--json"});
  ASSERT_EQ(state_before.exit_code, 0) << state_before.err;

  // The writer: short imports one after another until the readers are done.
  std::atomic<bool> readers_done{false};
  std::atomic<int> imports{0};
  std::atomic<int> import_failures{0};
  std::string import_failure;
  std::mutex failure_mutex;
  constexpr int kLinesPerImport = 40;
  // The writer keeps at most two imports ahead of each round of reads: a faster import
  // must not grow the ledger (and each read's verify with it) without bound.
  std::atomic<int> rounds{0};
  constexpr int kImportsPerRound = 2;
  std::thread writer([&] {
    for (int i = 0; !readers_done.load(); ++i) {
      while (!readers_done.load() && imports.load() > kImportsPerRound * (rounds.load() + 1)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (readers_done.load()) break;
      CliResult r = l.Import("national", SolutionLines(kLinesPerImport, i * kLinesPerImport));
      if (r.exit_code != 0) {
        ++import_failures;
        std::lock_guard<std::mutex> lock(failure_mutex);
        import_failure = r.out + r.err;
      }
      ++imports;
    }
  });

  constexpr int kReads = Repetitions(500);
  int reads = 0, failures = 0;
  uint64_t last_size = 0;
  std::vector<std::string> problems;
  auto failed = [&](const std::string& what, const CliResult& r) {
    ++failures;
    if (problems.size() < 10) {
      problems.push_back(what + " exit " + std::to_string(r.exit_code) + ": " + r.out + r.err);
    }
  };
  const auto start = std::chrono::steady_clock::now();
  while (reads < kReads) {
    CliResult v = l.Run({"verify", "--no-signatures", "--json"});
    ++reads;
    json report = json::parse(v.out, nullptr, false);
    if (v.exit_code != 0 || !report.is_object() || report["ok"] != true) {
      failed("verify", v);
      continue;
    }
    uint64_t size = report["size"];
    EXPECT_GE(size, last_size) << "verify saw the ledger shrink";
    last_size = size;

    CliResult s = l.Run({"state", "a", "--json"});
    ++reads;
    if (s.exit_code != 0)
      failed("state", s);
    else
      EXPECT_EQ(s.out, state_before.out);

    const uint64_t from = size > 30 ? size - 30 : 0;
    CliResult g = l.Run({"log", "--json", "--from", std::to_string(from)});
    ++reads;
    json records = json::parse(g.out, nullptr, false);
    if (g.exit_code != 0 || !records.is_object()) {
      failed("log", g);
    } else {
      uint64_t expected = from;
      for (const auto& r : records["records"]) {
        EXPECT_EQ(r["seq"], expected) << "log is not contiguous";
        ++expected;
      }
      EXPECT_GE(expected, size) << "log ended before the size verify saw just before";
    }

    CliResult p =
        l.Run({"prove", std::to_string(size - 1), "--size", std::to_string(size), "--json"});
    ++reads;
    if (p.exit_code != 0)
      failed("prove", p);
    else
      EXPECT_EQ(json::parse(p.out)["root"], report["root"]) << "the root verify saw";

    CliResult c = l.Run({"checkpoint", "--json"});
    ++reads;
    if (c.exit_code != 0) failed("checkpoint", c);
    ++rounds;
  }
  readers_done = true;
  writer.join();
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("reads", reads);
  RecordProperty("imports", imports.load());
  std::printf("%d reads during %d imports in %.1f s\n", reads, imports.load(), seconds);

  EXPECT_EQ(failures, 0) << "reads failing while imports come and go:\n"
                         << ::testing::PrintToString(problems);
  EXPECT_EQ(import_failures.load(), 0) << import_failure;
  EXPECT_GE(imports.load(), 10) << "too few writer opens and closes raced the readers";
  CliResult v = l.Run({"verify", "--json"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

}  // namespace
}  // namespace esms::testing
