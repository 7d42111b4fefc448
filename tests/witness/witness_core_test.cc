// The witness's logic without HTTP (witness/witness.h): the add-checkpoint body's
// grammar, the --log argument, each answer of the spec from Witness::Add, the state
// reloaded by a new Witness, and a failed write dropping what it carried and what was
// accepted meanwhile.
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
#include "witness/witness.h"

namespace esms::witness {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kOrigin[] = "log.example/core";

class WitnessCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_key_ = std::make_unique<ledger::SigningKey>(*ledger::SigningKey::Generate());
    for (int i = 0; i < 8; ++i) Grow();
  }

  void Grow() {
    tree_.Append(ledger::LeafHash(ledger::AsBytes("leaf " + std::to_string(tree_.size()))));
    notes_.push_back(ledger::SignNote(
        ledger::FormatCheckpoint({kOrigin, tree_.size(), tree_.Root(), {}}), kOrigin, *log_key_));
  }

  // The body taking a witness at `old_size` to size `size` of the tree.
  std::string Body(uint64_t old_size, uint64_t size) {
    AddCheckpointRequest r;
    r.old_size = old_size;
    r.checkpoint = notes_[size - 1];
    if (old_size > 0 && old_size < size) r.proof = *ledger::ConsistencyProof(old_size, size, tree_);
    return FormatAddCheckpoint(r);
  }

  std::unique_ptr<Witness> Open(const std::string& name = "witness.example/core") {
    auto key = ledger::SigningKey::Generate();
    if (name == "witness.example/core" && witness_key_pem_.empty()) {
      witness_key_pem_ = (dir_ / "w.pem").string();
      EXPECT_TRUE(key->WritePem(witness_key_pem_).ok());
    }
    auto loaded = ledger::SigningKey::LoadPem(witness_key_pem_);
    EXPECT_TRUE(loaded.ok());
    LogConfig log{kOrigin, {ledger::MakeNoteVerifier(kOrigin, log_key_->public_key())}};
    auto w = Witness::Open(dir_ / "state", name, *std::move(loaded), {log});
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? *std::move(w) : nullptr;
  }

  testing::TempDir dir_;
  std::unique_ptr<ledger::SigningKey> log_key_;
  std::string witness_key_pem_;
  ledger::MemoryTree tree_;
  std::vector<std::string> notes_;
};

TEST_F(WitnessCoreTest, ParsesAndFormatsTheRequestBody) {
  auto r = ParseAddCheckpoint(Body(3, 7));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->old_size, 3u);
  EXPECT_EQ(r->proof, *ledger::ConsistencyProof(3, 7, tree_));
  EXPECT_EQ(r->checkpoint, notes_[6]);
  EXPECT_EQ(FormatAddCheckpoint(*r), Body(3, 7));
  for (const std::string bad : {"", "old\n\nx", "old 1", "new 1\n\nx", "old 1 \n\nx",
                                "old 18446744073709551616\n\nx", "old 0\nAAAA\n\nx", "old 0\n\n"}) {
    EXPECT_FALSE(ParseAddCheckpoint(bad).ok()) << bad;
  }
  EXPECT_TRUE(ParseAddCheckpoint("old 18446744073709551615\n\nx").ok());
}

TEST_F(WitnessCoreTest, ReadsLogArguments) {
  const std::string vkey = ledger::VerifierKey(kOrigin, log_key_->public_key());
  auto plain = ParseLogArgument(vkey);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->origin, kOrigin);
  auto named = ParseLogArgument("other.example/origin=" + vkey);
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_EQ(named->origin, "other.example/origin");
  const fs::path pub = dir_ / "ledger.pub";
  std::ofstream(pub) << vkey << "\n";
  auto file = ParseLogArgument(pub.string());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->keys[0].key, log_key_->public_key());
  EXPECT_FALSE(ParseLogArgument("nothing").ok());
  auto witness_key =
      ParseLogArgument(ledger::WitnessVerifierKey("w.example", log_key_->public_key()));
  EXPECT_FALSE(witness_key.ok());
  EXPECT_THAT(witness_key.status().message(), HasSubstr("witness key"));
}

TEST_F(WitnessCoreTest, AnswersAsTheSpecSays) {
  auto w = Open();
  ASSERT_NE(w, nullptr);
  Reply first = w->Add(Body(0, 2), 1700000000);
  ASSERT_EQ(first.http_status, 200) << first.body;
  auto cosigned = ledger::VerifyCosignature(notes_[1] + first.body,
                                            *ledger::ParseVerifierKey(w->VerifierKey()));
  ASSERT_TRUE(cosigned.ok()) << cosigned.status().ToString();
  EXPECT_EQ(*cosigned, 1700000000u);

  Reply stale = w->Add(Body(0, 5), 1700000001);
  EXPECT_EQ(stale.http_status, 409);
  EXPECT_EQ(stale.content_type, kSizeContentType);
  EXPECT_EQ(stale.body, "2\n");
  EXPECT_EQ(w->Add(Body(5, 2), 1).http_status, 400);  // old size beyond the checkpoint
  // A proof with a hash flipped.
  std::string body = Body(2, 5);
  body[body.find('\n') + 2] ^= 1;
  EXPECT_EQ(w->Add(body, 1).http_status, 422);
  // Another key for the origin: 403; another origin: 404.
  auto other = *ledger::SigningKey::Generate();
  EXPECT_EQ(w->Add("old 2\n\n" +
                       ledger::SignNote(ledger::FormatCheckpoint({kOrigin, 2, tree_.Root(), {}}),
                                        kOrigin, other),
                   1)
                .http_status,
            403);
  EXPECT_EQ(w->Add("old 0\n\n" + ledger::SignNote(ledger::FormatCheckpoint(
                                                      {"elsewhere.example", 2, tree_.Root(), {}}),
                                                  "elsewhere.example", other),
                   1)
                .http_status,
            404);
  Reply next = w->Add(Body(2, 5), 1700000002);
  EXPECT_EQ(next.http_status, 200) << next.body;
  EXPECT_EQ(w->Latest(kOrigin)->size, 5u);
  ASSERT_TRUE(w->Persist().ok());

  // A new Witness on the same state (the first one closed) holds 5.
  w.reset();
  auto again = Open();
  ASSERT_NE(again, nullptr);
  ASSERT_NE(again->Latest(kOrigin), nullptr);
  EXPECT_EQ(again->Latest(kOrigin)->size, 5u);
  EXPECT_EQ(again->Latest(kOrigin)->root, *ledger::RootAt(5, tree_));
  EXPECT_EQ(again->Add(Body(2, 6), 1).http_status, 409);
}

TEST_F(WitnessCoreTest, AFailedWriteDropsWhatItCarriedAndWhatFollowed) {
  auto w = Open();
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(w->Add(Body(0, 2), 1).http_status, 200);
  ASSERT_TRUE(w->Persist().ok());
  ASSERT_EQ(w->Add(Body(2, 4), 2).http_status, 200);
  std::optional<std::string> contents = w->BeginPersist();
  ASSERT_TRUE(contents.has_value());
  EXPECT_FALSE(w->BeginPersist().has_value());  // one write at a time
  // Accepted while the write is under way, checked against it.
  ASSERT_EQ(w->Add(Body(4, 6), 3).http_status, 200);
  EXPECT_EQ(w->Latest(kOrigin)->size, 6u);
  w->EndPersist(/*written=*/false);
  EXPECT_EQ(w->Latest(kOrigin)->size, 2u);
  EXPECT_FALSE(w->has_pending());
  // The witness goes on from what is on disk.
  EXPECT_EQ(w->Add(Body(4, 6), 4).http_status, 409);
  ASSERT_EQ(w->Add(Body(2, 6), 5).http_status, 200);
  ASSERT_TRUE(w->Persist().ok());
  EXPECT_EQ(w->Latest(kOrigin)->size, 6u);
}

TEST_F(WitnessCoreTest, AStateBelongsToOneWitnessKey) {
  { ASSERT_NE(Open(), nullptr); }
  auto w = Open();
  ASSERT_EQ(w->Add(Body(0, 1), 1).http_status, 200);
  ASSERT_TRUE(w->Persist().ok());
  // The directory is locked while `w` is open.
  auto locked = Witness::Open(dir_ / "state", "witness.example/core",
                              *ledger::SigningKey::LoadPem(witness_key_pem_), {});
  EXPECT_EQ(locked.status().code(), StatusCode::kUnavailable);
  w.reset();
  auto stranger =
      Witness::Open(dir_ / "state", "witness.example/core", *ledger::SigningKey::Generate(), {});
  EXPECT_EQ(stranger.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(stranger.status().message(), HasSubstr("belongs to the witness"));
}

}  // namespace
}  // namespace esms::witness
