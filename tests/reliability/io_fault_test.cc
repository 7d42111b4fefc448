// I/O faults without root: writes that fail (RLIMIT_FSIZE with SIGXFSZ ignored: every
// write past the limit fails with EFBIG, as on a full disk), a read-only ledger
// directory (exit 4 with a STORAGE_ERROR message naming the ledger), a ledger path
// that is a file (NOT_FOUND, not a ledger); and the ledger still verifies afterwards with every
// acknowledged record in it.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/reliability/fixture.h"

namespace esms::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

uint64_t LargestFile(const fs::path& dir) {
  uint64_t largest = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) largest = std::max<uint64_t>(largest, entry.file_size());
  }
  return largest;
}

uint64_t VerifiedSize(const KeyedLedger& l) {
  CliResult v = l.Run({"verify", "--json"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  json j = json::parse(v.out, nullptr, false);
  EXPECT_TRUE(j.is_object() && j["ok"] == true) << v.out;
  return j.is_object() ? j.value("size", uint64_t{0}) : 0;
}

// Imports under a file size limit of `limit` bytes: refused writes -> exit 4,
// STORAGE_ERROR, a message; the acknowledged records survive; the ledger verifies.
TEST(IoFaultTest, FailingWritesExitFourAndLeaveTheLedgerValid) {
  TempDir dir;
  KeyedLedger l(dir.path(), {{"national", {"national"}, {}}});
  ASSERT_TRUE(l.ok()) << l.error();
  ASSERT_EQ(l.Import("national", SolutionLines(50)).exit_code, 0);
  const uint64_t base = LargestFile(l.ledger());
  const std::regex acked(R"re("seq":([0-9]+))re");
  int failures = 0;
  int first = 50;
  // From a limit below the ledger's own files (opening fails) to a few group commits.
  for (uint64_t limit : {uint64_t{4096}, base / 2, base + 16 * 1024, base + 200 * 1024,
                         base + 600 * 1024, base + 2 * 1024 * 1024}) {
    SCOPED_TRACE("RLIMIT_FSIZE " + std::to_string(limit));
    const uint64_t before = VerifiedSize(l);
    Limits limits;
    limits.file_size = limit;
    CliResult r = RunCliWith(
        {"import", "-", "--json", "--key", l.KeyFile("national"), "--ledger", l.ledger()},
        SolutionLines(3000, first), limits);
    first += 3000;
    ASSERT_THAT(r.exit_code, AnyOf(0, 4)) << r.out << r.err;
    uint64_t last_acked = 0;
    for (std::sregex_iterator it(r.out.begin(), r.out.end(), acked), end; it != end; ++it) {
      last_acked = std::max<uint64_t>(last_acked, std::stoull((*it)[1]));
    }
    if (r.exit_code == 4) {
      ++failures;
      json result = KeyedLedger::LastResult(r);
      json error = result.contains("error") ? result["error"] : json::object();
      EXPECT_EQ(error.value("code", ""), "STORAGE_ERROR") << r.out;
      const std::string message = error.value("message", "");
      EXPECT_THAT(message, HasSubstr(l.ledger())) << "the message names the ledger";
      EXPECT_THAT(message, AnyOf(HasSubstr("File too large"), HasSubstr("too large"),
                                 HasSubstr("No space"), HasSubstr("EFBIG")))
          << "the message says why";
    }
    // Without the limit: the ledger verifies and holds what was acknowledged.
    const uint64_t after = VerifiedSize(l);
    EXPECT_GE(after, before);
    if (last_acked > 0) {
      EXPECT_GT(after, last_acked);
    }
    if (r.exit_code == 0) {
      EXPECT_EQ(after, before + 3000);
    }
    // And it takes writes again.
    CliResult again = l.Import("national", SolutionLines(3000, first - 3000));
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_EQ(VerifiedSize(l), before + 3000);
  }
  EXPECT_GE(failures, 3) << "the limits were meant to make most imports fail";
}

// A read-only ledger directory: writers get exit 4 with a clear message, readers
// still read. As root, the program is run as nobody (root ignores modes).
TEST(IoFaultTest, ReadOnlyLedgerDirectory) {
  TempDir dir;
  KeyedLedger l(dir.path(), {{"national", {"national"}, {}}});
  ASSERT_TRUE(l.ok()) << l.error();
  ASSERT_EQ(l.Import("national", SolutionLines(20)).exit_code, 0);
  const std::string fingerprint = l.Fingerprint();
  ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
  ASSERT_EQ(chown(l.KeyFile("national").c_str(), 65534, 65534), 0);
  ASSERT_EQ(chown(l.KeyFile("admin").c_str(), 65534, 65534), 0);
  for (const auto& entry : fs::recursive_directory_iterator(l.ledger())) {
    chmod(entry.path().c_str(), entry.is_directory() ? 0555 : 0444);
  }
  ASSERT_EQ(chmod(l.ledger().c_str(), 0555), 0);
  Limits nobody;
  nobody.as_nobody = true;
  CliResult w =
      RunCliWith({"import", "-", "--json", "--key", l.KeyFile("national"), "--ledger", l.ledger()},
                 SolutionLines(5, 100), nobody);
  EXPECT_EQ(w.exit_code, 4) << w.out << w.err;
  json error = KeyedLedger::LastResult(w).value("error", json::object());
  EXPECT_EQ(error.value("code", ""), "STORAGE_ERROR") << w.out;
  EXPECT_THAT(error.value("message", ""), HasSubstr(l.ledger()));
  EXPECT_THAT(error.value("message", ""), HasSubstr("ermission denied"));
  CliResult cp = RunCliWith({"checkpoint", "--key", l.KeyFile("national"), "--ledger", l.ledger()},
                            "", nobody);
  EXPECT_EQ(cp.exit_code, 4) << cp.out << cp.err;
  // Readers read a read-only ledger.
  CliResult v = RunCliWith({"verify", "--json", "--ledger", l.ledger()}, "", nobody);
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  CliResult log = RunCliWith({"log", "--json", "--ledger", l.ledger()}, "", nobody);
  EXPECT_EQ(log.exit_code, 0) << log.out << log.err;
  // Unchanged, and writable again once the mode is restored.
  for (const auto& entry : fs::recursive_directory_iterator(l.ledger())) {
    chmod(entry.path().c_str(), entry.is_directory() ? 0755 : 0644);
  }
  ASSERT_EQ(chmod(l.ledger().c_str(), 0755), 0);
  ASSERT_EQ(chmod((fs::path(l.ledger()) / "ledger.key").c_str(), 0600), 0);  // a private key
  ASSERT_EQ(chown(l.KeyFile("national").c_str(), getuid(), getgid()), 0);
  ASSERT_EQ(chown(l.KeyFile("admin").c_str(), getuid(), getgid()), 0);
  EXPECT_EQ(l.Fingerprint(), fingerprint);
  EXPECT_EQ(l.Import("national", SolutionLines(5, 100)).exit_code, 0);
}

// A ledger path that is a regular file: every command refuses it, naming it, and the
// file is left as it was.
TEST(IoFaultTest, LedgerPathIsAFile) {
  TempDir dir;
  KeyedLedger l(dir.path(), {});
  ASSERT_TRUE(l.ok()) << l.error();
  fs::path file = dir / "not-a-dir.db";
  WriteFile(file, "just a file\n");
  CliResult w =
      RunCli({"import", "-", "--json", "--key", l.KeyFile("admin"), "--ledger", file.string()},
             SolutionLines(1));
  // Not a ledger (NOT_FOUND, exit 3: INTERFACE.md keeps exit 4 for I/O and locks).
  EXPECT_EQ(w.exit_code, 3) << w.out << w.err;
  json error = KeyedLedger::LastResult(w).value("error", json::object());
  EXPECT_EQ(error.value("code", ""), "NOT_FOUND") << w.out;
  EXPECT_THAT(error.value("message", ""), HasSubstr(file.string()));
  EXPECT_THAT(error.value("message", ""), HasSubstr("not a ledger"));
  CliResult init = RunCli({"init", "--origin", "x.example/y", "--admin-key", l.KeyFile("admin"),
                           "--ledger", file.string()});
  EXPECT_NE(init.exit_code, 0);
  EXPECT_THAT(init.exit_code, AnyOf(2, 4)) << init.err;
  CliResult v = RunCli({"verify", "--ledger", file.string()});
  EXPECT_NE(v.exit_code, 0);
  EXPECT_EQ(ReadFile(file), "just a file\n");
}

}  // namespace
}  // namespace esms::testing
