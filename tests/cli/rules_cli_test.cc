// Every error code and warning of INTERFACE.md §4, produced by the real `esms-ledger`
// program: the exit code (§5), the JSON result line (code, message, conflicting seqs)
// and the ledger left unchanged (`verify --json` size and root) after each refusal.
// Each rule is taken at its boundary: the accepted side and the refused side.
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing/cli.h"
#include "tests/testing/events.h"
#include "tests/testing/ids.h"

namespace esms::testing {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::Not;

// 2024 amounts (003 §3.3.2): acquisition 7 000 + 14 000 € up to the 49th ESSMS;
// upgrade 5 000 €.
constexpr int64_t kAcquisition2024 = 2100000;
constexpr int64_t kUpgrade2024 = 500000;

// Event data builders: tests/testing/events.h.

// ---- The fixture ----

// The result of importing one line: the exit code and the last result object.
struct Outcome {
  int exit_code = -1;
  json result;
  std::string out, err;
};

// Keys for every role, enrolled once per suite in a template ledger; each test works
// on its own copy of that ledger.
class RulesCliTest : public ::testing::Test {
 protected:
  static inline const std::vector<std::pair<std::string, json>> kRoles = {
      {"national", {{"roles", json::array({"national"})}, {"regions", json::array()}}},
      {"ars-bzh", {{"roles", json::array({"ars-instructor"})}, {"regions", json::array({"53"})}}},
      {"payer-bzh", {{"roles", json::array({"ars-payer"})}, {"regions", json::array({"53"})}}},
      {"ars-idf", {{"roles", json::array({"ars-instructor"})}, {"regions", json::array({"11"})}}},
      {"porteur", {{"roles", json::array({"porteur"})}, {"regions", json::array()}}},
      {"auditor", {{"roles", json::array({"auditor"})}, {"regions", json::array()}}},
  };

  static void SetUpTestSuite() {
    suite_dir_ = new TempDir();
    auto key_file = [](const std::string& name) {
      return (*suite_dir_ / (name + ".pem")).string();
    };
    template_ledger_ = (*suite_dir_ / "template.db").string();
    if (RunCli({"key", "new", "admin", "--out", key_file("admin")}).exit_code != 0) {
      std::fprintf(stderr, "key new admin failed\n");
      return;
    }
    CliResult init = RunCli({"init", "--origin", "test.example/rules", "--admin-key",
                             key_file("admin"), "--ledger", template_ledger_});
    if (init.exit_code != 0) {
      std::fprintf(stderr, "init failed: %s\n", init.err.c_str());
      return;
    }
    std::string lines;
    for (const auto& [name, grant] : kRoles) {
      CliResult made = RunCli({"key", "new", name, "--out", key_file(name), "--json"});
      if (made.exit_code != 0) {
        std::fprintf(stderr, "key new %s failed: %s\n", name.c_str(), made.err.c_str());
        return;
      }
      json data = {{"name", name},
                   {"publicKey", json::parse(made.out)["publicKey"]},
                   {"roles", grant["roles"]},
                   {"regions", grant["regions"]}};
      lines +=
          json{
              {"id", "key-" + name}, {"type", "key.enrolled"}, {"at", "2023-01-02"}, {"data", data}}
              .dump() +
          "\n";
    }
    CliResult enrolled = RunCli(
        {"import", "-", "--json", "--key", key_file("admin"), "--ledger", template_ledger_}, lines);
    if (enrolled.exit_code != 0) {
      std::fprintf(stderr, "enrolment failed: %s %s\n", enrolled.out.c_str(), enrolled.err.c_str());
      return;
    }
    const json results = json::parse(enrolled.out)["results"];
    for (const auto& r : results) {
      enrolled_seq_[r["id"].get<std::string>().substr(4)] = r["seq"];
    }
    suite_ok_ = enrolled_seq_.size() == kRoles.size();
    if (!suite_ok_) std::fprintf(stderr, "enrolment results: %s\n", enrolled.out.c_str());
  }

  static void TearDownTestSuite() {
    delete suite_dir_;
    suite_dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(suite_ok_) << "the template ledger could not be built";
    ledger_ = (dir_ / "ledger.db").string();
    std::filesystem::copy(template_ledger_, ledger_, std::filesystem::copy_options::recursive);
  }

  static std::string KeyFile(const std::string& role) {
    return (*suite_dir_ / (role + ".pem")).string();
  }

  CliResult Run(std::vector<std::string> args) {
    args.push_back("--ledger");
    args.push_back(ledger_);
    return RunCli(args);
  }

  std::string Line(const std::string& type, const std::string& at, const json& data,
                   std::string id = "") {
    if (id.empty()) id = "e-" + std::to_string(++next_id_);
    return json{{"id", id}, {"type", type}, {"at", at}, {"data", data}}.dump();
  }

  // Imports `lines` signed by `role`'s key; the last result line.
  Outcome ImportLines(const std::string& role, const std::string& lines) {
    imported_since_fingerprint_ = true;
    CliResult r =
        RunCli({"import", "-", "--json", "--key", KeyFile(role), "--ledger", ledger_}, lines);
    Outcome o{r.exit_code, json(), r.out, r.err};
    json parsed = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object() && parsed.contains("results") && !parsed["results"].empty()) {
      o.result = parsed["results"].back();
    } else if (parsed.is_object()) {
      o.result = parsed;  // an error before any line: {"error": ...}
    }
    return o;
  }

  Outcome Import(const std::string& role, const std::string& type, const std::string& at,
                 const json& data) {
    return ImportLines(role, Line(type, at, data));
  }

  // Appends or fails the test; the seq.
  uint64_t Must(const std::string& role, const std::string& type, const std::string& at,
                const json& data) {
    Outcome o = Import(role, type, at, data);
    EXPECT_EQ(o.exit_code, 0) << type << " by " << role << ": " << o.out << o.err;
    EXPECT_EQ(o.result.value("status", ""), "appended") << o.out;
    return o.result.value("seq", uint64_t{0});
  }

  // The ledger's size and root as `verify --json` reports them (kept while no import
  // has run since).
  std::string Fingerprint() {
    if (!imported_since_fingerprint_ && !fingerprint_.empty()) return fingerprint_;
    imported_since_fingerprint_ = false;
    fingerprint_ = Verify();
    return fingerprint_;
  }
  std::string Verify() {
    CliResult v = Run({"verify", "--json"});
    json j = json::parse(v.out, nullptr, false);
    if (v.exit_code != 0 || !j.is_object()) return "verify failed: " + v.out + v.err;
    return fmt::format("size {} root {} ok {}", j["size"].dump(), j["root"].dump(), j["ok"].dump());
  }

  // Imports one event expected to be refused. Returns "exit 3 CODE [seq, ...]", plus
  // " (no message)" and " (LEDGER CHANGED)" when those go wrong, so a failure reads
  // like the bug. `last_` keeps the whole outcome.
  std::string Refused(const std::string& role, const std::string& type, const std::string& at,
                      const json& data) {
    return RefusedLine(role, Line(type, at, data));
  }
  std::string RefusedLine(const std::string& role, const std::string& line) {
    const std::string before = Fingerprint();
    last_ = ImportLines(role, line);
    const std::string after = Fingerprint();  // always verified again: an import ran
    std::string summary = "exit " + std::to_string(last_.exit_code);
    if (last_.result.value("status", "") != "refused") {
      return summary + " status " + last_.result.value("status", "?") + ": " + last_.out +
             last_.err;
    }
    const json error = last_.result.value("error", json::object());
    summary += " " + error.value("code", "?");
    std::vector<uint64_t> conflicts;
    if (error.contains("conflicts")) conflicts = error["conflicts"].get<std::vector<uint64_t>>();
    summary += " [";
    for (size_t i = 0; i < conflicts.size(); ++i) {
      summary += (i ? ", " : "") + std::to_string(conflicts[i]);
    }
    summary += "]";
    if (error.value("message", "").empty()) summary += " (no message)";
    if (before != after) summary += " (LEDGER CHANGED: " + before + " -> " + after + ")";
    return summary;
  }
  static std::string Expect(int exit_code, const std::string& code,
                            const std::vector<uint64_t>& conflicts = {}) {
    std::string out = fmt::format("exit {} {} [", exit_code, code);
    for (size_t i = 0; i < conflicts.size(); ++i)
      out += (i ? ", " : "") + std::to_string(conflicts[i]);
    return out + "]";
  }

  // The first record of a project's history: its submission.
  uint64_t SubmittedSeq(const std::string& project) {
    CliResult h = Run({"history", project, "--json"});
    json j = json::parse(h.out, nullptr, false);
    if (!j.is_object() || j["records"].empty()) return 0;
    return j["records"][0]["seq"];
  }

  json StateJson(const std::string& project) {
    CliResult s = Run({"state", project, "--json"});
    EXPECT_EQ(s.exit_code, 0) << s.out << s.err;
    return json::parse(s.out, nullptr, false);
  }
  std::vector<std::string> WarningCodes(const json& view) {
    std::vector<std::string> codes;
    for (const auto& w : view["warnings"]) {
      codes.push_back(w["code"]);
      EXPECT_FALSE(w["message"].get<std::string>().empty()) << w.dump();
    }
    return codes;
  }

  // A project submitted (porteur), selected and signed (one ARS import) for `cents`.
  struct Funded {
    uint64_t submitted = 0, selected = 0, convention = 0;
  };
  Funded SubmitSelectSign(const json& submission, int64_t cents,
                          const std::string& signed_at = "2024-06-01") {
    Funded f;
    const std::string project = submission["project"];
    f.submitted = Must("porteur", "project.submitted", "2024-03-10", submission);
    json ests = json::array();
    for (const auto& e : submission["establishments"]) ests.push_back(e["finess"]);
    imported_since_fingerprint_ = true;
    CliResult r =
        RunCli({"import", "-", "--json", "--key", KeyFile("ars-bzh"), "--ledger", ledger_},
               Line("project.selected", "2024-04-15", Selected(project)) + "\n" +
                   Line("convention.signed", signed_at,
                        {{"project", project},
                         {"signedAt", signed_at},
                         {"amountCents", cents},
                         {"establishments", ests},
                         {"durationMonths", 18}}) +
                   "\n");
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    json results = json::parse(r.out, nullptr, false)["results"];
    if (results.is_array() && results.size() == 2) {
      f.selected = results[0]["seq"];
      f.convention = results[1]["seq"];
    }
    return f;
  }

  // Two Bretagne ESSMS under a convention of their entitlement, advance paid.
  struct Balance {
    Funded funded;
    uint64_t advance = 0;
  };
  Balance FundedWithAdvance() {
    Balance b;
    b.funded = SubmitSelectSign(Submission("p", {Et(1), Et(2)}), 2 * kAcquisition2024);
    b.advance = Must("payer-bzh", "payment.issued", "2024-06-10",
                     Payment("p", "advance", kAcquisition2024, "2024-06-10"));
    return b;
  }

  static inline TempDir* suite_dir_ = nullptr;
  static inline std::string template_ledger_;
  static inline std::map<std::string, uint64_t> enrolled_seq_;
  static inline bool suite_ok_ = false;

  TempDir dir_;
  std::string ledger_;
  Outcome last_;
  std::string fingerprint_;
  bool imported_since_fingerprint_ = true;
  int next_id_ = 0;
};

// ---- Input ----

TEST_F(RulesCliTest, BadInputExitsTwoAndAppendsNothing) {
  const std::string good =
      Line("project.submitted", "2024-03-10", Submission("p", {Et(1)}), "sub-1");
  EXPECT_EQ(RefusedLine("porteur", "{\"id\": \"sub-1\", \"type\": "), Expect(2, "BAD_INPUT"));
  // A typo in a field name never passes silently.
  json typo = json::parse(good);
  typo["data"]["projet"] = typo["data"]["project"];
  typo["data"].erase("project");
  EXPECT_EQ(RefusedLine("porteur", typo.dump()), Expect(2, "BAD_INPUT"));
  // An unknown extra field.
  json extra = json::parse(good);
  extra["data"]["note"] = "x";
  EXPECT_EQ(RefusedLine("porteur", extra.dump()), Expect(2, "BAD_INPUT"));
  // A float where money is cents; a wrongly typed field; an unknown type.
  json quote = json::parse(good);
  quote["data"]["establishments"][0]["equipmentQuoteCents"] = 1000.5;
  EXPECT_EQ(RefusedLine("porteur", quote.dump()), Expect(2, "BAD_INPUT"));
  json typed = json::parse(good);
  typed["data"]["organisations"][0]["essmsTotal"] = "20";
  EXPECT_EQ(RefusedLine("porteur", typed.dump()), Expect(2, "BAD_INPUT"));
  json unknown = json::parse(good);
  unknown["type"] = "project.submited";
  EXPECT_EQ(RefusedLine("porteur", unknown.dump()), Expect(2, "BAD_INPUT"));
  // The well-formed line is accepted.
  Outcome ok = ImportLines("porteur", good);
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_EQ(ok.result["status"], "appended");
}

TEST_F(RulesCliTest, FinessInvalid) {
  json sub = Submission("p", {Et(1)});
  sub["establishments"][0]["finess"] = "010000098";  // DOMAIN.md §0: fails its Luhn key
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-03-10", sub),
            Expect(3, "FINESS_INVALID"));
  EXPECT_THAT(last_.result["error"]["message"].get<std::string>(), HasSubstr("010000098"));
  json porteur = Submission("p", {Et(1)});
  porteur["porteur"]["finessEj"] = "010000098";
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-03-10", porteur),
            Expect(3, "FINESS_INVALID"));
  // A real number that passes (DOMAIN.md §0), in its own region.
  json real = Submission("p", {"010000024"});
  real["establishments"][0]["region"] = "84";
  Must("porteur", "project.submitted", "2024-03-10", real);
}

TEST_F(RulesCliTest, UnknownProjectInStateCheckAndEvents) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"state", "nope", "--json"}, {"check", "nope", "--at", "2024-06-01", "--json"}}) {
    CliResult r = Run(args);
    EXPECT_EQ(r.exit_code, 3) << args[0] << ": " << r.out << r.err;
    json j = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.out;
    EXPECT_EQ(j["error"]["code"], "UNKNOWN_PROJECT") << args[0];
    EXPECT_THAT(j["error"]["message"].get<std::string>(), HasSubstr("nope"));
  }
  // Human mode: the code on stderr, nothing on stdout.
  CliResult human = Run({"state", "nope"});
  EXPECT_EQ(human.exit_code, 3);
  EXPECT_THAT(human.err, HasSubstr("UNKNOWN_PROJECT"));
  EXPECT_EQ(Refused("ars-bzh", "project.selected", "2024-04-15", Selected("nope")),
            Expect(3, "UNKNOWN_PROJECT"));
  EXPECT_EQ(Refused("payer-bzh", "payment.issued", "2024-06-10",
                    Payment("nope", "advance", 1, "2024-06-10")),
            Expect(3, "UNKNOWN_PROJECT"));
  EXPECT_EQ(Refused("porteur", "expenses.certified", "2025-09-01", Expenses("nope", 1, 0)),
            Expect(3, "UNKNOWN_PROJECT"));
  // Once submitted, the same selection passes.
  Must("porteur", "project.submitted", "2024-03-10", Submission("nope", {Et(1)}));
  Must("ars-bzh", "project.selected", "2024-04-15", Selected("nope"));
}

TEST_F(RulesCliTest, DuplicateProject) {
  uint64_t seq = Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1)}));
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(2)})),
            Expect(3, "DUPLICATE_PROJECT", {seq}));
  Must("porteur", "project.submitted", "2024-03-10", Submission("p2", {Et(2)}));
}

TEST_F(RulesCliTest, DuplicateFiness) {
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1), Et(1)})),
            Expect(3, "DUPLICATE_FINESS"));
  Funded f = SubmitSelectSign(Submission("p", {Et(1), Et(2)}), 2 * kAcquisition2024);
  // An extension listing an ESSMS the project already has (000 §4.4.1: one FINESS ET =
  // one subsidy) names the project's submission.
  EXPECT_EQ(Refused("ars-bzh", "grappe.extended", "2024-09-01", Extension("p", {Et(2)}, true)),
            Expect(3, "DUPLICATE_FINESS", {f.submitted}));
  Must("ars-bzh", "grappe.extended", "2024-09-01", Extension("p", {Et(3)}, true));
}

TEST_F(RulesCliTest, UnknownCampaign) {
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-03-10",
                    Submission("p", {Et(1)}, "generalisation-2026")),
            Expect(3, "UNKNOWN_CAMPAIGN"));
  EXPECT_THAT(last_.result["error"]["message"].get<std::string>(),
              HasSubstr("generalisation-2026"));
  Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1)}));
}

TEST_F(RulesCliTest, EventIdConflict) {
  const std::string line =
      Line("project.submitted", "2024-03-10", Submission("p", {Et(1)}), "bzh-2024-0001");
  Outcome first = ImportLines("porteur", line);
  ASSERT_EQ(first.exit_code, 0) << first.out;
  const uint64_t seq = first.result["seq"];
  // The same id and content again: the existing record, nothing appended.
  const std::string before = Fingerprint();
  Outcome again = ImportLines("porteur", line);
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(again.result["status"], "existing");
  EXPECT_EQ(again.result["seq"], seq);
  EXPECT_EQ(Fingerprint(), before);
  // Other content under that id.
  const std::string other =
      Line("project.submitted", "2024-03-10", Submission("p", {Et(2)}), "bzh-2024-0001");
  EXPECT_EQ(RefusedLine("porteur", other), Expect(3, "EVENT_ID_CONFLICT", {seq}));
  EXPECT_EQ(last_.result["id"], "bzh-2024-0001");
}

TEST_F(RulesCliTest, VersionConflict) {
  uint64_t submitted = Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1)}));
  json line = json::parse(Line("project.selected", "2024-04-15", Selected("p")));
  // The stream project/p holds one record: expecting none is stale.
  line["expectedVersion"] = 0;
  EXPECT_EQ(RefusedLine("ars-bzh", line.dump()), Expect(3, "VERSION_CONFLICT", {submitted}));
  line["expectedVersion"] = 2;
  EXPECT_EQ(RefusedLine("ars-bzh", line.dump()), Expect(3, "VERSION_CONFLICT", {submitted}));
  line["expectedVersion"] = 1;
  Outcome ok = ImportLines("ars-bzh", line.dump());
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_EQ(ok.result["status"], "appended");
}

TEST_F(RulesCliTest, UnauthorizedRoleRegionRevokedKeyAndAuditor) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("a", {Et(1)}));
  Must("porteur", "project.submitted", "2024-03-10", Submission("b", {Et(2)}));
  // Wrong role: the refusal names the signer's enrolment.
  EXPECT_EQ(Refused("porteur", "project.selected", "2024-04-15", Selected("a")),
            Expect(3, "UNAUTHORIZED", {enrolled_seq_["porteur"]}));
  EXPECT_EQ(Refused("payer-bzh", "project.selected", "2024-04-15", Selected("a")),
            Expect(3, "UNAUTHORIZED", {enrolled_seq_["payer-bzh"]}));
  EXPECT_EQ(Refused("ars-bzh", "solution.referenced", "2024-01-01",
                    {{"solution", Solution()},
                     {"corridor", "medico-social"},
                     {"status", "referenced"},
                     {"referencedAt", "2023-01-01"}}),
            Expect(3, "UNAUTHORIZED", {enrolled_seq_["ars-bzh"]}));
  // An ARS key outside its region.
  EXPECT_EQ(Refused("ars-idf", "project.selected", "2024-04-15", Selected("a")),
            Expect(3, "UNAUTHORIZED"));
  EXPECT_THAT(last_.result["error"]["message"].get<std::string>(), HasSubstr("53"));
  EXPECT_EQ(Refused("ars-idf", "indicator.measured", "2025-10-01", Measurement(Et(1), 100, 95)),
            Expect(3, "UNAUTHORIZED"));
  Must("ars-bzh", "project.selected", "2024-04-15", Selected("a"));
  // A revoked key, from its revocation record on.
  uint64_t revoked =
      Must("admin", "key.revoked", "2024-04-16", {{"name", "ars-bzh"}, {"reason", "left"}});
  EXPECT_EQ(Refused("ars-bzh", "project.selected", "2024-04-15", Selected("b")),
            Expect(3, "UNAUTHORIZED", {revoked}));
  // The auditor reads only: it appends nothing, whatever the type.
  const std::vector<std::pair<std::string, json>> attempts = {
      {"project.submitted", Submission("c", {Et(3)})},
      {"project.selected", Selected("b")},
      {"indicator.measured", Measurement(Et(1), 100, 95)},
      {"solution.referenced",
       {{"solution", Solution()},
        {"corridor", "medico-social"},
        {"status", "referenced"},
        {"referencedAt", "2023-01-01"}}},
      {"event.voided", {{"seq", revoked - 1}, {"reason", "x"}}},
  };
  for (const auto& [type, data] : attempts) {
    EXPECT_EQ(Refused("auditor", type, "2024-05-01", data),
              Expect(3, "UNAUTHORIZED", {enrolled_seq_["auditor"]}))
        << type;
  }
  // The auditor reads.
  CliResult read =
      RunCli({"state", "a", "--json", "--key", KeyFile("auditor"), "--ledger", ledger_});
  EXPECT_EQ(read.exit_code, 0) << read.err;
}

// ---- Programme rules ----

TEST_F(RulesCliTest, SubmissionOutOfWindowClosingDayIncluded) {
  // 003 §8: regional 2024 files until 2024-09-15 included.
  EXPECT_EQ(
      Refused("porteur", "project.submitted", "2024-09-16",
              Submission("late", {Et(1)}, "generalisation-2024", "acquisition", "2024-09-16")),
      Expect(3, "SUBMISSION_OUT_OF_WINDOW"));
  Must("porteur", "project.submitted", "2024-09-15",
       Submission("last-day", {Et(1)}, "generalisation-2024", "acquisition", "2024-09-15"));
  // Multi-regional closes on 2024-06-01.
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-06-02",
                    Submission("multi", {Et(2), EtIdf(1)}, "generalisation-2024", "acquisition",
                               "2024-06-02")),
            Expect(3, "SUBMISSION_OUT_OF_WINDOW"));
  Must("porteur", "project.submitted", "2024-06-01",
       Submission("multi", {Et(2), EtIdf(1)}, "generalisation-2024", "acquisition", "2024-06-01"));
}

TEST_F(RulesCliTest, SolutionMismatch) {
  uint64_t sons = Must("national", "sons.ordered", "2023-06-01",
                       SonsOrder(Et(1), Solution("Ancien", "Editeur S")));
  // An upgrade of a software that is not the ESSMS's SONS software.
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-03-10",
                    Submission("upg", {Et(1)}, "generalisation-2024", "upgrade")),
            Expect(3, "SOLUTION_MISMATCH", {sons}));
  json keeps = Submission("upg", {Et(1)}, "generalisation-2024", "upgrade");
  keeps["solution"] = Solution("Ancien", "Editeur S", "6");
  Must("porteur", "project.submitted", "2024-03-10", keeps);
}

TEST_F(RulesCliTest, SolutionNotReferenced) {
  uint64_t ref = Must("national", "solution.referenced", "2024-03-11",
                      {{"solution", Solution()},
                       {"corridor", "medico-social"},
                       {"status", "candidate"},
                       {"referencedAt", "2024-03-11"}});
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1)})),
            Expect(3, "SOLUTION_NOT_REFERENCED", {ref}));
  // Candidate on the submission day.
  Must("porteur", "project.submitted", "2024-03-11",
       Submission("p", {Et(1)}, "generalisation-2024", "acquisition", "2024-03-11"));
}

TEST_F(RulesCliTest, GrappeTooSmallRefusedInAmorcageWarnedInGeneralisation) {
  // A referencing fact for Solution(), else REFERENCING_UNKNOWN joins the warnings
  // (dated before the amorçage submissions, which are checked against it here too).
  Must("national", "solution.referenced", "2021-01-05",
       {{"solution", Solution()},
        {"corridor", "medico-social"},
        {"status", "referenced"},
        {"referencedAt", "2021-01-05"}});
  // 001: an amorçage acquisition grappe needs 3 OGs and 15 ESMS.
  EXPECT_EQ(Refused("porteur", "project.submitted", "2021-03-01", Amorcage("a-14", 3, 14, 1)),
            Expect(3, "GRAPPE_TOO_SMALL"));
  EXPECT_EQ(Refused("porteur", "project.submitted", "2021-03-01", Amorcage("a-2og", 2, 15, 1)),
            Expect(3, "GRAPPE_TOO_SMALL"));
  Must("porteur", "project.submitted", "2021-03-01", Amorcage("a-15", 3, 15, 1));
  EXPECT_TRUE(WarningCodes(StateJson("a-15")).empty());
  // Généralisation 2024: the ARS's judgement, a warning in `state`.
  uint64_t small =
      Must("porteur", "project.submitted", "2024-03-10", Submission("small", {Et(100), Et(101)}));
  json view = StateJson("small");
  EXPECT_THAT(WarningCodes(view), ElementsAre("GRAPPE_TOO_SMALL"));
  EXPECT_THAT(view["warnings"][0]["seqs"].get<std::vector<uint64_t>>(), Contains(small));
  std::vector<std::string> fifteen;
  for (int i = 0; i < 15; ++i) fifteen.push_back(Et(200 + i));
  Must("porteur", "project.submitted", "2024-03-10", Submission("big", fifteen));
  EXPECT_TRUE(WarningCodes(StateJson("big")).empty());
}

TEST_F(RulesCliTest, AmountExceedsEntitlementByOneCent) {
  uint64_t submitted =
      Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1), Et(2)}));
  Must("ars-bzh", "project.selected", "2024-04-15", Selected("p"));
  EXPECT_EQ(Refused("ars-bzh", "convention.signed", "2024-06-01",
                    Convention("p", {Et(1), Et(2)}, 2 * kAcquisition2024 + 1)),
            Expect(3, "AMOUNT_EXCEEDS_ENTITLEMENT", {submitted}));
  Must("ars-bzh", "convention.signed", "2024-06-01",
       Convention("p", {Et(1), Et(2)}, 2 * kAcquisition2024));
  EXPECT_EQ(StateJson("p")["conventionCents"], 2 * kAcquisition2024);
}

TEST_F(RulesCliTest, NoncumulEuFunds) {
  uint64_t eu = Must("national", "eu-funding.declared", "2024-01-20",
                     {{"finess", Et(1)},
                      {"fund", "FEDER"},
                      {"operation", "acquisition"},
                      {"declaredAt", "2024-01-20"}});
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-03-10", Submission("acq", {Et(1)})),
            Expect(3, "NONCUMUL_EU_FUNDS", {eu}));
  // An upgrade is another operation (000 §4.2 A 1).
  Must("porteur", "project.submitted", "2024-03-10",
       Submission("upg", {Et(1)}, "generalisation-2024", "upgrade"));
}

TEST_F(RulesCliTest, NoncumulSameSoftware) {
  Funded first = SubmitSelectSign(Submission("first", {Et(1)}), kAcquisition2024);
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-03-10", Submission("again", {Et(1)})),
            Expect(3, "NONCUMUL_SAME_SOFTWARE", {first.submitted, first.convention}));
  Must("porteur", "project.submitted", "2024-03-10", Submission("again", {Et(2)}));
}

TEST_F(RulesCliTest, NoncumulSecondDui) {
  Funded first = SubmitSelectSign(Submission("first", {Et(1)}), kAcquisition2024);
  json other = Submission("other", {Et(1)});
  other["solution"] = Solution("Autre", "Editeur B");
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-03-10", other),
            Expect(3, "NONCUMUL_SECOND_DUI", {first.submitted, first.convention}));
  // A rejected project funds nothing.
  Must("porteur", "project.submitted", "2024-03-10", Submission("rej", {Et(2)}));
  Must("ars-bzh", "project.rejected", "2024-04-15", {{"project", "rej"}, {"reason", "envelope"}});
  json after = Submission("after-rej", {Et(2)});
  after["solution"] = Solution("Autre", "Editeur B");
  Must("porteur", "project.submitted", "2024-03-10", after);
}

TEST_F(RulesCliTest, NoncumulSonsAcquisition) {
  // 002 Éligibilité: SONS ordered -> no acquisition of another DUI; usage keeping the
  // SONS solution stays allowed.
  uint64_t sons = Must("national", "sons.ordered", "2023-06-01",
                       SonsOrder(Et(1), Solution("Ancien", "Editeur S"), "2023-10-01"));
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-03-10", Submission("acq", {Et(1)})),
            Expect(3, "NONCUMUL_SONS_ACQUISITION", {sons}));
  json usage = Submission("usage", {Et(1)}, "generalisation-2024", "upgrade");
  usage["solution"] = Solution("Ancien", "Editeur S", "6");
  Must("porteur", "project.submitted", "2024-03-10", usage);
}

TEST_F(RulesCliTest, SonsValidatedTooEarlyQuarterBoundary) {
  // 003 §2.1: validated on or before 2023-03-31 disqualifies; 2023-04-01 is fine.
  uint64_t early =
      Must("national", "sons.ordered", "2023-03-31", SonsOrder(Et(1), Solution(), "2023-03-31"));
  Must("national", "sons.ordered", "2023-04-01", SonsOrder(Et(2), Solution(), "2023-04-01"));
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-03-10",
                    Submission("u1", {Et(1)}, "generalisation-2024", "upgrade")),
            Expect(3, "SONS_VALIDATED_TOO_EARLY", {early}));
  Must("porteur", "project.submitted", "2024-03-10",
       Submission("u2", {Et(2)}, "generalisation-2024", "upgrade"));
}

TEST_F(RulesCliTest, PaymentBeforeConvention) {
  uint64_t submitted = Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1)}));
  Must("ars-bzh", "project.selected", "2024-04-15", Selected("p"));
  EXPECT_EQ(Refused("payer-bzh", "payment.issued", "2024-05-01",
                    Payment("p", "advance", 100, "2024-05-01")),
            Expect(3, "PAYMENT_BEFORE_CONVENTION", {submitted}));
  uint64_t conv = Must("ars-bzh", "convention.signed", "2024-06-01",
                       Convention("p", {Et(1)}, kAcquisition2024));
  // Dated the day before the signature.
  EXPECT_EQ(Refused("payer-bzh", "payment.issued", "2024-05-31",
                    Payment("p", "advance", 100, "2024-05-31")),
            Expect(3, "PAYMENT_BEFORE_CONVENTION", {conv}));
  Must("payer-bzh", "payment.issued", "2024-06-01", Payment("p", "advance", 100, "2024-06-01"));
}

TEST_F(RulesCliTest, AdvanceExceedsShareByOneCent) {
  Funded f = SubmitSelectSign(Submission("p", {Et(1), Et(2)}), 4199999);  // odd cents
  // 50 % rounded down: 2 099 999 cents.
  EXPECT_EQ(Refused("payer-bzh", "payment.issued", "2024-06-10",
                    Payment("p", "advance", 2100000, "2024-06-10")),
            Expect(3, "ADVANCE_EXCEEDS_SHARE", {f.convention}));
  uint64_t first = Must("payer-bzh", "payment.issued", "2024-06-10",
                        Payment("p", "advance", 2099999, "2024-06-10"));
  EXPECT_EQ(StateJson("p")["status"], "advance-paid");
  EXPECT_EQ(Refused("payer-bzh", "payment.issued", "2024-06-11",
                    Payment("p", "advance", 1, "2024-06-11")),
            Expect(3, "ADVANCE_EXCEEDS_SHARE", {f.convention, first}));
}

TEST_F(RulesCliTest, TargetsNotMetOneEstablishmentAtEightyNineNinetyNine) {
  Balance b = FundedWithAdvance();
  Must("porteur", "expenses.certified", "2025-09-01", Expenses("p", 5000000, 0));
  Must("porteur", "indicator.measured", "2025-10-01", Measurement(Et(1), 10000, 10000));
  // 8 999 active files for 10 000 persons: 89.99 %, under 90 %.
  uint64_t miss =
      Must("porteur", "indicator.measured", "2025-10-01", Measurement(Et(2), 10000, 8999));
  EXPECT_EQ(Refused("payer-bzh", "payment.issued", "2025-10-15",
                    Payment("p", "balance", kAcquisition2024, "2025-10-15")),
            Expect(3, "TARGETS_NOT_MET", {b.funded.convention, miss}));
  const std::string message = last_.result["error"]["message"];
  EXPECT_THAT(message, HasSubstr(Et(2)));
  EXPECT_THAT(message, HasSubstr("seq " + std::to_string(miss)));
  // Exactly 90 % passes (the miss voided and measured again).
  Must("ars-bzh", "event.voided", "2025-10-02", {{"seq", miss}, {"reason", "recount"}});
  Must("porteur", "indicator.measured", "2025-10-02", Measurement(Et(2), 10000, 9000));
  Must("payer-bzh", "payment.issued", "2025-10-15",
       Payment("p", "balance", kAcquisition2024, "2025-10-15"));
  EXPECT_EQ(StateJson("p")["status"], "balance-paid");
}

TEST_F(RulesCliTest, NoExpenseProof) {
  Balance b = FundedWithAdvance();
  Must("porteur", "indicator.measured", "2025-10-01", Measurement(Et(1), 100, 95));
  Must("porteur", "indicator.measured", "2025-10-01", Measurement(Et(2), 100, 95));
  EXPECT_EQ(Refused("payer-bzh", "payment.issued", "2025-10-15",
                    Payment("p", "balance", kAcquisition2024, "2025-10-15")),
            Expect(3, "NO_EXPENSE_PROOF", {b.funded.convention}));
  // A statement certified after the payment date does not count.
  Must("porteur", "expenses.certified", "2025-10-16", Expenses("p", 5000000, 0, "2025-10-16"));
  EXPECT_EQ(Refused("payer-bzh", "payment.issued", "2025-10-15",
                    Payment("p", "balance", kAcquisition2024, "2025-10-15")),
            Expect(3, "NO_EXPENSE_PROOF", {b.funded.convention}));
  Must("payer-bzh", "payment.issued", "2025-10-16",
       Payment("p", "balance", kAcquisition2024, "2025-10-16"));
}

TEST_F(RulesCliTest, PaymentExceedsGrantByOneCent) {
  Balance b = FundedWithAdvance();
  Must("porteur", "expenses.certified", "2025-09-01", Expenses("p", 5000000, 0));
  Must("porteur", "indicator.measured", "2025-10-01", Measurement(Et(1), 100, 95));
  Must("porteur", "indicator.measured", "2025-10-01", Measurement(Et(2), 100, 95));
  EXPECT_EQ(Refused("payer-bzh", "payment.issued", "2025-10-15",
                    Payment("p", "balance", kAcquisition2024 + 1, "2025-10-15")),
            Expect(3, "PAYMENT_EXCEEDS_GRANT", {b.funded.convention, b.advance}));
  Must("payer-bzh", "payment.issued", "2025-10-15",
       Payment("p", "balance", kAcquisition2024, "2025-10-15"));
  EXPECT_EQ(StateJson("p")["paidCents"], 2 * kAcquisition2024);
}

TEST_F(RulesCliTest, EquipmentExceedsExpense) {
  // A small OG (5 ESSMS): equipment of min(quote 15 000 €, cap 10 000 €) in 2024.
  json sub = Submission("p", {Et(1)});
  sub["organisations"][0]["essmsTotal"] = 5;
  sub["establishments"][0]["equipmentQuoteCents"] = 1500000;
  const int64_t total = kAcquisition2024 + 1000000;
  Funded f = SubmitSelectSign(sub, total);
  EXPECT_EQ(StateJson("p")["entitlementCents"], total);
  Must("payer-bzh", "payment.issued", "2024-06-10",
       Payment("p", "advance", total / 2, "2024-06-10"));
  // Only 9 000 € of equipment really spent: 1 000 € less may be paid.
  uint64_t proof =
      Must("porteur", "expenses.certified", "2025-09-01", Expenses("p", 3000000, 900000));
  Must("porteur", "indicator.measured", "2025-10-01", Measurement(Et(1), 100, 95));
  EXPECT_EQ(Refused("payer-bzh", "payment.issued", "2025-10-15",
                    Payment("p", "balance", total - total / 2 - 100000 + 1, "2025-10-15")),
            Expect(3, "EQUIPMENT_EXCEEDS_EXPENSE", {f.convention, proof}));
  Must("payer-bzh", "payment.issued", "2025-10-15",
       Payment("p", "balance", total - total / 2 - 100000, "2025-10-15"));
}

TEST_F(RulesCliTest, ExtensionNotFunded) {
  uint64_t submitted = Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1)}));
  Must("ars-bzh", "project.selected", "2024-04-15", Selected("p"));
  EXPECT_EQ(Refused("ars-bzh", "grappe.extended", "2024-05-01",
                    Extension("p", {Et(2)}, true, "2024-05-01")),
            Expect(3, "EXTENSION_NOT_FUNDED", {submitted}));
  Must("ars-bzh", "convention.signed", "2024-06-01", Convention("p", {Et(1)}, kAcquisition2024));
  Must("ars-bzh", "grappe.extended", "2024-07-01", Extension("p", {Et(2)}, true, "2024-07-01"));
}

TEST_F(RulesCliTest, ExtensionNoAgreement) {
  SubmitSelectSign(Submission("p", {Et(1), Et(2)}), 2 * kAcquisition2024);
  EXPECT_EQ(Refused("ars-bzh", "grappe.extended", "2024-09-01", Extension("p", {Et(3)}, false)),
            Expect(3, "EXTENSION_NO_AGREEMENT"));
  Must("ars-bzh", "grappe.extended", "2024-09-01", Extension("p", {Et(3)}, true));
  json view = StateJson("p");
  ASSERT_EQ(view["establishments"].size(), 3u);
  EXPECT_EQ(view["establishments"][2]["finess"], Et(3));
  EXPECT_EQ(view["establishments"][2]["rank"], 3);
  EXPECT_EQ(view["entitlementCents"], 3 * kAcquisition2024);
}

TEST_F(RulesCliTest, InvalidTransition) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1)}));
  // A convention before the selection.
  EXPECT_EQ(Refused("ars-bzh", "convention.signed", "2024-06-01", Convention("p", {Et(1)}, 100)),
            Expect(3, "INVALID_TRANSITION"));
  uint64_t rejected = Must("ars-bzh", "project.rejected", "2024-04-15",
                           {{"project", "p"}, {"reason", "incomplete"}});
  // Selecting a rejected project (INTERFACE.md §4).
  EXPECT_EQ(Refused("ars-bzh", "project.selected", "2024-04-16", Selected("p", "2024-04-16")),
            Expect(3, "INVALID_TRANSITION", {rejected}));
  EXPECT_EQ(StateJson("p")["status"], "rejected");
  // The accepted side: a submitted project may be selected.
  Must("porteur", "project.submitted", "2024-03-10", Submission("q", {Et(2)}));
  Must("ars-bzh", "project.selected", "2024-04-15", Selected("q"));
}

// ---- Warnings ----

TEST_F(RulesCliTest, InheritedFundingThroughAMergerIsAWarning) {
  // 002 Éligibilité: findings that come through a merger are for the ARS's review.
  Funded first = SubmitSelectSign(Submission("first", {Et(1)}), kAcquisition2024);
  uint64_t merger = Must("ars-bzh", "finess.changed", "2024-07-01",
                         FinessChange(Et(1), Et(2), "merger", "2024-07-01"));
  Must("porteur", "project.submitted", "2024-08-01",
       Submission("merged", {Et(2)}, "generalisation-2024", "acquisition", "2024-08-01"));
  json view = StateJson("merged");
  EXPECT_THAT(WarningCodes(view), Contains("INHERITED_FUNDING")) << view.dump();
  for (const auto& w : view["warnings"]) {
    if (w["code"] != "INHERITED_FUNDING") continue;
    EXPECT_THAT(w["message"].get<std::string>(), HasSubstr("NONCUMUL_SAME_SOFTWARE"));
    EXPECT_THAT(w["seqs"].get<std::vector<uint64_t>>(),
                IsSupersetOf({first.submitted, first.convention, merger}));
  }
  // The warning belongs to the project that inherits, not to the one that funded.
  EXPECT_THAT(WarningCodes(StateJson("first")), ::testing::Not(Contains("INHERITED_FUNDING")));
  // The merged number's own funding still refuses, naming the inheriting project.
  const uint64_t merged = SubmittedSeq("merged");
  EXPECT_EQ(
      Refused("porteur", "project.submitted", "2024-08-03",
              Submission("merged-2", {Et(2)}, "generalisation-2024", "acquisition", "2024-08-03")),
      Expect(3, "NONCUMUL_SAME_SOFTWARE", {merged}));
}

TEST_F(RulesCliTest, CalendarAtRiskWhenTheExtensionComesLate) {
  // A referencing fact for Solution(), else REFERENCING_UNKNOWN joins the warnings.
  Must("national", "solution.referenced", "2024-01-05",
       {{"solution", Solution()},
        {"corridor", "medico-social"},
        {"status", "referenced"},
        {"referencedAt", "2024-01-05"}});
  // Convention 2024-06-01 for 18 months: half of it runs until 2025-03-01.
  SubmitSelectSign(Submission("p", {Et(1)}), kAcquisition2024);
  Must("ars-bzh", "grappe.extended", "2025-03-01", Extension("p", {Et(2)}, true, "2025-03-01"));
  EXPECT_THAT(WarningCodes(StateJson("p")), ElementsAre("GRAPPE_TOO_SMALL"));
  uint64_t late =
      Must("ars-bzh", "grappe.extended", "2025-03-02", Extension("p", {Et(3)}, true, "2025-03-02"));
  json view = StateJson("p");
  EXPECT_THAT(WarningCodes(view), ElementsAre("GRAPPE_TOO_SMALL", "CALENDAR_AT_RISK"));
  EXPECT_THAT(view["warnings"][1]["seqs"].get<std::vector<uint64_t>>(), Contains(late));
  // `check` shows the warnings too.
  CliResult check = Run({"check", "p", "--at", "2025-03-02", "--json"});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  EXPECT_THAT(WarningCodes(json::parse(check.out)), Contains("CALENDAR_AT_RISK"));
}

// ---- Output shapes, lineage ----

TEST_F(RulesCliTest, StateAndCheckShapesOnARealisticProject) {
  // A referencing fact for Solution(), else REFERENCING_UNKNOWN joins the warnings.
  Must("national", "solution.referenced", "2024-01-05",
       {{"solution", Solution()},
        {"corridor", "medico-social"},
        {"status", "referenced"},
        {"referencedAt", "2024-01-05"}});
  // Two acquisitions and an upgrade, small OG with an equipment quote for the first.
  json sub = Submission("bzh-2024-017", {Et(1), Et(2), Et(3)});
  sub["kind"] = "mixed";
  sub["organisations"][0]["essmsTotal"] = 6;
  sub["establishments"][0]["equipmentQuoteCents"] = 800000;  // under the 10 000 € cap
  sub["establishments"][2]["situation"] = "upgrade";
  const int64_t total = 2 * kAcquisition2024 + kUpgrade2024 + 800000;
  Funded f = SubmitSelectSign(sub, total);
  // On the signature day the advance is payable, proved by the convention.
  CliResult c = Run({"check", "bzh-2024-017", "--at", "2024-06-01", "--json"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  json check = json::parse(c.out);
  EXPECT_EQ(check["project"], "bzh-2024-017");
  EXPECT_EQ(check["at"], "2024-06-01");
  ASSERT_EQ(check["tranches"].size(), 2u);
  EXPECT_EQ(check["tranches"][0]["tranche"], "advance");
  EXPECT_TRUE(check["tranches"][0]["payable"].get<bool>()) << check.dump(1);
  EXPECT_EQ(check["tranches"][0]["amountCents"], total / 2);
  EXPECT_THAT(check["tranches"][0]["conditions"][0]["evidence"].get<std::vector<uint64_t>>(),
              Contains(f.convention));
  Must("payer-bzh", "payment.issued", "2024-06-10",
       Payment("bzh-2024-017", "advance", total / 2, "2024-06-10"));

  json view = StateJson("bzh-2024-017");
  EXPECT_EQ(view["project"], "bzh-2024-017");
  EXPECT_EQ(view["campaign"], "generalisation-2024");
  EXPECT_EQ(view["status"], "advance-paid");
  ASSERT_EQ(view["establishments"].size(), 3u);
  const std::vector<int64_t> entitlements = {kAcquisition2024 + 800000, kAcquisition2024,
                                             kUpgrade2024};
  for (int i = 0; i < 3; ++i) {
    const json& e = view["establishments"][i];
    EXPECT_EQ(e["finess"], Et(i + 1));
    EXPECT_EQ(e["rank"], i + 1);
    EXPECT_EQ(e["situation"], i == 2 ? "upgrade" : "acquisition");
    EXPECT_EQ(e["entitlementCents"], entitlements[i]) << e.dump();
  }
  EXPECT_EQ(view["entitlementCents"], total);
  EXPECT_EQ(view["conventionCents"], total);
  EXPECT_EQ(view["paidCents"], total / 2);
  ASSERT_TRUE(view["warnings"].is_array());
  EXPECT_THAT(WarningCodes(view), ElementsAre("GRAPPE_TOO_SMALL"));  // 3 ESSMS < 15

  // Before the measurements: the advance is paid (nothing left of it) and the
  // balance is not payable, and says why.
  c = Run({"check", "bzh-2024-017", "--at", "2025-10-15", "--json"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  check = json::parse(c.out);
  EXPECT_EQ(check["at"], "2025-10-15");
  ASSERT_EQ(check["tranches"].size(), 2u);
  EXPECT_EQ(check["tranches"][0]["amountCents"], 0);
  EXPECT_FALSE(check["tranches"][0]["payable"].get<bool>());
  json balance = check["tranches"][1];
  EXPECT_EQ(balance["tranche"], "balance");
  EXPECT_FALSE(balance["payable"].get<bool>());
  EXPECT_EQ(balance["amountCents"], total - total / 2);
  for (const auto& t : check["tranches"]) {
    ASSERT_TRUE(t["payable"].is_boolean());
    ASSERT_FALSE(t["conditions"].empty());
    for (const auto& cond : t["conditions"]) {
      EXPECT_TRUE(cond["code"].is_string() && !cond["code"].get<std::string>().empty()) << cond;
      EXPECT_TRUE(cond["met"].is_boolean()) << cond;
      EXPECT_TRUE(cond["evidence"].is_array()) << cond;
      EXPECT_TRUE(cond["detail"].is_string() && !cond["detail"].get<std::string>().empty()) << cond;
    }
  }
  bool any_unmet = false;
  for (const auto& cond : balance["conditions"]) any_unmet |= !cond["met"].get<bool>();
  EXPECT_TRUE(any_unmet) << balance.dump();

  // With the proof and the measurements: payable, with the records that prove it.
  uint64_t proof = Must("porteur", "expenses.certified", "2025-09-01",
                        Expenses("bzh-2024-017", 9000000, 800000));
  std::vector<uint64_t> measures;
  for (int i = 1; i <= 3; ++i) {
    measures.push_back(
        Must("porteur", "indicator.measured", "2025-10-01", Measurement(Et(i), 120, 110)));
  }
  check = json::parse(Run({"check", "bzh-2024-017", "--at", "2025-10-15", "--json"}).out);
  balance = check["tranches"][1];
  EXPECT_TRUE(balance["payable"].get<bool>()) << balance.dump(1);
  std::vector<uint64_t> evidence;
  for (const auto& cond : balance["conditions"]) {
    EXPECT_TRUE(cond["met"].get<bool>()) << cond;
    for (uint64_t seq : cond["evidence"]) evidence.push_back(seq);
  }
  EXPECT_THAT(evidence, IsSupersetOf({proof, measures[0], measures[1], measures[2]}));
  Must("payer-bzh", "payment.issued", "2025-10-15",
       Payment("bzh-2024-017", "balance", total - total / 2, "2025-10-15"));
  view = StateJson("bzh-2024-017");
  EXPECT_EQ(view["status"], "balance-paid");
  EXPECT_EQ(view["paidCents"], total);
}

TEST_F(RulesCliTest, HistoryFollowsARenumberedFiness) {
  Funded first = SubmitSelectSign(Submission("first", {Et(1)}), kAcquisition2024);
  uint64_t before = Must("porteur", "indicator.measured", "2024-07-01",
                         Measurement(Et(1), 100, 95, "2024-04-01", "2024-06-30"));
  uint64_t change = Must("ars-bzh", "finess.changed", "2024-07-01",
                         FinessChange(Et(1), Et(50), "renumbering", "2024-07-01"));
  uint64_t after = Must("porteur", "indicator.measured", "2024-10-01",
                        Measurement(Et(50), 100, 95, "2024-07-01", "2024-09-30"));
  // The old number no longer counts on its own; the new one carries its funding.
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-08-01",
                    Submission("old-number", {Et(1)}, "generalisation-2024", "acquisition",
                               "2024-08-01")),
            Expect(3, "FINESS_INVALID", {change}));
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-08-01",
                    Submission("new-number", {Et(50)}, "generalisation-2024", "acquisition",
                               "2024-08-01")),
            Expect(3, "NONCUMUL_SAME_SOFTWARE", {first.submitted, first.convention, change}));

  auto history = [&](const std::string& key) {
    CliResult h = Run({"history", key, "--json"});
    EXPECT_EQ(h.exit_code, 0) << h.out << h.err;
    json j = json::parse(h.out, nullptr, false);
    std::vector<uint64_t> seqs;
    if (j.is_object()) {
      for (const auto& r : j["records"]) seqs.push_back(r["seq"]);
    }
    return seqs;
  };
  const std::vector<uint64_t> by_new = history(Et(50));
  EXPECT_THAT(by_new, ElementsAre(first.submitted, first.convention, before, change, after));
  EXPECT_EQ(history(Et(1)), by_new);
  // The project's own history: its stream.
  EXPECT_THAT(history("first"), ElementsAre(first.submitted, first.selected, first.convention));
  // State shows where the number went.
  EXPECT_EQ(StateJson("first")["establishments"][0]["currentFiness"], Et(50));
}

// ---- Issue 13, second reading of the texts (rules on the fields events already have) ----

std::vector<std::string> EtRange(int first, int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(Et(first + i));
  return out;
}

TEST_F(RulesCliTest, Grappe2025BelowFifteenIsAWarning) {
  // 000 §4.2 D « idéalement »; 002 takes compléments « au cas par cas ».
  // A referencing fact for Solution(), else REFERENCING_UNKNOWN joins the warnings.
  Must("national", "solution.referenced", "2025-01-05",
       {{"solution", Solution()},
        {"corridor", "medico-social"},
        {"status", "referenced"},
        {"referencedAt", "2025-01-05"}});
  uint64_t small =
      Must("porteur", "project.submitted", "2025-03-10",
           Submission("s", EtRange(1, 14), "generalisation-2025", "acquisition", "2025-03-10"));
  json view = StateJson("s");
  EXPECT_THAT(WarningCodes(view), Contains("GRAPPE_TOO_SMALL"));
  EXPECT_THAT(view["warnings"][0]["seqs"].get<std::vector<uint64_t>>(), Contains(small));
  Must("porteur", "project.submitted", "2025-03-10",
       Submission("f", EtRange(100, 15), "generalisation-2025", "acquisition", "2025-03-10"));
  EXPECT_TRUE(WarningCodes(StateJson("f")).empty());
}

TEST_F(RulesCliTest, SonsOrderRefusesAnyAcquisitionEvenOfTheSameSoftware) {
  // 000 §3.2: not cumulable with any software-equipment funding.
  uint64_t sons = Must("national", "sons.ordered", "2023-06-01", SonsOrder(Et(1), Solution()));
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-03-10", Submission("acq", {Et(1)})),
            Expect(3, "NONCUMUL_SONS_ACQUISITION", {sons}));
  Must("porteur", "project.submitted", "2024-03-10",
       Submission("usage", {Et(1)}, "generalisation-2024", "upgrade"));
}

TEST_F(RulesCliTest, ConventionKeeping49Of52AcquisitionsRanksThem1To49) {
  uint64_t submitted =
      Must("porteur", "project.submitted", "2024-03-10", Submission("big", EtRange(1, 52)));
  Must("ars-bzh", "project.selected", "2024-04-15", Selected("big"));
  const std::vector<std::string> kept = EtRange(4, 49);
  EXPECT_EQ(Refused("ars-bzh", "convention.signed", "2024-06-01",
                    Convention("big", kept, 49 * kAcquisition2024 + 1)),
            Expect(3, "AMOUNT_EXCEEDS_ENTITLEMENT", {submitted}));
  Must("ars-bzh", "convention.signed", "2024-06-01",
       Convention("big", kept, 49 * kAcquisition2024));
  json view = StateJson("big");
  EXPECT_EQ(view["entitlementCents"], 49 * kAcquisition2024);  // 1 029 000,00 €
  EXPECT_EQ(view["establishments"][51]["rank"], 49);
  EXPECT_EQ(view["establishments"][2]["inConvention"], false);
  EXPECT_EQ(view["establishments"][2]["entitlementCents"], 0);
}

TEST_F(RulesCliTest, AmorcageIsNotCheckedAgainstSegurReferencing) {
  uint64_t ref = Must("national", "solution.referenced", "2024-12-01",
                      {{"solution", Solution()},
                       {"corridor", "medico-social"},
                       {"status", "referenced"},
                       {"referencedAt", "2024-12-01"}});
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-03-10", Submission("g", {Et(1)})),
            Expect(3, "SOLUTION_NOT_REFERENCED", {ref}));
  Must("porteur", "project.submitted", "2021-03-01", Amorcage("a", 3, 15, 100));
}

TEST_F(RulesCliTest, AmoaOnlyForARegroupementOfSmallOgs) {
  json one = Submission("one", {Et(1), Et(2)});
  one["organisations"][0]["essmsTotal"] = 5;
  one["amoaRequestedCents"] = 10000000;
  Must("porteur", "project.submitted", "2024-03-10", one);
  EXPECT_EQ(StateJson("one")["entitlementCents"], 2 * kAcquisition2024);
  json two = Submission("two", {Et(3), Et(4)});
  two["organisations"][0]["essmsTotal"] = 5;
  two["organisations"].push_back(
      {{"finessEj", Ej(2)}, {"name", "OG 2"}, {"essmsTotal", 14}, {"region", "53"}});
  two["establishments"][1]["finessEj"] = Ej(2);
  two["amoaRequestedCents"] = 10000000;
  Must("porteur", "project.submitted", "2024-03-10", two);
  EXPECT_EQ(StateJson("two")["entitlementCents"], 2 * kAcquisition2024 + 10000000);
}

TEST_F(RulesCliTest, Generalisation2023PaysOnTheMonthElapsed) {
  // 000 §5: « sur le mois écoulé mesuré à chaque fin de mois (avec une période de 3 mois
  // pour la première mesure) ». A first quarter that misses, then one month that meets.
  Must("porteur", "project.submitted", "2023-03-10",
       Submission("p", {Et(1)}, "generalisation-2023", "acquisition", "2023-03-10"));
  Must("ars-bzh", "project.selected", "2023-04-15", Selected("p", "2023-04-15"));
  Must("ars-bzh", "convention.signed", "2023-06-01",
       Convention("p", {Et(1)}, kAcquisition2024, "2023-06-01"));
  Must("payer-bzh", "payment.issued", "2023-06-10",
       Payment("p", "advance", kAcquisition2024 / 2, "2023-06-10"));
  Must("porteur", "expenses.certified", "2024-01-05", Expenses("p", 5000000, 0, "2024-01-05"));
  Must("porteur", "indicator.measured", "2023-12-01",
       Measurement(Et(1), 100, 89, "2023-09-01", "2023-11-30"));
  uint64_t december = Must("porteur", "indicator.measured", "2024-01-01",
                           Measurement(Et(1), 100, 90, "2023-12-01", "2023-12-31"));
  CliResult check = Run({"check", "p", "--at", "2024-01-10", "--json"});
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
  json balance = json::parse(check.out)["tranches"][1];
  EXPECT_TRUE(balance["payable"].get<bool>()) << check.out;
  bool seen = false;
  for (const auto& c : balance["conditions"]) {
    if (c["code"] == "USAGE_TARGETS_MET") {
      seen = true;
      EXPECT_THAT(c["evidence"].get<std::vector<uint64_t>>(), ElementsAre(december));
      EXPECT_THAT(c["detail"].get<std::string>(), HasSubstr("2023-12-01 to 2023-12-31"));
    }
  }
  EXPECT_TRUE(seen) << check.out;
  Must("payer-bzh", "payment.issued", "2024-01-10",
       Payment("p", "balance", kAcquisition2024 / 2, "2024-01-10"));
}

TEST_F(RulesCliTest, Generalisation2024SocleWindowOfThreeToSixMonths) {
  SubmitSelectSign(Submission("p", {Et(1)}), kAcquisition2024);
  Must("payer-bzh", "payment.issued", "2024-06-10",
       Payment("p", "advance", kAcquisition2024 / 2, "2024-06-10"));
  Must("porteur", "expenses.certified", "2025-06-01", Expenses("p", 5000000, 0, "2025-06-01"));
  json seven = Measurement(Et(1), 100, 95, "2025-04-01", "2025-06-30");
  seven["soclePeriodStart"] = "2024-12-01";
  uint64_t bad = Must("porteur", "indicator.measured", "2025-07-01", seven);
  EXPECT_EQ(Refused("payer-bzh", "payment.issued", "2025-07-05",
                    Payment("p", "balance", kAcquisition2024 / 2, "2025-07-05"))
                .substr(0, 22),
            "exit 3 TARGETS_NOT_MET");
  Must("ars-bzh", "event.voided", "2025-07-02", {{"seq", bad}, {"reason", "window"}});
  json six = seven;
  six["soclePeriodStart"] = "2025-01-01";
  Must("porteur", "indicator.measured", "2025-07-02", six);
  Must("payer-bzh", "payment.issued", "2025-07-05",
       Payment("p", "balance", kAcquisition2024 / 2, "2025-07-05"));
}

TEST_F(RulesCliTest, InvalidProjectKind) {
  json sub = Submission("p", {Et(1), Et(2)});
  sub["establishments"][1]["situation"] = "upgrade";
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-03-10", sub),
            Expect(3, "INVALID_PROJECT_KIND"));
  sub["kind"] = "mixed";
  Must("porteur", "project.submitted", "2024-03-10", sub);
}

TEST_F(RulesCliTest, NoComplementOnAFinishedProject) {
  Funded f = SubmitSelectSign(Submission("p", {Et(1)}), kAcquisition2024);
  Must("payer-bzh", "payment.issued", "2024-06-10",
       Payment("p", "advance", kAcquisition2024 / 2, "2024-06-10"));
  Must("porteur", "expenses.certified", "2025-09-01", Expenses("p", 5000000, 0));
  Must("porteur", "indicator.measured", "2025-10-01", Measurement(Et(1), 100, 95));
  uint64_t balance = Must("payer-bzh", "payment.issued", "2025-10-10",
                          Payment("p", "balance", kAcquisition2024 / 2, "2025-10-10"));
  EXPECT_EQ(Refused("ars-bzh", "grappe.extended", "2025-11-01",
                    Extension("p", {Et(2)}, true, "2025-11-01")),
            Expect(3, "INVALID_TRANSITION", {balance}));
  (void)f;
}

TEST_F(RulesCliTest, PayingRegionMismatchAndFollowUpStaysWithTheLeadRegion) {
  SubmitSelectSign(Submission("p", {Et(1)}), kAcquisition2024);
  json ext = Extension("p", {}, true);
  json idf = Establishment(EtIdf(1));
  ext["establishments"].push_back(idf);
  EXPECT_EQ(Refused("ars-bzh", "grappe.extended", "2024-09-01", ext),
            Expect(3, "PAYING_REGION_MISMATCH"));
  ext["payingRegion"] = "11";
  Must("ars-bzh", "grappe.extended", "2024-09-01", ext);
  json amended = Convention("p", {Et(1), EtIdf(1)}, 2 * kAcquisition2024, "2024-09-05");
  EXPECT_EQ(Refused("ars-idf", "convention.signed", "2024-09-05", amended).substr(0, 19),
            "exit 3 UNAUTHORIZED");
  Must("ars-bzh", "convention.signed", "2024-09-05", amended);
}

TEST_F(RulesCliTest, LeadRegionAndNotLeadRegionWarning) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("m", {Et(1), Et(2), EtIdf(1)}));
  json view = StateJson("m");
  EXPECT_EQ(view["leadRegion"], "53");
  EXPECT_THAT(WarningCodes(view), Not(Contains("NOT_LEAD_REGION")));
  uint64_t selected = Must("ars-idf", "project.selected", "2024-04-15", Selected("m"));
  view = StateJson("m");
  bool seen = false;
  for (const auto& w : view["warnings"]) {
    if (w["code"] != "NOT_LEAD_REGION") continue;
    seen = true;
    EXPECT_THAT(w["seqs"].get<std::vector<uint64_t>>(), Contains(selected));
  }
  EXPECT_TRUE(seen) << view.dump();
}

TEST_F(RulesCliTest, RejectedAfterSelectionAndApplyingAgain) {
  Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1)}));
  Must("ars-bzh", "project.selected", "2024-04-15", Selected("p"));
  Must("ars-bzh", "project.rejected", "2024-05-01",
       {{"project", "p"}, {"reason", "did not succeed"}});
  EXPECT_EQ(StateJson("p")["status"], "rejected");
  Must("porteur", "project.submitted", "2025-03-10",
       Submission("again", {Et(1)}, "generalisation-2025", "acquisition", "2025-03-10"));
}

TEST_F(RulesCliTest, FinessEjIsNotAnEstablishment) {
  json own = Submission("own", {Ej(1)});
  EXPECT_EQ(Refused("porteur", "project.submitted", "2024-03-10", own),
            Expect(3, "FINESS_INVALID"));
  EXPECT_THAT(last_.result["error"]["message"].get<std::string>(), HasSubstr("FINESS EJ"));
  Must("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1)}));
}

TEST_F(RulesCliTest, Advance2025AfterTheContractualEndIsConventionExpired) {
  Must("porteur", "project.submitted", "2025-03-10",
       Submission("p", EtRange(1, 15), "generalisation-2025", "acquisition", "2025-03-10"));
  Must("ars-bzh", "project.selected", "2025-04-15", Selected("p", "2025-04-15"));
  uint64_t conv = Must("ars-bzh", "convention.signed", "2025-06-01",
                       Convention("p", {Et(1)}, kAcquisition2024, "2025-06-01", 6));
  // 2025-06-01 + 6 months = 2025-12-01, the last day an advance may be paid.
  EXPECT_EQ(Refused("payer-bzh", "payment.issued", "2025-12-02",
                    Payment("p", "advance", 1000, "2025-12-02")),
            Expect(3, "CONVENTION_EXPIRED", {conv}));
  Must("payer-bzh", "payment.issued", "2025-12-01", Payment("p", "advance", 1000, "2025-12-01"));
}

TEST_F(RulesCliTest, RulesListsTheSecondReadingWithSources) {
  CliResult r = RunCli({"rules", "generalisation-2023", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::pair<std::string, std::string>> figures;
  const json parsed = json::parse(r.out);
  for (const auto& f : parsed["campaigns"][0]["rules"]) {
    figures[f["name"].get<std::string>()] = {f["value"].get<std::string>(),
                                             f["source"].get<std::string>()};
  }
  ASSERT_TRUE(figures.contains("grappe common period")) << r.out;
  EXPECT_THAT(figures["grappe common period"].first, HasSubstr("one calendar month"));
  EXPECT_THAT(figures["grappe common period"].second, HasSubstr("000 \u00a75"));
  ASSERT_TRUE(figures.contains("lead region")) << r.out;
  EXPECT_THAT(figures["lead region"].second, HasSubstr("002"));
  ASSERT_TRUE(figures.contains("SONS and acquisition")) << r.out;
  EXPECT_EQ(figures["SONS and acquisition"].second, "000 \u00a73.2");
}

}  // namespace
}  // namespace esms::testing
