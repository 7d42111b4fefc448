#include "tests/testing/federation.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/testing/cli.h"

namespace esms::testing {

using nlohmann::json;

std::string MakeDuplicateLedger(const std::filesystem::path& keys_dir, const std::string& ledger,
                                const std::string& counted, const std::string& at,
                                const std::string& more_keys) {
  const std::string admin = (keys_dir / "dup-admin.pem").string();
  const std::string instr_key = (keys_dir / "dup-instr.pem").string();
  CliResult made = RunCli({"key", "new", "admin", "--out", admin});
  CliResult instr = RunCli({"key", "new", "instr", "--out", instr_key, "--json"});
  CliResult init =
      RunCli({"init", "--origin", "dup.example/esms", "--admin-key", admin, "--ledger", ledger});
  if (made.exit_code != 0 || instr.exit_code != 0 || init.exit_code != 0) {
    ADD_FAILURE() << made.err << instr.err << init.err;
    return "";
  }
  const json enrol = {{"id", "key-instr"},
                      {"type", "key.enrolled"},
                      {"at", "2023-01-02"},
                      {"data",
                       {{"name", "instr"},
                        {"publicKey", json::parse(instr.out)["publicKey"]},
                        {"roles", {"ars-instructor"}},
                        {"regions", {"53"}}}}};
  CliResult enrolled =
      RunCli({"import", "-", "--key", admin, "--ledger", ledger}, enrol.dump() + "\n" + more_keys);
  CliResult report = RunCli({"report", "active-dui", "--at", at, "--ledger", counted, "--json"});
  if (enrolled.exit_code != 0 || report.exit_code != 0) {
    ADD_FAILURE() << enrolled.err << report.err;
    return "";
  }
  const std::string finess = json::parse(report.out)["evidence"][0]["finess"];
  const json measured = {{"id", "m1"},
                         {"type", "indicator.measured"},
                         {"at", at},
                         {"data",
                          {{"finess", finess},
                           {"periodStart", "2024-10-01"},
                           {"periodEnd", at},
                           {"personsAccompanied", 100},
                           {"activeFiles", 90},
                           {"activeFilesWithPlan", 90},
                           {"activeFilesWithAgendaEvent", 90},
                           {"mssanteMessages", 80},
                           {"dmpFed", 80}}}};
  CliResult imported =
      RunCli({"import", "-", "--key", instr_key, "--ledger", ledger}, measured.dump() + "\n");
  if (imported.exit_code != 0) {
    ADD_FAILURE() << imported.err;
    return "";
  }
  return finess;
}

}  // namespace esms::testing
