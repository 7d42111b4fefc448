#include "domain/date.h"

#include <algorithm>
#include <cstdio>

namespace esms::domain {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days (public domain), exact for the
// proleptic Gregorian calendar.
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;                                    // [0, 399]
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t year;
  int month;
  int day;
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                       // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return Civil{yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

}  // namespace

bool Date::IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int Date::DaysInMonth(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 0;
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month - 1];
}

Result<Date> Date::Parse(std::string_view text) {
  auto bad = [&] {
    return Status::BadInput("not a date (YYYY-MM-DD): \"" + std::string(text) + "\"");
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  auto number = [&](size_t from, size_t len, int* out) {
    int value = 0;
    for (size_t i = from; i < from + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      value = value * 10 + (text[i] - '0');
    }
    *out = value;
    return true;
  };
  int year = 0, month = 0, day = 0;
  if (!number(0, 4, &year) || !number(5, 2, &month) || !number(8, 2, &day)) return bad();
  std::optional<Date> date = FromCivil(year, month, day);
  if (!date) return bad();
  return *date;
}

Date Date::FromDays(int64_t days_since_1970_01_01) { return Date(days_since_1970_01_01); }

std::optional<Date> Date::FromCivil(int year, int month, int day) {
  if (year < 0 || year > 9999 || month < 1 || month > 12 || day < 1 ||
      day > DaysInMonth(year, month)) {
    return std::nullopt;
  }
  return Date(DaysFromCivil(year, month, day));
}

int Date::year() const { return static_cast<int>(CivilFromDays(days_).year); }
int Date::month() const { return CivilFromDays(days_).month; }
int Date::day() const { return CivilFromDays(days_).day; }

Date Date::AddMonths(int n) const {
  const Civil c = CivilFromDays(days_);
  const int64_t months = c.year * 12 + (c.month - 1) + n;
  // Floor division so that months before year 0 still land in [1, 12].
  const int64_t year = months >= 0 ? months / 12 : (months - 11) / 12;
  const int month = static_cast<int>(months - year * 12) + 1;
  const int day = std::min(c.day, DaysInMonth(static_cast<int>(year), month));
  return Date(DaysFromCivil(year, month, day));
}

Date Date::EndOfMonth() const {
  const Civil c = CivilFromDays(days_);
  return Date(DaysFromCivil(c.year, c.month, DaysInMonth(static_cast<int>(c.year), c.month)));
}

std::string Date::ToString() const {
  const Civil c = CivilFromDays(days_);
  if (c.year >= 0 && c.year <= 9999) {
    // YYYY-MM-DD without snprintf (a tenth of its cost: every imported event's date).
    std::string out(10, '-');
    const auto two = [&out](size_t at, int v) {
      out[at] = static_cast<char>('0' + v / 10);
      out[at + 1] = static_cast<char>('0' + v % 10);
    };
    two(0, static_cast<int>(c.year / 100));
    two(2, static_cast<int>(c.year % 100));
    two(5, c.month);
    two(8, c.day);
    return out;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02d-%02d", static_cast<long long>(c.year), c.month,
                c.day);
  return buffer;
}

}  // namespace esms::domain
