// The projection snapshot is a cache, never evidence: torn, lagging, claiming a seq it
// does not reflect, taken from another ledger, or with bytes flipped, it must be
// detected and the state rebuilt. Checked through the public API: the snapshot is
// replaced with Ledger::PutSnapshot, then `state` must give the answer of a rebuild
// and the guard must refuse what the true state refuses.
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ledger/ledger.h"
#include "projections/projector.h"
#include "tests/reliability/fixture.h"

namespace esms::testing {
namespace {

namespace fs = std::filesystem;
using ledger::Bytes;
using ledger::Ledger;

struct Snapshot {
  uint64_t seq = 0;
  Bytes bytes;
};

Snapshot ReadSnapshot(const std::string& dir) {
  auto opened = Ledger::Open(dir, Ledger::Mode::kReadOnly);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  if (!opened.ok()) return {};
  auto snapshot = (*opened)->GetSnapshot(projections::kStateSnapshotName);
  EXPECT_TRUE(snapshot.ok() && snapshot->has_value());
  if (!snapshot.ok() || !snapshot->has_value()) return {};
  return {(*snapshot)->first, (*snapshot)->second};
}

void WriteSnapshot(const std::string& dir, uint64_t seq, const Bytes& bytes) {
  auto opened = Ledger::Open(dir, Ledger::Mode::kReadWrite);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ASSERT_TRUE((*opened)->PutSnapshot(projections::kStateSnapshotName, seq, bytes).ok());
}

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(l_.ok()) << l_.error();
    ASSERT_EQ(l_.Import("porteur", Line("sub-a", "project.submitted", "2024-03-10",
                                        Submission("a", {Et(1), Et(2)})))
                  .exit_code,
              0);
    lagging_ = ReadSnapshot(l_.ledger());
    CliResult selected =
        l_.Import("ars-bzh", Line("sel-a", "project.selected", "2024-04-15",
                                  {{"project", "a"}, {"committeeAt", "2024-04-15"}}));
    ASSERT_EQ(selected.exit_code, 0) << selected.out << selected.err;
    ASSERT_EQ(l_.Import("porteur",
                        Line("sub-b", "project.submitted", "2024-03-10", Submission("b", {Et(3)})))
                  .exit_code,
              0);
    good_ = ReadSnapshot(l_.ledger());
    state_a_ = StateOf("a");
    state_b_ = StateOf("b");
    ASSERT_THAT(state_a_, ::testing::HasSubstr("\"selected\""));
  }

  std::string StateOf(const std::string& project) {
    CliResult s = l_.Run({"state", project, "--json"});
    EXPECT_EQ(s.exit_code, 0) << s.err;
    return s.out;
  }

  // `state` gives the rebuilt answer, and the guard knows project a exists and is
  // selected (a second submission of it is DUPLICATE_PROJECT, a second selection
  // INVALID_TRANSITION).
  void ExpectTheTrueState(const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(StateOf("a"), state_a_);
    EXPECT_EQ(StateOf("b"), state_b_);
    const std::string before = l_.Fingerprint();
    CliResult again = l_.Import(
        "porteur", Line("sub-a-2", "project.submitted", "2024-03-10", Submission("a", {Et(9)})));
    EXPECT_EQ(again.exit_code, 3) << again.out;
    EXPECT_EQ(KeyedLedger::LastResult(again)["error"].value("code", ""), "DUPLICATE_PROJECT");
    EXPECT_EQ(l_.Fingerprint(), before);
  }

  TempDir dir_;
  KeyedLedger l_{dir_.path(),
                 {{"porteur", {"porteur"}, {}}, {"ars-bzh", {"ars-instructor"}, {"53"}}}};
  Snapshot lagging_, good_;
  std::string state_a_, state_b_;
};

TEST_F(SnapshotTest, TornSnapshotIsRebuilt) {
  for (size_t keep : {size_t{0}, size_t{10}, good_.bytes.size() / 2, good_.bytes.size() - 1}) {
    Bytes torn(good_.bytes.begin(), good_.bytes.begin() + static_cast<long>(keep));
    WriteSnapshot(l_.ledger(), good_.seq, torn);
    ExpectTheTrueState("torn at " + std::to_string(keep));
  }
}

TEST_F(SnapshotTest, LaggingSnapshotIsCaughtUp) {
  ASSERT_LT(lagging_.seq, good_.seq);
  WriteSnapshot(l_.ledger(), lagging_.seq, lagging_.bytes);
  ExpectTheTrueState("lagging, honest seq");
}

TEST_F(SnapshotTest, LaggingSnapshotClaimingTheHeadIsRebuilt) {
  WriteSnapshot(l_.ledger(), good_.seq, lagging_.bytes);
  ExpectTheTrueState("old state claiming the current seq");
}

TEST_F(SnapshotTest, SnapshotBeyondTheLedgerIsRefused) {
  auto opened = Ledger::Open(l_.ledger(), Ledger::Mode::kReadWrite);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_FALSE(
      (*opened)->PutSnapshot(projections::kStateSnapshotName, good_.seq + 5, good_.bytes).ok());
  opened->reset();
  ExpectTheTrueState("after a refused snapshot");
}

TEST_F(SnapshotTest, SnapshotFromAnotherLedgerIsRebuilt) {
  // Another ledger, same keys' roles, same number of records, other content: project a
  // was rejected there.
  TempDir other_dir;
  KeyedLedger other(other_dir.path(),
                    {{"porteur", {"porteur"}, {}}, {"ars-bzh", {"ars-instructor"}, {"53"}}});
  ASSERT_TRUE(other.ok()) << other.error();
  ASSERT_EQ(other
                .Import("porteur",
                        Line("sub-a", "project.submitted", "2024-03-10", Submission("a", {Et(1)})))
                .exit_code,
            0);
  ASSERT_EQ(other
                .Import("ars-bzh", Line("rej-a", "project.rejected", "2024-04-15",
                                        {{"project", "a"}, {"reason", "other"}}))
                .exit_code,
            0);
  ASSERT_EQ(other
                .Import("porteur",
                        Line("sub-c", "project.submitted", "2024-03-10", Submission("c", {Et(4)})))
                .exit_code,
            0);
  Snapshot foreign = ReadSnapshot(other.ledger());
  ASSERT_EQ(foreign.seq, good_.seq);
  WriteSnapshot(l_.ledger(), foreign.seq, foreign.bytes);
  ExpectTheTrueState("snapshot of another ledger");
}

// Bytes flipped in the state itself (the header, hash of the last record, intact): a
// state that still decodes but is not the ledger's must not be trusted either.
TEST_F(SnapshotTest, FlippedStateBytesAreNotTrusted) {
  const Bytes& bytes = good_.bytes;
  size_t body = 0;
  for (int newlines = 0; body < bytes.size() && newlines < 2; ++body) {
    if (bytes[body] == '\n') ++newlines;
  }
  ASSERT_LT(body, bytes.size());
  const size_t step = std::max<size_t>(1, (bytes.size() - body) / 24);
  for (size_t at = body; at < bytes.size(); at += step) {
    Bytes flipped = bytes;
    flipped[at] ^= 0x01;
    WriteSnapshot(l_.ledger(), good_.seq, flipped);
    ExpectTheTrueState("byte " + std::to_string(at) + " of " + std::to_string(bytes.size()));
  }
}

TEST_F(SnapshotTest, ImportRewritesAGoodSnapshotAfterABadOne) {
  Bytes torn(good_.bytes.begin(), good_.bytes.begin() + 5);
  WriteSnapshot(l_.ledger(), good_.seq, torn);
  ASSERT_EQ(l_.Import("porteur",
                      Line("sub-d", "project.submitted", "2024-03-10", Submission("d", {Et(5)})))
                .exit_code,
            0);
  Snapshot rewritten = ReadSnapshot(l_.ledger());
  EXPECT_EQ(rewritten.seq, good_.seq + 1);
  // Byte-identical to the snapshot of a full rebuild.
  auto opened = Ledger::Open(l_.ledger(), Ledger::Mode::kReadOnly);
  ASSERT_TRUE(opened.ok());
  auto projector = projections::Projector::Open(**opened);
  ASSERT_TRUE(projector.ok());
  ASSERT_TRUE((*projector)->Rebuild().ok());
  EXPECT_EQ(projections::Projector::SnapshotBytes((*projector)->state(), (*opened)->head_hash()),
            rewritten.bytes);
}

}  // namespace
}  // namespace esms::testing
