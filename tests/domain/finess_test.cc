#include "domain/finess.h"

#include <gtest/gtest.h>

namespace esms::domain {
namespace {

// "ok" or the error, so a failure reads like the bug.
std::string Check(std::string_view text) {
  Result<Finess> finess = Finess::Parse(text);
  return finess.ok() ? "ok" : finess.status().ToString();
}

std::string CheckSiret(std::string_view text) {
  Result<Siret> siret = Siret::Parse(text);
  return siret.ok() ? "ok" : siret.status().ToString();
}

TEST(FinessTest, RealNumbersPass) {
  // DOMAIN.md §0: checked on real numbers.
  for (std::string_view real :
       {"010000024", "010780054", "750712184", "330781196", "970302287", "980600027"}) {
    EXPECT_EQ(Check(real), "ok") << real;
  }
}

TEST(FinessTest, CorsicanNumbersPass) {
  EXPECT_EQ(Check("2A0000170"), "ok");
  EXPECT_EQ(Check("2B0000020"), "ok");
}

TEST(FinessTest, WrongKeyFails) {
  EXPECT_EQ(Check("010000098"), "FINESS_INVALID: \"010000098\": wrong check key (Luhn)");
  EXPECT_EQ(Check("010000025"), "FINESS_INVALID: \"010000025\": wrong check key (Luhn)");
  // The Corsican key is not the key of the digits with A/B dropped or zeroed.
  EXPECT_NE(Check("2A0000171"), "ok");
  EXPECT_NE(Check("2B0000170"), "ok");
}

TEST(FinessTest, WrongShapeFails) {
  for (std::string_view bad : {"01000002", "0100000240", "", "01000002A", "0A0000024", "3A0000024",
                               "2C0000020", "2a0000170", "A10000024", "01000 024", "2A000017B"}) {
    Result<Finess> finess = Finess::Parse(bad);
    ASSERT_FALSE(finess.ok()) << bad;
    EXPECT_EQ(finess.status().error_code(), "FINESS_INVALID") << bad;
    EXPECT_EQ(finess.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(Check("01000002"),
            "FINESS_INVALID: \"01000002\": a FINESS number has 9 characters, not 8");
}

TEST(FinessTest, DepartementAndOverseas) {
  auto dep = [](std::string_view text) { return Finess::Parse(text)->departement(); };
  auto far = [](std::string_view text) { return Finess::Parse(text)->overseas_or_corsica(); };
  EXPECT_EQ(dep("010000024"), "01");
  EXPECT_EQ(dep("750712184"), "75");
  EXPECT_EQ(dep("330781196"), "33");
  EXPECT_EQ(dep("2A0000170"), "2A");
  EXPECT_EQ(dep("2B0000020"), "2B");
  EXPECT_EQ(dep("970302287"), "973");  // 9703: Guyane
  EXPECT_EQ(dep("980600027"), "986");  // 9806: Wallis-et-Futuna
  EXPECT_FALSE(far("010000024"));
  EXPECT_FALSE(far("750712184"));
  EXPECT_TRUE(far("2A0000170"));
  EXPECT_TRUE(far("2B0000020"));
  EXPECT_TRUE(far("970302287"));
  EXPECT_TRUE(far("980600027"));
}

TEST(FinessTest, MayotteNumbersMapToDepartement976) {
  // Build a valid 9805... number: find the key digit that passes.
  for (char key = '0'; key <= '9'; ++key) {
    std::string text = std::string("98050001") + key;
    Result<Finess> finess = Finess::Parse(text);
    if (!finess.ok()) continue;
    EXPECT_EQ(finess->departement(), "976");
    EXPECT_TRUE(finess->overseas_or_corsica());
    return;
  }
  FAIL() << "no valid 98050001x number";
}

TEST(FinessTest, ValueSemantics) {
  Finess a = *Finess::Parse("010000024");
  Finess b = *Finess::Parse("750712184");
  EXPECT_EQ(a, *Finess::Parse("010000024"));
  EXPECT_LT(a, b);
  EXPECT_EQ(a.str(), "010000024");
}

TEST(SiretTest, LuhnValidAndInvalid) {
  EXPECT_EQ(CheckSiret("73282932000074"), "ok");  // a published SIRET
  EXPECT_EQ(CheckSiret("73282932000075"),
            "SIRET_INVALID: \"73282932000075\": wrong check key (Luhn)");
  EXPECT_EQ(Siret::Parse("73282932000074")->siren(), "732829320");
}

TEST(SiretTest, WrongShapeFails) {
  for (std::string_view bad : {"7328293200007", "732829320000740", "7328293200007A", ""}) {
    Result<Siret> siret = Siret::Parse(bad);
    ASSERT_FALSE(siret.ok()) << bad;
    EXPECT_EQ(siret.status().error_code(), "SIRET_INVALID") << bad;
  }
}

TEST(SiretTest, LaPosteUsesDigitSumMultipleOfFive) {
  // Digit sum 3+5+6+1 = 15, a multiple of 5, although the Luhn key is wrong.
  ASSERT_FALSE(LuhnValid("35600000000001"));
  EXPECT_EQ(CheckSiret("35600000000001"), "ok");
  // Luhn-valid but digit sum 19: refused for La Poste.
  ASSERT_TRUE(LuhnValid("35600000000014"));
  EXPECT_EQ(CheckSiret("35600000000014"),
            "SIRET_INVALID: \"35600000000014\": La Poste SIRET: the digit sum must be a "
            "multiple of 5");
  // The head office keeps its Luhn key (digit sum 26).
  EXPECT_EQ(CheckSiret("35600000000048"), "ok");
}

}  // namespace
}  // namespace esms::domain

namespace esms::domain {
namespace {

TEST(FinessTest, DefaultIsAnEmptyPlaceholder) {
  Finess placeholder;
  EXPECT_EQ(placeholder.str(), "");
  EXPECT_EQ(placeholder.departement(), "");
  EXPECT_FALSE(placeholder.overseas_or_corsica());
  EXPECT_NE(placeholder, *Finess::Parse("010000024"));
  EXPECT_EQ(Siret().siren(), "");
}

}  // namespace
}  // namespace esms::domain
