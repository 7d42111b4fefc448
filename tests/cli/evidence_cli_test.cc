// The offline-evidence commands as an auditor and a witness run them: `bundle`,
// `verify-bundle` with the ledger deleted, every kind of tampering refused with exit 1
// and the seq named (a statement, a signature, a checkpoint altered; an operator holding
// the ledger key who rewrites a statement and re-signs the tree), `prove --format
// tlog-proof` with no manual checkpoint (format 2 signs one at every commit), `witness
// cosign` (consistent advance, rollback and fork refused, state file atomic) and
// `verify-bundle --witness`.
// The ledger is the demo's (a realistic programme: renumberings, a merger, a rejected
// rival, measurements), built in about a second.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "domain/event_codec.h"
#include "domain/events.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/record.h"
#include "tests/testing/cli.h"

namespace esms::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr const char* kProject = "bzh-2023-0001";
constexpr const char* kAt = "2025-12-05";

// A Merkle tree held in memory: what an operator recomputes after rewriting a record.
class MemoryTree : public ledger::SubtreeStore {
 public:
  explicit MemoryTree(const std::vector<ledger::Hash>& leaves) {
    for (uint64_t i = 0; i < leaves.size(); ++i) {
      auto completed = ledger::NodesCompletedByAppend(i, leaves[i], *this);
      EXPECT_TRUE(completed.ok());
      if (!completed.ok()) return;
      for (const ledger::SubtreeNode& n : *completed) nodes_[{n.level, n.index}] = n.hash;
    }
  }
  Result<ledger::Hash> Get(int level, uint64_t index) const override {
    auto it = nodes_.find({level, index});
    if (it == nodes_.end()) return Status::NotFound("no such node");
    return it->second;
  }

 private:
  std::map<std::pair<int, uint64_t>, ledger::Hash> nodes_;
};

class EvidenceCliTest : public ::testing::Test {
 protected:
  // The demo ledger (seed 2024) is built once for the suite; each test works on its own
  // copy of it.
  static void SetUpTestSuite() {
    suite_dir_ = new TempDir();
    CliResult demo = RunCli({"demo", "--dir", (suite_dir_->path() / "demo").string(),
                             "--establishments", "150", "--seed", "2024", "--json"});
    if (demo.exit_code == 0) {
      suite_size_ = json::parse(demo.out)["size"].get<uint64_t>();
    } else {
      suite_error_ = "demo: " + demo.out + demo.err;
    }
  }
  static void TearDownTestSuite() {
    delete suite_dir_;
    suite_dir_ = nullptr;
    suite_size_ = 0;
    suite_error_.clear();
  }
  void SetUp() override {
    ASSERT_TRUE(suite_error_.empty()) << suite_error_;
    fs::copy(suite_dir_->path() / "demo", dir_ / "demo", fs::copy_options::recursive);
    size_ = suite_size_;
  }

  void Demo(const fs::path& dir, const std::string& seed) {
    CliResult demo = RunCli(
        {"demo", "--dir", dir.string(), "--establishments", "150", "--seed", seed, "--json"});
    ASSERT_EQ(demo.exit_code, 0) << demo.out << demo.err;
    if (size_ == 0) size_ = json::parse(demo.out)["size"].get<uint64_t>();
  }
  std::string Ledger() const { return (dir_ / "demo" / "ledger").string(); }
  std::string Key(const std::string& name) const {
    return (dir_ / "demo" / "keys" / (name + ".pem")).string();
  }
  std::string Pub() const { return (dir_ / "demo" / "ledger" / "ledger.pub").string(); }
  // The ledger key: it signs the checkpoints, so it sits beside the ledger.
  std::string LedgerKey() const { return (dir_ / "demo" / "ledger" / "ledger.key").string(); }

  // What an operator holding the ledger key can do with a bundle: replace record leaves
  // (seq -> new record bytes), recompute the tree over every record of the ledger, give
  // each entry its new proof and sign a checkpoint of the new root with the ledger key.
  json Resign(json bundle, const std::map<uint64_t, ledger::Bytes>& replaced) {
    CliResult log = RunCli({"log", "--json", "--ledger", Ledger()});
    EXPECT_EQ(log.exit_code, 0) << log.err;
    std::vector<ledger::Hash> leaves;
    const json logged = json::parse(log.out);
    for (const json& r : logged["records"]) {
      leaves.push_back(ledger::HashFromHex(r["leafHash"].get<std::string>()).value());
    }
    for (const auto& [seq, bytes] : replaced) leaves.at(seq) = ledger::LeafHash(bytes);
    auto note = ledger::ParseNote(bundle["checkpoint"].get<std::string>());
    EXPECT_TRUE(note.ok());
    if (!note.ok()) return bundle;
    auto cp = ledger::ParseCheckpoint(note->text);
    EXPECT_TRUE(cp.ok());
    if (!cp.ok()) return bundle;
    MemoryTree tree(leaves);
    Result<ledger::Hash> root = ledger::RootAt(cp->size, tree);
    EXPECT_TRUE(root.ok()) << root.status().ToString() << " (" << leaves.size() << " leaves)";
    if (!root.ok()) return bundle;
    cp->root = *root;
    for (const char* list : {"records", "keys"}) {
      for (json& entry : bundle[list]) {
        const uint64_t seq = entry["seq"];
        if (auto it = replaced.find(seq); it != replaced.end()) {
          entry["bytes"] = ledger::Base64Encode(it->second);
          entry["leafHash"] = ledger::ToHex(ledger::LeafHash(it->second));
        }
        Result<std::vector<ledger::Hash>> path = ledger::InclusionProof(seq, cp->size, tree);
        EXPECT_TRUE(path.ok()) << path.status().ToString();
        json proof = json::array();
        for (const ledger::Hash& h : path.ok() ? *path : std::vector<ledger::Hash>{}) {
          proof.push_back(ledger::ToHex(h));
        }
        entry["proof"] = proof;
      }
    }
    auto key = ledger::SigningKey::LoadPem(LedgerKey());
    EXPECT_TRUE(key.ok()) << key.status().ToString();
    if (!key.ok()) return bundle;
    bundle["checkpoint"] = ledger::SignNote(ledger::FormatCheckpoint(*cp), cp->origin, *key);
    return bundle;
  }

  // Writes the bundle of kProject and returns it parsed.
  json Bundle(const fs::path& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"bundle", kProject, "--out",    out.string(),
                                     "--at",   kAt,      "--ledger", Ledger()};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult r = RunCli(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return json::parse(ReadFile(out));
  }

  // verify-bundle --json of `bundle` written to a file; extra args appended.
  CliResult Verify(const json& bundle, std::vector<std::string> extra = {}) {
    fs::path file = dir_ / "tampered.json";
    WriteFile(file, bundle.dump(1));
    std::vector<std::string> args = {"verify-bundle", file.string(), "--trust", Pub(), "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCli(args);
  }

  // Asserts exit 1 with `code`, the message containing `text`, naming `seq` if given.
  static void ExpectRefused(const CliResult& r, const std::string& code, const std::string& text,
                            std::optional<uint64_t> seq) {
    ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
    json error = json::parse(r.out)["error"];
    EXPECT_EQ(error["code"], code) << r.out;
    EXPECT_THAT(error["message"].get<std::string>(), HasSubstr(text));
    if (seq.has_value()) {
      EXPECT_EQ(error["seq"], *seq) << r.out;
      EXPECT_THAT(error["message"].get<std::string>(), HasSubstr("seq " + std::to_string(*seq)));
    }
  }

  // The index in bundle["records"] of the first record of `type`.
  static size_t FirstOfType(const json& bundle, const std::string& type) {
    for (size_t i = 0; i < bundle["records"].size(); ++i) {
      if (bundle["records"][i]["type"] == type) return i;
    }
    ADD_FAILURE() << "no " << type;
    return 0;
  }

  static std::string FlipBase64(const std::string& b64, size_t at) {
    auto bytes = ledger::Base64Decode(b64);
    EXPECT_TRUE(bytes.ok());
    (*bytes)[at % bytes->size()] ^= 0x01;
    return ledger::Base64Encode(*bytes);
  }
  static std::string FlipHex(std::string hex) {
    hex[10] = hex[10] == '0' ? '1' : '0';
    return hex;
  }

  static inline TempDir* suite_dir_ = nullptr;
  static inline uint64_t suite_size_ = 0;
  static inline std::string suite_error_;
  TempDir dir_;
  uint64_t size_ = 0;  // the demo ledger's size, all covered by its last checkpoint
};

TEST_F(EvidenceCliTest, BundleVerifiesWithTheLedgerDeletedAndPrintsTheCheckVerdict) {
  CliResult check = RunCli({"check", kProject, "--at", kAt, "--json", "--ledger", Ledger()});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  CliResult check_text = RunCli({"check", kProject, "--at", kAt, "--ledger", Ledger()});
  json bundle = Bundle(dir_ / "b.json");
  EXPECT_EQ(bundle["format"], "esms-ledger-bundle/v2");
  EXPECT_EQ(bundle["claim"]["kind"], "project");
  EXPECT_EQ(bundle["claim"]["project"], kProject);
  EXPECT_EQ(bundle["keys"][0]["seq"], 0);  // genesis: the first admin
  fs::copy_file(Pub(), dir_ / "ledger.pub");
  fs::remove_all(dir_ / "demo");
  ASSERT_FALSE(fs::exists(dir_ / "demo"));

  CliResult v = RunCli({"verify-bundle", (dir_ / "b.json").string(), "--trust",
                        (dir_ / "ledger.pub").string(), "--json"});
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_EQ(v.out, check.out);
  EXPECT_THAT(v.err, HasSubstr("bundle verified"));
  CliResult text = RunCli(
      {"verify-bundle", (dir_ / "b.json").string(), "--trust", (dir_ / "ledger.pub").string()});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out, check_text.out);
  // --trust also takes the verifier line itself.
  std::string line = ReadFile(dir_ / "ledger.pub");
  line = line.substr(0, line.find('\n'));
  EXPECT_EQ(RunCli({"verify-bundle", (dir_ / "b.json").string(), "--trust", line, "--json"}).out,
            check.out);
}

TEST_F(EvidenceCliTest, EveryProjectOfTheDemoGivesTheCheckVerdict) {
  for (const char* project : {"bzh-2023-0002", "bzh-2024-0001", "bzh-2025-0001"}) {
    CliResult check = RunCli({"check", project, "--at", kAt, "--json", "--ledger", Ledger()});
    ASSERT_EQ(check.exit_code, 0) << check.err;
    fs::path out = dir_ / (std::string(project) + ".json");
    ASSERT_EQ(RunCli({"bundle", project, "--out", out.string(), "--at", kAt, "--ledger", Ledger()})
                  .exit_code,
              0);
    CliResult v = RunCli({"verify-bundle", out.string(), "--trust", Pub(), "--json"});
    EXPECT_EQ(v.exit_code, 0) << project << v.out;
    EXPECT_EQ(v.out, check.out) << project;
  }
}

TEST_F(EvidenceCliTest, UnknownProjectNoFileAndBadJson) {
  CliResult unknown = RunCli(
      {"bundle", "nope", "--out", (dir_ / "x.json").string(), "--ledger", Ledger(), "--json"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_EQ(json::parse(unknown.out)["error"]["code"], "UNKNOWN_PROJECT");
  EXPECT_FALSE(fs::exists(dir_ / "x.json"));
  CliResult missing =
      RunCli({"verify-bundle", (dir_ / "none.json").string(), "--trust", Pub(), "--json"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(json::parse(missing.out)["error"]["code"], "BAD_INPUT");
  WriteFile(dir_ / "bad.json", "{\"format\": \"esms-ledger-bundle/v1\", ");
  CliResult bad =
      RunCli({"verify-bundle", (dir_ / "bad.json").string(), "--trust", Pub(), "--json"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(json::parse(bad.out)["error"]["code"], "BAD_INPUT");
}

TEST_F(EvidenceCliTest, EveryTamperingIsRefusedNamingTheSeq) {
  const json original = Bundle(dir_ / "b.json");
  ASSERT_EQ(Verify(original).exit_code, 0);

  {  // A readable amount edited.
    json b = original;
    size_t i = FirstOfType(b, "convention.signed");
    b["records"][i]["data"]["amountCents"] =
        b["records"][i]["data"]["amountCents"].get<int64_t>() + 100;
    ExpectRefused(Verify(b), "BUNDLE_INVALID", "data.amountCents: the readable value",
                  b["records"][i]["seq"].get<uint64_t>());
  }
  {  // A readable FINESS deep in a submission.
    json b = original;
    size_t i = FirstOfType(b, "project.submitted");
    b["records"][i]["data"]["establishments"][1]["finess"] = "350000000";
    ExpectRefused(Verify(b), "BUNDLE_INVALID", "data.establishments[1].finess",
                  b["records"][i]["seq"].get<uint64_t>());
  }
  {  // An envelope field: the business date.
    json b = original;
    b["records"][3]["at"] = "2020-01-01";
    ExpectRefused(Verify(b), "BUNDLE_INVALID", "at: the readable value",
                  b["records"][3]["seq"].get<uint64_t>());
  }
  {  // The statement (what the author signed) flipped.
    json b = original;
    b["records"][5]["statement"] = FlipBase64(b["records"][5]["statement"], 40);
    ExpectRefused(Verify(b), "BUNDLE_INVALID", "\"statement\" is not the statement of the record",
                  b["records"][5]["seq"].get<uint64_t>());
  }
  {  // A readable expectedVersion added to a record whose author gave none.
    json b = original;
    ASSERT_FALSE(b["records"][4].contains("expectedVersion"));
    b["records"][4]["expectedVersion"] = b["records"][4]["streamVersion"];
    ExpectRefused(Verify(b), "BUNDLE_INVALID", "expectedVersion: not in the signed statement",
                  b["records"][4]["seq"].get<uint64_t>());
  }
  {  // Signature flipped.
    json b = original;
    b["records"][6]["signature"] = FlipBase64(b["records"][6]["signature"], 7);
    ExpectRefused(Verify(b), "BUNDLE_INVALID", "\"signature\" is not the signature of the record",
                  b["records"][6]["seq"].get<uint64_t>());
  }
  {  // The record bytes flipped (in the payload): the leaf no longer matches.
    json b = original;
    std::string bytes = b["records"][7]["bytes"];
    b["records"][7]["bytes"] = FlipBase64(bytes, ledger::Base64Decode(bytes)->size() - 90);
    CliResult r = Verify(b);
    ExpectRefused(r, "BUNDLE_INVALID", "", b["records"][7]["seq"].get<uint64_t>());
  }
  {  // A proof hash flipped.
    json b = original;
    b["records"][8]["proof"][0] = FlipHex(b["records"][8]["proof"][0]);
    ExpectRefused(Verify(b), "BUNDLE_INVALID", "inclusion proof",
                  b["records"][8]["seq"].get<uint64_t>());
  }
  {  // leafHash edited.
    json b = original;
    b["records"][9]["leafHash"] = FlipHex(b["records"][9]["leafHash"]);
    ExpectRefused(Verify(b), "BUNDLE_INVALID", "leafHash", b["records"][9]["seq"].get<uint64_t>());
  }
  const std::string note = original["checkpoint"];
  const size_t size_end = note.find('\n', note.find('\n') + 1);
  {  // Checkpoint root edited (re-encoded so it stays well-formed base64).
    json b = original;
    std::string root_b64 = note.substr(size_end + 1, note.find('\n', size_end + 1) - size_end - 1);
    b["checkpoint"] = note.substr(0, size_end + 1) + FlipBase64(root_b64, 0) +
                      note.substr(note.find('\n', size_end + 1));
    ExpectRefused(Verify(b), "BUNDLE_INVALID", "checkpoint: not signed by the trusted key",
                  std::nullopt);
  }
  {  // Checkpoint size edited.
    json b = original;
    std::string first = note.substr(0, note.find('\n') + 1);
    b["checkpoint"] = first + std::to_string(size_ + 1) + note.substr(size_end);
    ExpectRefused(Verify(b), "BUNDLE_INVALID", "checkpoint", std::nullopt);
  }
  {  // Checkpoint signature edited.
    json b = original;
    size_t dash = note.rfind(' ');
    std::string sig = note.substr(dash + 1, note.size() - dash - 2);
    b["checkpoint"] = note.substr(0, dash + 1) + FlipBase64(sig, 20) + "\n";
    ExpectRefused(Verify(b), "BUNDLE_INVALID", "checkpoint", std::nullopt);
  }
  {  // A key record dropped: the first record its key signed is refused.
    json b = original;
    json dropped = b["keys"][1];
    b["keys"].erase(1);
    std::string signer = dropped["data"]["name"];
    uint64_t first_signed = 0;
    for (const auto& r : b["records"]) {
      if (r["signer"] == signer) {
        first_signed = r["seq"];
        break;
      }
    }
    ASSERT_GT(first_signed, 0u);
    ExpectRefused(Verify(b), "BUNDLE_INVALID", "'" + signer + "' is not enrolled", first_signed);
  }
  {  // The genesis key record dropped.
    json b = original;
    b["keys"].erase(0);
    uint64_t lowest = UINT64_MAX;
    for (const char* list : {"keys", "records"}) {
      for (const auto& r : b[list]) lowest = std::min(lowest, r["seq"].get<uint64_t>());
    }
    ExpectRefused(Verify(b), "BUNDLE_INVALID", "genesis", lowest);
  }
  {  // A record of the project's stream dropped: its versions no longer run 0..n-1.
    json b = original;
    std::vector<size_t> stream;
    for (size_t i = 0; i < b["records"].size(); ++i) {
      if (b["records"][i]["stream"] == std::string("project/") + kProject) stream.push_back(i);
    }
    ASSERT_GE(stream.size(), 4u);
    uint64_t next = b["records"][stream[2]]["seq"];
    b["records"].erase(stream[1]);
    ExpectRefused(Verify(b), "BUNDLE_INVALID", "a record of the stream is missing", next);
  }
  {  // The claim edited to drop the project's stream from the complete ones.
    json b = original;
    b["claim"]["completeStreams"] = json::array();
    ExpectRefused(Verify(b), "BUNDLE_INVALID", "completeStreams", std::nullopt);
  }
}

// Format 2's promise against the operator: it holds the ledger key (checkpoints), not the
// authors' keys, so it can re-sign a tree but not an author's statement.
TEST_F(EvidenceCliTest, AnOperatorWithTheLedgerKeyCannotAlterAStatement) {
  const json original = Bundle(dir_ / "b.json");
  // The rebuild itself is right: the tree recomputed and re-signed unchanged verifies.
  CliResult same = Verify(Resign(original, {}));
  ASSERT_EQ(same.exit_code, 0) << same.out << same.err;

  // The convention's amount raised in the statement, the author's signature kept, the
  // record, the tree and the checkpoint made again and signed with the ledger key.
  const size_t i = FirstOfType(original, "convention.signed");
  const uint64_t seq = original["records"][i]["seq"];
  auto bytes = ledger::Base64Decode(original["records"][i]["bytes"].get<std::string>());
  ASSERT_TRUE(bytes.ok());
  auto record = ledger::DecodeRecord(*bytes);
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  auto data = domain::DecodePayload(record->type, record->payload);
  ASSERT_TRUE(data.ok());
  std::get<domain::ConventionSigned>(*data).amount_cents += 100'000'00;
  ledger::Record forged = *record;
  forged.payload = domain::EncodePayload(*data).value();
  forged.statement_bytes.clear();
  auto encoded = ledger::EncodeRecord(forged);
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  json b = Resign(original, {{seq, encoded->bytes}});
  b["records"][i]["statement"] = ledger::Base64Encode(encoded->statement_bytes);
  b["records"][i]["data"]["amountCents"] =
      original["records"][i]["data"]["amountCents"].get<int64_t>() + 100'000'00;
  ExpectRefused(Verify(b), "BUNDLE_INVALID", "the signature of the statement does not verify", seq);

  // Nor can it pass off a statement signed for another ledger as one of this ledger's.
  forged = *record;
  forged.origin = "another.example/esms";
  forged.statement_bytes.clear();
  encoded = ledger::EncodeRecord(forged);
  ASSERT_TRUE(encoded.ok());
  b = Resign(original, {{seq, encoded->bytes}});
  b["records"][i]["statement"] = ledger::Base64Encode(encoded->statement_bytes);
  ExpectRefused(Verify(b), "BUNDLE_INVALID", "signed for the ledger \"another.example/esms\"", seq);
}

TEST_F(EvidenceCliTest, ActiveDuiClaimEvidenceChecked) {
  // An active-DUI claim over measurements of the bundle (the claim is the unsigned part a
  // report writes; the records stay as signed).
  json b = Bundle(dir_ / "b.json");
  json evidence = json::array();
  int64_t total = 0;
  std::set<std::string> seen;
  for (auto it = b["records"].rbegin(); it != b["records"].rend(); ++it) {
    const json& r = *it;
    if (r["type"] != "indicator.measured" || r["data"]["periodEnd"] > kAt) continue;
    if (!seen.insert(r["data"]["finess"].get<std::string>()).second) continue;
    evidence.push_back({{"finess", r["data"]["finess"]},
                        {"seq", r["seq"]},
                        {"activeFiles", r["data"]["activeFiles"]}});
    total += r["data"]["activeFiles"].get<int64_t>();
    if (evidence.size() == 5) break;
  }
  ASSERT_EQ(evidence.size(), 5u);
  b["claim"] = {{"kind", "active-dui"}, {"at", kAt}, {"total", total}, {"evidence", evidence}};
  CliResult ok = Verify(b);
  ASSERT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_EQ(json::parse(ok.out)["claim"]["total"], total);

  {  // The total inflated.
    json t = b;
    t["claim"]["total"] = total + 1;
    ExpectRefused(Verify(t), "BUNDLE_INVALID", "adds up to", std::nullopt);
  }
  {  // An evidence entry's figure inflated.
    json t = b;
    t["claim"]["evidence"][2]["activeFiles"] = evidence[2]["activeFiles"].get<int64_t>() + 10;
    t["claim"]["total"] = total + 10;
    ExpectRefused(Verify(t), "BUNDLE_INVALID", "active files", evidence[2]["seq"].get<uint64_t>());
  }
  {  // An evidence record dropped from the bundle.
    json t = b;
    uint64_t seq = evidence[1]["seq"];
    for (size_t i = 0; i < t["records"].size(); ++i) {
      if (t["records"][i]["seq"] == seq) {
        t["records"].erase(i);
        break;
      }
    }
    ExpectRefused(Verify(t), "BUNDLE_INVALID", "not in the bundle", seq);
  }
}

TEST_F(EvidenceCliTest, RecordFromAnotherLedgerAndWrongTrustRefused) {
  Demo(dir_ / "other", "2025");
  const std::string other_ledger = (dir_ / "other" / "ledger").string();
  ASSERT_EQ(RunCli({"bundle", kProject, "--out", (dir_ / "o.json").string(), "--at", kAt,
                    "--ledger", other_ledger})
                .exit_code,
            0);
  json other = json::parse(ReadFile(dir_ / "o.json"));
  json b = Bundle(dir_ / "b.json");
  // The other ledger's record at the same seq, whole (bytes, proof and all).
  std::map<uint64_t, json> theirs;
  for (const auto& r : other["records"]) theirs[r["seq"].get<uint64_t>()] = r;
  size_t index = 0;
  while (index < b["records"].size() && !theirs.contains(b["records"][index]["seq"])) ++index;
  ASSERT_LT(index, b["records"].size());
  uint64_t seq = b["records"][index]["seq"];
  json foreign = theirs[seq];
  ASSERT_NE(foreign["bytes"], b["records"][index]["bytes"]);
  b["records"][index] = foreign;
  ExpectRefused(Verify(b), "BUNDLE_INVALID", "inclusion proof", seq);

  // The right bundle, the wrong ledger key.
  CliResult wrong = RunCli({"verify-bundle", (dir_ / "b.json").string(), "--trust",
                            (dir_ / "other" / "ledger" / "ledger.pub").string(), "--json"});
  ExpectRefused(wrong, "BUNDLE_INVALID", "not signed by the trusted key", std::nullopt);
}

TEST_F(EvidenceCliTest, TlogProofRoundTripAndTamper) {
  const fs::path file = dir_ / "p.tlog";
  CliResult r = RunCli({"prove", "70", "--format", "tlog-proof", "--out", file.string(), "--ledger",
                        Ledger(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string text = ReadFile(file);
  EXPECT_THAT(text, ::testing::StartsWith("c2sp.org/tlog-proof@v1\nextra "));
  CliResult stdout_form = RunCli({"prove", "70", "--format", "tlog-proof", "--ledger", Ledger()});
  EXPECT_EQ(stdout_form.out, text);

  std::string pub = ReadFile(Pub());
  auto verifier = ledger::ParseVerifierKey(pub.substr(0, pub.find('\n')));
  ASSERT_TRUE(verifier.ok());
  auto proof = ledger::ParseTlogProof(text);
  ASSERT_TRUE(proof.ok()) << proof.status().ToString();
  EXPECT_EQ(proof->index, 70u);
  ASSERT_TRUE(proof->extra.has_value());
  const ledger::Hash leaf = ledger::LeafHash(*proof->extra);
  auto cp = ledger::VerifyTlogProof(*proof, leaf, std::span(&*verifier, 1));
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->size, size_);
  // The leaf is record 70 as `log` shows it.
  CliResult log = RunCli({"log", "--from", "70", "--to", "70", "--json", "--ledger", Ledger()});
  EXPECT_EQ(json::parse(log.out)["records"][0]["leafHash"], ledger::ToHex(leaf));

  // Tampered: a path hash flipped, or another leaf.
  ledger::TlogProof bad = *proof;
  bad.proof[1][3] ^= 0x10;
  EXPECT_FALSE(ledger::VerifyTlogProof(bad, leaf, std::span(&*verifier, 1)).ok());
  ledger::Hash other_leaf = leaf;
  other_leaf[0] ^= 1;
  EXPECT_FALSE(ledger::VerifyTlogProof(*proof, other_leaf, std::span(&*verifier, 1)).ok());
  auto reparsed = ledger::ParseTlogProof(ledger::FormatTlogProof(bad));
  ASSERT_TRUE(reparsed.ok());
  EXPECT_FALSE(ledger::VerifyTlogProof(*reparsed, leaf, std::span(&*verifier, 1)).ok());

  // A record just imported: its receipt at once, with no manual `checkpoint` (the ledger
  // signed one at the commit).
  std::string solution =
      R"({"id": "sol-late", "type": "solution.referenced", "at": "2025-12-06", "data": )"
      R"({"solution": {"vendor": "Late", "product": "DUI", "version": "1"}, )"
      R"("corridor": "medico-social", "status": "candidate", "referencedAt": "2025-12-06"}})"
      "\n";
  CliResult imported =
      RunCli({"import", "-", "--key", Key("national"), "--ledger", Ledger(), "--json"}, solution);
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  CliResult receipt =
      RunCli({"prove", std::to_string(size_), "--format", "tlog-proof", "--ledger", Ledger()});
  ASSERT_EQ(receipt.exit_code, 0) << receipt.out << receipt.err;
  auto late = ledger::ParseTlogProof(receipt.out);
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  auto late_cp =
      ledger::VerifyTlogProof(*late, ledger::LeafHash(*late->extra), std::span(&*verifier, 1));
  ASSERT_TRUE(late_cp.ok()) << late_cp.status().ToString();
  EXPECT_EQ(late_cp->size, size_ + 1);
  auto late_record = ledger::DecodeRecord(*late->extra);
  ASSERT_TRUE(late_record.ok());
  EXPECT_EQ(late_record->event_id, "sol-late");
  EXPECT_EQ(late_record->origin, late_cp->origin);
  // --size picks an older kept checkpoint; a record beyond it is refused by name.
  CliResult older = RunCli({"prove", "70", "--format", "tlog-proof", "--size",
                            std::to_string(size_), "--ledger", Ledger()});
  EXPECT_EQ(older.exit_code, 0);
  EXPECT_EQ(older.out, text);
  CliResult beyond = RunCli({"prove", std::to_string(size_), "--format", "tlog-proof", "--size",
                             std::to_string(size_), "--ledger", Ledger(), "--json"});
  EXPECT_EQ(beyond.exit_code, 3);
  EXPECT_EQ(json::parse(beyond.out)["error"]["code"], "NO_CHECKPOINT");
}

class WitnessCliTest : public EvidenceCliTest {
 protected:
  void SetUp() override {
    EvidenceCliTest::SetUp();
    ASSERT_EQ(RunCli({"key", "new", "dgos-witness", "--out", Witness()}).exit_code, 0);
    CliResult key = RunCli({"witness", "key", "--key", Witness(), "--name", "dgos-witness"});
    ASSERT_EQ(key.exit_code, 0) << key.err;
    vkey_ = key.out.substr(0, key.out.find('\n'));
    ASSERT_TRUE(ledger::ParseVerifierKey(vkey_).ok()) << vkey_;
  }
  std::string Witness() const { return (dir_ / "witness.pem").string(); }
  std::string State() const { return (dir_ / "witness.state").string(); }
  CliResult Cosign(const std::string& ledger, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"witness",  "cosign",       "--key",   Witness(),
                                     "--name",   "dgos-witness", "--state", State(),
                                     "--ledger", ledger,         "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCli(args);
  }
  // One more record in `ledger`: the ledger signs its checkpoint at the commit.
  void Advance(const std::string& ledger, const std::string& id) {
    std::string line = fmt::format(
        R"({{"id": "{}", "type": "solution.referenced", "at": "2025-12-06", "data": )"
        R"({{"solution": {{"vendor": "V {}", "product": "DUI", "version": "1"}}, )"
        R"("corridor": "medico-social", "status": "candidate", "referencedAt": "2025-12-06"}}}})"
        "\n",
        id, id);
    CliResult before = RunCli({"checkpoint", "--json", "--ledger", ledger});
    ASSERT_EQ(before.exit_code, 0) << before.out << before.err;
    CliResult r = RunCli({"import", "-", "--key", Key("national"), "--ledger", ledger}, line);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    CliResult after = RunCli({"checkpoint", "--json", "--ledger", ledger});
    ASSERT_EQ(after.exit_code, 0) << after.out << after.err;
    ASSERT_EQ(json::parse(after.out)["size"], json::parse(before.out)["size"].get<uint64_t>() + 1);
  }
  std::string vkey_;
};

TEST_F(WitnessCliTest, ConsistentAdvanceThenBundleRequiresTheCosignature) {
  CliResult first = Cosign(Ledger(), {"--out", (dir_ / "cosigned.note").string()});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_EQ(json::parse(first.out)["size"], size_);
  EXPECT_EQ(json::parse(first.out)["witness"], vkey_);
  json state = json::parse(ReadFile(State()));
  EXPECT_EQ(state["size"], size_);
  // The same checkpoint again is fine; so is a consistent advance.
  EXPECT_EQ(Cosign(Ledger()).exit_code, 0);
  Advance(Ledger(), "w-1");
  Advance(Ledger(), "w-2");
  CliResult advanced = Cosign(Ledger(), {"--out", (dir_ / "cosigned.note").string()});
  ASSERT_EQ(advanced.exit_code, 0) << advanced.out << advanced.err;
  EXPECT_EQ(json::parse(ReadFile(State()))["size"], size_ + 2);

  // A bundle against the cosigned checkpoint passes --witness; the plain one does not.
  json cosigned = Bundle(dir_ / "c.json", {"--cosigned", (dir_ / "cosigned.note").string()});
  CliResult with = Verify(cosigned, {"--witness", vkey_});
  EXPECT_EQ(with.exit_code, 0) << with.out << with.err;
  json plain = Bundle(dir_ / "p.json");
  ExpectRefused(Verify(plain, {"--witness", vkey_}), "WITNESS_MISSING", "dgos-witness",
                std::nullopt);
  // Another witness's key: refused.
  ASSERT_EQ(RunCli({"key", "new", "other", "--out", (dir_ / "other.pem").string()}).exit_code, 0);
  CliResult other =
      RunCli({"witness", "key", "--key", (dir_ / "other.pem").string(), "--name", "dgos-witness"});
  ExpectRefused(Verify(cosigned, {"--witness", other.out.substr(0, other.out.find('\n'))}),
                "WITNESS_MISSING", "dgos-witness", std::nullopt);
  // The cosignature line edited: refused too.
  json edited = cosigned;
  std::string note = edited["checkpoint"];
  size_t last = note.rfind(' ');
  note[last + 20] = note[last + 20] == 'A' ? 'B' : 'A';
  edited["checkpoint"] = note;
  EXPECT_EQ(Verify(edited, {"--witness", vkey_}).exit_code, 1);
  // The ledger key given as --witness is refused as a usage error.
  EXPECT_EQ(Verify(cosigned, {"--witness", Pub()}).exit_code, 2);
}

TEST_F(WitnessCliTest, RollbackAndForkRefusedStateUnchanged) {
  const fs::path old_copy = dir_ / "old-ledger";
  fs::copy(Ledger(), old_copy, fs::copy_options::recursive);
  const fs::path fork = dir_ / "fork-ledger";
  fs::copy(Ledger(), fork, fs::copy_options::recursive);
  Advance(Ledger(), "w-1");
  ASSERT_EQ(Cosign(Ledger()).exit_code, 0);
  const std::string state = ReadFile(State());

  // The ledger served to the witness went back to an older checkpoint.
  CliResult rollback = Cosign(old_copy.string());
  ExpectRefused(rollback, "ROLLBACK", "smaller", std::nullopt);
  EXPECT_EQ(ReadFile(State()), state);
  // A fork: same size, another record.
  Advance(fork.string(), "fork-1");
  CliResult forked = Cosign(fork.string());
  ExpectRefused(forked, "CONSISTENCY_FAILED", "does not extend", std::nullopt);
  EXPECT_EQ(ReadFile(State()), state);
  // A fork that also grew.
  Advance(fork.string(), "fork-2");
  ExpectRefused(Cosign(fork.string()), "CONSISTENCY_FAILED", "does not extend", std::nullopt);
  EXPECT_EQ(ReadFile(State()), state);
  // No temporary file left beside the state.
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  }
}

// A witness's name is a signed-note key name: with a space or a '+', `witness key`
// printed a verifier key line no one could parse, and `witness cosign` failed with
// INTERNAL (exit 4, "the new cosignature does not verify"). A usage error now (exit 2),
// nothing written; witness serve refuses it the same way.
TEST_F(WitnessCliTest, AWitnessNameThatIsNotASignedNoteKeyNameIsAUsageError) {
  for (const char* name : {"dgos witness", "dgos+witness", ""}) {
    SCOPED_TRACE(name);
    CliResult key = RunProgram({"witness", "key", "--key", Witness(), "--name", name, "--json"});
    EXPECT_EQ(key.exit_code, 2) << key.out << key.err;
    EXPECT_EQ(json::parse(key.out)["error"]["code"], "USAGE") << key.out;
    CliResult cosign = RunProgram({"witness", "cosign", "--key", Witness(), "--name", name,
                                   "--state", State(), "--ledger", Ledger()});
    EXPECT_EQ(cosign.exit_code, 2) << cosign.err;
    EXPECT_THAT(cosign.err, HasSubstr("USAGE: --name"));
    EXPECT_FALSE(std::filesystem::exists(State()));
    CliResult serve =
        RunProgram({"witness", "serve", "--listen", "127.0.0.1:0", "--key", Witness(), "--name",
                    name, "--state", (dir_ / "wstate").string(), "--log", Pub()});
    EXPECT_EQ(serve.exit_code, 2) << serve.err;
  }
  // A name with a '/' (an origin-like name) stays valid.
  CliResult key = RunProgram({"witness", "key", "--key", Witness(), "--name", "w.example/w1"});
  EXPECT_EQ(key.exit_code, 0) << key.err;
  EXPECT_TRUE(ledger::ParseVerifierKey(key.out.substr(0, key.out.find('\n'))).ok()) << key.out;
}

TEST_F(WitnessCliTest, StateFileIsNeverHalfWrittenUnderSigkill) {
  ASSERT_EQ(Cosign(Ledger()).exit_code, 0);
  for (int i = 0; i < 15; ++i) {
    Child child = StartCli({"witness", "cosign", "--key", Witness(), "--name", "dgos-witness",
                            "--state", State(), "--ledger", Ledger()},
                           dir_ / "out.txt");
    std::this_thread::sleep_for(std::chrono::milliseconds(2 + 3 * i));
    ::kill(child.pid, SIGKILL);
    WaitChild(child);
    json state = json::parse(ReadFile(State()), nullptr, false);
    ASSERT_FALSE(state.is_discarded()) << "state file half-written at try " << i;
    EXPECT_EQ(state["size"], size_);
  }
  EXPECT_EQ(Cosign(Ledger()).exit_code, 0);
}

}  // namespace
}  // namespace esms::testing
