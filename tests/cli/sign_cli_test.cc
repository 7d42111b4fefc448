// Events signed on the author's machine (`sign`, INTERFACE.md §6) and imported with no
// key beside the ledger but its own: a signed line imports without --key; replayed into
// another ledger, altered after signing, signed by a revoked or an unknown key, it is
// refused (UNAUTHORIZED, the line named, nothing of it written); plain and signed lines
// mix; the order of a stream stays under the author's signature (expectedVersion); and
// every import leaves a checkpoint covering the latest record.
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing/cli.h"
#include "tests/testing/ids.h"

namespace esms::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

// Solution event number i (tests/testing/ids.h): its version is "i.0".
std::string SolutionLine(int i) { return SolutionLines(1, i); }

class SignCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = (dir_ / "admin.pem").string();
    dgos_ = (dir_ / "dgos.pem").string();
    ASSERT_EQ(RunCli({"key", "new", "admin", "--out", admin_}).exit_code, 0);
    CliResult n = RunCli({"key", "new", "dgos", "--out", dgos_, "--json"});
    ASSERT_EQ(n.exit_code, 0) << n.err;
    dgos_pub_ = json::parse(n.out)["publicKey"];
    a_ = (dir_ / "a.db").string();
    b_ = (dir_ / "b.db").string();
    // Two ledgers with the same keys enrolled under the same names: only the origin
    // tells them apart.
    for (const auto& [dir, origin] : {std::pair{a_, "a.example/esms"}, {b_, "b.example/esms"}}) {
      CliResult init = RunCli({"init", "--origin", origin, "--admin-key", admin_, "--ledger", dir});
      ASSERT_EQ(init.exit_code, 0) << init.err;
      CliResult e = RunCli({"import", "-", "--key", admin_, "--ledger", dir}, Enrol("dgos", 1));
      ASSERT_EQ(e.exit_code, 0) << e.err;
    }
  }

  // A key.enrolled of `name`: dgos's public key for "dgos", a new key for any other.
  std::string Enrol(const std::string& name, int n) {
    std::string pub = dgos_pub_;
    if (name != "dgos") {
      CliResult k =
          RunCli({"key", "new", name, "--out",
                  (dir_ / fmt::format("{}-{}.pem", name, counter_++)).string(), "--json"});
      EXPECT_EQ(k.exit_code, 0) << k.err;
      pub = json::parse(k.out)["publicKey"];
    }
    return json{{"id", fmt::format("key-{}-{}", name, n)},
                {"type", "key.enrolled"},
                {"at", "2023-01-02"},
                {"data",
                 {{"name", name},
                  {"publicKey", pub},
                  {"roles", {"national"}},
                  {"regions", json::array()}}}}
               .dump() +
           "\n";
  }

  // `lines` signed with `key` for the ledger `dir` (its ledger.pub).
  std::string Sign(const std::string& lines, const std::string& key, const std::string& dir,
                   const std::string& signer = "") {
    fs::path in = dir_ / fmt::format("in-{}.jsonl", counter_++);
    WriteFile(in, lines);
    std::vector<std::string> args = {"sign", in.string(), "--key",
                                     key,    "--trust",   (fs::path(dir) / "ledger.pub").string()};
    if (!signer.empty()) args.insert(args.end(), {"--signer", signer});
    CliResult s = RunCli(args);
    EXPECT_EQ(s.exit_code, 0) << s.err;
    return s.out;
  }

  json Import(const std::string& dir, const std::string& lines, const std::string& key = "") {
    std::vector<std::string> args = {"import", "-", "--ledger", dir, "--json"};
    if (!key.empty()) args.insert(args.end(), {"--key", key});
    last_ = RunCli(args, lines);
    return json::parse(last_.out, nullptr, false);
  }

  uint64_t Size(const std::string& dir) {
    CliResult v = RunCli({"verify", "--ledger", dir, "--json"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    return json::parse(v.out)["size"].get<uint64_t>();
  }
  uint64_t CheckpointSize(const std::string& dir) {
    CliResult c = RunCli({"checkpoint", "--ledger", dir, "--json"});
    EXPECT_EQ(c.exit_code, 0) << c.err;
    return json::parse(c.out)["size"].get<uint64_t>();
  }

  TempDir dir_;
  std::string admin_, dgos_, dgos_pub_, a_, b_;
  CliResult last_;
  int counter_ = 0;
};

TEST_F(SignCliTest, SignedLinesImportWithoutAnyKeyAndLeaveACheckpoint) {
  const std::string signed_lines = Sign(SolutionLine(1) + SolutionLine(2), dgos_, a_);
  std::vector<std::string> lines;
  for (size_t at = 0; at < signed_lines.size();) {
    size_t end = signed_lines.find('\n', at);
    lines.push_back(signed_lines.substr(at, end - at));
    at = end + 1;
  }
  ASSERT_EQ(lines.size(), 2u);
  json first = json::parse(lines[0]);
  EXPECT_EQ(first["signer"], "dgos");
  EXPECT_EQ(first["event"]["id"], "sol-1");
  EXPECT_EQ(first["signature"].get<std::string>().size(), 88u);  // 64 bytes in base64

  const uint64_t before = Size(a_);
  EXPECT_EQ(CheckpointSize(a_), before);
  json r = Import(a_, signed_lines);
  ASSERT_EQ(last_.exit_code, 0) << last_.out << last_.err;
  EXPECT_EQ(r["results"][0]["status"], "appended");
  EXPECT_EQ(r["results"][1]["status"], "appended");
  EXPECT_EQ(Size(a_), before + 2);
  // The import's commit signed a checkpoint covering its last record.
  EXPECT_EQ(CheckpointSize(a_), before + 2);
  // The records name their author, not the importer.
  CliResult log = RunCli({"log", "--ledger", a_, "--json", "--from", std::to_string(before)});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_THAT(log.out, HasSubstr("\"dgos\""));
  // Rerunning the file is safe.
  r = Import(a_, signed_lines);
  ASSERT_EQ(last_.exit_code, 0) << last_.err;
  EXPECT_EQ(r["results"][0]["status"], "existing");
}

TEST_F(SignCliTest, TheSummaryCountsTheEventsSigned) {
  for (int n : {1, 2}) {
    fs::path in = dir_ / fmt::format("count-{}.jsonl", n);
    WriteFile(in, n == 1 ? SolutionLine(1) : SolutionLine(1) + SolutionLine(2));
    CliResult s = RunCli(
        {"sign", in.string(), "--key", dgos_, "--trust", (fs::path(a_) / "ledger.pub").string()});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_THAT(s.err, HasSubstr(n == 1 ? "signed 1 event as 'dgos'" : "signed 2 events as"));
  }
}

TEST_F(SignCliTest, ASignedLineReplayedIntoAnotherLedgerIsRefused) {
  const std::string for_a = Sign(SolutionLine(1), dgos_, a_);
  const uint64_t before = Size(b_);
  json r = Import(b_, for_a);
  EXPECT_EQ(last_.exit_code, 3) << last_.out << last_.err;
  const json& refused = r["results"].back();
  EXPECT_EQ(refused["line"], 1);
  EXPECT_EQ(refused["status"], "refused");
  EXPECT_EQ(refused["error"]["code"], "UNAUTHORIZED");
  EXPECT_THAT(refused["error"]["message"].get<std::string>(), HasSubstr("does not verify"));
  EXPECT_EQ(Size(b_), before);
  // Signed for b, it imports there.
  Import(b_, Sign(SolutionLine(1), dgos_, b_));
  EXPECT_EQ(last_.exit_code, 0) << last_.out << last_.err;
  EXPECT_EQ(Size(b_), before + 1);
}

TEST_F(SignCliTest, AnEventAlteredAfterSigningIsRefusedAndTheLinesBeforeStay) {
  const std::string good = Sign(SolutionLine(1), dgos_, a_);
  std::string altered = Sign(SolutionLine(2), dgos_, a_);
  const size_t version = altered.find("\"version\":\"2.0\"");
  ASSERT_NE(version, std::string::npos) << altered;
  altered.replace(version, 15, "\"version\":\"9.0\"");
  const uint64_t before = Size(a_);
  json r = Import(a_, good + altered + Sign(SolutionLine(3), dgos_, a_));
  EXPECT_EQ(last_.exit_code, 3) << last_.out << last_.err;
  ASSERT_EQ(r["results"].size(), 2u) << r.dump();
  EXPECT_EQ(r["results"][0]["status"], "appended");
  EXPECT_EQ(r["results"][1]["line"], 2);
  EXPECT_EQ(r["results"][1]["id"], "sol-2");
  EXPECT_EQ(r["results"][1]["error"]["code"], "UNAUTHORIZED");
  EXPECT_EQ(Size(a_), before + 1);
  // A signer name that is not the key's: refused too.
  json other = Import(a_, Sign(SolutionLine(4), dgos_, a_, "admin"));
  EXPECT_EQ(last_.exit_code, 3) << last_.out;
  EXPECT_EQ(other["results"].back()["error"]["code"], "UNAUTHORIZED");
  // A signer that is not enrolled at all.
  json unknown = Import(a_, Sign(SolutionLine(4), dgos_, a_, "nobody"));
  EXPECT_EQ(last_.exit_code, 3) << last_.out;
  EXPECT_THAT(unknown["results"].back()["error"]["message"].get<std::string>(),
              HasSubstr("not enrolled"));
  // A malformed signed line is BAD_INPUT, named.
  json bad = Import(a_, R"({"event": {"id": "x"}, "signer": "dgos", "signature": "AAAA"})"
                        "\n");
  EXPECT_EQ(last_.exit_code, 2) << last_.out;  // input errors are exit 2
  EXPECT_EQ(bad["results"].back()["error"]["code"], "BAD_INPUT");
  EXPECT_EQ(Size(a_), before + 1);
}

TEST_F(SignCliTest, ASignatureByARevokedKeyIsRefused) {
  const std::string signed_line = Sign(SolutionLine(1), dgos_, a_);
  const std::string revoke =
      R"({"id": "revoke-dgos", "type": "key.revoked", "at": "2023-03-01", "data": )"
      R"({"name": "dgos", "reason": "left"}})"
      "\n";
  Import(a_, revoke, admin_);
  ASSERT_EQ(last_.exit_code, 0) << last_.out << last_.err;
  const uint64_t before = Size(a_);
  json r = Import(a_, signed_line);
  EXPECT_EQ(last_.exit_code, 3) << last_.out;
  EXPECT_EQ(r["results"].back()["error"]["code"], "UNAUTHORIZED");
  EXPECT_THAT(r["results"].back()["error"]["message"].get<std::string>(), HasSubstr("revoked"));
  EXPECT_EQ(Size(a_), before);
}

TEST_F(SignCliTest, PlainAndSignedLinesMixAndAPlainLineNeedsAKey) {
  const std::string mixed = Sign(SolutionLine(1), dgos_, a_) + Enrol("dgos2", 2);
  const uint64_t before = Size(a_);
  // Without --key the plain line is refused (the signed one before it stays).
  json r = Import(a_, mixed);
  EXPECT_EQ(last_.exit_code, 2) << last_.out << last_.err;
  EXPECT_EQ(r["results"].back()["line"], 2);
  EXPECT_EQ(r["results"].back()["error"]["code"], "USAGE");
  EXPECT_EQ(Size(a_), before + 1);
  // With --key (the admin's), the plain line is signed on the spot.
  r = Import(a_, mixed, admin_);
  ASSERT_EQ(last_.exit_code, 0) << last_.out << last_.err;
  EXPECT_EQ(r["results"][0]["status"], "existing");
  EXPECT_EQ(r["results"][1]["status"], "appended");
  EXPECT_EQ(Size(a_), before + 2);
  EXPECT_EQ(CheckpointSize(a_), before + 2);
}

// The author signs where in its stream the event goes: imported out of order, the
// second is refused (VERSION_CONFLICT), and its expectedVersion cannot be edited.
TEST_F(SignCliTest, StreamOrderStaysUnderTheAuthorsSignature) {
  const uint64_t programme = Size(a_);  // every record so far is in "programme"
  auto enrol_at = [&](const std::string& name, uint64_t version) {
    json line = json::parse(Enrol(name, 0));
    line["expectedVersion"] = version;
    return line.dump() + "\n";
  };
  const std::string first = Sign(enrol_at("k1", programme), admin_, a_);
  const std::string second = Sign(enrol_at("k2", programme + 1), admin_, a_);
  json r = Import(a_, second + first);
  EXPECT_EQ(last_.exit_code, 3) << last_.out;
  EXPECT_EQ(r["results"].back()["line"], 1);
  EXPECT_EQ(r["results"].back()["error"]["code"], "VERSION_CONFLICT");
  // Moving it by editing its expectedVersion breaks the signature.
  std::string moved = second;
  const std::string from = fmt::format("\"expectedVersion\":{}", programme + 1);
  const size_t at = moved.find(from);
  ASSERT_NE(at, std::string::npos) << moved;
  moved.replace(at, from.size(), fmt::format("\"expectedVersion\":{}", programme));
  r = Import(a_, moved);
  EXPECT_EQ(last_.exit_code, 3) << last_.out;
  EXPECT_EQ(r["results"].back()["error"]["code"], "UNAUTHORIZED");
  // In order, both go in.
  Import(a_, first + second);
  EXPECT_EQ(last_.exit_code, 0) << last_.out << last_.err;
  EXPECT_EQ(Size(a_), programme + 2);
}

// A record fits a C2SP tlog-tiles entry (at most 65 535 bytes): an event whose payload
// would not is refused (BAD_INPUT), signed or not, and nothing is written.
TEST_F(SignCliTest, AnEventBeyondTheRecordLimitIsRefused) {
  json big = json::parse(SolutionLine(1));
  big["data"]["solution"]["product"] = std::string(70000, 'p');
  const uint64_t before = Size(a_);
  json r = Import(a_, big.dump() + "\n", dgos_);
  EXPECT_EQ(last_.exit_code, 2) << last_.out;  // input errors are exit 2
  EXPECT_THAT(r["results"].back()["error"]["message"].get<std::string>(),
              HasSubstr("exceeds 63488 bytes"));
  EXPECT_EQ(r["results"].back()["error"]["code"], "BAD_INPUT");
  EXPECT_EQ(Size(a_), before);
}

// The ledger directory holds the ledger key (mode 0600); without it, nothing is written.
TEST_F(SignCliTest, TheLedgerKeyIsSeparateAndNeededToWrite) {
  const fs::path key = fs::path(a_) / "ledger.key";
  ASSERT_TRUE(fs::exists(key));
  EXPECT_EQ(fs::status(key).permissions() & (fs::perms::group_all | fs::perms::others_all),
            fs::perms::none);
  EXPECT_NE(ReadFile(key), ReadFile(admin_));
  fs::rename(key, dir_ / "kept.key");
  const uint64_t before = Size(a_);
  Import(a_, Sign(SolutionLine(1), dgos_, a_));
  EXPECT_EQ(last_.exit_code, 2) << last_.out << last_.err;
  EXPECT_EQ(Size(a_), before);
  // Given with --ledger-key it writes; the admin key is not the ledger key.
  CliResult wrong = RunCli({"import", "-", "--ledger", a_, "--ledger-key", admin_},
                           Sign(SolutionLine(1), dgos_, a_));
  EXPECT_EQ(wrong.exit_code, 3) << wrong.err;
  CliResult right =
      RunCli({"import", "-", "--ledger", a_, "--ledger-key", (dir_ / "kept.key").string()},
             Sign(SolutionLine(1), dgos_, a_));
  EXPECT_EQ(right.exit_code, 0) << right.err;
  EXPECT_EQ(Size(a_), before + 1);
  // `init --ledger-key` uses the key given and writes no ledger.key.
  const std::string c = (dir_ / "c.db").string();
  CliResult init = RunCli({"init", "--origin", "c.example/esms", "--admin-key", admin_, "--ledger",
                           c, "--ledger-key", (dir_ / "kept.key").string()});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_FALSE(fs::exists(fs::path(c) / "ledger.key"));
  EXPECT_EQ(CheckpointSize(c), 1u);
}

}  // namespace
}  // namespace esms::testing
