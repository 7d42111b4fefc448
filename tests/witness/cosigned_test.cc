// witness/cosigned.h: the `--witness URL,KEY` specification (the key as a line or a
// file), the stored cosigned checkpoint (absent, written durably and read back, refused
// when it is not a note) and the count of valid cosigners (a forged or altered line, a
// key given twice).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "tests/testing/cli.h"
#include "witness/cosigned.h"

namespace esms::witness {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kOrigin[] = "log.example/cosigned";

class CosignedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_key_ = std::make_unique<ledger::SigningKey>(*ledger::SigningKey::Generate());
    ledger::MemoryTree tree;
    for (int i = 0; i < 5; ++i) tree.Append(ledger::LeafHash(ledger::AsBytes(std::to_string(i))));
    note_ = ledger::SignNote(ledger::FormatCheckpoint({kOrigin, tree.size(), tree.Root(), {}}),
                             kOrigin, *log_key_);
    for (const char* name : {"w1.example", "w2.example", "w3.example"}) {
      keys_.push_back(std::make_unique<ledger::SigningKey>(*ledger::SigningKey::Generate()));
      verifiers_.push_back(ledger::MakeWitnessVerifier(name, keys_.back()->public_key()));
    }
  }

  // The note cosigned by the witnesses `which` (indexes), lines appended in order.
  std::string CosignedBy(const std::vector<size_t>& which) {
    std::string out = note_;
    for (size_t i : which) {
      const std::string one = ledger::CosignNote(note_, verifiers_[i].name, *keys_[i], 1700000000);
      out += one.substr(note_.size());
    }
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<ledger::SigningKey> log_key_;
  std::string note_;
  std::vector<std::unique_ptr<ledger::SigningKey>> keys_;
  std::vector<ledger::NoteVerifier> verifiers_;
};

TEST_F(CosignedTest, ParsesWitnessSpecsWithTheKeyAsALineOrAFile) {
  const std::string line = ledger::WitnessVerifierKey("w1.example", keys_[0]->public_key());
  auto spec = ParseWitnessSpec("http://127.0.0.1:7380," + line);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->url, "http://127.0.0.1:7380");
  EXPECT_EQ(spec->key.name, "w1.example");

  const std::string file = (dir_ / "w1.vkey").string();
  std::ofstream(file) << line << "\n";
  auto from_file = ParseWitnessSpec("http://w.example/prefix," + file);
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  EXPECT_EQ(from_file->url, "http://w.example/prefix");
  EXPECT_EQ(from_file->key.key_hash, spec->key.key_hash);

  for (const std::string& bad : std::vector<std::string>{
           "http://127.0.0.1:7380",            // no key
           ",http://x",                        // no URL
           "https://127.0.0.1:7380," + line,   // not http://
           "http://127.0.0.1:7380,not-a-key",  // not a key
           "http://127.0.0.1:7380,",           // empty key
       }) {
    auto r = ParseWitnessSpec(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;  // BAD_INPUT
  }
  // A ledger (Ed25519 note) key is not a witness key.
  auto ledger_key = ParseWitnessSpec("http://127.0.0.1:1," +
                                     ledger::VerifierKey(kOrigin, log_key_->public_key()));
  ASSERT_FALSE(ledger_key.ok());
  EXPECT_THAT(ledger_key.status().message(), HasSubstr("not a witness"));
}

TEST_F(CosignedTest, StoresAndReadsTheCosignedCheckpoint) {
  auto none = ReadCosignedCheckpoint(dir_.path());
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());

  const std::string cosigned = CosignedBy({0, 1});
  ASSERT_TRUE(WriteCosignedCheckpoint(dir_.path(), cosigned).ok());
  auto read = ReadCosignedCheckpoint(dir_.path());
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ(**read, cosigned);
  EXPECT_FALSE(fs::exists(dir_.path() / "cosigned.note.tmp"));
  auto size = CheckpointSize(**read);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 5u);

  std::ofstream(dir_.path() / kCosignedCheckpointFile) << "not a note\n";
  auto bad = ReadCosignedCheckpoint(dir_.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);  // BAD_INPUT
}

TEST_F(CosignedTest, CountsOnlyValidCosignatures) {
  EXPECT_THAT(ValidCosigners(CosignedBy({0, 2}), verifiers_),
              ElementsAre("w1.example", "w3.example"));
  EXPECT_TRUE(ValidCosigners(note_, verifiers_).empty());
  // A key given twice counts once.
  EXPECT_THAT(ValidCosigners(CosignedBy({1}), {verifiers_[1], verifiers_[1]}),
              ElementsAre("w2.example"));
  // One byte of w2's signature altered: w2 no longer counts, w1 still does.
  std::string altered = CosignedBy({0, 1});
  const size_t line = altered.find("w2.example ");
  ASSERT_NE(line, std::string::npos);
  const size_t at = line + std::string("w2.example ").size() + 30;
  altered[at] = altered[at] == 'A' ? 'B' : 'A';
  EXPECT_THAT(ValidCosigners(altered, verifiers_), ElementsAre("w1.example"));
}

}  // namespace
}  // namespace esms::witness
