// The demo programme's plan at its two scales (DemoGenerator::Create and summary, no
// ledger): the national scale is the whole programme of issue #6, the region scale
// stays small enough for a demo well under a minute.
#include "cli/demo_generator.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>

namespace esms::cli {
namespace {

int ProjectsOf(const DemoSummary& s, const std::string& campaign) {
  for (const auto& [name, n] : s.projects_by_campaign) {
    if (name == campaign) return n;
  }
  return 0;
}

TEST(DemoGeneratorTest, NationalScaleIsTheWholeProgramme) {
  DemoOptions options;
  options.scale = DemoScale::kNational;
  Result<std::unique_ptr<DemoGenerator>> gen = DemoGenerator::Create(options);
  ASSERT_TRUE(gen.ok()) << gen.status().ToString();
  const DemoSummary& s = (*gen)->summary();
  EXPECT_EQ(s.regions, 18);
  EXPECT_GE(s.establishments, 36000);
  EXPECT_LE(s.establishments, 37000);
  // About 1 400 grappes, in every campaign.
  EXPECT_GE(s.projects, 1300) << s.projects;
  EXPECT_LE(s.projects, 1550) << s.projects;
  for (const char* campaign : {"amorcage-2021", "generalisation-2023", "generalisation-2024",
                               "generalisation-2025"}) {
    EXPECT_GT(ProjectsOf(s, campaign), 20) << campaign;
  }
  // Every equipped establishment measured monthly, 2022-2025: about a million records
  // (36 500 establishments x 47 months would be 1.7 million if all had reported since
  // January 2022; the acquisitions report from their convention on).
  EXPECT_GT(s.measured_establishments, 28000);
  EXPECT_GT(s.measurements, 900000u);
  EXPECT_GT(s.events, s.measurements + 10000);
  EXPECT_GT(s.balances, 100);
  EXPECT_GT(s.never_reaching_grappes, 20);
  EXPECT_EQ(s.latest_measure_date, "2025-12-05");
}

TEST(DemoGeneratorTest, RegionScaleStaysADemo) {
  Result<std::unique_ptr<DemoGenerator>> gen = DemoGenerator::Create(DemoOptions{});
  ASSERT_TRUE(gen.ok()) << gen.status().ToString();
  const DemoSummary& s = (*gen)->summary();
  EXPECT_EQ(s.regions, 1);
  EXPECT_GE(s.establishments, 2000);
  EXPECT_LE(s.establishments, 2010);
  EXPECT_GE(s.projects, 60);
  // A few tens of thousands of records: imported in seconds.
  EXPECT_GT(s.events, 30000u);
  EXPECT_LT(s.events, 120000u);
}

// The measurements of each establishment are monthly, without gap, from its start to
// the last month reported by the demo's today, in ledger order.
TEST(DemoGeneratorTest, MeasurementsAreMonthlyFromTheStartToToday) {
  DemoOptions options;
  options.establishments = 300;
  Result<std::unique_ptr<DemoGenerator>> gen = DemoGenerator::Create(options);
  ASSERT_TRUE(gen.ok()) << gen.status().ToString();
  std::map<std::string, std::set<std::string>> months;  // FINESS -> "YYYY-MM"
  uint64_t events = 0, measurements = 0;
  std::string last_date;
  Status s = (*gen)->Emit([&](const DemoEvent& e) {
    ++events;
    EXPECT_LE(last_date, e.date) << e.id;  // business dates never go backwards
    last_date = e.date;
    if (e.id.starts_with("m/")) {
      ++measurements;
      // m/<finess>/<yyyy-mm>
      const size_t slash = e.id.rfind('/');
      EXPECT_TRUE(months[e.id.substr(2, slash - 2)].insert(e.id.substr(slash + 1)).second) << e.id;
    }
    return Status::OK();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(events, (*gen)->summary().events);
  EXPECT_EQ(measurements, (*gen)->summary().measurements);
  for (const auto& [finess, seen] : months) {
    const int first = std::stoi(seen.begin()->substr(0, 4)) * 12 + std::stoi(seen.begin()->substr(5));
    const int last = std::stoi(seen.rbegin()->substr(0, 4)) * 12 + std::stoi(seen.rbegin()->substr(5));
    // Renumbered establishments report under two numbers: each run is gapless.
    EXPECT_EQ(static_cast<int>(seen.size()), last - first + 1) << finess;
    EXPECT_GE(first, 2022 * 12 + 1) << finess;  // not before January 2022
  }
}

}  // namespace
}  // namespace esms::cli
