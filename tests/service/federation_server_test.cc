// `report active-dui --federation FILE` with `server` entries (issue 16, docs/federation.md):
// real `esms-ledger serve` processes (logins checked) on unix sockets, one over TLS with a
// test CA made here, each holding a small region demo (Bretagne, Auvergne-Rhône-Alpes,
// Île-de-France) or an empty national ledger, each ledger with the national key `dgos`
// enrolled. The federated report over the servers prints what the same over the ledger
// directories prints (byte for byte, JSON and text), a mixed file too; the national
// bundle of the servers is the one of the directories and verifies offline with
// `verify-bundle --federation`; each refusal is the documented error naming the entry:
// an unreachable server (STORAGE_ERROR), an anonymous federation (UNAUTHORIZED, saying
// so), a porteur key (UNAUTHORIZED), a server whose checkpoint key is not the trusted one
// (UNAUTHORIZED), an establishment counted by two entries (DUPLICATE_FINESS).
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/service/server_fixture.h"
#include "tests/testing/cli.h"
#include "tests/testing/federation.h"

namespace esms::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kAt = "2024-12-31";

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

int Sh(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()); }

class FederationServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const fs::path d = dir_->path();
    CliResult dgos = RunCli({"key", "new", "dgos", "--out", (d / "dgos.pem").string(), "--json"});
    ASSERT_EQ(dgos.exit_code, 0) << dgos.err;
    const std::string dgos_pub = json::parse(dgos.out)["publicKey"];
    const std::vector<std::vector<std::string>> demos = {
        {"bzh", "53", "11"}, {"ara", "84", "15"}, {"idf", "11", "22"}};
    for (const auto& demo : demos) {
      CliResult made = RunCli({"demo", "--dir", (d / demo[0]).string(), "--region", demo[1],
                               "--seed", demo[2], "--establishments", "80", "--json"});
      ASSERT_EQ(made.exit_code, 0) << demo[0] << made.err << made.out;
    }
    ASSERT_EQ(RunCli({"key", "new", "admin", "--out", (d / "nat-admin.pem").string()}).exit_code,
              0);
    CliResult init = RunCli({"init", "--origin", "national.example/esms", "--admin-key",
                             (d / "nat-admin.pem").string(), "--ledger", Ledger("nat")});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    // The national key, enrolled in every ledger by its admin.
    const std::string enrol = json{{"id", "key-dgos"},
                                   {"type", "key.enrolled"},
                                   {"at", "2023-01-02"},
                                   {"data",
                                    {{"name", "dgos"},
                                     {"publicKey", dgos_pub},
                                     {"roles", {"national"}},
                                     {"regions", json::array()}}}}
                                  .dump() +
                              "\n";
    // "dup": a ledger of its own (origin, key) that measures an establishment bzh counts,
    // with dgos enrolled too.
    ASSERT_FALSE(MakeDuplicateLedger(d, Ledger("dup"), Ledger("bzh"), kAt, enrol).empty());
    for (const std::string name : {"bzh", "ara", "idf", "nat"}) {
      const std::string admin = name == "nat" ? (d / "nat-admin.pem").string()
                                              : (d / name / "keys" / "admin.pem").string();
      CliResult e = RunCli({"import", "-", "--key", admin, "--ledger", Ledger(name)}, enrol);
      ASSERT_EQ(e.exit_code, 0) << name << e.err;
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_FALSE(HasFatalFailure()); }

  static std::string Ledger(const std::string& name) {
    return name == "nat" || name == "dup" ? (dir_->path() / name).string()
                                          : (dir_->path() / name / "ledger").string();
  }
  static std::string Pub(const std::string& name) {
    return (fs::path(Ledger(name)) / "ledger.pub").string();
  }
  static std::string Dgos() { return (dir_->path() / "dgos.pem").string(); }
  std::string Socket(const std::string& name) const {
    return "unix:" + (tmp_ / (name + ".sock")).string();
  }

  // A server for `name`'s ledger on its unix socket, logins checked.
  void Serve(const std::string& name) {
    servers_[name] = std::make_unique<ServerProcess>(
        std::vector<std::string>{"serve", "--listen", Socket(name), "--ledger", Ledger(name)},
        tmp_.path());
    ASSERT_TRUE(servers_[name]->ok()) << servers_[name]->log();
  }

  // A federation file: each name as a server entry when `served`, else a ledger entry.
  std::string Federation(const std::string& file, const std::vector<std::string>& names,
                         const std::map<std::string, bool>& served) {
    json list = json::array();
    for (const std::string& n : names) {
      json e = {{"name", n}, {"trust", Pub(n)}};
      if (served.at(n)) {
        e["server"] = Socket(n);
      } else {
        e["ledger"] = Ledger(n);
      }
      list.push_back(e);
    }
    const fs::path path = tmp_ / file;
    WriteFile(path, list.dump(1));
    return path.string();
  }

  static CliResult Report(const std::string& federation, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"report",   "active-dui", "--federation",
                                     federation, "--at",       kAt};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunProgram(args);
  }

  static inline TempDir* dir_ = nullptr;
  TempDir tmp_;
  std::map<std::string, std::unique_ptr<ServerProcess>> servers_;
};

const std::vector<std::string> kAll = {"bzh", "ara", "idf", "nat"};

TEST_F(FederationServerTest, ServersGiveWhatTheLedgerDirectoriesGive) {
  for (const std::string& n : kAll) Serve(n);
  const std::map<std::string, bool> none = {
      {"bzh", false}, {"ara", false}, {"idf", false}, {"nat", false}};
  const std::map<std::string, bool> all = {
      {"bzh", true}, {"ara", true}, {"idf", true}, {"nat", true}};
  const std::map<std::string, bool> mixed = {
      {"bzh", true}, {"ara", false}, {"idf", true}, {"nat", false}};
  const std::string dirs = Federation("dirs.json", kAll, none);
  const std::string servers = Federation("servers.json", kAll, all);
  const std::string mix = Federation("mixed.json", kAll, mixed);

  for (const std::vector<std::string>& options :
       {std::vector<std::string>{"--json"}, {"--json", "--by", "region"}, {}}) {
    SCOPED_TRACE(fmt::format("{}", fmt::join(options, " ")));
    CliResult local = Report(dirs, options);
    ASSERT_EQ(local.exit_code, 0) << local.err;
    CliResult remote = Report(servers, Concat(options, {"--key", Dgos()}));
    EXPECT_EQ(remote.exit_code, 0) << remote.err;
    EXPECT_EQ(remote.out, local.out);
    CliResult partly = Report(mix, Concat(options, {"--key", Dgos()}));
    EXPECT_EQ(partly.exit_code, 0) << partly.err;
    EXPECT_EQ(partly.out, local.out);
  }
  const json national = json::parse(Report(dirs, {"--json"}).out);
  EXPECT_GT(national["total"].get<int64_t>(), 0);
  EXPECT_EQ(national["shares"].size(), 4u);

  // The national bundle: the same bytes from the servers as from the directories, and it
  // verifies offline with the federation file of servers (its trust files only).
  const std::string from_dirs = (tmp_ / "national-dirs.json").string();
  const std::string from_servers = (tmp_ / "national-servers.json").string();
  ASSERT_EQ(Report(dirs, {"--bundle", from_dirs}).exit_code, 0);
  CliResult bundled = Report(servers, {"--bundle", from_servers, "--key", Dgos()});
  ASSERT_EQ(bundled.exit_code, 0) << bundled.err;
  EXPECT_EQ(ReadFile(from_servers), ReadFile(from_dirs));
  CliResult verified = RunProgram({"verify-bundle", from_servers, "--federation", servers});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("national bundle verified: 4 parts"));

  // Each server logged the share read of the national key.
  EXPECT_THAT(servers_["bzh"]->log(), HasSubstr("read=share exit=0"));
  for (auto& [name, server] : servers_) EXPECT_EQ(server->Stop(), 0) << name;
}

TEST_F(FederationServerTest, AServerOverTlsWithTheTestCa) {
  const fs::path d = tmp_.path();
  WriteFile(d / "san.ext", "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:127.0.0.1\n");
  ASSERT_EQ(Sh(fmt::format("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                           "-keyout {0}/ca.key -out {0}/ca.pem -subj /CN=ca -days 2 && "
                           "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                           "-keyout {0}/srv.key -out {0}/srv.csr -subj /CN=localhost && "
                           "openssl x509 -req -in {0}/srv.csr -CA {0}/ca.pem -CAkey {0}/ca.key "
                           "-CAcreateserial -out {0}/srv.pem -days 2 -extfile {0}/san.ext",
                           d.string())),
            0);
  ServerProcess tls({"serve", "--listen", "127.0.0.1:0", "--tls-cert", (d / "srv.pem").string(),
                     "--tls-key", (d / "srv.key").string(), "--ledger", Ledger("ara")},
                    d);
  ASSERT_TRUE(tls.ok()) << tls.log();
  Serve("bzh");
  json list = json::array({{{"name", "bzh"}, {"server", Socket("bzh")}, {"trust", Pub("bzh")}},
                           {{"name", "ara"},
                            {"server", tls.address()},
                            {"trust", Pub("ara")},
                            {"tlsCa", "ca.pem"}}});  // relative to the file
  WriteFile(d / "tls.json", list.dump());
  json dirs = json::array({{{"name", "bzh"}, {"ledger", Ledger("bzh")}, {"trust", Pub("bzh")}},
                           {{"name", "ara"}, {"ledger", Ledger("ara")}, {"trust", Pub("ara")}}});
  WriteFile(d / "dirs.json", dirs.dump());
  CliResult remote = Report((d / "tls.json").string(), {"--json", "--key", Dgos()});
  EXPECT_EQ(remote.exit_code, 0) << remote.err;
  CliResult local = Report((d / "dirs.json").string(), {"--json"});
  EXPECT_EQ(remote.out, local.out);
  EXPECT_EQ(tls.Stop(), 0);
}

TEST_F(FederationServerTest, EachRefusalNamesTheEntry) {
  Serve("bzh");
  Serve("ara");
  const std::map<std::string, bool> served = {{"bzh", true}, {"ara", true}, {"idf", true}};
  // idf has no server: its socket is there for nobody.
  const std::string file = Federation("f.json", {"bzh", "ara", "idf"}, served);
  CliResult unreachable = Report(file, {"--key", Dgos()});
  EXPECT_EQ(unreachable.exit_code, 4) << unreachable.err;
  EXPECT_THAT(unreachable.err,
              HasSubstr(fmt::format("error: STORAGE_ERROR: {}: 'idf' ({}): cannot reach the "
                                    "server {}",
                                    file, Socket("idf"), Socket("idf"))));

  const std::string two = Federation("two.json", {"bzh", "ara"}, served);
  // No --key: anonymous, which reads no share; the error says so.
  CliResult anonymous = Report(two);
  EXPECT_EQ(anonymous.exit_code, 3) << anonymous.err;
  EXPECT_THAT(anonymous.err, HasSubstr("error: UNAUTHORIZED: " + two + ": 'bzh' (" + Socket("bzh") +
                                       "): the federation logged in anonymously"));
  EXPECT_THAT(anonymous.err, HasSubstr("give --key, a national key enrolled in each ledger"));
  EXPECT_THAT(servers_["bzh"]->log(), HasSubstr("refused"));
  // A porteur's key reads no share either.
  CliResult porteur =
      Report(two, {"--key", (dir_->path() / "bzh" / "keys" / "porteurs-53.pem").string()});
  EXPECT_EQ(porteur.exit_code, 3) << porteur.err;
  EXPECT_THAT(porteur.err, HasSubstr("UNAUTHORIZED"));
  EXPECT_THAT(porteur.err, HasSubstr("'bzh'"));

  // A server whose checkpoint key is not the one trusted.
  json wrong = json::array({{{"name", "bzh"}, {"server", Socket("bzh")}, {"trust", Pub("ara")}}});
  WriteFile(tmp_ / "wrong.json", wrong.dump());
  CliResult untrusted = Report((tmp_ / "wrong.json").string(), {"--key", Dgos(), "--json"});
  EXPECT_EQ(untrusted.exit_code, 3) << untrusted.out;
  const json error = json::parse(untrusted.out, nullptr, false);
  ASSERT_TRUE(error.is_object()) << untrusted.out;
  EXPECT_EQ(error["error"]["code"], "UNAUTHORIZED");
  EXPECT_THAT(error["error"]["message"].get<std::string>(),
              HasSubstr("'bzh' (" + Socket("bzh") + "): the server " + Socket("bzh") +
                        " signs its checkpoints with"));

  // One ledger twice, once as a directory and once as its server: the same log.
  json twice =
      json::array({{{"name", "bzh"}, {"server", Socket("bzh")}, {"trust", Pub("bzh")}},
                   {{"name", "bzh-dir"}, {"ledger", Ledger("bzh")}, {"trust", Pub("bzh")}}});
  WriteFile(tmp_ / "twice.json", twice.dump());
  CliResult same = Report((tmp_ / "twice.json").string(), {"--key", Dgos()});
  EXPECT_EQ(same.exit_code, 2) << same.err;
  EXPECT_THAT(same.err, HasSubstr("'bzh' and 'bzh-dir' are the same log"));

  // An establishment counted by two servers' ledgers.
  Serve("dup");
  const std::string dup = Federation("dup.json", {"bzh", "dup"}, {{"bzh", true}, {"dup", true}});
  CliResult counted_twice = Report(dup, {"--key", Dgos()});
  EXPECT_EQ(counted_twice.exit_code, 3) << counted_twice.err;
  EXPECT_THAT(counted_twice.err, HasSubstr("error: DUPLICATE_FINESS: " + dup + ": establishment"));
  EXPECT_THAT(counted_twice.err, HasSubstr("is counted by 'bzh'"));
  for (auto& [name, server] : servers_) EXPECT_EQ(server->Stop(), 0) << name;
}

}  // namespace
}  // namespace esms::testing
