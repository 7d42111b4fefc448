#include "domain/region.h"

#include <gtest/gtest.h>

#include <set>

namespace esms::domain {
namespace {

std::string RegionOf(std::string_view departement) {
  std::optional<Region> region = Region::OfDepartement(departement);
  return region ? region->code() : "none";
}

TEST(RegionTest, ParsesKnownCodes) {
  EXPECT_EQ(Region::Parse("53")->name(), "Bretagne");
  EXPECT_EQ(Region::Parse("11")->name(), "\u00cele-de-France");
  EXPECT_EQ(Region::Parse("06")->name(), "Mayotte");
  EXPECT_EQ(Region::Parse("94")->name(), "Corse");
  EXPECT_EQ(Region::All().size(), 18u);
}

TEST(RegionTest, RefusesUnknownCodes) {
  for (std::string_view bad : {"", "5", "053", "00", "05", "12", "6", "Bretagne"}) {
    Result<Region> region = Region::Parse(bad);
    ASSERT_FALSE(region.ok()) << bad;
    EXPECT_EQ(region.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(region.status().message().find("unknown INSEE region code"), std::string::npos);
  }
}

TEST(RegionTest, OverseasAndCorsica) {
  for (std::string_view code : {"01", "02", "03", "04", "06", "94"}) {
    EXPECT_TRUE(Region::Parse(code)->overseas_or_corsica()) << code;
  }
  for (std::string_view code : {"11", "53", "44", "76", "93"}) {
    EXPECT_FALSE(Region::Parse(code)->overseas_or_corsica()) << code;
  }
}

TEST(RegionTest, DepartementToRegion) {
  EXPECT_EQ(RegionOf("35"), "53");
  EXPECT_EQ(RegionOf("2A"), "94");
  EXPECT_EQ(RegionOf("2B"), "94");
  EXPECT_EQ(RegionOf("976"), "06");
  EXPECT_EQ(RegionOf("974"), "04");
  EXPECT_EQ(RegionOf("75"), "11");
  EXPECT_EQ(RegionOf("67"), "44");
  EXPECT_EQ(RegionOf("01"), "84");
  EXPECT_EQ(RegionOf("06"), "93");
  EXPECT_EQ(RegionOf("20"), "none");
  EXPECT_EQ(RegionOf("986"), "none");  // Wallis-et-Futuna: no INSEE region
  EXPECT_EQ(RegionOf("96"), "none");
  EXPECT_EQ(RegionOf(""), "none");
}

TEST(RegionTest, EveryMetropolitanDepartementHasExactlyOneRegion) {
  std::set<std::string> seen;
  for (int n = 1; n <= 95; ++n) {
    if (n == 20) continue;  // Corsica is 2A / 2B
    char text[3] = {static_cast<char>('0' + n / 10), static_cast<char>('0' + n % 10), 0};
    EXPECT_NE(RegionOf(text), "none") << text;
    seen.insert(RegionOf(text));
  }
  EXPECT_EQ(seen.size(), 12u);  // the 13 metropolitan regions but Corse
}

}  // namespace
}  // namespace esms::domain

namespace esms::domain {
namespace {

TEST(RegionTest, DefaultIsAnEmptyPlaceholder) {
  Region placeholder;
  EXPECT_EQ(placeholder.code(), "");
  EXPECT_EQ(placeholder.name(), "");
  EXPECT_FALSE(placeholder.overseas_or_corsica());
}

}  // namespace
}  // namespace esms::domain
