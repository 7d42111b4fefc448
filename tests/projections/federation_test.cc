// projections/federation.h without ledgers: the federation file's schema (every bad
// field named by its path) and the sum of shares with its counted-once rule, on shares
// built by hand. The ledgers, the checkpoints and the national bundle are exercised
// through the program in tests/cli/federation_cli_test.cc.
#include "projections/federation.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace esms::projections {
namespace {

using ::testing::HasSubstr;

domain::Date D(const char* text) { return *domain::Date::Parse(text); }

std::string ParseError(std::string_view text) {
  auto parsed = ParseFederation(text);
  return parsed.ok() ? std::string("accepted") : parsed.status().message();
}

TEST(FederationFile, AcceptsLedgerAndServerEntries) {
  auto parsed = ParseFederation(
      R"([{"name": "bzh", "ledger": "bzh.db", "trust": "bzh.pub"},
          {"name": "ara", "server": "unix:/run/ara.sock", "trust": "ara.pub"}])");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].name, "bzh");
  EXPECT_EQ((*parsed)[0].ledger, "bzh.db");
  EXPECT_FALSE((*parsed)[0].server.has_value());
  EXPECT_EQ((*parsed)[1].server, "unix:/run/ara.sock");
  EXPECT_EQ((*parsed)[1].trust, "ara.pub");
  EXPECT_FALSE((*parsed)[1].tls_ca.has_value());
}

TEST(FederationFile, ATcpServerNamesTheCaOfItsCertificate) {
  auto parsed = ParseFederation(
      R"([{"name": "ara", "server": "ars-ara.example:7443", "trust": "ara.pub",
           "tlsCa": "ara-ca.pem"}])");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ((*parsed)[0].tls_ca, "ara-ca.pem");
  EXPECT_THAT(ParseError(R"([{"name": "a", "server": "h:1", "trust": "a.pub"}])"),
              HasSubstr("[0].tlsCa: missing: the server h:1 is TCP"));
  EXPECT_THAT(ParseError(R"([{"name": "a", "ledger": "a", "trust": "a.pub", "tlsCa": "c"}])"),
              HasSubstr("[0].tlsCa: only with a server"));
  EXPECT_THAT(ParseError(R"([{"name": "a", "server": "h:1", "trust": "a.pub", "tlsCa": 1}])"),
              HasSubstr("[0].tlsCa: must be a string"));
}

TEST(FederationFile, EveryBadFieldIsNamedByItsPath) {
  EXPECT_THAT(ParseError("[{"), HasSubstr("not JSON"));
  // A key given twice: one reader would take the first, another the last.
  EXPECT_THAT(ParseError(R"([{"name": "a", "ledger": "a", "trust": "a.pub", "trust": "b.pub"}])"),
              HasSubstr("[0].trust: duplicate key"));
  EXPECT_THAT(ParseError("{}"), HasSubstr("must be a JSON list"));
  EXPECT_THAT(ParseError("[]"), HasSubstr("no ledger"));
  EXPECT_THAT(ParseError("[1]"), HasSubstr("[0]: must be an object"));
  EXPECT_THAT(ParseError(R"([{"ledger": "a", "trust": "a.pub"}])"), HasSubstr("[0].name: missing"));
  EXPECT_THAT(ParseError(R"([{"name": 7, "ledger": "a", "trust": "a.pub"}])"),
              HasSubstr("[0].name: must be a string"));
  EXPECT_THAT(ParseError(R"([{"name": "a b", "ledger": "a", "trust": "a.pub"}])"),
              HasSubstr("[0].name: 'a b' is not"));
  EXPECT_THAT(ParseError(R"([{"name": "a", "ledger": "", "trust": "a.pub"}])"),
              HasSubstr("[0].ledger: empty"));
  EXPECT_THAT(ParseError(R"([{"name": "a", "trust": "a.pub"}])"),
              HasSubstr("[0].ledger: give exactly one of ledger"));
  EXPECT_THAT(ParseError(R"([{"name": "a", "ledger": "a", "server": "s", "trust": "a.pub"}])"),
              HasSubstr("[0].server: give exactly one of ledger"));
  EXPECT_THAT(ParseError(R"([{"name": "a", "ledger": "a", "trust": "a.pub", "weight": 2}])"),
              HasSubstr("[0].weight: unknown field"));
  EXPECT_THAT(ParseError(R"([{"name": "a", "ledger": "a", "trust": "a.pub"},
                             {"name": "b", "ledger": "b"}])"),
              HasSubstr("[1].trust: missing"));
  EXPECT_THAT(ParseError(R"([{"name": "a", "ledger": "a", "trust": "a.pub"},
                             {"name": "a", "ledger": "b", "trust": "b.pub"}])"),
              HasSubstr("[1].name: 'a' is already the name of [0]"));
}

LedgerShare Share(std::string name, std::vector<std::pair<std::string, int64_t>> counted,
                  std::vector<std::string> projects = {}) {
  LedgerShare s;
  s.name = name;
  s.ledger_key = name + "+00000000+key";
  s.checkpoint.origin = name + ".example/esms";
  s.checkpoint.size = 10;
  s.report.at = D("2024-12-31");
  uint64_t seq = 1;
  for (auto& [finess, files] : counted) {
    ActiveDuiEstablishment ev;
    ev.finess = finess;
    ev.measured_finess = finess;
    ev.seq = seq++;
    ev.active_files = files;
    s.report.total += files;
    s.report.evidence.push_back(ev);
  }
  s.report.establishments = static_cast<int64_t>(s.report.evidence.size());
  s.projects = std::move(projects);
  return s;
}

TEST(CombineShares, SumsTheSharesInOrder) {
  auto national = CombineShares(D("2024-12-31"), ReportBy::kNone,
                                {Share("bzh", {{"350000014", 40}, {"290000017", 2}}),
                                 Share("nat", {}), Share("ara", {{"690000013", 100}})});
  ASSERT_TRUE(national.ok()) << national.status().ToString();
  EXPECT_EQ(national->total, 142);
  EXPECT_EQ(national->establishments, 3);
  ASSERT_EQ(national->shares.size(), 3u);
  EXPECT_EQ(national->shares[1].name, "nat");
  EXPECT_EQ(national->PercentOfTotal(national->shares[0]), 29);  // 42 * 100 / 142, floored
  EXPECT_EQ(national->PercentOfTotal(national->shares[1]), 0);
}

TEST(CombineShares, AnEstablishmentInTwoLedgersIsRefused) {
  auto national = CombineShares(
      D("2024-12-31"), ReportBy::kNone,
      {Share("bzh", {{"350000014", 40}}), Share("pdl", {{"440000018", 5}, {"350000014", 40}})});
  ASSERT_FALSE(national.ok());
  EXPECT_EQ(national.status().error_code(), kDuplicateFiness);
  EXPECT_THAT(
      national.status().message(),
      HasSubstr("establishment 350000014 is counted by 'bzh' (seq 1) and by 'pdl' (seq 2)"));
}

TEST(CombineShares, AMeasuredNumberInAnotherLedgerIsRefused) {
  // pdl counts under a new number what bzh still counts under the old one.
  LedgerShare pdl = Share("pdl", {{"440000018", 5}});
  pdl.report.evidence[0].measured_finess = "350000014";
  auto national =
      CombineShares(D("2024-12-31"), ReportBy::kNone, {Share("bzh", {{"350000014", 40}}), pdl});
  ASSERT_FALSE(national.ok());
  EXPECT_EQ(national.status().error_code(), kDuplicateFiness);
}

TEST(CombineShares, AProjectInTwoLedgersIsRefused) {
  auto national = CombineShares(
      D("2024-12-31"), ReportBy::kNone,
      {Share("bzh", {}, {"bzh-2024-0001", "grappe-x"}), Share("pdl", {}, {"grappe-x"})});
  ASSERT_FALSE(national.ok());
  EXPECT_EQ(national.status().error_code(), kDuplicateProject);
  EXPECT_THAT(national.status().message(),
              HasSubstr("project grappe-x is held by 'bzh' and by 'pdl'"));
}

TEST(CombineShares, OneLogTwiceIsRefused) {
  LedgerShare copy = Share("bzh2", {});
  copy.checkpoint.origin = "bzh.example/esms";
  auto national = CombineShares(D("2024-12-31"), ReportBy::kNone, {Share("bzh", {}), copy});
  ASSERT_FALSE(national.ok());
  EXPECT_THAT(national.status().message(), HasSubstr("same log"));
}

TEST(NationalBundle, NotANationalBundleIsBadInput) {
  NationalTrust trust;
  trust.keys.resize(1);
  auto v = VerifyNationalBundle(R"({"format": "esms-ledger-bundle/v2"})", trust);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(IsNationalBundle(R"({"format": "esms-ledger-bundle/v2"})"));
  EXPECT_TRUE(IsNationalBundle(R"({"format": "esms-ledger-national-bundle/v1"})"));
  EXPECT_FALSE(IsNationalBundle(R"({"note": "esms-ledger-national-bundle/v1"})"));
}

}  // namespace
}  // namespace esms::projections
