// Snapshots: stored with the seq they reflect, byte-identical to a rebuild from seq 0,
// never trusted when they do not match the ledger.
#include <fmt/format.h>

#include "domain/event_codec.h"
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
         {{"project", "a"},
          {"tranche", "advance"},
          {"amountCents", kAcquisition2024},
          {"paidAt", "2024-06-10"},
          {"reference", "A1"}});
    Must("ars-bzh", "finess.changed", "2024-07-01",
         {{"from", Et(3)}, {"to", Et(30)}, {"kind", "renumbering"}, {"effectiveAt", "2024-07-01"}});
    uint64_t m = Must("porteur", "indicator.measured", "2024-10-01",
                      Measurement(Et(1), "2024-07-01", "2024-09-30"));
    Must("porteur", "indicator.measured", "2024-10-01",
         Measurement(Et(30), "2024-07-01", "2024-09-30"));
    Must("ars-bzh", "event.voided", "2024-10-02", {{"seq", m}, {"reason", "duplicate"}});
    Must("national", "sons.ordered", "2023-06-01",
         {{"finess", Et(4)}, {"solution", Solution()}, {"orderedAt", "2023-06-01"}});
    Must("national", "solution.referenced", "2023-01-01",
         {{"solution", Solution()},
          {"corridor", "medico-social"},
          {"status", "referenced"},
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

// More records than the rebuild folds on one thread (Projector::CatchUp reads and
// decodes on a second thread above 20 000 records): the same bytes as the import's
// incremental fold.
TEST_F(SnapshotTest, PipelinedRebuildOfALargeLedgerGivesByteIdenticalSnapshot) {
  BuildProgramme();
  {
    EventAppender appender(*ledger_, *keys_.at("porteur"));
    projector_->Install(appender);
    for (int i = 0; i < 21000; ++i) {
      // 21 000 monthly measurements over 100 establishments of two chunks.
      const std::string finess = Et(2000 + i % 100);
      const int month = i / 100;  // 0..209
      const std::string start = fmt::format("{:04}-{:02}-01", 2008 + month / 12, 1 + month % 12);
      const std::string end = fmt::format("{:04}-{:02}-28", 2008 + month / 12, 1 + month % 12);
      std::string id;
      auto added = appender.Add(
          Line("indicator.measured", "2025-12-01", Measurement(finess, start, end)), &id);
      ASSERT_TRUE(added.ok()) << added.status().ToString();
      if (appender.staged() >= 1000) {
        ASSERT_TRUE(appender.Commit().ok());
      }
    }
    ASSERT_TRUE(appender.Commit().ok());
    ASSERT_TRUE(projector_->SaveSnapshot().ok());
  }
  const ledger::Bytes incremental = Stored();
  ASSERT_GT(ledger_->size(), 21000u);
  ASSERT_TRUE(projector_->Rebuild().ok());
  EXPECT_EQ(projector_->replayed(), ledger_->size());
  EXPECT_EQ(projector_->state().next_seq(), ledger_->size());
  ASSERT_TRUE(projector_->SaveSnapshot().ok());
  EXPECT_EQ(Stored(), incremental);
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
    ASSERT_TRUE(appender
                    .Add(Line("indicator.measured", "2024-11-01",
                              Measurement(Et(2), "2024-08-01", "2024-10-31")),
                         &id)
                    .ok());
    ASSERT_TRUE(appender
                    .Add(Line("indicator.measured", "2024-11-01",
                              Measurement(Et(1), "2024-08-01", "2024-10-31")),
                         &id)
                    .ok());
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
  ASSERT_TRUE(
      ledger_->PutSnapshot(kStateSnapshotName, ledger_->size(), ledger::AsBytes(junk)).ok());
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
  ASSERT_TRUE(ledger_
                  ->PutSnapshot(kStateSnapshotName, state->next_seq(),
                                Projector::SnapshotBytes(*state, first->hash))
                  .ok());
  Reopen();
  EXPECT_EQ(projector_->source(), Projector::Source::kRebuilt);
  EXPECT_EQ(projector_->state().Encode(), good);
}

TEST_F(SnapshotTest, SnapshotBeyondTheLedgerIsRefused) {
  BuildProgramme();
  auto state = ProgrammeState::Decode(projector_->state().Encode());
  ASSERT_TRUE(state.ok());
  // The ledger refuses to store it; the projector would rebuild such a snapshot too.
  EXPECT_FALSE(ledger_
                   ->PutSnapshot(kStateSnapshotName, ledger_->size() + 5,
                                 Projector::SnapshotBytes(*state, ledger_->head_hash()))
                   .ok());
  Reopen();
  EXPECT_EQ(projector_->source(), Projector::Source::kSnapshot);
}

// Measurements in chunks 3500000 (Et(1): voided, so the chunk is empty), 3500003
// (Et(30)) and 3500100 (Et(1001)).
class ChunkedSnapshotTest : public SnapshotTest {
 protected:
  void SetUp() override {
    SnapshotTest::SetUp();
    BuildProgramme();
    Must("porteur", "indicator.measured", "2024-10-01",
         Measurement(Et(1001), "2024-07-01", "2024-09-30"));
    Must("porteur", "indicator.measured", "2024-11-01",
         Measurement(Et(1001), "2024-08-01", "2024-10-31"));
    good_ = projector_->state().Encode();
  }
  static std::string Chunk(const std::string& finess) {
    return std::string(kStateSnapshotName) + "/m/" + finess.substr(0, kChunkPrefixSize);
  }
  ledger::Bytes good_;
};

TEST_F(ChunkedSnapshotTest, ChunksAreLoadedWhenRead) {
  const ledger::Bytes core = Stored();
  // The core after the two header lines.
  size_t body = 0;
  for (int lines = 0; lines < 2; ++body) lines += core[body] == '\n' ? 1 : 0;
  std::vector<std::string> loads;
  MeasurementSource source;
  source.load = [&](const std::string& name) -> Result<std::optional<ledger::Bytes>> {
    loads.push_back(name);
    auto stored = ledger_->GetSnapshot(std::string(kStateSnapshotName) + "/m/" + name);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return std::optional<ledger::Bytes>();
    return std::optional<ledger::Bytes>((*stored)->second);
  };
  auto state =
      ProgrammeState::DecodeParts(ledger::ByteView(core.data() + body, core.size() - body), source);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_TRUE(loads.empty());
  // A project's view reads no measurement.
  EXPECT_NE(state->FindProject("a"), nullptr);
  EXPECT_TRUE(loads.empty());
  // Nor do the other facts of a number.
  const EstablishmentFacts* links =
      state->registry().FindWithoutMeasurements(*domain::Finess::Parse(Et(1)));
  ASSERT_NE(links, nullptr);
  EXPECT_FALSE(links->project_records.empty());
  EXPECT_TRUE(loads.empty());
  const EstablishmentFacts* facts = state->registry().Find(*domain::Finess::Parse(Et(1001)));
  ASSERT_NE(facts, nullptr);
  EXPECT_EQ(facts->measurements.size(), 2u);
  EXPECT_THAT(loads, ::testing::ElementsAre(Et(1001).substr(0, kChunkPrefixSize)));
  // The voided measurement of Et(1) stays out; Et(30)'s is there (another chunk).
  EXPECT_TRUE(state->registry().Find(*domain::Finess::Parse(Et(1)))->measurements.empty());
  EXPECT_EQ(state->registry().Find(*domain::Finess::Parse(Et(30)))->measurements.size(), 1u);
  // (Et(1)'s chunk holds no measurement any more: it is not stored, nor read.)
  EXPECT_EQ(loads.size(), 2u);
  EXPECT_EQ(state->Encode(), good_);
  EXPECT_TRUE(state->registry().load_status().ok());
  EXPECT_EQ(loads.size(), 2u);  // each chunk read once
}

TEST_F(ChunkedSnapshotTest, DamagedOrMissingChunkIsRebuiltFromTheRecords) {
  auto stored = ledger_->GetSnapshot(Chunk(Et(1001)));
  ASSERT_TRUE(stored.ok() && stored->has_value());
  ledger::Bytes flipped = (*stored)->second;
  flipped[flipped.size() - 3] ^= 0x01;
  ASSERT_TRUE(ledger_->PutSnapshot(Chunk(Et(1001)), ledger_->size(), flipped).ok());
  ASSERT_TRUE(ledger_->PutSnapshot(Chunk(Et(30)), ledger_->size(), ledger::Bytes()).ok());
  Reopen();
  EXPECT_EQ(projector_->source(), Projector::Source::kSnapshot);
  EXPECT_EQ(projector_->state().Encode(), good_);
  EXPECT_TRUE(projector_->state().registry().load_status().ok());
  // The next save writes the rebuilt chunks again.
  ASSERT_TRUE(projector_->SaveSnapshot().ok());
  auto rewritten = ledger_->GetSnapshot(Chunk(Et(1001)));
  ASSERT_TRUE(rewritten.ok() && rewritten->has_value());
  EXPECT_EQ((*rewritten)->second, (*stored)->second);
}

TEST_F(ChunkedSnapshotTest, OnlyChangedChunksAreWrittenAgain) {
  auto before = ledger_->GetSnapshot(Chunk(Et(1001)));
  ASSERT_TRUE(before.ok() && before->has_value());
  // A marker in place of the stored chunk of Et(1001): a save that rewrote it would
  // replace the marker.
  const std::string marker = "not rewritten";
  ASSERT_TRUE(ledger_->PutSnapshot(Chunk(Et(1001)), ledger_->size(), ledger::AsBytes(marker)).ok());
  Reopen();
  Must("porteur", "indicator.measured", "2024-11-01",
       Measurement(Et(2), "2024-08-01", "2024-10-31"));
  auto after = ledger_->GetSnapshot(Chunk(Et(1001)));
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->second, ledger::Bytes(marker.begin(), marker.end()));
}

TEST_F(SnapshotTest, VersionOneSnapshotStillOpens) {
  uint64_t seq = Must("porteur", "indicator.measured", "2024-10-01",
                      Measurement(Et(1), "2024-07-01", "2024-09-30"));
  auto record = ledger_->Get(seq);
  ASSERT_TRUE(record.ok());
  json v1 = {{"format", 1},
             {"nextSeq", ledger_->size()},
             {"projects", json::object()},
             {"establishments",
              {{Et(1),
                {{"links", json::array()},
                 {"sons", json::array()},
                 {"eu", json::array()},
                 {"measurements",
                  json::array({json::array({seq, ledger::Base64Encode(record->payload)})})},
                 {"adjustments", json::array()}}}}},
             {"changes", json::array()},
             {"referencing", json::array()},
             {"voided", json::array()}};
  const ledger::Bytes good = projector_->state().Encode();
  std::string text =
      "esms-projection-snapshot/v1\n" + ledger::ToHex(ledger_->head_hash()) + "\n" + v1.dump();
  ASSERT_TRUE(
      ledger_->PutSnapshot(kStateSnapshotName, ledger_->size(), ledger::AsBytes(text)).ok());
  Reopen();
  EXPECT_EQ(projector_->source(), Projector::Source::kSnapshot);
  EXPECT_EQ(projector_->state().Encode(), good);
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

// A March 2024 measurement of Et(7): 31 active files for 40 persons.
domain::IndicatorMeasured MarchMeasurement() {
  domain::IndicatorMeasured m;
  m.finess = *domain::Finess::Parse(Et(7));
  m.period_start = *domain::Date::FromCivil(2024, 3, 1);
  m.period_end = m.period_start.EndOfMonth();
  m.persons_accompanied = 40;
  m.active_files = 31;
  return m;
}

TEST(StateCodecTest, TrustedPayloadDecodingGivesTheEncodedValue) {
  domain::IndicatorMeasured m = MarchMeasurement();
  m.e_parcours_exchanges = 0;  // present with its default: another byte form than absent
  auto bytes = domain::EncodePayload(m);
  ASSERT_TRUE(bytes.ok());
  auto trusted = domain::DecodeTrustedPayload(domain::IndicatorMeasured::kType, *bytes);
  ASSERT_TRUE(trusted.ok()) << trusted.status().ToString();
  EXPECT_EQ(std::get<domain::IndicatorMeasured>(*trusted), m);
  // Still refused: a truncated message, an unknown type.
  ledger::Bytes cut(bytes->begin(), bytes->begin() + 8);
  EXPECT_EQ(domain::DecodeTrustedPayload(domain::IndicatorMeasured::kType, cut).status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(domain::DecodeTrustedPayload("no.such.type", *bytes).status().code(),
            StatusCode::kDataLoss);
}

TEST(StateCodecTest, EveryFlippedByteIsRefused) {
  ProgrammeState state;
  domain::IndicatorMeasured m = MarchMeasurement();
  ASSERT_TRUE(state.ApplyEvent(m, 5).ok());
  const ledger::Bytes bytes = state.Encode();
  for (size_t at = 0; at < bytes.size(); ++at) {
    ledger::Bytes flipped = bytes;
    flipped[at] ^= 0x10;
    EXPECT_EQ(ProgrammeState::Decode(flipped).status().code(), StatusCode::kDataLoss)
        << "byte " << at << " of " << bytes.size();
  }
}

TEST(StateCodecTest, TruncatedStateDoesNotDecode) {
  ProgrammeState state;
  ledger::Bytes bytes = state.Encode();
  bytes.resize(bytes.size() / 2);
  EXPECT_EQ(ProgrammeState::Decode(bytes).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace esms::projections::testing
