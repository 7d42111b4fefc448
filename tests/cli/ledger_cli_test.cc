// The ledger commands as a user runs them: init, key new, import, log, verify,
// checkpoint, prove, consistency; exit codes; lock contention; SIGKILL crash safety.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "tests/testing/cli.h"
#include "tests/testing/ids.h"

namespace esms::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// A ledger with an admin and a "national" key enrolled, driven through the real program
// end to end (a child process per command: what a user runs), where most CLI suites
// run commands in-process.
class LedgerCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = (dir_ / "ledger.db").string();
    admin_ = (dir_ / "admin.pem").string();
    national_ = (dir_ / "national.pem").string();
    ASSERT_EQ(Run({"key", "new", "admin", "--out", admin_}).exit_code, 0);
    CliResult national = Run({"key", "new", "dgos", "--out", national_, "--json"});
    ASSERT_EQ(national.exit_code, 0) << national.err;
    national_pub_ = json::parse(national.out)["publicKey"];
    CliResult init =
        Run({"init", "--origin", "test.example/esms", "--admin-key", admin_, "--ledger", ledger_});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    CliResult enrol = Import(admin_, EnrolNational());
    ASSERT_EQ(enrol.exit_code, 0) << enrol.out << enrol.err;
  }

  CliResult Run(std::vector<std::string> args, const std::string& in = "") {
    return RunProgram(args, in);
  }
  CliResult Import(const std::string& key, const std::string& lines) {
    return RunProgram({"import", "-", "--json", "--key", key, "--ledger", ledger_}, lines);
  }
  std::string EnrolNational() const {
    return fmt::format(
        R"({{"id": "key-dgos", "type": "key.enrolled", "at": "2023-01-02", "data": )"
        R"({{"name": "dgos", "publicKey": "{}", "roles": ["national"], "regions": []}}}})"
        "\n",
        national_pub_);
  }
  // `count` solution.referenced events, signed by the national key.
  TempDir dir_;
  std::string ledger_, admin_, national_, national_pub_;
};

TEST_F(LedgerCliTest, InitWritesVerifierKeyAndRefusesSecondInit) {
  std::string pub = ReadFile(std::filesystem::path(ledger_) / "ledger.pub");
  EXPECT_THAT(pub, ::testing::StartsWith("test.example/esms+"));
  auto verifier = ledger::ParseVerifierKey(pub.substr(0, pub.find('\n')));
  ASSERT_TRUE(verifier.ok()) << verifier.status().ToString();
  CliResult again = Run({"init", "--origin", "x", "--admin-key", admin_, "--ledger", ledger_});
  EXPECT_NE(again.exit_code, 0);
}

TEST_F(LedgerCliTest, ImportLogAndIdempotentRerun) {
  CliResult first = Import(national_, SolutionLines(5));
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  json results = json::parse(first.out)["results"];
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[0]["line"], 1);
  EXPECT_EQ(results[0]["status"], "appended");
  EXPECT_EQ(results[0]["seq"], 2);  // genesis 0, national key 1
  EXPECT_EQ(results[4]["seq"], 6);

  CliResult again = Import(national_, SolutionLines(5));
  ASSERT_EQ(again.exit_code, 0);
  const json rerun = json::parse(again.out);  // outlives the loop (no dangling temporary)
  for (const auto& r : rerun["results"]) EXPECT_EQ(r["status"], "existing");

  CliResult log = Run({"log", "--from", "2", "--to", "3", "--json", "--ledger", ledger_});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  json records = json::parse(log.out)["records"];
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["seq"], 2);
  EXPECT_EQ(records[0]["id"], "sol-0");
  EXPECT_EQ(records[0]["type"], "solution.referenced");
  EXPECT_EQ(records[0]["stream"], "programme");
  EXPECT_EQ(records[0]["signer"], "dgos");
  EXPECT_EQ(records[0]["at"], "2023-02-01");
  EXPECT_EQ(records[0]["data"]["solution"]["vendor"], "Editeur 0");
  EXPECT_EQ(records[0]["hash"].get<std::string>().size(), 64u);
  EXPECT_EQ(records[0]["leafHash"].get<std::string>().size(), 64u);
}

TEST_F(LedgerCliTest, RefusalStopsAtLineKeepsEarlierLinesAndExitCodes) {
  std::string lines = SolutionLines(2) + "# a comment\n\n" + R"({"id": "bad", "type": "nope"})" +
                      "\n" + SolutionLines(1, 10);
  CliResult r = Import(national_, lines);
  EXPECT_EQ(r.exit_code, 2);  // BAD_INPUT
  json results = json::parse(r.out)["results"];
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[2]["line"], 5);
  EXPECT_EQ(results[2]["status"], "refused");
  EXPECT_EQ(results[2]["error"]["code"], "BAD_INPUT");
  // INTERFACE.md §3: a refusal's error has its "conflicts" list, empty when none.
  EXPECT_EQ(results[2]["error"]["conflicts"], json::array()) << r.out;

  // Same id, other content: EVENT_ID_CONFLICT (exit 3) naming the existing record.
  std::string conflicting = SolutionLines(1);
  conflicting.replace(conflicting.find("Editeur 0"), 9, "Editeur 9");
  CliResult c = Import(national_, conflicting);
  EXPECT_EQ(c.exit_code, 3);
  json last = json::parse(c.out)["results"].back();
  EXPECT_EQ(last["error"]["code"], "EVENT_ID_CONFLICT");
  EXPECT_EQ(last["error"]["conflicts"], json::array({2}));

  // An unknown key: UNAUTHORIZED (exit 3).
  std::string stranger = (dir_ / "stranger.pem").string();
  ASSERT_EQ(Run({"key", "new", "stranger", "--out", stranger}).exit_code, 0);
  CliResult u = Import(stranger, SolutionLines(1, 20));
  EXPECT_EQ(u.exit_code, 3);
  EXPECT_EQ(json::parse(u.out)["results"].back()["error"]["code"], "UNAUTHORIZED");

  // Human mode names the line and the code on stderr.
  CliResult h = Run({"import", "-", "--key", national_, "--ledger", ledger_},
                    R"({"id": "x", "type": "solution.referenced"})");
  EXPECT_EQ(h.exit_code, 2);
  EXPECT_THAT(h.err, HasSubstr("line 1"));
  EXPECT_THAT(h.err, HasSubstr("BAD_INPUT"));
}

TEST_F(LedgerCliTest, ExpectedVersionConflict) {
  std::string ok_line =
      R"({"id": "v1", "type": "solution.referenced", "at": "2023-02-01", "expectedVersion": 1, )"
      R"("data": {"solution": {"vendor": "A", "product": "B", "version": "1"}, )"
      R"("corridor": "medico-social", "status": "candidate", "referencedAt": "2023-02-01"}})";
  // The programme stream holds genesis and the national key enrolment: 2 records.
  CliResult wrong = Import(national_, ok_line);
  EXPECT_EQ(wrong.exit_code, 3);
  EXPECT_EQ(json::parse(wrong.out)["results"].back()["error"]["code"], "VERSION_CONFLICT");
  std::string right = ok_line;
  right.replace(right.find("\"expectedVersion\": 1"), 20, "\"expectedVersion\": 2");
  EXPECT_EQ(Import(national_, right).exit_code, 0);
}

TEST_F(LedgerCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Run({"frobnicate"}).exit_code, 2);
  // A plain line and no --key (signed lines need none: record format 2).
  EXPECT_EQ(Run({"import", "-", "--ledger", ledger_}, SolutionLines(1)).exit_code, 2);
  EXPECT_EQ(Run({"prove", "999", "--ledger", ledger_}).exit_code, 2);
  EXPECT_EQ(Run({"consistency", "5", "2", "--ledger", ledger_}).exit_code, 2);
  CliResult help = Run({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("Exit codes"));
}

TEST_F(LedgerCliTest, InsecureKeyFileRefused) {
  ASSERT_EQ(chmod(national_.c_str(), 0644), 0);
  CliResult r = Import(national_, SolutionLines(1));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.out, HasSubstr("UNAUTHORIZED"));
  EXPECT_THAT(r.out, HasSubstr("chmod 600"));
}

TEST_F(LedgerCliTest, VerifyProveConsistencyCheckpointCheckIndependently) {
  ASSERT_EQ(Import(national_, SolutionLines(20)).exit_code, 0);
  CliResult cp =
      Run({"checkpoint", "--key", ledger_ + "/ledger.key", "--ledger", ledger_, "--json"});
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  json checkpoint = json::parse(cp.out);
  EXPECT_EQ(checkpoint["size"], 22);

  // The signed note opens with ledger.pub, and names the root `verify` computes.
  std::string pub = ReadFile(std::filesystem::path(ledger_) / "ledger.pub");
  auto verifier = ledger::ParseVerifierKey(pub.substr(0, pub.find('\n')));
  ASSERT_TRUE(verifier.ok());
  std::vector<ledger::NoteVerifier> verifiers = {*verifier};
  auto text = ledger::OpenNote(checkpoint["note"].get<std::string>(), verifiers);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto parsed = ledger::ParseCheckpoint(*text);
  ASSERT_TRUE(parsed.ok());

  CliResult v = Run({"verify", "--json", "--ledger", ledger_});
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  json verify = json::parse(v.out);
  EXPECT_EQ(verify["ok"], true);
  EXPECT_EQ(verify["size"], 22);
  EXPECT_EQ(verify["firstBad"], nullptr);
  EXPECT_EQ(verify["root"], ledger::ToHex(parsed->root));

  // Every inclusion proof checks with the RFC 9162 verifier against that root.
  for (int seq = 0; seq < 22; ++seq) {
    CliResult p = Run({"prove", std::to_string(seq), "--json", "--ledger", ledger_});
    ASSERT_EQ(p.exit_code, 0);
    json proof = json::parse(p.out);
    std::vector<ledger::Hash> path;
    for (const auto& h : proof["proof"]) path.push_back(*ledger::HashFromHex(h.get<std::string>()));
    auto leaf = ledger::HashFromHex(proof["leafHash"].get<std::string>());
    EXPECT_TRUE(ledger::VerifyInclusion(seq, 22, *leaf, path, parsed->root)) << seq;
  }
  // And a consistency proof from an older size.
  CliResult old_root = Run({"prove", "0", "--size", "7", "--json", "--ledger", ledger_});
  json old_proof = json::parse(old_root.out);
  CliResult c = Run({"consistency", "7", "22", "--json", "--ledger", ledger_});
  ASSERT_EQ(c.exit_code, 0);
  json cons = json::parse(c.out);
  EXPECT_EQ(cons["oldRoot"], old_proof["root"]);
  std::vector<ledger::Hash> path;
  for (const auto& h : cons["proof"]) path.push_back(*ledger::HashFromHex(h.get<std::string>()));
  EXPECT_TRUE(ledger::VerifyConsistency(
      7, 22, path, *ledger::HashFromHex(cons["oldRoot"].get<std::string>()), parsed->root));
  // Without --key, `checkpoint` prints the latest kept one.
  CliResult latest = Run({"checkpoint", "--ledger", ledger_});
  EXPECT_EQ(latest.out, checkpoint["note"].get<std::string>());
}

TEST_F(LedgerCliTest, SecondWriterIsToldTheLedgerIsLocked) {
  // A first import holds the ledger open while it waits on its standard input.
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  Child holder = StartCli({"import", "-", "--key", national_, "--ledger", ledger_},
                          dir_ / "holder.out", fds[0]);
  close(fds[0]);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto start = std::chrono::steady_clock::now();
  CliResult second = Import(national_, SolutionLines(1));
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(second.exit_code, 4);
  EXPECT_THAT(second.out, HasSubstr("LEDGER_LOCKED"));
  EXPECT_LT(waited, std::chrono::seconds(10));  // told at once, not after a wait
  // Readers are not blocked by the writer.
  EXPECT_EQ(Run({"verify", "--ledger", ledger_}).exit_code, 0);
  EXPECT_EQ(Run({"log", "--ledger", ledger_}).exit_code, 0);
  std::string line = SolutionLines(1);
  ASSERT_EQ(write(fds[1], line.data(), line.size()), static_cast<ssize_t>(line.size()));
  close(fds[1]);
  EXPECT_EQ(WaitChild(holder), 0);
}

// Kills `import` with SIGKILL at random moments; after each kill the ledger opens,
// verifies, and holds every record whose seq was printed before the kill.
TEST_F(LedgerCliTest, SurvivesSigkillDuringImport) {
  constexpr int kEvents = 24000;
  constexpr int kKills = 12;  // 100 more in tests/reliability/crash_test.cc
  std::filesystem::path events = dir_ / "events.jsonl";
  WriteFile(events, SolutionLines(kEvents));
  std::mt19937 rng(20261123);
  // Short delays kill it early (before or inside the first group commits); the second
  // half waits longer, so that even a slow (sanitizer) build acknowledges records first.
  std::uniform_int_distribution<int> early_ms(5, 400), late_ms(1000, 4000);
  // One result object per acknowledged line: {"id":..,"line":..,"seq":..,"status":..}
  // (keys in order, as the JSON writer sorts them). The kill can cut the output in the
  // middle of a number ("seq":11 of "seq":1128): only an object written up to the key
  // that follows the seq counts as acknowledged.
  std::regex acked(R"re("id":"(sol-[0-9]+)","line":[0-9]+,"seq":([0-9]+),"status")re");
  std::map<uint64_t, std::string> acknowledged;
  int killed_mid_import = 0;
  for (int round = 0; round < kKills; ++round) {
    std::filesystem::path out = dir_ / fmt::format("import-{}.out", round);
    Child child = StartCli(
        {"import", events.string(), "--json", "--key", national_, "--ledger", ledger_}, out);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(round < kKills / 2 ? early_ms(rng) : late_ms(rng)));
    kill(child.pid, SIGKILL);
    int code = WaitChild(child);
    if (code == -SIGKILL) ++killed_mid_import;
    std::string printed = ReadFile(out);
    for (std::sregex_iterator it(printed.begin(), printed.end(), acked), end; it != end; ++it) {
      acknowledged[std::stoull((*it)[2])] = (*it)[1];
    }
    CliResult v = Run({"verify", "--json", "--ledger", ledger_});
    ASSERT_EQ(v.exit_code, 0) << "round " << round << ": " << v.out << v.err;
    auto opened = ledger::Ledger::Open(ledger_, ledger::Ledger::Mode::kReadOnly);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    for (const auto& [seq, id] : acknowledged) {
      auto record = (*opened)->Get(seq);
      ASSERT_TRUE(record.ok()) << "round " << round << ": acknowledged seq " << seq << " lost";
      EXPECT_EQ(record->event_id, id);
    }
  }
  EXPECT_GE(killed_mid_import, kKills / 2);
  // The check above means something only if records were acknowledged before kills
  // (tests/reliability/crash_test.cc calibrates its 100 kills on the import's speed).
  EXPECT_FALSE(acknowledged.empty());
  // A last complete run finishes the file: every event exactly once.
  CliResult finish =
      RunProgram({"import", events.string(), "--json", "--key", national_, "--ledger", ledger_});
  ASSERT_EQ(finish.exit_code, 0) << finish.err;
  auto opened = ledger::Ledger::Open(ledger_, ledger::Ledger::Mode::kReadOnly);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ((*opened)->size(), 2u + kEvents);
}

}  // namespace
}  // namespace esms::testing
