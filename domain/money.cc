#include "domain/money.h"

#include <cassert>

namespace esms::domain {

std::string Money::ToString() const {
  // Work on the magnitude as unsigned so that INT64_MIN formats too.
  const bool negative = cents_ < 0;
  const uint64_t magnitude =
      negative ? uint64_t{0} - static_cast<uint64_t>(cents_) : static_cast<uint64_t>(cents_);
  const std::string euros = std::to_string(magnitude / 100);
  const uint64_t cents = magnitude % 100;

  std::string out = negative ? "-" : "";
  for (size_t i = 0; i < euros.size(); ++i) {
    if (i > 0 && (euros.size() - i) % 3 == 0) out += ' ';
    out += euros[i];
  }
  out += ',';
  out += static_cast<char>('0' + cents / 10);
  out += static_cast<char>('0' + cents % 10);
  out += " \u20ac";
  return out;
}

Money Money::MulDiv(int64_t num, int64_t den) const {
  assert(den > 0);
  const __int128 product = static_cast<__int128>(cents_) * num;
  __int128 quotient = product / den;
  // C++ division truncates toward zero; floor for negative non-exact results.
  if (product % den != 0 && product < 0) --quotient;
  return Money(static_cast<int64_t>(quotient));
}

}  // namespace esms::domain
