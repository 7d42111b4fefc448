// Snapshots: stored with the seq they reflect, byte-identical to a rebuild from seq 0,
// never trusted when they do not match the ledger.
#include "tests/projections/fixture.h"

namespace esms::projections::testing {
namespace {

class SnapshotTest : public ProjectionsTest {
 protected:
  // A programme with projects, payments, lineage, measurements and a void.
  void BuildProgramme() {
    SubmitSelectSign(Submission("a", {Et(1), Et(2)}), 2 * kAcquisition2024);
    SubmitSelectSign(Submission("b", {Et(3)}, "generalisation-2024", "upgrade"), kUpgrade2024);
    Must("payer-bzh", "payment.issued", "2024-06-10",
         {{"project", "a"}, {"tranche", "advance"}, {"amountCents", kAcquisition2024},
          {"paidAt", "2024-06-10"}, {"reference", "A1"}});
    Must("ars-bzh", "finess.changed", "2024-07-01",
         {{"from", Et(3)}, {"to", Et(30)}, {"kind", "renumbering"}, {"effectiveAt", "2024-07-01"}});
    uint64_t m = Must("porteur", "indicator.measured", "2024-10-01",
                      Measurement(Et(1), "2024-07-01", "2024-09-30"));
    Must("porteur", "indicator.measured", "2024-10-01", Measurement(Et(30), "2024-07-01", "2024-09-30"));
    Must("ars-bzh", "event.voided", "2024-10-02", {{"seq", m}, {"reason", "duplicate"}});
    Must("national", "sons.ordered", "2023-06-01",
         {{"finess", Et(4)}, {"solution", Solution()}, {"orderedAt", "2023-06-01"}});
    Must("national", "solution.referenced", "2023-01-01",
         {{"solution", Solution()}, {"corridor", "medico-social"}, {"status", "referenced"},
          {"referencedAt", "2023-01-01"}});
  }

  ledger::Bytes Stored() {
    auto stored = ledger_->GetSnapshot(kStateSnapshotName);
    EXPECT_TRUE(stored.ok() && stored->has_value());
    return stored.ok() && stored->has_value() ? (*stored)->second : ledger::Bytes();
  }
};

TEST_F(SnapshotTest, FullRebuildGivesByteIdenticalSnapshot) {
  BuildProgramme();
  const ledger::Bytes incremental = Stored();
  auto stored = ledger_->GetSnapshot(kStateSnapshotName);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->first, ledger_->size());
  ASSERT_TRUE(projector_->Rebuild().ok());
  EXPECT_EQ(projector_->replayed(), ledger_->size());
  ASSERT_TRUE(projector_->SaveSnapshot().ok());
  EXPECT_EQ(Stored(), incremental);
  // And the decoded snapshot encodes to the same bytes.
  auto reopened = ProgrammeState::Decode(projector_->state().Encode());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(reopened->Encode(), projector_->state().Encode());
}

TEST_F(SnapshotTest, OpenLoadsSnapshotAndReplaysOnlyTheTail) {
  BuildProgramme();
  Reopen();
  EXPECT_EQ(projector_->source(), Projector::Source::kSnapshot);
  EXPECT_EQ(projector_->replayed(), 0u);
  // Two records appended without the projector: the snapshot is behind.
  {
    EventAppender appender(*ledger_, *keys_.at("porteur"));
    std::string id;
    ASSERT_TRUE(appender.Add(Line("indicator.measured", "2024-11-01",
                                  Measurement(Et(2), "2024-08-01", "2024-10-31")), &id).ok());
    ASSERT_TRUE(appender.Add(Line("indicator.measured", "2024-11-01",
                                  Measurement(Et(1), "2024-08-01", "2024-10-31")), &id).ok());
    ASSERT_TRUE(appender.Commit().ok());
  }
  Reopen();
  EXPECT_EQ(projector_->source(), Projector::Source::kSnapshot);
  EXPECT_EQ(projector_->replayed(), 2u);
  const ledger::Bytes from_snapshot = projector_->state().Encode();
  ASSERT_TRUE(projector_->Rebuild().ok());
  EXPECT_EQ(projector_->state().Encode(), from_snapshot);
}

TEST_F(SnapshotTest, UndecodableSnapshotIsRebuilt) {
  BuildProgramme();
  const ledger::Bytes good = projector_->state().Encode();
  std::string junk = "esms-projection-snapshot/v1\n00\n{not json";
  ASSERT_TRUE(ledger_->PutSnapshot(kStateSnapshotName, ledger_->size(), ledger::AsBytes(junk)).ok());
  Reopen();
  EXPECT_EQ(projector_->source(), Projector::Source::kRebuilt);
  EXPECT_EQ(projector_->state().Encode(), good);
}

TEST_F(SnapshotTest, SnapshotWithAnotherHeadHashIsRebuilt) {
  BuildProgramme();
  const ledger::Bytes good = projector_->state().Encode();
  // A well-formed snapshot of an empty programme claiming to reflect the whole ledger.
  ProgrammeState empty;
  ledger::Bytes forged = Projector::SnapshotBytes(empty, ledger_->head_hash());
  ASSERT_TRUE(ledger_->PutSnapshot(kStateSnapshotName, ledger_->size(), forged).ok());
  Reopen();
  EXPECT_EQ(projector_->source(), Projector::Source::kRebuilt);
  // The right seq but a hash of another record.
  auto state = ProgrammeState::Decode(good);
  ASSERT_TRUE(state.ok());
  auto first = ledger_->Get(0);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(ledger_->PutSnapshot(kStateSnapshotName, state->next_seq(),
                                   Projector::SnapshotBytes(*state, first->hash)).ok());
  Reopen();
  EXPECT_EQ(projector_->source(), Projector::Source::kRebuilt);
  EXPECT_EQ(projector_->state().Encode(), good);
}

TEST_F(SnapshotTest, SnapshotBeyondTheLedgerIsRefused) {
  BuildProgramme();
  auto state = ProgrammeState::Decode(projector_->state().Encode());
  ASSERT_TRUE(state.ok());
  // The ledger refuses to store it; the projector would rebuild such a snapshot too.
  EXPECT_FALSE(ledger_->PutSnapshot(kStateSnapshotName, ledger_->size() + 5,
                                    Projector::SnapshotBytes(*state, ledger_->head_hash()))
                   .ok());
  Reopen();
  EXPECT_EQ(projector_->source(), Projector::Source::kSnapshot);
}

TEST(StateCodecTest, LargeStateRoundTripsExactly) {
  // 2 000 establishments x 12 monthly measurements, folded without a ledger.
  ProgrammeState state;
  uint64_t seq = 0;
  for (int e = 0; e < 2000; ++e) {
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "35%06d", e);
    const std::string finess = MakeFiness(prefix);
    for (int month = 1; month <= 12; ++month) {
      domain::IndicatorMeasured m;
      m.finess = *domain::Finess::Parse(finess);
      m.period_start = *domain::Date::FromCivil(2024, month, 1);
      m.period_end = m.period_start.EndOfMonth();
      m.persons_accompanied = 100;
      m.active_files = 90 + month % 5;
      ASSERT_TRUE(state.ApplyEvent(m, seq++).ok());
    }
  }
  const ledger::Bytes bytes = state.Encode();
  auto decoded = ProgrammeState::Decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->next_seq(), seq);
  EXPECT_EQ(decoded->registry().all().size(), 2000u);
  EXPECT_EQ(decoded->Encode(), bytes);
}

TEST(StateCodecTest, TruncatedStateDoesNotDecode) {
  ProgrammeState state;
  ledger::Bytes bytes = state.Encode();
  bytes.resize(bytes.size() / 2);
  EXPECT_EQ(ProgrammeState::Decode(bytes).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace esms::projections::testing
