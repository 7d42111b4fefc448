// Private keys through the real program: a key file readable or writable by anyone but
// its owner is refused by every command that signs (exit 3, UNAUTHORIZED, the fix
// named); `key new` never overwrites; a missing or non-Ed25519 file is KEY_INVALID;
// and no command prints or logs a private key, whatever the log level: the outputs
// of every command (stdout and stderr, --log-level trace) are searched for the PEM
// body and the raw 32 private bytes in base64 and hex.
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ledger/hash.h"
#include "tests/testing/cli.h"

namespace esms::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::string SolutionLine(int i) {
  return fmt::format(
      R"({{"id": "sol-{}", "type": "solution.referenced", "at": "2023-02-01", "data": )"
      R"({{"solution": {{"vendor": "Editeur", "product": "DUI", "version": "{}"}}, )"
      R"("corridor": "medico-social", "status": "referenced", "referencedAt": "2023-02-01"}}}})"
      "\n",
      i, i);
}

class KeysCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = (dir_ / "ledger.db").string();
    admin_ = (dir_ / "admin.pem").string();
    national_ = (dir_ / "national.pem").string();
    ASSERT_EQ(RunCli({"key", "new", "admin", "--out", admin_}).exit_code, 0);
    CliResult n = RunCli({"key", "new", "dgos", "--out", national_, "--json"});
    ASSERT_EQ(n.exit_code, 0) << n.err;
    national_pub_ = json::parse(n.out)["publicKey"];
    ASSERT_EQ(RunCli({"init", "--origin", "test.example/keys", "--admin-key", admin_, "--ledger",
                      ledger_})
                  .exit_code,
              0);
    std::string enrol = json{{"id", "key-dgos"},
                             {"type", "key.enrolled"},
                             {"at", "2023-01-02"},
                             {"data",
                              {{"name", "dgos"},
                               {"publicKey", national_pub_},
                               {"roles", {"national"}},
                               {"regions", json::array()}}}}
                            .dump() +
                        "\n";
    CliResult e = RunCli({"import", "-", "--key", admin_, "--ledger", ledger_}, enrol);
    ASSERT_EQ(e.exit_code, 0) << e.err;
  }

  // The secrets of a PEM file: its base64 body lines, and the raw 32-byte private key
  // (the last 32 bytes of the PKCS#8 DER) raw, in base64 and in hex.
  static std::vector<std::string> Secrets(const std::string& pem_file) {
    std::string pem = ReadFile(pem_file);
    std::vector<std::string> secrets;
    std::string body;
    size_t pos = 0;
    while (pos < pem.size()) {
      size_t end = pem.find('\n', pos);
      if (end == std::string::npos) end = pem.size();
      std::string line = pem.substr(pos, end - pos);
      pos = end + 1;
      if (line.empty() || line.rfind("-----", 0) == 0) continue;
      secrets.push_back(line);
      body += line;
    }
    auto der = ledger::Base64Decode(body);
    EXPECT_TRUE(der.ok());
    EXPECT_EQ(der->size(), 48u) << "PKCS#8 Ed25519";
    ledger::Bytes raw(der->end() - 32, der->end());
    std::string b64 = ledger::Base64Encode(raw);
    secrets.push_back(b64.substr(0, 40));  // any long enough piece of it
    std::string hex = ledger::ToHex(raw);
    secrets.push_back(hex.substr(0, 32));
    secrets.push_back(hex.substr(32));
    secrets.push_back(std::string(raw.begin(), raw.end()));  // the raw bytes themselves
    return secrets;
  }

  TempDir dir_;
  std::string ledger_, admin_, national_, national_pub_;
};

TEST_F(KeysCliTest, KeyFilesReadableByOthersAreRefusedByEverySigningCommand) {
  for (mode_t mode : {0640, 0604, 0644, 0660, 0606, 0666, 0700, 0620, 0602}) {
    SCOPED_TRACE(fmt::format("mode {:o}", mode));
    ASSERT_EQ(chmod(national_.c_str(), mode), 0);
    ASSERT_EQ(chmod(admin_.c_str(), mode), 0);
    const bool safe = (mode & 077) == 0;
    // The ledger key (read by every command that writes) too.
    const std::string ledger_key = ledger_ + "/ledger.key";
    ASSERT_EQ(chmod(ledger_key.c_str(), mode), 0);
    CliResult import = RunCli({"import", "-", "--json", "--key", national_, "--ledger", ledger_},
                              SolutionLine(mode));
    CliResult cp = RunCli({"checkpoint", "--json", "--key", ledger_key, "--ledger", ledger_});
    std::string other = (dir_ / fmt::format("other-{:o}.db", mode)).string();
    CliResult init =
        RunCli({"init", "--origin", "x.example/y", "--admin-key", admin_, "--ledger", other});
    for (const CliResult* r : {&import, &cp, &init}) {
      if (safe) {
        EXPECT_EQ(r->exit_code, 0) << r->out << r->err;
        continue;
      }
      EXPECT_EQ(r->exit_code, 3) << r->out << r->err;
      EXPECT_THAT(r->out + r->err, HasSubstr("UNAUTHORIZED"));
      EXPECT_THAT(r->out + r->err, HasSubstr("chmod 600"));
    }
    if (!safe) {
      EXPECT_FALSE(fs::exists(other)) << "a refused init creates nothing";
    }
  }
  ASSERT_EQ(chmod((ledger_ + "/ledger.key").c_str(), 0600), 0);
  // 0600 and 0400 are fine.
  for (mode_t mode : {0600, 0400}) {
    ASSERT_EQ(chmod(national_.c_str(), mode), 0);
    EXPECT_EQ(RunCli({"import", "-", "--key", national_, "--ledger", ledger_}, SolutionLine(mode))
                  .exit_code,
              0);
  }
}

TEST_F(KeysCliTest, KeyNewWritesModeSixHundredAndNeverOverwrites) {
  struct stat st {};
  ASSERT_EQ(stat(national_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string before = ReadFile(national_);
  CliResult again = RunCli({"key", "new", "dgos", "--out", national_});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_EQ(ReadFile(national_), before);
}

// INTERFACE.md §5: BAD_INPUT is exit 2, whichever command answers it; `key new` onto an
// existing file answered BAD_INPUT with exit 3 (the exit was taken from the layer's
// "already exists", not from the public code).
TEST_F(KeysCliTest, KeyNewOntoAnExistingFileIsBadInputExitTwo) {
  const std::string before = ReadFile(national_);
  CliResult human = RunProgram({"key", "new", "dgos", "--out", national_});
  EXPECT_EQ(human.exit_code, 2) << human.err;
  EXPECT_THAT(human.err, HasSubstr("BAD_INPUT"));
  CliResult machine = RunProgram({"key", "new", "dgos", "--out", national_, "--json"});
  EXPECT_EQ(machine.exit_code, 2) << machine.out;
  json error = json::parse(machine.out);
  EXPECT_EQ(error["error"]["code"], "BAD_INPUT") << machine.out;
  EXPECT_EQ(ReadFile(national_), before);
}

TEST_F(KeysCliTest, MissingOrForeignKeyFilesAreKeyInvalid) {
  fs::path not_pem = dir_ / "not.pem";
  WriteFile(not_pem, "hello\n");
  chmod(not_pem.c_str(), 0600);
  // An RSA-looking PEM that is not Ed25519.
  fs::path rsa = dir_ / "rsa.pem";
  WriteFile(rsa,
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VuBCIEIA==\n-----END PRIVATE KEY-----\n");
  chmod(rsa.c_str(), 0600);
  for (const fs::path& key : {dir_ / "absent.pem", not_pem, rsa}) {
    CliResult r = RunCli({"import", "-", "--json", "--key", key.string(), "--ledger", ledger_},
                         SolutionLine(1));
    EXPECT_EQ(r.exit_code, 3) << key << ": " << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr("KEY_INVALID")) << key;
    EXPECT_THAT(r.out, HasSubstr(key.filename().string())) << "the message names the file";
  }
}

// Every command, at the most verbose log level, human and JSON: no output holds any
// piece of a private key.
TEST_F(KeysCliTest, NoCommandPrintsOrLogsAPrivateKey) {
  std::vector<std::string> secrets = Secrets(national_);
  for (const std::string& s : Secrets(admin_)) secrets.push_back(s);
  std::string fresh = (dir_ / "fresh.pem").string();
  std::vector<std::pair<std::vector<std::string>, std::string>> runs = {
      {{"key", "new", "fresh", "--out", fresh}, ""},
      {{"init", "--origin", "o.example/x", "--admin-key", admin_, "--ledger",
        (dir_ / "second.db").string()},
       ""},
      {{"import", "-", "--key", national_, "--ledger", ledger_}, SolutionLine(1)},
      {{"import", "-", "--json", "--key", national_, "--ledger", ledger_}, SolutionLine(2)},
      {{"import", "-", "--key", national_, "--ledger", ledger_}, "{\"id\": \"x\"}\n"},
      {{"import", "-", "--key", admin_, "--ledger", ledger_}, SolutionLine(3)},  // refused
      {{"checkpoint", "--key", ledger_ + "/ledger.key", "--ledger", ledger_}, ""},
      {{"checkpoint", "--json", "--key", national_, "--ledger", ledger_},
       ""},  // not the ledger key
      {{"log", "--key", national_, "--ledger", ledger_}, ""},
      {{"log", "--json", "--ledger", ledger_}, ""},
      {{"verify", "--key", admin_, "--ledger", ledger_}, ""},
      {{"verify", "--json", "--ledger", ledger_}, ""},
      {{"prove", "1", "--json", "--ledger", ledger_}, ""},
      {{"consistency", "1", "3", "--ledger", ledger_}, ""},
      {{"state", "nope", "--key", national_, "--ledger", ledger_}, ""},
      {{"history", "nope", "--ledger", ledger_}, ""},
      {{"check", "nope", "--ledger", ledger_}, ""},
      {{"rules", "--key", admin_}, ""},
      {{"--help"}, ""},
  };
  for (auto& [args, in] : runs) {
    args.push_back("--log-level");
    args.push_back("trace");
    CliResult r = RunCli(args, in);
    const std::string all = r.out + r.err;
    EXPECT_THAT(all, ::testing::Not(HasSubstr("PRIVATE KEY"))) << args[0];
    for (const std::string& secret : secrets) {
      EXPECT_THAT(all, ::testing::Not(HasSubstr(secret))) << args[0] << " printed a private key";
    }
  }
  // The fresh key's own secrets were never printed by `key new` either.
  CliResult again = RunCli({"key", "new", "fresh2", "--out", (dir_ / "fresh2.pem").string(),
                            "--json", "--log-level", "trace"});
  ASSERT_EQ(again.exit_code, 0);
  for (const std::string& secret : Secrets((dir_ / "fresh2.pem").string())) {
    EXPECT_THAT(again.out + again.err, ::testing::Not(HasSubstr(secret)));
  }
  // Nor is any file of the ledgers (RocksDB's LOG included) holding one.
  for (const std::string& db : {ledger_, (dir_ / "second.db").string()}) {
    for (const auto& entry : fs::recursive_directory_iterator(db)) {
      if (!entry.is_regular_file()) continue;
      const std::string bytes = ReadFile(entry.path());
      for (const std::string& secret : secrets) {
        EXPECT_EQ(bytes.find(secret), std::string::npos) << entry.path();
      }
    }
  }
}

}  // namespace
}  // namespace esms::testing
