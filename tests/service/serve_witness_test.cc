// `serve --witness URL,KEY --witness-quorum K` and `serve --export-tiles DIR`, with real
// processes and sockets: the served ledger is a region demo (Bretagne, ~2 000 records);
// the witnesses are real `witness serve` processes on 127.0.0.1 (port 0, read back).
//   - two witnesses, quorum 2: after an import through serve, DIR/cosigned.note covers
//     it and verifies with both keys; /healthz and /metrics say so;
//   - quorum 1 of 2 with one witness down: still cosigned; the down one counted
//     (unreachable) in /metrics;
//   - a witness that holds a forked state refuses: serve keeps serving and reports it
//     (log with URL and status, /metrics, /healthz);
//   - bundle, prove --format tlog-proof and report active-dui --bundle carry the
//     cosignatures; verify-bundle --witness K1 --witness K2 passes, fails with a wrong
//     witness key and when a cosignature byte is altered; the federated report's share
//     carries them and verify-bundle --federation requires the entry's "witness" keys;
//   - the tiles kept current: after imports through serve, DIR holds every file a fresh
//     `export-tiles --to` of the same ledger writes, byte for byte, and `mirror --from
//     DIR` succeeds, also while serve is importing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ledger/note.h"
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

constexpr const char* kAt = "2024-12-31";

// A TCP port on 127.0.0.1 where nothing listens (bound, then closed).
int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A real `witness serve` of one ledger.
class WitnessProcess {
 public:
  // `listen`: 127.0.0.1:0 (any free port), or the port a stopped one had.
  WitnessProcess(const fs::path& dir, const std::string& name, const std::string& ledger_pub,
                 const std::string& listen = "127.0.0.1:0") {
    const std::string key = (dir / (name + ".pem")).string();
    if (!fs::exists(key)) {
      EXPECT_EQ(RunCli({"key", "new", name, "--out", key}).exit_code, 0);
    }
    const fs::path out = dir / (name + "-" + std::to_string(++starts_) + ".out");
    child_ =
        StartCli({"witness", "serve", "--listen", listen, "--key", key, "--name", name + ".example",
                  "--state", (dir / (name + "-state")).string(), "--log", ledger_pub, "--json"},
                 out);
    const std::string line = WaitForFirstLine(out);
    EXPECT_FALSE(line.empty()) << "the witness did not start: " << ReadFile(out);
    if (line.empty()) return;
    json started = json::parse(line);
    url_ = started["url"];
    vkey_ = started["witness"];
  }
  ~WitnessProcess() { Stop(); }
  void Stop() {
    if (child_.pid <= 0) return;
    ::kill(child_.pid, SIGTERM);
    WaitChild(child_);
    child_.pid = -1;
  }
  const std::string& url() const { return url_; }
  const std::string& vkey() const { return vkey_; }
  std::string spec() const { return url_ + "," + vkey_; }

 private:
  static inline int starts_ = 0;
  Child child_;
  std::string url_, vkey_;
};

class ServeWitnessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite_ = new TempDir();
    CliResult demo = RunCli({"demo", "--dir", (suite_->path() / "bzh").string(), "--region", "53",
                             "--seed", "11", "--establishments", "80", "--json"});
    ASSERT_EQ(demo.exit_code, 0) << demo.err << demo.out;
  }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(suite_, nullptr);
    fs::copy(suite_->path() / "bzh" / "ledger", ledger_, fs::copy_options::recursive);
    keys_ = suite_->path() / "bzh" / "keys";
  }

  std::string LedgerPub() const { return (fs::path(ledger_) / "ledger.pub").string(); }

  // serve on a unix socket with the HTTP front on 127.0.0.1:0 and `extra` options.
  std::unique_ptr<ServerProcess> Serve(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"serve",     "--listen", "unix:" + (dir_ / "s.sock").string(),
                                     "--no-auth", "--http",   "127.0.0.1:0",
                                     "--ledger",  ledger_};
    args.insert(args.end(), extra.begin(), extra.end());
    auto server = std::make_unique<ServerProcess>(args, dir_.path());
    EXPECT_TRUE(server->ok()) << server->log();
    // The 'http listening on' line follows the 'listening on' one.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string out = server->out();
      const size_t at = out.find("http listening on ");
      if (at != std::string::npos && out.find('\n', at) != std::string::npos) {
        http_ = out.substr(at + 18, out.find('\n', at) - at - 18);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return server;
  }

  // `count` solution events through the server, signed by the national key.
  void ImportThrough(const ServerProcess& server, int count, int first) {
    CliResult r = RunProgram(
        {"import", "-", "--key", (keys_ / "national.pem").string(), "--server", server.address()},
        SolutionLines(count, first));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  uint64_t LedgerSize() {
    CliResult r = RunCli({"checkpoint", "--ledger", ledger_, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out)["size"].get<uint64_t>() : 0;
  }

  // The stored cosigned checkpoint once it is of `size` (waits at most 20 s).
  std::string WaitCosigned(uint64_t size) {
    const fs::path file = fs::path(ledger_) / "cosigned.note";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::string note;
    while (std::chrono::steady_clock::now() < deadline) {
      note = fs::exists(file) ? ReadFile(file) : "";
      if (note.find("\n" + std::to_string(size) + "\n") != std::string::npos) return note;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "no cosigned checkpoint of size " << size << ": " << note;
    return note;
  }

  // Waits (at most 20 s) until /metrics holds `line`.
  std::string WaitMetric(const std::string& line) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::string metrics;
    while (std::chrono::steady_clock::now() < deadline) {
      metrics = HttpGet(http_, "/metrics").body;
      if (metrics.find(line) != std::string::npos) return metrics;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "no '" << line << "' in /metrics:\n" << metrics;
    return metrics;
  }

  static bool CosignedBy(const std::string& note, const std::string& vkey) {
    auto verifier = ledger::ParseVerifierKey(vkey);
    return verifier.ok() && ledger::VerifyCosignature(note, *verifier).ok();
  }

  static inline TempDir* suite_ = nullptr;
  TempDir dir_;
  std::string ledger_ = (dir_.path() / "bzh.db").string();
  fs::path keys_;
  std::string http_;
};

TEST_F(ServeWitnessTest, TwoWitnessesQuorumTwoCosignEachImport) {
  WitnessProcess w1(dir_.path(), "w1", LedgerPub());
  WitnessProcess w2(dir_.path(), "w2", LedgerPub());
  auto server = Serve({"--witness", w1.spec(), "--witness",
                       // The key as a file.
                       w2.url() + "," + [&] {
                         const std::string file = (dir_.path() / "w2.vkey").string();
                         std::ofstream(file) << w2.vkey() << "\n";
                         return file;
                       }()});
  ASSERT_TRUE(server->ok());
  const uint64_t before = LedgerSize();
  std::string note = WaitCosigned(before);
  EXPECT_TRUE(CosignedBy(note, w1.vkey())) << note;
  EXPECT_TRUE(CosignedBy(note, w2.vkey())) << note;

  for (int round = 0; round < 3; ++round) {
    ImportThrough(*server, 20, 100 + round * 20);
  }
  const uint64_t after = before + 60;
  note = WaitCosigned(after);
  EXPECT_TRUE(CosignedBy(note, w1.vkey())) << note;
  EXPECT_TRUE(CosignedBy(note, w2.vkey())) << note;
  // The ledger's own signature is there too: the note is its latest checkpoint.
  CliResult latest = RunCli({"checkpoint", "--ledger", ledger_});
  ASSERT_EQ(latest.exit_code, 0);
  EXPECT_EQ(note.rfind(latest.out, 0), 0u) << note << "\n---\n" << latest.out;

  const std::string metrics = WaitMetric(fmt::format("esms_witness_cosigned_size {}\n", after));
  EXPECT_THAT(metrics,
              HasSubstr(fmt::format(
                  "esms_witness_pushes_total{{witness=\"{}\",result=\"cosigned\"}}", w1.url())));
  EXPECT_THAT(metrics,
              HasSubstr(fmt::format(
                  "esms_witness_pushes_total{{witness=\"{}\",result=\"cosigned\"}}", w2.url())));
  HttpAnswer health = HttpGet(http_, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_THAT(health.body,
              HasSubstr(fmt::format("witnesses: quorum 2 of 2 met at size {}", after)));
  EXPECT_EQ(server->Stop(), 0) << server->log();

  // Restarted on the same ledger: the witnesses hold its size already (from the stored
  // note), nothing to push but the same checkpoint; still cosigned.
  auto again = Serve({"--witness", w1.spec(), "--witness", w2.spec()});
  ASSERT_TRUE(again->ok());
  ImportThrough(*again, 5, 500);
  note = WaitCosigned(after + 5);
  EXPECT_TRUE(CosignedBy(note, w1.vkey()) && CosignedBy(note, w2.vkey())) << note;
  EXPECT_EQ(again->Stop(), 0) << again->log();
}

TEST_F(ServeWitnessTest, QuorumOneOfTwoWithOneWitnessDown) {
  WitnessProcess w1(dir_.path(), "w1", LedgerPub());
  const std::string down = fmt::format("http://127.0.0.1:{}", ClosedPort());
  // A valid witness key for the absent witness.
  WitnessProcess w2(dir_.path(), "w2", LedgerPub());
  const std::string w2_key = w2.vkey();
  w2.Stop();
  auto server =
      Serve({"--witness", w1.spec(), "--witness", down + "," + w2_key, "--witness-quorum", "1"});
  ASSERT_TRUE(server->ok());
  ImportThrough(*server, 10, 100);
  const uint64_t size = LedgerSize();
  const std::string note = WaitCosigned(size);
  EXPECT_TRUE(CosignedBy(note, w1.vkey())) << note;
  EXPECT_FALSE(CosignedBy(note, w2_key));
  WaitMetric(
      fmt::format("esms_witness_pushes_total{{witness=\"{}\",result=\"unreachable\"}}", down));
  HttpAnswer health = HttpGet(http_, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_THAT(health.body, HasSubstr("witnesses: quorum 1 of 2 met"));
  EXPECT_THAT(server->log(), HasSubstr("witness=" + down));
  EXPECT_EQ(server->Stop(), 0) << server->log();
}

// A witness down for a while: the quorum of 2 is not met (healthz says so, the stored
// checkpoint stays behind); once it is back on its address, serve's retries catch up and
// the latest checkpoint is cosigned by both, with no new commit needed.
TEST_F(ServeWitnessTest, WitnessBackAfterAnOutageCatchesUp) {
  WitnessProcess w1(dir_.path(), "w1", LedgerPub());
  auto w2 = std::make_unique<WitnessProcess>(dir_.path(), "w2", LedgerPub());
  const std::string w2_url = w2->url(), w2_key = w2->vkey();
  auto server = Serve({"--witness", w1.spec(), "--witness", w2->spec()});
  ASSERT_TRUE(server->ok());
  const uint64_t before = LedgerSize();
  WaitCosigned(before);
  w2->Stop();
  ImportThrough(*server, 10, 100);
  const uint64_t after = LedgerSize();
  WaitMetric(
      fmt::format("esms_witness_pushes_total{{witness=\"{}\",result=\"unreachable\"}}", w2_url));
  HttpAnswer health = HttpGet(http_, "/healthz");
  EXPECT_THAT(health.body,
              HasSubstr(fmt::format("witnesses: quorum 2 of 2 not met at size {}: 1 cosigned it; "
                                    "stored cosigned size {}",
                                    after, before)));
  EXPECT_THAT(ReadFile(fs::path(ledger_) / "cosigned.note"),
              HasSubstr("\n" + std::to_string(before) + "\n"));
  // Back, with its state, on the same address.
  w2 = std::make_unique<WitnessProcess>(dir_.path(), "w2", LedgerPub(),
                                        w2_url.substr(std::string("http://").size()));
  ASSERT_EQ(w2->url(), w2_url);
  const std::string note = WaitCosigned(after);
  EXPECT_TRUE(CosignedBy(note, w1.vkey()) && CosignedBy(note, w2_key)) << note;
  EXPECT_THAT(HttpGet(http_, "/healthz").body,
              HasSubstr(fmt::format("witnesses: quorum 2 of 2 met at size {}", after)));
  EXPECT_EQ(server->Stop(), 0) << server->log();
}

TEST_F(ServeWitnessTest, QuorumOptionsChecked) {
  WitnessProcess w1(dir_.path(), "w1", LedgerPub());
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"--witness", w1.spec(), "--witness-quorum", "2"},
           {"--witness-quorum", "1"},
       }) {
    std::vector<std::string> args = {"serve",     "--listen", "unix:" + (dir_ / "q.sock").string(),
                                     "--no-auth", "--ledger", ledger_};
    args.insert(args.end(), bad.begin(), bad.end());
    CliResult r = RunProgram(args);
    EXPECT_EQ(r.exit_code, 2) << fmt::format("{}", fmt::join(bad, " ")) << r.out << r.err;
    EXPECT_THAT(r.out + r.err, HasSubstr("USAGE"));
  }
  CliResult r = RunProgram({"serve", "--listen", "unix:" + (dir_ / "q.sock").string(), "--no-auth",
                            "--ledger", ledger_, "--witness", "not-a-spec"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.out + r.err, HasSubstr("URL,KEY"));
}

TEST_F(ServeWitnessTest, WitnessHoldingAForkRefusesAndServeGoesOn) {
  // The witness first cosigns a fork of this ledger: a copy grown with other events.
  const std::string fork = (dir_.path() / "fork.db").string();
  fs::copy(ledger_, fork, fs::copy_options::recursive);
  CliResult grown =
      RunCli({"import", "-", "--key", (keys_ / "national.pem").string(), "--ledger", fork},
             SolutionLines(3, 900));
  ASSERT_EQ(grown.exit_code, 0) << grown.err;
  WitnessProcess w1(dir_.path(), "w1", LedgerPub());
  WitnessProcess good(dir_.path(), "good", LedgerPub());
  CliResult pushed = RunCli(
      {"witness", "add-checkpoint", "--url", w1.url(), "--ledger", fork, "--witness", w1.vkey()});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;

  auto server = Serve({"--witness", w1.spec(), "--witness", good.spec(), "--witness-quorum", "1"});
  ASSERT_TRUE(server->ok());
  ImportThrough(*server, 10, 100);  // same size as the fork's at some point, then beyond
  const uint64_t size = LedgerSize();
  const std::string note = WaitCosigned(size);
  EXPECT_TRUE(CosignedBy(note, good.vkey()));
  EXPECT_FALSE(CosignedBy(note, w1.vkey()));
  const std::string metrics = WaitMetric(
      fmt::format("esms_witness_pushes_total{{witness=\"{}\",result=\"fork\"}}", w1.url()));
  EXPECT_THAT(server->log(), HasSubstr("witness=" + w1.url() + " status=4"));
  // Serving goes on: reads and writes.
  ImportThrough(*server, 2, 300);
  CliResult read = RunProgram({"checkpoint", "--server", server->address()});
  EXPECT_EQ(read.exit_code, 0) << read.err;
  HttpAnswer health = HttpGet(http_, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_THAT(health.body, HasSubstr("witnesses: quorum 1 of 2"));
  EXPECT_EQ(server->Stop(), 0) << server->log();
}

TEST_F(ServeWitnessTest, BundlesAndProofsCarryTheCosignatures) {
  WitnessProcess w1(dir_.path(), "w1", LedgerPub());
  WitnessProcess w2(dir_.path(), "w2", LedgerPub());
  WitnessProcess other(dir_.path(), "other", LedgerPub());  // a key nobody cosigned with
  auto server = Serve({"--witness", w1.spec(), "--witness", w2.spec()});
  ASSERT_TRUE(server->ok());
  ImportThrough(*server, 5, 100);
  WaitCosigned(LedgerSize());
  EXPECT_EQ(server->Stop(), 0) << server->log();
  const fs::path d = dir_.path();

  // report active-dui --bundle
  CliResult report = RunCli({"report", "active-dui", "--at", kAt, "--ledger", ledger_, "--bundle",
                             (d / "report.json").string()});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_THAT(report.err, Not(HasSubstr("note:")));
  // bundle PROJECT
  CliResult state = RunCli(
      {"report", "active-dui", "--at", kAt, "--ledger", ledger_, "--by", "project", "--json"});
  ASSERT_EQ(state.exit_code, 0) << state.err;
  const std::string project = json::parse(state.out)["by"].items().begin().key();
  CliResult bundle = RunCli({"bundle", project, "--at", kAt, "--ledger", ledger_, "--out",
                             (d / "project.json").string()});
  ASSERT_EQ(bundle.exit_code, 0) << bundle.err;

  for (const char* file : {"report.json", "project.json"}) {
    SCOPED_TRACE(file);
    const std::string path = (d / file).string();
    const std::string note = json::parse(ReadFile(path))["checkpoint"];
    EXPECT_TRUE(CosignedBy(note, w1.vkey()) && CosignedBy(note, w2.vkey())) << note;
    CliResult ok = RunCli({"verify-bundle", path, "--trust", LedgerPub(), "--witness", w1.vkey(),
                           "--witness", w2.vkey()});
    EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
    EXPECT_THAT(ok.out + ok.err, HasSubstr("cosigned by w1.example, w2.example"));
    CliResult one = RunCli({"verify-bundle", path, "--trust", LedgerPub(), "--witness", w2.vkey()});
    EXPECT_EQ(one.exit_code, 0) << one.out << one.err;
    // A key that did not cosign: refused, alone or as one of two; 1 of 2 accepted.
    CliResult wrong = RunCli({"verify-bundle", path, "--trust", LedgerPub(), "--witness", w1.vkey(),
                              "--witness", other.vkey()});
    EXPECT_EQ(wrong.exit_code, 1) << wrong.out << wrong.err;
    EXPECT_THAT(wrong.out + wrong.err, HasSubstr("WITNESS_MISSING"));
    EXPECT_THAT(wrong.out + wrong.err, HasSubstr("other.example"));
    CliResult wrong_alone =
        RunCli({"verify-bundle", path, "--trust", LedgerPub(), "--witness", other.vkey()});
    EXPECT_EQ(wrong_alone.exit_code, 1) << wrong_alone.out << wrong_alone.err;
    CliResult quorum = RunCli({"verify-bundle", path, "--trust", LedgerPub(), "--witness",
                               w1.vkey(), "--witness", other.vkey(), "--witness-quorum", "1"});
    EXPECT_EQ(quorum.exit_code, 0) << quorum.out << quorum.err;

    // One byte of w2's cosignature altered.
    json doc = json::parse(ReadFile(path));
    std::string altered = doc["checkpoint"];
    const size_t line = altered.find("\xe2\x80\x94 w2.example ");
    ASSERT_NE(line, std::string::npos);
    const size_t at = line + std::string("\xe2\x80\x94 w2.example ").size() + 20;
    altered[at] = altered[at] == 'A' ? 'B' : 'A';
    doc["checkpoint"] = altered;
    const std::string tampered = (d / (std::string("tampered-") + file)).string();
    std::ofstream(tampered) << doc.dump(2) << "\n";
    CliResult bad = RunCli({"verify-bundle", tampered, "--trust", LedgerPub(), "--witness",
                            w1.vkey(), "--witness", w2.vkey()});
    EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
    EXPECT_THAT(bad.out + bad.err, HasSubstr("w2.example"));
    CliResult bad_one =
        RunCli({"verify-bundle", tampered, "--trust", LedgerPub(), "--witness", w2.vkey()});
    EXPECT_EQ(bad_one.exit_code, 1) << bad_one.out << bad_one.err;
    // Still a valid bundle without the witness required.
    CliResult plain = RunCli({"verify-bundle", tampered, "--trust", LedgerPub()});
    EXPECT_EQ(plain.exit_code, 0) << plain.out << plain.err;
  }

  // prove --format tlog-proof: against the cosigned checkpoint.
  CliResult proof = RunCli({"prove", "5", "--format", "tlog-proof", "--ledger", ledger_});
  ASSERT_EQ(proof.exit_code, 0) << proof.err;
  // The checkpoint note follows the proof's first blank line (c2sp.org/tlog-proof).
  const std::string proof_note = proof.out.substr(proof.out.find("\n\n") + 2);
  EXPECT_TRUE(CosignedBy(proof_note, w1.vkey()) && CosignedBy(proof_note, w2.vkey())) << proof.out;

  // The federated report: the share carries the cosignatures; the federation file's
  // "witness" keys are required by verify-bundle --federation.
  const std::string fed = (d / "federation.json").string();
  std::ofstream(fed) << json::array({{{"name", "bzh"},
                                      {"ledger", ledger_},
                                      {"trust", LedgerPub()},
                                      {"witness", {w1.vkey(), w2.vkey()}}}})
                            .dump();
  CliResult national = RunCli({"report", "active-dui", "--federation", fed, "--at", kAt, "--bundle",
                               (d / "national.json").string()});
  ASSERT_EQ(national.exit_code, 0) << national.err;
  CliResult national_ok =
      RunCli({"verify-bundle", (d / "national.json").string(), "--federation", fed});
  EXPECT_EQ(national_ok.exit_code, 0) << national_ok.out << national_ok.err;
  const std::string fed_other = (d / "federation-other.json").string();
  std::ofstream(fed_other) << json::array({{{"name", "bzh"},
                                            {"ledger", ledger_},
                                            {"trust", LedgerPub()},
                                            {"witness", {other.vkey()}}}})
                                  .dump();
  CliResult national_bad =
      RunCli({"verify-bundle", (d / "national.json").string(), "--federation", fed_other});
  EXPECT_EQ(national_bad.exit_code, 1) << national_bad.out << national_bad.err;
  EXPECT_THAT(national_bad.out + national_bad.err, HasSubstr("WITNESS_MISSING"));

  // A record beyond the cosigned checkpoint: today's behaviour, said on stderr.
  CliResult more =
      RunCli({"import", "-", "--key", (keys_ / "national.pem").string(), "--ledger", ledger_},
             SolutionLines(1, 700));
  ASSERT_EQ(more.exit_code, 0) << more.err;
  const uint64_t last = LedgerSize() - 1;
  CliResult beyond =
      RunCli({"prove", std::to_string(last), "--format", "tlog-proof", "--ledger", ledger_});
  ASSERT_EQ(beyond.exit_code, 0) << beyond.err;
  EXPECT_FALSE(CosignedBy(beyond.out.substr(beyond.out.find("\n\n") + 2), w1.vkey()));
  EXPECT_THAT(beyond.err, HasSubstr("does not cover record"));

  // A cosigned note of another tree of this origin and key (a fork of the same size, as a
  // directory copied over or an older backup restored would leave): not used, said so.
  const std::string fork = (d / "fork.db").string();
  fs::copy(ledger_, fork, fs::copy_options::recursive);
  const std::string national_key = (keys_ / "national.pem").string();
  ASSERT_EQ(RunCli({"import", "-", "--key", national_key, "--ledger", fork}, SolutionLines(2, 800))
                .exit_code,
            0);
  ASSERT_EQ(
      RunCli({"import", "-", "--key", national_key, "--ledger", ledger_}, SolutionLines(2, 810))
          .exit_code,
      0);
  CliResult fork_note = RunCli({"checkpoint", "--ledger", fork});
  ASSERT_EQ(fork_note.exit_code, 0);
  std::ofstream(fs::path(ledger_) / "cosigned.note", std::ios::trunc) << fork_note.out;
  CliResult stale = RunCli(
      {"bundle", project, "--at", kAt, "--ledger", ledger_, "--out", (d / "stale.json").string()});
  EXPECT_EQ(stale.exit_code, 0) << stale.err;
  EXPECT_THAT(stale.err, HasSubstr("not of this ledger's tree"));
  CliResult stale_ok =
      RunCli({"verify-bundle", (d / "stale.json").string(), "--trust", LedgerPub()});
  EXPECT_EQ(stale_ok.exit_code, 0) << stale_ok.out << stale_ok.err;
  CliResult stale_proof = RunCli({"prove", "5", "--format", "tlog-proof", "--ledger", ledger_});
  EXPECT_EQ(stale_proof.exit_code, 0) << stale_proof.err;
  EXPECT_THAT(stale_proof.err, HasSubstr("not of this ledger's tree"));
}

TEST_F(ServeWitnessTest, ExportTilesKeptCurrentAndMirrorable) {
  const fs::path tiles = dir_.path() / "tiles";
  auto server = Serve({"--export-tiles", tiles.string()});
  ASSERT_TRUE(server->ok());
  // Mirrors following the tiles while serve imports: each one sees a consistent state.
  std::atomic<bool> importing{true};
  std::atomic<int> mirrored{0}, failed{0};
  std::string failure;
  std::thread follower([&] {
    int round = 0;
    while (importing.load()) {
      if (!fs::exists(tiles / "checkpoint")) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      CliResult m = RunProgram({"mirror", "--from", tiles.string(), "--dir",
                                (dir_.path() / "mirror-live").string(), "--trust", LedgerPub()});
      (m.exit_code == 0 ? mirrored : failed)++;
      if (m.exit_code != 0 && failure.empty()) failure = m.out + m.err;
      ++round;
    }
  });
  for (int round = 0; round < 6; ++round) ImportThrough(*server, 37, 100 + round * 37);
  const uint64_t size = LedgerSize();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string cp = fs::exists(tiles / "checkpoint") ? ReadFile(tiles / "checkpoint") : "";
    if (cp.find("\n" + std::to_string(size) + "\n") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  importing = false;
  follower.join();
  EXPECT_EQ(failed.load(), 0) << failure;
  EXPECT_GT(mirrored.load(), 0);
  EXPECT_EQ(server->Stop(), 0) << server->log();

  // Every file a fresh export writes is in the kept directory, byte for byte (the kept
  // one may also hold older partial tiles, as an incremental export-tiles leaves them).
  const fs::path fresh = dir_.path() / "fresh";
  CliResult exported = RunCli({"export-tiles", "--to", fresh.string(), "--ledger", ledger_});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(fresh)) {
    if (!entry.is_regular_file()) continue;
    const fs::path rel = fs::relative(entry.path(), fresh);
    ASSERT_TRUE(fs::exists(tiles / rel)) << rel;
    EXPECT_EQ(ReadFile(tiles / rel), ReadFile(entry.path())) << rel;
    ++files;
  }
  EXPECT_GT(files, 10u);
  CliResult mirror = RunCli({"mirror", "--from", tiles.string(), "--dir",
                             (dir_.path() / "mirror").string(), "--trust", LedgerPub()});
  EXPECT_EQ(mirror.exit_code, 0) << mirror.out << mirror.err;
  CliResult verify = RunCli({"verify-tiles", tiles.string(), "--trust", LedgerPub()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

}  // namespace
}  // namespace esms::testing
