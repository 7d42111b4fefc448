// Scenarios from the seeds' own cases: FINESS lineage (renumbering, the FAQ's merger
// answer), voided records, history through lineage, the `check` report.
#include "tests/projections/fixture.h"

namespace esms::projections::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsSupersetOf;
using ScenarioTest = ProjectionsTest;

json Change(const std::string& from, const std::string& to, const std::string& kind,
            const std::string& at = "2024-02-01") {
  return {{"from", from}, {"to", to}, {"kind", kind}, {"effectiveAt", at}};
}

TEST_F(ScenarioTest, RenumberedEstablishmentTriesToBeFundedTwice) {
  Funded first = SubmitSelectSign(Submission("first", {Et(1)}), kAcquisition2024);
  uint64_t change = Must("ars-bzh", "finess.changed", "2024-07-01",
                         Change(Et(1), Et(50), "renumbering", "2024-07-01"));
  // The old number no longer counts on its own.
  EXPECT_EQ(
      Code("porteur", "project.submitted", "2024-08-01",
           Submission("old-number", {Et(1)}, "generalisation-2024", "acquisition", "2024-08-01")),
      "FINESS_INVALID");
  EXPECT_THAT(last_status_.conflicts(), ElementsAre(change));
  // The new number carries the old one's funding.
  EXPECT_EQ(
      Code("porteur", "project.submitted", "2024-08-01",
           Submission("new-number", {Et(50)}, "generalisation-2024", "acquisition", "2024-08-01")),
      "NONCUMUL_SAME_SOFTWARE");
  EXPECT_THAT(last_status_.conflicts(), ElementsAre(first.submitted, first.convention, change));
  // The original project's state follows the number.
  json state = State("first");
  EXPECT_EQ(state["establishments"][0]["finess"], Et(1));
  EXPECT_EQ(state["establishments"][0]["currentFiness"], Et(50));
  // History of either number: the project records naming it and the change.
  auto history = History(*ledger_, projector_->state(), Et(50));
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  EXPECT_THAT(*history, ElementsAre(first.submitted, first.convention, change));
  auto old_history = History(*ledger_, projector_->state(), Et(1));
  ASSERT_TRUE(old_history.ok());
  EXPECT_EQ(*old_history, *history);
  // A number changes once; no cycle.
  EXPECT_EQ(Code("ars-bzh", "finess.changed", "2024-07-02", Change(Et(1), Et(51), "renumbering")),
            "INVALID_TRANSITION");
  EXPECT_EQ(Code("ars-bzh", "finess.changed", "2024-07-02", Change(Et(50), Et(1), "renumbering")),
            "INVALID_TRANSITION");
}

TEST_F(ScenarioTest, MergerTurnsInheritedFundingIntoAWarning) {
  // 002 Éligibilité: findings that come through a merger are for the ARS's review.
  Funded first = SubmitSelectSign(Submission("first", {Et(1)}), kAcquisition2024);
  uint64_t merger =
      Must("ars-bzh", "finess.changed", "2024-07-01", Change(Et(1), Et(2), "merger", "2024-07-01"));
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-08-01",
                 Submission("merged", {Et(2)}, "generalisation-2024", "acquisition", "2024-08-01")),
            "OK");
  json state = State("merged");
  json inherited;
  for (const auto& w : state["warnings"]) {
    if (w["code"] == "INHERITED_FUNDING") inherited = w;
  }
  ASSERT_FALSE(inherited.is_null()) << state.dump();
  EXPECT_NE(inherited["message"].get<std::string>().find("NONCUMUL_SAME_SOFTWARE"),
            std::string::npos);
  EXPECT_THAT(inherited["seqs"].get<std::vector<uint64_t>>(),
              ElementsAre(first.submitted, first.convention, merger));
  // The merged number's own funding still refuses.
  uint64_t merged_seq =
      State("merged").is_null() ? 0 : projector_->state().FindProject("merged")->submitted_seq;
  EXPECT_EQ(
      Code("porteur", "project.submitted", "2024-08-03",
           Submission("merged-2", {Et(2)}, "generalisation-2024", "acquisition", "2024-08-03")),
      "NONCUMUL_SAME_SOFTWARE");
  EXPECT_THAT(last_status_.conflicts(), ElementsAre(merged_seq));
}

TEST_F(ScenarioTest, MeasurementsFollowRenumberingForTargets) {
  Funded f = SubmitSelectSign(Submission("p", {Et(1)}), kAcquisition2024);
  (void)f;
  Must("payer-bzh", "payment.issued", "2024-06-10",
       {{"project", "p"},
        {"tranche", "advance"},
        {"amountCents", kAcquisition2024 / 2},
        {"paidAt", "2024-06-10"},
        {"reference", "A1"}});
  Must("porteur", "expenses.certified", "2025-09-01",
       {{"project", "p"},
        {"totalCents", 3000000},
        {"equipmentCents", 0},
        {"certifiedBy", "statutory-auditor"},
        {"certifiedAt", "2025-09-01"}});
  // Two months measured under the old number, one under the new.
  uint64_t m1 = Must("porteur", "indicator.measured", "2025-08-01",
                     Measurement(Et(1), "2025-06-01", "2025-07-31"));
  Must("ars-bzh", "finess.changed", "2025-08-01",
       Change(Et(1), Et(50), "renumbering", "2025-08-01"));
  uint64_t m2 = Must("porteur", "indicator.measured", "2025-09-01",
                     Measurement(Et(50), "2025-08-01", "2025-08-31"));
  auto report = CheckProject(projector_->state(), "p", *domain::Date::Parse("2025-09-15"));
  ASSERT_TRUE(report.ok());
  json j = json::parse(ToJson(*report));
  ASSERT_EQ(j["tranches"].size(), 2u);
  json balance = j["tranches"][1];
  EXPECT_EQ(balance["tranche"], "balance");
  EXPECT_TRUE(balance["payable"].get<bool>()) << j.dump(1);
  EXPECT_EQ(balance["amountCents"], kAcquisition2024 - kAcquisition2024 / 2);
  json targets;
  for (const auto& c : balance["conditions"]) {
    if (c["code"] == "USAGE_TARGETS_MET") targets = c;
  }
  EXPECT_TRUE(targets["met"].get<bool>());
  EXPECT_THAT(targets["evidence"].get<std::vector<uint64_t>>(), ElementsAre(m1, m2));
}

TEST_F(ScenarioTest, IndicatorSeriesFollowsLineageAndHonoursVoids) {
  uint64_t a = Must("porteur", "indicator.measured", "2024-02-01",
                    Measurement(Et(1), "2024-01-01", "2024-01-31"));
  uint64_t b = Must("porteur", "indicator.measured", "2024-03-01",
                    Measurement(Et(1), "2024-02-01", "2024-02-29"));
  Must("ars-bzh", "finess.changed", "2024-03-01",
       Change(Et(1), Et(50), "renumbering", "2024-03-01"));
  uint64_t c = Must("porteur", "indicator.measured", "2024-04-01",
                    Measurement(Et(50), "2024-03-01", "2024-03-31"));
  Must("ars-bzh", "event.voided", "2024-04-02", {{"seq", b}, {"reason", "wrong month"}});
  std::vector<uint64_t> seqs;
  for (const auto* m : IndicatorSeries(projector_->state(), *domain::Finess::Parse(Et(1))))
    seqs.push_back(m->seq);
  EXPECT_THAT(seqs, ElementsAre(a, c));
}

// A key revoked earlier in the batch signs nothing more: the next line is refused as
// UNAUTHORIZED, not judged by the guard as if the key were still active (voiding a key
// record would otherwise answer INVALID_TRANSITION).
TEST_F(ScenarioTest, KeyRevokedEarlierInTheBatchIsUnauthorized) {
  EventAppender appender(*ledger_, *keys_.at("admin"));
  projector_->Install(appender);
  std::string id;
  auto revoked = appender.Add(
      Line("key.revoked", "2024-05-01", {{"name", "admin"}, {"reason", "rotation"}}), &id);
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  auto voided =
      appender.Add(Line("event.voided", "2024-05-02", {{"seq", 0}, {"reason", "x"}}), &id);
  ASSERT_FALSE(voided.ok());
  EXPECT_EQ(voided.status().code(), StatusCode::kPermissionDenied) << voided.status().ToString();
}

// A file may void a record that sits in the same, not yet committed, batch.
TEST_F(ScenarioTest, VoidOfARecordStagedInTheSameBatch) {
  EventAppender appender(*ledger_, *keys_.at("ars-bzh"));
  projector_->Install(appender);
  std::string id;
  auto measured = appender.Add(
      Line("indicator.measured", "2024-02-01", Measurement(Et(1), "2024-01-01", "2024-01-31")),
      &id);
  ASSERT_TRUE(measured.ok()) << measured.status().ToString();
  auto voided = appender.Add(
      Line("event.voided", "2024-02-02", {{"seq", measured->seq}, {"reason", "typo"}}), &id);
  ASSERT_TRUE(voided.ok()) << voided.status().ToString();
  ASSERT_TRUE(appender.Commit().ok());
  EXPECT_TRUE(IndicatorSeries(projector_->state(), *domain::Finess::Parse(Et(1))).empty());
}

// `check --at` reads the convention in force at that date: an amendment signed after
// it does not count yet.
TEST_F(ScenarioTest, CheckUsesTheConventionInForceAtTheDate) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1), Et(2)}));
  Must("ars-bzh", "project.selected", "2024-04-15",
       {{"project", "p"}, {"committeeAt", "2024-04-15"}});
  uint64_t first = Must("ars-bzh", "convention.signed", "2024-06-01",
                        {{"project", "p"},
                         {"signedAt", "2024-06-01"},
                         {"amountCents", 4200000},
                         {"establishments", {Et(1), Et(2)}},
                         {"durationMonths", 18}});
  Must("ars-bzh", "grappe.extended", "2024-09-01", Extension("p", {Et(3)}, true));
  uint64_t amended = Must("ars-bzh", "convention.signed", "2024-09-10",
                          {{"project", "p"},
                           {"signedAt", "2024-09-10"},
                           {"amountCents", 6300000},
                           {"establishments", {Et(1), Et(2), Et(3)}},
                           {"durationMonths", 18}});
  auto evidence_at = [&](const char* date) {
    auto report = CheckProject(projector_->state(), "p", *domain::Date::Parse(date));
    EXPECT_TRUE(report.ok());
    json advance = json::parse(ToJson(*report))["tranches"][0];
    EXPECT_EQ(advance["conditions"][0]["code"], "CONVENTION_SIGNED");
    return advance["conditions"][0]["evidence"].get<std::vector<uint64_t>>();
  };
  EXPECT_THAT(evidence_at("2024-09-09"), ElementsAre(first));
  EXPECT_THAT(evidence_at("2024-09-10"), ElementsAre(amended));
}

TEST_F(ScenarioTest, CheckReportBeforeAndAfterTheConvention) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1), Et(2)}));
  Must("ars-bzh", "project.selected", "2024-04-15",
       {{"project", "p"}, {"committeeAt", "2024-04-15"}});
  uint64_t conv = Must("ars-bzh", "convention.signed", "2024-06-01",
                       {{"project", "p"},
                        {"signedAt", "2024-06-01"},
                        {"amountCents", 4200001 - 1},
                        {"establishments", {Et(1), Et(2)}},
                        {"durationMonths", 18}});
  auto before = CheckProject(projector_->state(), "p", *domain::Date::Parse("2024-05-31"));
  ASSERT_TRUE(before.ok());
  json j = json::parse(ToJson(*before));
  EXPECT_EQ(j["project"], "p");
  EXPECT_EQ(j["at"], "2024-05-31");
  EXPECT_FALSE(j["tranches"][0]["payable"].get<bool>());
  EXPECT_EQ(j["tranches"][0]["conditions"][0]["code"], "CONVENTION_SIGNED");
  EXPECT_FALSE(j["tranches"][0]["conditions"][0]["met"].get<bool>());
  auto after = CheckProject(projector_->state(), "p", *domain::Date::Parse("2024-06-01"));
  ASSERT_TRUE(after.ok());
  j = json::parse(ToJson(*after));
  json advance = j["tranches"][0];
  EXPECT_EQ(advance["tranche"], "advance");
  EXPECT_TRUE(advance["payable"].get<bool>()) << j.dump(1);
  EXPECT_EQ(advance["amountCents"], 2100000);
  EXPECT_THAT(advance["conditions"][0]["evidence"].get<std::vector<uint64_t>>(), ElementsAre(conv));
  json balance = j["tranches"][1];
  EXPECT_FALSE(balance["payable"].get<bool>());
  for (const auto& c : balance["conditions"]) {
    ASSERT_TRUE(c.contains("code") && c.contains("met") && c.contains("evidence") &&
                c.contains("detail"));
  }
  EXPECT_FALSE(ToText(*after).empty());
  EXPECT_EQ(CheckProject(projector_->state(), "nope", *domain::Date::Parse("2024-06-01"))
                .status()
                .error_code(),
            "UNKNOWN_PROJECT");
}

TEST_F(ScenarioTest, VoidedPaymentIsIgnoredAndVoidsAreChecked) {
  SubmitSelectSign(Submission("p", {Et(1)}), kAcquisition2024);
  uint64_t pay = Must("payer-bzh", "payment.issued", "2024-06-10",
                      {{"project", "p"},
                       {"tranche", "advance"},
                       {"amountCents", 1000},
                       {"paidAt", "2024-06-10"},
                       {"reference", "A1"}});
  EXPECT_EQ(State("p")["status"], "advance-paid");
  EXPECT_EQ(Code("ars-idf", "event.voided", "2024-06-11", {{"seq", pay}, {"reason", "x"}}),
            "PERMISSION_DENIED");
  Must("ars-bzh", "event.voided", "2024-06-11", {{"seq", pay}, {"reason", "wrong amount"}});
  EXPECT_EQ(State("p")["status"], "convention-signed");
  EXPECT_EQ(State("p")["paidCents"], 0);
  EXPECT_EQ(Code("ars-bzh", "event.voided", "2024-06-12", {{"seq", pay}, {"reason", "again"}}),
            "INVALID_TRANSITION");
  EXPECT_EQ(Code("admin", "event.voided", "2024-06-12", {{"seq", 1}, {"reason", "a key"}}),
            "INVALID_TRANSITION");
  EXPECT_EQ(Code("admin", "event.voided", "2024-06-12", {{"seq", 100000}, {"reason", "x"}}),
            "NOT_FOUND");
  // The project's history keeps the voided record.
  auto history = History(*ledger_, projector_->state(), "p");
  ASSERT_TRUE(history.ok());
  EXPECT_THAT(*history, ::testing::Contains(pay));
}

}  // namespace
}  // namespace esms::projections::testing
