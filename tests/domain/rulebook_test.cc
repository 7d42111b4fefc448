#include "domain/rulebook.h"

#include <gtest/gtest.h>

#include <string>

namespace esms::domain {
namespace {

// All figures of a campaign as "name = value [source]" lines, for readable failures.
std::string Describe(Campaign c) {
  std::string out;
  for (const RuleFigure& f : DescribeRules(c)) {
    out += f.name + " = " + f.value + " [" + f.source + "]\n";
  }
  return out;
}

TEST(RulebookTest, CampaignIdsRoundtrip) {
  for (Campaign c : AllCampaigns()) {
    Result<Campaign> parsed = ParseCampaign(CampaignId(c));
    ASSERT_TRUE(parsed.ok()) << CampaignId(c);
    EXPECT_EQ(*parsed, c);
    EXPECT_EQ(RulebookFor(c).id, CampaignId(c));
    EXPECT_EQ(RulebookFor(c).campaign, c);
  }
  EXPECT_EQ(CampaignId(Campaign::kAmorcage2021), "amorcage-2021");
  EXPECT_EQ(CampaignId(Campaign::kGeneralisation2025), "generalisation-2025");
}

TEST(RulebookTest, UnknownCampaignIsRefusedWithTheKnownList) {
  for (std::string_view bad : {"generalisation-2026", "", "Generalisation-2024", "2024"}) {
    Result<Campaign> parsed = ParseCampaign(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().error_code(), "UNKNOWN_CAMPAIGN");
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("known campaigns: amorcage-2021, generalisation-2023, "
                                             "generalisation-2024, generalisation-2025"),
              std::string::npos)
        << parsed.status().message();
  }
}

TEST(RulebookTest, GeneralisationRatesByRank) {
  for (Campaign c : {Campaign::kGeneralisation2023, Campaign::kGeneralisation2024,
                     Campaign::kGeneralisation2025}) {
    const Rulebook& r = RulebookFor(c);
    EXPECT_EQ(r.funding_model.value, FundingModel::kRankTiers);
    EXPECT_EQ(r.last_full_rate_rank.value, 49);
    EXPECT_EQ(r.acquisition_usage.At(49, 49), Money::Euros(7000));
    EXPECT_EQ(r.acquisition_usage.At(50, 49), Money::Euros(2000));
    EXPECT_EQ(r.acquisition_software.At(49, 49), Money::Euros(14000));
    EXPECT_EQ(r.acquisition_software.At(50, 49), Money::Euros(3000));
    EXPECT_EQ(r.upgrade_usage.At(1, 49), Money::Euros(5000));
    EXPECT_EQ(r.upgrade_usage.At(50, 49), Money::Euros(2000));
    EXPECT_EQ(r.small_og_below.metropolitan, 15);
    EXPECT_EQ(r.small_og_below.overseas_or_corsica, 8);
    EXPECT_EQ(r.amoa_amount.value, Money::Euros(100000));
    EXPECT_EQ(r.grappe_ideal_essms.For(false), 15);
    EXPECT_EQ(r.grappe_ideal_essms.For(true), 8);
    // A warning in every généralisation campaign, 2025 included (DOMAIN.md §2).
    EXPECT_FALSE(r.grappe_size_is_refusal.value);
    EXPECT_TRUE(r.has_national_guichet.value);
    EXPECT_EQ(r.national_guichet_min_essms.value, 50);
  }
  EXPECT_EQ(RulebookFor(Campaign::kGeneralisation2023).acquisition_usage.source,
            "000 \u00a74.4.2 1)");
  EXPECT_EQ(RulebookFor(Campaign::kGeneralisation2024).acquisition_usage.source,
            "003 \u00a73.3.2 1)");
}

TEST(RulebookTest, SmallOgFiguresPerCampaign) {
  EXPECT_EQ(RulebookFor(Campaign::kGeneralisation2023).small_og_equipment_cap.value,
            Money::Euros(20000));
  EXPECT_EQ(RulebookFor(Campaign::kGeneralisation2024).small_og_equipment_cap.value,
            Money::Euros(10000));
  EXPECT_EQ(RulebookFor(Campaign::kGeneralisation2025).small_og_equipment_cap.value,
            Money::Euros(10000));
  EXPECT_EQ(RulebookFor(Campaign::kGeneralisation2023).amoa_model.value, AmoaModel::kFlat);
  EXPECT_EQ(RulebookFor(Campaign::kGeneralisation2024).amoa_model.value, AmoaModel::kCapped);
  EXPECT_EQ(RulebookFor(Campaign::kGeneralisation2025).amoa_model.value, AmoaModel::kCapped);
}

TEST(RulebookTest, AmorcageForfaitsAndThresholds) {
  const Rulebook& r = RulebookFor(Campaign::kAmorcage2021);
  EXPECT_EQ(r.funding_model.value, FundingModel::kAmorcageForfaits);
  EXPECT_EQ(r.amorcage_acquisition_per_esms.value, Money::Euros(25000));
  EXPECT_EQ(r.amorcage_conformity_per_esms.value, Money::Euros(10000));
  EXPECT_EQ(r.small_og_equipment_cap.value, Money::Euros(20000));
  EXPECT_EQ(r.amorcage_max_funded_esms.value, 30);
  EXPECT_EQ(r.amorcage_min_ogs.For(false), 3);
  EXPECT_EQ(r.amorcage_min_esms.For(false), 15);
  EXPECT_EQ(r.amorcage_min_ogs.For(true), 2);
  EXPECT_EQ(r.amorcage_min_esms.For(true), 8);
  EXPECT_TRUE(r.grappe_size_is_refusal.value);
  EXPECT_FALSE(r.has_national_guichet.value);
  EXPECT_TRUE(r.usage_targets.empty());
}

TEST(RulebookTest, PaymentShares) {
  for (Campaign c : AllCampaigns()) {
    int sum = 0;
    for (const TrancheRule& t : RulebookFor(c).tranches) sum += t.per_mille;
    EXPECT_EQ(sum, 1000) << CampaignId(c);
  }
  const auto& amorcage = RulebookFor(Campaign::kAmorcage2021).tranches;
  ASSERT_EQ(amorcage.size(), 3u);
  EXPECT_EQ(amorcage[0].id, "advance");
  EXPECT_EQ(amorcage[0].per_mille, 400);
  EXPECT_EQ(amorcage[1].id, "parametrisation");
  EXPECT_EQ(amorcage[1].per_mille, 400);
  EXPECT_EQ(amorcage[2].id, "deployment");
  EXPECT_EQ(amorcage[2].per_mille, 200);
  const auto& g2024 = RulebookFor(Campaign::kGeneralisation2024).tranches;
  ASSERT_EQ(g2024.size(), 2u);
  EXPECT_EQ(g2024[0].id, "advance");
  EXPECT_EQ(g2024[0].per_mille, 500);
  EXPECT_EQ(g2024[1].id, "balance");
}

TEST(RulebookTest, UsageTargets) {
  for (Campaign c : {Campaign::kGeneralisation2023, Campaign::kGeneralisation2024,
                     Campaign::kGeneralisation2025}) {
    const auto& targets = RulebookFor(c).usage_targets;
    ASSERT_EQ(targets.size(), 5u);
    EXPECT_EQ(targets[0].indicator, Indicator::kActiveFiles);
    EXPECT_EQ(targets[0].percent, 90);
    EXPECT_EQ(targets[1].percent, 90);
    EXPECT_EQ(targets[2].percent, 90);
    EXPECT_EQ(targets[3].indicator, Indicator::kMssante);
    EXPECT_EQ(targets[3].percent, 70);
    EXPECT_EQ(targets[4].indicator, Indicator::kDmp);
    EXPECT_EQ(targets[4].percent, 70);
    // 000 §5: a common month in 2023; 3 months in 2024 (003 §4) and 2025 (002).
    EXPECT_EQ(RulebookFor(c).grappe_solidarity_months.value,
              c == Campaign::kGeneralisation2023 ? 1 : 3);
    EXPECT_EQ(RulebookFor(c).grappe_solidarity_months.value,
              RulebookFor(c).measurement.common_period_months);
  }
}

TEST(RulebookTest, WindowsDurationsAndCutOffs) {
  const Rulebook& g2023 = RulebookFor(Campaign::kGeneralisation2023);
  EXPECT_EQ(g2023.regional_window->closes.ToString(), "2023-09-15");
  EXPECT_EQ(g2023.multiregional_window->closes.ToString(), "2023-06-15");
  const Rulebook& g2024 = RulebookFor(Campaign::kGeneralisation2024);
  EXPECT_EQ(g2024.regional_window->opens.ToString(), "2024-01-15");
  EXPECT_EQ(g2024.multiregional_window->closes.ToString(), "2024-06-01");
  EXPECT_EQ(g2024.sons_validated_no_later_than_disqualifies->value.ToString(), "2023-03-31");
  EXPECT_EQ(g2024.sons_validated_no_later_than_disqualifies->source, "003 \u00a72.1");
  EXPECT_FALSE(g2023.sons_validated_no_later_than_disqualifies.has_value());
  const Rulebook& g2025 = RulebookFor(Campaign::kGeneralisation2025);
  EXPECT_FALSE(g2025.regional_window.has_value());
  EXPECT_FALSE(g2025.multiregional_window.has_value());
  EXPECT_EQ(g2025.duration_acquisition_months.value, 18);
  EXPECT_EQ(g2025.duration_usage_months.value, 6);
  EXPECT_EQ(g2024.duration_usage_months.value, 9);
  EXPECT_FALSE(g2024.durations_opposable.value);
  const Rulebook& a2021 = RulebookFor(Campaign::kAmorcage2021);
  EXPECT_EQ(a2021.regional_window->opens.ToString(), "2021-02-12");
  EXPECT_EQ(a2021.regional_window->closes.ToString(), "2021-04-30");
  for (Campaign c : AllCampaigns()) {
    EXPECT_EQ(RulebookFor(c).pnrr_active_dui_target.value, 410000);
    EXPECT_EQ(RulebookFor(c).pnrr_target_date.value.ToString(), "2024-12-31");
  }
}

TEST(RulebookTest, DescribeRulesHasASourceOnEveryLine) {
  for (Campaign c : AllCampaigns()) {
    std::vector<RuleFigure> figures = DescribeRules(c);
    EXPECT_GT(figures.size(), 15u) << CampaignId(c);
    for (const RuleFigure& f : figures) {
      EXPECT_FALSE(f.name.empty()) << Describe(c);
      EXPECT_FALSE(f.value.empty()) << f.name;
      EXPECT_FALSE(f.source.empty()) << f.name << " has no source";
    }
  }
}

TEST(RulebookTest, DescribeRulesReadsLikeTheTexts) {
  const std::string g2024 = Describe(Campaign::kGeneralisation2024);
  EXPECT_NE(g2024.find("7 000,00 \u20ac up to the 49th ESSMS [003 \u00a73.3.2 1)]"),
            std::string::npos)
      << g2024;
  EXPECT_NE(g2024.find("2 000,00 \u20ac from the 50th ESSMS"), std::string::npos) << g2024;
  EXPECT_NE(g2024.find("at most 10 000,00 \u20ac"), std::string::npos) << g2024;
  EXPECT_NE(g2024.find("2024-01-15 to 2024-06-01"), std::string::npos) << g2024;
  EXPECT_NE(g2024.find("410 000 active DUI at 2024-12-31"), std::string::npos) << g2024;
  EXPECT_NE(g2024.find("2023-03-31"), std::string::npos) << g2024;
  const std::string g2023 = Describe(Campaign::kGeneralisation2023);
  EXPECT_NE(g2023.find("100 000,00 \u20ac flat per project"), std::string::npos) << g2023;
  const std::string g2025 = Describe(Campaign::kGeneralisation2025);
  EXPECT_NE(g2025.find("no window"), std::string::npos) << g2025;
  const std::string a2021 = Describe(Campaign::kAmorcage2021);
  EXPECT_NE(a2021.find("25 000,00 \u20ac per ESMS, at most 30 ESMS per project"), std::string::npos)
      << a2021;
  EXPECT_NE(a2021.find("40 %"), std::string::npos) << a2021;
}

// Issue 13 (second reading): the new figures, each with its source.
TEST(RulebookTest, DescribeRulesListsTheSecondReading) {
  const std::string g2023 = Describe(Campaign::kGeneralisation2023);
  const std::string g2024 = Describe(Campaign::kGeneralisation2024);
  const std::string g2025 = Describe(Campaign::kGeneralisation2025);
  const std::string a2021 = Describe(Campaign::kAmorcage2021);
  for (const std::string& g : {g2023, g2024, g2025}) {
    EXPECT_NE(g.find("grappe ideal size (warning below)"), std::string::npos) << g;
    EXPECT_EQ(g.find("refusal below"), std::string::npos) << g;
    EXPECT_NE(g.find("at least two OGs, all small"), std::string::npos) << g;
    EXPECT_NE(g.find("ranks over the ESSMS the signed convention lists"), std::string::npos) << g;
    EXPECT_NE(g.find("no acquisition funding, whichever software; usage funding keeping the "
                     "SONS solution stays allowed [000 \u00a73.2]"),
              std::string::npos)
        << g;
    EXPECT_NE(g.find("NOT_LEAD_REGION"), std::string::npos) << g;
    EXPECT_NE(g.find("INVALID_PROJECT_KIND"), std::string::npos) << g;
  }
  EXPECT_NE(g2023.find("one calendar month ending on a month end"), std::string::npos) << g2023;
  EXPECT_NE(g2024.find("MSSant\u00e9 / DMP over 3 to 6 whole months"), std::string::npos) << g2024;
  EXPECT_NE(g2025.find("covered by monthly measures"), std::string::npos) << g2025;
  EXPECT_NE(g2025.find("CONVENTION_EXPIRED"), std::string::npos) << g2025;
  EXPECT_NE(a2021.find("not checked"), std::string::npos) << a2021;
  EXPECT_EQ(RulebookFor(Campaign::kGeneralisation2025).grappe_size_is_refusal.value, false);
}

}  // namespace
}  // namespace esms::domain
