// `esms-ledger export-tiles` and `verify-tiles` as a user runs them: the export of a
// ledger, grown and exported again (the JSON counts, the files left untouched), a
// tampered tile named by verify-tiles, and the refusals with their codes and exit codes
// (INTERFACE.md §4-§5): ROLLBACK and CONSISTENCY_FAILED (1), NO_CHECKPOINT (3), USAGE (2).
// tests/cli/independent_tiles.py checks the same exports with a reader written from the
// specs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "ledger/internal/storage_keys.h"
#include "tests/testing/cli.h"
#include "tests/testing/ids.h"
#include "tests/testing/raw_db.h"

namespace esms::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

ino_t Inode(const fs::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

class TilesCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(RunCli({"key", "new", "admin", "--out", admin_}).exit_code, 0);
    CliResult key = RunCli({"key", "new", "dgos", "--out", national_, "--json"});
    ASSERT_EQ(key.exit_code, 0) << key.err;
    national_pub_ = json::parse(key.out)["publicKey"];
    ledger_ = MakeLedger("ledger.db", "tiles.example/esms");
  }

  // A ledger of 2 records: genesis (admin.pem), the national key (national.pem).
  std::string MakeLedger(const std::string& name, const std::string& origin) {
    const std::string ledger = (dir_ / name).string();
    CliResult init =
        RunCli({"init", "--origin", origin, "--admin-key", admin_, "--ledger", ledger});
    EXPECT_EQ(init.exit_code, 0) << init.err;
    CliResult enrol = RunCli(
        {"import", "-", "--key", admin_, "--ledger", ledger},
        fmt::format(
            R"({{"id": "key-dgos", "type": "key.enrolled", "at": "2023-01-02", "data": )"
            R"({{"name": "dgos", "publicKey": "{}", "roles": ["national"], "regions": []}}}})"
            "\n",
            national_pub_));
    EXPECT_EQ(enrol.exit_code, 0) << enrol.out << enrol.err;
    return ledger;
  }

  // Imports `count` solution records (each commit keeps a checkpoint).
  void Grow(const std::string& ledger, int count, int first) {
    CliResult events = RunCli({"import", "-", "--key", national_, "--ledger", ledger},
                              SolutionLines(count, first));
    ASSERT_EQ(events.exit_code, 0) << events.out << events.err;
  }

  CliResult Export(const std::string& ledger) {
    return RunCli({"export-tiles", "--to", tiles_.string(), "--ledger", ledger, "--json"});
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
  std::string ledger_;
  fs::path tiles_ = dir_ / "tiles";
};

TEST_F(TilesCliTest, ExportsGrowsExportsAgainAndVerifies) {
  Grow(ledger_, 598, 0);  // 600 records
  CliResult first = Export(ledger_);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  json one = json::parse(first.out);
  EXPECT_EQ(one["size"], 600);
  EXPECT_EQ(one["written"], 8);  // tile/0/000, 001, 002.p/88, tile/1/000.p/2, 3 bundles, checkpoint
  EXPECT_EQ(one["kept"], 0);
  CliResult verify = RunCli({"verify", "--json", "--ledger", ledger_});
  EXPECT_EQ(one["root"], json::parse(verify.out)["root"]);
  EXPECT_EQ(ReadFile(tiles_ / "checkpoint"), RunCli({"checkpoint", "--ledger", ledger_}).out);
  const ino_t full = Inode(tiles_ / "tile/0/001");

  Grow(ledger_, 200, 598);  // 800 records
  CliResult second = Export(ledger_);
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  json two = json::parse(second.out);
  EXPECT_EQ(two["size"], 800);
  EXPECT_EQ(two["written"], 6);
  EXPECT_EQ(two["kept"], 4);
  EXPECT_EQ(two["removed"], 2);
  EXPECT_EQ(Inode(tiles_ / "tile/0/001"), full);
  EXPECT_FALSE(fs::exists(tiles_ / "tile/0/002.p/88"));
  EXPECT_TRUE(fs::exists(tiles_ / "tile/0/002"));

  const std::string trust = (fs::path(ledger_) / "ledger.pub").string();
  CliResult ok = RunCli({"verify-tiles", tiles_.string(), "--trust", trust, "--json"});
  ASSERT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_EQ(json::parse(ok.out)["size"], 800);
  EXPECT_EQ(json::parse(ok.out)["root"], two["root"]);

  // Human output.
  CliResult human = RunCli({"export-tiles", "--to", tiles_.string(), "--ledger", ledger_});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_THAT(human.out, HasSubstr("exported the tiles of checkpoint 800"));
  EXPECT_THAT(human.out, HasSubstr("0 files written, 9 kept"));

  // A flipped byte of a hash tile: exit 1, CORRUPTION naming it.
  std::string bytes = ReadFile(tiles_ / "tile/1/000.p/3");
  bytes[70] ^= 0x20;
  WriteFile(tiles_ / "tile/1/000.p/3", bytes);
  CliResult bad = RunCli({"verify-tiles", tiles_.string(), "--trust", trust, "--json"});
  EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  EXPECT_EQ(ErrorOf(bad)["code"], "CORRUPTION");
  EXPECT_THAT(ErrorOf(bad)["message"].get<std::string>(),
              HasSubstr("tile/1/000.p/3: hash 2 is not the root of tile/0/002"));
}

TEST_F(TilesCliTest, RefusalsHaveTheirCodes) {
  Grow(ledger_, 298, 0);  // 300 records
  const fs::path behind = dir_ / "behind.db";
  fs::copy(ledger_, behind, fs::copy_options::recursive);
  Grow(ledger_, 200, 298);
  ASSERT_EQ(Export(ledger_).exit_code, 0);

  // The copy at 300 records cannot roll the published log (500) back.
  CliResult rollback = Export(behind.string());
  EXPECT_EQ(rollback.exit_code, 1) << rollback.out << rollback.err;
  EXPECT_EQ(ErrorOf(rollback)["code"], "ROLLBACK");

  // Another log into the same directory.
  const std::string other = MakeLedger("other.db", "other.example/esms");
  CliResult foreign = Export(other);
  EXPECT_EQ(foreign.exit_code, 1) << foreign.out << foreign.err;
  EXPECT_EQ(ErrorOf(foreign)["code"], "CONSISTENCY_FAILED");

  // The other log's key does not verify these tiles.
  CliResult wrong_key = RunCli({"verify-tiles", tiles_.string(), "--trust",
                                (fs::path(other) / "ledger.pub").string(), "--json"});
  EXPECT_EQ(wrong_key.exit_code, 1) << wrong_key.out << wrong_key.err;
  EXPECT_EQ(ErrorOf(wrong_key)["code"], "CORRUPTION");

  // No checkpoint kept (only by damaging the ledger: init signs one).
  {
    RawDb raw(other);
    ASSERT_TRUE(raw.ok());
    for (const std::string& key : raw.Keys(ledger::storage::kCheckpoints)) {
      raw.Delete(ledger::storage::kCheckpoints, key);
    }
  }
  CliResult none =
      RunCli({"export-tiles", "--to", (dir_ / "none").string(), "--ledger", other, "--json"});
  EXPECT_EQ(none.exit_code, 3) << none.out << none.err;
  EXPECT_EQ(ErrorOf(none)["code"], "NO_CHECKPOINT");

  CliResult usage = RunCli({"export-tiles", "--ledger", ledger_, "--json"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_EQ(ErrorOf(usage)["code"], "USAGE");
}

}  // namespace
}  // namespace esms::testing
