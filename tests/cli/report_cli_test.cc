// `report active-dui` through the real program, on a small demo ledger: each output
// format (table, CSV that parses, JSON of the exact INTERFACE.md §3 shape, a
// self-contained HTML page), --out written atomically, --bundle verified offline, and
// every bad argument refused with exit 2 and the ledger untouched.
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing/cli.h"

namespace esms::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kAt = "2024-12-31";

class ReportCliTest : public ::testing::Test {
 protected:
  // One demo ledger for the whole suite (the report only reads it).
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    CliResult demo = RunCli({"demo", "--dir", (dir_->path() / "demo").string(), "--establishments",
                             "120", "--seed", "11", "--json"});
    ASSERT_EQ(demo.exit_code, 0) << demo.err << demo.out;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static std::string Ledger() { return (dir_->path() / "demo" / "ledger").string(); }

  CliResult Report(std::vector<std::string> args) {
    std::vector<std::string> all = {"report", "active-dui", "--ledger", Ledger()};
    all.insert(all.end(), args.begin(), args.end());
    return RunCli(all);
  }

  json Json(std::vector<std::string> args) {
    args.push_back("--json");
    CliResult r = Report(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  }

  static TempDir* dir_;
  TempDir tmp_;
};

TempDir* ReportCliTest::dir_ = nullptr;

std::vector<std::string> SplitCsvLine(const std::string& line) {
  // The report's fields hold no quotes or commas: a plain split is the parse.
  std::vector<std::string> out;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, ',')) out.push_back(field);
  if (!line.empty() && line.back() == ',') out.push_back("");
  return out;
}

std::vector<std::string> CsvLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = text.find("\r\n", start)) != std::string::npos; start = end + 2) {
    lines.push_back(text.substr(start, end - start));
  }
  EXPECT_EQ(start, text.size()) << "every CSV line ends in CRLF";
  return lines;
}

TEST_F(ReportCliTest, JsonHasTheExactInterfaceShape) {
  json j = Json({"--at", kAt});
  ASSERT_TRUE(j.is_object());
  for (const char* key : {"at", "total", "target", "establishments", "by", "evidence"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["at"], kAt);
  EXPECT_EQ(j["target"], 410000);
  EXPECT_TRUE(j["by"].is_object() && j["by"].empty());
  ASSERT_TRUE(j["evidence"].is_array());
  ASSERT_FALSE(j["evidence"].empty());
  int64_t sum = 0;
  std::set<std::string> finess;
  for (const auto& e : j["evidence"]) {
    ASSERT_TRUE(e["finess"].is_string());
    ASSERT_TRUE(e["seq"].is_number_unsigned());
    ASSERT_TRUE(e["activeFiles"].is_number_integer());
    sum += e["activeFiles"].get<int64_t>();
    EXPECT_TRUE(finess.insert(e["finess"]).second) << "counted twice: " << e["finess"];
  }
  EXPECT_EQ(j["total"].get<int64_t>(), sum);
  EXPECT_EQ(j["establishments"].get<size_t>(), j["evidence"].size());
  EXPECT_EQ(j["distanceToTarget"].get<int64_t>(), 410000 - sum);

  // The global --json and --format json are the same output.
  CliResult format = Report({"--at", kAt, "--format", "json"});
  ASSERT_EQ(format.exit_code, 0) << format.err;
  EXPECT_EQ(json::parse(format.out), j);
}

TEST_F(ReportCliTest, ByGroupsSumToTheTotal) {
  for (const char* by : {"region", "department", "project", "campaign"}) {
    json j = Json({"--at", kAt, "--by", by});
    ASSERT_TRUE(j["by"].is_object()) << by;
    EXPECT_FALSE(j["by"].empty()) << by;
    int64_t sum = 0;
    for (const auto& [key, total] : j["by"].items()) sum += total.get<int64_t>();
    EXPECT_EQ(sum, j["total"].get<int64_t>()) << by;
  }
  // The demo is a Bretagne ledger.
  EXPECT_TRUE(Json({"--at", kAt, "--by", "region"})["by"].contains("53"));
}

TEST_F(ReportCliTest, EarlierDateNeverCountsALaterMeasurement) {
  json j = Json({"--at", "2024-06-30"});
  for (const auto& e : j["evidence"]) EXPECT_LE(e["periodEnd"].get<std::string>(), "2024-06-30");
  EXPECT_EQ(Json({"--at", "1999-12-31"})["total"], 0);
}

TEST_F(ReportCliTest, TableShowsTotalTargetDistanceAndRows) {
  json j = Json({"--at", kAt});
  CliResult r = Report({"--at", kAt, "--by", "region"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Active DUI files at 2024-12-31:"));
  EXPECT_THAT(r.out, HasSubstr("410 000"));
  EXPECT_THAT(r.out, HasSubstr("Distance to target:"));
  EXPECT_THAT(r.out, HasSubstr(std::to_string(j["total"].get<int64_t>() * 100 / 410000) + " %"));
  EXPECT_THAT(r.out, HasSubstr("Bretagne"));
}

TEST_F(ReportCliTest, CsvParsesAndMatchesTheJson) {
  json j = Json({"--at", kAt});
  CliResult r = Report({"--at", kAt, "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = CsvLines(r.out);
  ASSERT_EQ(lines.size(), j["evidence"].size() + 1);
  std::vector<std::string> header = SplitCsvLine(lines[0]);
  ASSERT_EQ(header,
            (std::vector<std::string>{"finess", "region", "department", "project", "campaign",
                                      "activeFiles", "seq", "periodEnd", "measuredFiness"}));
  int64_t sum = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> row = SplitCsvLine(lines[i]);
    ASSERT_EQ(row.size(), header.size()) << lines[i];
    EXPECT_EQ(row[0], j["evidence"][i - 1]["finess"]);
    EXPECT_EQ(std::stoull(row[6]), j["evidence"][i - 1]["seq"].get<uint64_t>());
    sum += std::stoll(row[5]);
  }
  EXPECT_EQ(sum, j["total"].get<int64_t>());

  CliResult by = Report({"--at", kAt, "--format", "csv", "--by", "region"});
  ASSERT_EQ(by.exit_code, 0) << by.err;
  std::vector<std::string> rows = CsvLines(by.out);
  ASSERT_GE(rows.size(), 3u);
  EXPECT_EQ(rows[0], "region,label,activeFiles,establishments");
  EXPECT_EQ(rows.back(), "total,," + std::to_string(j["total"].get<int64_t>()) + "," +
                             std::to_string(j["establishments"].get<int64_t>()));
}

TEST_F(ReportCliTest, HtmlIsOneSelfContainedPage) {
  CliResult r = Report({"--at", kAt, "--format", "html"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string& html = r.out;
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_THAT(html, HasSubstr("<svg id=\"trajectory\""));
  EXPECT_THAT(html, HasSubstr("<svg id=\"regions\""));
  EXPECT_THAT(html, HasSubstr("id=\"target-line\""));
  EXPECT_THAT(html, HasSubstr("<table id=\"establishments\""));
  EXPECT_THAT(html, HasSubstr("How to verify"));
  EXPECT_THAT(html, HasSubstr("esms-ledger prove "));
  EXPECT_THAT(html, HasSubstr("verify-bundle"));
  EXPECT_THAT(html, HasSubstr("410\u202f000"));  // French grouping
  // Nothing to fetch: no URL, no external script, style sheet or font.
  EXPECT_THAT(html, Not(HasSubstr("http")));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  EXPECT_THAT(html, Not(HasSubstr("url(")));
}

TEST_F(ReportCliTest, OutWritesTheFileAtomically) {
  CliResult stdout_csv = Report({"--at", kAt, "--format", "csv"});
  ASSERT_EQ(stdout_csv.exit_code, 0);
  auto out = tmp_ / "report.csv";
  WriteFile(out, "old contents");
  CliResult r = Report({"--at", kAt, "--format", "csv", "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_THAT(r.err, HasSubstr(out.string()));
  EXPECT_EQ(ReadFile(out), stdout_csv.out);
  // No temporary file left behind.
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(tmp_.path())) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1u);

  // With --json, stdout still gets the JSON report.
  auto html = tmp_ / "report.html";
  CliResult j = Report({"--at", kAt, "--format", "html", "--out", html.string(), "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(json::parse(j.out)["at"], kAt);
  EXPECT_THAT(ReadFile(html), HasSubstr("<svg"));

  // A directory that does not exist: a storage error, exit 4.
  CliResult bad = Report({"--at", kAt, "--out", (tmp_ / "no" / "such" / "dir.txt").string()});
  EXPECT_EQ(bad.exit_code, 4) << bad.err;
}

TEST_F(ReportCliTest, BundleOfTheFigureVerifiesOffline) {
  auto bundle = tmp_ / "active-dui.bundle.json";
  json j = Json({"--at", kAt, "--bundle", bundle.string()});
  ASSERT_TRUE(std::filesystem::exists(bundle));
  json b = json::parse(ReadFile(bundle));
  EXPECT_EQ(b["claim"]["kind"], "active-dui");
  EXPECT_EQ(b["claim"]["total"], j["total"]);
  // The auditor's side: a copy of the bundle and ledger.pub, no ledger.
  std::filesystem::copy_file(std::filesystem::path(Ledger()) / "ledger.pub", tmp_ / "ledger.pub");
  CliResult v = RunCli({"verify-bundle", bundle.string(), "--trust", (tmp_ / "ledger.pub").string(),
                        "--ledger", (tmp_ / "no-ledger").string()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

TEST_F(ReportCliTest, BadArgumentsExitTwoWithAClearMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"report", "active-dui", "--at", "2024-13-01"}, "BAD_INPUT", "--at"},
      {{"report", "active-dui", "--at", "31/12/2024"}, "BAD_INPUT", "--at"},
      {{"report", "active-dui", "--at", kAt, "--by", "county"}, "BAD_INPUT", "county"},
      {{"report", "active-dui", "--at", kAt, "--format", "pdf"}, "USAGE", "pdf"},
      {{"report", "active-files", "--at", kAt}, "USAGE", "active-files"},
      {{"report", "active-dui", "--at", kAt, "--out", ""}, "USAGE", "--out"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {"--ledger", Ledger(), "--json"});
    CliResult r = RunCli(args);
    EXPECT_EQ(r.exit_code, 2) << args[2] << " " << r.out << r.err;
    json err = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(err.is_object()) << r.out;
    EXPECT_EQ(err["error"]["code"], c.code) << r.out;
    EXPECT_THAT(err["error"]["message"].get<std::string>(), HasSubstr(c.message));
  }
  // Missing --at: CLI11's usage error, exit 2.
  EXPECT_EQ(RunCli({"report", "active-dui", "--ledger", Ledger()}).exit_code, 2);
}

}  // namespace
}  // namespace esms::testing
