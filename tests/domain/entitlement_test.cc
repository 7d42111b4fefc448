#include "domain/entitlement.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace esms::domain {
namespace {

// A valid FINESS number "<prefix><n padded to 8 - prefix digits><Luhn key>".
Finess MakeFiness(std::string prefix, int n) {
  std::string body = std::to_string(n);
  body = prefix + std::string(8 - prefix.size() - body.size(), '0') + body;
  for (char key = '0'; key <= '9'; ++key) {
    if (LuhnValid(body + key)) return *Finess::Parse(body + key);
  }
  ADD_FAILURE() << "no key for " << body;
  return Finess();
}

// Builds a project's organisations and establishments the way a submission lists them.
class ProjectBuilder {
 public:
  // Adds an OG running `essms_total` ESSMS in `region`; returns its index.
  int AddOg(int64_t essms_total, std::string_view region = "53") {
    OrganisationEntry og;
    og.finess_ej = MakeFiness(Far(region) ? "9704" : "35", 9000 + static_cast<int>(ogs_.size()));
    og.name = "OG " + std::to_string(ogs_.size());
    og.essms_total = essms_total;
    og.region = *Region::Parse(region);
    ogs_.push_back(og);
    return static_cast<int>(ogs_.size()) - 1;
  }

  // Adds `count` ESSMS of OG `og` in `situation`.
  ProjectBuilder& Add(int count, Situation situation, int og = 0,
                      std::optional<int64_t> quote_cents = std::nullopt) {
    for (int i = 0; i < count; ++i) {
      EstablishmentEntry e;
      const bool far = ogs_[og].region.overseas_or_corsica();
      e.finess = MakeFiness(far ? "9704" : "35", next_++);
      e.finess_ej = ogs_[og].finess_ej;
      e.name = "ESSMS " + std::to_string(next_);
      e.region = ogs_[og].region;
      e.situation = situation;
      e.equipment_quote_cents = quote_cents;
      establishments_.push_back(e);
    }
    return *this;
  }

  std::vector<OrganisationEntry>& ogs() { return ogs_; }
  std::vector<EstablishmentEntry>& establishments() { return establishments_; }

  Result<ProjectEntitlement> Compute(Campaign campaign,
                                     std::optional<Money> amoa = std::nullopt) const {
    return ComputeEntitlement(campaign, ogs_, establishments_, amoa);
  }

  // The total, or the error, as text.
  std::string Total(Campaign campaign, std::optional<Money> amoa = std::nullopt) const {
    Result<ProjectEntitlement> e = Compute(campaign, amoa);
    return e.ok() ? e->total.ToString() : e.status().ToString();
  }

 private:
  static bool Far(std::string_view region) { return Region::Parse(region)->overseas_or_corsica(); }

  std::vector<OrganisationEntry> ogs_;
  std::vector<EstablishmentEntry> establishments_;
  int next_ = 1;
};

ProjectBuilder Acquisitions(int count, int64_t og_size = 200) {
  ProjectBuilder p;
  p.AddOg(og_size);
  p.Add(count, Situation::kAcquisition);
  return p;
}

std::string Euros(int64_t euros) { return Money::Euros(euros).ToString(); }

TEST(EntitlementTest, SixtyAcquisitionsIn2024) {
  // DOMAIN.md §3 worked example: 49 x 21 000 + 11 x 5 000 = 1 084 000 €.
  ProjectBuilder p = Acquisitions(60);
  EXPECT_EQ(p.Total(Campaign::kGeneralisation2024), "1 084 000,00 \u20ac");
  Result<ProjectEntitlement> e = p.Compute(Campaign::kGeneralisation2024);
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->lines.size(), 60u);
  EXPECT_EQ(e->lines[48].rank, 49);
  EXPECT_EQ(e->lines[48].usage, Money::Euros(7000));
  EXPECT_EQ(e->lines[48].software, Money::Euros(14000));
  EXPECT_EQ(e->lines[48].total, Money::Euros(21000));
  EXPECT_EQ(e->lines[49].rank, 50);
  EXPECT_EQ(e->lines[49].usage, Money::Euros(2000));
  EXPECT_EQ(e->lines[49].software, Money::Euros(3000));
  EXPECT_EQ(e->lines[49].total, Money::Euros(5000));
  EXPECT_EQ(e->amoa, Money());
  EXPECT_EQ(e->essms_total, e->total);
}

TEST(EntitlementTest, RankBoundary49And50) {
  EXPECT_EQ(Acquisitions(49).Total(Campaign::kGeneralisation2024), Euros(1029000));
  EXPECT_EQ(Acquisitions(50).Total(Campaign::kGeneralisation2024), Euros(1034000));
  EXPECT_EQ(Acquisitions(1).Total(Campaign::kGeneralisation2023), Euros(21000));
  EXPECT_EQ(Acquisitions(60).Total(Campaign::kGeneralisation2025), Euros(1084000));
}

TEST(EntitlementTest, TwentyUpgrades) {
  ProjectBuilder p;
  p.AddOg(100);
  p.Add(20, Situation::kUpgrade);
  EXPECT_EQ(p.Total(Campaign::kGeneralisation2024), Euros(100000));
  Result<ProjectEntitlement> e = p.Compute(Campaign::kGeneralisation2024);
  EXPECT_EQ(e->lines[0].software, Money());  // paid by SONS to the vendor
}

TEST(EntitlementTest, UpgradesFromThe50thGetTheVolumeRate) {
  ProjectBuilder p;
  p.AddOg(100);
  p.Add(51, Situation::kUpgrade);
  // 49 x 5 000 + 2 x 2 000.
  EXPECT_EQ(p.Total(Campaign::kGeneralisation2024), Euros(249000));
}

TEST(EntitlementTest, MixedGrappeRanksRunOverTheWholeProject) {
  // 49 acquisitions, then an upgrade at rank 50 and an acquisition at rank 51.
  ProjectBuilder p;
  p.AddOg(100);
  p.Add(49, Situation::kAcquisition).Add(1, Situation::kUpgrade).Add(1, Situation::kAcquisition);
  Result<ProjectEntitlement> e = p.Compute(Campaign::kGeneralisation2024);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->lines[49].rank, 50);
  EXPECT_EQ(e->lines[49].situation, Situation::kUpgrade);
  EXPECT_EQ(e->lines[49].total, Money::Euros(2000));
  EXPECT_EQ(e->lines[50].total, Money::Euros(5000));
  EXPECT_EQ(e->total, Money::Euros(1029000 + 2000 + 5000));
}

TEST(EntitlementTest, SaadProrata) {
  ProjectBuilder p = Acquisitions(1);
  p.establishments()[0].saad_hours = SaadHours{1000, 800};
  EXPECT_EQ(p.Total(Campaign::kGeneralisation2024), Euros(16800));
  Result<ProjectEntitlement> e = p.Compute(Campaign::kGeneralisation2024);
  EXPECT_EQ(e->lines[0].usage, Money::Euros(7000));  // the rate, before prorata
  EXPECT_EQ(e->lines[0].forfait, Money::Euros(16800));
  EXPECT_EQ(e->lines[0].note, "SAAD prorata 800/1000 h");
}

TEST(EntitlementTest, SaadProrataRoundsDownOnceAtTheEnd) {
  // 21 000 € x 1/3 = 7 000 €; x 2/3 = 14 000 €; 5 000 € (upgrade 5 k€ at rank 1) x 1/3
  // = 1 666,666... -> 1 666,66 €. Rounding usage and software separately would differ
  // for 7 000 x 1/7 + 14 000 x 1/7 vs 21 000 x 1/7 only by cents; check the single
  // rounding: 21 000 € x 1 / 7 = 3 000 € exactly; 21 000 € x 1 / 9 = 2 333,33 €.
  ProjectBuilder p;
  p.AddOg(100);
  p.Add(1, Situation::kUpgrade).Add(1, Situation::kAcquisition);
  p.establishments()[0].saad_hours = SaadHours{3, 1};
  p.establishments()[1].saad_hours = SaadHours{9, 1};
  Result<ProjectEntitlement> e = p.Compute(Campaign::kGeneralisation2024);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->lines[0].forfait, Money::Cents(166666));
  // 7 000 / 9 = 777,77 and 14 000 / 9 = 1 555,55 would give 2 333,32: one rounding
  // gives 2 333,33.
  EXPECT_EQ(e->lines[1].forfait, Money::Cents(233333));
  EXPECT_EQ(e->total, Money::Cents(166666 + 233333));
}

TEST(EntitlementTest, SaadHoursMustBeConsistent) {
  ProjectBuilder p = Acquisitions(1);
  p.establishments()[0].saad_hours = SaadHours{1000, 1200};
  EXPECT_NE(p.Total(Campaign::kGeneralisation2024).find("BAD_INPUT"), std::string::npos);
  p.establishments()[0].saad_hours = SaadHours{0, 0};
  EXPECT_NE(p.Total(Campaign::kGeneralisation2024).find("BAD_INPUT"), std::string::npos);
}

TEST(EntitlementTest, SmallOgEquipmentIsCappedPerCampaign) {
  ProjectBuilder p;
  p.AddOg(5);  // small: fewer than 15 ESSMS
  p.Add(5, Situation::kAcquisition, 0, Money::Euros(15000).cents());
  Result<ProjectEntitlement> e2024 = p.Compute(Campaign::kGeneralisation2024);
  ASSERT_TRUE(e2024.ok());
  EXPECT_TRUE(e2024->lines[0].small_og);
  EXPECT_EQ(e2024->lines[0].small_og_equipment, Money::Euros(10000));
  EXPECT_EQ(e2024->lines[0].total, Money::Euros(31000));
  EXPECT_EQ(e2024->total, Money::Euros(5 * 31000));
  Result<ProjectEntitlement> e2023 = p.Compute(Campaign::kGeneralisation2023);
  EXPECT_EQ(e2023->lines[0].small_og_equipment, Money::Euros(15000));  // under the 20 k€ cap
  EXPECT_EQ(e2023->total, Money::Euros(5 * 36000));
  Result<ProjectEntitlement> e2025 = p.Compute(Campaign::kGeneralisation2025);
  EXPECT_EQ(e2025->lines[0].small_og_equipment, Money::Euros(10000));
}

TEST(EntitlementTest, SmallOgEquipmentNeverAboveTheQuote) {
  ProjectBuilder p;
  p.AddOg(3);
  p.Add(1, Situation::kUpgrade, 0, 123456);
  Result<ProjectEntitlement> e = p.Compute(Campaign::kGeneralisation2024);
  EXPECT_EQ(e->lines[0].small_og_equipment, Money::Cents(123456));
  EXPECT_EQ(e->lines[0].total, Money::Euros(5000) + Money::Cents(123456));
}

TEST(EntitlementTest, SmallOgThresholdAt14And15AndOverseasAt7And8) {
  EXPECT_TRUE(IsSmallOg(Campaign::kGeneralisation2024, 14, false));
  EXPECT_FALSE(IsSmallOg(Campaign::kGeneralisation2024, 15, false));
  EXPECT_TRUE(IsSmallOg(Campaign::kGeneralisation2024, 7, true));
  EXPECT_FALSE(IsSmallOg(Campaign::kGeneralisation2024, 8, true));

  ProjectBuilder p;
  p.AddOg(15);       // not small
  p.AddOg(14);       // small
  p.AddOg(8, "04");  // La Réunion, not small
  p.AddOg(7, "06");  // Mayotte, small
  const int64_t quote = Money::Euros(5000).cents();
  p.Add(1, Situation::kAcquisition, 0, quote).Add(1, Situation::kAcquisition, 1, quote);
  p.Add(1, Situation::kAcquisition, 2, quote).Add(1, Situation::kAcquisition, 3, quote);
  Result<ProjectEntitlement> e = p.Compute(Campaign::kGeneralisation2024);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->lines[0].small_og_equipment, Money());
  EXPECT_NE(e->lines[0].note.find("is not small (15 ESSMS)"), std::string::npos)
      << e->lines[0].note;
  EXPECT_EQ(e->lines[1].small_og_equipment, Money::Euros(5000));
  EXPECT_EQ(e->lines[2].small_og_equipment, Money());
  EXPECT_EQ(e->lines[3].small_og_equipment, Money::Euros(5000));
}

TEST(EntitlementTest, AmoaForAGrappeOfSmallOgs) {
  ProjectBuilder p;
  p.AddOg(5);
  p.AddOg(9);
  p.Add(5, Situation::kAcquisition, 0).Add(9, Situation::kAcquisition, 1);
  const Money essms = Money::Euros(14 * 21000);
  // 2023: flat 100 000 € whatever the amount requested.
  Result<ProjectEntitlement> e2023 = p.Compute(Campaign::kGeneralisation2023, Money::Euros(60000));
  EXPECT_EQ(e2023->amoa, Money::Euros(100000));
  EXPECT_EQ(e2023->total, essms + Money::Euros(100000));
  // 2024: at most 100 000 €, never more than requested.
  EXPECT_EQ(p.Compute(Campaign::kGeneralisation2024, Money::Euros(60000))->amoa,
            Money::Euros(60000));
  EXPECT_EQ(p.Compute(Campaign::kGeneralisation2024, Money::Euros(150000))->amoa,
            Money::Euros(100000));
  EXPECT_EQ(p.Compute(Campaign::kGeneralisation2025, Money::Cents(10000001))->amoa,
            Money::Euros(100000));
  // Not requested: nothing.
  EXPECT_EQ(p.Compute(Campaign::kGeneralisation2023)->amoa, Money());
}

// 000 §4.4.2 3) / 003 §3.3.2 3): AMOA « pour les regroupements composés d'organismes de
// petite taille »: a single small OG is no regroupement (issue 13 item 5).
TEST(EntitlementTest, NoAmoaForASingleSmallOg) {
  ProjectBuilder one;
  one.AddOg(5);
  one.Add(2, Situation::kAcquisition, 0);
  Result<ProjectEntitlement> e = one.Compute(Campaign::kGeneralisation2024, Money::Euros(50000));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->amoa, Money());
  EXPECT_EQ(e->total, Money::Euros(2 * 21000));
  EXPECT_EQ(one.Compute(Campaign::kGeneralisation2023, Money::Euros(50000))->amoa, Money());
  // The nearest accepted: two small OGs.
  ProjectBuilder two;
  two.AddOg(5);
  two.AddOg(14);
  two.Add(1, Situation::kAcquisition, 0).Add(1, Situation::kAcquisition, 1);
  EXPECT_EQ(two.Compute(Campaign::kGeneralisation2024, Money::Euros(50000))->amoa,
            Money::Euros(50000));
  EXPECT_EQ(two.Compute(Campaign::kGeneralisation2024, Money::Euros(50000))->total,
            Money::Euros(2 * 21000 + 50000));
}

TEST(EntitlementTest, NoAmoaWhenAnOgIsNotSmall) {
  ProjectBuilder p;
  p.AddOg(5);
  p.AddOg(40);
  p.Add(5, Situation::kAcquisition, 0).Add(10, Situation::kAcquisition, 1);
  Result<ProjectEntitlement> e = p.Compute(Campaign::kGeneralisation2024, Money::Euros(50000));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->amoa, Money());
  ASSERT_EQ(e->notes.size(), 1u);
  EXPECT_NE(e->notes[0].find("AMOA not funded"), std::string::npos) << e->notes[0];
}

TEST(EntitlementTest, DuplicateFinessIsAnError) {
  ProjectBuilder p = Acquisitions(3);
  p.establishments().push_back(p.establishments()[1]);
  Result<ProjectEntitlement> e = p.Compute(Campaign::kGeneralisation2024);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().error_code(), "DUPLICATE_FINESS");
  EXPECT_NE(e.status().message().find("ranks 2 and 4"), std::string::npos) << e.status().message();
}

TEST(EntitlementTest, BadInputs) {
  ProjectBuilder empty;
  empty.AddOg(10);
  EXPECT_EQ(empty.Total(Campaign::kGeneralisation2024),
            "BAD_INPUT: a project has at least one establishment");
  ProjectBuilder p = Acquisitions(2);
  p.ogs().clear();
  EXPECT_NE(p.Total(Campaign::kGeneralisation2024).find("which is not among the organisations"),
            std::string::npos);
  ProjectBuilder q = Acquisitions(1);
  q.establishments()[0].equipment_quote_cents = -1;
  EXPECT_NE(q.Total(Campaign::kGeneralisation2024).find("BAD_INPUT"), std::string::npos);
}

TEST(EntitlementTest, AmorcageAcquisitionCappedAt30Esms) {
  ProjectBuilder p = Acquisitions(35);
  EXPECT_EQ(p.Total(Campaign::kAmorcage2021), Euros(750000));
  Result<ProjectEntitlement> e = p.Compute(Campaign::kAmorcage2021);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->lines[29].total, Money::Euros(25000));
  EXPECT_EQ(e->lines[30].rank, 31);
  EXPECT_EQ(e->lines[30].total, Money());
  EXPECT_NE(e->lines[30].note.find("rank 31 > 30: not funded"), std::string::npos);
  EXPECT_EQ(Acquisitions(30).Total(Campaign::kAmorcage2021), Euros(750000));
  EXPECT_EQ(Acquisitions(29).Total(Campaign::kAmorcage2021), Euros(725000));
}

TEST(EntitlementTest, AmorcageConformityAndSmallEsmsEquipment) {
  ProjectBuilder p;
  p.AddOg(40);
  p.Add(32, Situation::kUpgrade);
  EXPECT_EQ(p.Total(Campaign::kAmorcage2021), Euros(300000));  // 30 x 10 000 €

  ProjectBuilder small;
  small.AddOg(6);
  small.Add(6, Situation::kAcquisition, 0, Money::Euros(25000).cents());
  Result<ProjectEntitlement> e = small.Compute(Campaign::kAmorcage2021);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->lines[0].small_og_equipment, Money::Euros(20000));
  EXPECT_EQ(e->total, Money::Euros(6 * 45000));
}

TEST(EntitlementTest, AmorcageNeverMixesAcquisitionAndConformity) {
  ProjectBuilder p;
  p.AddOg(40);
  p.Add(10, Situation::kAcquisition).Add(1, Situation::kUpgrade);
  Result<ProjectEntitlement> e = p.Compute(Campaign::kAmorcage2021);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().error_code(), "INVALID_PROJECT_KIND");
  EXPECT_EQ(e.status().code(), StatusCode::kFailedPrecondition);
  // Généralisation accepts mixed grappes.
  EXPECT_TRUE(p.Compute(Campaign::kGeneralisation2024).ok());
}

// ---- Grappe size ----

std::string Assess(Campaign c, ProjectBuilder& p) {
  Result<GrappeSizeAssessment> a = AssessGrappeSize(c, p.ogs(), p.establishments());
  if (!a.ok()) return a.status().ToString();
  switch (a->outcome) {
    case GrappeSizeAssessment::Outcome::kOk:
      return a->below ? "ok (below)" : "ok";
    case GrappeSizeAssessment::Outcome::kWarning:
      return "warning";
    case GrappeSizeAssessment::Outcome::kRefusal:
      return "refusal";
  }
  return "?";
}

ProjectBuilder Grappe(int ogs, int essms, std::string_view region = "53", int og_size = 5) {
  ProjectBuilder p;
  for (int i = 0; i < ogs; ++i) p.AddOg(og_size, region);
  for (int i = 0; i < essms; ++i) p.Add(1, Situation::kAcquisition, i % ogs);
  return p;
}

// 2025 too: the « au moins 15 » of 002 is a reminder inside the MECS answer of a
// regional FAQ; 000/003 say « idéalement » (DOMAIN.md §2, issue 13 item 1).
TEST(GrappeSizeTest, Generalisation2025WarnsBelow15Or8) {
  ProjectBuilder p14 = Grappe(2, 14), p15 = Grappe(2, 15);
  ProjectBuilder far7 = Grappe(1, 7, "06"), far8 = Grappe(1, 8, "06");
  EXPECT_EQ(Assess(Campaign::kGeneralisation2025, p14), "warning");
  EXPECT_EQ(Assess(Campaign::kGeneralisation2025, p15), "ok");
  EXPECT_EQ(Assess(Campaign::kGeneralisation2025, far7), "warning");
  EXPECT_EQ(Assess(Campaign::kGeneralisation2025, far8), "ok");
}

TEST(GrappeSizeTest, GeneralisationWarnsBelow15Or8) {
  ProjectBuilder p14 = Grappe(2, 14), p15 = Grappe(2, 15);
  EXPECT_EQ(Assess(Campaign::kGeneralisation2024, p14), "warning");
  EXPECT_EQ(Assess(Campaign::kGeneralisation2024, p15), "ok");
  EXPECT_EQ(Assess(Campaign::kGeneralisation2023, p14), "warning");
  ProjectBuilder far7 = Grappe(1, 7, "06"), far8 = Grappe(1, 8, "06");
  EXPECT_EQ(Assess(Campaign::kGeneralisation2023, far7), "warning");
  EXPECT_EQ(Assess(Campaign::kGeneralisation2023, far8), "ok");
  Result<GrappeSizeAssessment> a =
      AssessGrappeSize(Campaign::kGeneralisation2024, p14.ogs(), p14.establishments());
  EXPECT_EQ(a->unique_essms, 14);
  EXPECT_EQ(a->required_essms, 15);
  EXPECT_TRUE(a->below);
  EXPECT_EQ(a->source, "003 \u00a73.2 D (8: 000 \u00a74.2 D)");
}

TEST(GrappeSizeTest, OverseasOnlyWhenAllEssmsAre) {
  ProjectBuilder p = Grappe(1, 10, "06");
  p.AddOg(5, "53");
  p.Add(1, Situation::kAcquisition, 1);  // one metropolitan ESSMS: 15 required
  EXPECT_EQ(Assess(Campaign::kGeneralisation2024, p), "warning");
  EXPECT_FALSE(ShapeOf(p.establishments()).overseas_or_corsica);
  EXPECT_EQ(ShapeOf(p.establishments()).regions, 2);
}

TEST(GrappeSizeTest, AmorcageAcquisitionNeeds3OgsAnd15Esms) {
  ProjectBuilder ok = Grappe(3, 15), few_essms = Grappe(3, 14), few_ogs = Grappe(2, 15);
  EXPECT_EQ(Assess(Campaign::kAmorcage2021, ok), "ok");
  EXPECT_EQ(Assess(Campaign::kAmorcage2021, few_essms), "refusal");
  EXPECT_EQ(Assess(Campaign::kAmorcage2021, few_ogs), "refusal");
  ProjectBuilder far_ok = Grappe(2, 8, "94"), far_7 = Grappe(2, 7, "94"),
                 far_1og = Grappe(1, 8, "94");
  EXPECT_EQ(Assess(Campaign::kAmorcage2021, far_ok), "ok");
  EXPECT_EQ(Assess(Campaign::kAmorcage2021, far_7), "refusal");
  EXPECT_EQ(Assess(Campaign::kAmorcage2021, far_1og), "refusal");
}

TEST(GrappeSizeTest, AmorcageMediumOrLargeOgMayCarryAnAcquisitionAlone) {
  ProjectBuilder large = Grappe(1, 10, "53", /*og_size=*/15);
  EXPECT_EQ(Assess(Campaign::kAmorcage2021, large), "ok (below)");
  ProjectBuilder small = Grappe(1, 10, "53", /*og_size=*/14);
  EXPECT_EQ(Assess(Campaign::kAmorcage2021, small), "refusal");
}

TEST(GrappeSizeTest, AmorcageConformityHasNoThresholdButNeverMixes) {
  ProjectBuilder p;
  p.AddOg(5);
  p.Add(3, Situation::kUpgrade);
  EXPECT_EQ(Assess(Campaign::kAmorcage2021, p), "ok");
  p.Add(1, Situation::kAcquisition);
  EXPECT_NE(Assess(Campaign::kAmorcage2021, p).find("INVALID_PROJECT_KIND"), std::string::npos);
}

}  // namespace
}  // namespace esms::domain
