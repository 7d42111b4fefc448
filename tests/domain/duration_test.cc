// Durations and deadlines (DOMAIN.md §5 "Durations"; 000/003 §4.5.2 / §3.4.2, 002).
#include "domain/duration.h"

#include <gtest/gtest.h>

#include <string>

namespace esms::domain {
namespace {

Date D(const char* text) { return *Date::Parse(text); }

TEST(DurationTest, CampaignDurationsByKind) {
  EXPECT_EQ(DurationFor(Campaign::kGeneralisation2025, ProjectKind::kAcquisition).months, 18);
  EXPECT_EQ(DurationFor(Campaign::kGeneralisation2025, ProjectKind::kMixed).months, 18);
  EXPECT_EQ(DurationFor(Campaign::kGeneralisation2025, ProjectKind::kUsage).months, 6);
  EXPECT_TRUE(DurationFor(Campaign::kGeneralisation2025, ProjectKind::kUsage).opposable);
  EXPECT_EQ(DurationFor(Campaign::kGeneralisation2023, ProjectKind::kUsage).months, 9);
  EXPECT_FALSE(DurationFor(Campaign::kGeneralisation2024, ProjectKind::kAcquisition).opposable);
  EXPECT_EQ(DurationFor(Campaign::kAmorcage2021, ProjectKind::kAcquisition).months, 0);
}

TEST(DurationTest, EndIsSignedAtPlusMonthsClampedToTheMonthEnd) {
  EXPECT_EQ(DurationEnd(D("2025-01-15"), 6), D("2025-07-15"));
  EXPECT_EQ(DurationEnd(D("2024-08-31"), 6), D("2025-02-28"));
  EXPECT_EQ(DurationEnd(D("2023-08-31"), 6), D("2024-02-29"));  // leap year
  EXPECT_EQ(DurationEnd(D("2025-03-01"), 18), D("2026-09-01"));
  EXPECT_EQ(DurationEnd(D("2025-03-01"), 1'000'000), D("2125-03-01"));  // bounded
}

TEST(DurationTest, AboveContractOnlyIn2025AndOnlyAboveTheFigure) {
  EXPECT_FALSE(DurationAboveContract(Campaign::kGeneralisation2025, ProjectKind::kUsage, 6));
  EXPECT_TRUE(DurationAboveContract(Campaign::kGeneralisation2025, ProjectKind::kUsage, 7));
  EXPECT_FALSE(DurationAboveContract(Campaign::kGeneralisation2025, ProjectKind::kMixed, 18));
  EXPECT_TRUE(DurationAboveContract(Campaign::kGeneralisation2025, ProjectKind::kMixed, 19));
  EXPECT_FALSE(DurationAboveContract(Campaign::kGeneralisation2024, ProjectKind::kUsage, 30));
  EXPECT_FALSE(DurationAboveContract(Campaign::kAmorcage2021, ProjectKind::kUsage, 30));
}

TEST(DurationTest, RulesListTheDeadlineFigures) {
  auto has = [](Campaign c, const std::string& name) {
    for (const RuleFigure& f : DescribeRules(c)) {
      if (f.name == name) return !f.source.empty();
    }
    return false;
  };
  EXPECT_TRUE(has(Campaign::kGeneralisation2025, "balance deadline"));
  EXPECT_TRUE(has(Campaign::kGeneralisation2025,
                  "duration above the contract (warning DURATION_ABOVE_CONTRACT)"));
  EXPECT_TRUE(has(Campaign::kGeneralisation2023, "late targets (warning TARGETS_LATE)"));
  EXPECT_FALSE(has(Campaign::kGeneralisation2023, "balance deadline"));
  EXPECT_TRUE(has(Campaign::kGeneralisation2024, "S\u00e9gur referencing per version"));
  EXPECT_FALSE(has(Campaign::kAmorcage2021, "S\u00e9gur corridor"));
}

}  // namespace
}  // namespace esms::domain
