// `esms-ledger witness serve` as a real process on a real socket (127.0.0.1, port 0, the
// bound port read back), fed by `witness add-checkpoint` and by raw HTTP requests written
// here with POSIX sockets: a consistent sequence cosigned, a rolled-back ledger refused
// (409 with the witness's size, text/x.tlog.size), a fork refused (409 at the same size,
// 422 beyond it), its state surviving SIGKILL right after an answer, malformed requests
// (400), unknown logs (404), untrusted signatures (403), one origin's concurrent requests
// serialized, and the state directory locked against a second witness.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "tests/testing/cli.h"
#include "tests/testing/http.h"
#include "tests/testing/ids.h"
#include "witness/client.h"
#include "witness/witness.h"

namespace esms::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kOrigin[] = "ars-bretagne.example/esms";
constexpr char kWitnessName[] = "witness.example/national";

// A log made here, with no ledger: its key, and the requests that take a witness from
// size k to k + 1 (old size, RFC 9162 consistency proof, signed checkpoint).
struct SyntheticLog {
  std::string origin;
  std::string vkey_file;
  std::vector<witness::AddCheckpointRequest> requests;  // requests[k]: to size k + 1
  std::vector<ledger::Hash> roots;                      // roots[k]: of size k + 1
};

SyntheticLog MakeSyntheticLog(const std::string& origin, int steps, const fs::path& dir) {
  SyntheticLog log;
  log.origin = origin;
  auto key = ledger::SigningKey::Generate();
  EXPECT_TRUE(key.ok());
  log.vkey_file = (dir / (std::to_string(std::hash<std::string>()(origin)) + ".pub")).string();
  std::ofstream(log.vkey_file) << ledger::VerifierKey(origin, key->public_key()) << "\n";
  ledger::MemoryTree tree;
  for (int step = 0; step < steps; ++step) {
    tree.Append(ledger::LeafHash(ledger::AsBytes(origin + " leaf " + std::to_string(step))));
    witness::AddCheckpointRequest request;
    request.old_size = tree.size() - 1;
    request.checkpoint = ledger::SignNote(
        ledger::FormatCheckpoint({origin, tree.size(), tree.Root(), {}}), origin, *key);
    if (request.old_size > 0) {
      auto proof = ledger::ConsistencyProof(request.old_size, tree.size(), tree);
      EXPECT_TRUE(proof.ok());
      request.proof = *proof;
    }
    log.requests.push_back(std::move(request));
    log.roots.push_back(tree.Root());
  }
  return log;
}

class WitnessServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(RunCli({"key", "new", "admin", "--out", admin_}).exit_code, 0);
    ASSERT_EQ(RunCli({"key", "new", "witness", "--out", witness_key_}).exit_code, 0);
    CliResult key = RunCli({"key", "new", "dgos", "--out", national_, "--json"});
    ASSERT_EQ(key.exit_code, 0) << key.err;
    national_pub_ = json::parse(key.out)["publicKey"];
    ledger_ = MakeLedger("bzh.db", kOrigin);
  }

  void TearDown() override { StopWitness(); }

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

  // Imports `count` solution records, ids from `first` (one commit, one checkpoint).
  void Grow(const std::string& ledger, int count, int first) {
    CliResult events = RunCli({"import", "-", "--key", national_, "--ledger", ledger},
                              SolutionLines(count, first));
    ASSERT_EQ(events.exit_code, 0) << events.out << events.err;
  }

  // A copy of a ledger as it is now (a backup restored later: a rollback; grown with
  // other events: a fork under the same origin and ledger key).
  std::string CopyLedger(const std::string& ledger, const std::string& name) {
    const fs::path to = dir_ / name;
    fs::copy(ledger, to, fs::copy_options::recursive);
    return to.string();
  }

  void StartWitness(const std::vector<std::string>& extra_logs = {}) {
    std::vector<std::string> args = {
        "witness", "serve",         "--listen", "127.0.0.1:0",
        "--key",   witness_key_,    "--name",   kWitnessName,
        "--state", state_.string(), "--log",    (fs::path(ledger_) / "ledger.pub").string(),
        "--json"};
    for (const std::string& log : extra_logs) {
      args.push_back("--log");
      args.push_back(log);
    }
    const fs::path out = dir_ / fmt::format("serve-{}.out", ++starts_);
    child_ = StartCli(args, out);
    const std::string line = WaitForFirstLine(out);
    ASSERT_FALSE(line.empty()) << "the witness did not start: " << ReadFile(out);
    json started = json::parse(line);
    url_ = started["url"];
    vkey_ = started["witness"];
    const std::string listening = started["listening"];
    port_ = std::stoi(listening.substr(listening.rfind(':') + 1));
  }

  // SIGTERM: a clean stop (exit 0). `kill9`: SIGKILL, no chance to write anything.
  void StopWitness(bool kill9 = false) {
    if (child_.pid <= 0) return;
    ::kill(child_.pid, kill9 ? SIGKILL : SIGTERM);
    const int code = WaitChild(child_);
    EXPECT_EQ(code, kill9 ? -SIGKILL : 0);
    child_.pid = -1;
  }

  CliResult Push(const std::string& ledger, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"witness", "add-checkpoint", "--url", url_,    "--ledger",
                                     ledger,    "--witness",      vkey_,   "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCli(args);
  }

  // The request bringing a witness at `old_size` to the ledger's latest checkpoint.
  std::string RequestBody(const std::string& ledger, uint64_t old_size) {
    auto opened = ledger::Ledger::Open(ledger, ledger::Ledger::Mode::kReadOnly);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return "";
    auto request = witness::RequestFromLedger(**opened, old_size);
    EXPECT_TRUE(request.ok()) << request.status().ToString();
    return request.ok() ? witness::FormatAddCheckpoint(*request) : "";
  }
  std::string LatestNote(const std::string& ledger) {
    CliResult r = RunCli({"checkpoint", "--ledger", ledger});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  json StateOf(const std::string& origin) {
    json state = json::parse(ReadFile(state_ / "state.json"));
    for (const json& log : state["logs"]) {
      if (log["origin"] == origin) return log;
    }
    return json();
  }

  // The cosignature's time if `note` carries a valid cosignature by the witness.
  uint64_t CosignedBy(const std::string& note) {
    auto verifier = ledger::ParseVerifierKey(vkey_);
    EXPECT_TRUE(verifier.ok()) << vkey_;
    if (!verifier.ok()) return 0;
    auto time = ledger::VerifyCosignature(note, *verifier);
    EXPECT_TRUE(time.ok()) << time.status().ToString() << "\n" << note;
    return time.ok() ? *time : 0;
  }

  static json ErrorOf(const CliResult& r) {
    json parsed = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(parsed.is_object() && parsed.contains("error")) << r.out << r.err;
    return parsed.is_object() && parsed.contains("error") ? parsed["error"] : json();
  }

  TempDir dir_;
  std::string admin_ = (dir_ / "admin.pem").string();
  std::string national_ = (dir_ / "national.pem").string();
  std::string witness_key_ = (dir_ / "witness.pem").string();
  std::string national_pub_;
  std::string ledger_;
  fs::path state_ = dir_ / "witness-state";
  Child child_;
  int starts_ = 0;
  std::string url_;
  std::string vkey_;
  int port_ = 0;
};

TEST_F(WitnessServeTest, CosignsEachConsistentCheckpointOfAGrowingLedger) {
  StartWitness();
  ASSERT_THAT(vkey_, HasSubstr(std::string(kWitnessName) + "+"));

  CliResult first = Push(ledger_);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  json j = json::parse(first.out);
  EXPECT_EQ(j["size"], 2);
  EXPECT_EQ(j["attempts"], 1);  // a new witness holds 0
  const uint64_t t1 = CosignedBy(j["note"]);
  EXPECT_GT(t1, 1700000000u);
  EXPECT_EQ(j["time"], t1);
  EXPECT_EQ(StateOf(kOrigin)["size"], 2);

  // More records; the client does not know what the witness holds: 409 then the proof.
  Grow(ledger_, 3, 0);
  CliResult second = Push(ledger_);
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  j = json::parse(second.out);
  EXPECT_EQ(j["size"], 5);
  EXPECT_EQ(j["attempts"], 2);
  CosignedBy(j["note"]);
  EXPECT_EQ(StateOf(kOrigin)["size"], 5);

  // Knowing it: one request.
  Grow(ledger_, 4, 3);
  CliResult third = Push(ledger_, {"--old", "5"});
  ASSERT_EQ(third.exit_code, 0) << third.out << third.err;
  j = json::parse(third.out);
  EXPECT_EQ(j["size"], 9);
  EXPECT_EQ(j["attempts"], 1);
  CosignedBy(j["note"]);
  // The cosigned note verifies with the ledger's key too, and is the ledger's checkpoint.
  EXPECT_THAT(j["note"].get<std::string>(), HasSubstr(LatestNote(ledger_).substr(0, 40)));
  EXPECT_EQ(StateOf(kOrigin)["size"], 9);

  // The same checkpoint again: cosigned again (same size, same root).
  HttpAnswer again = HttpRequest(port_, "POST", "/add-checkpoint", RequestBody(ledger_, 9));
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_THAT(again.body, ::testing::StartsWith("\xE2\x80\x94 " + std::string(kWitnessName) + " "));
}

TEST_F(WitnessServeTest, RefusesARolledBackLedger) {
  const std::string backup = CopyLedger(ledger_, "backup.db");  // 2 records
  Grow(ledger_, 3, 0);
  StartWitness();
  ASSERT_EQ(Push(ledger_).exit_code, 0);  // the witness holds 5

  // The backup restored in place of the ledger: its checkpoint of size 2.
  CliResult pushed = Push(backup);
  EXPECT_EQ(pushed.exit_code, 1) << pushed.out << pushed.err;
  EXPECT_EQ(ErrorOf(pushed)["code"], "ROLLBACK");
  EXPECT_THAT(ErrorOf(pushed)["message"].get<std::string>(), HasSubstr("5"));

  // On the wire: old 2 (what the rolled-back log believes) -> 409 and the size held.
  HttpAnswer conflict = HttpRequest(port_, "POST", "/add-checkpoint", RequestBody(backup, 2));
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.Header("Content-Type"), "text/x.tlog.size");
  EXPECT_EQ(conflict.body, "5\n");
  // old 5 with a checkpoint of size 2: old size beyond the checkpoint -> 400.
  HttpAnswer backwards =
      HttpRequest(port_, "POST", "/add-checkpoint", "old 5\n\n" + LatestNote(backup));
  EXPECT_EQ(backwards.status, 400) << backwards.body;
  EXPECT_EQ(StateOf(kOrigin)["size"], 5);
}

TEST_F(WitnessServeTest, RefusesAForkUnderTheSameOriginAndKey) {
  const std::string fork = CopyLedger(ledger_, "fork.db");  // same origin, same ledger key
  Grow(ledger_, 3, 0);
  Grow(fork, 3, 100);  // other events at seqs 2-4
  StartWitness();
  ASSERT_EQ(Push(ledger_).exit_code, 0);  // the witness holds the ledger's 5
  const json held_root = StateOf(kOrigin)["root"];

  // Same size, another root: 409 (no size to retry from).
  HttpAnswer same_size = HttpRequest(port_, "POST", "/add-checkpoint", RequestBody(fork, 5));
  EXPECT_EQ(same_size.status, 409) << same_size.body;
  EXPECT_NE(same_size.Header("Content-Type"), "text/x.tlog.size");
  CliResult pushed = Push(fork);
  EXPECT_EQ(pushed.exit_code, 1) << pushed.out << pushed.err;
  EXPECT_EQ(ErrorOf(pushed)["code"], "CONSISTENCY_FAILED");

  // Beyond it: the fork's own proof from 5 does not lead from the witness's root -> 422.
  Grow(fork, 2, 200);
  HttpAnswer beyond = HttpRequest(port_, "POST", "/add-checkpoint", RequestBody(fork, 5));
  EXPECT_EQ(beyond.status, 422) << beyond.body;
  pushed = Push(fork, {"--old", "5"});
  EXPECT_EQ(pushed.exit_code, 1) << pushed.out << pushed.err;
  EXPECT_EQ(ErrorOf(pushed)["code"], "CONSISTENCY_FAILED");
  EXPECT_EQ(StateOf(kOrigin)["size"], 5);
  EXPECT_EQ(StateOf(kOrigin)["root"], held_root);

  // The true ledger goes on.
  Grow(ledger_, 2, 3);
  CliResult next = Push(ledger_, {"--old", "5"});
  EXPECT_EQ(next.exit_code, 0) << next.out << next.err;
  EXPECT_EQ(StateOf(kOrigin)["size"], 7);
}

TEST_F(WitnessServeTest, KeepsItsStateThroughSigkill) {
  const std::string backup = CopyLedger(ledger_, "backup.db");  // 2 records
  StartWitness();
  for (int round = 0; round < 3; ++round) {
    Grow(ledger_, 2, 10 * round);
    CliResult pushed = Push(ledger_);
    ASSERT_EQ(pushed.exit_code, 0) << pushed.out << pushed.err;
    const uint64_t size = json::parse(pushed.out)["size"];
    // Killed right after its answer: nothing more to write, no clean shutdown.
    StopWitness(/*kill9=*/true);
    StartWitness();
    EXPECT_EQ(StateOf(kOrigin)["size"], size);
    HttpAnswer rolled = HttpRequest(port_, "POST", "/add-checkpoint", RequestBody(backup, 2));
    EXPECT_EQ(rolled.status, 409);
    EXPECT_EQ(rolled.body, std::to_string(size) + "\n");
  }
  CliResult rollback = Push(backup);
  EXPECT_EQ(rollback.exit_code, 1);
  EXPECT_EQ(ErrorOf(rollback)["code"], "ROLLBACK");
  Grow(ledger_, 1, 99);
  CliResult next = Push(ledger_, {"--old", "8"});
  EXPECT_EQ(next.exit_code, 0) << next.out << next.err;
  EXPECT_EQ(json::parse(next.out)["attempts"], 1);
  EXPECT_EQ(StateOf(kOrigin)["size"], 9);
}

TEST_F(WitnessServeTest, SigkillUnderLoadLosesNoCosignatureItAnswered) {
  // Four logs pushed at once, one checkpoint after the other each, while the witness is
  // killed: every cosignature a client received must be in the state found at restart.
  std::vector<SyntheticLog> logs;
  std::vector<std::string> log_args;
  for (int i = 0; i < 4; ++i) {
    logs.push_back(
        MakeSyntheticLog("load" + std::to_string(i) + ".example/log", 2000, dir_.path()));
    log_args.push_back(logs.back().vkey_file);
  }
  StartWitness(log_args);
  auto verifier = ledger::ParseVerifierKey(vkey_);
  ASSERT_TRUE(verifier.ok());
  std::vector<uint64_t> answered(logs.size(), 0);
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (size_t i = 0; i < logs.size(); ++i) {
    clients.emplace_back([&, i] {
      for (const witness::AddCheckpointRequest& request : logs[i].requests) {
        if (stop.load()) return;
        auto reply = witness::SubmitCheckpoint(url_, request, std::chrono::seconds(5));
        if (!reply.ok() || !reply->cosigned()) return;  // the witness is gone
        if (!ledger::VerifyCosignature(request.checkpoint + reply->body, *verifier).ok()) return;
        answered[i] = request.old_size + 1;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  StopWitness(/*kill9=*/true);
  stop = true;
  for (std::thread& t : clients) t.join();
  StartWitness(log_args);
  for (size_t i = 0; i < logs.size(); ++i) {
    const json held = StateOf(logs[i].origin);
    ASSERT_TRUE(held.is_object()) << logs[i].origin << " missing after the kill";
    const uint64_t size = held["size"];
    EXPECT_GT(answered[i], 0u) << "no cosignature at all in 400 ms for " << logs[i].origin;
    EXPECT_GE(size, answered[i]) << logs[i].origin << ": cosigned " << answered[i]
                                 << " but the state holds " << size;
    ASSERT_GT(size, 0u);
    EXPECT_EQ(held["root"], ledger::Base64Encode(logs[i].roots[size - 1]));
    // It goes on from what it holds, and refuses anything older.
    ASSERT_LT(size, logs[i].requests.size());
    auto next = witness::SubmitCheckpoint(url_, logs[i].requests[size]);
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    EXPECT_EQ(next->http_status, 200) << next->body;
    auto old = witness::SubmitCheckpoint(url_, logs[i].requests[size - 1]);
    ASSERT_TRUE(old.ok());
    EXPECT_EQ(old->http_status, 409);
    EXPECT_EQ(old->witness_size, size + 1);
  }
}

TEST_F(WitnessServeTest, AnswersMalformedRequestsWith400) {
  StartWitness();
  const std::string note = LatestNote(ledger_);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"empty", ""},
      {"no old line", "\n" + note},
      {"old not a number", "old two\n\n" + note},
      {"old with a leading zero", "old 02\n\n" + note},
      {"old negative", "old -1\n\n" + note},
      {"no blank line", "old 0\n" + note},
      {"a proof line not base64", "old 0\nnot base64!\n\n" + note},
      {"a proof line of 31 bytes",
       "old 0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n\n" + note},
      {"no checkpoint", "old 0\n\n"},
      {"a checkpoint with no signature", "old 0\n\n" + note.substr(0, note.find("\n\n") + 2)},
      {"a checkpoint with a NUL",
       "old 0\n\n" + note.substr(0, 3) + std::string(1, '\0') + note.substr(3)},
      {"old 0 with a proof", "old 0\nGGwFVuNNzUeNpL6H8geo8vbDpDLswaKdstn58SWzDbM=\n\n" + note},
      {"64 proof lines", "old 0\n" +
                             [] {
                               std::string lines;
                               for (int i = 0; i < 64; ++i)
                                 lines += "GGwFVuNNzUeNpL6H8geo8vbDpDLswaKdstn58SWzDbM=\n";
                               return lines;
                             }() +
                             "\n" + note},
      {"too large", "old 0\n\n" + std::string(70 * 1024, 'x')},
  };
  for (const auto& [what, body] : bad) {
    HttpAnswer a = HttpRequest(port_, "POST", "/add-checkpoint", body);
    EXPECT_EQ(a.status, 400) << what << ": " << a.body;
  }
  EXPECT_EQ(HttpRequest(port_, "GET", "/add-checkpoint", "").status, 405);
  EXPECT_EQ(HttpRequest(port_, "POST", "/add-checkpoints", "old 0\n\n" + note).status, 404);
  // Nothing of that moved the witness.
  EXPECT_FALSE(fs::exists(state_ / "state.json"));
  EXPECT_EQ(Push(ledger_).exit_code, 0);
}

TEST_F(WitnessServeTest, RefusesUnknownLogsAndUntrustedSignatures) {
  const std::string other = MakeLedger("other.db", "ars-normandie.example/esms");
  // Same origin as the witnessed ledger, another ledger key: its signature is not trusted.
  const std::string impostor = MakeLedger("impostor.db", kOrigin);
  StartWitness();
  HttpAnswer unknown = HttpRequest(port_, "POST", "/add-checkpoint", RequestBody(other, 0));
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  HttpAnswer forged = HttpRequest(port_, "POST", "/add-checkpoint", RequestBody(impostor, 0));
  EXPECT_EQ(forged.status, 403) << forged.body;
  CliResult pushed = Push(other);
  EXPECT_EQ(pushed.exit_code, 3) << pushed.out << pushed.err;
  EXPECT_EQ(ErrorOf(pushed)["code"], "WITNESS_REFUSED");
  EXPECT_FALSE(fs::exists(state_ / "state.json"));

  // Given with --log, the second log is witnessed beside the first, each on its own.
  StopWitness();
  StartWitness({(fs::path(other) / "ledger.pub").string()});
  EXPECT_EQ(Push(other).exit_code, 0);
  EXPECT_EQ(Push(ledger_).exit_code, 0);
  EXPECT_EQ(StateOf("ars-normandie.example/esms")["size"], 2);
  EXPECT_EQ(StateOf(kOrigin)["size"], 2);
}

TEST_F(WitnessServeTest, SerializesConcurrentRequestsForOneOrigin) {
  Grow(ledger_, 3, 0);
  StartWitness();
  // Twelve clients submit the same checkpoint from old size 0 at once: one wins, every
  // other one is told the size the witness now holds.
  const std::string body = RequestBody(ledger_, 0);
  std::vector<HttpAnswer> answers(12);
  std::vector<std::thread> clients;
  for (size_t i = 0; i < answers.size(); ++i) {
    clients.emplace_back(
        [&, i] { answers[i] = HttpRequest(port_, "POST", "/add-checkpoint", body); });
  }
  for (std::thread& t : clients) t.join();
  int cosigned = 0;
  for (const HttpAnswer& a : answers) {
    if (a.status == 200) {
      ++cosigned;
    } else {
      EXPECT_EQ(a.status, 409);
      EXPECT_EQ(a.body, "5\n");
    }
  }
  EXPECT_EQ(cosigned, 1);
}

TEST_F(WitnessServeTest, OneStateDirectoryServesOneWitness) {
  StartWitness();
  ASSERT_EQ(Push(ledger_).exit_code, 0);
  auto serve = [&](const std::string& key) {
    return RunProgram({"witness", "serve", "--listen", "127.0.0.1:0", "--key", key, "--name",
                       kWitnessName, "--state", state_.string(), "--log",
                       (fs::path(ledger_) / "ledger.pub").string(), "--json"});
  };
  CliResult second = serve(witness_key_);
  EXPECT_EQ(second.exit_code, 4) << second.out << second.err;
  EXPECT_THAT(second.out, HasSubstr("in use by another witness"));
  // Another key on the same state once the first has stopped: refused (the state is the
  // first witness's), not silently taken over.
  StopWitness();
  const std::string other = (dir_ / "other.pem").string();
  ASSERT_EQ(RunCli({"key", "new", "other", "--out", other}).exit_code, 0);
  CliResult taken = serve(other);
  EXPECT_EQ(taken.exit_code, 1) << taken.out << taken.err;
  EXPECT_THAT(taken.out, HasSubstr("belongs to the witness"));
  EXPECT_EQ(StateOf(kOrigin)["size"], 2);
}

}  // namespace
}  // namespace esms::testing
