// The guard, one test per refusal code at its boundary, through the import path.
#include "tests/projections/fixture.h"

namespace esms::projections::testing {
namespace {

using ::testing::ElementsAre;
using GuardTest = ProjectionsTest;

json Selected(const std::string& project) {
  return {{"project", project}, {"committeeAt", "2024-04-15"}};
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
json Expenses(const std::string& project, int64_t total, int64_t equipment,
              const std::string& at = "2025-09-01") {
  return {{"project", project},
          {"totalCents", total},
          {"equipmentCents", equipment},
          {"certifiedBy", "public-accountant"},
          {"certifiedAt", at}};
}

TEST_F(GuardTest, SubmitSelectSignAndState) {
  json sub = Submission("bzh-1", {Et(1), Et(2)});
  Funded f = SubmitSelectSign(sub, 2 * kAcquisition2024);
  json state = State("bzh-1");
  EXPECT_EQ(state["status"], "convention-signed");
  EXPECT_EQ(state["campaign"], "generalisation-2024");
  EXPECT_EQ(state["entitlementCents"], 2 * kAcquisition2024);
  EXPECT_EQ(state["conventionCents"], 2 * kAcquisition2024);
  EXPECT_EQ(state["paidCents"], 0);
  ASSERT_EQ(state["establishments"].size(), 2u);
  EXPECT_EQ(state["establishments"][1]["finess"], Et(2));
  EXPECT_EQ(state["establishments"][1]["rank"], 2);
  EXPECT_EQ(state["establishments"][1]["situation"], "acquisition");
  EXPECT_EQ(state["establishments"][1]["entitlementCents"], kAcquisition2024);
  EXPECT_LT(f.submitted, f.selected);
}

// ---- Authorization ----

TEST_F(GuardTest, UnauthorizedRoleRegionAndRevokedKey) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("bzh-1", {Et(1)}));
  // A porteur may not select; an ARS of another region may not either.
  EXPECT_EQ(Code("porteur", "project.selected", "2024-04-15", Selected("bzh-1")),
            "PERMISSION_DENIED");
  EXPECT_EQ(Code("ars-idf", "project.selected", "2024-04-15", Selected("bzh-1")),
            "PERMISSION_DENIED");
  EXPECT_EQ(Code("payer-bzh", "project.selected", "2024-04-15", Selected("bzh-1")),
            "PERMISSION_DENIED");
  // An ARS instructor may not declare a Ségur referencing (national only).
  json ref = {{"solution", Solution()},
              {"corridor", "medico-social"},
              {"status", "referenced"},
              {"referencedAt", "2023-01-01"}};
  EXPECT_EQ(Code("ars-bzh", "solution.referenced", "2024-01-01", ref), "PERMISSION_DENIED");
  EXPECT_EQ(Code("national", "solution.referenced", "2024-01-01", ref), "OK");
  // The Bretagne instructor may, until its key is revoked.
  Must("admin", "key.revoked", "2024-04-01", {{"name", "ars-bzh"}, {"reason", "left"}});
  EXPECT_EQ(Code("ars-bzh", "project.selected", "2024-04-15", Selected("bzh-1")),
            "PERMISSION_DENIED");
  Enrol("ars-bzh-2", {"ars-instructor"}, {"53"});
  EXPECT_EQ(Code("ars-bzh-2", "project.selected", "2024-04-15", Selected("bzh-1")), "OK");
}

TEST_F(GuardTest, UnauthorizedEstablishmentFactOutsideRegion) {
  json m = Measurement(Et(1), "2024-07-01", "2024-09-30");
  EXPECT_EQ(Code("ars-idf", "indicator.measured", "2024-10-01", m), "PERMISSION_DENIED");
  EXPECT_EQ(Code("ars-bzh", "indicator.measured", "2024-10-01", m), "OK");
}

TEST_F(GuardTest, UnauthorizedPaymentByAnotherRegionsPayer) {
  SubmitSelectSign(Submission("bzh-1", {Et(1)}), kAcquisition2024);
  EXPECT_EQ(Code("payer-idf", "payment.issued", "2024-06-10",
                 Payment("bzh-1", "advance", 100, "2024-06-10")),
            "PERMISSION_DENIED");
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2024-06-10",
                 Payment("bzh-1", "advance", 100, "2024-06-10")),
            "OK");
}

TEST_F(GuardTest, MultiRegionalProjectMayBeActedOnByAnyOfItsRegions) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("multi", {Et(1), EtIdf(1)}));
  EXPECT_EQ(Code("ars-idf", "project.selected", "2024-04-15", Selected("multi")), "OK");
  Enrol("ars-ge", {"ars-instructor"}, {"44"});
  EXPECT_EQ(
      Code("ars-ge", "project.rejected", "2024-04-16", {{"project", "multi"}, {"reason", "x"}}),
      "PERMISSION_DENIED");
}

TEST_F(GuardTest, ExtensionInAnotherRegionIsPaidByThatRegion) {
  SubmitSelectSign(Submission("p", {Et(1)}), kAcquisition2024);
  json ext = {
      {"project", "p"},
      {"extendedAt", "2024-09-01"},
      {"porteurAgreement", true},
      {"payingRegion", "11"},
      {"organisations",
       json::array(
           {{{"finessEj", Ej(1)}, {"name", "OG 1"}, {"essmsTotal", 20}, {"region", "53"}}})},
      {"establishments", json::array({{{"finess", EtIdf(1)},
                                       {"finessEj", Ej(1)},
                                       {"name", "IdF"},
                                       {"region", "11"},
                                       {"situation", "acquisition"}}})}};
  // Follow-up stays with the initial region (002): the IdF instructor may not extend.
  EXPECT_EQ(Code("ars-idf", "grappe.extended", "2024-09-01", ext), "PERMISSION_DENIED");
  Must("ars-bzh", "grappe.extended", "2024-09-01", ext);
  json pay = {{"project", "p"},         {"tranche", "advance"}, {"amountCents", 1000},
              {"paidAt", "2024-09-10"}, {"reference", "IDF-1"}, {"payingRegion", "11"}};
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2024-09-10", pay), "PERMISSION_DENIED");
  // It pays once a convention lists the complement (DOMAIN.md §5, §7).
  EXPECT_EQ(Code("payer-idf", "payment.issued", "2024-09-10", pay), "PAYMENT_BEFORE_CONVENTION");
  Must("ars-bzh", "convention.signed", "2024-09-05",
       Convention("p", {Et(1), EtIdf(1)}, 2 * kAcquisition2024, "2024-09-05"));
  EXPECT_EQ(Code("payer-idf", "payment.issued", "2024-09-10", pay), "OK");
}

// ---- Submission ----

TEST_F(GuardTest, DuplicateProject) {
  uint64_t seq = Must("porteur", "project.submitted", "2024-03-10", Submission("bzh-1", {Et(1)}));
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("bzh-1", {Et(2)})),
            "DUPLICATE_PROJECT");
  EXPECT_THAT(last_status_.conflicts(), ElementsAre(seq));
}

TEST_F(GuardTest, DuplicateFinessInOneSubmission) {
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("bzh-1", {Et(1), Et(1)})),
            "DUPLICATE_FINESS");
}

TEST_F(GuardTest, InvalidFiness) {
  json sub = Submission("p", {Et(1)});
  sub["establishments"][0]["finess"] = "010000098";  // DOMAIN.md §0: fails its Luhn key
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", sub), "FINESS_INVALID");
}

TEST_F(GuardTest, UnknownCampaign) {
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10",
                 Submission("bzh-1", {Et(1)}, "generalisation-2026")),
            "UNKNOWN_CAMPAIGN");
}

TEST_F(GuardTest, SubmissionWindowRegionalClosingDayIncluded) {
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-09-16",
                 Submission("late", {Et(1)}, "generalisation-2024", "acquisition", "2024-09-16")),
            "SUBMISSION_OUT_OF_WINDOW");
  EXPECT_EQ(
      Code("porteur", "project.submitted", "2024-09-15",
           Submission("last-day", {Et(1)}, "generalisation-2024", "acquisition", "2024-09-15")),
      "OK");
}

TEST_F(GuardTest, SubmissionWindowMultiRegionalClosesEarlier) {
  // 003 §8: multi-regional 2024-01-15 to 2024-06-01.
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-06-02",
                 Submission("multi", {Et(1), EtIdf(1)}, "generalisation-2024", "acquisition",
                            "2024-06-02")),
            "SUBMISSION_OUT_OF_WINDOW");
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-06-01",
                 Submission("multi", {Et(1), EtIdf(1)}, "generalisation-2024", "acquisition",
                            "2024-06-01")),
            "OK");
  // The same date is fine for a regional project.
  EXPECT_EQ(
      Code("porteur", "project.submitted", "2024-06-02",
           Submission("regional", {Et(2)}, "generalisation-2024", "acquisition", "2024-06-02")),
      "OK");
}

json Amorcage(const std::string& project, int ogs, int esms, int first = 1) {
  json sub = Submission(project, {}, "amorcage-2021", "acquisition", "2021-03-01");
  // 001 §3: the usage commitments an amorçage file announces (required).
  sub["usageCommitments"] = AmorcageCommitments();
  sub["organisations"] = json::array();
  for (int o = 1; o <= ogs; ++o) {
    sub["organisations"].push_back(
        {{"finessEj", Ej(o)}, {"name", "OG"}, {"essmsTotal", 10}, {"region", "53"}});
  }
  for (int i = 1; i <= esms; ++i) {
    sub["establishments"].push_back({{"finess", Et(first + i)},
                                     {"finessEj", Ej(1 + i % ogs)},
                                     {"name", "ESMS"},
                                     {"region", "53"},
                                     {"situation", "acquisition"}});
  }
  return sub;
}

TEST_F(GuardTest, GrappeTooSmallRefusedInAmorcageAcquisition) {
  // 001: an acquisition grappe needs 3 OGs and 15 ESMS.
  EXPECT_EQ(Code("porteur", "project.submitted", "2021-03-01", Amorcage("a-14", 3, 14)),
            "GRAPPE_TOO_SMALL");
  EXPECT_EQ(Code("porteur", "project.submitted", "2021-03-01", Amorcage("a-2og", 2, 15, 100)),
            "GRAPPE_TOO_SMALL");
  EXPECT_EQ(Code("porteur", "project.submitted", "2021-03-01", Amorcage("a-15", 3, 15, 200)), "OK");
}

TEST_F(GuardTest, GrappeTooSmallIsAWarningInGeneralisation) {
  // A referencing fact for Solution(), else REFERENCING_UNKNOWN joins the warnings.
  Must("national", "solution.referenced", "2024-01-05",
       {{"solution", Solution()},
        {"corridor", "medico-social"},
        {"status", "referenced"},
        {"referencedAt", "2024-01-05"}});
  Must("porteur", "project.submitted", "2024-03-10", Submission("small", {Et(1), Et(2)}));
  EXPECT_THAT(WarningCodes("small"), ElementsAre("GRAPPE_TOO_SMALL"));
  std::vector<std::string> fifteen;
  for (int i = 0; i < 15; ++i) fifteen.push_back(Et(100 + i));
  Must("porteur", "project.submitted", "2024-03-10", Submission("big", fifteen));
  EXPECT_TRUE(WarningCodes("big").empty());
}

TEST_F(GuardTest, SolutionNotReferencedWhereFactsExist) {
  // Facts for the software exist, dated after the submission: refused.
  json ref = {{"solution", Solution()},
              {"corridor", "medico-social"},
              {"status", "candidate"},
              {"referencedAt", "2024-03-11"}};
  uint64_t ref_seq = Must("national", "solution.referenced", "2024-03-11", ref);
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1)})),
            "SOLUTION_NOT_REFERENCED");
  EXPECT_THAT(last_status_.conflicts(), ElementsAre(ref_seq));
  // Candidate on the submission day: accepted.
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-11",
                 Submission("p", {Et(1)}, "generalisation-2024", "acquisition", "2024-03-11")),
            "OK");
  // Another software without any fact: not checked.
  json other = Submission("q", {Et(2)});
  other["solution"] = Solution("Autre", "Editeur B");
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", other), "OK");
}

TEST_F(GuardTest, SolutionNotReferenced2025AtConvention) {
  json ref = {{"solution", Solution()},
              {"corridor", "medico-social"},
              {"status", "candidate"},
              {"referencedAt", "2025-06-02"}};
  Must("national", "solution.referenced", "2025-06-02", ref);
  // 15 ESSMS: 002 makes the grappe size a hard minimum in 2025 (domain/entitlement.h).
  std::vector<std::string> ests;
  for (int i = 1; i <= 15; ++i) ests.push_back(Et(i));
  Must("porteur", "project.submitted", "2025-03-10",
       Submission("p25", ests, "generalisation-2025", "acquisition", "2025-03-10"));
  Must("ars-bzh", "project.selected", "2025-04-15", Selected("p25"));
  EXPECT_EQ(Code("ars-bzh", "convention.signed", "2025-06-01",
                 Convention("p25", ests, 1000, "2025-06-01")),
            "SOLUTION_NOT_REFERENCED");
  EXPECT_EQ(Code("ars-bzh", "convention.signed", "2025-06-02",
                 Convention("p25", ests, 1000, "2025-06-02")),
            "OK");
}

// ---- Non-cumulation ----

TEST_F(GuardTest, NoncumulEuFundsSameOperationOnly) {
  uint64_t eu = Must("national", "eu-funding.declared", "2024-01-20",
                     {{"finess", Et(1)},
                      {"fund", "FEDER"},
                      {"operation", "acquisition"},
                      {"declaredAt", "2024-01-20"}});
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("acq", {Et(1)})),
            "NONCUMUL_EU_FUNDS");
  EXPECT_THAT(last_status_.conflicts(), ElementsAre(eu));
  // An upgrade is another operation (000 §4.2 A 1).
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10",
                 Submission("upg", {Et(1)}, "generalisation-2024", "upgrade")),
            "OK");
}

TEST_F(GuardTest, NoncumulHopenOnlyForGht) {
  Must("national", "eu-funding.declared", "2024-01-20",
       {{"finess", Et(1)},
        {"fund", "HOPEN"},
        {"operation", "acquisition"},
        {"declaredAt", "2024-01-20"}});
  json ght = Submission("ght", {Et(1)});
  ght["porteur"]["ght"] = true;
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", ght), "NONCUMUL_EU_FUNDS");
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("og", {Et(1)})), "OK");
}

TEST_F(GuardTest, NoncumulSameSoftwareAndSecondDui) {
  Funded first = SubmitSelectSign(Submission("first", {Et(1)}), kAcquisition2024);
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("again", {Et(1)})),
            "NONCUMUL_SAME_SOFTWARE");
  EXPECT_THAT(last_status_.conflicts(), ElementsAre(first.submitted, first.convention));
  json other = Submission("other", {Et(1)});
  other["solution"] = Solution("Autre", "Editeur B");
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", other), "NONCUMUL_SECOND_DUI");
  // A rejected project funds nothing.
  Must("porteur", "project.submitted", "2024-03-10", Submission("rej", {Et(2)}));
  Must("ars-bzh", "project.rejected", "2024-04-15", {{"project", "rej"}, {"reason", "envelope"}});
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("after-rej", {Et(2)})),
            "OK");
}

TEST_F(GuardTest, NoncumulSonsAcquisitionButUsageKeepingSonsSolutionAllowed) {
  // 002 Éligibilité (FAQ): SONS ordered -> no acquisition of another DUI; usage funding
  // keeping the SONS-funded solution stays allowed.
  uint64_t sons = Must("national", "sons.ordered", "2023-06-01",
                       {{"finess", Et(1)},
                        {"solution", Solution("Ancien", "Editeur S")},
                        {"orderedAt", "2023-06-01"},
                        {"validatedAt", "2023-10-01"}});
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", Submission("acq", {Et(1)})),
            "NONCUMUL_SONS_ACQUISITION");
  EXPECT_THAT(last_status_.conflicts(), ElementsAre(sons));
  json usage = Submission("usage", {Et(1)}, "generalisation-2024", "upgrade");
  usage["solution"] = Solution("Ancien", "Editeur S", "6");
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10", usage), "OK");
}

TEST_F(GuardTest, SolutionMismatchUpgradeOfAnotherSoftware) {
  Must("national", "sons.ordered", "2023-06-01",
       {{"finess", Et(1)},
        {"solution", Solution("Ancien", "Editeur S")},
        {"orderedAt", "2023-06-01"}});
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10",
                 Submission("upg", {Et(1)}, "generalisation-2024", "upgrade")),
            "SOLUTION_MISMATCH");
}

TEST_F(GuardTest, SonsValidatedTooEarly2024Boundary) {
  // 003 §2.1: validated on or before 2023-03-31 disqualifies; 2023-04-01 is fine.
  auto sons = [&](const std::string& finess, const std::string& validated) {
    return json{{"finess", finess},
                {"solution", Solution()},
                {"orderedAt", "2022-12-01"},
                {"validatedAt", validated}};
  };
  uint64_t early = Must("national", "sons.ordered", "2023-03-31", sons(Et(1), "2023-03-31"));
  Must("national", "sons.ordered", "2023-04-01", sons(Et(2), "2023-04-01"));
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10",
                 Submission("u1", {Et(1)}, "generalisation-2024", "upgrade")),
            "SONS_VALIDATED_TOO_EARLY");
  EXPECT_THAT(last_status_.conflicts(), ElementsAre(early));
  EXPECT_EQ(Code("porteur", "project.submitted", "2024-03-10",
                 Submission("u2", {Et(2)}, "generalisation-2024", "upgrade")),
            "OK");
}

TEST_F(GuardTest, NoncumulCheckedAgainAtConventionAndPayment) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1)}));
  Must("ars-bzh", "project.selected", "2024-04-15", Selected("p"));
  // The EU funds become known between submission and convention.
  uint64_t eu = Must("ars-bzh", "eu-funding.declared", "2024-05-01",
                     {{"finess", Et(1)},
                      {"fund", "FSE"},
                      {"operation", "acquisition"},
                      {"declaredAt", "2024-05-01"}});
  EXPECT_EQ(Code("ars-bzh", "convention.signed", "2024-06-01",
                 Convention("p", {Et(1)}, kAcquisition2024)),
            "NONCUMUL_EU_FUNDS");
  EXPECT_THAT(last_status_.conflicts(), ElementsAre(eu));
  Must("ars-bzh", "event.voided", "2024-05-02", {{"seq", eu}, {"reason", "typo"}});
  Must("ars-bzh", "convention.signed", "2024-06-01", Convention("p", {Et(1)}, kAcquisition2024));
  uint64_t eu2 = Must("ars-bzh", "eu-funding.declared", "2024-06-05",
                      {{"finess", Et(1)},
                       {"fund", "FEDER"},
                       {"operation", "acquisition"},
                       {"declaredAt", "2024-06-05"}});
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2024-06-10",
                 Payment("p", "advance", 1000, "2024-06-10")),
            "NONCUMUL_EU_FUNDS");
  EXPECT_THAT(last_status_.conflicts(), ElementsAre(eu2));
}

// ---- Convention ----

TEST_F(GuardTest, AmountExceedsEntitlementByOneCent) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1), Et(2)}));
  Must("ars-bzh", "project.selected", "2024-04-15", Selected("p"));
  EXPECT_EQ(Code("ars-bzh", "convention.signed", "2024-06-01",
                 Convention("p", {Et(1), Et(2)}, 2 * kAcquisition2024 + 1)),
            "AMOUNT_EXCEEDS_ENTITLEMENT");
  // Only the ESSMS of the convention count.
  EXPECT_EQ(Code("ars-bzh", "convention.signed", "2024-06-01",
                 Convention("p", {Et(1)}, kAcquisition2024 + 1)),
            "AMOUNT_EXCEEDS_ENTITLEMENT");
  EXPECT_EQ(Code("ars-bzh", "convention.signed", "2024-06-01",
                 Convention("p", {Et(1), Et(2)}, 2 * kAcquisition2024)),
            "OK");
}

TEST_F(GuardTest, ConventionEstablishmentsMustBeTheProjects) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1)}));
  Must("ars-bzh", "project.selected", "2024-04-15", Selected("p"));
  EXPECT_EQ(
      Code("ars-bzh", "convention.signed", "2024-06-01", Convention("p", {Et(1), Et(9)}, 100)),
      "ESTABLISHMENT_NOT_IN_PROJECT");
}

TEST_F(GuardTest, UnknownProject) {
  EXPECT_EQ(Code("ars-bzh", "project.selected", "2024-04-15", Selected("nope")), "UNKNOWN_PROJECT");
}

TEST_F(GuardTest, InvalidTransitions) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1)}));
  // Convention before selection.
  EXPECT_EQ(Code("ars-bzh", "convention.signed", "2024-06-01", Convention("p", {Et(1)}, 100)),
            "INVALID_TRANSITION");
  uint64_t rejected = Must("ars-bzh", "project.rejected", "2024-04-15",
                           {{"project", "p"}, {"reason", "incomplete"}});
  // Selecting a rejected project (INTERFACE.md §4).
  EXPECT_EQ(Code("ars-bzh", "project.selected", "2024-04-16", Selected("p")), "INVALID_TRANSITION");
  EXPECT_THAT(last_status_.conflicts(), ElementsAre(rejected));
  EXPECT_EQ(State("p")["status"], "rejected");
}

// ---- Payments ----

TEST_F(GuardTest, PaymentBeforeConvention) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1)}));
  Must("ars-bzh", "project.selected", "2024-04-15", Selected("p"));
  EXPECT_EQ(
      Code("payer-bzh", "payment.issued", "2024-05-01", Payment("p", "advance", 100, "2024-05-01")),
      "PAYMENT_BEFORE_CONVENTION");
  uint64_t conv = Must("ars-bzh", "convention.signed", "2024-06-01",
                       Convention("p", {Et(1)}, kAcquisition2024));
  EXPECT_EQ(
      Code("payer-bzh", "payment.issued", "2024-05-31", Payment("p", "advance", 100, "2024-05-31")),
      "PAYMENT_BEFORE_CONVENTION");
  EXPECT_THAT(last_status_.conflicts(), ElementsAre(conv));
  EXPECT_EQ(
      Code("payer-bzh", "payment.issued", "2024-06-01", Payment("p", "advance", 100, "2024-06-01")),
      "OK");
}

TEST_F(GuardTest, AdvanceExceedsShareFiftyPercent) {
  Funded f = SubmitSelectSign(Submission("p", {Et(1), Et(2)}), 4199999);  // odd cents
  // 50 % rounded down: 2 099 999 cents.
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2024-06-10",
                 Payment("p", "advance", 2100000, "2024-06-10")),
            "ADVANCE_EXCEEDS_SHARE");
  EXPECT_THAT(last_status_.conflicts(), ElementsAre(f.convention));
  uint64_t first = Must("payer-bzh", "payment.issued", "2024-06-10",
                        Payment("p", "advance", 2099999, "2024-06-10"));
  EXPECT_EQ(State("p")["status"], "advance-paid");
  EXPECT_EQ(
      Code("payer-bzh", "payment.issued", "2024-06-11", Payment("p", "advance", 1, "2024-06-11")),
      "ADVANCE_EXCEEDS_SHARE");
  EXPECT_THAT(last_status_.conflicts(), ElementsAre(f.convention, first));
}

TEST_F(GuardTest, AdvanceExceedsShareFortyPercentInAmorcage) {
  Must("porteur", "project.submitted", "2021-03-01", Amorcage("a", 3, 15));
  Must("ars-bzh", "project.selected", "2021-05-10", Selected("a"));
  std::vector<std::string> ests;
  for (int i = 2; i <= 16; ++i) ests.push_back(Et(i));
  Must("ars-bzh", "convention.signed", "2021-06-01", Convention("a", ests, 1000000, "2021-06-01"));
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2021-06-10",
                 Payment("a", "advance", 400001, "2021-06-10")),
            "ADVANCE_EXCEEDS_SHARE");
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2021-06-10",
                 Payment("a", "advance", 400000, "2021-06-10")),
            "OK");
  EXPECT_EQ(State("a")["status"], "advance-paid");
  // Tranches come in order; "balance" is not an amorçage tranche.
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2021-07-10",
                 Payment("a", "deployment", 1, "2021-07-10")),
            "INVALID_TRANSITION");
  EXPECT_EQ(
      Code("payer-bzh", "payment.issued", "2021-07-10", Payment("a", "balance", 1, "2021-07-10")),
      "INVALID_TRANSITION");
  // 001: tranches 2 and 3 are paid on their invoice.
  Must("porteur", "invoice.received", "2021-09-01",
       {{"project", "a"},
        {"tranche", "parametrisation"},
        {"amountCents", 400000},
        {"receivedAt", "2021-09-01"},
        {"reference", "F-1"}});
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2021-09-10",
                 Payment("a", "parametrisation", 400000, "2021-09-10")),
            "OK");
  // INTERFACE.md §3: « amorçage adds parametrisation-paid, deployment-paid ».
  EXPECT_EQ(State("a")["status"], "parametrisation-paid");
  // The deployment tranche is paid prorata of the announced usage criteria (001 §3):
  // every ESMS's measurement reaches every announced value, so all of it.
  for (const auto& f : ests) {
    json m = Measurement(f, "2021-09-01", "2021-11-30");
    m["dmpDocuments"] = 14;  // 15 x 14 = 210 documents >= 200 announced
    Must("ars-bzh", "indicator.measured", "2021-11-30", m);
  }
  Must("porteur", "invoice.received", "2021-12-01",
       {{"project", "a"},
        {"tranche", "deployment"},
        {"amountCents", 200000},
        {"receivedAt", "2021-12-01"},
        {"reference", "F-2"}});
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2021-12-10",
                 Payment("a", "deployment", 200000, "2021-12-10")),
            "OK");
  EXPECT_EQ(State("a")["status"], "deployment-paid");
}

class BalanceTest : public ProjectionsTest {
 protected:
  // Two ESSMS under a convention of their entitlement, advance paid, expenses certified.
  void SetUp() override {
    ProjectionsTest::SetUp();
    funded_ = SubmitSelectSign(Submission("p", {Et(1), Et(2)}), 2 * kAcquisition2024);
    Must("payer-bzh", "payment.issued", "2024-06-10",
         Payment("p", "advance", kAcquisition2024, "2024-06-10"));
  }
  Funded funded_{};
};

TEST_F(BalanceTest, NoExpenseProof) {
  Must("porteur", "indicator.measured", "2025-10-01",
       Measurement(Et(1), "2025-07-01", "2025-09-30"));
  Must("porteur", "indicator.measured", "2025-10-01",
       Measurement(Et(2), "2025-07-01", "2025-09-30"));
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-10-15",
                 Payment("p", "balance", kAcquisition2024, "2025-10-15")),
            "NO_EXPENSE_PROOF");
  // A statement certified after the payment date does not count.
  Must("porteur", "expenses.certified", "2025-10-16", Expenses("p", 5000000, 0, "2025-10-16"));
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-10-15",
                 Payment("p", "balance", kAcquisition2024, "2025-10-15")),
            "NO_EXPENSE_PROOF");
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-10-16",
                 Payment("p", "balance", kAcquisition2024, "2025-10-16")),
            "OK");
  EXPECT_EQ(State("p")["status"], "balance-paid");
  EXPECT_EQ(State("p")["paidCents"], 2 * kAcquisition2024);
}

TEST_F(BalanceTest, TargetsNotMetWhenOneEstablishmentMissesByOneFile) {
  Must("porteur", "expenses.certified", "2025-09-01", Expenses("p", 5000000, 0));
  Must("porteur", "indicator.measured", "2025-10-01",
       Measurement(Et(1), "2025-07-01", "2025-09-30"));
  // 89 active files for 100 persons: 89 % < 90 %, one file short.
  uint64_t miss = Must("porteur", "indicator.measured", "2025-10-01",
                       Measurement(Et(2), "2025-07-01", "2025-09-30", 100, 89));
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-10-15",
                 Payment("p", "balance", kAcquisition2024, "2025-10-15")),
            "TARGETS_NOT_MET");
  EXPECT_NE(last_status_.message().find(std::to_string(miss)), std::string::npos)
      << last_status_.message();
  // Exactly 90 % passes, over the same 3 months for both (grappe solidarity).
  Must("ars-bzh", "event.voided", "2025-10-02", {{"seq", miss}, {"reason", "recount"}});
  Must("porteur", "indicator.measured", "2025-10-02",
       Measurement(Et(2), "2025-07-01", "2025-09-30", 100, 90));
  // Still not on 2025-09-29: the period must end on or before the payment date.
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-09-29",
                 Payment("p", "balance", kAcquisition2024, "2025-09-29")),
            "TARGETS_NOT_MET");
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-10-15",
                 Payment("p", "balance", kAcquisition2024, "2025-10-15")),
            "OK");
}

TEST_F(BalanceTest, TargetsNeedOneCommonPeriod) {
  Must("porteur", "expenses.certified", "2025-09-01", Expenses("p", 5000000, 0));
  // Et(1) met them over Q2, Et(2) over Q3: no common 3-month period.
  Must("porteur", "indicator.measured", "2025-07-01",
       Measurement(Et(1), "2025-04-01", "2025-06-30"));
  Must("porteur", "indicator.measured", "2025-10-01",
       Measurement(Et(2), "2025-07-01", "2025-09-30"));
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-10-15",
                 Payment("p", "balance", kAcquisition2024, "2025-10-15")),
            "TARGETS_NOT_MET");
  // Three monthly measurements of Et(1) covering Q3 complete it.
  Must("porteur", "indicator.measured", "2025-08-01",
       Measurement(Et(1), "2025-07-01", "2025-07-31"));
  Must("porteur", "indicator.measured", "2025-09-01",
       Measurement(Et(1), "2025-08-01", "2025-08-31"));
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-10-15",
                 Payment("p", "balance", kAcquisition2024, "2025-10-15")),
            "TARGETS_NOT_MET");
  Must("porteur", "indicator.measured", "2025-10-01",
       Measurement(Et(1), "2025-09-01", "2025-09-30"));
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-10-15",
                 Payment("p", "balance", kAcquisition2024, "2025-10-15")),
            "OK");
}

// A period ending on a 30th is the three whole months before it: 30 Nov -> Sep, Oct,
// Nov (not 31 Aug - 30 Nov, which monthly measurements never cover).
TEST_F(BalanceTest, PeriodEndingOnAThirtiethIsThreeWholeMonths) {
  Must("porteur", "expenses.certified", "2025-09-01", Expenses("p", 5000000, 0));
  for (const auto& [start, end] :
       {std::pair{"2025-09-01", "2025-09-30"}, std::pair{"2025-10-01", "2025-10-31"},
        std::pair{"2025-11-01", "2025-11-30"}}) {
    Must("porteur", "indicator.measured", "2025-12-01", Measurement(Et(1), start, end));
    Must("porteur", "indicator.measured", "2025-12-01", Measurement(Et(2), start, end));
  }
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-12-05",
                 Payment("p", "balance", kAcquisition2024, "2025-12-05")),
            "OK");
}

// February's end (non-leap): 1 Dec - 28 Feb.
TEST_F(BalanceTest, PeriodEndingOnFebruaryTwentyEighth) {
  Must("porteur", "expenses.certified", "2025-09-01", Expenses("p", 5000000, 0));
  for (const auto& [start, end] :
       {std::pair{"2025-12-01", "2025-12-31"}, std::pair{"2026-01-01", "2026-01-31"},
        std::pair{"2026-02-01", "2026-02-28"}}) {
    Must("porteur", "indicator.measured", "2026-03-01", Measurement(Et(1), start, end));
    Must("porteur", "indicator.measured", "2026-03-01", Measurement(Et(2), start, end));
  }
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2026-03-02",
                 Payment("p", "balance", kAcquisition2024, "2026-03-02")),
            "OK");
}

TEST_F(BalanceTest, PaymentExceedsGrant) {
  Must("porteur", "expenses.certified", "2025-09-01", Expenses("p", 5000000, 0));
  Must("porteur", "indicator.measured", "2025-10-01",
       Measurement(Et(1), "2025-07-01", "2025-09-30"));
  Must("porteur", "indicator.measured", "2025-10-01",
       Measurement(Et(2), "2025-07-01", "2025-09-30"));
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-10-15",
                 Payment("p", "balance", kAcquisition2024 + 1, "2025-10-15")),
            "PAYMENT_EXCEEDS_GRANT");
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-10-15",
                 Payment("p", "balance", kAcquisition2024, "2025-10-15")),
            "OK");
}

TEST_F(GuardTest, EquipmentExceedsExpense) {
  // A small OG (5 ESSMS): equipment of min(quote 15 000 €, cap 10 000 €) in 2024.
  json sub = Submission("p", {Et(1)});
  sub["organisations"][0]["essmsTotal"] = 5;
  sub["establishments"][0]["equipmentQuoteCents"] = 1500000;
  const int64_t total = kAcquisition2024 + 1000000;
  SubmitSelectSign(sub, total);
  EXPECT_EQ(State("p")["entitlementCents"], total);
  Must("payer-bzh", "payment.issued", "2024-06-10",
       Payment("p", "advance", total / 2, "2024-06-10"));
  // Only 9 000 € of equipment really spent: 1 000 € less may be paid.
  uint64_t proof =
      Must("porteur", "expenses.certified", "2025-09-01", Expenses("p", 3000000, 900000));
  Must("porteur", "indicator.measured", "2025-10-01",
       Measurement(Et(1), "2025-07-01", "2025-09-30"));
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-10-15",
                 Payment("p", "balance", total - total / 2, "2025-10-15")),
            "EQUIPMENT_EXCEEDS_EXPENSE");
  EXPECT_THAT(last_status_.conflicts(), ::testing::Contains(proof));
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2025-10-15",
                 Payment("p", "balance", total - total / 2 - 100000, "2025-10-15")),
            "OK");
}

// ---- Grappe extension ----

TEST_F(GuardTest, ExtensionNotFundedWithoutConvention) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1)}));
  Must("ars-bzh", "project.selected", "2024-04-15", Selected("p"));
  EXPECT_EQ(
      Code("ars-bzh", "grappe.extended", "2024-05-01", Extension("p", {Et(2)}, true, "2024-05-01")),
      "EXTENSION_NOT_FUNDED");
}

TEST_F(GuardTest, ExtensionNeedsAgreementTakesNextRanksAndKeepsSolution) {
  SubmitSelectSign(Submission("p", {Et(1), Et(2)}), 2 * kAcquisition2024);
  EXPECT_EQ(Code("ars-bzh", "grappe.extended", "2024-09-01", Extension("p", {Et(3)}, false)),
            "EXTENSION_NO_AGREEMENT");
  EXPECT_EQ(Code("ars-bzh", "grappe.extended", "2024-09-01", Extension("p", {Et(2)}, true)),
            "DUPLICATE_FINESS");
  Must("national", "sons.ordered", "2023-06-01",
       {{"finess", Et(4)},
        {"solution", Solution("Ancien", "Editeur S")},
        {"orderedAt", "2023-06-01"}});
  json upgrade = Extension("p", {Et(4)}, true);
  upgrade["establishments"][0]["situation"] = "upgrade";
  EXPECT_EQ(Code("ars-bzh", "grappe.extended", "2024-09-01", upgrade), "SOLUTION_MISMATCH");
  Must("ars-bzh", "grappe.extended", "2024-09-01", Extension("p", {Et(3)}, true));
  json state = State("p");
  ASSERT_EQ(state["establishments"].size(), 3u);
  EXPECT_EQ(state["establishments"][2]["finess"], Et(3));
  EXPECT_EQ(state["establishments"][2]["rank"], 3);
  EXPECT_EQ(state["entitlementCents"], 3 * kAcquisition2024);
  // An amended convention may now cover the added ESSMS.
  EXPECT_EQ(Code("ars-bzh", "convention.signed", "2024-09-10",
                 Convention("p", {Et(1), Et(2), Et(3)}, 3 * kAcquisition2024, "2024-09-10")),
            "OK");
  EXPECT_EQ(State("p")["conventionCents"], 3 * kAcquisition2024);
}

TEST_F(GuardTest, CalendarAtRiskWarningAfterHalfTheDuration) {
  // Convention 2024-06-01 for 18 months: half = 2025-03-01.
  // A referencing fact for Solution(), else REFERENCING_UNKNOWN joins the warnings.
  Must("national", "solution.referenced", "2024-01-05",
       {{"solution", Solution()},
        {"corridor", "medico-social"},
        {"status", "referenced"},
        {"referencedAt", "2024-01-05"}});
  SubmitSelectSign(Submission("p", {Et(1)}), kAcquisition2024);
  Must("ars-bzh", "grappe.extended", "2025-03-01", Extension("p", {Et(2)}, true, "2025-03-01"));
  EXPECT_TRUE(WarningCodes("p").size() == 1 && WarningCodes("p")[0] == "GRAPPE_TOO_SMALL");
  Must("ars-bzh", "grappe.extended", "2025-03-02", Extension("p", {Et(3)}, true, "2025-03-02"));
  EXPECT_THAT(WarningCodes("p"), ElementsAre("GRAPPE_TOO_SMALL", "CALENDAR_AT_RISK"));
}

// ---- A refused line leaves the ledger unchanged ----

TEST_F(GuardTest, RefusedLineLeavesLedgerByteForByteUnchanged) {
  Funded f = SubmitSelectSign(Submission("p", {Et(1)}), kAcquisition2024);
  (void)f;
  const std::string before = LedgerBytes();
  const uint64_t size = ledger_->size();
  const ledger::Bytes state_before = projector_->state().Encode();
  EXPECT_EQ(Code("payer-bzh", "payment.issued", "2024-06-10",
                 Payment("p", "advance", kAcquisition2024, "2024-06-10")),
            "ADVANCE_EXCEEDS_SHARE");
  EXPECT_EQ(ledger_->size(), size);
  EXPECT_EQ(LedgerBytes(), before);
  EXPECT_EQ(projector_->state().Encode(), state_before);
  Reopen();
  EXPECT_EQ(LedgerBytes(), before);
}

}  // namespace
}  // namespace esms::projections::testing
