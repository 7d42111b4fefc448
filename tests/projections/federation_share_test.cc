// projections/federation_share.h: a ledger's share as a server sends it and the
// federating side reads it back. The round trip gives back the very report (its JSON
// byte for byte), the checkpoint note and the projects; a text that is not a share is
// BAD_INPUT naming the field. The shares of real servers: tests/service/
// federation_server_test.cc.
#include "projections/federation_share.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace esms::projections {
namespace {

using ::testing::HasSubstr;

constexpr const char* kNote =
    "bzh.example/esms\n42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n"
    "\xe2\x80\x94 bzh.example/esms "
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    "\n";

LedgerShare Sample() {
  LedgerShare s;
  s.report.at = *domain::Date::Parse("2024-12-31");
  s.report.by_kind = ReportBy::kRegion;
  s.report.total = 131;
  s.report.establishments = 2;
  s.report.state_size = 42;
  s.report.by = {{"53", 131}};
  s.report.groups.push_back({"53", "Bretagne", 131, 2});
  ActiveDuiEstablishment a;
  a.finess = "350000022";
  a.measured_finess = "350000014";
  a.seq = 17;
  a.active_files = 90;
  a.period_end = *domain::Date::Parse("2024-12-31");
  a.region = "53";
  a.department = "35";
  a.project = "bzh-2023-0001";
  a.campaign = "generalisation-2024";
  a.projects = {"bzh-2023-0001", "bzh-2024-0007"};
  a.change_seqs = {9, 12};
  ActiveDuiEstablishment b = a;
  b.finess = b.measured_finess = "290000017";
  b.seq = 30;
  b.active_files = 41;
  b.department = "29";
  b.projects = {};
  b.change_seqs = {};
  b.project = b.campaign = "none";
  s.report.evidence = {a, b};
  s.checkpoint_note = kNote;
  s.projects = {"bzh-2023-0001", "bzh-2024-0007"};
  return s;
}

TEST(FederationShare, RoundTripGivesBackTheReportByteForByte) {
  const LedgerShare sent = Sample();
  auto received = ShareFromJson(ShareToJson(sent));
  ASSERT_TRUE(received.ok()) << received.status().ToString();
  EXPECT_EQ(ToJson(received->report), ToJson(sent.report));
  EXPECT_EQ(received->checkpoint_note, sent.checkpoint_note);
  EXPECT_EQ(received->projects, sent.projects);
  EXPECT_EQ(received->checkpoint.origin, "bzh.example/esms");
  EXPECT_EQ(received->checkpoint.size, 42u);
  EXPECT_EQ(received->report.evidence[0].change_seqs, (std::vector<uint64_t>{9, 12}));
  EXPECT_EQ(received->report.groups[0].label, "Bretagne");
  // The report alone, too.
  auto report = ActiveDuiReportFromJson(ToJson(sent.report));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(ToJson(*report), ToJson(sent.report));
}

TEST(FederationShare, ATextThatIsNotAShareIsBadInputNamingTheField) {
  using nlohmann::json;
  const json good = json::parse(ShareToJson(Sample()));
  auto error = [](const json& doc) {
    auto parsed = ShareFromJson(doc.dump());
    EXPECT_FALSE(parsed.ok());
    EXPECT_EQ(DefaultErrorCode(parsed.status().code()), "BAD_INPUT");
    return parsed.status().message();
  };
  EXPECT_THAT(ShareFromJson("[").status().message(), HasSubstr("not a JSON object"));
  json no_report = good;
  no_report.erase("report");
  EXPECT_THAT(error(no_report), HasSubstr("report: missing"));
  json bad_total = good;
  bad_total["report"]["total"] = "131";
  EXPECT_THAT(error(bad_total), HasSubstr("total: not an integer"));
  json bad_date = good;
  bad_date["report"]["evidence"][0]["periodEnd"] = "2024-13-01";
  EXPECT_THAT(error(bad_date), HasSubstr("periodEnd"));
  json bad_kind = good;
  bad_kind["report"]["byKind"] = "planet";
  EXPECT_THAT(error(bad_kind), HasSubstr("byKind"));
  json bad_seq = good;
  bad_seq["report"]["evidence"][1]["seq"] = -3;
  EXPECT_THAT(error(bad_seq), HasSubstr("seq: not an unsigned integer"));
  json bad_note = good;
  bad_note["checkpoint"] = "not a note";
  EXPECT_THAT(error(bad_note), HasSubstr("checkpoint"));
  json bad_projects = good;
  bad_projects["projects"] = {1, 2};
  EXPECT_THAT(error(bad_projects), HasSubstr("projects: not a list of strings"));
}

}  // namespace
}  // namespace esms::projections
