// Issue 13, second reading of the texts (items 7-10, 17, 18, 21): deadlines, Ségur
// corridor and version, national agreement, the amorçage prorata — each at both sides
// of its boundary, through the import path (guard and fold) and the queries.
#include "tests/projections/fixture.h"

#include "projections/deadlines.h"
#include "projections/referencing.h"

namespace esms::projections::testing {
namespace {

using ::testing::Contains;
using ::testing::Not;

class SecondReadingTest : public ProjectionsTest {
 protected:
  // 15 ESSMS (a 2025 grappe of the ideal size) Et(base+1..base+15).
  static std::vector<std::string> Fifteen(int base) {
    std::vector<std::string> out;
    for (int i = 1; i <= 15; ++i) out.push_back(Et(base + i));
    return out;
  }
  // A 2025 usage project of 15 upgrades under a convention signed `signed_at`.
  Funded Usage2025(const std::string& project, int base, const std::string& signed_at,
                   int duration) {
    json sub = Submission(project, Fifteen(base), "generalisation-2025", "upgrade", "2025-01-10");
    return SubmitSelectSign(sub, 15 * kUpgrade2024, signed_at, duration);
  }
  // One measurement meeting every target for each ESSMS (its first: 3 whole months).
  void MeasureAll(const std::vector<std::string>& ests, const std::string& start,
                  const std::string& end) {
    for (const auto& f : ests) Must("ars-bzh", "indicator.measured", end, Measurement(f, start, end));
  }
  json Pay(const std::string& project, const std::string& tranche, int64_t cents,
           const std::string& paid_at) {
    return {{"project", project}, {"tranche", tranche}, {"amountCents", cents},
            {"paidAt", paid_at}, {"reference", "PAY-" + tranche + "-" + paid_at}};
  }
  void AdvanceAndExpenses(const std::string& project, int64_t total, const std::string& at) {
    Must("payer-bzh", "payment.issued", at, Pay(project, "advance", total / 2, at));
    Must("porteur", "expenses.certified", at,
         {{"project", project}, {"totalCents", total}, {"equipmentCents", 0},
          {"certifiedBy", "public-accountant"}, {"certifiedAt", at}});
  }
  std::string StatusAsOf(const std::string& project, const std::string& at) {
    auto view = ViewProject(projector_->state(), project, *domain::Date::Parse(at));
    EXPECT_TRUE(view.ok());
    return view.ok() ? view->status : "";
  }
  json Referenced(const std::string& version, const std::string& corridor,
                  const std::string& at = "2024-01-05") {
    return {{"solution", Solution("Dossier", "Editeur A", version)}, {"corridor", corridor},
            {"status", "referenced"}, {"referencedAt", at}};
  }
};

// ---- Item 8: deadlines ----

// Signed 2025-01-31 for 6 months: the end is 2025-07-31, a period ending that day counts.
TEST_F(SecondReadingTest, Balance2025WithAPeriodEndingOnTheLastDayIsPaid) {
  Usage2025("on-time", 0, "2025-01-31", 6);
  MeasureAll(Fifteen(0), "2025-05-01", "2025-07-31");
  AdvanceAndExpenses("on-time", 15 * kUpgrade2024, "2025-02-10");
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-08-10",
                 Pay("on-time", "balance", 15 * kUpgrade2024 / 2, "2025-08-10")),
            "OK");
  EXPECT_EQ(StatusAsOf("on-time", "2026-01-01"), "balance-paid");
}

// Signed 2025-01-30 for 6 months: the end is 2025-07-30; the period ending 07-31 is late.
TEST_F(SecondReadingTest, Balance2025WithAPeriodEndingTheDayAfterIsConventionExpired) {
  Funded f = Usage2025("late", 0, "2025-01-30", 6);
  MeasureAll(Fifteen(0), "2025-05-01", "2025-07-31");
  AdvanceAndExpenses("late", 15 * kUpgrade2024, "2025-02-10");
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-08-10",
                 Pay("late", "balance", 15 * kUpgrade2024 / 2, "2025-08-10")),
            "CONVENTION_EXPIRED");
  EXPECT_THAT(last_status_.conflicts(), Contains(f.convention));
  EXPECT_THAT(last_status_.message(), ::testing::HasSubstr("2025-07-30"));
  // Past its end with no qualifying period by then: lapsed (not the day before).
  EXPECT_EQ(StatusAsOf("late", "2025-07-30"), "advance-paid");
  EXPECT_EQ(StatusAsOf("late", "2025-07-31"), "lapsed");
  // check shows the condition.
  auto report = CheckProject(projector_->state(), "late", *domain::Date::Parse("2025-08-10"));
  ASSERT_TRUE(report.ok());
  bool shown = false;
  for (const auto& c : report->tranches.back().conditions) {
    if (c.code == "WITHIN_CONVENTION_DURATION") shown = !c.met;
  }
  EXPECT_TRUE(shown);
  EXPECT_FALSE(report->tranches.back().payable);
}

// An amended convention with a longer duration, signed after the end, extends it.
TEST_F(SecondReadingTest, AmendedConvention2025ExtendsTheDeadlineAtAnyTime) {
  Usage2025("amended", 0, "2025-01-30", 6);
  MeasureAll(Fifteen(0), "2025-05-01", "2025-07-31");
  AdvanceAndExpenses("amended", 15 * kUpgrade2024, "2025-02-10");
  json ests = Fifteen(0);
  // The same duration signed again does not move the end (first signedAt + 6 months).
  Must("ars-bzh", "convention.signed", "2025-08-05",
       {{"project", "amended"}, {"signedAt", "2025-08-05"}, {"amountCents", 15 * kUpgrade2024},
        {"establishments", ests}, {"durationMonths", 6}});
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-08-10",
                 Pay("amended", "balance", 15 * kUpgrade2024 / 2, "2025-08-10")),
            "CONVENTION_EXPIRED");
  EXPECT_EQ(StatusAsOf("amended", "2025-08-10"), "lapsed");
  Must("ars-bzh", "convention.signed", "2025-08-06",
       {{"project", "amended"}, {"signedAt", "2025-08-06"}, {"amountCents", 15 * kUpgrade2024},
        {"establishments", ests}, {"durationMonths", 7}});
  EXPECT_EQ(StatusAsOf("amended", "2025-08-10"), "advance-paid");
  EXPECT_THAT(WarningCodes("amended"), Contains("DURATION_ABOVE_CONTRACT"));
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-08-10",
                 Pay("amended", "balance", 15 * kUpgrade2024 / 2, "2025-08-10")),
            "OK");
}

TEST_F(SecondReadingTest, NoMeasurementAfterTheEndIsLapsedAndRefusedAsExpired) {
  Usage2025("silent", 0, "2025-01-15", 6);  // ends 2025-07-15
  AdvanceAndExpenses("silent", 15 * kUpgrade2024, "2025-02-10");
  // Before the end: not payable for want of targets, not yet expired.
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-07-15",
                 Pay("silent", "balance", 15 * kUpgrade2024 / 2, "2025-07-15")),
            "TARGETS_NOT_MET");
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-07-16",
                 Pay("silent", "balance", 15 * kUpgrade2024 / 2, "2025-07-16")),
            "CONVENTION_EXPIRED");
  EXPECT_EQ(StatusAsOf("silent", "2025-07-15"), "advance-paid");
  EXPECT_EQ(StatusAsOf("silent", "2025-07-16"), "lapsed");
  // Without a date, `state` says what the records alone say.
  EXPECT_EQ(State("silent")["status"], "advance-paid");
}

TEST_F(SecondReadingTest, DurationAboveContractIsAWarningFrom7MonthsOfAUsageProject) {
  Usage2025("six", 0, "2025-01-15", 6);
  Usage2025("seven", 20, "2025-01-15", 7);
  EXPECT_THAT(WarningCodes("six"), Not(Contains("DURATION_ABOVE_CONTRACT")));
  EXPECT_THAT(WarningCodes("seven"), Contains("DURATION_ABOVE_CONTRACT"));
}

// 2024, usage: indicative 9 months from 2024-06-01 = 2025-03-01 (003 §3.4.2).
TEST_F(SecondReadingTest, TargetsLate2024IsAWarningNotARefusal) {
  SubmitSelectSign(Submission("in-time", {Et(1)}, "generalisation-2024", "upgrade"),
                   kUpgrade2024, "2024-06-01", 9);
  SubmitSelectSign(Submission("late", {Et(2)}, "generalisation-2024", "upgrade"),
                   kUpgrade2024, "2024-06-01", 9);
  MeasureAll({Et(1)}, "2024-12-01", "2025-02-28");
  MeasureAll({Et(2)}, "2025-01-01", "2025-03-31");
  EXPECT_THAT(WarningCodes("in-time"), Not(Contains("TARGETS_LATE")));
  EXPECT_THAT(WarningCodes("late"), Contains("TARGETS_LATE"));
  AdvanceAndExpenses("late", kUpgrade2024, "2024-06-10");
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-04-10",
                 Pay("late", "balance", kUpgrade2024 / 2, "2025-04-10")),
            "OK");
}

// ---- Item 10: national entity agreement ----

TEST_F(SecondReadingTest, NationalEntityAgreementFalseIsRefused) {
  json sub = Submission("no-agreement", {Et(1)});
  sub["porteur"]["nationalEntityAgreement"] = false;
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", sub), "NATIONAL_AGREEMENT_MISSING");
  sub["project"] = "agreement";
  sub["porteur"]["nationalEntityAgreement"] = true;
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", sub), "OK");
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("none", {Et(2)})), "OK");
}

// ---- Items 9 and 18: Ségur corridor and version ----

TEST_F(SecondReadingTest, NoReferencingFactIsAcceptedWithAWarning) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("unknown", {Et(1)}));
  EXPECT_THAT(WarningCodes("unknown"), Contains("REFERENCING_UNKNOWN"));
  Must("national", "solution.referenced", "2024-01-05", Referenced("5", "medico-social"));
  EXPECT_THAT(WarningCodes("unknown"), Not(Contains("REFERENCING_UNKNOWN")));
}

TEST_F(SecondReadingTest, ReferencingIsPerVersion) {
  uint64_t v4 = Must("national", "solution.referenced", "2024-01-05", Referenced("4", "medico-social"));
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("v5", {Et(1)})),
            "SOLUTION_NOT_REFERENCED");
  EXPECT_THAT(last_status_.conflicts(), Contains(v4));
  Must("national", "solution.referenced", "2024-01-06", Referenced("5", "medico-social"));
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("v5", {Et(1)})), "OK");
}

TEST_F(SecondReadingTest, HospitalCorridorOnlyForAGhtPorteur) {
  Must("national", "solution.referenced", "2024-01-05", Referenced("5", "hospital"));
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("not-ght", {Et(1)})),
            "SOLUTION_NOT_REFERENCED");
  json ght = Submission("ght", {Et(1)});
  ght["porteur"]["ght"] = true;
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", ght), "OK");
}

TEST_F(SecondReadingTest, UnknownCorridorIsBadInput) {
  EXPECT_EQ(Code("national", "solution.referenced", "2024-01-05", Referenced("5", "hopital")),
            "BAD_INPUT");
}

// A GHT in the hospital corridor: no EU fund nor HOP'EN for its ESSMS, whatever the
// operation (000 §4.2 C 3); in the médico-social corridor, another operation's fund is
// no conflict (000 §4.2 A 1: two distinct operations).
TEST_F(SecondReadingTest, GhtHospitalCorridorRefusesEuFundsOfAnyOperation) {
  uint64_t eu = Must("national", "eu-funding.declared", "2024-01-10",
                     {{"finess", Et(1)}, {"fund", "HOPEN"}, {"operation", "upgrade"},
                      {"declaredAt", "2024-01-10"}});
  Must("national", "solution.referenced", "2024-01-05", Referenced("5", "hospital"));
  json ght = Submission("ght", {Et(1)});  // acquisition: another operation than the fund's
  ght["porteur"]["ght"] = true;
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", ght), "NONCUMUL_EU_FUNDS");
  EXPECT_THAT(last_status_.conflicts(), Contains(eu));
  // The same software referenced in the médico-social corridor: the ordinary rule.
  Must("national", "solution.referenced", "2024-01-06", Referenced("5", "medico-social"));
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", ght), "OK");
}

}  // namespace
}  // namespace esms::projections::testing
