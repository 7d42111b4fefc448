// Evidence bundles at the library boundary: BuildBundle / ProjectBundleSeqs /
// VerifyBundle on hand-made ledgers (fixture.h), with no ledger needed to verify.
#include "projections/bundle.h"

#include "tests/projections/fixture.h"

namespace esms::projections::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class BundleTest : public ProjectionsTest {
 protected:
  ledger::NoteVerifier Trust() const {
    return ledger::MakeNoteVerifier(ledger_->origin(), ledger_->ledger_key());
  }
  void Checkpoint() {
    auto made = ledger_->MakeCheckpoint();
    ASSERT_TRUE(made.ok()) << made.status().ToString();
  }
  BundleClaim ProjectClaim(const std::string& project, const std::string& at) {
    BundleClaim claim;
    claim.kind = BundleClaim::Kind::kProject;
    claim.project = project;
    claim.at = *domain::Date::Parse(at);
    return claim;
  }
  // The project's bundle and its verdict.
  std::string ProjectBundle(const std::string& project, const std::string& at) {
    auto seqs = ProjectBundleSeqs(*ledger_, projector_->state(), project);
    EXPECT_TRUE(seqs.ok()) << seqs.status().ToString();
    auto bundle = BuildBundle(*ledger_, projector_->state(), *seqs, ProjectClaim(project, at));
    EXPECT_TRUE(bundle.ok()) << bundle.status().ToString();
    return bundle.ok() ? *bundle : "";
  }
  BundleVerdict Verify(const std::string& text) {
    auto verdict = VerifyBundle(text, Trust());
    EXPECT_TRUE(verdict.ok()) << verdict.status().ToString();
    return verdict.ok() ? *verdict : BundleVerdict{};
  }
};

TEST_F(BundleTest, ProjectBundleGivesTheCheckVerdictAndTheRivalsRejection) {
  // A rival project lists the same ESSMS, then is rejected: without the rejection in
  // the bundle, the verifier would see a NONCUMUL finding the ledger does not have.
  uint64_t rival =
      Must("porteur", "project.submitted", "2024-03-09",
           Submission("rival", {Et(1)}, "generalisation-2024", "acquisition", "2024-03-09"));
  uint64_t rejected = Must("ars-bzh", "project.rejected", "2024-03-10",
                           {{"project", "rival"}, {"reason", "duplicate"}});
  Funded f = SubmitSelectSign(Submission("p", {Et(1), Et(2)}), 2 * kAcquisition2024);
  uint64_t m = Must("porteur", "indicator.measured", "2024-10-01",
                    Measurement(Et(2), "2024-07-01", "2024-09-30"));
  uint64_t unrelated = Must("porteur", "indicator.measured", "2024-10-01",
                            Measurement(Et(9), "2024-07-01", "2024-09-30"));
  Checkpoint();

  auto seqs = ProjectBundleSeqs(*ledger_, projector_->state(), "p");
  ASSERT_TRUE(seqs.ok());
  EXPECT_THAT(*seqs, Contains(rival));
  EXPECT_THAT(*seqs, Contains(rejected));
  EXPECT_THAT(*seqs, Contains(f.convention));
  EXPECT_THAT(*seqs, Contains(m));
  EXPECT_THAT(*seqs, Not(Contains(unrelated)));

  std::string bundle = ProjectBundle("p", "2024-12-01");
  BundleVerdict v = Verify(bundle);
  ASSERT_TRUE(v.ok) << v.problem;
  ASSERT_TRUE(v.check.has_value());
  auto expected = CheckProject(projector_->state(), "p", *domain::Date::Parse("2024-12-01"));
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(ToJson(*v.check), ToJson(*expected));
  EXPECT_EQ(v.checkpoint_size, ledger_->size());
  EXPECT_EQ(v.root, *ledger_->RootAt(ledger_->size()));
  // Key records: genesis (admin, who enrolled the others) and the enrolments of the
  // signers present, no other.
  json parsed = json::parse(bundle);
  std::set<std::string> enrolled;
  for (const auto& k : parsed["keys"]) enrolled.insert(k["data"]["name"]);
  EXPECT_EQ(enrolled, (std::set<std::string>{"admin", "porteur", "ars-bzh"}));
}

TEST_F(BundleTest, VoidsOfBundledRecordsAreIncluded) {
  SubmitSelectSign(Submission("p", {Et(1)}), kAcquisition2024);
  uint64_t m = Must("porteur", "indicator.measured", "2024-10-01",
                    Measurement(Et(1), "2024-07-01", "2024-09-30"));
  uint64_t v = Must("ars-bzh", "event.voided", "2024-10-02", {{"seq", m}, {"reason", "recount"}});
  Checkpoint();
  auto seqs = ProjectBundleSeqs(*ledger_, projector_->state(), "p");
  ASSERT_TRUE(seqs.ok());
  EXPECT_THAT(*seqs, Contains(v));
  BundleVerdict verdict = Verify(ProjectBundle("p", "2024-12-01"));
  EXPECT_TRUE(verdict.ok) << verdict.problem;
}

// Record format 2: every commit signs a checkpoint of the tree it leaves with the ledger
// key, so a bundle never waits for a manual `checkpoint` (the NO_CHECKPOINT refusal is
// left for a ledger whose checkpoints were lost).
TEST_F(BundleTest, EveryCommitLeavesACheckpointCoveringTheRecords) {
  SubmitSelectSign(Submission("p", {Et(1)}), kAcquisition2024);
  auto seqs = ProjectBundleSeqs(*ledger_, projector_->state(), "p");
  ASSERT_TRUE(seqs.ok());
  auto bundle = BuildBundle(*ledger_, projector_->state(), *seqs, ProjectClaim("p", "2024-12-01"));
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  EXPECT_TRUE(Verify(ProjectBundle("p", "2024-12-01")).ok);
  EXPECT_EQ(ProjectBundleSeqs(*ledger_, projector_->state(), "nope").status().error_code(),
            "UNKNOWN_PROJECT");
}

TEST_F(BundleTest, ActiveDuiClaimFollowsRenumberingAndChecksTheSum) {
  uint64_t a = Must("porteur", "indicator.measured", "2024-10-01",
                    Measurement(Et(1), "2024-07-01", "2024-09-30", 100, 80));
  Must("ars-bzh", "finess.changed", "2024-10-05",
       {{"from", Et(1)}, {"to", Et(50)}, {"kind", "renumbering"}, {"effectiveAt", "2024-10-05"}});
  uint64_t b = Must("porteur", "indicator.measured", "2024-10-01",
                    Measurement(Et(2), "2024-07-01", "2024-09-30", 100, 70));
  Checkpoint();
  BundleClaim claim;
  claim.kind = BundleClaim::Kind::kActiveDui;
  claim.at = *domain::Date::Parse("2024-12-31");
  claim.total = 150;
  claim.evidence = {{Et(50), a, 80}, {Et(2), b, 70}};
  auto bundle = BuildBundle(*ledger_, projector_->state(), {a, b}, claim);
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  BundleVerdict v = Verify(*bundle);
  ASSERT_TRUE(v.ok) << v.problem;
  EXPECT_FALSE(v.check.has_value());
  EXPECT_EQ(v.claim.total, 150);

  // The same claim without the renumbering record: the measured number does not lead
  // to the counted one.
  json j = json::parse(*bundle);
  json records = json::array();
  for (const auto& r : j["records"]) {
    if (r["type"] != "finess.changed") records.push_back(r);
  }
  j["records"] = records;
  BundleVerdict broken = Verify(j.dump());
  EXPECT_FALSE(broken.ok);
  EXPECT_EQ(broken.seq, a);
  EXPECT_THAT(broken.problem, HasSubstr("finess.changed"));

  // A wrong total.
  claim.total = 151;
  auto wrong = BuildBundle(*ledger_, projector_->state(), {a, b}, claim);
  ASSERT_TRUE(wrong.ok());
  BundleVerdict bad = Verify(*wrong);
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.code, kBundleInvalid);
  EXPECT_THAT(bad.problem, HasSubstr("adds up to 150"));
}

TEST_F(BundleTest, ForeignTrustKeyAndNotABundle) {
  SubmitSelectSign(Submission("p", {Et(1)}), kAcquisition2024);
  Checkpoint();
  std::string bundle = ProjectBundle("p", "2024-12-01");
  auto other = ledger::SigningKey::Generate();
  ASSERT_TRUE(other.ok());
  auto verdict =
      VerifyBundle(bundle, ledger::MakeNoteVerifier(ledger_->origin(), other->public_key()));
  ASSERT_TRUE(verdict.ok());
  EXPECT_FALSE(verdict->ok);
  EXPECT_THAT(verdict->problem, HasSubstr("not signed by the trusted key"));
  // Not a bundle at all: an error, not a verdict.
  EXPECT_EQ(VerifyBundle("[1, 2", Trust()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyBundle(R"({"format": "other/v1"})", Trust()).status().code(),
            StatusCode::kInvalidArgument);
  // A key given twice anywhere (here the claim's project): refused before anything is
  // read, since another reader of the same bytes could keep the other value.
  const std::string_view claim_open = "\"claim\": {";
  const size_t claim = bundle.find(claim_open);
  ASSERT_NE(claim, std::string::npos) << bundle.substr(0, 400);
  std::string doubled = bundle;
  doubled.insert(claim + claim_open.size(), "\"project\": \"other\",");
  auto refused = VerifyBundle(doubled, Trust());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("claim.project: duplicate key"));
}

}  // namespace
}  // namespace esms::projections::testing
