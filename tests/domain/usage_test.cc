#include "domain/usage.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace esms::domain {
namespace {

// A measurement where every rate is exactly at its target.
UsageCounts AtTargets() {
  UsageCounts c;
  c.persons_accompanied = 100;
  c.active_files = 90;                    // 90 %
  c.active_files_with_plan = 81;          // 81 / 90 = 90 %
  c.active_files_with_agenda_event = 81;  // 90 %
  c.persons_eligible = 100;
  c.mssante_messages = 70;  // 70 %
  c.dmp_fed = 70;           // 70 %
  return c;
}

// "met"/"not met" per indicator, in order.
std::string Outcomes(const UsageEvaluation& e) {
  std::string out;
  for (const IndicatorResult& r : e.indicators) {
    if (!out.empty()) out += ", ";
    out += std::string(IndicatorId(r.indicator)) + (r.met ? " met" : " not met");
  }
  return out;
}

TEST(MeetsTargetTest, ExactBoundaries) {
  EXPECT_TRUE(MeetsTarget(9000, 10000, 90));   // exactly 90 % passes
  EXPECT_FALSE(MeetsTarget(8999, 10000, 90));  // 89,99 % fails
  EXPECT_TRUE(MeetsTarget(7, 10, 70));         // exactly 70 % passes
  EXPECT_FALSE(MeetsTarget(6999, 10000, 70));
  EXPECT_TRUE(MeetsTarget(12, 10, 90));  // above 100 % still meets
  EXPECT_FALSE(MeetsTarget(0, 0, 90));   // zero denominator never meets
  EXPECT_FALSE(MeetsTarget(5, 0, 0));
  EXPECT_FALSE(MeetsTarget(5, -1, 0));
  EXPECT_TRUE(MeetsTarget(0, 10, 0));
}

TEST(MeetsTargetTest, NoOverflowOnHugeCounts) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_TRUE(MeetsTarget(max, max, 90));
  // A denominator close to INT64_MAX: x 100 overflows 64 bits.
  const int64_t den = max / 100 * 100;
  EXPECT_TRUE(MeetsTarget(den / 100 * 90, den, 90));       // exactly 90 %
  EXPECT_FALSE(MeetsTarget(den / 100 * 90 - 1, den, 90));  // one short
}

TEST(FormatRateTest, Hundredths) {
  EXPECT_EQ(FormatRate(8999, 10000), "89,99 %");
  EXPECT_EQ(FormatRate(9, 10), "90,00 %");
  EXPECT_EQ(FormatRate(2, 3), "66,66 %");
  EXPECT_EQ(FormatRate(1, 0), "n/a");
}

TEST(EvaluateUsageTest, AllAtTargetsPass) {
  UsageEvaluation e = EvaluateUsage(Campaign::kGeneralisation2024, AtTargets());
  EXPECT_TRUE(e.has_targets);
  EXPECT_TRUE(e.all_met) << Outcomes(e);
  ASSERT_EQ(e.indicators.size(), 5u);
  EXPECT_EQ(e.indicators[0].detail, "active files rate: 90 / 100 = 90,00 % >= 90 %: met");
  EXPECT_EQ(e.indicators[1].numerator, 81);
  EXPECT_EQ(e.indicators[1].denominator, 90);
  EXPECT_EQ(e.indicators[3].target_percent, 70);
  EXPECT_EQ(e.indicators[3].source, "003 \u00a74 A");
  EXPECT_EQ(e.indicators[0].source, "003 \u00a74 B");
}

TEST(EvaluateUsageTest, OneShortIndicatorFailsTheWhole) {
  UsageCounts c = AtTargets();
  c.persons_accompanied = 10000;
  c.active_files = 8999;
  c.active_files_with_plan = 8999;
  c.active_files_with_agenda_event = 8999;
  c.persons_eligible = 10000;
  c.mssante_messages = 7000;
  c.dmp_fed = 6999;
  UsageEvaluation e = EvaluateUsage(Campaign::kGeneralisation2023, c);
  EXPECT_FALSE(e.all_met);
  EXPECT_EQ(Outcomes(e),
            "active-files not met, personalised-plan met, agenda-event met, mssante met, "
            "dmp not met");
  EXPECT_EQ(e.indicators[0].detail, "active files rate: 8999 / 10000 = 89,99 % < 90 %: not met");
}

TEST(EvaluateUsageTest, ZeroDenominatorNeverMeets) {
  UsageCounts c;  // all zero
  UsageEvaluation e = EvaluateUsage(Campaign::kGeneralisation2025, c);
  EXPECT_FALSE(e.all_met);
  for (const IndicatorResult& r : e.indicators) {
    EXPECT_FALSE(r.met) << r.detail;
    EXPECT_NE(r.detail.find("zero denominator"), std::string::npos) << r.detail;
  }
}

TEST(EvaluateUsageTest, AmorcageHasNoFixedTargets) {
  UsageEvaluation e = EvaluateUsage(Campaign::kAmorcage2021, AtTargets());
  EXPECT_FALSE(e.has_targets);
  EXPECT_FALSE(e.all_met);
  EXPECT_TRUE(e.indicators.empty());
}

TEST(CountsOfTest, PersonsEligibleDefaultsToPersonsAccompanied) {
  IndicatorMeasured m;
  m.persons_accompanied = 120;
  m.active_files = 110;
  m.active_files_with_plan = 100;
  m.active_files_with_agenda_event = 99;
  m.mssante_messages = 84;
  m.dmp_fed = 90;
  UsageCounts c = CountsOf(m);
  EXPECT_EQ(c.persons_eligible, 120);
  EXPECT_EQ(RatioOf(c, Indicator::kMssante).denominator, 120);
  EXPECT_EQ(RatioOf(c, Indicator::kPersonalisedPlan).denominator, 110);
  EXPECT_EQ(RatioOf(c, Indicator::kActiveFiles).denominator, 120);
  m.persons_eligible = 100;
  c = CountsOf(m);
  EXPECT_EQ(RatioOf(c, Indicator::kDmp).numerator, 90);
  EXPECT_EQ(RatioOf(c, Indicator::kDmp).denominator, 100);
  EXPECT_TRUE(EvaluateUsage(Campaign::kGeneralisation2024, c).all_met);
}

}  // namespace
}  // namespace esms::domain
