// Money: an exact amount in euro cents (int64). The programme's rule "money is exact:
// integer cents, rounding down to the cent, and only at the end of the computation"
// (DOMAIN.md §3) is kept by never using floating point: scaling goes through MulDiv,
// which rounds down once, with a 128-bit intermediate.
//
// Arithmetic does not check for int64 overflow: the programme's amounts (at most a
// few hundred million euros) are 9 orders of magnitude below it.
//
// Thread-safety: immutable value type; safe to share between threads.
#ifndef ESMS_DOMAIN_MONEY_H_
#define ESMS_DOMAIN_MONEY_H_

#include <compare>
#include <cstdint>
#include <string>

namespace esms::domain {

class Money {
 public:
  // Zero.
  constexpr Money() = default;

  static constexpr Money Cents(int64_t cents) { return Money(cents); }
  static constexpr Money Euros(int64_t euros) { return Money(euros * 100); }
  static constexpr Money Zero() { return Money(0); }

  constexpr int64_t cents() const { return cents_; }

  // French formatting with a plain ASCII space as the thousands separator and a comma
  // for the cents: "1 084 000,00 €", "-12,05 €".
  std::string ToString() const;

  constexpr Money operator+(Money other) const { return Money(cents_ + other.cents_); }
  constexpr Money operator-(Money other) const { return Money(cents_ - other.cents_); }
  constexpr Money operator-() const { return Money(-cents_); }
  constexpr Money& operator+=(Money other) {
    cents_ += other.cents_;
    return *this;
  }
  constexpr Money& operator-=(Money other) {
    cents_ -= other.cents_;
    return *this;
  }
  constexpr Money operator*(int64_t factor) const { return Money(cents_ * factor); }

  // floor(cents * num / den) with a 128-bit intermediate, rounding toward minus
  // infinity (down to the cent). Precondition: den > 0.
  Money MulDiv(int64_t num, int64_t den) const;

  friend constexpr auto operator<=>(const Money&, const Money&) = default;
  friend constexpr bool operator==(const Money&, const Money&) = default;

 private:
  explicit constexpr Money(int64_t cents) : cents_(cents) {}

  int64_t cents_ = 0;
};

inline constexpr Money operator*(int64_t factor, Money money) { return money * factor; }

constexpr Money Min(Money a, Money b) { return a < b ? a : b; }
constexpr Money Max(Money a, Money b) { return a < b ? b : a; }

}  // namespace esms::domain

#endif  // ESMS_DOMAIN_MONEY_H_
