// `esms-ledger verify --no-signatures`, the structural verify, as a user runs it: it
// passes a sound ledger with the same size and root as the full verify, says in its
// output which kind it was, names the seq of a flipped record byte, and (by design)
// does not notice a record signed by a key that is not the signer's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "ledger/hash.h"
#include "ledger/internal/storage_keys.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/record.h"
#include "tests/testing/cli.h"
#include "tests/testing/ids.h"
#include "tests/testing/raw_db.h"

namespace esms::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace storage = ledger::storage;

constexpr int kEvents = 40;  // seqs 2..41

class VerifyCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = (dir_ / "ledger.db").string();
    const std::string admin = (dir_ / "admin.pem").string();
    const std::string national = (dir_ / "national.pem").string();
    ASSERT_EQ(RunCli({"key", "new", "admin", "--out", admin}).exit_code, 0);
    CliResult key = RunCli({"key", "new", "dgos", "--out", national, "--json"});
    ASSERT_EQ(key.exit_code, 0) << key.err;
    const std::string pub = json::parse(key.out)["publicKey"];
    CliResult init = RunCli(
        {"init", "--origin", "test.example/esms", "--admin-key", admin, "--ledger", ledger_});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    CliResult enrol = Import(
        admin,
        fmt::format(
            R"({{"id": "key-dgos", "type": "key.enrolled", "at": "2023-01-02", "data": )"
            R"({{"name": "dgos", "publicKey": "{}", "roles": ["national"], "regions": []}}}})"
            "\n",
            pub));
    ASSERT_EQ(enrol.exit_code, 0) << enrol.out << enrol.err;
    CliResult events = Import(national, SolutionLines(kEvents));
    ASSERT_EQ(events.exit_code, 0) << events.out << events.err;
  }

  CliResult Import(const std::string& key, const std::string& lines) {
    return RunCli({"import", "-", "--json", "--key", key, "--ledger", ledger_}, lines);
  }
  json VerifyJson(bool signatures, int expected_exit) {
    std::vector<std::string> args = {"verify", "--json", "--ledger", ledger_};
    if (!signatures) args.push_back("--no-signatures");
    CliResult v = RunCli(args);
    EXPECT_EQ(v.exit_code, expected_exit) << v.out << v.err;
    json parsed = json::parse(v.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(parsed.is_discarded()) << v.out;
    return parsed;
  }

  TempDir dir_;
  std::string ledger_;
};

TEST_F(VerifyCliTest, PassesASoundLedgerAndSaysItIsStructural) {
  json full = VerifyJson(true, 0);
  json structural = VerifyJson(false, 0);
  EXPECT_EQ(structural["ok"], true);
  EXPECT_EQ(structural["signatures"], false);
  EXPECT_EQ(full["signatures"], true);
  EXPECT_EQ(structural["size"], 2 + kEvents);
  EXPECT_EQ(structural["root"], full["root"]);
  EXPECT_EQ(structural["firstBad"], nullptr);
  EXPECT_EQ(structural["problem"], nullptr);
  EXPECT_FALSE(full.contains("code")) << full.dump();  // a code only when it does not check

  CliResult text = RunCli({"verify", "--no-signatures", "--ledger", ledger_});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, StartsWith("OK (structural verify, record signatures not checked): 42 "
                                   "records"));

  CliResult help = RunCli({"verify", "--help"});
  EXPECT_THAT(help.out, HasSubstr("--no-signatures"));
  EXPECT_THAT(help.out, HasSubstr("does not prove who signed"));
}

TEST_F(VerifyCliTest, NamesTheSeqOfAFlippedRecordByte) {
  {
    RawDb db(ledger_);
    std::string bytes = db.Value(storage::kRecords, storage::SeqKey(20));
    size_t at = bytes.find("Editeur");
    ASSERT_NE(at, std::string::npos);
    bytes[at] ^= 0x01;  // 'E' -> 'D': still a canonical record, other bytes
    db.Put(storage::kRecords, storage::SeqKey(20), bytes);
  }
  json structural = VerifyJson(false, 1);
  EXPECT_EQ(structural["ok"], false);
  EXPECT_EQ(structural["signatures"], false);
  EXPECT_EQ(structural["firstBad"], 20);
  EXPECT_THAT(structural["problem"].get<std::string>(), StartsWith("seq 20: "));
  EXPECT_EQ(structural["size"], 21);  // the records before the next one's broken chain

  CliResult text = RunCli({"verify", "--no-signatures", "--ledger", ledger_});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_THAT(text.out, StartsWith("FAILED (structural verify, record signatures not checked): "
                                   "seq 20: "));

  // INTERFACE.md §4 names a ledger that does not check CORRUPTION (exit 1): the real
  // program's verify says so on stderr as every error is said, and in its JSON (an added
  // field), as the other commands reading the same ledger do.
  CliResult full = RunProgram({"verify", "--ledger", ledger_});
  EXPECT_EQ(full.exit_code, 1);
  EXPECT_THAT(full.out, StartsWith("FAILED: seq 20: "));
  EXPECT_THAT(full.err, StartsWith("error: CORRUPTION: seq 20: ")) << full.err;
  CliResult machine = RunProgram({"verify", "--json", "--ledger", ledger_});
  EXPECT_EQ(machine.exit_code, 1);
  json parsed = json::parse(machine.out);
  EXPECT_EQ(parsed["code"], "CORRUPTION") << machine.out;
  EXPECT_EQ(parsed["ok"], false);
}

// What the structural verify does not prove: who signed. The last record's statement
// re-signed by a key that was never enrolled, its leaf, the head and the checkpoint of
// its commit made to agree (re-signed with the ledger key, as an operator could) passes
// it; the full verify names it: the ledger key cannot stand in for an author's.
TEST_F(VerifyCliTest, DoesNotDetectABadSignature) {
  const uint64_t last = 1 + kEvents;
  {
    RawDb db(ledger_);
    ledger::Bytes signed_bytes;
    auto record = ledger::DecodeRecord(
        ledger::AsBytes(db.Value(storage::kRecords, storage::SeqKey(last))), &signed_bytes);
    ASSERT_TRUE(record.ok()) << record.status().ToString();
    auto stranger = ledger::SigningKey::Generate();
    ASSERT_TRUE(stranger.ok());
    record->signature = stranger->Sign(signed_bytes);
    auto forged = ledger::EncodeRecord(*record);
    ASSERT_TRUE(forged.ok());
    db.Put(storage::kRecords, storage::SeqKey(last),
           std::string(forged->bytes.begin(), forged->bytes.end()));
    // The tree nodes its leaf completes: (0, 41), (1, 20).
    ledger::Hash node = forged->leaf_hash;
    uint64_t index = last;
    int level = 0;
    db.Put(storage::kTree, storage::TreeKey(level, index), std::string(node.begin(), node.end()));
    while (index % 2 == 1) {
      std::string left = db.Value(storage::kTree, storage::TreeKey(level, index - 1));
      ledger::Hash left_hash;
      ASSERT_EQ(left.size(), left_hash.size());
      std::copy(left.begin(), left.end(), left_hash.begin());
      node = ledger::NodeHash(left_hash, node);
      index >>= 1;
      ++level;
      db.Put(storage::kTree, storage::TreeKey(level, index), std::string(node.begin(), node.end()));
    }
    db.Put(storage::kMeta, std::string(storage::kMetaHead),
           storage::HeadValue(last + 1, forged->hash));
    // The checkpoint of the commit that wrote it: the root over every leaf, signed again
    // by the ledger key.
    std::string note = db.Value(storage::kCheckpoints, storage::SeqKey(last + 1));
    auto parsed = ledger::ParseNote(note);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    auto cp = ledger::ParseCheckpoint(parsed->text);
    ASSERT_TRUE(cp.ok());
    std::vector<ledger::Hash> leaves;
    for (uint64_t seq = 0; seq <= last; ++seq) {
      leaves.push_back(
          ledger::LeafHash(ledger::AsBytes(db.Value(storage::kRecords, storage::SeqKey(seq)))));
    }
    cp->root = ledger::RootFromLeafHashes(leaves);
    auto ledger_key = ledger::SigningKey::LoadPem((dir_ / "ledger.db" / "ledger.key").string());
    ASSERT_TRUE(ledger_key.ok()) << ledger_key.status().ToString();
    db.Put(storage::kCheckpoints, storage::SeqKey(last + 1),
           ledger::SignNote(ledger::FormatCheckpoint(*cp), cp->origin, *ledger_key));
  }
  json structural = VerifyJson(false, 0);
  EXPECT_EQ(structural["ok"], true) << structural.dump();
  EXPECT_EQ(structural["signatures"], false);

  json full = VerifyJson(true, 1);
  EXPECT_EQ(full["firstBad"], last);
  EXPECT_EQ(
      full["problem"],
      fmt::format("seq {}: signature does not verify with key 'dgos' as enrolled at seq 1", last));
}

}  // namespace
}  // namespace esms::testing
