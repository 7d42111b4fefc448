#include "domain/date.h"

#include <gtest/gtest.h>

namespace esms::domain {
namespace {

// Parses or returns the error text, so a failure reads like the bug.
std::string Roundtrip(std::string_view text) {
  Result<Date> date = Date::Parse(text);
  return date.ok() ? date->ToString() : date.status().ToString();
}

Date D(std::string_view text) { return *Date::Parse(text); }

TEST(DateTest, ParsesStrictIsoDates) {
  EXPECT_EQ(Roundtrip("2024-03-10"), "2024-03-10");
  EXPECT_EQ(Roundtrip("1970-01-01"), "1970-01-01");
  EXPECT_EQ(D("1970-01-01").days(), 0);
  EXPECT_EQ(D("2000-03-01").days(), 11017);
  EXPECT_EQ(D("1969-12-31").days(), -1);
}

TEST(DateTest, RefusesImpossibleOrSloppyDates) {
  for (std::string_view bad : {"2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31",
                               "2024-1-01", "2024/01/01", "24-01-01", "2024-01-01T00:00",
                               " 2024-01-01", "", "2024-01-0a", "+024-01-01"}) {
    Result<Date> date = Date::Parse(bad);
    ASSERT_FALSE(date.ok()) << bad;
    EXPECT_EQ(date.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(date.status().message().find("not a date (YYYY-MM-DD)"), std::string::npos);
  }
}

TEST(DateTest, RefusalNamesTheText) {
  EXPECT_EQ(Roundtrip("2024-02-30"), "BAD_INPUT: not a date (YYYY-MM-DD): \"2024-02-30\"");
}

TEST(DateTest, LeapYears) {
  EXPECT_EQ(Roundtrip("2024-02-29"), "2024-02-29");
  EXPECT_EQ(Roundtrip("2000-02-29"), "2000-02-29");  // divisible by 400
  EXPECT_FALSE(Date::Parse("1900-02-29").ok());      // divisible by 100 only
  EXPECT_FALSE(Date::Parse("2023-02-29").ok());
  EXPECT_TRUE(Date::IsLeapYear(2024));
  EXPECT_FALSE(Date::IsLeapYear(2100));
  EXPECT_EQ(D("2024-02-28").AddDays(1).ToString(), "2024-02-29");
  EXPECT_EQ(D("2023-02-28").AddDays(1).ToString(), "2023-03-01");
  EXPECT_EQ(D("2024-12-31").days() - D("2024-01-01").days(), 365);
}

TEST(DateTest, FromCivilValidates) {
  EXPECT_EQ(Date::FromCivil(2024, 2, 29)->ToString(), "2024-02-29");
  EXPECT_EQ(Date::FromCivil(9, 3, 4)->ToString(), "0009-03-04");
  EXPECT_EQ(Date::FromCivil(9999, 12, 31)->ToString(), "9999-12-31");
  EXPECT_EQ(Date::FromCivil(0, 1, 1)->ToString(), "0000-01-01");
  EXPECT_FALSE(Date::FromCivil(2024, 2, 30).has_value());
  EXPECT_FALSE(Date::FromCivil(2024, 0, 1).has_value());
  EXPECT_FALSE(Date::FromCivil(10000, 1, 1).has_value());
  EXPECT_EQ(Date::FromDays(D("2031-07-14").days()), D("2031-07-14"));
}

TEST(DateTest, CivilFieldsRoundtripOverCenturies) {
  for (int64_t days = -700000; days <= 2900000; days += 997) {
    Date date = Date::FromDays(days);
    std::optional<Date> again = Date::FromCivil(date.year(), date.month(), date.day());
    ASSERT_TRUE(again.has_value()) << days;
    EXPECT_EQ(again->days(), days);
    Result<Date> parsed = Date::Parse(date.ToString());  // years 0000-9999: all in range
    ASSERT_TRUE(parsed.ok()) << date.ToString();
    EXPECT_EQ(parsed->days(), days);
  }
}

TEST(DateTest, AddMonthsClampsToMonthEnd) {
  EXPECT_EQ(D("2024-01-31").AddMonths(1).ToString(), "2024-02-29");
  EXPECT_EQ(D("2023-01-31").AddMonths(1).ToString(), "2023-02-28");
  EXPECT_EQ(D("2024-03-31").AddMonths(-1).ToString(), "2024-02-29");
  EXPECT_EQ(D("2024-08-31").AddMonths(18).ToString(), "2026-02-28");
  EXPECT_EQ(D("2024-05-15").AddMonths(-17).ToString(), "2022-12-15");
  EXPECT_EQ(D("2024-05-15").AddMonths(0), D("2024-05-15"));
}

TEST(DateTest, EndOfMonthAndOrdering) {
  EXPECT_EQ(D("2024-02-10").EndOfMonth().ToString(), "2024-02-29");
  EXPECT_EQ(D("2024-12-01").EndOfMonth().ToString(), "2024-12-31");
  EXPECT_LT(D("2023-09-15"), D("2023-09-16"));
  EXPECT_EQ(D("2023-09-15"), D("2023-09-15"));
  EXPECT_EQ(D("2024-06-30").year(), 2024);
  EXPECT_EQ(D("2024-06-30").month(), 6);
  EXPECT_EQ(D("2024-06-30").day(), 30);
}

}  // namespace
}  // namespace esms::domain
