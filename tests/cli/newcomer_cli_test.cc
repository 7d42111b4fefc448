// What a newcomer meets first, typing the README's commands and getting them slightly
// wrong: a command with a typo is named as no command, with the closest one; a --key
// pointing at a public key (ledger.pub, a verifier key line, the base64 `key new`
// prints) is named as a public key, not sent to `chmod 600`; the help of every command
// names the global options (--ledger, --key, ...) it takes, and no hidden test option;
// the demo's walk-through shortens only a line's list of seqs, never its words.
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/demo_walkthrough.h"
#include "tests/testing/cli.h"

namespace esms::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

class NewcomerCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = (dir_ / "bzh.db").string();
    admin_ = (dir_ / "admin.pem").string();
    ASSERT_EQ(RunCli({"key", "new", "admin", "--out", admin_}).exit_code, 0);
    ASSERT_EQ(RunCli({"init", "--origin", "test.example/newcomer", "--admin-key", admin_,
                      "--ledger", ledger_})
                  .exit_code,
              0);
  }

  TempDir dir_;
  std::string ledger_, admin_;
};

TEST_F(NewcomerCliTest, ACommandWithATypoIsNamedWithTheClosestCommand) {
  CliResult r = RunCli({"imoprt", "events.jsonl", "--ledger", ledger_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("USAGE"));
  EXPECT_THAT(r.err, HasSubstr("\"imoprt\" is not a command of esms-ledger"));
  EXPECT_THAT(r.err, HasSubstr("did you mean \"import\"?"));
  EXPECT_THAT(r.err, HasSubstr("verify-bundle"));  // the commands there are

  CliResult sub = RunCli({"key", "nwe", "dgos", "--out", (dir_ / "dgos.pem").string()});
  EXPECT_EQ(sub.exit_code, 2);
  EXPECT_THAT(sub.err, HasSubstr("\"nwe\" is not a command of esms-ledger key"));
  EXPECT_THAT(sub.err, HasSubstr("did you mean \"new\"?"));

  // Nothing close: no guess, the list only.
  CliResult far = RunCli({"frobnicate"});
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_THAT(far.err, HasSubstr("\"frobnicate\" is not a command"));
  EXPECT_THAT(far.err, Not(HasSubstr("did you mean")));

  CliResult none = RunCli({"--ledger", ledger_});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, HasSubstr("esms-ledger needs a command: init, key, sign, import"));

  // A missing argument of a command given is still CLI11's own message.
  CliResult file = RunCli({"import", "--ledger", ledger_});
  EXPECT_EQ(file.exit_code, 2);
  EXPECT_THAT(file.err, HasSubstr("FILE is required"));

  CliResult as_json = RunCli({"imoprt", "x", "--json"});
  EXPECT_EQ(as_json.exit_code, 2);
  EXPECT_EQ(json::parse(as_json.out)["error"]["code"], "USAGE");
}

TEST_F(NewcomerCliTest, KeyPointingAtAPublicKeyIsNamedAsOne) {
  const std::string pub = ledger_ + "/ledger.pub";  // mode 0644, as init writes it
  CliResult dgos = RunCli({"key", "new", "dgos", "--out", (dir_ / "dgos.pem").string(), "--json"});
  ASSERT_EQ(dgos.exit_code, 0) << dgos.err;
  const std::string raw = (dir_ / "dgos.pub").string();
  WriteFile(raw, json::parse(dgos.out)["publicKey"].get<std::string>() + "\n");
  ASSERT_EQ(chmod(raw.c_str(), 0600), 0);  // even with a private key's mode

  const std::string line =
      R"({"id": "sol-1", "type": "solution.referenced", "at": "2023-02-01", "data": )"
      R"({"solution": {"vendor": "E", "product": "D", "version": "1"}, )"
      R"("corridor": "medico-social", "status": "referenced", "referencedAt": "2023-02-01"}})"
      "\n";
  for (const std::string& key : {pub, raw}) {
    SCOPED_TRACE(key);
    std::vector<CliResult> runs = {
        RunCli({"import", "-", "--key", key, "--ledger", ledger_}, line),
        RunCli({"checkpoint", "--key", key, "--ledger", ledger_}),
        RunCli({"sign", "-", "--key", key, "--trust", pub}, line),
        RunCli({"init", "--origin", "x.example/y", "--admin-key", key, "--ledger",
                (dir_ / "other.db").string()}),
    };
    for (const CliResult& r : runs) {
      EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
      EXPECT_THAT(r.out + r.err, HasSubstr("KEY_INVALID"));
      EXPECT_THAT(r.out + r.err, HasSubstr("not a private key"));
      EXPECT_THAT(r.out + r.err, Not(HasSubstr("chmod")));
    }
    EXPECT_THAT(runs[0].out + runs[0].err,
                HasSubstr(key == pub ? "a verifier key line" : "a raw public key"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "other.db"));
}

TEST_F(NewcomerCliTest, EveryCommandsHelpNamesTheGlobalOptionsAndNoHiddenOne) {
  for (const std::vector<std::string>& command :
       std::vector<std::vector<std::string>>{{"import"},
                                             {"sign"},
                                             {"checkpoint"},
                                             {"witness", "key"},
                                             {"witness", "cosign"},
                                             {"demo"},
                                             {"state"}}) {
    std::vector<std::string> args = command;
    args.push_back("--help");
    CliResult r = RunCli(args);
    SCOPED_TRACE(args.front());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Global options"));
    EXPECT_THAT(r.out, HasSubstr("--ledger DIR  --key FILE"));
    // Test options are hidden, and never named in a user's help.
    EXPECT_THAT(r.out, Not(HasSubstr("--establishments")));
  }
  // import: signed lines need no key, plain lines are signed with --key (INTERFACE.md §6).
  EXPECT_THAT(RunCli({"import", "--help"}).out,
              HasSubstr("plain event line is signed here with --key"));
  EXPECT_THAT(RunCli({"witness", "key", "--help"}).out, HasSubstr("private key is --key"));
  // The examples at the end of every help: the served one logs in with a key (--no-auth
  // is for development only), and events other than key enrolments are not the admin's.
  const std::string top = RunCli({"--help"}).out;
  EXPECT_THAT(top, Not(HasSubstr("--no-auth --ledger")));
  EXPECT_THAT(top, HasSubstr("state P-2023-0001 --key instructor.pem --server"));
  EXPECT_THAT(top, Not(HasSubstr("import events.jsonl --key admin.pem")));
  // --log-level takes critical: its description names it too.
  EXPECT_THAT(RunCli({"--help"}).out, HasSubstr("error, critical, off"));
}

TEST_F(NewcomerCliTest, TheVerifyHintAfterABundleRunsAsPrinted) {
  const std::string bundle = (dir_ / "dui.bundle.json").string();
  CliResult r = RunCli(
      {"report", "active-dui", "--at", "2024-12-31", "--bundle", bundle, "--ledger", ledger_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string trust = ledger_ + "/ledger.pub";
  EXPECT_THAT(r.err, HasSubstr("esms-ledger verify-bundle " + bundle + " --trust " + trust));
  EXPECT_EQ(RunCli({"verify-bundle", bundle, "--trust", trust}).exit_code, 0);
}

TEST(DemoWalkthroughTest, OnlyTheListOfSeqsIsShortened) {
  std::string seqs;
  for (int i = 0; i < 40; ++i) seqs += (i ? ", " : "") + std::to_string(54558 + i);
  const std::string evidence =
      "[x] USAGE_TARGETS_MET: every ESSMS meets all targets (seqs " + seqs + ")";
  const std::string shortened = cli::ShortenEvidenceList(evidence, 160);
  EXPECT_LE(shortened.size(), 160u + 6);
  EXPECT_THAT(shortened, HasSubstr("(seqs 54558, 54559"));
  EXPECT_THAT(shortened, ::testing::EndsWith(", ...)"));
  // A long line whose words are the point: a complement's tranche and its paying region.
  const std::string words =
      "[ ] TRANCHE_OUTSTANDING: 3 250,00 EUR of 3 250,00 EUR (50 %, 000 §4.5.1) paid by region 52 "
      "(the complement de grappe paid by region 52: the entitlement 6 500,00 EUR of its 2 ESSMS "
      "listed by the convention in force (002)) (seqs 18726)";
  ASSERT_GT(words.size(), 160u);
  EXPECT_EQ(cli::ShortenEvidenceList(words, 160), words);
  const std::string no_seqs = std::string(200, 'x') + " (50 %, 000 §4.5.1)";
  EXPECT_EQ(cli::ShortenEvidenceList(no_seqs, 160), no_seqs);
  // The seqs list starts beyond the width: at least one seq is kept.
  const std::string late = std::string(170, 'y') + " (seqs 1, 2, 3)";
  EXPECT_EQ(cli::ShortenEvidenceList(late, 160), std::string(170, 'y') + " (seqs 1, ...)");
}

}  // namespace
}  // namespace esms::testing
