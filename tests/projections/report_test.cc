// The active-DUI report (DOMAIN.md §8) on hand-made programmes: which measurement
// counts, FINESS lineage (renumbering counted once, a merger from its effective date),
// the date boundary, voided records, the --by groupings, the trajectory and the output
// shapes (INTERFACE.md §3).
#include "projections/report.h"

#include "tests/projections/fixture.h"

namespace esms::projections::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

json Change(const std::string& from, const std::string& to, const std::string& kind,
            const std::string& at) {
  return {{"from", from}, {"to", to}, {"kind", kind}, {"effectiveAt", at}};
}

domain::Date D(const std::string& text) {
  auto d = domain::Date::Parse(text);
  EXPECT_TRUE(d.ok()) << text;
  return d.ok() ? *d : domain::Date();
}

class ReportTest : public ProjectionsTest {
 protected:
  // Records a measurement of `active` files for the period ending `end`; its seq.
  uint64_t Measure(const std::string& finess, const std::string& end, int64_t active,
                   const std::string& signer = "porteur") {
    domain::Date e = D(end);
    std::string start = e.AddMonths(-3).AddDays(1).ToString();
    return Must(signer, "indicator.measured", e.AddDays(1).ToString(),
                Measurement(finess, start, end, active + 10, active));
  }

  ActiveDuiReport Report(const std::string& at, ReportBy by = ReportBy::kNone) {
    auto report = ComputeActiveDui(projector_->state(), D(at), by);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : ActiveDuiReport{};
  }

  // "FINESS:seq:activeFiles" per counted establishment: a failure reads like the bug.
  std::vector<std::string> Evidence(const ActiveDuiReport& report) {
    std::vector<std::string> out;
    for (const auto& ev : report.evidence) {
      out.push_back(ev.finess + ":" + std::to_string(ev.seq) + ":" +
                    std::to_string(ev.active_files));
    }
    return out;
  }

  std::string Ev(const std::string& finess, uint64_t seq, int64_t active) {
    return finess + ":" + std::to_string(seq) + ":" + std::to_string(active);
  }
};

TEST_F(ReportTest, EmptyLedgerTotalsZero) {
  ActiveDuiReport report = Report("2024-12-31", ReportBy::kRegion);
  EXPECT_EQ(report.total, 0);
  EXPECT_EQ(report.establishments, 0);
  EXPECT_TRUE(report.evidence.empty());
  EXPECT_TRUE(report.by.empty());
  EXPECT_EQ(report.DistanceToTarget(), 410000);
  EXPECT_EQ(report.PercentOfTarget(), 0);
  EXPECT_TRUE(ActiveDuiTrajectory(projector_->state(), D("2024-12-31")).empty());
  json j = json::parse(ToJson(report));
  EXPECT_EQ(j["total"], 0);
  EXPECT_EQ(j["target"], 410000);
  EXPECT_TRUE(j["by"].is_object() && j["by"].empty());
  EXPECT_TRUE(j["evidence"].is_array() && j["evidence"].empty());
}

TEST_F(ReportTest, LatestMeasurementByPeriodEndNotByRecordOrder) {
  uint64_t october = Measure(Et(1), "2024-10-31", 90);
  // Recorded later, but about an earlier period: a late correction of September.
  uint64_t september = Measure(Et(1), "2024-09-30", 80);
  EXPECT_THAT(Evidence(Report("2024-12-31")), ElementsAre(Ev(Et(1), october, 90)));
  EXPECT_THAT(Evidence(Report("2024-10-15")), ElementsAre(Ev(Et(1), september, 80)));
}

TEST_F(ReportTest, SamePeriodEndTheLaterRecordWins) {
  Measure(Et(1), "2024-10-31", 90);
  uint64_t recount = Measure(Et(1), "2024-10-31", 93);
  ActiveDuiReport report = Report("2024-12-31");
  EXPECT_THAT(Evidence(report), ElementsAre(Ev(Et(1), recount, 93)));
  EXPECT_EQ(report.total, 93);
}

TEST_F(ReportTest, MeasurementEndingOnTheDateCountsOneAfterItDoesNot) {
  uint64_t september = Measure(Et(1), "2024-09-30", 80);
  uint64_t december = Measure(Et(1), "2024-12-31", 120);
  Measure(Et(1), "2025-01-31", 150);  // after every date below
  EXPECT_THAT(Evidence(Report("2024-12-31")), ElementsAre(Ev(Et(1), december, 120)));
  EXPECT_THAT(Evidence(Report("2024-12-30")), ElementsAre(Ev(Et(1), september, 80)));
  EXPECT_TRUE(Evidence(Report("2024-09-29")).empty());
  EXPECT_EQ(Report("2024-09-29").total, 0);
}

TEST_F(ReportTest, EachEstablishmentCountedOnceAndSummed) {
  Measure(Et(1), "2024-09-30", 80);
  Measure(Et(1), "2024-12-31", 100);
  Measure(Et(2), "2024-11-30", 250);
  Measure(Et(3), "2024-12-31", 7);
  ActiveDuiReport report = Report("2024-12-31");
  EXPECT_EQ(report.total, 357);
  EXPECT_EQ(report.establishments, 3);
  EXPECT_EQ(report.DistanceToTarget(), 410000 - 357);
  EXPECT_EQ(report.PercentOfTarget(), 0);
}

TEST_F(ReportTest, RenumberedEstablishmentCountedOnceUnderItsNewNumber) {
  uint64_t old_m = Measure(Et(1), "2024-06-30", 50);
  uint64_t change = Must("ars-bzh", "finess.changed", "2024-07-01",
                         Change(Et(1), Et(50), "renumbering", "2024-07-01"));
  uint64_t new_m = Measure(Et(50), "2024-09-30", 70);

  ActiveDuiReport report = Report("2024-12-31");
  EXPECT_EQ(report.total, 70);
  EXPECT_THAT(Evidence(report), ElementsAre(Ev(Et(50), new_m, 70)));
  EXPECT_EQ(report.evidence[0].measured_finess, Et(50));
  EXPECT_THAT(report.evidence[0].change_seqs, ElementsAre(change));

  // Before the new number's first measurement: the old number's figure, under the
  // establishment's current number (a renumbering is the same ESSMS whatever its date).
  ActiveDuiReport august = Report("2024-08-31");
  EXPECT_THAT(Evidence(august), ElementsAre(Ev(Et(50), old_m, 50)));
  EXPECT_EQ(august.evidence[0].measured_finess, Et(1));
  ActiveDuiReport june = Report("2024-06-30");
  EXPECT_THAT(Evidence(june), ElementsAre(Ev(Et(50), old_m, 50)));
}

TEST_F(ReportTest, RenumberingChainFollowedToTheEnd) {
  Measure(Et(1), "2024-03-31", 10);
  uint64_t c1 = Must("ars-bzh", "finess.changed", "2024-04-01",
                     Change(Et(1), Et(50), "renumbering", "2024-04-01"));
  uint64_t c2 = Must("ars-bzh", "finess.changed", "2024-05-01",
                     Change(Et(50), Et(60), "renumbering", "2024-05-01"));
  uint64_t last = Measure(Et(60), "2024-06-30", 30);
  ActiveDuiReport report = Report("2024-12-31");
  EXPECT_THAT(Evidence(report), ElementsAre(Ev(Et(60), last, 30)));
  EXPECT_THAT(report.evidence[0].change_seqs, ElementsAre(c1, c2));
}

TEST_F(ReportTest, MergerTwoEstablishmentsBeforeItsDateOneFromItsDate) {
  uint64_t a = Measure(Et(1), "2024-06-30", 40);
  uint64_t b = Measure(Et(2), "2024-06-30", 60);
  uint64_t merger =
      Must("ars-bzh", "finess.changed", "2024-06-20", Change(Et(1), Et(2), "merger", "2024-08-01"));
  // Before the merger takes effect: two ESSMS.
  ActiveDuiReport july = Report("2024-07-31");
  EXPECT_THAT(Evidence(july), ElementsAre(Ev(Et(1), a, 40), Ev(Et(2), b, 60)));
  EXPECT_EQ(july.total, 100);
  EXPECT_TRUE(july.evidence[0].change_seqs.empty());
  // From its effective date: one ESSMS, the absorbed number no longer counts on its
  // own; until a post-merger measurement, the latest of the lineage stands (same
  // periodEnd: the later record).
  ActiveDuiReport august = Report("2024-08-01");
  EXPECT_THAT(Evidence(august), ElementsAre(Ev(Et(2), b, 60)));
  // The merged establishment's own measurement covers both.
  uint64_t merged = Measure(Et(2), "2024-09-30", 110);
  ActiveDuiReport december = Report("2024-12-31");
  EXPECT_THAT(Evidence(december), ElementsAre(Ev(Et(2), merged, 110)));
  EXPECT_THAT(december.evidence[0].change_seqs, ElementsAre(merger));
  EXPECT_EQ(Report("2024-07-31").total, 100);  // history unchanged
}

TEST_F(ReportTest, VoidedMeasurementIgnored) {
  uint64_t september = Measure(Et(1), "2024-09-30", 80);
  uint64_t wrong = Measure(Et(1), "2024-12-31", 8000);
  EXPECT_EQ(Report("2024-12-31").total, 8000);
  Must("ars-bzh", "event.voided", "2025-01-05", {{"seq", wrong}, {"reason", "typo"}});
  ActiveDuiReport report = Report("2024-12-31");
  EXPECT_THAT(Evidence(report), ElementsAre(Ev(Et(1), september, 80)));
  EXPECT_EQ(report.total, 80);
}

TEST_F(ReportTest, GroupsByRegionDepartmentProjectCampaign) {
  SubmitSelectSign(Submission("bzh-1", {Et(1), Et(2)}), 2 * kAcquisition2024);
  Measure(Et(1), "2024-12-31", 100);
  Measure(Et(2), "2024-12-31", 200);
  Measure(Et(3), "2024-12-31", 30);       // Bretagne, in no project
  Measure(EtIdf(1), "2024-12-31", 1000);  // Île-de-France, in no project
  std::string corsica = MakeFiness("2A000001");
  std::string reunion = MakeFiness("97040001") /* 9704: La Réunion */;
  Measure(corsica, "2024-12-31", 5);
  Measure(reunion, "2024-12-31", 7);

  ActiveDuiReport by_region = Report("2024-12-31", ReportBy::kRegion);
  EXPECT_EQ(by_region.total, 1342);
  EXPECT_THAT(by_region.by, UnorderedElementsAre(Pair("53", 330), Pair("11", 1000), Pair("94", 5),
                                                 Pair("04", 7)));
  int64_t sum = 0, count = 0;
  for (const auto& g : by_region.groups) {
    sum += g.total;
    count += g.establishments;
    if (g.key == "53") {
      EXPECT_EQ(g.label, "Bretagne");
      EXPECT_EQ(g.establishments, 3);
    }
  }
  EXPECT_EQ(sum, by_region.total);
  EXPECT_EQ(count, by_region.establishments);

  EXPECT_THAT(
      Report("2024-12-31", ReportBy::kDepartment).by,
      UnorderedElementsAre(Pair("35", 330), Pair("75", 1000), Pair("2A", 5), Pair("974", 7)));
  EXPECT_THAT(Report("2024-12-31", ReportBy::kProject).by,
              UnorderedElementsAre(Pair("bzh-1", 300), Pair("none", 1042)));
  EXPECT_THAT(Report("2024-12-31", ReportBy::kCampaign).by,
              UnorderedElementsAre(Pair("generalisation-2024", 300), Pair("none", 1042)));
  EXPECT_TRUE(Report("2024-12-31", ReportBy::kNone).by.empty());
}

TEST_F(ReportTest, ProjectFollowsTheLineageAndSkipsRejectedProjects) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("refused", {Et(1)}));
  Must("ars-bzh", "project.rejected", "2024-04-15",
       {{"project", "refused"}, {"reason", "incomplete"}});
  SubmitSelectSign(Submission("funded", {Et(1)}), kAcquisition2024);
  Must("ars-bzh", "finess.changed", "2024-07-01",
       Change(Et(1), Et(50), "renumbering", "2024-07-01"));
  Measure(Et(50), "2024-12-31", 42);
  // An establishment listed only by a rejected project counts under "none".
  Must("porteur", "project.submitted", "2024-03-10", Submission("lone-refusal", {Et(7)}));
  Must("ars-bzh", "project.rejected", "2024-04-15",
       {{"project", "lone-refusal"}, {"reason", "incomplete"}});
  Measure(Et(7), "2024-12-31", 8);

  ActiveDuiReport report = Report("2024-12-31", ReportBy::kProject);
  ASSERT_EQ(report.evidence.size(), 2u);  // by finess: Et(7) < Et(50)
  const ActiveDuiEstablishment& ev = report.evidence[1];
  EXPECT_EQ(ev.finess, Et(50));
  EXPECT_THAT(ev.projects, ElementsAre("refused", "funded"));
  EXPECT_EQ(ev.project, "funded");
  EXPECT_EQ(ev.campaign, "generalisation-2024");
  EXPECT_EQ(report.evidence[0].finess, Et(7));
  EXPECT_EQ(report.evidence[0].project, "none");
  EXPECT_THAT(report.by, UnorderedElementsAre(Pair("funded", 42), Pair("none", 8)));
}

TEST_F(ReportTest, TrajectoryMonthEndsUpToTheDate) {
  Measure(Et(1), "2024-09-30", 80);
  Measure(Et(2), "2024-10-15", 20);  // mid-month period end
  Measure(Et(1), "2024-11-30", 100);
  Measure(Et(2), "2024-12-31", 30);
  Measure(Et(1), "2025-02-28", 500);  // after the date
  auto points = ActiveDuiTrajectory(projector_->state(), D("2024-12-20"));
  std::vector<std::string> got;
  for (const auto& p : points) got.push_back(p.at.ToString() + "=" + std::to_string(p.total));
  EXPECT_THAT(got,
              ElementsAre("2024-09-30=80", "2024-10-31=100", "2024-11-30=120", "2024-12-20=120"));
  // Each point equals the report at its date.
  for (const auto& p : points) {
    EXPECT_EQ(p.total, Report(p.at.ToString()).total) << p.at.ToString();
  }
}

TEST_F(ReportTest, TrajectoryFollowsLineageLikeTheReport) {
  Measure(Et(1), "2024-05-31", 40);
  Measure(Et(2), "2024-05-31", 60);
  Measure(Et(3), "2024-05-31", 1);
  Must("ars-bzh", "finess.changed", "2024-06-20", Change(Et(1), Et(2), "merger", "2024-07-15"));
  Must("ars-bzh", "finess.changed", "2024-06-20",
       Change(Et(3), Et(30), "renumbering", "2024-06-20"));
  Measure(Et(2), "2024-08-31", 110);
  Measure(Et(30), "2024-09-30", 3);
  uint64_t voided = Measure(Et(30), "2024-10-31", 999);
  Must("ars-bzh", "event.voided", "2024-11-05", {{"seq", voided}, {"reason", "typo"}});
  auto points = ActiveDuiTrajectory(projector_->state(), D("2024-10-31"));
  std::vector<std::string> got;
  for (const auto& p : points) got.push_back(p.at.ToString() + "=" + std::to_string(p.total));
  EXPECT_THAT(got, ElementsAre("2024-05-31=101", "2024-06-30=101", "2024-07-31=61",
                               "2024-08-31=111", "2024-09-30=113", "2024-10-31=113"));
  for (const auto& p : points) {
    EXPECT_EQ(p.total, Report(p.at.ToString()).total) << p.at.ToString();
  }
}

TEST_F(ReportTest, JsonHasTheInterfaceShape) {
  uint64_t m = Measure(Et(1), "2024-12-31", 95);
  json j = json::parse(ToJson(Report("2024-12-31", ReportBy::kRegion)));
  for (const char* key : {"at", "total", "target", "establishments", "by", "evidence"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["at"], "2024-12-31");
  EXPECT_EQ(j["total"], 95);
  EXPECT_EQ(j["target"], 410000);
  EXPECT_EQ(j["establishments"], 1);
  EXPECT_EQ(j["by"], json({{"53", 95}}));
  ASSERT_EQ(j["evidence"].size(), 1u);
  EXPECT_EQ(j["evidence"][0]["finess"], Et(1));
  EXPECT_EQ(j["evidence"][0]["seq"], m);
  EXPECT_EQ(j["evidence"][0]["activeFiles"], 95);
  EXPECT_EQ(j["distanceToTarget"], 410000 - 95);
}

TEST_F(ReportTest, CsvAndTextRenderings) {
  Measure(Et(1), "2024-12-31", 1234);
  Measure(EtIdf(1), "2024-12-31", 400000);
  ActiveDuiReport plain = Report("2024-12-31");
  std::string csv = ToCsv(plain);
  EXPECT_EQ(csv.substr(0, csv.find("\r\n")),
            "finess,region,department,project,campaign,activeFiles,seq,periodEnd,measuredFiness");
  EXPECT_NE(csv.find(Et(1) + ",53,35,none,none,1234,"), std::string::npos) << csv;

  ActiveDuiReport by = Report("2024-12-31", ReportBy::kRegion);
  EXPECT_EQ(ToCsv(by),
            "region,label,activeFiles,establishments\r\n"
            "11,Île-de-France,400000,1\r\n"
            "53,Bretagne,1234,1\r\n"
            "total,,401234,2\r\n");
  std::string text = ToText(by);
  EXPECT_NE(text.find("Active DUI files at 2024-12-31: 401 234"), std::string::npos) << text;
  EXPECT_NE(text.find("reached: 97 %"), std::string::npos) << text;  // floor(401234*100/410000)
  EXPECT_NE(text.find("Distance to target: 8 766 to go"), std::string::npos) << text;
  EXPECT_NE(text.find("Île-de-France"), std::string::npos) << text;
}

TEST(ReportFormat, GroupDigits) {
  EXPECT_EQ(GroupDigits(0), "0");
  EXPECT_EQ(GroupDigits(999), "999");
  EXPECT_EQ(GroupDigits(1000), "1 000");
  EXPECT_EQ(GroupDigits(410000), "410 000");
  EXPECT_EQ(GroupDigits(-1234567), "-1 234 567");
  EXPECT_EQ(GroupDigits(1234567, "\u202f"), "1\u202f234\u202f567");
  EXPECT_EQ(GroupDigits(INT64_MIN), "-9 223 372 036 854 775 808");
}

TEST(ReportFormat, ParseReportBy) {
  EXPECT_EQ(*ParseReportBy("region"), ReportBy::kRegion);
  EXPECT_EQ(*ParseReportBy("department"), ReportBy::kDepartment);
  EXPECT_EQ(*ParseReportBy("project"), ReportBy::kProject);
  EXPECT_EQ(*ParseReportBy("campaign"), ReportBy::kCampaign);
  EXPECT_EQ(*ParseReportBy(""), ReportBy::kNone);
  auto bad = ParseReportBy("county");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace esms::projections::testing
