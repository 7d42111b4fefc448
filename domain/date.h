// Date: a civil calendar date (proleptic Gregorian), with no time zone and no time of
// day. Business dates of the programme ("at", "submittedAt", "paidAt", window bounds)
// are Dates; comparisons and day/month arithmetic are exact integer operations.
//
// A Date is a small value type: copyable, comparable, hashable by days(). It is only
// ever valid: the factories refuse impossible days (2024-02-30).
//
// Thread-safety: immutable value type; safe to share between threads.
#ifndef ESMS_DOMAIN_DATE_H_
#define ESMS_DOMAIN_DATE_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace esms::domain {

class Date {
 public:
  // 1970-01-01.
  constexpr Date() = default;

  // Strict "YYYY-MM-DD" (10 characters, ASCII digits, a real day of years 0000-9999);
  // anything else -> Status::BadInput("not a date (YYYY-MM-DD): \"<text>\"").
  static Result<Date> Parse(std::string_view yyyy_mm_dd);
  // The date `days_since_1970_01_01` days after 1970-01-01 (negative: before it).
  static Date FromDays(int64_t days_since_1970_01_01);
  // nullopt unless 0 <= year <= 9999, 1 <= month <= 12 and the day exists.
  static std::optional<Date> FromCivil(int year, int month, int day);

  int year() const;
  int month() const;                      // 1..12
  int day() const;                        // 1..31
  int64_t days() const { return days_; }  // days since 1970-01-01

  Date AddDays(int64_t n) const { return Date(days_ + n); }
  // The same day `n` months later (earlier if n < 0), clamped to the end of the
  // target month: 2024-01-31 + 1 month = 2024-02-29.
  Date AddMonths(int n) const;
  // The last day of this date's month.
  Date EndOfMonth() const;

  // "YYYY-MM-DD".
  std::string ToString() const;

  static bool IsLeapYear(int year);
  static int DaysInMonth(int year, int month);

  friend auto operator<=>(const Date&, const Date&) = default;
  friend bool operator==(const Date&, const Date&) = default;

 private:
  explicit constexpr Date(int64_t days) : days_(days) {}

  int64_t days_ = 0;
};

}  // namespace esms::domain

#endif  // ESMS_DOMAIN_DATE_H_
