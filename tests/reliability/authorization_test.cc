// Who may sign, for EVERY event type (INTERFACE.md §1, 16 types): a key revoked after
// holding the right role, a key without the role, an ARS key outside the project's or
// establishment's region, and an auditor key are each refused UNAUTHORIZED (exit 3,
// a message), and the ledger is unchanged. The auditor reads everything.
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/reliability/fixture.h"

namespace esms::testing {
namespace {

using ::testing::HasSubstr;

struct TypeCase {
  std::string type;
  json data;
  std::string revoked;       // held the right role, revoked since
  std::string wrong_role;    // enrolled, active, without any role for the type
  std::string other_region;  // an ARS key of region 11 (the data is in Bretagne, 53)
};

class AuthorizationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    l_ = new KeyedLedger(dir_->path(), {
                                           {"porteur", {"porteur"}, {}},
                                           {"porteur-old", {"porteur"}, {}},
                                           {"national", {"national"}, {}},
                                           {"national-old", {"national"}, {}},
                                           {"ars-bzh", {"ars-instructor"}, {"53"}},
                                           {"ars-bzh-old", {"ars-instructor"}, {"53"}},
                                           {"payer-bzh", {"ars-payer"}, {"53"}},
                                           {"payer-bzh-old", {"ars-payer"}, {"53"}},
                                           {"ars-idf", {"ars-instructor"}, {"11"}},
                                           {"payer-idf", {"ars-payer"}, {"11"}},
                                           {"admin-old", {"admin"}, {}},
                                           {"auditor", {"auditor"}, {}},
                                       });
    if (!l_->ok()) return;
    CliResult sub = l_->Import("porteur", Line("sub-a", "project.submitted", "2024-03-10",
                                               Submission("a", {Et(1), Et(2)})));
    CliResult sel = l_->Import("ars-bzh", Line("sel-a", "project.selected", "2024-04-15",
                                               {{"project", "a"}, {"committeeAt", "2024-04-15"}}));
    std::string revocations;
    for (const char* name :
         {"porteur-old", "national-old", "ars-bzh-old", "payer-bzh-old", "admin-old"}) {
      revocations += Line(std::string("rev-") + name, "key.revoked", "2024-04-20",
                          {{"name", name}, {"reason", "left the programme"}});
    }
    CliResult rev = l_->Import("admin", revocations);
    setup_ok_ = sub.exit_code == 0 && sel.exit_code == 0 && rev.exit_code == 0;
    if (setup_ok_) submitted_seq_ = KeyedLedger::LastResult(sub)["seq"];
    if (!setup_ok_) setup_error_ = sub.out + sel.out + rev.out + rev.err;
  }
  static void TearDownTestSuite() {
    delete l_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_TRUE(l_->ok()) << l_->error();
    ASSERT_TRUE(setup_ok_) << setup_error_;
  }

  static std::vector<TypeCase> Cases() {
    const json organisation = {
        {"finessEj", Ej(1)}, {"name", "OG 1"}, {"essmsTotal", 20}, {"region", "53"}};
    return {
        {"project.submitted", Submission("n1", {Et(7)}), "porteur-old", "national", "ars-idf"},
        {"project.selected",
         {{"project", "a"}, {"committeeAt", "2024-04-15"}},
         "ars-bzh-old",
         "porteur",
         "ars-idf"},
        {"project.rejected",
         {{"project", "a"}, {"reason", "envelope"}},
         "ars-bzh-old",
         "payer-bzh",
         "ars-idf"},
        {"convention.signed",
         {{"project", "a"},
          {"signedAt", "2024-06-01"},
          {"amountCents", 4200000},
          {"establishments", json::array({Et(1), Et(2)})},
          {"durationMonths", 18}},
         "ars-bzh-old",
         "porteur",
         "ars-idf"},
        {"payment.issued",
         {{"project", "a"},
          {"tranche", "advance"},
          {"amountCents", 100},
          {"paidAt", "2024-06-10"},
          {"reference", "PAY-1"}},
         "payer-bzh-old",
         "ars-bzh",
         "payer-idf"},
        {"indicator.measured", Measurement(Et(1), 100, 95), "ars-bzh-old", "national", "ars-idf"},
        {"grappe.extended",
         {{"project", "a"},
          {"extendedAt", "2024-09-01"},
          {"porteurAgreement", true},
          {"payingRegion", "53"},
          {"organisations", json::array({organisation})},
          {"establishments", json::array({Establishment(Et(8))})}},
         "ars-bzh-old",
         "porteur",
         "ars-idf"},
        {"finess.changed",
         {{"from", Et(1)}, {"to", Et(9)}, {"kind", "renumbering"}, {"effectiveAt", "2024-07-01"}},
         "ars-bzh-old",
         "porteur",
         "ars-idf"},
        {"sons.ordered",
         {{"finess", Et(1)}, {"solution", Solution()}, {"orderedAt", "2022-12-01"}},
         "national-old",
         "porteur",
         "ars-idf"},
        {"eu-funding.declared",
         {{"finess", Et(1)},
          {"fund", "FEDER"},
          {"operation", "acquisition"},
          {"declaredAt", "2024-01-20"}},
         "national-old",
         "payer-bzh",
         "ars-idf"},
        {"expenses.certified",
         {{"project", "a"},
          {"totalCents", 100000},
          {"equipmentCents", 0},
          {"certifiedBy", "public-accountant"},
          {"certifiedAt", "2025-09-01"}},
         "porteur-old",
         "national",
         "ars-idf"},
        {"solution.referenced",
         {{"solution", Solution("Neuf")},
          {"corridor", "medico-social"},
          {"status", "referenced"},
          {"referencedAt", "2023-01-01"}},
         "national-old",
         "porteur",
         "ars-idf"},
        {"targets.adjusted",
         {{"finess", Et(1)},
          {"denominator", 10},
          {"indicators", json::array({"activeFiles"})},
          {"effectiveFrom", "2024-01-01"},
          {"reason", "closure"}},
         "ars-bzh-old",
         "porteur",
         "ars-idf"},
        {"invoice.received",
         {{"project", "a"},
          {"tranche", "deployment"},
          {"amountCents", 100},
          {"receivedAt", "2024-06-10"},
          {"reference", "FACT-1"}},
         "porteur-old",
         "payer-bzh",
         "ars-idf"},
        {"funding.recorded",
         {{"finess", Et(1)},
          {"campaign", "segur-2021"},
          {"solution", Solution()},
          {"operation", "acquisition"},
          {"amountCents", 100},
          {"grantedAt", "2021-11-15"}},
         "national-old",
         "porteur",
         "ars-idf"},
        {"key.enrolled",
         {{"name", "intruder"},
          {"publicKey", l_->PublicKey("auditor")},
          {"roles", json::array({"admin"})},
          {"regions", json::array()}},
         "admin-old",
         "national",
         "ars-idf"},
        {"key.revoked", {{"name", "ars-bzh"}, {"reason", "x"}}, "admin-old", "porteur", "ars-idf"},
        {"event.voided",
         {{"seq", submitted_seq_}, {"reason", "x"}},
         "ars-bzh-old",
         "porteur",
         "ars-idf"},
    };
  }

  // "exit N CODE" of one attempt, plus "(no message)" when the refusal says nothing.
  static std::string Attempt(const std::string& signer, const TypeCase& c, json* error) {
    CliResult r =
        l_->Import(signer, Line("try-" + signer + "-" + c.type, c.type, "2024-05-01", c.data));
    json result = KeyedLedger::LastResult(r);
    *error = result.value("error", json::object());
    std::string summary = fmt::format("exit {} {}", r.exit_code, error->value("code", "?"));
    if (error->value("message", "").empty()) summary += " (no message)";
    if (result.value("status", "") == "appended") summary += " APPENDED";
    return summary;
  }

  static inline TempDir* dir_ = nullptr;
  static inline KeyedLedger* l_ = nullptr;
  static inline bool setup_ok_ = false;
  static inline std::string setup_error_;
  static inline uint64_t submitted_seq_ = 0;
};

TEST_F(AuthorizationTest, EveryEventTypeRefusesRevokedWrongRoleOtherRegionAndAuditor) {
  const std::vector<TypeCase> cases = Cases();
  ASSERT_EQ(cases.size(), 18u) << "INTERFACE.md lists 18 event types";
  const std::string before = l_->Fingerprint();
  const std::string refused = "exit 3 UNAUTHORIZED";
  for (const TypeCase& c : cases) {
    SCOPED_TRACE(c.type);
    json error;
    EXPECT_EQ(Attempt(c.revoked, c, &error), refused) << "revoked " << c.revoked;
    EXPECT_THAT(error.value("message", ""), HasSubstr("revoked"));
    EXPECT_EQ(Attempt(c.wrong_role, c, &error), refused) << "wrong role " << c.wrong_role;
    EXPECT_EQ(Attempt(c.other_region, c, &error), refused) << "other region " << c.other_region;
    EXPECT_EQ(Attempt("auditor", c, &error), refused) << "auditor";
  }
  EXPECT_EQ(l_->Fingerprint(), before) << "a refusal changed the ledger";
}

// The refusals above are authorization, not bad data: the same events signed by the
// right keys go through (for the types whose rules allow them at this point).
TEST_F(AuthorizationTest, TheSameEventsByTheRightKeysAreAccepted) {
  const std::map<std::string, std::string> right = {
      {"solution.referenced", "national"}, {"sons.ordered", "national"},
      {"eu-funding.declared", "ars-bzh"},  {"indicator.measured", "porteur"},
      {"targets.adjusted", "ars-bzh"},     {"project.submitted", "porteur"},
  };
  for (const TypeCase& c : Cases()) {
    auto it = right.find(c.type);
    if (it == right.end()) continue;
    CliResult r = l_->Import(it->second, Line("ok-" + c.type, c.type, "2024-05-01", c.data));
    EXPECT_EQ(r.exit_code, 0) << c.type << ": " << r.out << r.err;
  }
}

TEST_F(AuthorizationTest, AuditorReadsEverything) {
  ASSERT_EQ(l_->Run({"checkpoint"}).exit_code, 0);  // every commit keeps one
  const std::string auditor = l_->KeyFile("auditor");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"log", "--json"},
           {"verify", "--json"},
           {"state", "a", "--json"},
           {"history", "a", "--json"},
           {"history", Et(1), "--json"},
           {"check", "a", "--at", "2025-01-01", "--json"},
           {"prove", "3", "--json"},
           {"consistency", "2", "5", "--json"},
           {"rules", "--json"},
       }) {
    std::vector<std::string> full = args;
    full.push_back("--key");
    full.push_back(auditor);
    CliResult r = l_->Run(full);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.out << r.err;
    EXPECT_FALSE(r.out.empty()) << args[0];
  }
  // The latest checkpoint is printed to anyone (`checkpoint` without --key)...
  CliResult latest = l_->Run({"checkpoint"});
  EXPECT_EQ(latest.exit_code, 0) << latest.err;
  // ...but signing one is a write: refused for the auditor.
  CliResult cp = l_->Run({"checkpoint", "--json", "--key", auditor});
  EXPECT_EQ(cp.exit_code, 3) << cp.out << cp.err;
  EXPECT_THAT(cp.out, HasSubstr("UNAUTHORIZED"));
}

}  // namespace
}  // namespace esms::testing
