#include "domain/usage_prorata.h"

#include <algorithm>
#include <cstddef>
#include <set>

#include "domain/internal/event_fields.h"

namespace esms::domain {

namespace {

using u128 = unsigned __int128;

// A non-negative integer of any size, little-endian 32-bit limbs: exact products of
// the criteria's denominators (up to seven factors of ~70 bits each).
class Natural {
 public:
  explicit Natural(u128 value = 0) {
    while (value != 0) {
      limbs_.push_back(static_cast<uint32_t>(value));
      value >>= 32;
    }
  }
  Natural operator*(const Natural& other) const {
    Natural out;
    if (limbs_.empty() || other.limbs_.empty()) return out;
    out.limbs_.assign(limbs_.size() + other.limbs_.size(), 0);
    for (size_t i = 0; i < limbs_.size(); ++i) {
      uint64_t carry = 0;
      for (size_t j = 0; j < other.limbs_.size(); ++j) {
        const uint64_t cur =
            out.limbs_[i + j] + static_cast<uint64_t>(limbs_[i]) * other.limbs_[j] + carry;
        out.limbs_[i + j] = static_cast<uint32_t>(cur);
        carry = cur >> 32;
      }
      size_t k = i + other.limbs_.size();
      while (carry != 0) {
        const uint64_t cur = out.limbs_[k] + carry;
        out.limbs_[k++] = static_cast<uint32_t>(cur);
        carry = cur >> 32;
      }
    }
    out.Trim();
    return out;
  }
  Natural operator+(const Natural& other) const {
    Natural out;
    const size_t n = std::max(limbs_.size(), other.limbs_.size());
    out.limbs_.assign(n + 1, 0);
    uint64_t carry = 0;
    for (size_t i = 0; i < n; ++i) {
      const uint64_t cur = carry + (i < limbs_.size() ? limbs_[i] : 0) +
                           (i < other.limbs_.size() ? other.limbs_[i] : 0);
      out.limbs_[i] = static_cast<uint32_t>(cur);
      carry = cur >> 32;
    }
    out.limbs_[n] = static_cast<uint32_t>(carry);
    out.Trim();
    return out;
  }
  friend bool operator<=(const Natural& a, const Natural& b) {
    if (a.limbs_.size() != b.limbs_.size()) return a.limbs_.size() < b.limbs_.size();
    for (size_t i = a.limbs_.size(); i-- > 0;) {
      if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] < b.limbs_[i];
    }
    return true;
  }

 private:
  void Trim() {
    while (!limbs_.empty() && limbs_.back() == 0) limbs_.pop_back();
  }
  std::vector<uint32_t> limbs_;
};

u128 Gcd(u128 a, u128 b) {
  while (b != 0) {
    const u128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

// "60,00 %" from num / den (rounded down to the hundredth).
std::string Percent(u128 num, u128 den) {
  if (den == 0) return "n/a";
  const u128 hundredths = num * 10000 / den;
  const uint64_t whole = static_cast<uint64_t>(hundredths / 100);
  const unsigned frac = static_cast<unsigned>(hundredths % 100);
  return std::to_string(whole) + "," + (frac < 10 ? "0" : "") + std::to_string(frac) + " %";
}

// The largest x in [0, limit] with x * scale <= target (binary search; exact).
int64_t LargestAtMost(int64_t limit, const Natural& target, const Natural& scale) {
  int64_t lo = 0, hi = limit;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2 + ((hi - lo) & 1);  // rounded up, no overflow
    if (Natural(static_cast<u128>(mid)) * scale <= target) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

}  // namespace

// The usageCommitments field names, in UsageCriterion's order (the field table's).
std::string_view CriterionId(UsageCriterion criterion) {
  constexpr auto& kIds = internal::kNames<UsageCommitments>;
  static_assert(kIds.size() == static_cast<size_t>(UsageCriterion::kEParcoursExchanges) + 1 &&
                kIds.back() == "eParcoursExchanges");
  const auto index = static_cast<size_t>(criterion);
  return index < kIds.size() ? kIds[index] : "unknown";
}

bool IsRate(UsageCriterion criterion) {
  return criterion == UsageCriterion::kActiveFilesRate || criterion == UsageCriterion::kPlanRate ||
         criterion == UsageCriterion::kAgendaRate;
}

Result<DeploymentProrata> ProrataDeployment(Money tranche,
                                            const std::vector<CriterionResult>& results) {
  if (results.empty()) return Status::BadInput("no usage criterion announced");
  std::set<UsageCriterion> seen;
  // Each criterion's fraction of its share, reduced: c / q with 0 <= c <= q, q >= 1
  // (q = 0: nothing measurable, the criterion earns nothing).
  struct Fraction {
    u128 c = 0;
    u128 q = 0;
  };
  std::vector<Fraction> fractions;
  for (const CriterionResult& r : results) {
    const std::string id(CriterionId(r.criterion));
    if (!seen.insert(r.criterion).second) return Status::BadInput(id + " announced twice");
    if (IsRate(r.criterion) ? (r.announced < 1 || r.announced > 100) : r.announced < 1) {
      return Status::BadInput(
          id + ": announced value " + std::to_string(r.announced) +
          (IsRate(r.criterion) ? " is not a whole percent in 1..100" : " is below 1"));
    }
    if (r.numerator < 0 || r.denominator < 0) return Status::BadInput(id + ": negative result");
    // rate: (num / den) / (announced / 100) = 100 num / (announced den); count: num / announced.
    u128 p = static_cast<u128>(r.numerator) * (IsRate(r.criterion) ? 100 : 1);
    u128 q =
        static_cast<u128>(r.announced) * static_cast<u128>(IsRate(r.criterion) ? r.denominator : 1);
    Fraction f;
    if (q != 0) {
      f.c = std::min(p, q);
      f.q = q;
      const u128 g = Gcd(f.c, f.q);
      if (g > 1) {
        f.c /= g;
        f.q /= g;
      }
    }
    fractions.push_back(f);
  }
  const int64_t n = static_cast<int64_t>(results.size());
  DeploymentProrata out;
  out.tranche = tranche;
  // S = Σ c_i / q_i = N / D over the measurable criteria (q_i > 0).
  Natural numerator(0), denominator(1);
  for (const Fraction& f : fractions) {
    if (f.q == 0) continue;
    numerator = numerator * Natural(f.q) + Natural(f.c) * denominator;
    denominator = denominator * Natural(f.q);
  }
  // payable = floor(T x N / (n x D)): the largest x in [0, T] with x n D <= T N.
  const int64_t t = std::max<int64_t>(0, tranche.cents());
  out.payable = Money::Cents(LargestAtMost(t, Natural(static_cast<u128>(t)) * numerator,
                                           Natural(static_cast<u128>(n)) * denominator));
  const Money share = Money::Cents(t / n);
  for (size_t i = 0; i < results.size(); ++i) {
    const CriterionResult& r = results[i];
    const Fraction& f = fractions[i];
    CriterionShare s;
    s.result = r;
    s.capped = f.q != 0 && f.c == f.q;
    s.share = share;
    // Shown per criterion: floor(T c / (n q)) (the total is rounded once, above).
    s.amount = f.q == 0
                   ? Money()
                   : Money::Cents(LargestAtMost(t, Natural(static_cast<u128>(t)) * Natural(f.c),
                                                Natural(static_cast<u128>(n)) * Natural(f.q)));
    const std::string id(CriterionId(r.criterion));
    std::string result_text, announced_text;
    if (IsRate(r.criterion)) {
      result_text = Percent(static_cast<u128>(r.numerator), static_cast<u128>(r.denominator)) +
                    " (" + std::to_string(r.numerator) + " / " + std::to_string(r.denominator) +
                    ")";
      announced_text = std::to_string(r.announced) + " %";
    } else {
      result_text = std::to_string(r.numerator);
      announced_text = std::to_string(r.announced);
    }
    s.detail = id + ": announced " + announced_text + ", result " + result_text + " -> " +
               (f.q == 0 ? std::string("0,00 %") : Percent(f.c, f.q)) + " of " +
               Money::Cents(t).MulDiv(1, n).ToString() + " = " + s.amount.ToString();
    out.criteria.push_back(std::move(s));
  }
  out.detail =
      "deployment tranche " + tranche.ToString() + " split over " + std::to_string(n) +
      " criteria, each paid prorata of its result (capped at 100 %): " + out.payable.ToString() +
      " payable (001 \u00a73 Remarque)";
  return out;
}

std::vector<RuleFigure> ProrataFigures(Campaign campaign) {
  if (campaign != Campaign::kAmorcage2021) return {};
  return {
      {"usage commitments",
       "required in the file: the three m\u00e9tier rates (whole percent) and at least two "
       "counts among MSSant\u00e9 messages, DMP documents, e-prescription imports, e-parcours "
       "exchanges",
       "001 \u00a73 Crit\u00e8res d'utilisation"},
      {"deployment tranche (20 %) on usage",
       "split equally over the announced criteria; each paid prorata of its result against "
       "the announced value, capped at 100 %; the total rounded down to the cent once "
       "(else USAGE_SHARE_EXCEEDED)",
       "001 \u00a73 Remarque"},
      {"usage results",
       "rates = \u03a3 numerators / \u03a3 denominators, counts = \u03a3, over the convention's "
       "ESMS, each from its latest measurement ending on or before the payment",
       "DOMAIN.md \u00a75 (001 \u00a73)"},
      {"invoices",
       "parametrisation and deployment tranches each need the tranche's invoice "
       "(invoice.received), else NO_INVOICE",
       "001 Modalit\u00e9s de financement"},
  };
}

}  // namespace esms::domain
