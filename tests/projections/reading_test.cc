// Issue 13, second reading of the texts: each rule on the fields the events already
// have, at both sides of its boundary, through the import path (guard and fold) and the
// `state` / `check` views.
#include "tests/projections/fixture.h"

namespace esms::projections::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ReadingTest = ProjectionsTest;

json Selected(const std::string& project, const std::string& at = "2024-04-15") {
  return {{"project", project}, {"committeeAt", at}};
}
json Convention(const std::string& project, const std::vector<std::string>& ests, int64_t cents,
                const std::string& signed_at = "2024-06-01", int duration = 18) {
  return {{"project", project},
          {"signedAt", signed_at},
          {"amountCents", cents},
          {"establishments", ests},
          {"durationMonths", duration}};
}
json Payment(const std::string& project, const std::string& tranche, int64_t cents,
             const std::string& paid_at) {
  return {{"project", project},
          {"tranche", tranche},
          {"amountCents", cents},
          {"paidAt", paid_at},
          {"reference", "PAY-" + tranche + "-" + paid_at}};
}
json Expenses(const std::string& project, const std::string& at) {
  return {{"project", project},
          {"totalCents", 50000000},
          {"equipmentCents", 0},
          {"certifiedBy", "public-accountant"},
          {"certifiedAt", at}};
}
// A measurement meeting every target (active files = persons), or missing the active
// files rate by one file when `meets` is false.
json Measure(const std::string& finess, const std::string& start, const std::string& end,
             bool meets = true) {
  return Measurement(finess, start, end, 100, meets ? 100 : 89);
}
std::vector<std::string> Ets(int first, int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(Et(first + i));
  return out;
}

// ---- 1. GRAPPE_TOO_SMALL is a warning in every campaign, 2025 included ----

TEST_F(ReadingTest, Grappe2025BelowFifteenIsAWarningNotARefusal) {
  // 000 §4.2 D « idéalement », 002 compléments « au cas par cas » (DOMAIN.md §2).
  EXPECT_EQ(
      Code("porteur", "project.submitted", "2025-03-10",
           Submission("small", Ets(1, 14), "generalisation-2025", "acquisition", "2025-03-10")),
      "OK");
  EXPECT_THAT(WarningCodes("small"), Contains("GRAPPE_TOO_SMALL"));
  Must("porteur", "project.submitted", "2025-03-10",
       Submission("fifteen", Ets(101, 15), "generalisation-2025", "acquisition", "2025-03-10"));
  EXPECT_THAT(WarningCodes("fifteen"), Not(Contains("GRAPPE_TOO_SMALL")));
}

// ---- 2. SONS: no acquisition funding at all, whichever software ----

TEST_F(ReadingTest, SonsOrderRefusesAcquisitionOfTheSameSoftwareButNotItsUpgrade) {
  // 000 §3.2: « ne peut pas être cumulée avec un financement à l'équipement logiciel ».
  const uint64_t sons =
      Must("national", "sons.ordered", "2023-01-10",
           {{"finess", Et(1)}, {"solution", Solution()}, {"orderedAt", "2023-01-10"}});
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("acq", {Et(1)})),
            "NONCUMUL_SONS_ACQUISITION");
  EXPECT_THAT(last_status_.conflicts(), Contains(sons));
  // Usage funding keeping the SONS software stays allowed (002, 003 §2.1).
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10",
                 Submission("usage", {Et(1)}, "generalisation-2024", "upgrade")),
            "OK");
}

// ---- 3. Ranks over the ESSMS the convention lists ----

TEST_F(ReadingTest, ConventionKeeping49Of52AcquisitionsGrants49FullRates) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("big", Ets(1, 52)));
  Must("ars-bzh", "project.selected", "2024-04-15", Selected("big"));
  const std::vector<std::string> kept = Ets(4, 49);  // ranks 1-3 left out
  const int64_t full = 49 * kAcquisition2024;        // 102 900 000 cents
  EXPECT_EQ(Code("ars-bzh", "convention.signed", "2024-06-01", Convention("big", kept, full + 1)),
            "AMOUNT_EXCEEDS_ENTITLEMENT");
  EXPECT_EQ(Code("ars-bzh", "convention.signed", "2024-06-01", Convention("big", kept, full)),
            "OK");
  json state = State("big");
  EXPECT_EQ(state["entitlementCents"], full);
  EXPECT_EQ(state["establishments"][51]["rank"], 49);  // Et(52) is now the 49th
  EXPECT_EQ(state["establishments"][51]["entitlementCents"], kAcquisition2024);
  EXPECT_EQ(state["establishments"][0]["entitlementCents"], 0);  // left out
  // An extension takes the next rank after the convention's ESSMS: the 50th.
  Must("ars-bzh", "grappe.extended", "2024-09-01", Extension("big", {Et(200)}, true));
  state = State("big");
  EXPECT_EQ(state["establishments"][52]["rank"], 50);
  EXPECT_EQ(state["establishments"][52]["entitlementCents"], 500000);  // 2 000 + 3 000 €
  EXPECT_EQ(state["entitlementCents"], full + 500000);
}

// ---- 4. Amorçage is not a Ségur campaign ----

TEST_F(ReadingTest, AmorcageIsNotCheckedAgainstSegurReferencing) {
  // Referenced only after the submissions: 2024 refused, amorçage 2021 not checked (001).
  Must("national", "solution.referenced", "2024-12-01",
       {{"solution", Solution()},
        {"corridor", "medico-social"},
        {"status", "referenced"},
        {"referencedAt", "2024-12-01"}});
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("g", {Et(1)})),
            "SOLUTION_NOT_REFERENCED");
  json amorcage = Submission("a", {Et(2)}, "amorcage-2021", "acquisition", "2021-03-01");
  // Required in amorçage (001 §3, issue 13 item 7).
  amorcage["usageCommitments"] = AmorcageCommitments();
  EXPECT_EQ(Code("porteur", "project.submitted", "2021-03-01", amorcage), "OK");
}

// ---- 5. AMOA for regroupements: at least two OGs, all small ----

json SmallOgs(const std::string& project, int ogs) {
  json sub = Submission(project, {Et(1), Et(2)});
  sub["amoaRequestedCents"] = 10000000;
  sub["organisations"] = json::array();
  for (int o = 1; o <= ogs; ++o) {
    sub["organisations"].push_back(
        {{"finessEj", Ej(o)}, {"name", "OG"}, {"essmsTotal", 5}, {"region", "53"}});
  }
  sub["establishments"][1]["finessEj"] = Ej(ogs);
  return sub;
}

TEST_F(ReadingTest, AmoaNeedsAtLeastTwoSmallOgs) {
  Must("porteur", "project.submitted", "2024-03-10", SmallOgs("one", 1));
  EXPECT_EQ(State("one")["entitlementCents"], 2 * kAcquisition2024);
  Must("porteur", "project.submitted", "2024-03-10", [] {
    json s = SmallOgs("two", 2);
    s["establishments"][0]["finess"] = Et(3);
    s["establishments"][1]["finess"] = Et(4);
    return s;
  }());
  EXPECT_EQ(State("two")["entitlementCents"], 2 * kAcquisition2024 + 10000000);
}

// ---- 6 and 20. Measurement periods and rhythm per campaign ----

// A 2023 grappe of two ESSMS under a convention, advance paid, expenses certified.
class Balance2023Test : public ProjectionsTest {
 protected:
  void SetUp() override {
    ProjectionsTest::SetUp();
    Must("porteur", "project.submitted", "2023-03-10",
         Submission("p", {Et(1), Et(2)}, "generalisation-2023", "acquisition", "2023-03-10"));
    Must("ars-bzh", "project.selected", "2023-04-15", Selected("p", "2023-04-15"));
    Must("ars-bzh", "convention.signed", "2023-06-01",
         Convention("p", {Et(1), Et(2)}, 2 * kAcquisition2024, "2023-06-01"));
    Must("payer-bzh", "payment.issued", "2023-06-10",
         Payment("p", "advance", kAcquisition2024, "2023-06-10"));
    Must("porteur", "expenses.certified", "2024-01-05", Expenses("p", "2024-01-05"));
  }
  std::string Balance(const std::string& at) {
    return Code("payer-bzh", "payment.issued", at, Payment("p", "balance", kAcquisition2024, at));
  }
};

TEST_F(Balance2023Test, TheMonthElapsedIsTheCommonPeriod) {
  // 000 §5: « sur le mois écoulé mesuré à chaque fin de mois (avec une période de 3 mois
  // pour la première mesure) ». October and November miss, December meets for both.
  for (const std::string& finess : {Et(1), Et(2)}) {
    Must("porteur", "indicator.measured", "2023-11-01",
         Measure(finess, "2023-08-01", "2023-10-31", false));
    Must("porteur", "indicator.measured", "2023-12-01",
         Measure(finess, "2023-11-01", "2023-11-30", false));
  }
  Must("porteur", "indicator.measured", "2024-01-01", Measure(Et(1), "2023-12-01", "2023-12-31"));
  // Et(2) meets in December only on a measurement that is not one month: refused.
  Must("porteur", "indicator.measured", "2024-01-01", Measure(Et(2), "2023-11-15", "2023-12-31"));
  EXPECT_EQ(Balance("2024-01-10"), "TARGETS_NOT_MET");
  Must("porteur", "indicator.measured", "2024-01-02", Measure(Et(2), "2023-12-01", "2023-12-31"));
  EXPECT_EQ(Balance("2024-01-10"), "OK");
}

TEST_F(Balance2023Test, OnlyTheFirstMeasureMayCoverThreeMonths) {
  // Et(1): its first measure covers three months and meets; Et(2): a later quarter.
  Must("porteur", "indicator.measured", "2024-01-01", Measure(Et(1), "2023-10-01", "2023-12-31"));
  Must("porteur", "indicator.measured", "2023-10-01",
       Measure(Et(2), "2023-09-01", "2023-09-30", false));
  Must("porteur", "indicator.measured", "2024-01-01", Measure(Et(2), "2023-10-01", "2023-12-31"));
  EXPECT_EQ(Balance("2024-01-10"), "TARGETS_NOT_MET");
  Must("porteur", "indicator.measured", "2024-01-02", Measure(Et(2), "2023-12-01", "2023-12-31"));
  EXPECT_EQ(Balance("2024-01-10"), "OK");
}

class Balance2025Test : public ProjectionsTest {
 protected:
  void SetUp() override {
    ProjectionsTest::SetUp();
    Must("porteur", "project.submitted", "2025-03-10",
         Submission("p", Ets(1, 15), "generalisation-2025", "acquisition", "2025-03-10"));
    Must("ars-bzh", "project.selected", "2025-04-15", Selected("p", "2025-04-15"));
    Must("ars-bzh", "convention.signed", "2025-06-01",
         Convention("p", {Et(1)}, kAcquisition2024, "2025-06-01"));
    Must("payer-bzh", "payment.issued", "2025-06-10",
         Payment("p", "advance", kAcquisition2024 / 2, "2025-06-10"));
    Must("porteur", "expenses.certified", "2025-09-01", Expenses("p", "2025-09-01"));
  }
  std::string Balance(const std::string& at) {
    return Code("payer-bzh", "payment.issued", at,
                Payment("p", "balance", kAcquisition2024 / 2, at));
  }
};

TEST_F(Balance2025Test, AMidMonthQuarterNeverMakesTheCommonPeriod) {
  // DOMAIN.md §6 rhythm: monthly measures ending on a month end.
  Must("porteur", "indicator.measured", "2025-10-16", Measure(Et(1), "2025-07-16", "2025-10-15"));
  EXPECT_EQ(Balance("2025-10-20"), "TARGETS_NOT_MET");
}

TEST_F(Balance2025Test, ALaterQuarterDoesNotCountOnlyMonthlyMeasures) {
  Must("porteur", "indicator.measured", "2025-07-01",
       Measure(Et(1), "2025-06-01", "2025-06-30", false));
  Must("porteur", "indicator.measured", "2025-10-01", Measure(Et(1), "2025-07-01", "2025-09-30"));
  EXPECT_EQ(Balance("2025-10-05"), "TARGETS_NOT_MET");
  for (const auto& [start, end] :
       {std::pair{"2025-07-01", "2025-07-31"}, std::pair{"2025-08-01", "2025-08-31"},
        std::pair{"2025-09-01", "2025-09-30"}}) {
    Must("porteur", "indicator.measured", "2025-10-02", Measure(Et(1), start, end));
  }
  EXPECT_EQ(Balance("2025-10-05"), "OK");
}

// 2024: MSSanté / DMP over 3 to 6 months before the final measurement (003 §4 A).
class Balance2024Test : public ProjectionsTest {
 protected:
  void SetUp() override {
    ProjectionsTest::SetUp();
    SubmitSelectSign(Submission("p", {Et(1)}), kAcquisition2024);
    Must("payer-bzh", "payment.issued", "2024-06-10",
         Payment("p", "advance", kAcquisition2024 / 2, "2024-06-10"));
    Must("porteur", "expenses.certified", "2025-06-01", Expenses("p", "2025-06-01"));
  }
  std::string Balance(const std::string& at) {
    return Code("payer-bzh", "payment.issued", at,
                Payment("p", "balance", kAcquisition2024 / 2, at));
  }
};

TEST_F(Balance2024Test, SocleWindowOfSixMonthsCountsSevenDoesNot) {
  json seven = Measure(Et(1), "2025-04-01", "2025-06-30");
  seven["soclePeriodStart"] = "2024-12-01";
  const uint64_t bad = Must("porteur", "indicator.measured", "2025-07-01", seven);
  EXPECT_EQ(Balance("2025-07-05"), "TARGETS_NOT_MET");
  Reopen();  // the snapshot's measurement chunk keeps soclePeriodStart
  EXPECT_EQ(Balance("2025-07-05"), "TARGETS_NOT_MET");
  Must("ars-bzh", "event.voided", "2025-07-02", {{"seq", bad}, {"reason", "window"}});
  json six = Measure(Et(1), "2025-04-01", "2025-06-30");
  six["soclePeriodStart"] = "2025-01-01";
  Must("porteur", "indicator.measured", "2025-07-02", six);
  EXPECT_EQ(Balance("2025-07-05"), "OK");
}

// ---- 11. The project's kind matches its ESSMS ----

TEST_F(ReadingTest, ProjectKindMustMatchTheSituations) {
  json mixed = Submission("m", {Et(1), Et(2)});
  mixed["establishments"][1]["situation"] = "upgrade";
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", mixed), "INVALID_PROJECT_KIND");
  mixed["kind"] = "mixed";
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", mixed), "OK");
  json usage = Submission("u", {Et(3)});
  usage["kind"] = "usage";
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", usage), "INVALID_PROJECT_KIND");
  json all_acq_mixed = Submission("am", {Et(4)});
  all_acq_mixed["kind"] = "mixed";
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", all_acq_mixed),
            "INVALID_PROJECT_KIND");
}

// ---- 13. A complement needs a running project ----

TEST_F(ReadingTest, NoExtensionAfterTheBalance) {
  SubmitSelectSign(Submission("p", {Et(1)}), kAcquisition2024);
  Must("payer-bzh", "payment.issued", "2024-06-10", Payment("p", "advance", 1050000, "2024-06-10"));
  // Still running (advance paid): an extension is accepted.
  Must("ars-bzh", "grappe.extended", "2024-09-01", Extension("p", {Et(2)}, true));
  Must("ars-bzh", "convention.signed", "2024-09-02",
       Convention("p", {Et(1), Et(2)}, 2 * kAcquisition2024, "2024-09-02"));
  Must("porteur", "expenses.certified", "2025-09-01", Expenses("p", "2025-09-01"));
  for (const std::string& f : {Et(1), Et(2)}) {
    Must("porteur", "indicator.measured", "2025-10-01", Measurement(f, "2025-07-01", "2025-09-30"));
  }
  Must("payer-bzh", "payment.issued", "2025-10-10",
       Payment("p", "balance", 2 * kAcquisition2024 - 1050000, "2025-10-10"));
  EXPECT_EQ(
      Code("ars-bzh", "grappe.extended", "2025-11-01", Extension("p", {Et(3)}, true, "2025-11-01")),
      "INVALID_TRANSITION");
}

// ---- 14. The paying region of a complement ----

json IdfExtension(const std::string& project, const std::string& paying) {
  return {{"project", project},
          {"extendedAt", "2024-09-01"},
          {"porteurAgreement", true},
          {"payingRegion", paying},
          {"organisations",
           json::array(
               {{{"finessEj", Ej(1)}, {"name", "OG 1"}, {"essmsTotal", 20}, {"region", "53"}}})},
          {"establishments", json::array({{{"finess", EtIdf(1)},
                                           {"finessEj", Ej(1)},
                                           {"name", "IdF"},
                                           {"region", "11"},
                                           {"situation", "acquisition"}}})}};
}

TEST_F(ReadingTest, PayingRegionIsTheAddedEssmsRegionAndPaysOnlyTheComplement) {
  SubmitSelectSign(Submission("p", {Et(1)}), kAcquisition2024);
  EXPECT_EQ(Code("ars-bzh", "grappe.extended", "2024-09-01", IdfExtension("p", "53")),
            "PAYING_REGION_MISMATCH");
  Must("ars-bzh", "grappe.extended", "2024-09-01", IdfExtension("p", "11"));
  // The follow-up stays with the lead region: the paying region's ARS may not sign the
  // amended convention.
  const json amended = Convention("p", {Et(1), EtIdf(1)}, 2 * kAcquisition2024, "2024-09-05");
  EXPECT_EQ(Code("ars-idf", "convention.signed", "2024-09-05", amended), "PERMISSION_DENIED");
  Must("ars-bzh", "convention.signed", "2024-09-05", amended);
  // Île-de-France pays at most the complement's own entitlement (21 000 €).
  json pay = {
      {"project", "p"},         {"tranche", "advance"}, {"amountCents", kAcquisition2024 / 2 + 1},
      {"paidAt", "2024-09-10"}, {"reference", "IDF-1"}, {"payingRegion", "11"}};
  json ok = pay;
  ok["amountCents"] = kAcquisition2024 / 2;
  Must("payer-bzh", "payment.issued", "2024-09-10",
       Payment("p", "advance", kAcquisition2024 / 2, "2024-09-10"));
  EXPECT_EQ(Code("payer-idf", "payment.issued", "2024-09-10", ok), "OK");
  ok["reference"] = "IDF-2";
  ok["amountCents"] = kAcquisition2024 / 2;
  ok["tranche"] = "balance";
  Must("porteur", "expenses.certified", "2025-09-01", Expenses("p", "2025-09-01"));
  for (const std::string& f : {Et(1), EtIdf(1)}) {
    Must("porteur", "indicator.measured", "2025-10-01", Measurement(f, "2025-07-01", "2025-09-30"));
  }
  ok["paidAt"] = "2025-10-10";
  ok["amountCents"] = kAcquisition2024 / 2 + 1;
  EXPECT_EQ(Code("payer-idf", "payment.issued", "2025-10-10", ok), "AMOUNT_EXCEEDS_ENTITLEMENT");
  ok["amountCents"] = kAcquisition2024 / 2;
  EXPECT_EQ(Code("payer-idf", "payment.issued", "2025-10-10", ok), "OK");
}

// ---- 14. The paying region pays only its complement, on its own tranches ----

class ComplementTest : public ReadingTest {
 protected:
  // Project p: Et(1) in Bretagne (lead), then EtIdf(1) added, paid by Île-de-France,
  // listed by the amended convention of 2 x 21 000 €; the lead's advance paid.
  void SetUpComplement(bool amend = true) {
    SubmitSelectSign(Submission("p", {Et(1)}), kAcquisition2024);
    Must("payer-bzh", "payment.issued", "2024-06-10",
         Payment("p", "advance", kAcquisition2024 / 2, "2024-06-10"));
    extension_ = Must("ars-bzh", "grappe.extended", "2024-09-01", IdfExtension("p", "11"));
    if (amend) {
      amended_ = Must("ars-bzh", "convention.signed", "2024-09-05",
                      Convention("p", {Et(1), EtIdf(1)}, 2 * kAcquisition2024, "2024-09-05"));
    }
  }
  json IdfPayment(const std::string& tranche, int64_t cents, const std::string& paid_at) {
    json pay = Payment("p", tranche, cents, paid_at);
    pay["reference"] = "IDF-" + tranche + "-" + paid_at + "-" + std::to_string(cents);
    pay["payingRegion"] = "11";
    return pay;
  }
  void MeasureAndCertify() {
    Must("porteur", "expenses.certified", "2025-09-01", Expenses("p", "2025-09-01"));
    for (const std::string& f : {Et(1), EtIdf(1)}) {
      Must("porteur", "indicator.measured", "2025-10-01",
           Measurement(f, "2025-07-01", "2025-09-30"));
    }
  }
  uint64_t extension_ = 0, amended_ = 0;
};

// 002: « L'ARS de la région concernée par ces nouveaux ESMS sera sollicitée uniquement
// pour le financement de ce complément »: its advance is 50 % of the complement's own
// entitlement (21 000 €), not of the convention.
TEST_F(ComplementTest, TheComplementsAdvanceIsHalfItsOwnEntitlement) {
  SetUpComplement();
  EXPECT_EQ(Code("payer-idf", "payment.issued", "2024-09-10",
                 IdfPayment("advance", kAcquisition2024 / 2 + 1, "2024-09-10")),
            "ADVANCE_EXCEEDS_SHARE");
  EXPECT_EQ(Code("payer-idf", "payment.issued", "2024-09-10",
                 IdfPayment("advance", kAcquisition2024 / 2, "2024-09-10")),
            "OK");
  // Its payments never move the project's status (follow-up stays with the lead).
  EXPECT_EQ(State("p")["status"], "advance-paid");
}

TEST_F(ComplementTest, TheComplementsBalanceFollowsItsOwnAdvance) {
  SetUpComplement();
  MeasureAndCertify();
  EXPECT_EQ(Code("payer-idf", "payment.issued", "2025-10-10",
                 IdfPayment("balance", kAcquisition2024 / 2, "2025-10-10")),
            "INVALID_TRANSITION");
  Must("payer-idf", "payment.issued", "2024-09-10",
       IdfPayment("advance", kAcquisition2024 / 2, "2024-09-10"));
  EXPECT_EQ(Code("payer-idf", "payment.issued", "2025-10-10",
                 IdfPayment("balance", kAcquisition2024 / 2, "2025-10-10")),
            "OK");
  EXPECT_EQ(State("p")["status"], "advance-paid");
  EXPECT_EQ(State("p")["paidCents"], 3 * kAcquisition2024 / 2);
  // The lead pays the rest of the convention: its own 21 000 €, not a cent more.
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-10-10",
                 Payment("p", "balance", kAcquisition2024 / 2 + 1, "2025-10-10")),
            "PAYMENT_EXCEEDS_GRANT");
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-10-10",
                 Payment("p", "balance", kAcquisition2024 / 2, "2025-10-10")),
            "OK");
  EXPECT_EQ(State("p")["status"], "balance-paid");
  EXPECT_EQ(State("p")["paidCents"], 2 * kAcquisition2024);
}

// The balance of the complement asks what the grappe's balance asks: every ESSMS of the
// convention meets the targets (002 « en même temps »).
TEST_F(ComplementTest, TheComplementsBalanceNeedsTheWholeGrappesTargets) {
  SetUpComplement();
  Must("payer-idf", "payment.issued", "2024-09-10",
       IdfPayment("advance", kAcquisition2024 / 2, "2024-09-10"));
  Must("porteur", "expenses.certified", "2025-09-01", Expenses("p", "2025-09-01"));
  Must("porteur", "indicator.measured", "2025-10-01",
       Measurement(EtIdf(1), "2025-07-01", "2025-09-30"));
  EXPECT_EQ(Code("payer-idf", "payment.issued", "2025-10-10",
                 IdfPayment("balance", kAcquisition2024 / 2, "2025-10-10")),
            "TARGETS_NOT_MET");
}

// « No payment before the convention »: the paying region waits for the amended
// convention that lists its ESSMS.
TEST_F(ComplementTest, NoComplementPaymentBeforeTheConventionListsIt) {
  SetUpComplement(/*amend=*/false);
  EXPECT_EQ(Code("payer-idf", "payment.issued", "2024-09-10",
                 IdfPayment("advance", kAcquisition2024 / 2, "2024-09-10")),
            "PAYMENT_BEFORE_CONVENTION");
  EXPECT_THAT(last_status_.conflicts(), Contains(extension_));
  Must("ars-bzh", "convention.signed", "2024-09-05",
       Convention("p", {Et(1), EtIdf(1)}, 2 * kAcquisition2024, "2024-09-05"));
  EXPECT_EQ(Code("payer-idf", "payment.issued", "2024-09-10",
                 IdfPayment("advance", kAcquisition2024 / 2, "2024-09-10")),
            "OK");
}

// `check` shows the complement's tranches apart, with the region that pays them.
TEST_F(ComplementTest, CheckShowsTheComplementsTranches) {
  SetUpComplement();
  Must("payer-idf", "payment.issued", "2024-09-10",
       IdfPayment("advance", kAcquisition2024 / 2, "2024-09-10"));
  auto report = CheckProject(projector_->state(), "p", *domain::Date::Parse("2024-12-31"));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->tranches.size(), 4u);
  EXPECT_EQ(report->tranches[0].paying_region, "");
  EXPECT_EQ(report->tranches[0].tranche, "advance");
  EXPECT_EQ(report->tranches[0].amount_cents, 0);  // its 10 500 € paid
  EXPECT_EQ(report->tranches[1].tranche, "balance");
  EXPECT_EQ(report->tranches[1].amount_cents, kAcquisition2024 / 2);
  EXPECT_EQ(report->tranches[2].paying_region, "11");
  EXPECT_EQ(report->tranches[2].tranche, "advance");
  EXPECT_EQ(report->tranches[2].amount_cents, 0);
  EXPECT_EQ(report->tranches[3].paying_region, "11");
  EXPECT_EQ(report->tranches[3].tranche, "balance");
  EXPECT_EQ(report->tranches[3].amount_cents, kAcquisition2024 / 2);
  bool shown = false;
  for (const auto& c : report->tranches[3].conditions) {
    if (c.code != "COMPLEMENT_IN_CONVENTION") continue;
    shown = true;
    EXPECT_TRUE(c.met);
    EXPECT_THAT(c.evidence, Contains(extension_));
    EXPECT_THAT(c.evidence, Contains(amended_));
  }
  EXPECT_TRUE(shown);
  const json j = json::parse(ToJson(*report));
  EXPECT_EQ(j["tranches"][3]["payingRegion"], "11");
  EXPECT_FALSE(j["tranches"][1].contains("payingRegion"));
}

// ---- 15. Lead region; national guichet ----

TEST_F(ReadingTest, LeadRegionIsTheMostRepresentedAndOthersActWithAWarning) {
  json sub = Submission("multi", {Et(1), Et(2), EtIdf(1)});
  Must("porteur", "project.submitted", "2024-03-10", sub);
  EXPECT_EQ(State("multi")["leadRegion"], "53");
  auto codes = [&] {
    std::vector<std::string> out;
    auto view = ViewProject(projector_->state(), "multi", std::nullopt, LedgerSigners(*ledger_));
    EXPECT_TRUE(view.ok()) << view.status().ToString();
    if (view.ok()) {
      for (const auto& w : view->warnings) out.push_back(w.code);
    }
    return out;
  };
  EXPECT_THAT(codes(), Not(Contains("NOT_LEAD_REGION")));
  // Selected by the lead region: no warning.
  Must("ars-bzh", "project.selected", "2024-04-15", Selected("multi"));
  EXPECT_THAT(codes(), Not(Contains("NOT_LEAD_REGION")));
  // The convention signed by Île-de-France's ARS (a region of the project, not the
  // lead one): accepted, with the warning.
  const uint64_t convention =
      Must("ars-idf", "convention.signed", "2024-06-01",
           Convention("multi", {Et(1), Et(2), EtIdf(1)}, 3 * kAcquisition2024));
  EXPECT_THAT(codes(), Contains("NOT_LEAD_REGION"));
  auto view = ViewProject(projector_->state(), "multi", std::nullopt, LedgerSigners(*ledger_));
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->warnings.back().seqs, std::vector<uint64_t>{convention});
  // A tie goes to the porteur's region (its OG is in 53).
  Must("porteur", "project.submitted", "2024-03-10", Submission("tie", {Et(10), EtIdf(10)}));
  EXPECT_EQ(State("tie")["leadRegion"], "53");
}

TEST_F(ReadingTest, NationalGuichetProjectIsSelectedByNational) {
  // 50 ESSMS in two regions: national guichet (003 §7); 49 in two regions: regional.
  std::vector<std::string> ests = Ets(1, 25);
  for (int i = 1; i <= 25; ++i) ests.push_back(EtIdf(i));
  Must("porteur", "project.submitted", "2024-03-10", Submission("nat", ests));
  EXPECT_EQ(Code("ars-bzh", "project.selected", "2024-04-15", Selected("nat")),
            "PERMISSION_DENIED");
  EXPECT_EQ(Code("national", "project.selected", "2024-04-15", Selected("nat")), "OK");
  std::vector<std::string> fewer = Ets(100, 24);
  for (int i = 100; i < 125; ++i) fewer.push_back(EtIdf(i));
  Must("porteur", "project.submitted", "2024-03-10", Submission("reg", fewer));
  EXPECT_EQ(Code("national", "project.selected", "2024-04-15", Selected("reg")),
            "PERMISSION_DENIED");
  EXPECT_EQ(Code("ars-bzh", "project.selected", "2024-04-15", Selected("reg")), "OK");
}

// ---- 16. A dossier that did not succeed can be closed ----

TEST_F(ReadingTest, RejectedAfterSelectionBeforeAnyConventionThenApplyAgain) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1)}));
  Must("ars-bzh", "project.selected", "2024-04-15", Selected("p"));
  const uint64_t rejected = Must("ars-bzh", "project.rejected", "2024-05-01",
                                 {{"project", "p"}, {"reason", "did not succeed"}});
  EXPECT_EQ(State("p")["status"], "rejected");
  Reopen();  // the snapshot keeps the selection the rejection closed
  EXPECT_EQ(State("p")["status"], "rejected");
  // Its ESSMS apply again, with the same software (002).
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-06-10",
                 Submission("again", {Et(1)}, "generalisation-2024", "acquisition", "2024-06-10")),
            "OK");
  // A rejection voided: the project is selected again, also after a reload.
  Must("ars-bzh", "event.voided", "2024-05-02", {{"seq", rejected}, {"reason", "mistake"}});
  EXPECT_EQ(State("p")["status"], "selected");
  Reopen();
  EXPECT_EQ(State("p")["status"], "selected");
  // Once a convention is signed, no rejection.
  Must("porteur", "project.submitted", "2024-03-10", Submission("q", {Et(2)}));
  Must("ars-bzh", "project.selected", "2024-04-15", Selected("q"));
  Must("ars-bzh", "convention.signed", "2024-06-01", Convention("q", {Et(2)}, kAcquisition2024));
  EXPECT_EQ(Code("ars-bzh", "project.rejected", "2024-06-02", {{"project", "q"}, {"reason", "x"}}),
            "INVALID_TRANSITION");
}

// ---- 19. A FINESS EJ is not an establishment ----

TEST_F(ReadingTest, AFinessEjIsNeverAnEstablishment) {
  json own = Submission("own", {Et(1)});
  own["establishments"][0]["finess"] = Ej(1);  // its own OG's number
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", own), "FINESS_INVALID");
  Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1)}));
  // Ej(7) is used as an OG's FINESS EJ in the ledger from now on.
  json other = Submission("q", {Et(2)});
  other["organisations"][0]["finessEj"] = Ej(7);
  other["establishments"][0]["finessEj"] = Ej(7);
  other["porteur"]["finessEj"] = Ej(7);
  Must("porteur", "project.submitted", "2024-03-10", other);
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("r", {Ej(7)})),
            "FINESS_INVALID");
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("r", {Et(3)})), "OK");
}

// The same rule for the facts that name one establishment: a measurement on an EJ number
// would count in the active-DUI report as one more ESSMS.
TEST_F(ReadingTest, AFinessEjIsRefusedOnTheFactsOfAnEstablishment) {
  json p = Submission("p", {Et(1)});
  p["porteur"]["finessEj"] = Ej(7);  // the porteur, not one of the OGs
  const uint64_t submitted = Must("porteur", "project.submitted", "2024-03-10", p);
  const std::string og = p["organisations"][0]["finessEj"];
  for (const std::string& ej : {Ej(7), og}) {
    EXPECT_EQ(Code("porteur", "indicator.measured", "2024-05-01",
                   Measure(ej, "2024-04-01", "2024-04-30")),
              "FINESS_INVALID")
        << ej;
    EXPECT_THAT(last_status_.conflicts(), ElementsAre(submitted));
    EXPECT_THAT(last_status_.message(), HasSubstr(ej + " is a FINESS EJ"));
  }
  EXPECT_EQ(Code("national", "sons.ordered", "2024-05-01",
                 {{"finess", og}, {"solution", Solution()}, {"orderedAt", "2024-05-01"}}),
            "FINESS_INVALID");
  EXPECT_EQ(Code("national", "eu-funding.declared", "2024-05-01",
                 {{"finess", Ej(7)},
                  {"fund", "FEDER"},
                  {"operation", "acquisition"},
                  {"declaredAt", "2024-05-01"}}),
            "FINESS_INVALID");
  for (const auto& [from, to] : {std::pair{Et(1), og}, std::pair{og, Et(2)}}) {
    EXPECT_EQ(
        Code("ars-bzh", "finess.changed", "2024-05-01",
             {{"from", from}, {"to", to}, {"kind", "renumbering"}, {"effectiveAt", "2024-05-01"}}),
        "FINESS_INVALID")
        << from << " -> " << to;
  }
  // The establishment itself, and a number no project uses as an EJ, are measured.
  EXPECT_EQ(Code("porteur", "indicator.measured", "2024-05-01",
                 Measure(Et(1), "2024-04-01", "2024-04-30")),
            "OK");
  EXPECT_EQ(Code("porteur", "indicator.measured", "2024-05-01",
                 Measure(Et(9), "2024-04-01", "2024-04-30")),
            "OK");
  Reopen();  // the numbers are found again from the snapshot's projects
  EXPECT_EQ(Code("porteur", "indicator.measured", "2024-05-02",
                 Measure(Ej(7), "2024-04-01", "2024-04-30")),
            "FINESS_INVALID");
  // A voided submission takes its numbers away.
  Must("ars-bzh", "event.voided", "2024-05-03", {{"seq", submitted}, {"reason", "mistake"}});
  EXPECT_EQ(Code("porteur", "indicator.measured", "2024-05-04",
                 Measure(Ej(7), "2024-04-01", "2024-04-30")),
            "OK");
}

// ---- 22. An advance after a 2025 convention's contractual end ----

TEST_F(ReadingTest, Advance2025AfterTheContractualEndIsExpired) {
  Must("porteur", "project.submitted", "2025-03-10",
       Submission("p", Ets(1, 15), "generalisation-2025", "acquisition", "2025-03-10"));
  Must("ars-bzh", "project.selected", "2025-04-15", Selected("p", "2025-04-15"));
  Must("ars-bzh", "convention.signed", "2025-06-01",
       Convention("p", {Et(1)}, kAcquisition2024, "2025-06-01", 18));
  // Contractual end: 2025-06-01 + 18 months = 2026-12-01.
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2026-12-02",
                 Payment("p", "advance", 1000, "2026-12-02")),
            "CONVENTION_EXPIRED");
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2026-12-01",
                 Payment("p", "advance", 1000, "2026-12-01")),
            "OK");
}

}  // namespace
}  // namespace esms::projections::testing
