// `report active-dui --federation FILE` and the national bundle through the program, on
// real ledgers: three small region demos (Bretagne, Auvergne-Rhône-Alpes,
// Île-de-France, each its own origin and ledger key), a national ledger with no
// measurement, and "dup", a ledger that measures an establishment Bretagne counts. The national
// figure is the sum of each ledger's own `report active-dui`; each share is bound to that ledger's
// latest checkpoint; the national bundle verifies offline with the ledger.pub files only (real
// processes) and fails when one share is altered, when a key is missing or wrong, or when the total
// is not the sum; every bad federation file is refused with a clear error.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing/cli.h"
#include "tests/testing/federation.h"

namespace esms::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kAt = "2024-12-31";

class FederationCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    // Region demos: the region's own départements and origin; different seeds, so that
    // the ESSMS of the neighbouring region each demo adds to a grappe differ.
    const std::vector<std::vector<std::string>> demos = {
        {"bzh", "53", "11"}, {"ara", "84", "15"}, {"idf", "11", "22"}};
    for (const auto& d : demos) {
      CliResult demo = RunCli({"demo", "--dir", (dir_->path() / d[0]).string(), "--region", d[1],
                               "--seed", d[2], "--establishments", "80", "--json"});
      ASSERT_EQ(demo.exit_code, 0) << d[0] << demo.err << demo.out;
    }
    // The national ledger: initialised, no measurement (a share of zero).
    const fs::path key = dir_->path() / "national-admin.pem";
    ASSERT_EQ(RunCli({"key", "new", "admin", "--out", key.string()}).exit_code, 0);
    CliResult init = RunCli({"init", "--origin", "national.example/esms", "--admin-key",
                             key.string(), "--ledger", Ledger("nat")});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    // "dup": another ledger (its own origin and key) that measures an establishment bzh
    // counts too: a federation of both counts it twice.
    dup_finess_ = MakeDuplicateLedger(dir_->path(), Ledger("dup"), Ledger("bzh"), kAt);
    ASSERT_FALSE(dup_finess_.empty());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static std::string Ledger(const std::string& name) {
    return name == "nat" || name == "dup" ? (dir_->path() / name).string()
                                          : (dir_->path() / name / "ledger").string();
  }
  static std::string Pub(const std::string& name) {
    return (fs::path(Ledger(name)) / "ledger.pub").string();
  }

  // A federation file in this test's directory, absolute paths.
  std::string Federation(const std::vector<std::string>& names) {
    json list = json::array();
    for (const std::string& n : names) {
      list.push_back({{"name", n}, {"ledger", Ledger(n)}, {"trust", Pub(n)}});
    }
    return WriteJson("federation.json", list);
  }
  std::string WriteJson(const std::string& name, const json& doc) {
    const fs::path file = tmp_ / name;
    WriteFile(file, doc.dump(1));
    return file.string();
  }

  static json Parse(const std::string& text) { return json::parse(text, nullptr, false); }

  json OwnReport(const std::string& name, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"report",   "active-dui", "--at",  kAt,
                                     "--ledger", Ledger(name), "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult r = RunCli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Parse(r.out);
  }

  json National(const std::string& federation, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"report", "active-dui", "--federation", federation,
                                     "--at",   kAt,          "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult r = RunCli(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return Parse(r.out);
  }

  // The national bundle of `names`, and a copy of their ledger.pub files in a folder
  // with no ledger: what an auditor holds.
  fs::path NationalBundle(const std::vector<std::string>& names) {
    const fs::path bundle = tmp_ / "national.bundle.json";
    CliResult r = RunCli({"report", "active-dui", "--federation", Federation(names), "--at", kAt,
                          "--bundle", bundle.string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    fs::create_directories(tmp_ / "auditor");
    for (const std::string& n : names) {
      fs::copy_file(Pub(n), tmp_ / "auditor" / (n + ".pub"), fs::copy_options::overwrite_existing);
    }
    return bundle;
  }

  std::vector<std::string> Trusts(const std::vector<std::string>& names) {
    std::vector<std::string> args;
    for (const std::string& n : names) {
      args.push_back("--trust");
      args.push_back((tmp_ / "auditor" / (n + ".pub")).string());
    }
    return args;
  }

  // verify-bundle as the real program, in a directory with no ledger.
  CliResult Verify(const fs::path& bundle, const std::vector<std::string>& trust_args) {
    std::vector<std::string> args = {"verify-bundle", bundle.string(), "--json", "--ledger",
                                     (tmp_ / "no-ledger").string()};
    args.insert(args.end(), trust_args.begin(), trust_args.end());
    return RunProgram(args);
  }

  static TempDir* dir_;
  static std::string dup_finess_;
  TempDir tmp_;
};

TempDir* FederationCliTest::dir_ = nullptr;
std::string FederationCliTest::dup_finess_;

const std::vector<std::string> kRegions = {"bzh", "ara", "idf", "nat"};

TEST_F(FederationCliTest, NationalFigureIsTheSumOfEachLedgersOwnReport) {
  json national = National(Federation(kRegions));
  ASSERT_TRUE(national.is_object());
  ASSERT_EQ(national["shares"].size(), kRegions.size());
  int64_t sum = 0, establishments = 0;
  for (size_t i = 0; i < kRegions.size(); ++i) {
    json own = OwnReport(kRegions[i]);
    const json& share = national["shares"][i];
    EXPECT_EQ(share["name"], kRegions[i]);
    EXPECT_EQ(share["total"], own["total"]) << kRegions[i];
    EXPECT_EQ(share["establishments"], own["establishments"]) << kRegions[i];
    EXPECT_EQ(share["stateSize"], own["stateSize"]) << kRegions[i];
    sum += own["total"].get<int64_t>();
    establishments += own["establishments"].get<int64_t>();
    // Bound to the ledger's latest signed checkpoint.
    CliResult cp = RunCli({"checkpoint", "--ledger", Ledger(kRegions[i]), "--json"});
    ASSERT_EQ(cp.exit_code, 0) << cp.err;
    json checkpoint = Parse(cp.out);
    EXPECT_EQ(share["checkpoint"]["size"], checkpoint["size"]) << kRegions[i];
    EXPECT_EQ(share["checkpoint"]["root"], checkpoint["root"]) << kRegions[i];
    EXPECT_EQ(share["checkpoint"]["note"], checkpoint["note"]) << kRegions[i];
    EXPECT_EQ(share["ledgerKey"].get<std::string>() + "\n", ReadFile(Pub(kRegions[i])));
  }
  EXPECT_GT(sum, 0);
  EXPECT_EQ(national["total"], sum);
  EXPECT_EQ(national["establishments"], establishments);
  EXPECT_EQ(national["distanceToTarget"], 410000 - sum);
  // The national ledger measures nothing: a share of zero.
  EXPECT_EQ(national["shares"][3]["total"], 0);
  EXPECT_EQ(national["shares"][3]["establishments"], 0);
  EXPECT_EQ(national["shares"][3]["percentOfTotal"], 0);
  EXPECT_EQ(national["evidence"].size(), static_cast<size_t>(establishments));
}

TEST_F(FederationCliTest, JsonHasTheDocumentedShape) {
  json national = National(Federation(kRegions), {"--by", "region"});
  std::set<std::string> keys;
  for (const auto& [key, value] : national.items()) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"at", "total", "target", "establishments", "by",
                                         "distanceToTarget", "percentOfTarget", "byKind", "ledgers",
                                         "shares", "evidence"}));
  EXPECT_EQ(national["at"], kAt);
  EXPECT_EQ(national["target"], 410000);
  EXPECT_EQ(national["byKind"], "region");
  EXPECT_EQ(national["ledgers"], kRegions.size());
  std::set<std::string> share_keys;
  for (const auto& [key, value] : national["shares"][0].items()) share_keys.insert(key);
  EXPECT_EQ(share_keys,
            (std::set<std::string>{"name", "origin", "ledgerKey", "total", "establishments",
                                   "percentOfTotal", "by", "checkpoint", "stateSize"}));
  EXPECT_EQ(national["shares"][0]["origin"], "demo.esms-numerique.example/bzh");
  EXPECT_EQ(national["shares"][1]["origin"], "demo.esms-numerique.example/ara");
  // --by region: each ledger's own grouping, summed key by key.
  int64_t by_sum = 0;
  for (const auto& [key, total] : national["by"].items()) by_sum += total.get<int64_t>();
  EXPECT_EQ(by_sum, national["total"].get<int64_t>());
  json own = OwnReport("bzh", {"--by", "region"});
  EXPECT_EQ(national["shares"][0]["by"], own["by"]);
  const json& e = national["evidence"][0];
  EXPECT_TRUE(e.contains("ledger") && e.contains("finess") && e.contains("seq") &&
              e.contains("activeFiles"))
      << e.dump();
}

TEST_F(FederationCliTest, TableShowsTheTotalAndEachShare) {
  // The real program, in a child process.
  CliResult r =
      RunProgram({"report", "active-dui", "--federation", Federation(kRegions), "--at", kAt});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("National active DUI files at 2024-12-31"));
  EXPECT_THAT(r.out, HasSubstr("sum of 4 ledgers"));
  for (const std::string& n : kRegions) EXPECT_THAT(r.out, HasSubstr("  " + n + " "));
  EXPECT_THAT(r.out, HasSubstr("national.example/esms"));
}

TEST_F(FederationCliTest, OneEntryOnlyIsThatLedgersOwnFigure) {
  json national = National(Federation({"ara"}));
  json own = OwnReport("ara");
  EXPECT_EQ(national["total"], own["total"]);
  EXPECT_EQ(national["shares"][0]["percentOfTotal"], 100);
  fs::path bundle = NationalBundle({"ara"});
  CliResult v = Verify(bundle, Trusts({"ara"}));
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

TEST_F(FederationCliTest, NationalBundleVerifiesOfflineWithTheLedgerPubFilesOnly) {
  json national = National(Federation(kRegions));
  fs::path bundle = NationalBundle(kRegions);
  json b = Parse(ReadFile(bundle));
  EXPECT_EQ(b["format"], "esms-ledger-national-bundle/v1");
  EXPECT_EQ(b["claim"]["total"], national["total"]);
  ASSERT_EQ(b["parts"].size(), kRegions.size());
  EXPECT_EQ(b["parts"][0]["bundle"]["format"], "esms-ledger-bundle/v2");

  CliResult v = Verify(bundle, Trusts(kRegions));
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  json verdict = Parse(v.out);
  EXPECT_EQ(verdict["verified"], true);
  EXPECT_EQ(verdict["claim"]["total"], national["total"]);
  EXPECT_EQ(verdict["parts"].size(), kRegions.size());
  // The keys in another order: each part finds its own.
  CliResult reordered = Verify(bundle, Trusts({"nat", "idf", "bzh", "ara"}));
  EXPECT_EQ(reordered.exit_code, 0) << reordered.out << reordered.err;
  // Or through the federation file.
  CliResult by_file = Verify(bundle, {"--federation", Federation(kRegions)});
  EXPECT_EQ(by_file.exit_code, 0) << by_file.out << by_file.err;
  // Text: a line per part and the sum.
  CliResult text = RunProgram({"verify-bundle", bundle.string(), "--trust", Pub("bzh"), "--trust",
                               Pub("ara"), "--trust", Pub("idf"), "--trust", Pub("nat")});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("national bundle verified: 4 parts"));
}

TEST_F(FederationCliTest, AlteringOneRegionsShareFails) {
  fs::path bundle = NationalBundle(kRegions);
  const json original = Parse(ReadFile(bundle));
  auto expect_refused = [&](const json& doc, const std::string& what, const std::string& needle) {
    const fs::path altered = tmp_ / "altered.json";
    WriteFile(altered, doc.dump(1));
    CliResult v = Verify(altered, Trusts(kRegions));
    EXPECT_EQ(v.exit_code, 1) << what << ": " << v.out << v.err;
    json error = Parse(v.out);
    ASSERT_TRUE(error.is_object()) << what << ": " << v.out;
    EXPECT_THAT(error["error"]["message"].get<std::string>(), HasSubstr(needle)) << what;
  };
  // The national claim gives Bretagne more, and the total follows: the part disagrees.
  json doc = original;
  doc["claim"]["shares"][0]["total"] = doc["claim"]["shares"][0]["total"].get<int64_t>() + 1000;
  doc["claim"]["total"] = doc["claim"]["total"].get<int64_t>() + 1000;
  expect_refused(doc, "share raised", "part 'bzh'");
  // The part's own figure raised, evidence and all: the signed measurement says otherwise.
  doc = original;
  json& part = doc["parts"][1]["bundle"];
  part["claim"]["evidence"][0]["activeFiles"] =
      part["claim"]["evidence"][0]["activeFiles"].get<int64_t>() + 1000;
  part["claim"]["total"] = part["claim"]["total"].get<int64_t>() + 1000;
  doc["claim"]["shares"][1]["total"] = part["claim"]["total"];
  doc["claim"]["total"] = doc["claim"]["total"].get<int64_t>() + 1000;
  expect_refused(doc, "part raised", "part 'ara'");
  // The national total alone.
  doc = original;
  doc["claim"]["total"] = doc["claim"]["total"].get<int64_t>() + 1;
  expect_refused(doc, "total", "is not the sum");
  // A region dropped from the bundle: its trusted key has no part.
  doc = original;
  doc["parts"].erase(2);
  doc["claim"]["shares"].erase(2);
  doc["claim"]["total"] =
      doc["claim"]["total"].get<int64_t>() - original["claim"]["shares"][2]["total"].get<int64_t>();
  expect_refused(doc, "dropped", "no part in the bundle");
}

TEST_F(FederationCliTest, AKeyNotGivenOrWrongFails) {
  fs::path bundle = NationalBundle(kRegions);
  // One ledger's key missing: its part is signed by a key not given.
  CliResult missing = Verify(bundle, Trusts({"bzh", "ara", "nat"}));
  EXPECT_EQ(missing.exit_code, 1) << missing.out;
  EXPECT_THAT(missing.out, HasSubstr("not one of the --trust keys"));
  // Another ledger's key in its place.
  fs::copy_file(Pub("dup"), tmp_ / "auditor" / "dup.pub");
  CliResult wrong = Verify(bundle, Trusts({"bzh", "ara", "dup", "nat"}));
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out;
  // The federation file naming the wrong key for idf: its part fails its checkpoint.
  json list = json::array();
  for (const std::string& n : kRegions) {
    list.push_back({{"name", n}, {"ledger", Ledger(n)}, {"trust", Pub(n == "idf" ? "dup" : n)}});
  }
  CliResult by_file = Verify(bundle, {"--federation", WriteJson("wrong.json", list)});
  EXPECT_EQ(by_file.exit_code, 1) << by_file.out;
  EXPECT_THAT(by_file.out, HasSubstr("part 'idf'"));
  // The report itself refuses a ledger whose key is not the trusted one, naming it.
  CliResult report = RunCli(
      {"report", "active-dui", "--federation", WriteJson("w2.json", list), "--at", kAt, "--json"});
  EXPECT_EQ(report.exit_code, 3) << report.out;
  json error = Parse(report.out);
  EXPECT_EQ(error["error"]["code"], "UNAUTHORIZED") << report.out;
  EXPECT_THAT(error["error"]["message"].get<std::string>(), HasSubstr("'idf'"));
}

TEST_F(FederationCliTest, AnEstablishmentInTwoLedgersIsRefused) {
  CliResult r = RunCli(
      {"report", "active-dui", "--federation", Federation({"bzh", "dup"}), "--at", kAt, "--json"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  json error = Parse(r.out);
  EXPECT_EQ(error["error"]["code"], "DUPLICATE_FINESS") << r.out;
  EXPECT_THAT(error["error"]["message"].get<std::string>(), HasSubstr("'bzh'"));
  EXPECT_THAT(error["error"]["message"].get<std::string>(), HasSubstr("'dup'"));
  EXPECT_THAT(error["error"]["message"].get<std::string>(), HasSubstr(dup_finess_));
}

TEST_F(FederationCliTest, TheVerifierRefusesAnEstablishmentCountedByTwoParts) {
  // Two national bundles of one ledger each, spliced into one by hand: the sum adds up
  // and each part verifies with its key, but bzh and dup count the same establishment.
  json spliced = Parse(ReadFile(NationalBundle({"bzh"})));
  json dup = Parse(ReadFile(NationalBundle({"dup"})));
  spliced["parts"].push_back(dup["parts"][0]);
  spliced["claim"]["shares"].push_back(dup["claim"]["shares"][0]);
  spliced["claim"]["total"] =
      spliced["claim"]["total"].get<int64_t>() + dup["claim"]["total"].get<int64_t>();
  spliced["claim"]["establishments"] = spliced["claim"]["establishments"].get<int64_t>() +
                                       dup["claim"]["establishments"].get<int64_t>();
  const fs::path file = tmp_ / "spliced.json";
  WriteFile(file, spliced.dump());
  fs::copy_file(Pub("bzh"), tmp_ / "auditor" / "bzh.pub", fs::copy_options::overwrite_existing);
  CliResult v = Verify(file, Trusts({"bzh", "dup"}));
  EXPECT_EQ(v.exit_code, 1) << v.out << v.err;
  json error = Parse(v.out);
  EXPECT_EQ(error["error"]["code"], "DUPLICATE_FINESS") << v.out;
  EXPECT_EQ(error["error"]["part"], "dup") << v.out;
  EXPECT_THAT(error["error"]["message"].get<std::string>(),
              HasSubstr("also counted by part 'bzh'"));
}

TEST_F(FederationCliTest, EveryBadInputIsAClearError) {
  struct Case {
    std::string what;
    std::string file;  // the federation file's path
    int exit_code;
    std::string code;
    std::string message;
  };
  auto entry = [&](const std::string& n) {
    return json{{"name", n}, {"ledger", Ledger(n)}, {"trust", Pub(n)}};
  };
  const fs::path not_json = tmp_ / "not.json";
  WriteFile(not_json, "[{\"name\": ");
  json missing_trust =
      json::array({entry("bzh"), json{{"name", "ara"}, {"ledger", Ledger("ara")}}});
  json duplicate = json::array({entry("bzh"), entry("ara")});
  duplicate[1]["name"] = "bzh";
  json unknown = json::array({entry("bzh")});
  unknown[0]["trsut"] = Pub("bzh");
  json server =
      json::array({entry("bzh"),
                   json{{"name", "ara"}, {"server", "unix:/tmp/ara.sock"}, {"trust", Pub("ara")}}});
  json tcp_no_ca =
      json::array({json{{"name", "ara"}, {"server", "127.0.0.1:1"}, {"trust", Pub("ara")}}});
  json ca_of_ledger = json::array({entry("bzh")});
  ca_of_ledger[0]["tlsCa"] = Pub("bzh");
  json same_server = json::array(
      {json{{"name", "ara"}, {"server", "unix:/tmp/ara.sock"}, {"trust", Pub("ara")}},
       json{{"name", "ara2"}, {"server", "unix:/tmp/ara.sock"}, {"trust", Pub("ara")}}});
  json both = json::array({entry("bzh")});
  both[0]["server"] = "unix:/tmp/x.sock";
  json same_ledger = json::array({entry("bzh"), entry("bzh")});
  same_ledger[1]["name"] = "bzh2";
  json no_ledger = json::array({entry("bzh")});
  no_ledger[0]["ledger"] = (tmp_ / "nowhere").string();
  json bad_trust = json::array({entry("bzh")});
  bad_trust[0]["trust"] = (tmp_ / "nowhere.pub").string();
  json not_key = json::array({entry("bzh")});
  WriteFile(tmp_ / "garbage.pub", "not a key\n");
  not_key[0]["trust"] = (tmp_ / "garbage.pub").string();

  const std::vector<Case> cases = {
      {"missing file", (tmp_ / "absent.json").string(), 2, "BAD_INPUT", "absent.json"},
      {"not JSON", not_json.string(), 2, "BAD_INPUT", "not JSON"},
      {"not a list", WriteJson("obj.json", json{{"name", "x"}}), 2, "BAD_INPUT", "list"},
      {"empty list", WriteJson("empty.json", json::array()), 2, "BAD_INPUT", "no ledger"},
      {"missing trust", WriteJson("m.json", missing_trust), 2, "BAD_INPUT", "[1].trust: missing"},
      {"duplicate name", WriteJson("d.json", duplicate), 2, "BAD_INPUT",
       "[1].name: 'bzh' is already the name of [0]"},
      {"unknown field", WriteJson("u.json", unknown), 2, "BAD_INPUT", "[0].trsut: unknown field"},
      {"server not reachable", WriteJson("s.json", server), 4, "STORAGE_ERROR",
       "'ara' (unix:/tmp/ara.sock): cannot reach the server unix:/tmp/ara.sock"},
      {"TCP server without tlsCa", WriteJson("tcp.json", tcp_no_ca), 2, "BAD_INPUT",
       "[0].tlsCa: missing: the server 127.0.0.1:1 is TCP"},
      {"tlsCa of a ledger", WriteJson("ca.json", ca_of_ledger), 2, "BAD_INPUT",
       "[0].tlsCa: only with a server"},
      {"same server twice", WriteJson("ss.json", same_server), 2, "BAD_INPUT",
       "[1].server: the same server as [0]"},
      {"ledger and server", WriteJson("b.json", both), 2, "BAD_INPUT", "exactly one of"},
      {"same ledger twice", WriteJson("l.json", same_ledger), 2, "BAD_INPUT",
       "[1].ledger: the same ledger as [0]"},
      {"no ledger there", WriteJson("n.json", no_ledger), 3, "NOT_FOUND", "'bzh'"},
      {"trust file missing", WriteJson("t.json", bad_trust), 2, "BAD_INPUT", "nowhere.pub"},
      {"trust not a key", WriteJson("k.json", not_key), 2, "BAD_INPUT", "garbage.pub"},
  };
  for (const Case& c : cases) {
    CliResult r = RunCli({"report", "active-dui", "--federation", c.file, "--at", kAt, "--json"});
    EXPECT_EQ(r.exit_code, c.exit_code) << c.what << ": " << r.out << r.err;
    json error = Parse(r.out);
    ASSERT_TRUE(error.is_object()) << c.what << ": " << r.out;
    EXPECT_EQ(error["error"]["code"], c.code) << c.what << ": " << r.out;
    EXPECT_THAT(error["error"]["message"].get<std::string>(), HasSubstr(c.message)) << c.what;
  }
  // Options that only a single ledger's report has.
  CliResult csv = RunCli({"report", "active-dui", "--federation", Federation({"bzh"}), "--at", kAt,
                          "--format", "csv"});
  EXPECT_EQ(csv.exit_code, 2) << csv.err;
  EXPECT_THAT(csv.err, HasSubstr("--federation"));
  // A national bundle needs keys; a single ledger's bundle takes exactly one.
  fs::path bundle = NationalBundle({"bzh"});
  EXPECT_EQ(Verify(bundle, {}).exit_code, 2);
  const fs::path single = tmp_ / "single.json";
  ASSERT_EQ(RunCli({"report", "active-dui", "--ledger", Ledger("bzh"), "--at", kAt, "--bundle",
                    single.string()})
                .exit_code,
            0);
  CliResult two =
      RunCli({"verify-bundle", single.string(), "--trust", Pub("bzh"), "--trust", Pub("ara")});
  EXPECT_EQ(two.exit_code, 2) << two.err;
  EXPECT_THAT(two.err, HasSubstr("one --trust"));
  CliResult one = RunCli({"verify-bundle", single.string(), "--trust", Pub("bzh")});
  EXPECT_EQ(one.exit_code, 0) << one.err;
}

TEST_F(FederationCliTest, RelativePathsAreRelativeToTheFederationFile) {
  // The federation file next to the ledgers, naming them relatively; run from elsewhere.
  json list = json::array(
      {json{{"name", "bzh"}, {"ledger", "bzh/ledger"}, {"trust", "bzh/ledger/ledger.pub"}}});
  const fs::path file = dir_->path() / "relative.json";
  WriteFile(file, list.dump());
  json national = National(file.string());
  EXPECT_EQ(national["total"], OwnReport("bzh")["total"]);
  fs::remove(file);
}

}  // namespace
}  // namespace esms::testing
