// Crash safety: `import` and `checkpoint --key` killed with SIGKILL at random moments.
// After every kill the ledger opens, `verify` passes, every record acknowledged before
// the kill (its seq printed by `import --json`) is there with its id, and nothing is
// half-written (the records are exactly a prefix of what was sent, each id once).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ledger/ledger.h"
#include "ledger/note.h"
#include "tests/reliability/fixture.h"

namespace esms::testing {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr int kChunk = 1100;  // > the import's group commit (1000): a kill can split it

// Events [first, first + count) of the solution series, one per line.
std::string Chunk(int first, int count = kChunk) { return SolutionLines(count, first); }

double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// Everything a kill may leave must hold: the ledger opens, verifies, holds every
// acknowledged record, and its solution records are sol-0 .. sol-(n-1) in order of
// first arrival, each exactly once (a prefix of what was sent, nothing half-written).
void CheckAfterKill(const KeyedLedger& l, const std::map<uint64_t, std::string>& acknowledged,
                    uint64_t keys_end, const std::string& where) {
  CliResult v = l.Run({"verify", "--json"});
  ASSERT_EQ(v.exit_code, 0) << where << ": " << v.out << v.err;
  json report = json::parse(v.out);
  ASSERT_EQ(report["ok"], true) << where << ": " << v.out;
  auto opened = ledger::Ledger::Open(l.ledger(), ledger::Ledger::Mode::kReadOnly);
  ASSERT_TRUE(opened.ok()) << where << ": " << opened.status().ToString();
  const ledger::Ledger& ledger = **opened;
  ASSERT_EQ(report["size"], ledger.size()) << where;
  for (const auto& [seq, id] : acknowledged) {
    auto record = ledger.Get(seq);
    ASSERT_TRUE(record.ok()) << where << ": acknowledged seq " << seq << " lost";
    ASSERT_EQ(record->event_id, id) << where << ": seq " << seq;
  }
  // The tail since the last check is enough: earlier records were checked then and
  // verify re-derives the chain over all of them.
  uint64_t from = std::max<uint64_t>(keys_end, ledger.size() > 3000 ? ledger.size() - 3000 : 0);
  Status s = ledger.Scan(from, ledger.size(), [&](const ledger::Record& r) -> Status {
    std::string expected = fmt::format("sol-{}", r.seq - keys_end);
    if (r.event_id != expected) {
      return Status::InvalidArgument(
          "TEST", fmt::format("seq {} holds {}, expected {}", r.seq, r.event_id, expected));
    }
    auto found = ledger.FindEventId(r.event_id);
    if (!found.ok() || *found != std::optional<uint64_t>(r.seq)) {
      return Status::InvalidArgument("TEST",
                                     "event id index disagrees at seq " + std::to_string(r.seq));
    }
    return Status::OK();
  });
  ASSERT_TRUE(s.ok()) << where << ": " << s.ToString();
}

// Waits until `out` holds a first acknowledged result (or the end of the output, if the
// import ended first); false after a minute without either.
bool WaitForAcknowledgement(const fs::path& out) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string printed = ReadFile(out);
    if (printed.find("\"seq\"") != std::string::npos || printed.find("]}") != std::string::npos) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// SIGKILLs of `import` in the middle of its work. Each round imports the
// previous chunk again (what the last kill interrupted: the rerun a user would do) and
// a new chunk, and is killed after a random delay drawn from the time one such import
// takes undisturbed, so kills land everywhere: opening, replaying the projection,
// parsing, between and inside group commits, saving the snapshot. Every third round
// draws its delay from its first acknowledgement on, so that some kills follow one
// whatever the machine's load.
// Four shards of 25 kills, each on its own ledger (a smaller ledger per shard keeps
// each round's verify short, and ctest runs shards in parallel): >= 100 kills in all
// (a third under the sanitizers: Repetitions).
void KillImports(uint32_t seed) {
  constexpr int kKills = Repetitions(25);
  constexpr int kMaxRounds = Repetitions(60);
  TempDir dir;
  KeyedLedger l(dir.path(), {{"national", {"national"}, {}}});
  ASSERT_TRUE(l.ok()) << l.error();
  const uint64_t keys_end = 2;  // genesis, national

  // Calibration on a scratch ledger: how long one round's import takes.
  double round_ms = 0;
  {
    TempDir scratch;
    KeyedLedger s(scratch.path(), {{"national", {"national"}, {}}});
    ASSERT_TRUE(s.ok()) << s.error();
    fs::path file = scratch / "calibrate.jsonl";
    WriteFile(file, Chunk(0, 2 * kChunk));
    auto start = std::chrono::steady_clock::now();
    CliResult r = RunProgram({"import", file.string(), "--json", "--key", s.KeyFile("national"),
                              "--ledger", s.ledger()});
    round_ms = MillisSince(start);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::mt19937 rng(seed);
  // Each result object printed (whatever the order of its keys); a kill may cut the
  // last one, which then does not match.
  const std::regex acked(R"re(\{[^{}]*\})re");
  std::map<uint64_t, std::string> acknowledged;
  int killed = 0, killed_after_ack = 0, rounds = 0, sent = 0;
  for (; killed < kKills && rounds < kMaxRounds; ++rounds) {
    // The chunk before the last (what a kill may have cut) and a new one.
    int first = std::max(0, sent - kChunk);
    sent += kChunk;
    fs::path file = dir / "round.jsonl";
    WriteFile(file, Chunk(first, sent - first));
    fs::path out = dir / "round.out";
    fs::remove(out);  // the child creates it: nothing of the last round can be read as this one's
    Child child = StartCli(
        {"import", file.string(), "--json", "--key", l.KeyFile("national"), "--ledger", l.ledger()},
        out);
    // Every third round waits for the first acknowledgement before its delay, so that
    // kills after one happen on any machine: a delay drawn from the calibration alone
    // can miss them all when the machine is loaded (CI, stop 25: 25 kills, none after).
    const bool after_ack = rounds % 3 == 2;
    if (after_ack) {
      ASSERT_TRUE(WaitForAcknowledgement(out)) << "round " << rounds;
    }
    const double max_ms = after_ack ? 0.5 * round_ms : 1.1 * round_ms;
    std::this_thread::sleep_for(std::chrono::microseconds(
        static_cast<int64_t>(std::uniform_real_distribution<double>(0.0, max_ms)(rng) * 1000)));
    kill(child.pid, SIGKILL);
    int code = WaitChild(child);
    ASSERT_TRUE(code == -SIGKILL || code == 0) << "round " << rounds << ": exit " << code;
    if (code == -SIGKILL) ++killed;
    // An import that ended before its kill: the calibration overestimated a round (it
    // ran on a busier machine); later delays are drawn shorter.
    if (code == 0) round_ms *= 0.8;
    std::string printed = ReadFile(out);
    bool printed_ack = false;
    for (std::sregex_iterator it(printed.begin(), printed.end(), acked), end; it != end; ++it) {
      json result = json::parse(it->str(), nullptr, false);
      if (!result.is_object() || !result.contains("seq")) continue;
      ASSERT_THAT(result.value("status", ""), ::testing::AnyOf("appended", "existing"));
      acknowledged[result["seq"].get<uint64_t>()] = result["id"].get<std::string>();
      printed_ack = true;
    }
    if (code == -SIGKILL && printed_ack) ++killed_after_ack;
    ASSERT_NO_FATAL_FAILURE(
        CheckAfterKill(l, acknowledged, keys_end, fmt::format("round {} (exit {})", rounds, code)));
    // Keep the ledger (and the time per round) small: what was not imported is sent
    // again next round from the first missing event.
    auto opened = ledger::Ledger::Open(l.ledger(), ledger::Ledger::Mode::kReadOnly);
    ASSERT_TRUE(opened.ok());
    sent = std::min<int>(sent, static_cast<int>((*opened)->size() - keys_end) + kChunk);
  }
  EXPECT_GE(killed, kKills) << "in " << rounds << " rounds (one import: " << round_ms << " ms)";
  EXPECT_GT(killed_after_ack, 0) << "no kill came after an acknowledgement";

  // A complete run of everything sent: each event exactly once, nothing added twice.
  fs::path all = dir / "all.jsonl";
  WriteFile(all, Chunk(0, sent));
  CliResult finish = RunProgram(
      {"import", all.string(), "--json", "--key", l.KeyFile("national"), "--ledger", l.ledger()});
  ASSERT_EQ(finish.exit_code, 0) << finish.err;
  auto opened = ledger::Ledger::Open(l.ledger(), ledger::Ledger::Mode::kReadOnly);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ((*opened)->size(), keys_end + static_cast<uint64_t>(sent));
  std::set<std::string> ids;
  Status s = (*opened)->Scan(keys_end, (*opened)->size(), [&](const ledger::Record& r) {
    EXPECT_TRUE(ids.insert(r.event_id).second) << r.event_id << " twice";
    return Status::OK();
  });
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(ids.size(), static_cast<size_t>(sent));
  CliResult v = l.Run({"verify", "--json"});
  EXPECT_EQ(v.exit_code, 0) << v.out;
}

TEST(CrashTest, SigkillsDuringImportShard1) { KillImports(20261123); }
TEST(CrashTest, SigkillsDuringImportShard2) { KillImports(2); }
TEST(CrashTest, SigkillsDuringImportShard3) { KillImports(3); }
TEST(CrashTest, SigkillsDuringImportShard4) { KillImports(4); }

// `checkpoint --key` killed at random moments, between imports that grow the tree:
// every kept checkpoint still verifies (verify checks each one against the tree and
// the ledger key), and the latest one printed opens with ledger.pub.
TEST(CrashTest, SigkillsDuringCheckpoint) {
  constexpr int kKills = Repetitions(30);
  TempDir dir;
  KeyedLedger l(dir.path(), {{"national", {"national"}, {}}});
  ASSERT_TRUE(l.ok()) << l.error();
  std::string pub = ReadFile(fs::path(l.ledger()) / "ledger.pub");
  auto verifier = ledger::ParseVerifierKey(pub.substr(0, pub.find('\n')));
  ASSERT_TRUE(verifier.ok());
  std::vector<ledger::NoteVerifier> verifiers = {*verifier};

  double checkpoint_ms = 0;
  {
    auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(
        l.Run({"checkpoint", "--key", (fs::path(l.ledger()) / "ledger.key").string()}).exit_code,
        0);
    checkpoint_ms = MillisSince(start);
  }
  std::mt19937 rng(7);
  int killed = 0;
  for (int round = 0; round < kKills; ++round) {
    ASSERT_EQ(l.Import("national", Chunk(round * 3, 3)).exit_code, 0);
    Child child = StartCli({"checkpoint", "--key", (fs::path(l.ledger()) / "ledger.key").string(),
                            "--ledger", l.ledger()},
                           dir / "checkpoint.out");
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(
        std::uniform_real_distribution<double>(0.0, 1.2 * checkpoint_ms)(rng) * 1000)));
    kill(child.pid, SIGKILL);
    int code = WaitChild(child);
    ASSERT_TRUE(code == -SIGKILL || code == 0) << "round " << round << ": exit " << code;
    if (code == -SIGKILL) ++killed;
    if (code == 0) checkpoint_ms *= 0.8;  // as for the imports: the calibration ran slower
    CliResult v = l.Run({"verify", "--json"});
    ASSERT_EQ(v.exit_code, 0) << "round " << round << ": " << v.out << v.err;
    CliResult latest = l.Run({"checkpoint"});
    ASSERT_EQ(latest.exit_code, 0) << latest.err;
    auto text = ledger::OpenNote(latest.out, verifiers);
    ASSERT_TRUE(text.ok()) << "round " << round << ": " << text.status().ToString();
    auto parsed = ledger::ParseCheckpoint(*text);
    ASSERT_TRUE(parsed.ok());
    // The kept checkpoint's root is the tree's root at its size.
    CliResult proof = l.Run({"prove", "0", "--size", std::to_string(parsed->size), "--json"});
    ASSERT_EQ(proof.exit_code, 0) << proof.err;
    EXPECT_EQ(json::parse(proof.out)["root"], ledger::ToHex(parsed->root));
  }
  EXPECT_GE(killed, kKills / 3) << "checkpoint takes " << checkpoint_ms << " ms";
}

// `witness cosign` killed at random moments: its state file is written atomically, so
// the next cosignature always succeeds (no torn state read as a rollback or a fork),
// and the ledger is untouched (the witness only reads it).
TEST(CrashTest, SigkillsDuringWitnessCosign) {
  constexpr int kKills = Repetitions(20);
  TempDir dir;
  KeyedLedger l(dir.path(), {{"national", {"national"}, {}}});
  ASSERT_TRUE(l.ok()) << l.error();
  const std::string witness_key = (dir / "witness.pem").string();
  ASSERT_EQ(RunProgram({"key", "new", "witness", "--out", witness_key}).exit_code, 0);
  const std::vector<std::string> cosign = {
      "witness", "cosign",    "--name",   "w",       "--state", (dir / "witness.state").string(),
      "--key",   witness_key, "--ledger", l.ledger()};
  ASSERT_EQ(
      l.Run({"checkpoint", "--key", (fs::path(l.ledger()) / "ledger.key").string()}).exit_code, 0);
  // The time of a cosignature like the loop's (a second one, of a grown ledger: the
  // first, from no state, is not typical of them).
  double cosign_ms = 0;
  {
    CliResult first = RunProgram(cosign);
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    ASSERT_EQ(l.Import("national", Chunk(1000, 2)).exit_code, 0);
    auto start = std::chrono::steady_clock::now();
    CliResult second = RunProgram(cosign);
    cosign_ms = MillisSince(start);
    ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  }
  // The kill lands at a random moment within 1.2 times the median of the cosignatures
  // timed so far (one slow run on a busy machine must not push every kill past the end).
  std::vector<double> timings = {cosign_ms};
  auto median = [&timings] {
    std::vector<double> sorted = timings;
    std::sort(sorted.begin(), sorted.end());
    return sorted[sorted.size() / 2];
  };
  std::mt19937 rng(11);
  int killed = 0;
  for (int round = 0; round < kKills; ++round) {
    ASSERT_EQ(l.Import("national", Chunk(round * 2, 2)).exit_code, 0);
    ASSERT_EQ(
        l.Run({"checkpoint", "--key", (fs::path(l.ledger()) / "ledger.key").string()}).exit_code,
        0);
    const std::string fingerprint = l.Fingerprint();
    std::uniform_real_distribution<double> delay(0.0, 1.2 * median());
    Child child = StartCli(cosign, dir / "cosign.out");
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(delay(rng) * 1000)));
    kill(child.pid, SIGKILL);
    int code = WaitChild(child);
    ASSERT_TRUE(code == -SIGKILL || code == 0) << "round " << round << ": exit " << code;
    if (code == -SIGKILL) ++killed;
    EXPECT_EQ(l.Fingerprint(), fingerprint) << "round " << round;
    auto start = std::chrono::steady_clock::now();
    CliResult again = RunProgram(cosign);
    timings.push_back(MillisSince(start));
    ASSERT_EQ(again.exit_code, 0) << "round " << round << ": " << again.out << again.err;
  }
  EXPECT_GE(killed, kKills / 3) << "cosign takes " << median() << " ms (median)";
}

}  // namespace
}  // namespace esms::testing
