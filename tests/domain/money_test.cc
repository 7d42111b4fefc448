#include "domain/money.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace esms::domain {
namespace {

TEST(MoneyTest, FrenchFormatting) {
  EXPECT_EQ(Money::Euros(1084000).ToString(), "1 084 000,00 \u20ac");
  EXPECT_EQ(Money::Euros(7000).ToString(), "7 000,00 \u20ac");
  EXPECT_EQ(Money::Euros(100).ToString(), "100,00 \u20ac");
  EXPECT_EQ(Money::Cents(5).ToString(), "0,05 \u20ac");
  EXPECT_EQ(Money::Cents(123456789).ToString(), "1 234 567,89 \u20ac");
  EXPECT_EQ(Money::Cents(-1205).ToString(), "-12,05 \u20ac");
  EXPECT_EQ(Money().ToString(), "0,00 \u20ac");
  EXPECT_EQ(Money::Cents(std::numeric_limits<int64_t>::min()).ToString(),
            "-92 233 720 368 547 758,08 \u20ac");
}

TEST(MoneyTest, Arithmetic) {
  static_assert(Money::Euros(3).cents() == 300);
  EXPECT_EQ(Money::Euros(7000) + Money::Euros(14000), Money::Euros(21000));
  EXPECT_EQ(Money::Euros(10) - Money::Cents(1), Money::Cents(999));
  EXPECT_EQ(Money::Euros(21000) * 49, Money::Euros(1029000));
  EXPECT_EQ(49 * Money::Euros(21000), Money::Euros(1029000));
  Money sum;
  sum += Money::Euros(5);
  sum -= Money::Cents(50);
  EXPECT_EQ(sum.cents(), 450);
  EXPECT_LT(Money::Cents(1), Money::Cents(2));
  EXPECT_EQ(Min(Money::Euros(15000), Money::Euros(10000)), Money::Euros(10000));
  EXPECT_EQ(Max(Money::Euros(15000), Money::Euros(10000)), Money::Euros(15000));
}

TEST(MoneyTest, MulDivRoundsDownOnce) {
  EXPECT_EQ(Money::Euros(21000).MulDiv(800, 1000), Money::Euros(16800));
  EXPECT_EQ(Money::Cents(100).MulDiv(1, 3), Money::Cents(33));
  EXPECT_EQ(Money::Cents(200).MulDiv(2, 3), Money::Cents(133));
  EXPECT_EQ(Money::Cents(-100).MulDiv(1, 3), Money::Cents(-34));  // floor, not truncation
  EXPECT_EQ(Money::Cents(101).MulDiv(500, 1000), Money::Cents(50));
  // A product that overflows 64 bits still divides exactly.
  const int64_t big = int64_t{1} << 40;
  EXPECT_EQ(Money::Cents(big).MulDiv(big, big), Money::Cents(big));
}

}  // namespace
}  // namespace esms::domain
