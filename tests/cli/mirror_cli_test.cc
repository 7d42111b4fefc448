// `esms-ledger mirror` as a user runs it, with real processes: the copy of a real (demo)
// ledger from its export-tiles directory, the catch-up after more imports (only the new
// tiles fetched), the copy read by every read command with the source's answers, the
// copy refusing writes; each kind of tampering (an entry bundle, a hash tile, an
// unsigned checkpoint, a rolled-back checkpoint, a fork signed by the same ledger key)
// stopping it with exit 1 and its code, the copy left byte for byte as it was; and the
// same over HTTP, the tiles served by `python3 -m http.server` (no project server).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "tests/testing/cli.h"
#include "tests/testing/ids.h"

namespace esms::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

// Flips one byte of `file` at `offset` (from the end when negative).
void FlipByte(const fs::path& file, long offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f) << file;
  f.seekg(0, std::ios::end);
  const long size = static_cast<long>(f.tellg());
  const long at = offset < 0 ? size + offset : offset;
  ASSERT_GE(at, 0);
  ASSERT_LT(at, size);
  f.seekg(at);
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x01);
  f.seekp(at);
  f.write(&c, 1);
}

class MirrorCliTest : public ::testing::Test {
 protected:
  // One small demo ledger (about 3 200 records, realistic events), copied per test.
  static void SetUpTestSuite() {
    suite_ = new TempDir();
    CliResult demo = RunProgram({"demo", "--dir", (suite_->path() / "demo").string(),
                                 "--establishments", "120", "--seed", "11", "--json"});
    ASSERT_EQ(demo.exit_code, 0) << demo.err << demo.out;
  }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }

  void SetUp() override {
    fs::copy(suite_->path() / "demo", dir_ / "demo", fs::copy_options::recursive);
  }

  CliResult Export(const fs::path& tiles) {
    return RunProgram({"export-tiles", "--to", tiles.string(), "--ledger", source_, "--json"});
  }
  CliResult Mirror(const std::string& from, const std::string& trust = "") {
    return RunProgram({"mirror", "--from", from, "--dir", copy_, "--trust",
                       trust.empty() ? pub_ : trust, "--json"});
  }
  // Imports `count` solution records signed by the demo's national key.
  void Grow(int count, int first) {
    CliResult r = RunProgram({"import", "-", "--key", national_, "--ledger", source_},
                             SolutionLines(count, first));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  json Json(const CliResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  }
  json ErrorOf(const CliResult& r) {
    json parsed = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(parsed.contains("error")) << r.out << r.err;
    return parsed.contains("error") ? parsed["error"] : json();
  }
  // What the copy answers: every record (log) and its verified root.
  std::string Snapshot() {
    CliResult log = RunProgram({"log", "--json", "--ledger", copy_});
    CliResult verify = RunProgram({"verify", "--json", "--ledger", copy_});
    EXPECT_EQ(log.exit_code, 0) << log.err;
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    return log.out + verify.out;
  }
  // The read commands answer the same on the source and on the copy.
  void ExpectSameAnswers() {
    const std::vector<std::vector<std::string>> reads = {
        {"verify", "--json"},
        {"log", "--json"},
        {"state", "bzh-2021-0001", "--json"},
        {"check", "bzh-2021-0001", "--json"},
        {"history", "bzh-2021-0001", "--json"},
        {"report", "active-dui", "--at", "2025-12-31", "--by", "region", "--json"},
        {"prove", "100", "--json"},
        {"checkpoint"}};
    for (std::vector<std::string> args : reads) {
      std::vector<std::string> on_copy = args;
      on_copy.insert(on_copy.end(), {"--ledger", copy_});
      args.insert(args.end(), {"--ledger", source_});
      CliResult a = RunProgram(args);
      CliResult b = RunProgram(on_copy);
      EXPECT_EQ(a.exit_code, 0) << args[0] << ": " << a.err;
      EXPECT_EQ(b.exit_code, 0) << args[0] << ": " << b.err;
      EXPECT_TRUE(a.out == b.out) << args[0] << " answers differently on the copy";
    }
  }

  static TempDir* suite_;
  TempDir dir_;
  std::string source_ = (dir_ / "demo" / "ledger").string();
  std::string pub_ = (dir_ / "demo" / "ledger" / "ledger.pub").string();
  std::string national_ = (dir_ / "demo" / "keys" / "national.pem").string();
  std::string copy_ = (dir_ / "copy").string();
  fs::path tiles_ = dir_ / "tiles";
};

TempDir* MirrorCliTest::suite_ = nullptr;

TEST_F(MirrorCliTest, CopiesARealLedgerCatchesUpAndAnswersAsTheSource) {
  ASSERT_EQ(Export(tiles_).exit_code, 0);
  const uint64_t size = Json(RunProgram({"verify", "--json", "--ledger", source_}))["size"];
  ASSERT_GT(size, 3000u);
  json first = Json(Mirror(tiles_.string()));
  EXPECT_EQ(first["oldSize"], 0);
  EXPECT_EQ(first["size"], size);
  EXPECT_EQ(first["records"], size);
  EXPECT_FALSE(fs::exists(fs::path(copy_) / "ledger.key"));
  EXPECT_EQ(ReadFile(fs::path(copy_) / "ledger.pub"), ReadFile(pub_));
  ExpectSameAnswers();

  // More records, a new export: only the new tiles are fetched.
  Grow(300, 0);
  ASSERT_EQ(Export(tiles_).exit_code, 0);
  json second = Json(Mirror(tiles_.string()));
  EXPECT_EQ(second["oldSize"], size);
  EXPECT_EQ(second["size"], size + 300);
  EXPECT_EQ(second["records"], 300);
  // The level-0 tiles from the one the copy ended in (and their bundles), the level-1 tile.
  const uint64_t level0 = (size + 300 + 255) / 256 - size / 256;
  EXPECT_EQ(second["tiles"], 2 * level0 + 1);
  ExpectSameAnswers();

  // Up to date: nothing fetched but the checkpoint, nothing written.
  CliResult again =
      RunProgram({"mirror", "--from", tiles_.string(), "--dir", copy_, "--trust", pub_});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("is up to date"));

  // The copy refuses writes, even with the ledger key.
  CliResult import =
      RunProgram({"import", "-", "--key", national_, "--ledger", copy_, "--ledger-key",
                  (fs::path(source_) / "ledger.key").string(), "--json"},
                 SolutionLines(1, 5000));
  EXPECT_EQ(import.exit_code, 2) << import.out << import.err;
  EXPECT_EQ(ErrorOf(import)["code"], "USAGE");
  EXPECT_THAT(ErrorOf(import)["message"].get<std::string>(), HasSubstr("mirror"));

  // And `mirror` refuses to write into a ledger that is not a mirror's copy.
  CliResult into_ledger = RunProgram(
      {"mirror", "--from", tiles_.string(), "--dir", source_, "--trust", pub_, "--json"});
  EXPECT_EQ(into_ledger.exit_code, 2);
  EXPECT_EQ(ErrorOf(into_ledger)["code"], "USAGE");
}

TEST_F(MirrorCliTest, EachTamperingStopsItAndLeavesTheCopyAsItWas) {
  ASSERT_EQ(Export(tiles_).exit_code, 0);
  const std::string old_checkpoint = ReadFile(tiles_ / "checkpoint");
  const uint64_t size = Json(Mirror(tiles_.string()))["size"];
  const std::string before = Snapshot();
  Grow(300, 0);
  ASSERT_EQ(Export(tiles_).exit_code, 0);
  const uint64_t grown = size + 300;
  const uint64_t last_tile = grown / 256;  // partial: grown % 256 entries
  ASSERT_NE(grown % 256, 0u);

  struct Case {
    std::string name;
    std::function<void(const fs::path&)> tamper;
    std::string code;
    std::string names;  // in the message
  };
  const std::string bundle = fmt::format("tile/entries/{:03d}.p/{}", last_tile, grown % 256);
  const std::string hash_tile = fmt::format("tile/0/{:03d}", size / 256);
  const std::vector<Case> cases = {
      {"a byte of an entry bundle", [&](const fs::path& t) { FlipByte(t / bundle, -10); },
       "CORRUPTION", bundle},
      {"a byte of a hash tile (a new record's leaf hash)",
       [&](const fs::path& t) { FlipByte(t / hash_tile, 255 * 32 + 5); }, "CORRUPTION", hash_tile},
      {"a byte of a hash tile (a leaf the copy holds)",
       [&](const fs::path& t) { FlipByte(t / hash_tile, 0); }, "CORRUPTION", hash_tile},
      {"a missing tile", [&](const fs::path& t) { fs::remove(t / bundle); }, "CORRUPTION", bundle},
      {"a checkpoint whose signature does not verify",
       [&](const fs::path& t) {
         std::string note = ReadFile(t / "checkpoint");
         const size_t line = note.find('\n', note.find('\n') + 1) + 1;  // the root line
         note[line] = note[line] == 'A' ? 'B' : 'A';
         WriteFile(t / "checkpoint", note);
       },
       "UNAUTHORIZED", "not signed by the trusted ledger key"},
      {"the copy's own checkpoint again (up to date)",
       [&](const fs::path& t) { WriteFile(t / "checkpoint", old_checkpoint); }, "", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path scratch = dir_ / "scratch";
    fs::remove_all(scratch);
    fs::copy(tiles_, scratch, fs::copy_options::recursive);
    c.tamper(scratch);
    CliResult r = Mirror(scratch.string());
    if (c.code.empty()) {
      // The old checkpoint is the copy's own: not a rollback yet, and nothing new.
      EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
      continue;
    }
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(ErrorOf(r)["code"], c.code);
    EXPECT_THAT(ErrorOf(r)["message"].get<std::string>(), HasSubstr(c.names));
    EXPECT_EQ(Snapshot(), before);
  }

  // The copy catches up from the untouched tiles; then the old checkpoint is a rollback.
  ASSERT_EQ(Json(Mirror(tiles_.string()))["size"], grown);
  const std::string caught_up = Snapshot();
  WriteFile(tiles_ / "checkpoint", old_checkpoint);
  CliResult rollback = Mirror(tiles_.string());
  EXPECT_EQ(rollback.exit_code, 1) << rollback.out << rollback.err;
  EXPECT_EQ(ErrorOf(rollback)["code"], "ROLLBACK");
  EXPECT_EQ(Snapshot(), caught_up);

  // A fork: another ledger of the same origin, its checkpoints signed by the same ledger
  // key, with another history (and more records than the copy holds).
  const std::string origin = Json(RunProgram({"checkpoint", "--json", "--ledger", source_}))["note"]
                                 .get<std::string>()
                                 .substr(0, ReadFile(tiles_ / "checkpoint").find('\n'));
  const std::string fork = (dir_ / "fork").string();
  const std::string admin = (dir_ / "demo" / "keys" / "admin.pem").string();
  const std::string ledger_key = (fs::path(source_) / "ledger.key").string();
  CliResult init = RunProgram({"init", "--origin", origin, "--admin-key", admin, "--ledger", fork,
                               "--ledger-key", ledger_key});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const std::string national_key =
      Json(RunProgram({"log", "--json", "--from", "1", "--to", "2", "--ledger",
                       source_}))["records"][0]["data"]["publicKey"];
  CliResult enrol = RunProgram(
      {"import", "-", "--key", admin, "--ledger", fork, "--ledger-key", ledger_key},
      fmt::format(R"({{"id": "key-national", "type": "key.enrolled", "at": "2021-01-04", "data": )"
                  R"({{"name": "national", "publicKey": "{}", "roles": ["national"], )"
                  R"("regions": []}}}})"
                  "\n",
                  national_key));
  ASSERT_EQ(enrol.exit_code, 0) << enrol.out << enrol.err;
  CliResult grow =
      RunProgram({"import", "-", "--key", national_, "--ledger", fork, "--ledger-key", ledger_key},
                 SolutionLines(static_cast<int>(grown), 100000));
  ASSERT_EQ(grow.exit_code, 0) << grow.err;
  const fs::path fork_tiles = dir_ / "fork-tiles";
  ASSERT_EQ(RunProgram({"export-tiles", "--to", fork_tiles.string(), "--ledger", fork}).exit_code,
            0);
  CliResult forked = Mirror(fork_tiles.string());
  EXPECT_EQ(forked.exit_code, 1) << forked.out << forked.err;
  EXPECT_EQ(ErrorOf(forked)["code"], "CONSISTENCY_FAILED");
  EXPECT_THAT(ErrorOf(forked)["message"].get<std::string>(), HasSubstr("fork"));
  EXPECT_EQ(Snapshot(), caught_up);

  // Another log's key is not trusted for this copy.
  CliResult other = Mirror(tiles_.string(), (fs::path(fork) / "ledger.pub").string());
  EXPECT_EQ(other.exit_code, 1) << other.out << other.err;
  EXPECT_EQ(Snapshot(), caught_up);
}

// `python3 -m http.server` serving `dir` on 127.0.0.1, port 0; killed by PID.
class StaticServer {
 public:
  explicit StaticServer(const fs::path& dir) {
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::dup2(out[1], 2);
      ::close(out[0]);
      ::close(out[1]);
      ::execlp("python3", "python3", "-u", "-m", "http.server", "--bind", "127.0.0.1",
               "--directory", dir.c_str(), "0", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    fd_ = out[0];
    // "Serving HTTP on 127.0.0.1 port 43127 (http://127.0.0.1:43127/) ..."
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    const std::regex port(R"(port (\d+))");
    std::smatch m;
    while (std::chrono::steady_clock::now() < deadline && !std::regex_search(text, m, port)) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char buf[256];
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<size_t>(n));
    }
    if (std::regex_search(text, m, port)) url_ = "http://127.0.0.1:" + m[1].str();
    // Keep reading its log lines away: a full pipe would block it.
    ::fcntl(fd_, F_SETFL, O_NONBLOCK);
  }
  ~StaticServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (fd_ >= 0) ::close(fd_);
  }
  StaticServer(const StaticServer&) = delete;
  StaticServer& operator=(const StaticServer&) = delete;
  const std::string& url() const { return url_; }
  void Drain() const {
    char buf[4096];
    while (::read(fd_, buf, sizeof buf) > 0) {
    }
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string url_;
};

TEST_F(MirrorCliTest, FollowsATilesServerOverHttp) {
  ASSERT_EQ(Export(tiles_).exit_code, 0);
  StaticServer server(tiles_);
  ASSERT_FALSE(server.url().empty()) << "python3 -m http.server did not start";
  json first = Json(Mirror(server.url()));
  server.Drain();
  EXPECT_EQ(first["oldSize"], 0);
  EXPECT_EQ(first["source"], server.url());
  ExpectSameAnswers();

  Grow(300, 0);
  ASSERT_EQ(Export(tiles_).exit_code, 0);
  // A tampered entry over HTTP: stopped, the copy as it was.
  const std::string before = Snapshot();
  const uint64_t grown = first["size"].get<uint64_t>() + 300;
  const fs::path bundle =
      tiles_ / fmt::format("tile/entries/{:03d}.p/{}", grown / 256, grown % 256);
  FlipByte(bundle, -3);
  CliResult tampered = Mirror(server.url());
  server.Drain();
  EXPECT_EQ(tampered.exit_code, 1) << tampered.out << tampered.err;
  EXPECT_EQ(ErrorOf(tampered)["code"], "CORRUPTION");
  EXPECT_EQ(Snapshot(), before);
  FlipByte(bundle, -3);

  json second = Json(Mirror(server.url()));
  server.Drain();
  EXPECT_EQ(second["records"], 300);
  ExpectSameAnswers();

  // A server that is gone: a storage-class error (4), nothing written.
  CliResult gone = Mirror("http://127.0.0.1:1");
  EXPECT_EQ(gone.exit_code, 4) << gone.out << gone.err;
}

}  // namespace
}  // namespace esms::testing
