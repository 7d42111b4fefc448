// `esms-ledger backup` and `restore` as an operator runs them, with the real program: a
// backup verifies as it is, a restored ledger verifies and takes more imports, and the
// refusals carry their codes and exit codes (INTERFACE.md §4-§5): a target that is not
// empty or an existing ledger (USAGE, 2), another ledger key (UNAUTHORIZED, 3), a ledger
// held by another process (LEDGER_LOCKED, 4), a source that is not a ledger (NOT_FOUND).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/cli.h"
#include "tests/testing/ids.h"

namespace esms::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

class BackupCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(RunProgram({"key", "new", "admin", "--out", admin_}).exit_code, 0);
    CliResult key = RunProgram({"key", "new", "dgos", "--out", national_, "--json"});
    ASSERT_EQ(key.exit_code, 0) << key.err;
    national_pub_ = json::parse(key.out)["publicKey"];
    CliResult init = RunProgram(
        {"init", "--origin", "backup.example/esms", "--admin-key", admin_, "--ledger", ledger_});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    CliResult enrol = RunProgram(
        {"import", "-", "--key", admin_, "--ledger", ledger_},
        fmt::format(
            R"({{"id": "key-dgos", "type": "key.enrolled", "at": "2023-01-02", "data": )"
            R"({{"name": "dgos", "publicKey": "{}", "roles": ["national"], "regions": []}}}})"
            "\n",
            national_pub_));
    ASSERT_EQ(enrol.exit_code, 0) << enrol.out << enrol.err;
    Import(ledger_, 40, 0);
  }

  void Import(const std::string& ledger, int count, int first,
              const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"import", "-", "--key", national_, "--ledger", ledger};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult r = RunProgram(args, SolutionLines(count, first));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  json Verify(const std::string& ledger) {
    CliResult r = RunProgram({"verify", "--json", "--ledger", ledger});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  }
  json ErrorOf(const CliResult& r) {
    json parsed = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(parsed.contains("error")) << r.out << r.err;
    return parsed.contains("error") ? parsed["error"] : json();
  }

  TempDir dir_;
  std::string admin_ = (dir_ / "admin.pem").string();
  std::string national_ = (dir_ / "national.pem").string();
  std::string national_pub_;
  std::string ledger_ = (dir_ / "ledger.db").string();
  std::string backup_ = (dir_ / "backup").string();
};

TEST_F(BackupCliTest, BackupVerifiesRestoreVerifiesAndTakesMoreImports) {
  CliResult backup = RunProgram({"backup", "--to", backup_, "--ledger", ledger_, "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  json b = json::parse(backup.out);
  EXPECT_EQ(b["size"], 42);
  EXPECT_EQ(b["to"], backup_);
  EXPECT_EQ(b["includesKey"], false);
  EXPECT_GT(b["files"].get<int>(), 2);
  json original = Verify(ledger_);
  EXPECT_EQ(b["root"], original["root"]);
  // The backup is a ledger: verify checks it where it is.
  json verified = Verify(backup_);
  EXPECT_EQ(verified["ok"], true);
  EXPECT_EQ(verified["size"], 42);
  EXPECT_EQ(verified["root"], original["root"]);
  EXPECT_FALSE(fs::exists(fs::path(backup_) / "ledger.key"));

  // The original goes on; the restore has the backup's 42 records.
  Import(ledger_, 5, 40);
  const std::string restored = (dir_ / "restored").string();
  const std::string ledger_key = (fs::path(ledger_) / "ledger.key").string();
  CliResult restore = RunProgram(
      {"restore", "--from", backup_, "--ledger", restored, "--ledger-key", ledger_key, "--json"});
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  json r = json::parse(restore.out);
  EXPECT_EQ(r["size"], 42);
  EXPECT_EQ(r["root"], original["root"]);
  EXPECT_EQ(r["origin"], "backup.example/esms");
  EXPECT_EQ(r["writable"], true);
  EXPECT_EQ(r["keyInLedger"], false);
  EXPECT_EQ(Verify(restored)["size"], 42);

  // Without the ledger key, the restored ledger refuses writes (USAGE); with it, it
  // takes more imports and still verifies.
  CliResult keyless = RunProgram(
      {"import", "-", "--key", national_, "--ledger", restored, "--json"}, SolutionLines(1, 40));
  EXPECT_EQ(keyless.exit_code, 2) << keyless.out << keyless.err;
  EXPECT_EQ(ErrorOf(keyless)["code"], "USAGE");
  Import(restored, 5, 40, {"--ledger-key", ledger_key});
  json grown = Verify(restored);
  EXPECT_EQ(grown["ok"], true);
  EXPECT_EQ(grown["size"], 47);
}

TEST_F(BackupCliTest, IncludeKeyGivesARestoreThatWritesOnItsOwn) {
  CliResult backup =
      RunProgram({"backup", "--to", backup_, "--include-key", "--ledger", ledger_, "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  EXPECT_EQ(json::parse(backup.out)["includesKey"], true);
  const std::string restored = (dir_ / "restored").string();
  CliResult restore = RunProgram({"restore", "--from", backup_, "--ledger", restored});
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_THAT(restore.out, HasSubstr("writable"));
  Import(restored, 3, 100);
  EXPECT_EQ(Verify(restored)["size"], 45);
}

TEST_F(BackupCliTest, RefusalsAndTheirExitCodes) {
  // A target that is not empty: USAGE (2), the directory untouched.
  fs::create_directory(backup_);
  WriteFile(fs::path(backup_) / "notes.txt", "mine\n");
  CliResult full = RunProgram({"backup", "--to", backup_, "--ledger", ledger_, "--json"});
  EXPECT_EQ(full.exit_code, 2) << full.out << full.err;
  EXPECT_EQ(ErrorOf(full)["code"], "USAGE");
  EXPECT_EQ(ReadFile(fs::path(backup_) / "notes.txt"), "mine\n");
  fs::remove_all(backup_);
  ASSERT_EQ(RunProgram({"backup", "--to", backup_, "--ledger", ledger_}).exit_code, 0);

  // restore never overwrites a ledger: USAGE (2).
  CliResult onto = RunProgram({"restore", "--from", backup_, "--ledger", ledger_, "--json"});
  EXPECT_EQ(onto.exit_code, 2) << onto.out << onto.err;
  EXPECT_EQ(ErrorOf(onto)["code"], "USAGE");
  EXPECT_THAT(ErrorOf(onto)["message"].get<std::string>(), HasSubstr("never overwritten"));
  // Another ledger key: UNAUTHORIZED (3), nothing restored.
  const std::string restored = (dir_ / "restored").string();
  CliResult wrong = RunProgram(
      {"restore", "--from", backup_, "--ledger", restored, "--ledger-key", admin_, "--json"});
  EXPECT_EQ(wrong.exit_code, 3) << wrong.out << wrong.err;
  EXPECT_EQ(ErrorOf(wrong)["code"], "UNAUTHORIZED");
  EXPECT_FALSE(fs::exists(restored));
  // Not a backup: NOT_FOUND.
  CliResult nothing = RunProgram(
      {"restore", "--from", (dir_ / "nowhere").string(), "--ledger", restored, "--json"});
  EXPECT_NE(nothing.exit_code, 0);
  EXPECT_EQ(ErrorOf(nothing)["code"], "NOT_FOUND");

  // A ledger another process holds (an import reading a pipe): LEDGER_LOCKED (4).
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  Child holder = StartCli({"import", "-", "--key", national_, "--ledger", ledger_},
                          dir_ / "holder.out", fds[0]);
  close(fds[0]);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CliResult locked =
      RunProgram({"backup", "--to", (dir_ / "backup2").string(), "--ledger", ledger_, "--json"});
  EXPECT_EQ(locked.exit_code, 4) << locked.out << locked.err;
  EXPECT_EQ(ErrorOf(locked)["code"], "LEDGER_LOCKED");
  EXPECT_THAT(ErrorOf(locked)["message"].get<std::string>(), HasSubstr("server"));
  close(fds[1]);
  EXPECT_EQ(WaitChild(holder), 0);
  EXPECT_FALSE(fs::exists(dir_ / "backup2"));

  // Nothing but what the commands were asked to make: no temporary directory behind.
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    EXPECT_NE(entry.path().filename().string().front(), '.') << entry.path();
  }
}

}  // namespace
}  // namespace esms::testing
