// Issue 13, second reading of the texts (items 7-10, 17, 18, 21): deadlines, Ségur
// corridor and version, national agreement, the amorçage prorata — each at both sides
// of its boundary, through the import path (guard and fold) and the queries.
#include "tests/projections/fixture.h"

#include <algorithm>

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
    for (const auto& f : ests)
      Must("ars-bzh", "indicator.measured", end, Measurement(f, start, end));
  }
  json Pay(const std::string& project, const std::string& tranche, int64_t cents,
           const std::string& paid_at) {
    return {{"project", project},
            {"tranche", tranche},
            {"amountCents", cents},
            {"paidAt", paid_at},
            {"reference", "PAY-" + tranche + "-" + paid_at}};
  }
  void AdvanceAndExpenses(const std::string& project, int64_t total, const std::string& at) {
    Must("payer-bzh", "payment.issued", at, Pay(project, "advance", total / 2, at));
    Must("porteur", "expenses.certified", at,
         {{"project", project},
          {"totalCents", total},
          {"equipmentCents", 0},
          {"certifiedBy", "public-accountant"},
          {"certifiedAt", at}});
  }
  std::string StatusAsOf(const std::string& project, const std::string& at) {
    auto view = ViewProject(projector_->state(), project, *domain::Date::Parse(at));
    EXPECT_TRUE(view.ok());
    return view.ok() ? view->status : "";
  }
  json Referenced(const std::string& version, const std::string& corridor,
                  const std::string& at = "2024-01-05") {
    return {{"solution", Solution("Dossier", "Editeur A", version)},
            {"corridor", corridor},
            {"status", "referenced"},
            {"referencedAt", at}};
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
       {{"project", "amended"},
        {"signedAt", "2025-08-05"},
        {"amountCents", 15 * kUpgrade2024},
        {"establishments", ests},
        {"durationMonths", 6}});
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-08-10",
                 Pay("amended", "balance", 15 * kUpgrade2024 / 2, "2025-08-10")),
            "CONVENTION_EXPIRED");
  EXPECT_EQ(StatusAsOf("amended", "2025-08-10"), "lapsed");
  Must("ars-bzh", "convention.signed", "2025-08-06",
       {{"project", "amended"},
        {"signedAt", "2025-08-06"},
        {"amountCents", 15 * kUpgrade2024},
        {"establishments", ests},
        {"durationMonths", 7}});
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
  SubmitSelectSign(Submission("in-time", {Et(1)}, "generalisation-2024", "upgrade"), kUpgrade2024,
                   "2024-06-01", 9);
  SubmitSelectSign(Submission("late", {Et(2)}, "generalisation-2024", "upgrade"), kUpgrade2024,
                   "2024-06-01", 9);
  MeasureAll({Et(1)}, "2024-12-01", "2025-02-28");
  MeasureAll({Et(2)}, "2025-01-01", "2025-03-31");
  EXPECT_THAT(WarningCodes("in-time"), Not(Contains("TARGETS_LATE")));
  EXPECT_THAT(WarningCodes("late"), Contains("TARGETS_LATE"));
  AdvanceAndExpenses("late", kUpgrade2024, "2024-06-10");
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-04-10",
                 Pay("late", "balance", kUpgrade2024 / 2, "2025-04-10")),
            "OK");
}

// 000 §4.5.2 / 003 §3.4.2: « Ces délais indicatifs ne concernent pas les projets de
// portée nationale ». A project on the national guichet (50 ESSMS or more in several
// regions) first meeting its targets after signedAt + 9 months gets no TARGETS_LATE;
// 49 ESSMS in the same two regions (regional guichet) still get it. 2024, usage,
// signed 2024-06-01: indicative end 2025-03-01; both first meet the targets over the
// quarter ending 2025-03-31.
TEST_F(SecondReadingTest, TargetsLateIsNotRaisedForANationalScopeProject) {
  auto late_grappe = [&](const std::string& project, int base, int count,
                         const std::string& signer) {
    std::vector<std::string> ests;
    for (int i = 1; i < count; ++i) ests.push_back(Et(base + i));
    ests.push_back(EtIdf(base + 1));  // Île-de-France: two regions
    const int64_t amount = std::min(count, 49) * kUpgrade2024 + std::max(0, count - 49) * 200000;
    Must("porteur", "project.submitted", "2024-03-10",
         Submission(project, ests, "generalisation-2024", "upgrade"));
    Must(signer, "project.selected", "2024-04-15", ::esms::testing::Selected(project));
    Must(signer, "convention.signed", "2024-06-01",
         ::esms::testing::Convention(project, ests, amount, "2024-06-01", 9));
    for (const auto& f : ests) {
      Must("porteur", "indicator.measured", "2025-03-31",
           Measurement(f, "2025-01-01", "2025-03-31"));
    }
  };
  late_grappe("regional", 100, 49, "ars-bzh");
  late_grappe("national", 200, 50, "national");
  EXPECT_THAT(WarningCodes("regional"), Contains("TARGETS_LATE"));
  EXPECT_THAT(WarningCodes("national"), Not(Contains("TARGETS_LATE")));
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
  uint64_t v4 =
      Must("national", "solution.referenced", "2024-01-05", Referenced("4", "medico-social"));
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
            "INVALID_ARGUMENT");
}

// A GHT in the hospital corridor: no EU fund nor HOP'EN for its ESSMS, whatever the
// operation (000 §4.2 C 3); in the médico-social corridor, another operation's fund is
// no conflict (000 §4.2 A 1: two distinct operations).
TEST_F(SecondReadingTest, GhtHospitalCorridorRefusesEuFundsOfAnyOperation) {
  uint64_t eu = Must("national", "eu-funding.declared", "2024-01-10",
                     {{"finess", Et(1)},
                      {"fund", "HOPEN"},
                      {"operation", "upgrade"},
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

// ---- Item 7: amorçage's last 20 % (001 §3, DOMAIN.md §5) ----

class AmorcageTest : public SecondReadingTest {
 protected:
  // DOMAIN.md §5 worked example: 15 conformity ESMS x 10 000 € = 150 000 €; announced
  // 90 / 80 / 80 %, 300 MSSanté messages, 200 DMP documents (AmorcageCommitments).
  json AmorcageSubmission(const std::string& project) {
    json sub = Submission(project, Fifteen(0), "amorcage-2021", "upgrade", "2021-03-01");
    sub["usageCommitments"] = AmorcageCommitments();
    return sub;
  }
  void SignAndPayAdvance(const std::string& project) {
    SubmitSelectSign(AmorcageSubmission(project), kGrant, "2021-06-01", 18);
    Must("payer-bzh", "payment.issued", "2021-06-10",
         Pay(project, "advance", 6000000, "2021-06-10"));
  }
  json Invoice(const std::string& project, const std::string& tranche, const std::string& at) {
    return {{"project", project},
            {"tranche", tranche},
            {"amountCents", 1234500},
            {"receivedAt", at},
            {"reference", "FACT-" + tranche}};
  }
  // Measured 90 / 60 / 80 %, 150 messages, 200 documents over the 15 ESMS.
  void MeasureWorkedExample() {
    int i = 0;
    for (const auto& f : Fifteen(0)) {
      json m = Measurement(f, "2022-01-01", "2022-03-31", 100, 90);
      m["activeFilesWithPlan"] = 54;            // 60 % of 90
      m["activeFilesWithAgendaEvent"] = 72;     // 80 % of 90
      m["mssanteMessages"] = 10;                // 15 x 10 = 150
      m["dmpDocuments"] = ++i == 15 ? 18 : 13;  // 14 x 13 + 18 = 200
      Must("ars-bzh", "indicator.measured", "2022-03-31", m);
    }
  }
  static constexpr int64_t kGrant = 15000000;
};

TEST_F(AmorcageTest, DeploymentIsPaidProrataOfTheWorkedExample25500Euros) {
  SignAndPayAdvance("amo");
  // Parametrisation: the invoice first (001 « dès la réception de la facture »).
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2021-09-01",
                 Pay("amo", "parametrisation", 6000000, "2021-09-01")),
            "NO_INVOICE");
  Must("porteur", "invoice.received", "2021-08-31",
       Invoice("amo", "parametrisation", "2021-08-31"));
  Must("payer-bzh", "payment.issued", "2021-09-01",
       Pay("amo", "parametrisation", 6000000, "2021-09-01"));
  // Deployment: nothing measured yet.
  Must("porteur", "invoice.received", "2022-04-01", Invoice("amo", "deployment", "2022-04-01"));
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2022-04-10",
                 Pay("amo", "deployment", 2550000, "2022-04-10")),
            "TARGETS_NOT_MET");
  MeasureWorkedExample();
  // check shows each criterion and the prorata: 25 500 € of the 30 000 € tranche.
  auto report = CheckProject(projector_->state(), "amo", *domain::Date::Parse("2022-04-10"));
  ASSERT_TRUE(report.ok());
  const TrancheCheck& deployment = report->tranches.back();
  EXPECT_EQ(deployment.tranche, "deployment");
  EXPECT_EQ(deployment.amount_cents, 2550000);
  EXPECT_TRUE(deployment.payable);
  std::vector<std::string> criteria;
  for (const auto& c : deployment.conditions) {
    if (c.code == "USAGE_CRITERION") {
      criteria.push_back(c.detail);
      EXPECT_EQ(c.evidence.size(), 15u);
    }
  }
  ASSERT_EQ(criteria.size(), 5u);
  EXPECT_EQ(criteria[1],
            "planRate: announced 80 %, result 60,00 % (810 / 1350) -> 75,00 % of 6 000,00 \u20ac = "
            "4 500,00 \u20ac");
  EXPECT_EQ(
      criteria[3],
      "mssanteMessages: announced 300, result 150 -> 50,00 % of 6 000,00 \u20ac = 3 000,00 \u20ac");
  // One cent above the prorata is refused; the prorata itself is paid.
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2022-04-10",
                 Pay("amo", "deployment", 2550001, "2022-04-10")),
            "USAGE_SHARE_EXCEEDED");
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2022-04-10",
                 Pay("amo", "deployment", 2550000, "2022-04-10")),
            "OK");
  EXPECT_EQ(State("amo")["paidCents"], 6000000 * 2 + 2550000);
  // The invoices survive a reopen (state snapshot).
  Reopen();
  EXPECT_EQ(projector_->state().FindProject("amo")->invoices.size(), 2u);
}

TEST_F(AmorcageTest, DeploymentWithoutItsInvoiceIsRefused) {
  SignAndPayAdvance("amo");
  Must("porteur", "invoice.received", "2021-08-31",
       Invoice("amo", "parametrisation", "2021-08-31"));
  Must("payer-bzh", "payment.issued", "2021-09-01",
       Pay("amo", "parametrisation", 6000000, "2021-09-01"));
  MeasureWorkedExample();
  // The parametrisation's invoice does not pay the deployment; one received after the
  // payment date does not either.
  Must("porteur", "invoice.received", "2022-04-11", Invoice("amo", "deployment", "2022-04-11"));
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2022-04-10",
                 Pay("amo", "deployment", 100, "2022-04-10")),
            "NO_INVOICE");
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2022-04-11",
                 Pay("amo", "deployment", 100, "2022-04-11")),
            "OK");
}

TEST_F(AmorcageTest, CommitmentsAreRequiredInAmorcageWithTwoCounts) {
  json sub = AmorcageSubmission("no-commitments");
  sub.erase("usageCommitments");
  EXPECT_EQ(Code("porteur", "project.submitted", "2021-03-01", sub), "INVALID_ARGUMENT");
  sub = AmorcageSubmission("one-count");
  sub["usageCommitments"].erase("dmpDocuments");
  EXPECT_EQ(Code("porteur", "project.submitted", "2021-03-01", sub), "INVALID_ARGUMENT");
  sub = AmorcageSubmission("rate-101");
  sub["usageCommitments"]["planRate"] = 101;
  EXPECT_EQ(Code("porteur", "project.submitted", "2021-03-01", sub), "INVALID_ARGUMENT");
  sub["usageCommitments"]["planRate"] = 100;
  EXPECT_EQ(Code("porteur", "project.submitted", "2021-03-01", sub), "OK");
  // Généralisation does not need them.
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("g", {Et(90)})), "OK");
}

TEST_F(AmorcageTest, AnInvoiceBelongsToAnAmorcageProject) {
  SubmitSelectSign(Submission("g", {Et(1)}), kAcquisition2024);
  EXPECT_EQ(
      Code("porteur", "invoice.received", "2024-07-01", Invoice("g", "deployment", "2024-07-01")),
      "INVALID_TRANSITION");
  EXPECT_EQ(
      Code("porteur", "invoice.received", "2024-07-01", Invoice("g", "balance", "2024-07-01")),
      "INVALID_ARGUMENT");
}

// ---- Item 17: target adjustments name their indicators and a date ----

class AdjustmentTest : public SecondReadingTest {
 protected:
  // A 2024 usage project whose only ESSMS measures 85 active files of 100 persons
  // (85 % < 90 %) from 2024-12-01 to 2025-02-28; everything else meets its target.
  void SetUpProject() {
    SubmitSelectSign(Submission("anon", {Et(1)}, "generalisation-2024", "upgrade"), kUpgrade2024);
    json m = Measurement(Et(1), "2024-12-01", "2025-02-28", 100, 85);
    Must("ars-bzh", "indicator.measured", "2025-03-01", m);
    AdvanceAndExpenses("anon", kUpgrade2024, "2024-06-10");
  }
  json Adjusted(const std::vector<std::string>& indicators, const std::string& from) {
    return {{"finess", Et(1)},
            {"denominator", 94},
            {"indicators", indicators},
            {"effectiveFrom", from},
            {"reason", "accueil anonyme"}};
  }
  std::string Balance() { return BalanceOn("2025-03-10"); }
  std::string BalanceOn(const std::string& paid_at) {
    return Code("payer-bzh", "payment.issued", paid_at,
                Pay("anon", "balance", kUpgrade2024 / 2, paid_at));
  }
};

TEST_F(AdjustmentTest, OnlyTheNamedIndicatorsDenominatorIsReplaced) {
  SetUpProject();
  EXPECT_EQ(Balance(), "TARGETS_NOT_MET");
  // 85 / 94 = 90,4 % would pass, but the plan's denominator is not the active files'.
  Must("ars-bzh", "targets.adjusted", "2025-03-05", Adjusted({"plan", "agenda"}, "2025-02-28"));
  EXPECT_EQ(Balance(), "TARGETS_NOT_MET");
  Must("ars-bzh", "targets.adjusted", "2025-03-06", Adjusted({"activeFiles"}, "2025-02-28"));
  EXPECT_EQ(Balance(), "OK");
}

TEST_F(AdjustmentTest, EffectiveTheDayAfterThePeriodEndsItDoesNotApply) {
  SetUpProject();
  uint64_t later =
      Must("ars-bzh", "targets.adjusted", "2025-03-05", Adjusted({"activeFiles"}, "2025-03-01"));
  EXPECT_EQ(Balance(), "TARGETS_NOT_MET");
  auto report = CheckProject(projector_->state(), "anon", *domain::Date::Parse("2025-03-10"));
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->tranches.back().payable);
  for (const auto& c : report->tranches.back().conditions) {
    EXPECT_THAT(c.evidence, Not(Contains(later))) << c.code;
  }
}

TEST_F(AdjustmentTest, AnAdjustmentRecordedAfterARefusalDoesNotChangeRecordedPayments) {
  SetUpProject();
  EXPECT_EQ(Balance(), "TARGETS_NOT_MET");
  EXPECT_EQ(State("anon")["paidCents"], kUpgrade2024 / 2);
  Must("ars-bzh", "targets.adjusted", "2025-03-20", Adjusted({"activeFiles"}, "2025-02-01"));
  // The refused payment stays refused (no record); a payment decided on 2025-03-10
  // again does not see an adjustment dated 2025-03-20 (DOMAIN.md §6); one decided on
  // its date does.
  EXPECT_EQ(State("anon")["paidCents"], kUpgrade2024 / 2);
  EXPECT_EQ(Balance(), "TARGETS_NOT_MET");
  EXPECT_EQ(BalanceOn("2025-03-20"), "OK");
}

// DOMAIN.md §6 (issue 13 item 17): « it counts for a payment or a `check --at` only if
// its business date (`at`) is on or before that date ». Recorded before the payment in
// ledger order, dated the day after its paidAt: it does not count.
TEST_F(AdjustmentTest, DatedTheDayAfterThePaymentItDoesNotCount) {
  SetUpProject();
  Must("ars-bzh", "targets.adjusted", "2025-03-11", Adjusted({"activeFiles"}, "2025-02-01"));
  EXPECT_EQ(Balance(), "TARGETS_NOT_MET");  // paid 2025-03-10
  EXPECT_EQ(BalanceOn("2025-03-11"), "OK");
}

// Dated the payment's own day: it counts (« on or before »).
TEST_F(AdjustmentTest, DatedThePaymentsDayItCounts) {
  SetUpProject();
  Must("ars-bzh", "targets.adjusted", "2025-03-10", Adjusted({"activeFiles"}, "2025-02-28"));
  EXPECT_EQ(Balance(), "OK");
  EXPECT_EQ(State("anon")["status"], "balance-paid");
}

// `check --at D`: an adjustment dated after D never makes D payable, whatever its
// effectiveFrom (before D here); as of its own date it does, with its seq as evidence.
TEST_F(AdjustmentTest, CheckAtCountsOnlyAdjustmentsDatedByThen) {
  SetUpProject();
  const uint64_t seq =
      Must("ars-bzh", "targets.adjusted", "2025-03-20", Adjusted({"activeFiles"}, "2025-02-01"));
  auto balance_at = [&](const std::string& at) {
    auto report = CheckProject(projector_->state(), "anon", *domain::Date::Parse(at));
    EXPECT_TRUE(report.ok());
    return report.ok() ? report->tranches.back() : TrancheCheck{};
  };
  TrancheCheck before = balance_at("2025-03-19");
  EXPECT_FALSE(before.payable);
  for (const auto& c : before.conditions) EXPECT_THAT(c.evidence, Not(Contains(seq))) << c.code;
  TrancheCheck on = balance_at("2025-03-20");
  EXPECT_TRUE(on.payable);
  bool used = false;
  for (const auto& c : on.conditions) {
    if (c.code == "USAGE_TARGETS_MET")
      used = std::find(c.evidence.begin(), c.evidence.end(), seq) != c.evidence.end();
  }
  EXPECT_TRUE(used);
  // The date survives the state's snapshot (reopened from it), and a fold from seq 0
  // reads it from the record.
  Reopen();
  EXPECT_EQ(projector_->source(), Projector::Source::kSnapshot);
  EXPECT_FALSE(balance_at("2025-03-19").payable);
  EXPECT_TRUE(balance_at("2025-03-20").payable);
  ASSERT_TRUE(projector_->Rebuild().ok());
  EXPECT_FALSE(balance_at("2025-03-19").payable);
  EXPECT_TRUE(balance_at("2025-03-20").payable);
}

// effectiveFrom after the measurement's period end: never applied, even dated before
// the decision; on the period's end day: applied.
TEST_F(AdjustmentTest, EffectiveFromIsComparedWithThePeriodEnd) {
  SetUpProject();
  const uint64_t late =
      Must("ars-bzh", "targets.adjusted", "2025-03-05", Adjusted({"activeFiles"}, "2025-03-01"));
  EXPECT_EQ(BalanceOn("2025-03-10"), "TARGETS_NOT_MET");
  Must("ars-bzh", "event.voided", "2025-03-06", {{"seq", late}, {"reason", "wrong date"}});
  Must("ars-bzh", "targets.adjusted", "2025-03-06", Adjusted({"activeFiles"}, "2025-02-28"));
  EXPECT_EQ(BalanceOn("2025-03-10"), "OK");
}

TEST_F(AdjustmentTest, IndicatorsAndEffectiveFromAreRequired) {
  json a = Adjusted({"activeFiles"}, "2025-02-28");
  a.erase("indicators");
  EXPECT_EQ(Code("ars-bzh", "targets.adjusted", "2025-03-05", a), "INVALID_ARGUMENT");
  a = Adjusted({}, "2025-02-28");
  EXPECT_EQ(Code("ars-bzh", "targets.adjusted", "2025-03-05", a), "INVALID_ARGUMENT");
  a = Adjusted({"activeFiles"}, "2025-02-28");
  a.erase("effectiveFrom");
  EXPECT_EQ(Code("ars-bzh", "targets.adjusted", "2025-03-05", a), "INVALID_ARGUMENT");
  EXPECT_EQ(Code("ars-bzh", "targets.adjusted", "2025-03-05", Adjusted({"persons"}, "2025-02-28")),
            "INVALID_ARGUMENT");
  EXPECT_EQ(Code("ars-bzh", "targets.adjusted", "2025-03-05",
                 Adjusted({"mssante", "mssante"}, "2025-02-28")),
            "INVALID_ARGUMENT");
}

// ---- Item 21: funding granted outside the ledger ----

TEST_F(SecondReadingTest, FundingRecordedOutsideTheLedgerIsSeenByNonCumulation) {
  json funding = {{"finess", Et(1)},        {"campaign", "segur-2021"},
                  {"solution", Solution()}, {"operation", "acquisition"},
                  {"amountCents", 2100000}, {"grantedAt", "2021-11-15"}};
  EXPECT_EQ(Code("ars-bzh", "funding.recorded", "2024-01-02", funding), "PERMISSION_DENIED");
  uint64_t seq = Must("national", "funding.recorded", "2024-01-02", funding);
  Reopen();  // the fact survives the state snapshot
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("same", {Et(1)})),
            "NONCUMUL_SAME_SOFTWARE");
  EXPECT_THAT(last_status_.conflicts(), Contains(seq));
  json other = Submission("other", {Et(1)});
  other["solution"] = Solution("Autre DUI", "Editeur B");
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", other), "NONCUMUL_SECOND_DUI");
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("free", {Et(2)})), "OK");
}

}  // namespace
}  // namespace esms::projections::testing
