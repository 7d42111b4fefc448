#include "domain/calendar.h"

#include <gtest/gtest.h>

#include <string>

namespace esms::domain {
namespace {

Date D(std::string_view text) { return *Date::Parse(text); }

// "regional" / "national".
std::string Guichet(Campaign c, int essms, int regions) {
  return std::string(GuichetId(DecideGuichet(c, essms, regions).guichet));
}

// "in" / "out" / "unchecked", so a failure names the case.
std::string Window(Campaign c, std::string_view date, int regions) {
  WindowCheck check = CheckSubmissionWindow(c, D(date), regions);
  if (!check.checked) return "unchecked";
  return check.within ? "in" : "out";
}

// The amounts of a schedule as "advance=...; balance=...".
std::string Schedule(Campaign c, int64_t cents) {
  std::string out;
  for (const TrancheAmount& t : PaymentSchedule(c, Money::Cents(cents))) {
    if (!out.empty()) out += "; ";
    out += std::string(ToString(t.tranche)) + "=" + std::to_string(t.amount.cents());
  }
  return out;
}

TEST(GuichetTest, FiftyEssmsAndRegions) {
  for (Campaign c : {Campaign::kGeneralisation2023, Campaign::kGeneralisation2024,
                     Campaign::kGeneralisation2025}) {
    EXPECT_EQ(Guichet(c, 49, 1), "regional");
    EXPECT_EQ(Guichet(c, 49, 2), "regional");
    EXPECT_EQ(Guichet(c, 50, 1), "regional");
    EXPECT_EQ(Guichet(c, 50, 2), "national");
    EXPECT_EQ(Guichet(c, 300, 5), "national");
  }
  GuichetDecision d = DecideGuichet(Campaign::kGeneralisation2024, 50, 2);
  EXPECT_EQ(d.reason, "50 ESSMS in 2 regions: national (50 or more ESSMS in several regions)");
  EXPECT_EQ(d.source, "003 \u00a77");
  EXPECT_EQ(DecideGuichet(Campaign::kGeneralisation2023, 49, 3).reason,
            "49 ESSMS in 3 regions: regional (fewer than 50 ESSMS)");
}

TEST(GuichetTest, AmorcageIsAlwaysRegional) {
  EXPECT_EQ(Guichet(Campaign::kAmorcage2021, 60, 3), "regional");
}

TEST(SubmissionWindowTest, Regional2023ClosingDayIncluded) {
  EXPECT_EQ(Window(Campaign::kGeneralisation2023, "2023-09-15", 1), "in");
  EXPECT_EQ(Window(Campaign::kGeneralisation2023, "2023-09-16", 1), "out");
  EXPECT_EQ(Window(Campaign::kGeneralisation2023, "2023-01-15", 1), "in");
  EXPECT_EQ(Window(Campaign::kGeneralisation2023, "2023-01-14", 1), "out");
}

TEST(SubmissionWindowTest, MultiRegional2023ClosesEarlier) {
  EXPECT_EQ(Window(Campaign::kGeneralisation2023, "2023-06-15", 2), "in");
  EXPECT_EQ(Window(Campaign::kGeneralisation2023, "2023-06-16", 2), "out");
  EXPECT_EQ(Window(Campaign::kGeneralisation2023, "2023-06-16", 1), "in");
  WindowCheck c = CheckSubmissionWindow(Campaign::kGeneralisation2023, D("2023-07-01"), 3);
  EXPECT_EQ(c.kind, WindowKind::kMultiRegional);
  EXPECT_EQ(c.window->closes.ToString(), "2023-06-15");
  EXPECT_EQ(c.detail,
            "submitted 2023-07-01, after the multi-regional window closed: 2023-01-15 to "
            "2023-06-15 (000 \u00a74.6); the file is non recevable");
}

TEST(SubmissionWindowTest, Windows2024) {
  EXPECT_EQ(Window(Campaign::kGeneralisation2024, "2024-09-15", 1), "in");
  EXPECT_EQ(Window(Campaign::kGeneralisation2024, "2024-09-16", 1), "out");
  EXPECT_EQ(Window(Campaign::kGeneralisation2024, "2024-06-01", 2), "in");
  EXPECT_EQ(Window(Campaign::kGeneralisation2024, "2024-06-02", 2), "out");
  EXPECT_EQ(Window(Campaign::kGeneralisation2024, "2024-01-14", 2), "out");
}

TEST(SubmissionWindowTest, Amorcage2021HasOneWindow) {
  EXPECT_EQ(Window(Campaign::kAmorcage2021, "2021-04-30", 1), "in");
  EXPECT_EQ(Window(Campaign::kAmorcage2021, "2021-05-01", 1), "out");
  EXPECT_EQ(Window(Campaign::kAmorcage2021, "2021-04-30", 2), "in");
  EXPECT_EQ(Window(Campaign::kAmorcage2021, "2021-02-11", 1), "out");
}

TEST(SubmissionWindowTest, NoWindowIn2025AndTheCheckSaysSo) {
  WindowCheck c = CheckSubmissionWindow(Campaign::kGeneralisation2025, D("2031-01-01"), 2);
  EXPECT_FALSE(c.checked);
  EXPECT_TRUE(c.within);
  EXPECT_FALSE(c.window.has_value());
  EXPECT_NE(c.detail.find("no submission window checked for generalisation-2025"),
            std::string::npos)
      << c.detail;
  EXPECT_TRUE(RequireSubmissionInWindow(Campaign::kGeneralisation2025, D("2031-01-01"), 2).ok());
}

TEST(SubmissionWindowTest, RefusalCode) {
  Status s = RequireSubmissionInWindow(Campaign::kGeneralisation2024, D("2024-09-16"), 1);
  EXPECT_EQ(s.error_code(), "SUBMISSION_OUT_OF_WINDOW");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(RequireSubmissionInWindow(Campaign::kGeneralisation2024, D("2024-09-15"), 1).ok());
}

TEST(PaymentScheduleTest, FiftyFifty) {
  EXPECT_EQ(Schedule(Campaign::kGeneralisation2024, 108400000),
            "advance=54200000; balance=54200000");
  // Odd cents: the advance rounds down, the balance takes the remainder.
  EXPECT_EQ(Schedule(Campaign::kGeneralisation2024, 100001), "advance=50000; balance=50001");
  EXPECT_EQ(Schedule(Campaign::kGeneralisation2023, 1), "advance=0; balance=1");
  EXPECT_EQ(Schedule(Campaign::kGeneralisation2025, 333), "advance=166; balance=167");
}

TEST(PaymentScheduleTest, FortyFortyTwenty) {
  EXPECT_EQ(Schedule(Campaign::kAmorcage2021, 75000000),
            "advance=30000000; parametrisation=30000000; deployment=15000000");
  EXPECT_EQ(Schedule(Campaign::kAmorcage2021, 100001),
            "advance=40000; parametrisation=40000; deployment=20001");
  EXPECT_EQ(Schedule(Campaign::kAmorcage2021, 7), "advance=2; parametrisation=2; deployment=3");
  for (int64_t cents : {0, 1, 2, 3, 99, 12345, 99999999}) {
    Money sum;
    for (const TrancheAmount& t : PaymentSchedule(Campaign::kAmorcage2021, Money::Cents(cents))) {
      sum += t.amount;
    }
    EXPECT_EQ(sum.cents(), cents);
  }
}

TEST(PaymentScheduleTest, TrancheFor) {
  Result<TrancheAmount> advance =
      TrancheFor(Campaign::kGeneralisation2024, Tranche::kAdvance, Money::Euros(1084000));
  ASSERT_TRUE(advance.ok());
  EXPECT_EQ(advance->amount, Money::Euros(542000));
  EXPECT_EQ(advance->per_mille, 500);
  EXPECT_EQ(advance->source, "003 \u00a73.4.1");
  Result<TrancheAmount> wrong =
      TrancheFor(Campaign::kGeneralisation2024, Tranche::kParametrisation, Money::Euros(10));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("tranches: advance, balance"), std::string::npos)
      << wrong.status().message();
  EXPECT_EQ(TrancheFor(Campaign::kAmorcage2021, Tranche::kDeployment, Money::Cents(100001))
                ->amount.cents(),
            20001);
}

}  // namespace
}  // namespace esms::domain
