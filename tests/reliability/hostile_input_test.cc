// Input a hostile or unlucky user gives the program (issue 18, points 4, 6, 7, 9, 11):
// a read error is not the end of the input (a directory, a closed stdin, a connection
// reset half-way); a refused line carries its own event id; a NUL byte in a line is
// refused; negative numbers are usage errors and bounds saturate; a line or a bundle
// too long is refused before it is read whole.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/reliability/fixture.h"

namespace esms::testing {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class HostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = std::make_unique<KeyedLedger>(dir_.path(),
                                            std::vector<Grant>{{"national", {"national"}, {}}});
    ASSERT_TRUE(ledger_->ok()) << ledger_->error();
  }
  uint64_t Size() const {
    CliResult v = ledger_->Run({"verify", "--json"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    json j = json::parse(v.out, nullptr, false);
    return j.is_object() ? j.value("size", uint64_t{0}) : 0;
  }
  std::vector<std::string> Import(const std::string& file) const {
    return {"import",         file, "--json", "--key", ledger_->KeyFile("national"), "--ledger",
            ledger_->ledger()};
  }

  TempDir dir_;
  std::unique_ptr<KeyedLedger> ledger_;
};

// ---- 4. A read error is not end of input ----

TEST_F(HostileInputTest, ImportOfADirectoryIsAUsageError) {
  const uint64_t before = Size();
  CliResult r = RunCli(Import(dir_.path().string()));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("USAGE"));
  EXPECT_THAT(r.out, HasSubstr("directory"));
  EXPECT_EQ(Size(), before);
}

TEST_F(HostileInputTest, ImportFromAClosedStdinIsAUsageError) {
  CliResult r = RunCli(Import("-"), "", [] { ::close(0); });
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("USAGE"));
  EXPECT_THAT(r.out, HasSubstr("standard input"));
}

// stdin is a TCP connection that is reset half-way: read() fails with ECONNRESET.
TEST_F(HostileInputTest, AReadErrorHalfWayIsAStorageErrorNotTheEnd) {
  const uint64_t before = Size();
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  int server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(server, 0);
  ::close(listener);

  const fs::path out = dir_ / "import.out";
  Child child = StartCli(Import("-"), out, server);
  ::close(server);
  std::string lines = SolutionLines(20);
  ASSERT_EQ(::write(client, lines.data(), lines.size()), static_cast<ssize_t>(lines.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  linger reset{1, 0};  // close with a RST: the reader gets ECONNRESET
  ASSERT_EQ(::setsockopt(client, SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
  ::close(client);
  const int code = WaitChild(child);
  const std::string text = ReadFile(out);
  EXPECT_EQ(code, 4) << text;
  EXPECT_THAT(text, HasSubstr("STORAGE_ERROR")) << text;
  EXPECT_THAT(text, HasSubstr("standard input")) << text;
  // What was read before the error and acknowledged stays appended.
  json results = json::parse(text, nullptr, false);
  ASSERT_TRUE(results.is_object()) << text;
  uint64_t acknowledged = 0;
  for (const auto& r : results["results"]) acknowledged += r["status"] == "appended";
  EXPECT_EQ(Size(), before + acknowledged);
}

// ---- 6. A refused line is named with its own id ----

TEST_F(HostileInputTest, ARefusedLineIsReportedWithItsOwnId) {
  const std::string good = SolutionLines(1, 500);
  // A valid id, an unknown field: refused by the decoder.
  const std::string unknown_field =
      R"({"id": "mine-1", "type": "solution.referenced", "at": "2024-01-01", "data": {}, "oops": 1})";
  CliResult r = RunCli(Import("-"), good + unknown_field + "\n");
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  json last = KeyedLedger::LastResult(r);
  EXPECT_EQ(last["line"], 2) << r.out;
  EXPECT_EQ(last["id"], "mine-1") << "the previous line's id: " << r.out;

  // No usable id: none is reported rather than the previous line's.
  CliResult bad = RunCli(Import("-"), SolutionLines(1, 501) + "{not json\n");
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
  json refused = KeyedLedger::LastResult(bad);
  EXPECT_EQ(refused["line"], 2) << bad.out;
  EXPECT_EQ(refused["id"], "") << bad.out;

  // Human form: "line 2 refused (id mine-2)".
  CliResult human = RunCli(
      {"import", "-", "--key", ledger_->KeyFile("national"), "--ledger", ledger_->ledger()},
      SolutionLines(1, 502) + R"({"id": "mine-2", "type": "nope", "at": "2024-01-01", "data": {}})"
                              "\n");
  EXPECT_THAT(human.err, HasSubstr("line 2 refused (id mine-2)")) << human.err;
}

// ---- 7. A NUL byte in a line ----

TEST_F(HostileInputTest, ALineWithANulByteIsRefused) {
  const uint64_t before = Size();
  std::string line = SolutionLines(1, 600);
  line.pop_back();  // the "\n"
  line += std::string(1, '\0') + "garbage\n";
  CliResult r = RunCli(Import("-"), SolutionLines(1, 601) + line);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  json last = KeyedLedger::LastResult(r);
  EXPECT_EQ(last["line"], 2) << r.out;
  EXPECT_EQ(last["error"]["code"], "BAD_INPUT") << r.out;
  EXPECT_THAT(last["error"]["message"].get<std::string>(), HasSubstr("NUL")) << r.out;
  EXPECT_EQ(Size(), before + 1);
}

// ---- 9. Numbers in arguments ----

TEST_F(HostileInputTest, NegativeNumbersAreUsageErrors) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"prove", "-1"},
                                             {"prove", "0", "--size", "-1"},
                                             {"log", "--from", "-1"},
                                             {"log", "--to", "-2"},
                                             {"consistency", "-1", "2"},
                                             {"log", "--from", "18446744073709551616"}}) {
    std::vector<std::string> full = args;
    full.push_back("--ledger");
    full.push_back(ledger_->ledger());
    CliResult r = RunCli(full);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("USAGE")) << ::testing::PrintToString(args);
  }
}

TEST_F(HostileInputTest, BoundsSaturate) {
  const uint64_t size = Size();
  CliResult all = ledger_->Run({"log", "--json"});
  ASSERT_EQ(all.exit_code, 0);
  CliResult r = ledger_->Run({"log", "--json", "--to", "18446744073709551615"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(json::parse(r.out)["records"].size(), size) << r.out;
  EXPECT_EQ(r.out, all.out);
  CliResult none = ledger_->Run(
      {"log", "--json", "--from", "18446744073709551615", "--to", "18446744073709551615"});
  EXPECT_EQ(none.exit_code, 0) << none.out << none.err;
  EXPECT_EQ(json::parse(none.out)["records"].size(), 0u);
  CliResult prove = ledger_->Run({"prove", "18446744073709551615", "--json"});
  EXPECT_EQ(prove.exit_code, 2) << prove.out << prove.err;
}

// ---- 11. Input sizes are capped ----

TEST_F(HostileInputTest, ALineBeyondTheLimitIsRefusedBeforeBeingParsed) {
  const uint64_t before = Size();
  const std::string huge = "{\"id\": \"big\", \"pad\": \"" + std::string(9 << 20, 'x') + "\"}\n";
  auto start = std::chrono::steady_clock::now();
  CliResult r = RunCli(Import("-"), SolutionLines(1, 700) + huge + SolutionLines(1, 701));
  EXPECT_EQ(r.exit_code, 2) << r.out.substr(0, 2000) << r.err;
  json last = KeyedLedger::LastResult(r);
  EXPECT_EQ(last["line"], 2) << r.out.substr(0, 2000);
  EXPECT_EQ(last["error"]["code"], "BAD_INPUT");
  EXPECT_THAT(last["error"]["message"].get<std::string>(), HasSubstr("8388608 bytes"));
  EXPECT_EQ(Size(), before + 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST_F(HostileInputTest, AnEndlessBundleFailsFast) {
  const std::string pub = (fs::path(ledger_->ledger()) / "ledger.pub").string();
  auto start = std::chrono::steady_clock::now();
  CliResult r = RunCli({"verify-bundle", "/dev/zero", "--trust", pub, "--json"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("BAD_INPUT")) << r.out << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));

  // A regular file beyond the limit is refused from its size alone: a sparse file.
  const fs::path big = dir_ / "big.bundle";
  {
    int fd = ::open(big.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, (off_t{1} << 30) + 1), 0);
    ::close(fd);
  }
  start = std::chrono::steady_clock::now();
  CliResult sparse = RunCli({"verify-bundle", big.string(), "--trust", pub, "--json"});
  EXPECT_EQ(sparse.exit_code, 2) << sparse.out << sparse.err;
  EXPECT_THAT(sparse.out, HasSubstr("limit")) << sparse.out;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace esms::testing
