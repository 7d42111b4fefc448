// The amorçage deployment tranche paid prorata of the usage criteria (DOMAIN.md §5,
// 001 §3 Remarque), exact to the cent.
#include "domain/usage_prorata.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace esms::domain {
namespace {

CriterionResult Rate(UsageCriterion c, int64_t announced, int64_t num, int64_t den) {
  return {c, announced, num, den};
}
CriterionResult Count(UsageCriterion c, int64_t announced, int64_t result) {
  return {c, announced, result, 1};
}

// DOMAIN.md §5 worked example: grant 150 000 €, 20 % = 30 000 € over 5 criteria;
// announced 90 / 80 / 80 % / 300 messages / 200 documents, measured 90 / 60 / 80 % /
// 150 / 200 -> 6 000 + 4 500 + 6 000 + 3 000 + 6 000 = 25 500 €.
std::vector<CriterionResult> WorkedExample() {
  return {Rate(UsageCriterion::kActiveFilesRate, 90, 90, 100),
          Rate(UsageCriterion::kPlanRate, 80, 60, 100),
          Rate(UsageCriterion::kAgendaRate, 80, 80, 100),
          Count(UsageCriterion::kMssanteMessages, 300, 150),
          Count(UsageCriterion::kDmpDocuments, 200, 200)};
}

TEST(UsageProrataTest, WorkedExampleIs25500Euros) {
  auto prorata = ProrataDeployment(Money::Euros(30000), WorkedExample());
  ASSERT_TRUE(prorata.ok()) << prorata.status().ToString();
  EXPECT_EQ(prorata->payable, Money::Euros(25500));
  ASSERT_EQ(prorata->criteria.size(), 5u);
  EXPECT_EQ(prorata->criteria[0].amount, Money::Euros(6000));
  EXPECT_TRUE(prorata->criteria[0].capped);
  EXPECT_EQ(prorata->criteria[1].amount, Money::Euros(4500));
  EXPECT_FALSE(prorata->criteria[1].capped);
  EXPECT_EQ(prorata->criteria[3].amount, Money::Euros(3000));
  EXPECT_EQ(prorata->criteria[1].detail,
            "planRate: announced 80 %, result 60,00 % (60 / 100) -> 75,00 % of 6 000,00 \u20ac = "
            "4 500,00 \u20ac");
}

TEST(UsageProrataTest, ResultAboveTheAnnouncedValueIsCappedAt100Percent) {
  std::vector<CriterionResult> r = WorkedExample();
  r[3] = Count(UsageCriterion::kMssanteMessages, 300, 900);  // 300 %: still 6 000 €
  auto prorata = ProrataDeployment(Money::Euros(30000), r);
  ASSERT_TRUE(prorata.ok());
  EXPECT_EQ(prorata->payable, Money::Euros(28500));
  EXPECT_TRUE(prorata->criteria[3].capped);
}

TEST(UsageProrataTest, ExactlyTheAnnouncedValueAndOneBelow) {
  // 299 / 300 messages of a 6 000 € share: 5 980 € exactly.
  std::vector<CriterionResult> r = WorkedExample();
  r[3] = Count(UsageCriterion::kMssanteMessages, 300, 299);
  auto below = ProrataDeployment(Money::Euros(30000), r);
  ASSERT_TRUE(below.ok());
  EXPECT_EQ(below->payable, Money::Euros(25500 - 3000 + 5980));
  r[3] = Count(UsageCriterion::kMssanteMessages, 300, 300);
  auto at = ProrataDeployment(Money::Euros(30000), r);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at->payable, Money::Euros(28500));
}

TEST(UsageProrataTest, RoundedDownOnceNotPerCriterion) {
  // 1,00 € over 3 criteria, each at half its announced value: 50 c once rounded,
  // where rounding each criterion (floor(16,66… c) = 16 c) would pay 48 c.
  std::vector<CriterionResult> r = {Count(UsageCriterion::kMssanteMessages, 2, 1),
                                    Count(UsageCriterion::kDmpDocuments, 2, 1),
                                    Count(UsageCriterion::kEParcoursExchanges, 2, 1)};
  auto half = ProrataDeployment(Money::Cents(100), r);
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(half->payable, Money::Cents(50));
  EXPECT_EQ(half->criteria[0].amount, Money::Cents(16));  // shown per criterion only
  // Two thirds of the announced values: 2/3 of 1,00 € = 66,66… c -> 66 c.
  r = {Count(UsageCriterion::kMssanteMessages, 3, 2), Count(UsageCriterion::kDmpDocuments, 3, 2),
       Count(UsageCriterion::kEParcoursExchanges, 3, 2)};
  auto thirds = ProrataDeployment(Money::Cents(100), r);
  ASSERT_TRUE(thirds.ok());
  EXPECT_EQ(thirds->payable, Money::Cents(66));
  // 1/3 and 2/3 of 2 criteria sharing 1,00 €: exactly 50 c (16 c + 33 c = 49 c if
  // each were rounded): a sum of fractions that is a whole number of cents loses none.
  r = {Count(UsageCriterion::kMssanteMessages, 3, 1), Count(UsageCriterion::kDmpDocuments, 3, 2)};
  auto whole = ProrataDeployment(Money::Cents(100), r);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->payable, Money::Cents(50));
}

TEST(UsageProrataTest, ZeroDenominatorRateEarnsNothing) {
  std::vector<CriterionResult> r = WorkedExample();
  r[0] = Rate(UsageCriterion::kActiveFilesRate, 90, 0, 0);
  auto prorata = ProrataDeployment(Money::Euros(30000), r);
  ASSERT_TRUE(prorata.ok());
  EXPECT_EQ(prorata->payable, Money::Euros(19500));
  EXPECT_EQ(prorata->criteria[0].amount, Money());
}

TEST(UsageProrataTest, HugeCountsStayExact) {
  const int64_t big = std::numeric_limits<int64_t>::max();
  std::vector<CriterionResult> r = {Rate(UsageCriterion::kActiveFilesRate, 97, big - 1, big),
                                    Rate(UsageCriterion::kPlanRate, 89, big / 3, big - 7),
                                    Count(UsageCriterion::kMssanteMessages, big, big / 2),
                                    Count(UsageCriterion::kDmpDocuments, big - 1, big - 2)};
  auto prorata = ProrataDeployment(Money::Euros(30000), r);
  ASSERT_TRUE(prorata.ok());
  // Products of ~70-bit denominators: the once-rounded total lies within one cent per
  // criterion above the sum of the per-criterion floors.
  Money sum;
  for (const auto& c : prorata->criteria) sum += c.amount;
  EXPECT_GE(prorata->payable, sum);
  EXPECT_LE(prorata->payable, sum + Money::Cents(4));
  EXPECT_LE(prorata->payable, Money::Euros(30000));
}

TEST(UsageProrataTest, RefusesBadAnnouncements) {
  EXPECT_FALSE(ProrataDeployment(Money::Euros(1), {}).ok());
  EXPECT_FALSE(
      ProrataDeployment(Money::Euros(1), {Rate(UsageCriterion::kPlanRate, 101, 1, 1)}).ok());
  EXPECT_FALSE(ProrataDeployment(Money::Euros(1), {Rate(UsageCriterion::kPlanRate, 0, 1, 1)}).ok());
  EXPECT_TRUE(
      ProrataDeployment(Money::Euros(1), {Rate(UsageCriterion::kPlanRate, 100, 1, 1)}).ok());
  EXPECT_FALSE(
      ProrataDeployment(Money::Euros(1), {Count(UsageCriterion::kDmpDocuments, 0, 1)}).ok());
  EXPECT_FALSE(ProrataDeployment(Money::Euros(1), {Count(UsageCriterion::kDmpDocuments, 1, 1),
                                                   Count(UsageCriterion::kDmpDocuments, 1, 1)})
                   .ok());
}

TEST(UsageProrataTest, RulesListTheFiguresForAmorcageOnly) {
  EXPECT_EQ(ProrataFigures(Campaign::kAmorcage2021).size(), 4u);
  EXPECT_TRUE(ProrataFigures(Campaign::kGeneralisation2024).empty());
  bool listed = false;
  for (const RuleFigure& f : DescribeRules(Campaign::kAmorcage2021)) {
    if (f.name == "deployment tranche (20 %) on usage") listed = f.source == "001 \u00a73 Remarque";
  }
  EXPECT_TRUE(listed);
}

}  // namespace
}  // namespace esms::domain
