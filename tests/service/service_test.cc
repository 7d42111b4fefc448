// The ledger as a service (issue 15, INTERFACE.md §6) through real processes and
// sockets: `esms-ledger serve` on a unix socket in a temporary directory, clients the real
// program. Several clients importing at once share the ledger and every event is there
// once; a refused line ends only its own client's import; import and the reads print what
// the local commands print, with the same exit codes; SIGTERM drains and exits 0 within
// 5 s, and a client cut off by it resends its chunk to the restarted server; bad wire
// input and too many connections fail only the client concerned.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/service/server_fixture.h"
#include "tests/testing/cli.h"
#include "tests/testing/http.h"
#include "tests/testing/ids.h"

namespace esms::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

// A solution event whose version differs from SolutionLines(1, i)'s: same id, other
// content.
std::string ConflictingSolution(int i) {
  return fmt::format(
      R"({{"id": "sol-{}", "type": "solution.referenced", "at": "2023-02-01", "data": )"
      R"({{"solution": {{"vendor": "Autre", "product": "DUI", "version": "9{}.0"}}, )"
      R"("corridor": "medico-social", "status": "referenced", "referencedAt": "2023-02-01"}}}})"
      "\n",
      i, i);
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = (dir_ / "admin.pem").string();
    dgos_ = (dir_ / "dgos.pem").string();
    ASSERT_EQ(RunCli({"key", "new", "admin", "--out", admin_}).exit_code, 0);
    CliResult n = RunCli({"key", "new", "dgos", "--out", dgos_, "--json"});
    ASSERT_EQ(n.exit_code, 0) << n.err;
    dgos_pub_ = json::parse(n.out)["publicKey"];
    db_ = MakeLedger("served.db");
  }

  // A ledger with the admin and dgos (national) keys enrolled: seqs 0 and 1.
  std::string MakeLedger(const std::string& name) {
    std::string db = (dir_ / name).string();
    CliResult init =
        RunCli({"init", "--origin", "svc.example/esms", "--admin-key", admin_, "--ledger", db});
    EXPECT_EQ(init.exit_code, 0) << init.err;
    std::string enrol = json{{"id", "key-dgos"},
                             {"type", "key.enrolled"},
                             {"at", "2023-01-02"},
                             {"data",
                              {{"name", "dgos"},
                               {"publicKey", dgos_pub_},
                               {"roles", {"national"}},
                               {"regions", json::array()}}}}
                            .dump() +
                        "\n";
    CliResult e = RunCli({"import", "-", "--key", admin_, "--ledger", db}, enrol);
    EXPECT_EQ(e.exit_code, 0) << e.err;
    return db;
  }

  std::unique_ptr<ServerProcess> Serve(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"serve",     "--listen", "unix:" + Socket(),
                                     "--no-auth", "--ledger", db_};
    args.insert(args.end(), extra.begin(), extra.end());
    auto server = std::make_unique<ServerProcess>(args, dir_.path());
    EXPECT_TRUE(server->ok()) << server->log();
    return server;
  }

  std::string Socket() const { return (dir_ / "s.sock").string(); }
  std::string Server() const { return "unix:" + Socket(); }

  std::string File(const std::string& text) {
    fs::path path = dir_ / fmt::format("in-{}.jsonl", counter_++);
    WriteFile(path, text);
    return path.string();
  }

  // `args` as a client of the server.
  CliResult Client(std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.end(), {"--server", Server()});
    return RunProgram(args, stdin_text);
  }

  // The event ids of the ledger's records, through the server.
  std::vector<std::string> Ids() {
    CliResult log = Client({"log", "--json"});
    EXPECT_EQ(log.exit_code, 0) << log.err;
    std::vector<std::string> ids;
    const json parsed = json::parse(log.out);  // kept: a range-for over a temporary's member
    for (const json& r : parsed["records"]) ids.push_back(r["id"]);
    return ids;
  }

  TempDir dir_;
  std::string admin_, dgos_, dgos_pub_, db_;
  int counter_ = 0;
};

TEST_F(ServiceTest, ClientsImportingAtOnceShareTheLedgerAndEveryEventIsThereOnce) {
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  constexpr int kClients = 4, kOwn = 400, kShared = 200;
  std::vector<std::string> files;
  for (int c = 0; c < kClients; ++c) {
    // Each its own events, and the same shared ones (the same bytes from every client).
    files.push_back(File(SolutionLines(kOwn, 1000 * (c + 1)) + SolutionLines(kShared, 0)));
  }
  std::vector<CliResult> results(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      results[c] = Client({"import", files[c], "--key", dgos_, "--json"});
    });
  }
  for (std::thread& t : clients) t.join();
  int appended = 0, existing = 0;
  for (int c = 0; c < kClients; ++c) {
    ASSERT_EQ(results[c].exit_code, 0) << results[c].err;
    const json out = json::parse(results[c].out);
    ASSERT_EQ(out["results"].size(), size_t{kOwn + kShared});
    for (const json& r : out["results"]) (r["status"] == "appended" ? appended : existing)++;
  }
  EXPECT_EQ(appended, kClients * kOwn + kShared);
  EXPECT_EQ(existing, (kClients - 1) * kShared);

  std::vector<std::string> ids = Ids();
  EXPECT_EQ(ids.size(), size_t{2 + kClients * kOwn + kShared});
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  CliResult verify = Client({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(verify.out, HasSubstr(fmt::format("OK: {} records", ids.size())));

  std::chrono::milliseconds took{};
  EXPECT_EQ(server->Stop(SIGTERM, std::chrono::seconds(10), &took), 0) << server->log();
  EXPECT_LT(took.count(), 5000);
  CliResult local = RunProgram({"verify", "--ledger", db_});
  EXPECT_EQ(local.exit_code, 0) << local.out << local.err;
  // One log line per request, with its id.
  EXPECT_THAT(server->log(), HasSubstr("req="));
  EXPECT_THAT(server->log(), HasSubstr("append lines="));
}

TEST_F(ServiceTest, ARefusedLineEndsOnlyItsOwnClientsImport) {
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  // A: lines 1-5 good, line 6 reuses sol-1's id with other content, lines 7-9 good.
  const std::string a = File(SolutionLines(5, 0) + ConflictingSolution(1) + SolutionLines(3, 100));
  const std::string b = File(SolutionLines(300, 500));
  CliResult ra, rb;
  std::thread ta([&] { ra = Client({"import", a, "--key", dgos_}); });
  std::thread tb([&] { rb = Client({"import", b, "--key", dgos_}); });
  ta.join();
  tb.join();
  EXPECT_EQ(ra.exit_code, 3) << ra.err;
  EXPECT_EQ(ra.out, "appended 5, already present 0\n");
  EXPECT_THAT(ra.err, HasSubstr("line 6 refused (id sol-1)"));
  EXPECT_THAT(ra.err, HasSubstr("EVENT_ID_CONFLICT"));
  EXPECT_EQ(rb.exit_code, 0) << rb.err;
  EXPECT_THAT(rb.out, HasSubstr("appended 300, already present 0"));
  std::vector<std::string> ids = Ids();
  std::set<std::string> set(ids.begin(), ids.end());
  EXPECT_EQ(ids.size(), size_t{2 + 5 + 300});
  EXPECT_TRUE(set.count("sol-4"));
  EXPECT_FALSE(set.count("sol-100"));  // after the refused line: not sent
  EXPECT_EQ(server->Stop(), 0);
}

TEST_F(ServiceTest, ImportPrintsWhatTheLocalImportPrintsWithTheSameExitCodes) {
  const std::string local_db = MakeLedger("local.db");
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  struct Case {
    std::string name;
    std::string lines;
    std::vector<std::string> flags;
  };
  auto sign = [&](const std::string& lines) {
    CliResult s = RunCli(
        {"sign", File(lines), "--key", dgos_, "--trust", (fs::path(db_) / "ledger.pub").string()});
    EXPECT_EQ(s.exit_code, 0) << s.err;
    return s.out;
  };
  const std::string signed_lines = sign(SolutionLines(3, 40));
  // Signed lines in other forms than sign's: the client sends a plain signed line's event
  // as the text it has in the line (service/client.cc), which the server decodes as the
  // local import does. A key twice in the event: its text does not decode as it is (a
  // duplicate key), its re-serialized JSON does (the last value kept, the one signed).
  std::string twice = sign(SolutionLines(1, 70));
  twice.replace(twice.find(R"({"event":{)"), 10, R"({"event":{"at":"1999-01-01",)");
  // Spaces, the keys in another order, an escape; UTF-8 of 2 to 4 bytes.
  const std::string relaid = [&] {
    const json line = json::parse(sign(SolutionLines(1, 71)));
    std::string event = line["event"].dump();
    const std::vector<std::pair<std::string, std::string>> edits = {
        {R"(",")", R"(", ")"}, {R"(":)", R"(" : )"}, {"Editeur", R"(\u0045diteur)"}};
    for (const auto& [from, to] : edits) {
      for (size_t at = event.find(from); at != std::string::npos;
           at = event.find(from, at + to.size())) {
        event.replace(at, from.size(), to);
      }
    }
    return fmt::format(R"( {{ "signer" : "dgos", "signature": "{}",  "event" : {} }} )",
                       line["signature"].get<std::string>(), event) +
           "\n";
  }();
  const std::string accents =
      sign(R"({"id": "sol-72", "type": "solution.referenced", "at": "2023-02-01", "data": )"
           R"({"solution": {"vendor": "\u00c9diteur \u00fc \ud83c\udf89", "product": "DUI", )"
           R"("version": "72.0"}, "corridor": "medico-social", "status": "referenced", )"
           R"("referencedAt": "2023-02-01"}})"
           "\n");
  const std::vector<Case> cases = {
      {"plain", SolutionLines(3, 0) + "\n# a comment\n" + SolutionLines(1, 1), {"--key", dgos_}},
      {"plain json", SolutionLines(2, 10) + SolutionLines(1, 0), {"--key", dgos_, "--json"}},
      {"bad json", SolutionLines(2, 20) + "{not json\n" + SolutionLines(1, 22), {"--key", dgos_}},
      {"bad json --json", SolutionLines(1, 23) + "{\"id\": 3}\n", {"--key", dgos_, "--json"}},
      {"conflict --json",
       SolutionLines(1, 30) + ConflictingSolution(30),
       {"--key", dgos_, "--json"}},
      {"signed, no key", signed_lines, {}},
      {"signed, no key --json", signed_lines, {"--json"}},
      {"signed, a key twice in the event", twice, {}},
      {"signed, spaces, keys in another order, an escape", relaid, {"--json"}},
      {"signed, UTF-8", accents, {}},
      {"plain, no key", SolutionLines(1, 50), {}},
      {"admin lacks the role", SolutionLines(1, 60), {"--key", admin_}},
      {"admin lacks the role --json", SolutionLines(1, 61), {"--key", admin_, "--json"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string file = File(c.lines);
    std::vector<std::string> args = {"import", file};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    std::vector<std::string> local_args = args;
    local_args.insert(local_args.end(), {"--ledger", local_db});
    CliResult local = RunProgram(local_args);
    CliResult remote = Client(args);
    EXPECT_EQ(remote.exit_code, local.exit_code) << remote.err << local.err;
    // The ledger size is the same in both: the same records in the same order.
    EXPECT_EQ(remote.out, local.out);
    EXPECT_EQ(remote.err, local.err);
  }
  EXPECT_EQ(server->Stop(), 0);
}

TEST_F(ServiceTest, ReadsPrintWhatTheLocalCommandsPrint) {
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  ASSERT_EQ(Client({"import", File(SolutionLines(20, 0)), "--key", dgos_}).exit_code, 0);
  const std::vector<std::vector<std::string>> reads = {
      {"log"},
      {"log", "--json", "--from", "1", "--to", "5"},
      {"verify"},
      {"verify", "--json"},
      {"verify", "--no-signatures"},
      {"checkpoint"},
      {"checkpoint", "--json"},
      {"prove", "7"},
      {"prove", "7", "--size", "9", "--json"},
      {"prove", "99"},
      {"prove", "99", "--json"},
      {"prove", "7", "--format", "tlog-proof"},
      {"prove", "7", "--format", "tlog-proof", "--size", "9"},
      {"prove", "99", "--format", "tlog-proof"},
      {"consistency", "3", "21"},
      {"consistency", "3", "21", "--json"},
      {"consistency", "21", "3"},
      {"state", "P-UNKNOWN"},
      {"state", "P-UNKNOWN", "--json"},
      {"check", "P-UNKNOWN", "--at", "2024-01-01"},
      {"history", "sol-3"},
      {"history", "sol-3", "--json"},
      {"rules", "generalisation-2024"},
      {"report", "active-dui", "--at", "2024-01-01"},
      {"report", "active-dui", "--at", "2024-01-01", "--json", "--by", "region"},
      {"report", "active-dui", "--at", "2024-01-01", "--format", "csv"},
      {"report", "active-dui", "--at", "2024-01-01", "--format", "html"},
      {"report", "active-dui", "--at", "not-a-date"},
      {"report", "active-dui"},
      {"bundle", "P-UNKNOWN", "--out", (dir_ / "b.json").string()},
      {"bundle", "P-UNKNOWN", "--out", (dir_ / "b.json").string(), "--json"},
  };
  for (const auto& read : reads) {
    SCOPED_TRACE(fmt::format("{}", fmt::join(read, " ")));
    std::vector<std::string> local_args = read;
    local_args.insert(local_args.end(), {"--ledger", db_});  // read-only, beside the server
    CliResult local = RunProgram(local_args);
    CliResult remote = Client(read);
    EXPECT_EQ(remote.exit_code, local.exit_code);
    EXPECT_EQ(remote.out, local.out);
    EXPECT_EQ(remote.err, local.err);
  }
  // A tlog-proof written to a file: the same bytes, and what the local command prints.
  for (bool json : {false, true}) {
    SCOPED_TRACE(json ? "--json" : "text");
    std::vector<std::string> local_args = {"prove",      "7",     "--format",
                                           "tlog-proof", "--out", (dir_ / "local.proof").string(),
                                           "--ledger",   db_};
    std::vector<std::string> remote_args = {
        "prove", "7", "--format", "tlog-proof", "--out", (dir_ / "remote.proof").string()};
    if (json) {
      local_args.push_back("--json");
      remote_args.push_back("--json");
    }
    CliResult local = RunProgram(local_args);
    CliResult remote = Client(remote_args);
    ASSERT_EQ(local.exit_code, 0) << local.err;
    EXPECT_EQ(remote.exit_code, 0) << remote.err;
    EXPECT_EQ(ReadFile(dir_ / "remote.proof"), ReadFile(dir_ / "local.proof"));
    std::string expected = local.out;
    expected.replace(expected.find("local.proof"), 11, "remote.proof");
    EXPECT_EQ(remote.out, expected);
    EXPECT_EQ(remote.err, local.err);
  }
  EXPECT_EQ(server->Stop(), 0);
}

TEST_F(ServiceTest, ClientAndServerUsageErrorsHaveTheDocumentedExitCodes) {
  // No server on the socket: the ledger cannot be reached (exit 4).
  CliResult none = Client({"verify"});
  EXPECT_EQ(none.exit_code, 4);
  EXPECT_THAT(none.err, HasSubstr("STORAGE_ERROR: cannot reach the server unix:"));
  CliResult bad = RunProgram({"verify", "--server", "no-port-here"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("expected unix:PATH or HOST:PORT"));
  CliResult no_ca = RunProgram({"verify", "--server", "127.0.0.1:1"});
  EXPECT_EQ(no_ca.exit_code, 2);
  EXPECT_THAT(no_ca.err, HasSubstr("--tls-ca"));
  CliResult init = Client({"init", "--origin", "x.example", "--admin-key", admin_});
  EXPECT_EQ(init.exit_code, 2);
  EXPECT_THAT(init.err, HasSubstr("does not run against a server"));
  // A federation names its servers in its file.
  CliResult federated = Client({"report", "active-dui", "--federation", File("[]")});
  EXPECT_EQ(federated.exit_code, 2);
  EXPECT_THAT(federated.err, HasSubstr("USAGE: --federation names its servers in its file"));
  // The server refuses what it cannot do safely, before opening the ledger.
  CliResult plain = RunProgram({"serve", "--listen", "127.0.0.1:0", "--no-auth", "--ledger", db_});
  EXPECT_EQ(plain.exit_code, 2);
  EXPECT_THAT(plain.err, HasSubstr("without TLS"));
  CliResult http = RunProgram(
      {"serve", "--listen", Server(), "--no-auth", "--http", "no-port-here", "--ledger", db_});
  EXPECT_EQ(http.exit_code, 2);
  EXPECT_THAT(http.err, HasSubstr("USAGE"));
  // A second server on the same ledger: locked (exit 4).
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  CliResult second = RunProgram(
      {"serve", "--listen", "unix:" + (dir_ / "t.sock").string(), "--no-auth", "--ledger", db_});
  EXPECT_EQ(second.exit_code, 4);
  EXPECT_THAT(second.err, HasSubstr("LEDGER_LOCKED"));
  EXPECT_EQ(server->Stop(), 0);
}

TEST_F(ServiceTest, HttpFrontCountsTheServedAppendsAndServesTheTilesAMirrorChecks) {
  auto server = Serve({"--http", "127.0.0.1:0"});
  ASSERT_TRUE(server->ok());
  const std::string out = server->out();
  const size_t at = out.find("http listening on 127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << out;
  const int port = std::atoi(out.c_str() + at + 28);
  ASSERT_GT(port, 0);
  // 20 new records, then a request whose third line conflicts: 2 more appended, refused.
  ASSERT_EQ(Client({"import", File(SolutionLines(20, 0)), "--key", dgos_}).exit_code, 0);
  CliResult refused =
      Client({"import", File(SolutionLines(2, 200) + ConflictingSolution(1)), "--key", dgos_});
  EXPECT_EQ(refused.exit_code, 3) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("EVENT_ID_CONFLICT"));

  HttpAnswer metrics = HttpRequest(port, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body, HasSubstr("\nesms_appends_total 22\n")) << metrics.body;
  EXPECT_THAT(metrics.body, HasSubstr("\nesms_refusals_total{code=\"EVENT_ID_CONFLICT\"} 1\n"));
  EXPECT_THAT(metrics.body, HasSubstr("\nesms_ledger_size 24\n"));
  EXPECT_THAT(metrics.body, HasSubstr("\nesms_committed_records_total 22\n"));
  EXPECT_THAT(metrics.body, HasSubstr("\nesms_queue_depth "));
  EXPECT_THAT(metrics.body, HasSubstr("\nesms_checkpoint_age_seconds "));
  EXPECT_EQ(HttpRequest(port, "GET", "/healthz").status, 200);
  // The checkpoint served over HTTP is the one the checkpoint command prints.
  CliResult checkpoint = Client({"checkpoint"});
  ASSERT_EQ(checkpoint.exit_code, 0) << checkpoint.err;
  HttpAnswer served = HttpRequest(port, "GET", "/checkpoint");
  EXPECT_EQ(served.status, 200);
  EXPECT_EQ(served.body, checkpoint.out);
  EXPECT_EQ(HttpRequest(port, "GET", "/tile/0/000.p/24").status, 200);
  EXPECT_EQ(HttpRequest(port, "GET", "/tile/0/000").status, 404);  // not all of its hashes yet

  // A mirror follows the served tiles while the server runs and checks every record.
  const std::string copy = (dir_ / "copy").string();
  CliResult mirror = RunProgram({"mirror", "--from", fmt::format("http://127.0.0.1:{}", port),
                                 "--dir", copy, "--trust", db_ + "/ledger.pub"});
  ASSERT_EQ(mirror.exit_code, 0) << mirror.out << mirror.err;
  CliResult verify = RunProgram({"verify", "--ledger", copy});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  // It grows, and the mirror catches up.
  ASSERT_EQ(Client({"import", File(SolutionLines(5, 300)), "--key", dgos_}).exit_code, 0);
  mirror = RunProgram({"mirror", "--from", fmt::format("http://127.0.0.1:{}", port), "--dir", copy,
                       "--trust", db_ + "/ledger.pub"});
  ASSERT_EQ(mirror.exit_code, 0) << mirror.out << mirror.err;
  CliResult log = RunProgram({"log", "--json", "--ledger", copy});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_EQ(json::parse(log.out)["records"].size(), size_t{29});
  EXPECT_THAT(HttpRequest(port, "GET", "/metrics").body, HasSubstr("\nesms_appends_total 27\n"));

  EXPECT_EQ(server->Stop(), 0);
  EXPECT_THAT(server->log(), HasSubstr("http listening on 127.0.0.1:"));
}

TEST_F(ServiceTest, SigtermDrainsExitsZeroAndACutOffClientResendsToTheRestartedServer) {
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  constexpr int kEvents = 6000;
  const std::string file = File(SolutionLines(kEvents, 0));
  CliResult client;
  std::thread t([&] { client = Client({"import", file, "--key", dgos_, "--json"}); });
  // Once some of it is in, stop the server under the import.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    CliResult log = RunProgram({"log", "--json", "--from", "2", "--ledger", db_});
    if (log.exit_code == 0 && json::parse(log.out)["records"].size() >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::chrono::milliseconds took{};
  EXPECT_EQ(server->Stop(SIGTERM, std::chrono::seconds(10), &took), 0) << server->log();
  EXPECT_LT(took.count(), 5000);
  EXPECT_THAT(server->log(), HasSubstr("stop accepting"));
  // The client retries for a while: the restarted server takes the rest.
  auto restarted = Serve();
  ASSERT_TRUE(restarted->ok());
  t.join();
  ASSERT_EQ(client.exit_code, 0) << client.err;
  EXPECT_THAT(client.err, HasSubstr("reconnecting to send lines"));  // it was cut off
  const json out = json::parse(client.out);
  std::set<uint64_t> lines;
  for (const json& r : out["results"]) lines.insert(r["line"].get<uint64_t>());
  EXPECT_EQ(lines.size(), size_t{kEvents});  // every line answered, once
  std::vector<std::string> ids = Ids();
  EXPECT_EQ(ids.size(), size_t{2 + kEvents});
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  EXPECT_EQ(Client({"verify"}).exit_code, 0);
  EXPECT_EQ(restarted->Stop(), 0);
}

// Issue 15's goal: the server SIGKILLed under load again and again, restarted each time,
// the client retrying: nothing acknowledged is lost, nothing is there twice, verify
// passes after each restart and at the end. 5 kills here ($ESMS_SERVICE_KILLS for more: the goal
// says 20).
TEST_F(ServiceTest, KilledUnderLoadAndRestartedNothingAcknowledgedIsLostOrDoubled) {
  const char* env = std::getenv("ESMS_SERVICE_KILLS");
  const int kills = env != nullptr ? std::atoi(env) : 5;
  const int kEvents = std::max(8000, 2500 * kills);  // enough load for every kill
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  const std::string file = File(SolutionLines(kEvents, 0));
  CliResult client;
  std::thread t([&] { client = Client({"import", file, "--key", dgos_, "--json"}); });
  size_t last = 2;
  int landed = 0;
  for (int k = 0; k < kills; ++k) {
    // Wait for the ledger to grow (the load is on), then kill.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    size_t now = last;
    while (std::chrono::steady_clock::now() < deadline) {
      CliResult log =
          RunProgram({"log", "--json", "--from", std::to_string(last), "--ledger", db_});
      if (log.exit_code == 0) {
        const json parsed = json::parse(log.out);
        now = last + parsed["records"].size();
        if (now > last) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (now == last) break;  // the import is over
    ++landed;
    last = now;
    EXPECT_EQ(server->Stop(SIGKILL), -SIGKILL);
    server = Serve();
    ASSERT_TRUE(server->ok());
    // Each time: what the killed server left verifies whole (the import goes on meanwhile).
    CliResult verified = Client({"verify"});
    EXPECT_EQ(verified.exit_code, 0)
        << "after kill " << k + 1 << ": " << verified.out << verified.err;
  }
  t.join();
  std::printf("%d SIGKILLs landed under load\n", landed);
  EXPECT_GE(landed, std::min(kills, 2)) << "the kills did not land under load";
  ASSERT_EQ(client.exit_code, 0) << client.err;
  // Every acknowledged line is in the ledger, at the seq it was acknowledged with.
  const json out = json::parse(client.out);
  CliResult log = Client({"log", "--json"});
  ASSERT_EQ(log.exit_code, 0);
  const json records = json::parse(log.out)["records"];
  ASSERT_EQ(records.size(), size_t(2 + kEvents));
  std::set<uint64_t> lines;
  for (const json& r : out["results"]) {
    lines.insert(r["line"].get<uint64_t>());
    const uint64_t seq = r["seq"];
    ASSERT_LT(seq, records.size());
    EXPECT_EQ(records[seq]["id"], r["id"]);
  }
  EXPECT_EQ(lines.size(), size_t(kEvents));
  std::set<std::string> ids;
  for (const json& r : records) ids.insert(r["id"].get<std::string>());
  EXPECT_EQ(ids.size(), records.size());
  CliResult verify = Client({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_EQ(server->Stop(), 0);
}

// A raw connection to the server's socket.
int ConnectRaw(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST_F(ServiceTest, BadWireInputAndTooManyConnectionsFailOnlyTheirClient) {
  auto server = Serve({"--max-connections", "3"});
  ASSERT_TRUE(server->ok());
  ASSERT_EQ(Client({"import", File(SolutionLines(5, 0)), "--key", dgos_}).exit_code, 0);
  // Garbage, then a message header that announces a 4 GiB segment.
  int garbage = ConnectRaw(Socket());
  ASSERT_GE(garbage, 0);
  std::string noise(1 << 16, '\x5a');
  EXPECT_GT(::write(garbage, noise.data(), noise.size()), 0);
  int huge = ConnectRaw(Socket());
  ASSERT_GE(huge, 0);
  const uint32_t header[2] = {0, 0xfffffff0u};  // one segment of 2^32 - 16 words
  EXPECT_EQ(::write(huge, header, sizeof(header)), ssize_t{sizeof(header)});
  // A client that vanishes after connecting.
  int vanished = ConnectRaw(Socket());
  ASSERT_GE(vanished, 0);
  ::close(vanished);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // The others are still served, and nothing was written.
  std::vector<std::string> ids = Ids();
  EXPECT_EQ(ids.size(), size_t{2 + 5});
  ::close(garbage);
  ::close(huge);

  // Three connections held open: the fourth is told so (exit 4), the held ones closed,
  // it is served again.
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) held.push_back(ConnectRaw(Socket()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CliResult busy = Client({"verify"});
  EXPECT_EQ(busy.exit_code, 4);
  EXPECT_THAT(busy.err, HasSubstr("too many connections"));
  for (int fd : held) ::close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Client({"verify"}).exit_code, 0);
  EXPECT_EQ(server->Stop(), 0);
  EXPECT_THAT(server->log(), HasSubstr("too many connections"));
  // The log says why the garbage's connection was dropped.
  EXPECT_THAT(server->log(), ::testing::ContainsRegex("level=warning conn=[0-9]+ closed: "
                                                      "protocol error: .*too many segments"));
}

// Whether the server closed `fd` (read gives end of file) within `wait`.
bool ClosedByServer(int fd, std::chrono::milliseconds wait) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return false;
  char c;
  return ::read(fd, &c, 1) == 0;
}

// Clients that connect and never log in hold their slots until the login deadline
// (10 s), no longer: the server closes them, logs why, and serves the others again
// without anybody closing anything.
TEST_F(ServiceTest, ConnectionsThatNeverLogInAreClosedAtTheLoginDeadline) {
  auto server = Serve({"--max-connections", "2"});
  ASSERT_TRUE(server->ok());
  const auto start = std::chrono::steady_clock::now();
  std::vector<int> silent;
  for (int i = 0; i < 3; ++i) silent.push_back(ConnectRaw(Socket()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CliResult busy = Client({"verify"});
  EXPECT_EQ(busy.exit_code, 4);
  EXPECT_THAT(busy.err, HasSubstr(": too many connections to the server (limit 2): retry later"));
  EXPECT_THAT(busy.err, Not(HasSubstr("status_")));  // no source text in the message
  for (int fd : silent) {
    EXPECT_TRUE(ClosedByServer(fd, std::chrono::seconds(15))) << "fd " << fd;
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(9));
  CliResult served = Client({"verify"});
  EXPECT_EQ(served.exit_code, 0) << served.err;
  for (int fd : silent) ::close(fd);
  EXPECT_EQ(server->Stop(), 0);
  EXPECT_THAT(server->log(), HasSubstr("closed: no login within 10000 ms"));
}

}  // namespace
}  // namespace esms::testing
