// `esms-ledger demo --scale national --federated` run by the real program (it forks
// itself), on three regions (--regions, a hidden test option) and the national ledger:
// every phase's expected outcome happens (the national report and its bundle, the
// witness refusing the rolled-back ledger, the mirror stopping on the tampered tile and
// keeping its copy), the figures it prints are the ones the commands give on its
// ledgers (the national ledger's share, its national-guichet project's, included), and no
// child process is left: after a run, after ^C in the middle, after a step that failed.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing/cli.h"

namespace esms::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

std::vector<std::string> FederatedDemo(const fs::path& dir) {
  return {"demo", "--scale", "national", "--federated", "--regions", "3", "--establishments",
          "150",  "--seed",  "7",        "--dir",       dir.string()};
}

// The pids the demo printed: "(pid N)" and "(pids: NAME N, NAME N)".
std::set<pid_t> PrintedPids(const std::string& out) {
  std::set<pid_t> pids;
  const std::regex one(R"(\(pid (\d+)\))");
  for (std::sregex_iterator it(out.begin(), out.end(), one), end; it != end; ++it) {
    pids.insert(std::stoi((*it)[1]));
  }
  const std::regex list(R"(\(pids: ([^)]*)\))");
  const std::regex named(R"([A-Za-z]+ (\d+))");
  for (std::sregex_iterator it(out.begin(), out.end(), list), end; it != end; ++it) {
    const std::string inner = (*it)[1];
    for (std::sregex_iterator n(inner.begin(), inner.end(), named); n != end; ++n) {
      pids.insert(std::stoi((*n)[1]));
    }
  }
  return pids;
}

// Processes whose command line names `dir` (every child of the demo does).
std::vector<pid_t> ProcessesNaming(const fs::path& dir) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(dir.string()) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

bool Gone(pid_t pid) { return ::kill(pid, 0) == -1 && errno == ESRCH; }

TEST(DemoFederatedCliTest, EveryExpectedOutcomeAndNoChildLeft) {
  TempDir tmp;
  const fs::path dir = tmp / "fed";
  CliResult run = RunProgram(FederatedDemo(dir));
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const std::string& out = run.out;
  for (const char* phase : {"] build ", "] witness ", "] serve ", "] cosign ", "] mirror ",
                            "] report ", "] rollback ", "] tamper ", "] stop "}) {
    EXPECT_THAT(out, HasSubstr(phase));
  }
  EXPECT_THAT(out, HasSubstr("3 region ledgers and the national one"));
  EXPECT_THAT(out, HasSubstr("4 serve processes listening on unix sockets"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("[FAILED]")));
  EXPECT_THAT(out, HasSubstr("[ok] 4 of the 4 cosigned checkpoints carry a valid cosignature"));
  // serve --witness: the restored server's push refused with 409, as its log says; the
  // same push by hand: ROLLBACK.
  EXPECT_THAT(out,
              ::testing::ContainsRegex(
                  R"(\[ok\] the witness refuses the restored serve's push \(its log\): witness )"
                  R"(push: witness=http://127\.0\.0\.1:[0-9]+ status=409 holds ([0-9]+) leaves)"));
  EXPECT_THAT(out, HasSubstr("[ok] witness add-checkpoint of the rolled-back ledger: error: "
                             "ROLLBACK"));
  EXPECT_THAT(
      out,
      ::testing::ContainsRegex(
          R"(\[ok\] the mirror stops on the tampered copy: error: (CORRUPTION|CONSISTENCY_FAILED))"));
  EXPECT_THAT(out, HasSubstr("[ok] the mirror's copy is as it was"));
  EXPECT_THAT(out, HasSubstr("[ok] the national bundle"));
  EXPECT_THAT(out, HasSubstr("[ok] it verifies offline with the ledger.pub files only"));
  EXPECT_THAT(out, HasSubstr("[ok] the national total is the sum of each region's own figure"));
  EXPECT_THAT(out, HasSubstr("[ok] the national ledger's share is its national-guichet project's"));
  EXPECT_THAT(out, HasSubstr("Every expected outcome happened."));

  // No child left: neither the ones it printed (the witness, the servers) nor any process
  // naming the demo's directory.
  const std::set<pid_t> pids = PrintedPids(out);
  EXPECT_GE(pids.size(), 6u) << out;  // the witness, 4 servers, the restarted one
  for (pid_t pid : pids) EXPECT_TRUE(Gone(pid)) << "pid " << pid << " still there";
  EXPECT_THAT(ProcessesNaming(dir), ::testing::IsEmpty());

  // The federation file it used names each ledger's server.
  const json used = json::parse(ReadFile(dir / "federation.json"));
  ASSERT_EQ(used.size(), 4u);
  EXPECT_EQ(used[0]["server"], "unix:" + (dir / "run" / "bzh.sock").string());

  // The national figure it printed, from outside: a federation of the ledger directories
  // (as they are now: bzh rolled back to its copy, which holds the same figure) gives a
  // report whose total is the sum of each ledger's own report, and the bundle verifies
  // with the keys only.
  json local = json::array();
  for (const char* name : {"bzh", "ara", "bfc", "national"}) {
    const fs::path ledger = dir / "ledgers" / name / "ledger";
    local.push_back(
        {{"name", name}, {"ledger", ledger.string()}, {"trust", (ledger / "ledger.pub").string()}});
  }
  WriteFile(tmp / "local.json", local.dump());
  CliResult national = RunCli({"report", "active-dui", "--federation",
                               (tmp / "local.json").string(), "--at", "2025-12-31", "--json"});
  ASSERT_EQ(national.exit_code, 0) << national.err;
  json n = json::parse(national.out);
  ASSERT_EQ(n["shares"].size(), 4u);
  int64_t sum = 0;
  std::map<std::string, int64_t> own_totals;
  for (const char* name : {"bzh", "ara", "bfc", "national"}) {
    CliResult own =
        RunCli({"report", "active-dui", "--ledger", (dir / "ledgers" / name / "ledger").string(),
                "--at", "2025-12-31", "--json"});
    ASSERT_EQ(own.exit_code, 0) << name << own.err;
    own_totals[name] = json::parse(own.out)["total"].get<int64_t>();
    sum += own_totals[name];
  }
  EXPECT_EQ(n["total"].get<int64_t>(), sum);
  // The national ledger holds a national-guichet project (issue 16): its share is not 0,
  // and it is the national ledger's own report, as the demo printed it.
  std::map<std::string, int64_t> shares;
  for (const json& share : n["shares"]) {
    shares[share["name"].get<std::string>()] = share["total"].get<int64_t>();
  }
  EXPECT_GT(shares["national"], 0);
  EXPECT_EQ(shares["national"], own_totals["national"]);
  EXPECT_THAT(out, HasSubstr(fmt::format(
                       "[ok] the national ledger's share is its national-guichet project's: {} "
                       "active files, its own report's {}",
                       own_totals["national"], own_totals["national"])));
  // That project, as the ledger holds it: 50 ESSMS or more in two regions, selected and
  // conventioned by the national key, paid in full by the lead region's ARS.
  const fs::path national_ledger = dir / "ledgers" / "national" / "ledger";
  CliResult state = RunCli({"state", "nat-2024-fondation-ouest-solidarites", "--ledger",
                            national_ledger.string(), "--json"});
  ASSERT_EQ(state.exit_code, 0) << state.err;
  const json project = json::parse(state.out);
  EXPECT_EQ(project["campaign"], "generalisation-2024");
  EXPECT_EQ(project["status"], "balance-paid");
  EXPECT_GE(project["establishments"].size(), 50u);
  EXPECT_EQ(project["paidCents"], project["conventionCents"]);
  EXPECT_GT(project["paidCents"].get<int64_t>(), 0);
  EXPECT_THAT(project["warnings"], ::testing::IsEmpty());
  CliResult by_region = RunCli({"report", "active-dui", "--ledger", national_ledger.string(),
                                "--at", "2025-12-31", "--by", "region", "--json"});
  ASSERT_EQ(by_region.exit_code, 0) << by_region.err;
  const json by = json::parse(by_region.out)["by"];
  EXPECT_EQ(by.size(), 2u) << by.dump();  // Bretagne and Pays de la Loire
  EXPECT_TRUE(by.contains("53") && by.contains("52")) << by.dump();
  CliResult log = RunCli({"log", "--ledger", national_ledger.string(), "--json"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  std::map<std::string, std::string> signer_of;
  const json records = json::parse(log.out)["records"];
  for (const json& r : records) {
    signer_of[r["type"].get<std::string>()] = r["signer"].get<std::string>();
  }
  EXPECT_EQ(signer_of["project.selected"], "cnsa-national");
  EXPECT_EQ(signer_of["convention.signed"], "cnsa-national");
  EXPECT_EQ(signer_of["payment.issued"], "ars-bretagne-payer");
  EXPECT_EQ(signer_of["project.submitted"], "porteur-fondation-ouest");
  EXPECT_THAT(out, HasSubstr(fmt::format("national active DUI at 2025-12-31: {} files", sum)));
  CliResult bundle = RunCli({"verify-bundle", (dir / "national-bundle.json").string(),
                             "--federation", (dir / "federation.json").string()});
  EXPECT_EQ(bundle.exit_code, 0) << bundle.out << bundle.err;

  // Each served ledger keeps the checkpoint the witness cosigned (serve --witness): ara's
  // covers the auditor key enrolled last.
  const std::string cosigned = ReadFile(dir / "ledgers" / "ara" / "ledger" / "cosigned.note");
  EXPECT_THAT(cosigned, HasSubstr("\n\u2014 witness.demo.esms-numerique.example/national "));

  // The mirror's copy, caught up from the true tiles, is the source's ledger.
  CliResult mirror = RunCli({"verify", "--ledger", (dir / "mirrors" / "ara").string(), "--json"});
  CliResult source =
      RunCli({"verify", "--ledger", (dir / "ledgers" / "ara" / "ledger").string(), "--json"});
  ASSERT_EQ(mirror.exit_code, 0) << mirror.err;
  ASSERT_EQ(source.exit_code, 0) << source.err;
  EXPECT_EQ(json::parse(mirror.out)["root"], json::parse(source.out)["root"]);

  // A second run replaces the previous demo's directory; with --json, the walk-through
  // goes to stderr and stdout gets the summary.
  std::vector<std::string> args = FederatedDemo(dir);
  args.push_back("--json");
  CliResult again = RunProgram(args);
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_THAT(again.err, HasSubstr("Every expected outcome happened."));
  json summary = json::parse(again.out);
  EXPECT_EQ(summary["ok"], true);
  EXPECT_EQ(summary["dir"], fs::absolute(dir).string());
  std::vector<std::string> phases;
  for (const json& p : summary["phases"]) phases.push_back(p["name"].get<std::string>());
  EXPECT_THAT(phases, ::testing::ElementsAre("build", "witness", "serve", "cosign", "mirror",
                                             "report", "rollback", "tamper", "stop"));
  ASSERT_EQ(summary["outcomes"].size(), 11u) << summary.dump();
  for (const json& o : summary["outcomes"]) EXPECT_EQ(o["ok"], true) << o.dump();
}

// ^C once the servers run: the orchestrator stops every child and exits 130.
TEST(DemoFederatedCliTest, InterruptedStopsEveryChild) {
  TempDir tmp;
  const fs::path dir = tmp / "fed";
  const fs::path out_file = tmp / "out.txt";
  Child demo = StartCli(FederatedDemo(dir), out_file);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  std::string out;
  while (out.find("] cosign ") == std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << out;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    out = ReadFile(out_file);
  }
  const std::set<pid_t> pids = PrintedPids(out);
  ASSERT_EQ(pids.size(), 5u) << out;  // the witness and 4 servers
  for (pid_t pid : pids) ASSERT_FALSE(Gone(pid)) << "pid " << pid << " not running yet";
  ASSERT_EQ(::kill(demo.pid, SIGINT), 0);
  EXPECT_EQ(WaitChild(demo), 130);
  for (pid_t pid : pids) EXPECT_TRUE(Gone(pid)) << "pid " << pid << " still there";
  EXPECT_THAT(ProcessesNaming(dir), ::testing::IsEmpty());
}

// A step that fails once children run (here the servers: DIR makes their socket paths
// longer than a unix socket takes): exit 1 naming the child and its error, every child
// stopped.
TEST(DemoFederatedCliTest, AFailedStepStopsEveryChild) {
  TempDir tmp;
  const fs::path dir = tmp / std::string(100, 'x');
  CliResult run = RunProgram(FederatedDemo(dir));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_THAT(run.err, HasSubstr("serve-bzh exited (2) before it said \"listening on \""));
  EXPECT_THAT(run.err, HasSubstr("a socket path holds at most 107 bytes"));
  const std::set<pid_t> pids = PrintedPids(run.out);
  ASSERT_EQ(pids.size(), 1u) << run.out;  // the witness
  for (pid_t pid : pids) EXPECT_TRUE(Gone(pid)) << "pid " << pid << " still there";
  EXPECT_THAT(ProcessesNaming(dir), ::testing::IsEmpty());
}

TEST(DemoFederatedCliTest, RefusesADirectoryThatIsNotADemo) {
  TempDir tmp;
  WriteFile(tmp / "mine.txt", "not a demo");
  CliResult run = RunProgram(FederatedDemo(tmp.path()));
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_THAT(run.err, HasSubstr("is not a previous demo"));
  EXPECT_EQ(ReadFile(tmp / "mine.txt"), "not a demo");
}

}  // namespace
}  // namespace esms::testing
