// Every public error code, produced by the program. ErrorCodeTable runs one row per code
// of INTERFACE.md §4 that the program emits today: a command (or an event imported after
// the events that set the scene), the code and exit code it must give, and, for a
// refused event, the ledger unchanged. The codes §4 lists that nothing emits yet are
// named as such, and a last test reads the sources so that every code constant the
// program defines has a row: a new code cannot ship without one. ErrorCodesTest checks
// some codes further: their message, the seqs they name.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ledger/internal/storage_keys.h"
#include "tests/reliability/fixture.h"

namespace esms::testing {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class ErrorCodesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(l_.ok()) << l_.error(); }

  // "exit N CODE", plus " (no message)" / " (LEDGER CHANGED)" when those go wrong.
  std::string Refused(const std::string& signer, const std::string& line) {
    const std::string before = l_.Fingerprint();
    CliResult r = l_.Import(signer, line);
    return Summary(r, before);
  }
  std::string Summary(const CliResult& r, const std::string& before) {
    json result = KeyedLedger::LastResult(r);
    json error = result.value("error", json::object());
    std::string s = fmt::format("exit {} {}", r.exit_code, error.value("code", "?"));
    if (error.value("message", "").empty()) s += " (no message)";
    if (l_.Fingerprint() != before) s += " (LEDGER CHANGED)";
    last_ = r;
    return s;
  }

  TempDir dir_;
  KeyedLedger l_{dir_.path(),
                 {{"porteur", {"porteur"}, {}}, {"ars-bzh", {"ars-instructor"}, {"53"}}}};
  CliResult last_;
};

TEST_F(ErrorCodesTest, KeyConflictAndUnknownKey) {
  // The same name again, and another name for an enrolled public key.
  json same_name = {{"name", "porteur"},
                    {"publicKey", l_.PublicKey("ars-bzh")},
                    {"roles", json::array({"porteur"})},
                    {"regions", json::array()}};
  EXPECT_EQ(Refused("admin", Line("k1", "key.enrolled", "2024-01-01", same_name)),
            "exit 3 KEY_CONFLICT");
  json same_key = {{"name", "other"},
                   {"publicKey", l_.PublicKey("porteur")},
                   {"roles", json::array({"porteur"})},
                   {"regions", json::array()}};
  EXPECT_EQ(Refused("admin", Line("k2", "key.enrolled", "2024-01-01", same_key)),
            "exit 3 KEY_CONFLICT");
  EXPECT_EQ(KeyedLedger::LastResult(last_)["error"]["conflicts"],
            json::array({l_.EnrolledSeq("porteur")}));
  EXPECT_EQ(Refused("admin",
                    Line("k3", "key.revoked", "2024-01-01", {{"name", "nobody"}, {"reason", "x"}})),
            "exit 3 UNKNOWN_KEY");
}

TEST_F(ErrorCodesTest, SiretInvalid) {
  json sub = Submission("p", {Et(1)});
  sub["porteur"]["siret"] = "12345678900011";  // 14 digits, wrong Luhn key
  if (WithLuhnKey("1234567890001") == "12345678900011") sub["porteur"]["siret"] = "12345678900012";
  EXPECT_EQ(Refused("porteur", Line("s1", "project.submitted", "2024-03-10", sub)),
            "exit 3 SIRET_INVALID");
  EXPECT_THAT(KeyedLedger::LastResult(last_)["error"]["message"].get<std::string>(),
              HasSubstr("siret"));
}

TEST_F(ErrorCodesTest, EstablishmentNotInProject) {
  ASSERT_EQ(
      l_.Import("porteur", Line("s", "project.submitted", "2024-03-10", Submission("p", {Et(1)})))
          .exit_code,
      0);
  ASSERT_EQ(l_.Import("ars-bzh", Line("sel", "project.selected", "2024-04-15",
                                      {{"project", "p"}, {"committeeAt", "2024-04-15"}}))
                .exit_code,
            0);
  json convention = {{"project", "p"},
                     {"signedAt", "2024-06-01"},
                     {"amountCents", 100},
                     {"establishments", json::array({Et(1), Et(9)})},
                     {"durationMonths", 18}};
  EXPECT_EQ(Refused("ars-bzh", Line("c", "convention.signed", "2024-06-01", convention)),
            "exit 3 ESTABLISHMENT_NOT_IN_PROJECT");
  EXPECT_THAT(KeyedLedger::LastResult(last_)["error"]["message"].get<std::string>(),
              HasSubstr(Et(9)));
}

TEST_F(ErrorCodesTest, InvalidProjectKindInAmorcage) {
  json sub = Submission("am", {Et(1), Et(2), Et(3), Et(4), Et(5)});
  sub["campaign"] = "amorcage-2021";
  sub["submittedAt"] = "2021-03-01";
  sub["usageCommitments"] = {{"activeFilesRate", 90},
                             {"planRate", 80},
                             {"agendaRate", 80},
                             {"mssanteMessages", 300},
                             {"dmpDocuments", 200}};
  sub["kind"] = "mixed";
  sub["establishments"][1]["situation"] = "upgrade";
  EXPECT_EQ(Refused("porteur", Line("am", "project.submitted", "2021-03-01", sub)),
            "exit 3 INVALID_PROJECT_KIND");
}

TEST_F(ErrorCodesTest, UsageAndNotFound) {
  const std::string before = l_.Fingerprint();
  CliResult usage =
      l_.Run({"import", "missing-file.jsonl", "--json", "--key", l_.KeyFile("porteur")});
  EXPECT_EQ(Summary(usage, before), "exit 2 USAGE");
  CliResult beyond = l_.Run({"prove", "999", "--json"});
  EXPECT_EQ(beyond.exit_code, 2) << beyond.out;
  CliResult absent = RunCli({"verify", "--json", "--ledger", (dir_ / "absent.db").string()});
  EXPECT_EQ(absent.exit_code, 3) << absent.out << absent.err;
  EXPECT_THAT(absent.out, HasSubstr("NOT_FOUND"));
  EXPECT_FALSE(fs::exists(dir_ / "absent.db")) << "a reader creates no ledger";
  CliResult log = l_.Run({"log", "--from", "99", "--to", "100", "--json"});
  EXPECT_EQ(log.exit_code, 0) << "an empty range is not an error";
}

TEST_F(ErrorCodesTest, CorruptionAndVerificationFailed) {
  {
    RawDb db(l_.ledger());
    ASSERT_TRUE(db.ok());
    db.Put(ledger::storage::kRecords, ledger::storage::SeqKey(1), "not a record");
  }
  CliResult log = l_.Run({"log", "--json"});
  EXPECT_EQ(log.exit_code, 1) << log.out << log.err;
  EXPECT_THAT(log.out, HasSubstr("CORRUPTION"));
  EXPECT_THAT(log.out, HasSubstr("seq 1"));
  CliResult verify = l_.Run({"verify", "--json"});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_EQ(json::parse(verify.out)["firstBad"], 1);
  EXPECT_EQ(json::parse(verify.out)["ok"], false);
  CliResult human = l_.Run({"verify"});
  EXPECT_EQ(human.exit_code, 1);
  EXPECT_THAT(human.out + human.err, HasSubstr("FAILED: seq 1"));
}

// ---- The table ----

// 2024 amounts (003 §3.3.2): acquisition 7 000 + 14 000 € up to the 49th ESSMS.
constexpr int64_t kAcquisition2024 = 2100000;

// One event of a row, imported with `import - --json --key <signer>.pem`.
struct Event {
  std::string signer;
  std::string type;
  std::string at;
  json data;
  std::string id;  // default: <row>-<n>
  std::optional<int> expected_version;
};

// Where a row runs: its own copy of the template ledger, and a directory for files.
// `{ledger}`, `{dir}`, `{key:NAME}`, `{pub:NAME}` and the names prepare() sets are
// replaced in a row's command and events.
struct Env {
  std::string ledger;
  fs::path dir;
  std::map<std::string, std::string> vars;
};

struct Row {
  std::string code;                   // what the program must say
  int exit = 3;                       // and its exit code (INTERFACE.md §5)
  std::vector<Event> setup;           // imported first; each must be appended
  std::optional<Event> refused;       // the event refused with `code`...
  std::vector<std::string> command;   // ...or the command that fails with it
  std::string in;                     // the command's standard input
  std::function<void(Env&)> prepare;  // files, damage, other ledgers
  std::optional<Limits> limits;       // the real program under these limits
};

Event E(std::string signer, std::string type, std::string at, json data) {
  return Event{std::move(signer), std::move(type), std::move(at), std::move(data), "", {}};
}

json Referenced(const std::string& status, const std::string& at) {
  return {{"solution", Solution()},
          {"corridor", "medico-social"},
          {"status", status},
          {"referencedAt", at}};
}

// A project submitted by the porteur, selected and signed by the ARS for `cents`.
std::vector<Event> Funded(const json& submission, int64_t cents) {
  const std::string project = submission["project"];
  std::vector<std::string> ests;
  for (const auto& e : submission["establishments"]) ests.push_back(e["finess"]);
  return {E("porteur", "project.submitted", submission["submittedAt"], submission),
          E("ars-bzh", "project.selected", "2024-04-15", Selected(project)),
          E("ars-bzh", "convention.signed", "2024-06-01", Convention(project, ests, cents))};
}
// Funded(Et(1), Et(2)) with the advance paid.
std::vector<Event> WithAdvance() {
  std::vector<Event> events = Funded(Submission("p", {Et(1), Et(2)}), 2 * kAcquisition2024);
  events.push_back(E("payer-bzh", "payment.issued", "2024-06-10",
                     Payment("p", "advance", kAcquisition2024, "2024-06-10")));
  return events;
}
std::vector<Event> operator+(std::vector<Event> a, const std::vector<Event>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Runs `args` in-process; must succeed.
void Must(const std::vector<std::string>& args, const std::string& in = "") {
  CliResult r = RunCli(args, in);
  ASSERT_EQ(r.exit_code, 0) << fmt::format("{}", fmt::join(args, " ")) << ": " << r.out << r.err;
}

// One more record signed and checkpointed in `ledger`.
void Advance(const Env& env, const std::string& ledger, const std::string& id) {
  Must({"import", "-", "--key", env.vars.at("key:national"), "--ledger", ledger},
       Line(id, "solution.referenced", "2025-12-06", Referenced("candidate", "2025-12-06")));
  Must({"checkpoint", "--ledger", ledger});  // every commit keeps one
}
void Checkpoint(const Env& env) {
  Must({"checkpoint", "--ledger", env.ledger});  // every commit keeps one
}
// A witness key in the row's directory: {witness} its key file, {vkey} its verifier key.
void Witness(Env& env) {
  env.vars["witness"] = (env.dir / "witness.pem").string();
  Must({"key", "new", "dgos-witness", "--out", env.vars["witness"]});
  CliResult key =
      RunCli({"witness", "key", "--key", env.vars["witness"], "--name", "dgos-witness"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  env.vars["vkey"] = key.out.substr(0, key.out.find('\n'));
}
std::vector<std::string> Cosign(const std::string& ledger) {
  return {"witness",  "cosign",       "--key",   "{witness}",
          "--name",   "dgos-witness", "--state", "{dir}/witness.state",
          "--ledger", ledger,         "--json"};
}

// The codes of INTERFACE.md §4 (refusals; the warnings are not errors).
const std::vector<std::string> kInterfaceCodes = {"BAD_INPUT",
                                                  "FINESS_INVALID",
                                                  "SIRET_INVALID",
                                                  "UNKNOWN_PROJECT",
                                                  "DUPLICATE_PROJECT",
                                                  "DUPLICATE_FINESS",
                                                  "UNKNOWN_CAMPAIGN",
                                                  "EVENT_ID_CONFLICT",
                                                  "VERSION_CONFLICT",
                                                  "UNAUTHORIZED",
                                                  "KEY_CONFLICT",
                                                  "UNKNOWN_KEY",
                                                  "KEY_INVALID",
                                                  "USAGE",
                                                  "NOT_FOUND",
                                                  "NO_CHECKPOINT",
                                                  "CORRUPTION",
                                                  "BUNDLE_INVALID",
                                                  "WITNESS_MISSING",
                                                  "ROLLBACK",
                                                  "CONSISTENCY_FAILED",
                                                  "STORAGE_ERROR",
                                                  "LEDGER_LOCKED",
                                                  "SUBMISSION_OUT_OF_WINDOW",
                                                  "SOLUTION_MISMATCH",
                                                  "SOLUTION_NOT_REFERENCED",
                                                  "GRAPPE_TOO_SMALL",
                                                  "AMOUNT_EXCEEDS_ENTITLEMENT",
                                                  "NONCUMUL_EU_FUNDS",
                                                  "NONCUMUL_SAME_SOFTWARE",
                                                  "NONCUMUL_SECOND_DUI",
                                                  "NONCUMUL_SONS_ACQUISITION",
                                                  "SONS_VALIDATED_TOO_EARLY",
                                                  "PAYMENT_BEFORE_CONVENTION",
                                                  "ADVANCE_EXCEEDS_SHARE",
                                                  "TARGETS_NOT_MET",
                                                  "NO_EXPENSE_PROOF",
                                                  "PAYMENT_EXCEEDS_GRANT",
                                                  "EQUIPMENT_EXCEEDS_EXPENSE",
                                                  "EXTENSION_NOT_FUNDED",
                                                  "EXTENSION_NO_AGREEMENT",
                                                  "INVALID_TRANSITION",
                                                  "ESTABLISHMENT_NOT_IN_PROJECT",
                                                  "INVALID_PROJECT_KIND",
                                                  "NATIONAL_AGREEMENT_MISSING",
                                                  "CONVENTION_EXPIRED",
                                                  "NO_INVOICE",
                                                  "USAGE_SHARE_EXCEEDED",
                                                  "PAYING_REGION_MISMATCH"};

// Codes INTERFACE.md §4 lists that no command emits yet (none since issue 13): a code
// listed here must have no row, and a rule that starts giving it must add one.
const std::set<std::string> kNotEmittedYet = {};

// Codes the program defines that no input can give on purpose: INTERNAL is a bug by
// definition. (VERIFICATION_FAILED is gone: no command emitted it; `verify` reports
// {"ok": false, "firstBad", "problem"} and exits 1: see CORRUPTION.)
const std::set<std::string> kNoRow = {"INTERNAL"};

std::vector<Row> Rows() {
  std::vector<Row> rows;
  auto refused = [&rows](std::string code, std::vector<Event> setup, Event event, int exit = 3) {
    Row row;
    row.code = std::move(code);
    row.exit = exit;
    row.setup = std::move(setup);
    row.refused = std::move(event);
    rows.push_back(std::move(row));
  };
  auto command = [&rows](std::string code, int exit, std::vector<std::string> args,
                         std::function<void(Env&)> prepare = {}, std::vector<Event> setup = {}) {
    Row row;
    row.code = std::move(code);
    row.exit = exit;
    row.command = std::move(args);
    row.prepare = std::move(prepare);
    row.setup = std::move(setup);
    rows.push_back(std::move(row));
  };
  const json sub = Submission("p", {Et(1)});
  const Event submitted = E("porteur", "project.submitted", "2024-03-10", sub);

  // ---- Input ----
  {
    Row row;
    row.code = "BAD_INPUT";
    row.exit = 2;
    row.command = {"import", "-", "--json", "--key", "{key:porteur}"};
    row.in = "{\"id\": \"sub-1\", \"type\": \n";
    rows.push_back(row);
  }
  {
    json bad = sub;
    bad["establishments"][0]["finess"] = "010000098";  // DOMAIN.md §0: fails its Luhn key
    refused("FINESS_INVALID", {}, E("porteur", "project.submitted", "2024-03-10", bad));
  }
  {
    json bad = sub;
    bad["porteur"]["siret"] =
        WithLuhnKey("1234567890001") == "12345678900011" ? "12345678900012" : "12345678900011";
    refused("SIRET_INVALID", {}, E("porteur", "project.submitted", "2024-03-10", bad));
  }
  refused("UNKNOWN_PROJECT", {}, E("ars-bzh", "project.selected", "2024-04-15", Selected("nope")));
  command("UNKNOWN_PROJECT", 3, {"state", "nope", "--json"});
  refused("DUPLICATE_PROJECT", {submitted},
          E("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(2)})));
  refused("DUPLICATE_FINESS", {},
          E("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1), Et(1)})));
  refused("UNKNOWN_CAMPAIGN", {},
          E("porteur", "project.submitted", "2024-03-10",
            Submission("p", {Et(1)}, "generalisation-2026")));
  {
    Event first = submitted;
    first.id = "same-id";
    Event other = E("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(2)}));
    other.id = "same-id";
    refused("EVENT_ID_CONFLICT", {first}, other);
  }
  {
    Event stale = E("ars-bzh", "project.selected", "2024-04-15", Selected("p"));
    stale.expected_version = 0;  // the stream project/p holds one record
    refused("VERSION_CONFLICT", {submitted}, stale);
  }
  refused("UNAUTHORIZED", {submitted},
          E("porteur", "project.selected", "2024-04-15", Selected("p")));  // wrong role
  refused("UNAUTHORIZED", {submitted},
          E("ars-idf", "project.selected", "2024-04-15", Selected("p")));  // wrong region
  refused("KEY_CONFLICT", {},
          E("admin", "key.enrolled", "2024-01-01",
            {{"name", "porteur"},
             {"publicKey", "{pub:ars-bzh}"},
             {"roles", json::array({"porteur"})},
             {"regions", json::array()}}));
  refused("UNKNOWN_KEY", {},
          E("admin", "key.revoked", "2024-01-01", {{"name", "nobody"}, {"reason", "x"}}));
  command("KEY_INVALID", 3, {"import", "-", "--json", "--key", "{dir}/absent.pem"});
  command("USAGE", 2, {"import", "{dir}/missing-file.jsonl", "--json", "--key", "{key:porteur}"});
  command("NOT_FOUND", 3, {"verify", "--json", "--ledger", "{dir}/absent.db"});
  // Record 1 (a key enrolment) is covered by no checkpoint: init signs one of size 1,
  // and the checkpoints every later commit kept are lost.
  command("NO_CHECKPOINT", 3, {"prove", "1", "--format", "tlog-proof", "--json"}, [](Env& env) {
    RawDb db(env.ledger);
    ASSERT_TRUE(db.ok());
    for (uint64_t size = 2; size <= 1000; ++size) {
      db.Delete(ledger::storage::kCheckpoints, ledger::storage::SeqKey(size));
    }
  });

  // ---- Verification (exit 1) ----
  command("CORRUPTION", 1, {"log", "--json"}, [](Env& env) {
    RawDb db(env.ledger);
    ASSERT_TRUE(db.ok());
    db.Put(ledger::storage::kRecords, ledger::storage::SeqKey(1), "not a record");
  });
  command("BUNDLE_INVALID", 1,
          {"verify-bundle", "{dir}/b.json", "--trust", "{ledger}/ledger.pub", "--json"},
          [](Env& env) {
            Checkpoint(env);
            Must({"bundle", "p", "--out", (env.dir / "b.json").string(), "--at", "2024-12-31",
                  "--ledger", env.ledger});
            json b = json::parse(ReadFile(env.dir / "b.json"));
            b["records"][0]["at"] = "2020-01-01";  // a readable envelope field edited
            WriteFile(env.dir / "b.json", b.dump(1));
          },
          {submitted});
  command("WITNESS_MISSING", 1,
          {"verify-bundle", "{dir}/b.json", "--trust", "{ledger}/ledger.pub", "--witness", "{vkey}",
           "--json"},
          [](Env& env) {
            Checkpoint(env);
            Witness(env);
            Must({"bundle", "p", "--out", (env.dir / "b.json").string(), "--at", "2024-12-31",
                  "--ledger", env.ledger});
          },
          {submitted});
  command("ROLLBACK", 1, Cosign("{dir}/old"), [](Env& env) {
    Checkpoint(env);
    Witness(env);
    fs::copy(env.ledger, env.dir / "old", fs::copy_options::recursive);
    Advance(env, env.ledger, "w-1");
    std::vector<std::string> cosign = Cosign(env.ledger);
    for (auto& a : cosign) {
      if (a == "{witness}") a = env.vars["witness"];
      if (a == "{dir}/witness.state") a = (env.dir / "witness.state").string();
    }
    Must(cosign);
  });
  command("CONSISTENCY_FAILED", 1, Cosign("{dir}/fork"), [](Env& env) {
    Checkpoint(env);
    Witness(env);
    fs::copy(env.ledger, env.dir / "fork", fs::copy_options::recursive);
    Advance(env, env.ledger, "w-1");
    std::vector<std::string> cosign = Cosign(env.ledger);
    for (auto& a : cosign) {
      if (a == "{witness}") a = env.vars["witness"];
      if (a == "{dir}/witness.state") a = (env.dir / "witness.state").string();
    }
    Must(cosign);
    Advance(env, (env.dir / "fork").string(), "fork-1");  // same size, another record
  });

  // ---- Storage (exit 4) ----
  {
    Row row;
    row.code = "STORAGE_ERROR";
    row.exit = 4;
    row.command = {"import", "-", "--json", "--key", "{key:national}"};
    row.in = SolutionLines(200);
    row.limits = Limits{};
    row.limits->file_size = 4096;  // below the ledger's own files: opening fails
    rows.push_back(row);
  }
  command("LEDGER_LOCKED", 4, {"import", "-", "--json", "--key", "{key:national}"});
  rows.back().in = SolutionLines(1);
  rows.back().prepare = [](Env& env) {
    // A writer holds the ledger (its lock) while the row runs: a real process, as in
    // tests/reliability/concurrency_test.cc.
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    Child holder =
        StartCli({"import", "-", "--key", env.vars["key:national"], "--ledger", env.ledger},
                 env.dir / "holder.out", fds[0]);
    close(fds[0]);
    env.vars["holder-pid"] = std::to_string(holder.pid);
    env.vars["holder-fd"] = std::to_string(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  };

  // ---- Programme rules ----
  refused("SUBMISSION_OUT_OF_WINDOW", {},
          E("porteur", "project.submitted", "2024-09-16",
            Submission("late", {Et(1)}, "generalisation-2024", "acquisition", "2024-09-16")));
  refused("SOLUTION_MISMATCH",
          {E("national", "sons.ordered", "2023-06-01",
             SonsOrder(Et(1), Solution("Ancien", "Editeur S")))},
          E("porteur", "project.submitted", "2024-03-10",
            Submission("upg", {Et(1)}, "generalisation-2024", "upgrade")));
  refused(
      "SOLUTION_NOT_REFERENCED",
      {E("national", "solution.referenced", "2024-03-11", Referenced("candidate", "2024-03-11"))},
      submitted);
  refused("GRAPPE_TOO_SMALL", {},
          E("porteur", "project.submitted", "2021-03-01", Amorcage("a-14", 3, 14, 1)));
  refused("AMOUNT_EXCEEDS_ENTITLEMENT",
          {E("porteur", "project.submitted", "2024-03-10", Submission("p", {Et(1), Et(2)})),
           E("ars-bzh", "project.selected", "2024-04-15", Selected("p"))},
          E("ars-bzh", "convention.signed", "2024-06-01",
            Convention("p", {Et(1), Et(2)}, 2 * kAcquisition2024 + 1)));
  refused("NONCUMUL_EU_FUNDS",
          {E("national", "eu-funding.declared", "2024-01-20",
             {{"finess", Et(1)},
              {"fund", "FEDER"},
              {"operation", "acquisition"},
              {"declaredAt", "2024-01-20"}})},
          submitted);
  refused("NONCUMUL_SAME_SOFTWARE", Funded(Submission("first", {Et(1)}), kAcquisition2024),
          E("porteur", "project.submitted", "2024-03-10", Submission("again", {Et(1)})));
  {
    json other = Submission("other", {Et(1)});
    other["solution"] = Solution("Autre", "Editeur B");
    refused("NONCUMUL_SECOND_DUI", Funded(Submission("first", {Et(1)}), kAcquisition2024),
            E("porteur", "project.submitted", "2024-03-10", other));
  }
  refused("NONCUMUL_SONS_ACQUISITION",
          {E("national", "sons.ordered", "2023-06-01",
             SonsOrder(Et(1), Solution("Ancien", "Editeur S"), "2023-10-01"))},
          E("porteur", "project.submitted", "2024-03-10", Submission("acq", {Et(1)})));
  refused("SONS_VALIDATED_TOO_EARLY",
          {E("national", "sons.ordered", "2023-03-31", SonsOrder(Et(1), Solution(), "2023-03-31"))},
          E("porteur", "project.submitted", "2024-03-10",
            Submission("u1", {Et(1)}, "generalisation-2024", "upgrade")));
  refused(
      "PAYMENT_BEFORE_CONVENTION",
      {submitted, E("ars-bzh", "project.selected", "2024-04-15", Selected("p"))},
      E("payer-bzh", "payment.issued", "2024-05-01", Payment("p", "advance", 100, "2024-05-01")));
  refused("ADVANCE_EXCEEDS_SHARE", Funded(Submission("p", {Et(1), Et(2)}), 4199999),
          E("payer-bzh", "payment.issued", "2024-06-10",
            Payment("p", "advance", 2100000, "2024-06-10")));  // 50 % rounded down: 2 099 999
  refused(
      "TARGETS_NOT_MET",
      WithAdvance() +
          std::vector<Event>{
              E("porteur", "expenses.certified", "2025-09-01", Expenses("p", 5000000, 0)),
              E("porteur", "indicator.measured", "2025-10-01", Measurement(Et(1), 10000, 10000)),
              E("porteur", "indicator.measured", "2025-10-01", Measurement(Et(2), 10000, 8999))},
      E("payer-bzh", "payment.issued", "2025-10-15",
        Payment("p", "balance", kAcquisition2024, "2025-10-15")));
  refused("NO_EXPENSE_PROOF",
          WithAdvance() +
              std::vector<Event>{
                  E("porteur", "indicator.measured", "2025-10-01", Measurement(Et(1), 100, 95)),
                  E("porteur", "indicator.measured", "2025-10-01", Measurement(Et(2), 100, 95))},
          E("payer-bzh", "payment.issued", "2025-10-15",
            Payment("p", "balance", kAcquisition2024, "2025-10-15")));
  refused("PAYMENT_EXCEEDS_GRANT",
          WithAdvance() +
              std::vector<Event>{
                  E("porteur", "expenses.certified", "2025-09-01", Expenses("p", 5000000, 0)),
                  E("porteur", "indicator.measured", "2025-10-01", Measurement(Et(1), 100, 95)),
                  E("porteur", "indicator.measured", "2025-10-01", Measurement(Et(2), 100, 95))},
          E("payer-bzh", "payment.issued", "2025-10-15",
            Payment("p", "balance", kAcquisition2024 + 1, "2025-10-15")));
  {
    // A small OG (5 ESSMS): equipment of min(quote 15 000 €, cap 10 000 €) in 2024; only
    // 9 000 € of equipment spent.
    json small = Submission("p", {Et(1)});
    small["organisations"][0]["essmsTotal"] = 5;
    small["establishments"][0]["equipmentQuoteCents"] = 1500000;
    const int64_t total = kAcquisition2024 + 1000000;
    refused(
        "EQUIPMENT_EXCEEDS_EXPENSE",
        Funded(small, total) +
            std::vector<Event>{
                E("payer-bzh", "payment.issued", "2024-06-10",
                  Payment("p", "advance", total / 2, "2024-06-10")),
                E("porteur", "expenses.certified", "2025-09-01", Expenses("p", 3000000, 900000)),
                E("porteur", "indicator.measured", "2025-10-01", Measurement(Et(1), 100, 95))},
        E("payer-bzh", "payment.issued", "2025-10-15",
          Payment("p", "balance", total - total / 2 - 100000 + 1, "2025-10-15")));
  }
  refused(
      "EXTENSION_NOT_FUNDED",
      {submitted, E("ars-bzh", "project.selected", "2024-04-15", Selected("p"))},
      E("ars-bzh", "grappe.extended", "2024-05-01", Extension("p", {Et(2)}, true, "2024-05-01")));
  refused("EXTENSION_NO_AGREEMENT", Funded(Submission("p", {Et(1), Et(2)}), 2 * kAcquisition2024),
          E("ars-bzh", "grappe.extended", "2024-09-01", Extension("p", {Et(3)}, false)));
  refused("INVALID_TRANSITION", {submitted},
          E("ars-bzh", "convention.signed", "2024-06-01", Convention("p", {Et(1)}, 100)));
  refused("ESTABLISHMENT_NOT_IN_PROJECT",
          {submitted, E("ars-bzh", "project.selected", "2024-04-15", Selected("p"))},
          E("ars-bzh", "convention.signed", "2024-06-01", Convention("p", {Et(1), Et(9)}, 100)));
  {
    json mixed = Submission("am", {Et(1), Et(2), Et(3), Et(4), Et(5)}, "amorcage-2021",
                            "acquisition", "2021-03-01");
    mixed["kind"] = "mixed";
    mixed["establishments"][1]["situation"] = "upgrade";
    mixed["usageCommitments"] = {{"activeFilesRate", 90},
                                 {"planRate", 80},
                                 {"agendaRate", 80},
                                 {"mssanteMessages", 300},
                                 {"dmpDocuments", 200}};
    refused("INVALID_PROJECT_KIND", {}, E("porteur", "project.submitted", "2021-03-01", mixed));
  }
  {
    json sub = Submission("p", {Et(1)});
    sub["porteur"]["nationalEntityAgreement"] = false;
    refused("NATIONAL_AGREEMENT_MISSING", {}, E("porteur", "project.submitted", "2024-03-10", sub));
  }
  {
    // A complement of an Île-de-France ESSMS that Bretagne would pay.
    json ext = Extension("p", {}, true);
    ext["establishments"].push_back(Establishment(EtIdf(1)));
    refused("PAYING_REGION_MISMATCH", Funded(Submission("p", {Et(1)}), kAcquisition2024),
            E("ars-bzh", "grappe.extended", "2024-09-01", ext));
  }
  // 2025: an advance the day after signedAt + durationMonths (2025-06-01 + 6 months).
  refused(
      "CONVENTION_EXPIRED",
      {E("porteur", "project.submitted", "2025-03-10",
         Submission("p", {Et(1)}, "generalisation-2025", "acquisition", "2025-03-10")),
       E("ars-bzh", "project.selected", "2025-04-15", Selected("p", "2025-04-15")),
       E("ars-bzh", "convention.signed", "2025-06-01",
         Convention("p", {Et(1)}, kAcquisition2024, "2025-06-01", 6))},
      E("payer-bzh", "payment.issued", "2025-12-02", Payment("p", "advance", 1000, "2025-12-02")));
  {
    // Amorçage: 15 upgrades announcing their usage (DOMAIN.md §5's worked example).
    std::vector<std::string> ests;
    for (int i = 1; i <= 15; ++i) ests.push_back(Et(i));
    json amo = Submission("amo", ests, "amorcage-2021", "upgrade", "2021-03-01");
    amo["usageCommitments"] = {{"activeFilesRate", 90},
                               {"planRate", 80},
                               {"agendaRate", 80},
                               {"mssanteMessages", 300},
                               {"dmpDocuments", 200}};
    const std::vector<Event> advanced = {
        E("porteur", "project.submitted", "2021-03-01", amo),
        E("ars-bzh", "project.selected", "2021-06-01", Selected("amo", "2021-06-01")),
        E("ars-bzh", "convention.signed", "2021-06-01",
          Convention("amo", ests, 15000000, "2021-06-01", 18)),
        E("payer-bzh", "payment.issued", "2021-06-01",
          Payment("amo", "advance", 6000000, "2021-06-01"))};
    const Event parametrisation = E("payer-bzh", "payment.issued", "2021-09-01",
                                    Payment("amo", "parametrisation", 6000000, "2021-09-01"));
    refused("NO_INVOICE", advanced, parametrisation);
    auto invoice = [](const std::string& tranche, const std::string& at) {
      return json{{"project", "amo"},
                  {"tranche", tranche},
                  {"amountCents", 990000},
                  {"receivedAt", at},
                  {"reference", "F-" + tranche}};
    };
    std::vector<Event> measured = advanced;
    measured.push_back(
        E("porteur", "invoice.received", "2021-08-30", invoice("parametrisation", "2021-08-30")));
    measured.push_back(
        E("porteur", "invoice.received", "2022-04-01", invoice("deployment", "2022-04-01")));
    measured.push_back(parametrisation);
    for (int i = 1; i <= 15; ++i) {
      json m = Measurement(Et(i), "2022-01-01", "2022-03-31", 100, 90);
      m["activeFilesWithPlan"] = 54;
      m["activeFilesWithAgendaEvent"] = 72;
      m["mssanteMessages"] = 10;
      m["dmpFed"] = 100;
      m["dmpDocuments"] = i == 15 ? 18 : 13;
      measured.push_back(E("ars-bzh", "indicator.measured", "2022-03-31", m));
    }
    // The prorata is 25 500 € (DOMAIN.md §5): one cent more is refused.
    refused("USAGE_SHARE_EXCEEDED", measured,
            E("payer-bzh", "payment.issued", "2022-04-10",
              Payment("amo", "deployment", 2550001, "2022-04-10")));
  }
  return rows;
}

// Failures name the row by its code.
void PrintTo(const Row& row, std::ostream* os) { *os << row.code; }

// The error object of a result: the last result's of an import, else that of the last
// line of stdout ({"error": ...}: `log --json` prints records, then the error).
json ErrorOf(const CliResult& r) {
  json error = KeyedLedger::LastResult(r).value("error", json::object());
  if (!error.empty()) return error;
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  json last = json::parse(out.substr(out.rfind('\n') + 1), nullptr, /*allow_exceptions=*/false);
  return last.is_object() ? last.value("error", json::object()) : json::object();
}

std::string Name(const ::testing::TestParamInfo<Row>& info) {
  std::string name = info.param.code;
  name.erase(std::remove(name.begin(), name.end(), '_'), name.end());
  return name + "_" + std::to_string(info.index);
}

// The template ledger (a key per role) is built once for the suite; each row runs on
// its own copy of it.
class ErrorCodeTable : public ::testing::TestWithParam<Row> {
 protected:
  static void SetUpTestSuite() {
    suite_dir_ = new TempDir();
    template_ = new KeyedLedger(suite_dir_->path(), {{"national", {"national"}, {}},
                                                     {"ars-bzh", {"ars-instructor"}, {"53"}},
                                                     {"payer-bzh", {"ars-payer"}, {"53"}},
                                                     {"ars-idf", {"ars-instructor"}, {"11"}},
                                                     {"porteur", {"porteur"}, {}}});
  }
  static void TearDownTestSuite() {
    delete template_;
    delete suite_dir_;
  }

  void SetUp() override {
    ASSERT_TRUE(template_->ok()) << template_->error();
    env_.dir = dir_.path();
    env_.ledger = (dir_ / "ledger.db").string();
    fs::copy(template_->ledger(), env_.ledger, fs::copy_options::recursive);
    for (const char* name : {"admin", "national", "ars-bzh", "payer-bzh", "ars-idf", "porteur"}) {
      env_.vars[std::string("key:") + name] = template_->KeyFile(name);
      env_.vars[std::string("pub:") + name] = template_->PublicKey(name);
    }
  }

  std::string Expand(std::string text) const {
    std::map<std::string, std::string> vars = env_.vars;
    vars["ledger"] = env_.ledger;
    vars["dir"] = env_.dir.string();
    for (const auto& [name, value] : vars) {
      const std::string pattern = "{" + name + "}";
      for (size_t at = text.find(pattern); at != std::string::npos;
           at = text.find(pattern, at + value.size())) {
        text.replace(at, pattern.size(), value);
      }
    }
    return text;
  }
  std::string LineOf(const Event& e, const std::string& id) const {
    json line = {
        {"id", e.id.empty() ? id : e.id}, {"type", e.type}, {"at", e.at}, {"data", e.data}};
    if (e.expected_version) line["expectedVersion"] = *e.expected_version;
    return Expand(line.dump()) + "\n";
  }
  CliResult Import(const Event& e, const std::string& id) const {
    return RunCli({"import", "-", "--json", "--key", env_.vars.at("key:" + e.signer), "--ledger",
                   env_.ledger},
                  LineOf(e, id));
  }
  std::string Fingerprint() const {
    CliResult v = RunCli({"verify", "--json", "--ledger", env_.ledger});
    json j = json::parse(v.out, nullptr, false);
    if (v.exit_code != 0 || !j.is_object()) return "verify failed: " + v.out + v.err;
    return fmt::format("size {} root {}", j["size"].dump(), j["root"].dump());
  }

  static inline TempDir* suite_dir_ = nullptr;
  static inline KeyedLedger* template_ = nullptr;
  TempDir dir_;
  Env env_;
};

// "exit N CODE", plus " (no message)" and " (LEDGER CHANGED)" when those go wrong.
TEST_P(ErrorCodeTable, GivesItsCodeAndExitCode) {
  const Row& row = GetParam();
  int n = 0;
  for (const Event& e : row.setup) {
    CliResult r = Import(e, "setup-" + std::to_string(++n));
    ASSERT_EQ(r.exit_code, 0) << "setup " << e.type << " by " << e.signer << ": " << r.out << r.err;
  }
  if (row.prepare) {
    row.prepare(env_);
    if (HasFatalFailure()) return;
  }
  const std::string before = row.refused ? Fingerprint() : "";
  CliResult r;
  if (row.refused) {
    r = Import(*row.refused, "refused");
  } else {
    std::vector<std::string> args;
    bool has_ledger = false;
    for (const std::string& a : row.command) {
      args.push_back(Expand(a));
      has_ledger = has_ledger || a == "--ledger";
    }
    if (!has_ledger) {
      args.push_back("--ledger");
      args.push_back(env_.ledger);
    }
    r = row.limits ? RunCliWith(args, Expand(row.in), *row.limits) : RunCli(args, Expand(row.in));
  }
  if (env_.vars.contains("holder-pid")) {  // LEDGER_LOCKED: the writer finishes its input
    const int fd = std::stoi(env_.vars["holder-fd"]);
    close(fd);
    EXPECT_EQ(WaitChild(Child{static_cast<pid_t>(std::stoi(env_.vars["holder-pid"]))}), 0);
  }
  const json error = ErrorOf(r);
  std::string summary = fmt::format("exit {} {}", r.exit_code, error.value("code", "?"));
  if (error.value("message", "").empty()) summary += " (no message)";
  if (row.refused && Fingerprint() != before) summary += " (LEDGER CHANGED)";
  EXPECT_EQ(summary, fmt::format("exit {} {}", row.exit, row.code)) << r.out << r.err;
}

INSTANTIATE_TEST_SUITE_P(Codes, ErrorCodeTable, ::testing::ValuesIn(Rows()), Name);

// Every code of INTERFACE.md §4 has a row, or is named as not emitted yet; every error
// code constant of the program (k... = "CODE" in ledger/, domain/, projections/, cli/)
// has a row; a code named "not emitted yet" that the sources now name gets its row.
TEST(ErrorCodeTableCoverage, EveryCodeHasARowOrIsNamedNotEmittedYet) {
  std::set<std::string> rows;
  for (const Row& row : Rows()) rows.insert(row.code);
  for (const std::string& code : kInterfaceCodes) {
    EXPECT_TRUE(rows.contains(code) || kNotEmittedYet.contains(code))
        << code << " (INTERFACE.md §4) has no row in ErrorCodeTable";
    EXPECT_FALSE(rows.contains(code) && kNotEmittedYet.contains(code))
        << code << " has a row: take it out of kNotEmittedYet";
  }
  for (const std::string& code : rows) {
    EXPECT_TRUE(std::find(kInterfaceCodes.begin(), kInterfaceCodes.end(), code) !=
                kInterfaceCodes.end())
        << code << " has a row but is not in INTERFACE.md §4";
  }
  const fs::path root = ESMS_SOURCE_DIR;
  const std::regex constant(R"re(constexpr std::string_view k\w+ = "([A-Z][A-Z_]+)")re");
  std::map<std::string, std::string> codes;  // code -> defining file
  std::string sources;
  for (const char* folder : {"base", "ledger", "domain", "projections", "cli"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root / folder)) {
      if (entry.path().extension() != ".h" && entry.path().extension() != ".cc") continue;
      const std::string text = ReadFile(entry.path());
      sources += text;
      for (std::sregex_iterator it(text.begin(), text.end(), constant), end; it != end; ++it) {
        codes.emplace((*it)[1], entry.path().lexically_relative(root).string());
      }
    }
  }
  ASSERT_GT(codes.size(), 20u);
  for (const auto& [code, file] : codes) {
    if (kNoRow.contains(code)) continue;
    EXPECT_TRUE(rows.contains(code)) << code << " (" << file << ") has no row in ErrorCodeTable";
  }
  for (const std::string& code : kNotEmittedYet) {
    EXPECT_EQ(sources.find("\"" + code + "\""), std::string::npos)
        << code << " is named in the program's sources: if it is emitted now, give it a row "
        << "and take it out of kNotEmittedYet";
  }
}
}  // namespace
}  // namespace esms::testing
