// Issue 13, second reading (items 7-10, 12, 17, 18, 21) through the real program: exit
// codes (INTERFACE.md §5), JSON results (§3) and the new figures of `rules`.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/harness.h"
#include "tests/cli/test_data.h"
#include "tests/testing/events.h"

namespace esms::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json Solution(const std::string& version = "5") {
  return {{"vendor", "Editeur A"}, {"product", "Dossier"}, {"version", version}};
}

// `count` Bretagne ESSMS from Et(first + 1) of OG Ej(1) (20 ESSMS: not small).
json Submission(const std::string& project, int first, int count, const std::string& campaign,
                const std::string& situation, const std::string& submitted_at) {
  json ests = json::array();
  for (int i = 1; i <= count; ++i) {
    ests.push_back({{"finess", Et(first + i)},
                    {"finessEj", Ej(1)},
                    {"name", "ESSMS"},
                    {"region", "53"},
                    {"situation", situation}});
  }
  return {{"project", project},
          {"campaign", campaign},
          {"porteur",
           {{"finessEj", Ej(1)}, {"siret", WithLuhnKey("1234567890001")}, {"name", "Porteur"}}},
          {"kind", situation == "upgrade" ? "usage" : "acquisition"},
          {"solution", Solution()},
          {"organisations",
           json::array(
               {{{"finessEj", Ej(1)}, {"name", "OG 1"}, {"essmsTotal", 20}, {"region", "53"}}})},
          {"establishments", ests},
          {"submittedAt", submitted_at}};
}

std::vector<std::string> Finesses(int first, int count) {
  std::vector<std::string> out;
  for (int i = 1; i <= count; ++i) out.push_back(Et(first + i));
  return out;
}

class SecondReadingCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = (dir_ / "ledger.db").string();
    ASSERT_EQ(RunCli({"key", "new", "admin", "--out", Key("admin")}).exit_code, 0);
    ASSERT_EQ(RunCli({"init", "--origin", "test.example/second", "--admin-key", Key("admin"),
                      "--ledger", db_})
                  .exit_code,
              0);
    std::string lines;
    for (const auto& [name, role, region] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"porteur", "porteur", ""},
             {"ars-bzh", "ars-instructor", "53"},
             {"payer-bzh", "ars-payer", "53"},
             {"payer-idf", "ars-payer", "11"},
             {"national", "national", ""}}) {
      CliResult made = RunCli({"key", "new", name, "--out", Key(name), "--json"});
      ASSERT_EQ(made.exit_code, 0) << made.err;
      json data = {{"name", name},
                   {"publicKey", json::parse(made.out)["publicKey"]},
                   {"roles", json::array({role})},
                   {"regions", region.empty() ? json::array() : json::array({region})}};
      lines += Line("key-" + name, "key.enrolled", "2021-01-02", data);
    }
    CliResult enrolled = Import("admin", lines);
    ASSERT_EQ(enrolled.exit_code, 0) << enrolled.out << enrolled.err;
  }

  std::string Key(const std::string& name) { return (dir_ / (name + ".pem")).string(); }
  std::string Line(const std::string& type, const std::string& at, const json& data) {
    return Line("e-" + std::to_string(++next_id_), type, at, data);
  }
  static std::string Line(const std::string& id, const std::string& type, const std::string& at,
                          const json& data) {
    return json{{"id", id}, {"type", type}, {"at", at}, {"data", data}}.dump() + "\n";
  }
  CliResult Import(const std::string& signer, const std::string& lines) {
    return RunCli({"import", "-", "--ledger", db_, "--key", Key(signer), "--json"}, lines);
  }
  // Imports or fails the test.
  void Must(const std::string& signer, const std::string& lines) {
    CliResult r = Import(signer, lines);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  // "exit N CODE" of importing one line (CODE "OK" when appended).
  std::string Try(const std::string& signer, const std::string& line) {
    CliResult r = Import(signer, line);
    json out = json::parse(r.out, nullptr, false);
    last_ = out.is_object() && !out["results"].empty() ? out["results"].back() : json();
    return "exit " + std::to_string(r.exit_code) + " " +
           (last_.contains("error") ? last_["error"]["code"].get<std::string>() : "OK");
  }
  json Json(const std::vector<std::string>& args) {
    std::vector<std::string> full = args;
    full.insert(full.end(), {"--ledger", db_, "--json"});
    CliResult r = RunCli(full);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return json::parse(r.out, nullptr, false);
  }
  static json Pay(const std::string& project, const std::string& tranche, int64_t cents,
                  const std::string& at) {
    return {{"project", project},
            {"tranche", tranche},
            {"amountCents", cents},
            {"paidAt", at},
            {"reference", "PAY-" + tranche + "-" + at}};
  }
  // A measurement of every target met, for `finess`.
  static json Measure(const std::string& finess, const std::string& start, const std::string& end) {
    return {{"finess", finess},
            {"periodStart", start},
            {"periodEnd", end},
            {"personsAccompanied", 100},
            {"activeFiles", 90},
            {"activeFilesWithPlan", 90},
            {"activeFilesWithAgendaEvent", 90},
            {"mssanteMessages", 100},
            {"dmpFed", 100}};
  }
  // Submitted, selected, conventioned (`amount`, `signed_at`, `months`), advance paid.
  void Funded(const json& submission, int64_t amount, const std::string& signed_at, int months,
              int64_t advance) {
    const std::string project = submission["project"];
    Must("porteur", Line("project.submitted", "2021-03-01", submission));
    json ests = json::array();
    for (const auto& e : submission["establishments"]) ests.push_back(e["finess"]);
    Must("ars-bzh",
         Line("project.selected", signed_at, {{"project", project}, {"committeeAt", signed_at}}) +
             Line("convention.signed", signed_at,
                  {{"project", project},
                   {"signedAt", signed_at},
                   {"amountCents", amount},
                   {"establishments", ests},
                   {"durationMonths", months}}));
    Must("payer-bzh",
         Line("payment.issued", signed_at, Pay(project, "advance", advance, signed_at)));
  }

  TempDir dir_;
  std::string db_;
  int next_id_ = 0;
  json last_;
};

// Item 8: 2025, 15 upgrades signed 2025-01-30 for 6 months: the end is 2025-07-30.
TEST_F(SecondReadingCliTest, Balance2025PastTheConventionIsExpiredAndTheProjectLapses) {
  Funded(Submission("late", 0, 15, "generalisation-2025", "upgrade", "2025-01-10"), 7500000,
         "2025-01-30", 6, 3750000);
  std::string measures;
  for (const auto& f : Finesses(0, 15)) {
    measures += Line("indicator.measured", "2025-07-31", Measure(f, "2025-05-01", "2025-07-31"));
  }
  Must("ars-bzh", measures);
  Must("porteur", Line("expenses.certified", "2025-08-01",
                       {{"project", "late"},
                        {"totalCents", 7500000},
                        {"equipmentCents", 0},
                        {"certifiedBy", "public-accountant"},
                        {"certifiedAt", "2025-08-01"}}));
  EXPECT_EQ(Try("payer-bzh", Line("payment.issued", "2025-08-10",
                                  Pay("late", "balance", 3750000, "2025-08-10"))),
            "exit 3 CONVENTION_EXPIRED");
  EXPECT_THAT(last_["error"]["message"].get<std::string>(), HasSubstr("2025-07-30"));
  EXPECT_EQ(Json({"state", "late", "--at", "2025-07-30"})["status"], "advance-paid");
  EXPECT_EQ(Json({"state", "late", "--at", "2025-07-31"})["status"], "lapsed");
  // An amended convention of 7 months extends the end to 2025-08-30: paid, with a
  // DURATION_ABOVE_CONTRACT warning.
  json ests = Finesses(0, 15);
  Must("ars-bzh", Line("convention.signed", "2025-08-05",
                       {{"project", "late"},
                        {"signedAt", "2025-08-05"},
                        {"amountCents", 7500000},
                        {"establishments", ests},
                        {"durationMonths", 7}}));
  EXPECT_EQ(Try("payer-bzh", Line("payment.issued", "2025-08-10",
                                  Pay("late", "balance", 3750000, "2025-08-10"))),
            "exit 0 OK");
  json state = Json({"state", "late", "--at", "2025-09-01"});
  EXPECT_EQ(state["status"], "balance-paid");
  bool warned = false;
  for (const auto& w : state["warnings"]) warned = warned || w["code"] == "DURATION_ABOVE_CONTRACT";
  EXPECT_TRUE(warned);
}

// Item 7: the DOMAIN.md §5 worked example, 25 500 €, through `check` and `import`.
TEST_F(SecondReadingCliTest, AmorcageDeploymentProrataWorkedExample) {
  json sub = Submission("amo", 0, 15, "amorcage-2021", "upgrade", "2021-03-01");
  sub["usageCommitments"] = AmorcageCommitments();
  Funded(sub, 15000000, "2021-06-01", 18, 6000000);
  EXPECT_EQ(Try("payer-bzh", Line("payment.issued", "2021-09-01",
                                  Pay("amo", "parametrisation", 6000000, "2021-09-01"))),
            "exit 3 NO_INVOICE");
  auto invoice = [](const std::string& tranche, const std::string& at) {
    return json{{"project", "amo"},
                {"tranche", tranche},
                {"amountCents", 990000},
                {"receivedAt", at},
                {"reference", "F-" + tranche}};
  };
  Must("porteur", Line("invoice.received", "2021-08-30", invoice("parametrisation", "2021-08-30")) +
                      Line("invoice.received", "2022-04-01", invoice("deployment", "2022-04-01")));
  EXPECT_EQ(Json({"state", "amo"})["status"], "advance-paid");
  Must("payer-bzh",
       Line("payment.issued", "2021-09-01", Pay("amo", "parametrisation", 6000000, "2021-09-01")));
  // INTERFACE.md §3: « amorçage adds parametrisation-paid, deployment-paid ».
  EXPECT_EQ(Json({"state", "amo"})["status"], "parametrisation-paid");
  std::string measures;
  int i = 0;
  for (const auto& f : Finesses(0, 15)) {
    json m = Measure(f, "2022-01-01", "2022-03-31");
    m["activeFilesWithPlan"] = 54;
    m["activeFilesWithAgendaEvent"] = 72;
    m["mssanteMessages"] = 10;
    m["dmpDocuments"] = ++i == 15 ? 18 : 13;
    measures += Line("indicator.measured", "2022-03-31", m);
  }
  Must("ars-bzh", measures);
  json check = Json({"check", "amo", "--at", "2022-04-10"});
  const json& deployment = check["tranches"].back();
  EXPECT_EQ(deployment["tranche"], "deployment");
  EXPECT_EQ(deployment["amountCents"], 2550000);
  int criteria = 0;
  for (const auto& c : deployment["conditions"]) {
    if (c["code"] == "USAGE_CRITERION") {
      ++criteria;
      EXPECT_EQ(c["evidence"].size(), 15u);
    }
  }
  EXPECT_EQ(criteria, 5);
  EXPECT_EQ(Try("payer-bzh", Line("payment.issued", "2022-04-10",
                                  Pay("amo", "deployment", 2550001, "2022-04-10"))),
            "exit 3 USAGE_SHARE_EXCEEDED");
  EXPECT_EQ(Try("payer-bzh", Line("payment.issued", "2022-04-10",
                                  Pay("amo", "deployment", 2550000, "2022-04-10"))),
            "exit 0 OK");
  EXPECT_EQ(Json({"state", "amo"})["status"], "deployment-paid");
}

// Item 17: an adjustment counts for a decision only if dated on or before it, in
// `check --at` as in the payment (DOMAIN.md §6), whatever its effectiveFrom.
TEST_F(SecondReadingCliTest, AnAdjustmentDatedAfterTheDecisionNeverCounts) {
  Funded(Submission("anon", 30, 1, "generalisation-2024", "upgrade", "2024-03-10"), 500000,
         "2024-06-01", 9, 250000);
  json m = Measure(Et(31), "2024-12-01", "2025-02-28");
  m["activeFiles"] = 85;  // 85 / 100 < 90 %; 85 / 94 >= 90 %
  m["activeFilesWithPlan"] = 85;
  m["activeFilesWithAgendaEvent"] = 85;
  Must("ars-bzh", Line("indicator.measured", "2025-03-01", m));
  Must("porteur", Line("expenses.certified", "2024-06-10",
                       {{"project", "anon"},
                        {"totalCents", 500000},
                        {"equipmentCents", 0},
                        {"certifiedBy", "public-accountant"},
                        {"certifiedAt", "2024-06-10"}}));
  Must("ars-bzh", Line("targets.adjusted", "2025-03-20",
                       {{"finess", Et(31)},
                        {"denominator", 94},
                        {"indicators", json::array({"activeFiles"})},
                        {"effectiveFrom", "2025-02-01"},
                        {"reason", "accueil anonyme"}}));
  EXPECT_EQ(Json({"check", "anon", "--at", "2025-03-19"})["tranches"].back()["payable"], false);
  EXPECT_EQ(Json({"check", "anon", "--at", "2025-03-20"})["tranches"].back()["payable"], true);
  EXPECT_EQ(Try("payer-bzh",
                Line("payment.issued", "2025-03-19", Pay("anon", "balance", 250000, "2025-03-19"))),
            "exit 3 TARGETS_NOT_MET");
  EXPECT_EQ(Try("payer-bzh",
                Line("payment.issued", "2025-03-20", Pay("anon", "balance", 250000, "2025-03-20"))),
            "exit 0 OK");
}

// Item 14: the paying region of a complément de grappe pays its complement only, on its
// own tranches; `check` shows them with their payingRegion.
TEST_F(SecondReadingCliTest, TheComplementsRegionPaysItsOwnEntitlementOnly) {
  Funded(Submission("p", 40, 1, "generalisation-2024", "acquisition", "2024-03-10"), 2100000,
         "2024-06-01", 18, 1050000);
  Must("ars-bzh",
       Line("grappe.extended", "2024-09-01",
            {{"project", "p"},
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
                                              {"situation", "acquisition"}}})}}) +
           Line("convention.signed", "2024-09-05",
                {{"project", "p"},
                 {"signedAt", "2024-09-05"},
                 {"amountCents", 4200000},
                 {"establishments", json::array({Et(41), EtIdf(1)})},
                 {"durationMonths", 18}}));
  json pay = Pay("p", "advance", 1050001, "2024-09-10");
  pay["payingRegion"] = "11";
  EXPECT_EQ(Try("payer-idf", Line("payment.issued", "2024-09-10", pay)),
            "exit 3 ADVANCE_EXCEEDS_SHARE");
  pay["amountCents"] = 1050000;
  EXPECT_EQ(Try("payer-idf", Line("payment.issued", "2024-09-10", pay)), "exit 0 OK");
  pay["tranche"] = "balance";
  pay["amountCents"] = 1050001;
  pay["reference"] = "IDF-BALANCE";
  EXPECT_EQ(Try("payer-idf", Line("payment.issued", "2024-09-11", pay)),
            "exit 3 AMOUNT_EXCEEDS_ENTITLEMENT");
  const json check = Json({"check", "p", "--at", "2024-09-30"});
  ASSERT_EQ(check["tranches"].size(), 4u);
  EXPECT_FALSE(check["tranches"][1].contains("payingRegion"));
  EXPECT_EQ(check["tranches"][2]["payingRegion"], "11");
  EXPECT_EQ(check["tranches"][3]["payingRegion"], "11");
  EXPECT_EQ(check["tranches"][3]["amountCents"], 1050000);
  const json state = Json({"state", "p"});
  EXPECT_EQ(state["status"], "advance-paid");
  ASSERT_EQ(state["payments"].size(), 2u);
  EXPECT_FALSE(state["payments"][0].contains("payingRegion"));
  EXPECT_EQ(state["payments"][1]["payingRegion"], "11");
}

// Items 9, 10, 18, 21, 17: refusals at their boundary, with their exit codes.
TEST_F(SecondReadingCliTest, ReferencingAgreementOutsideFundingAndAdjustments) {
  // 10: a national entity's agreement missing.
  json sub = Submission("p", 0, 1, "generalisation-2024", "acquisition", "2024-03-10");
  sub["porteur"]["nationalEntityAgreement"] = false;
  EXPECT_EQ(Try("porteur", Line("project.submitted", "2024-03-10", sub)),
            "exit 3 NATIONAL_AGREEMENT_MISSING");
  // 9: no referencing fact: accepted, with a warning.
  sub["porteur"]["nationalEntityAgreement"] = true;
  EXPECT_EQ(Try("porteur", Line("project.submitted", "2024-03-10", sub)), "exit 0 OK");
  bool warned = false;
  const json state = Json({"state", "p"});
  for (const auto& w : state["warnings"]) warned = warned || w["code"] == "REFERENCING_UNKNOWN";
  EXPECT_TRUE(warned);
  // 18: version 4 referenced, the project's version 5 is not.
  Must("national", Line("solution.referenced", "2024-01-05",
                        {{"solution", Solution("4")},
                         {"corridor", "medico-social"},
                         {"status", "referenced"},
                         {"referencedAt", "2024-01-05"}}));
  EXPECT_EQ(Try("porteur",
                Line("project.submitted", "2024-03-10",
                     Submission("q", 10, 1, "generalisation-2024", "acquisition", "2024-03-10"))),
            "exit 3 SOLUTION_NOT_REFERENCED");
  // 9: a hospital-corridor fact for version 5 is not enough for a porteur not a GHT.
  Must("national", Line("solution.referenced", "2024-01-06",
                        {{"solution", Solution("5")},
                         {"corridor", "hospital"},
                         {"status", "referenced"},
                         {"referencedAt", "2024-01-06"}}));
  EXPECT_EQ(Try("porteur",
                Line("project.submitted", "2024-03-10",
                     Submission("q", 10, 1, "generalisation-2024", "acquisition", "2024-03-10"))),
            "exit 3 SOLUTION_NOT_REFERENCED");
  EXPECT_EQ(Try("national", Line("solution.referenced", "2024-01-06",
                                 {{"solution", Solution("5")},
                                  {"corridor", "hopital"},
                                  {"status", "referenced"},
                                  {"referencedAt", "2024-01-06"}})),
            "exit 2 BAD_INPUT");
  // 21: funding granted outside the ledger.
  Must("national", Line("solution.referenced", "2024-01-07",
                        {{"solution", Solution("5")},
                         {"corridor", "medico-social"},
                         {"status", "referenced"},
                         {"referencedAt", "2024-01-07"}}) +
                       Line("funding.recorded", "2024-01-08",
                            {{"finess", Et(21)},
                             {"campaign", "generalisation-2022"},
                             {"solution", Solution("3")},
                             {"operation", "acquisition"},
                             {"amountCents", 2100000},
                             {"grantedAt", "2022-10-01"}}));
  EXPECT_EQ(Try("porteur",
                Line("project.submitted", "2024-03-10",
                     Submission("r", 20, 1, "generalisation-2024", "acquisition", "2024-03-10"))),
            "exit 3 NONCUMUL_SAME_SOFTWARE");
  EXPECT_EQ(Try("porteur",
                Line("project.submitted", "2024-03-10",
                     Submission("r", 21, 1, "generalisation-2024", "acquisition", "2024-03-10"))),
            "exit 0 OK");
  // 17: an adjustment names its indicators and its date.
  EXPECT_EQ(Try("ars-bzh", Line("targets.adjusted", "2024-05-01",
                                {{"finess", Et(22)}, {"denominator", 80}, {"reason", "anonyme"}})),
            "exit 2 BAD_INPUT");
  EXPECT_EQ(Try("ars-bzh", Line("targets.adjusted", "2024-05-01",
                                {{"finess", Et(22)},
                                 {"denominator", 80},
                                 {"indicators", json::array({"activeFiles"})},
                                 {"effectiveFrom", "2024-05-01"},
                                 {"reason", "anonyme"}})),
            "exit 0 OK");
}

// Item 12: a line refused before its event is decoded names the id its JSON carried.
TEST_F(SecondReadingCliTest, RefusedBadInputLineNamesItsId) {
  const std::string good = Line("first", "solution.referenced", "2024-01-05",
                                {{"solution", Solution()},
                                 {"corridor", "medico-social"},
                                 {"status", "referenced"},
                                 {"referencedAt", "2024-01-05"}});
  const std::string bad = Line("second-line", "solution.referenced", "2024-01-05",
                               {{"solution", Solution()},
                                {"corridor", "medico-social"},
                                {"status", "referenced"},
                                {"typo", 1}});
  CliResult r = Import("national", good + bad);
  EXPECT_EQ(r.exit_code, 2);
  json out = json::parse(r.out);
  ASSERT_EQ(out["results"].size(), 2u) << r.out;
  EXPECT_EQ(out["results"][0]["id"], "first");
  EXPECT_EQ(out["results"][1]["status"], "refused");
  EXPECT_EQ(out["results"][1]["id"], "second-line");
  EXPECT_EQ(out["results"][1]["error"]["code"], "BAD_INPUT");
  // A line that is not JSON at all carries no id.
  r = Import("national", "{not json\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(json::parse(r.out)["results"][0]["id"], "");
}

// The new figures of `rules`, each with its source.
TEST_F(SecondReadingCliTest, RulesListTheNewFigures) {
  auto figure = [&](const std::string& campaign, const std::string& name) {
    json rules = Json({"rules", campaign});
    for (const auto& r : rules["campaigns"][0]["rules"]) {
      if (r["name"] == name) return r["source"].get<std::string>();
    }
    return std::string("(missing)");
  };
  EXPECT_EQ(figure("generalisation-2025", "balance deadline"),
            "002 Appel \u00e0 projet/Convention");
  EXPECT_EQ(figure("generalisation-2024", "late targets (warning TARGETS_LATE)"),
            "003 \u00a73.4.2");
  EXPECT_EQ(figure("amorcage-2021", "deployment tranche (20 %) on usage"), "001 \u00a73 Remarque");
  EXPECT_EQ(figure("generalisation-2023", "S\u00e9gur corridor"), "000 \u00a74.2 C");
}

}  // namespace
}  // namespace esms::testing
