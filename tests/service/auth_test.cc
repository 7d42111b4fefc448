// Who may read what over the service (issue 15, docs/access.md), through a real
// `esms-ledger serve` without --no-auth on a unix socket and real clients: the demo
// ledger (seed 2024: every project submitted by the key porteurs-53, in Bretagne, one
// grappe completed in Pays de la Loire), its keys in keys/NAME.pem. A porteur reads its
// own project and is refused another's with the message an unknown project gets; an ARS
// key reads the projects of its regions only; the auditor reads the log, a porteur does
// not; an anonymous connection reads checkpoints and proofs, no programme data; a key
// revoked while its connection is open reads nothing more on it; a challenge takes one
// answer. Each refusal is exit 3, UNAUTHORIZED, and is logged by the server with its
// request id.
#include <sys/socket.h>

#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <capnp/rpc-twoparty.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <nlohmann/json.hpp>

#include "ledger/keys.h"
#include "service/access.h"
#include "service/client.h"
#include "service/ledger_service.capnp.h"
#include "tests/service/server_fixture.h"
#include "tests/testing/cli.h"
#include "tests/testing/ids.h"

namespace esms::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

constexpr const char* kProject = "bzh-2023-0001";  // porteurs-53's; ESSMS in 53 and 52

// The event line revoking the key `name` ("left"), on 2026-01-06.
std::string RevokeLine(const std::string& name) {
  return json{{"id", "revoke-" + name},
              {"type", "key.revoked"},
              {"at", "2026-01-06"},
              {"data", {{"name", name}, {"reason", "left"}}}}
             .dump() +
         "\n";
}

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite_dir_ = new TempDir();
    CliResult demo = RunCli({"demo", "--dir", (suite_dir_->path() / "demo").string(),
                             "--establishments", "150", "--seed", "2024", "--json"});
    if (demo.exit_code != 0) suite_error_ = "demo: " + demo.out + demo.err;
  }
  static void TearDownTestSuite() {
    delete suite_dir_;
    suite_dir_ = nullptr;
    suite_error_.clear();
  }
  void SetUp() override {
    ASSERT_TRUE(suite_error_.empty()) << suite_error_;
    fs::copy(suite_dir_->path() / "demo", dir_ / "demo", fs::copy_options::recursive);
  }

  std::string Ledger() const { return (dir_ / "demo" / "ledger").string(); }
  std::string Key(const std::string& name) const {
    return (dir_ / "demo" / "keys" / (name + ".pem")).string();
  }
  std::string Socket() const { return (dir_ / "s.sock").string(); }
  std::string Server() const { return "unix:" + Socket(); }

  // The server, logins checked (no --no-auth).
  std::unique_ptr<ServerProcess> Serve() {
    auto server = std::make_unique<ServerProcess>(
        std::vector<std::string>{"serve", "--listen", Server(), "--ledger", Ledger()}, dir_.path());
    EXPECT_TRUE(server->ok()) << server->log();
    return server;
  }

  // `args` as a client of the server, logged in as `key` ("" anonymous).
  CliResult As(const std::string& key, std::vector<std::string> args,
               const std::string& stdin_text = "") {
    args.insert(args.end(), {"--server", Server()});
    if (!key.empty()) args.insert(args.end(), {"--key", Key(key)});
    return RunProgram(args, stdin_text);
  }
  // The same read run locally on the ledger (read-only, beside the server).
  CliResult Local(std::vector<std::string> args) {
    args.insert(args.end(), {"--ledger", Ledger()});
    return RunProgram(args);
  }

  // Enrols a new key NAME (keys/NAME.pem) with `roles` and `regions`, signed by admin.
  void Enrol(const std::string& name, const std::vector<std::string>& roles,
             const std::vector<std::string>& regions, bool through_server) {
    CliResult made = RunCli({"key", "new", name, "--out", Key(name), "--json"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    const std::string line = json{{"id", "key-" + name},
                                  {"type", "key.enrolled"},
                                  {"at", "2026-01-05"},
                                  {"data",
                                   {{"name", name},
                                    {"publicKey", json::parse(made.out)["publicKey"]},
                                    {"roles", roles},
                                    {"regions", regions}}}}
                                 .dump() +
                             "\n";
    CliResult imported =
        through_server ? As("admin", {"import", "-"}, line)
                       : RunCli({"import", "-", "--key", Key("admin"), "--ledger", Ledger()}, line);
    ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  }

  static void ExpectUnauthorized(const CliResult& r, const std::string& message) {
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "error: UNAUTHORIZED: " + message + "\n");
  }

  static inline TempDir* suite_dir_ = nullptr;
  static inline std::string suite_error_;
  TempDir dir_;
};

TEST_F(AuthTest, PorteurReadsItsOwnProjectAndIsRefusedAnothersAsAnUnknownOne) {
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  for (const std::vector<std::string>& read : {std::vector<std::string>{"state", kProject},
                                               {"check", kProject, "--at", "2025-12-05"},
                                               {"history", kProject, "--json"}}) {
    SCOPED_TRACE(fmt::format("{}", fmt::join(read, " ")));
    CliResult own = As("porteurs-53", read);
    CliResult local = Local(read);
    EXPECT_EQ(own.exit_code, 0) << own.err;
    EXPECT_EQ(own.out, local.out);
  }
  // Another porteur: refused, with the very message an unknown project gets.
  ExpectUnauthorized(As("porteurs-52", {"state", kProject}),
                     fmt::format("key 'porteurs-52' (porteur) may not read state of project "
                                 "\"{}\": a porteur reads the projects its key submitted",
                                 kProject));
  ExpectUnauthorized(As("porteurs-52", {"state", "bzh-2099-0001"}),
                     "key 'porteurs-52' (porteur) may not read state of project "
                     "\"bzh-2099-0001\": a porteur reads the projects its key submitted");
  // history: the one refusal whether the key names a project, an establishment or nothing.
  const std::string history_refusal =
      "key 'porteurs-52' (porteur) may not read history of \"{}\": a porteur reads the "
      "projects its key submitted, and the establishments those projects list";
  ExpectUnauthorized(As("porteurs-52", {"history", kProject}),
                     fmt::format(fmt::runtime(history_refusal), kProject));
  ExpectUnauthorized(As("porteurs-52", {"history", "220001283"}),  // an ESSMS of kProject
                     fmt::format(fmt::runtime(history_refusal), "220001283"));
  ExpectUnauthorized(As("porteurs-52", {"history", "bzh-2099-0001"}),
                     fmt::format(fmt::runtime(history_refusal), "bzh-2099-0001"));
  // The same error as any other, in JSON too.
  CliResult as_json = As("porteurs-52", {"check", kProject, "--json"});
  EXPECT_EQ(as_json.exit_code, 3);
  EXPECT_EQ(json::parse(as_json.out)["error"]["code"], "UNAUTHORIZED") << as_json.out;
  // A key that sees everything gets the read's own answer for an unknown project.
  CliResult unknown = As("national", {"state", "bzh-2099-0001"});
  EXPECT_EQ(unknown.exit_code, Local({"state", "bzh-2099-0001"}).exit_code);
  EXPECT_THAT(unknown.err, HasSubstr("UNKNOWN_PROJECT"));
  EXPECT_EQ(server->Stop(), 0);
  // Each refusal logged with its request id and who asked.
  const std::string log = server->log();
  EXPECT_THAT(log, HasSubstr("who=key 'porteurs-52' (porteur) read=state refused: UNAUTHORIZED"));
  EXPECT_THAT(log, HasSubstr("who=key 'porteurs-52' (porteur) read=history refused"));
  EXPECT_THAT(log, ::testing::ContainsRegex("req=[0-9]+ who=key 'porteurs-52'"));
}

TEST_F(AuthTest, ArsKeyReadsTheProjectsOfItsRegionsOnly) {
  Enrol("ars-11-instructor", {"ars-instructor"}, {"11"}, /*through_server=*/false);
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  // Bretagne (53), the project's region; Pays de la Loire (52), the region of its
  // complément de grappe: both read it.
  EXPECT_EQ(As("ars-53-instructor", {"state", kProject}).exit_code, 0);
  CliResult payer = As("ars-52-payer", {"check", kProject, "--at", "2025-12-05"});
  EXPECT_EQ(payer.exit_code, 0) << payer.err;
  EXPECT_EQ(payer.out, Local({"check", kProject, "--at", "2025-12-05"}).out);
  // Île-de-France (11): refused.
  CliResult other = As("ars-11-instructor", {"state", kProject});
  EXPECT_EQ(other.exit_code, 3);
  EXPECT_THAT(other.err, HasSubstr("UNAUTHORIZED: key 'ars-11-instructor' (ars-instructor) may "
                                   "not read state of project \"bzh-2023-0001\""));
  // An ARS key reads no log.
  EXPECT_EQ(As("ars-53-instructor", {"log", "--from", "1", "--to", "2"}).exit_code, 3);
  EXPECT_EQ(server->Stop(), 0);
}

// `report active-dui` and `bundle` run on the server; the client writes --out and
// --bundle: the same bytes printed and written as the local command, the same exit codes.
TEST_F(AuthTest, ReportAndBundlePrintAndWriteWhatTheLocalCommandsDo) {
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  const std::string out = (dir_ / "out.txt").string();
  const std::string bundle = (dir_ / "bundle.json").string();
  const std::vector<std::vector<std::string>> reads = {
      {"report", "active-dui", "--at", "2025-12-31"},
      {"report", "active-dui", "--at", "2025-12-31", "--json"},
      {"report", "active-dui", "--at", "2025-06-30", "--by", "department", "--format", "csv"},
      {"report", "active-dui", "--at", "2025-12-31", "--format", "html"},
      {"report", "active-dui", "--at", "2025-12-31", "--out", out},
      {"report", "active-dui", "--at", "2025-12-31", "--out", out, "--json", "--by", "region"},
      {"report", "active-dui", "--at", "2025-12-31", "--bundle", bundle},
      {"report", "active-dui", "--at", "2025-12-31", "--format", "html", "--out", out, "--bundle",
       bundle},
      {"report", "active-dui", "--at", "2025-12-31", "--out", out, "--bundle", out},
      {"report", "active-dui", "--at", "2025-12-31", "--format", "pdf"},
      {"report", "active-dui", "--at", "2025-12-31", "--out", (dir_ / "no" / "x").string()},
      {"bundle", kProject, "--out", bundle, "--at", "2025-12-05"},
      {"bundle", kProject, "--out", bundle, "--json"},
      {"bundle", "bzh-2099-0001", "--out", bundle},
  };
  for (const auto& read : reads) {
    SCOPED_TRACE(fmt::format("{}", fmt::join(read, " ")));
    fs::remove(out);
    fs::remove(bundle);
    CliResult local = Local(read);
    const std::string local_out = ReadFile(out), local_bundle = ReadFile(bundle);
    fs::remove(out);
    fs::remove(bundle);
    CliResult remote = As("national", read);
    EXPECT_EQ(remote.exit_code, local.exit_code) << remote.err;
    // The one difference: the hint "verify-bundle ... --trust" names the local ledger's
    // own ledger.pub, a path a client of the server cannot know ("ledger.pub").
    const std::regex trust(R"(--trust \S*/ledger\.pub)");
    EXPECT_EQ(remote.out, std::regex_replace(local.out, trust, "--trust ledger.pub"));
    // A file that cannot be written names its temporary file, named by the pid.
    const std::regex pid(R"(\.tmp\.[0-9]+)");
    EXPECT_EQ(std::regex_replace(remote.err, pid, ".tmp.PID"),
              std::regex_replace(std::regex_replace(local.err, trust, "--trust ledger.pub"), pid,
                                 ".tmp.PID"));
    EXPECT_EQ(ReadFile(out), local_out);
    EXPECT_EQ(ReadFile(bundle), local_bundle);
  }
  // The bundle the client wrote verifies with the ledger's key.
  ASSERT_EQ(As("national", {"bundle", kProject, "--out", bundle}).exit_code, 0);
  CliResult verified = RunProgram(
      {"verify-bundle", bundle, "--trust", (fs::path(Ledger()) / "ledger.pub").string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_EQ(server->Stop(), 0);
}

// The indicator is read by the national, auditor and ARS roles (the whole ledger's
// figure: public programme data); a porteur and an anonymous connection are refused,
// and the server logs it. `bundle P` follows `state P`'s rule.
TEST_F(AuthTest, ReportIsReadByNationalAuditorAndArsRolesBundleAsState) {
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  const std::vector<std::string> report = {"report", "active-dui", "--at", "2025-12-31", "--json"};
  const std::string whole = Local(report).out;
  for (const std::string key : {"national", "auditor", "ars-53-instructor", "ars-52-payer"}) {
    CliResult r = As(key, report);
    EXPECT_EQ(r.exit_code, 0) << key << r.err;
    EXPECT_EQ(r.out, whole) << key;
  }
  ExpectUnauthorized(As("porteurs-53", {"report", "active-dui", "--at", "2025-12-31"}),
                     "key 'porteurs-53' (porteur) may not read report active-dui: the indicator "
                     "is read by the national, auditor and ARS roles");
  ExpectUnauthorized(As("", {"report", "active-dui", "--at", "2025-12-31"}),
                     "anonymous connection may not read report active-dui: authenticate with an "
                     "enrolled key first");
  EXPECT_EQ(As("", {"report", "active-dui", "--at", "2025-12-31", "--json"}).exit_code, 3);

  const std::string bundle = (dir_ / "b.json").string();
  for (const std::string key : {"porteurs-53", "ars-53-instructor", "national"}) {
    fs::remove(bundle);
    CliResult own = As(key, {"bundle", kProject, "--out", bundle, "--at", "2025-12-05"});
    EXPECT_EQ(own.exit_code, 0) << key << own.err;
    EXPECT_TRUE(fs::exists(bundle)) << key;
  }
  fs::remove(bundle);
  ExpectUnauthorized(As("porteurs-52", {"bundle", kProject, "--out", bundle}),
                     fmt::format("key 'porteurs-52' (porteur) may not read bundle of project "
                                 "\"{}\": a porteur reads the projects its key submitted",
                                 kProject));
  ExpectUnauthorized(As("porteurs-52", {"bundle", "bzh-2099-0001", "--out", bundle}),
                     "key 'porteurs-52' (porteur) may not read bundle of project "
                     "\"bzh-2099-0001\": a porteur reads the projects its key submitted");
  EXPECT_EQ(As("", {"bundle", kProject, "--out", bundle}).exit_code, 3);
  EXPECT_FALSE(fs::exists(bundle));
  EXPECT_EQ(server->Stop(), 0);
  const std::string log = server->log();
  EXPECT_THAT(log, HasSubstr("read=report refused: UNAUTHORIZED: key 'porteurs-53'"));
  EXPECT_THAT(log, HasSubstr("read=bundle refused: UNAUTHORIZED: key 'porteurs-52'"));
}

TEST_F(AuthTest, AuditorReadsTheLogAPorteurDoesNot) {
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  const std::vector<std::string> read = {"log", "--from", "1", "--to", "40", "--json"};
  CliResult auditor = As("auditor", read);
  EXPECT_EQ(auditor.exit_code, 0) << auditor.err;
  EXPECT_EQ(auditor.out, Local(read).out);
  EXPECT_EQ(As("national", read).out, Local(read).out);
  ExpectUnauthorized(As("porteurs-53", {"log"}),
                     "key 'porteurs-53' (porteur) may not read log: every record is read by "
                     "the national and auditor roles only");
  EXPECT_EQ(server->Stop(), 0);
}

TEST_F(AuthTest, AnonymousReadsCheckpointsAndProofsButNoProgrammeData) {
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  for (const std::vector<std::string>& read : {std::vector<std::string>{"checkpoint"},
                                               {"prove", "7", "--json"},
                                               {"consistency", "3", "90"}}) {
    SCOPED_TRACE(fmt::format("{}", fmt::join(read, " ")));
    CliResult remote = As("", read);
    EXPECT_EQ(remote.exit_code, 0) << remote.err;
    EXPECT_EQ(remote.out, Local(read).out);
  }
  ExpectUnauthorized(As("", {"state", kProject}),
                     "anonymous connection may not read state of bzh-2023-0001: authenticate "
                     "with an enrolled key first");
  EXPECT_EQ(As("", {"history", kProject}).exit_code, 3);
  EXPECT_EQ(As("", {"log", "--from", "1", "--to", "2"}).exit_code, 3);
  EXPECT_EQ(As("", {"verify"}).exit_code, 3);
  EXPECT_EQ(server->Stop(), 0);
  EXPECT_THAT(server->log(), HasSubstr("anonymous connection"));
}

TEST_F(AuthTest, KeyRevokedWhileItsConnectionIsOpenReadsNothingMore) {
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  // Enrolled through the server (the admin key logs in and appends), then connected.
  Enrol("ars-53-new", {"ars-instructor"}, {"53"}, /*through_server=*/true);
  auto key = ledger::SigningKey::LoadPem(Key("ars-53-new"));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  service::ClientOptions options;
  options.server = Server();
  options.key = &*key;
  options.key_name = "ars-53-new";
  auto client = service::Client::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  service::ReadRequest state;
  state.command = service::ReadRequest::Command::kState;
  state.key = kProject;
  auto before = (*client)->Read(state);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(before->exit_code, 0) << before->err;
  EXPECT_THAT(before->out, HasSubstr("project bzh-2023-0001"));
  // Revoked by the admin through the server, while the connection stays open.
  const std::string revoke = RevokeLine("ars-53-new");
  CliResult revoked = As("admin", {"import", "-"}, revoke);
  ASSERT_EQ(revoked.exit_code, 0) << revoked.out << revoked.err;
  auto after = (*client)->Read(state);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->exit_code, 3);
  EXPECT_EQ(after->out, "");
  EXPECT_THAT(after->err, HasSubstr("error: UNAUTHORIZED: "));
  EXPECT_THAT(after->err, HasSubstr("ars-53-new"));
  // Nothing more, public reads included (the connection is the key's, and the key is
  // gone); a new login with the key is refused.
  service::ReadRequest checkpoint;
  checkpoint.command = service::ReadRequest::Command::kCheckpoint;
  auto public_read = (*client)->Read(checkpoint);
  ASSERT_TRUE(public_read.ok());
  EXPECT_EQ(public_read->exit_code, 3);
  EXPECT_THAT(public_read->err, HasSubstr("was revoked"));
  CliResult relogin = As("ars-53-new", {"state", kProject});
  EXPECT_EQ(relogin.exit_code, 3) << relogin.err;
  EXPECT_THAT(relogin.err, HasSubstr("UNAUTHORIZED"));
  client->reset();
  EXPECT_EQ(server->Stop(), 0);
}

// A revoked key's import: each line refused as the local import refuses it, naming the
// key and the seq of its revocation (not "not enrolled"), in text and in JSON.
TEST_F(AuthTest, ImportWithARevokedKeyIsRefusedAsTheLocalImportRefusesIt) {
  Enrol("porteurs-gone", {"porteur"}, {"53"}, /*through_server=*/false);
  const std::string revoke = RevokeLine("porteurs-gone");
  CliResult revoked = RunCli({"import", "-", "--key", Key("admin"), "--ledger", Ledger()}, revoke);
  ASSERT_EQ(revoked.exit_code, 0) << revoked.out << revoked.err;
  const std::string line = SolutionLines(1, 950);
  std::vector<CliResult> served;
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  const std::vector<std::vector<std::string>> imports = {{"import", "-"},
                                                         {"import", "-", "--json"}};
  for (const std::vector<std::string>& args : imports) {
    served.push_back(As("porteurs-gone", args, line));
  }
  EXPECT_EQ(server->Stop(), 0);
  for (size_t i = 0; i < imports.size(); ++i) {
    SCOPED_TRACE(fmt::format("{}", fmt::join(imports[i], " ")));
    std::vector<std::string> args = imports[i];
    args.insert(args.end(), {"--key", Key("porteurs-gone"), "--ledger", Ledger()});
    CliResult local = RunProgram(args, line);
    EXPECT_EQ(local.exit_code, 3) << local.err;
    EXPECT_THAT(local.out + local.err, HasSubstr("key 'porteurs-gone' was revoked at seq"));
    EXPECT_EQ(served[i].exit_code, local.exit_code);
    EXPECT_EQ(served[i].out, local.out);
    EXPECT_EQ(served[i].err, local.err);
  }
}

TEST_F(AuthTest, ALoginWithAKeyNotEnrolledUnderItsNameIsRefusedItsImportGoesOnAnonymously) {
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  // A key file named like an enrolled key, holding another key: the signature of the
  // challenge does not verify with the enrolled public key.
  fs::copy_file(Key("porteurs-52"), dir_ / "demo" / "keys" / "impostor.pem");
  fs::copy_file(Key("porteurs-52"), dir_ / "porteurs-53.pem");
  CliResult forged = RunProgram(
      {"state", kProject, "--server", Server(), "--key", (dir_ / "porteurs-53.pem").string()});
  EXPECT_EQ(forged.exit_code, 3) << forged.err;
  EXPECT_THAT(forged.err, HasSubstr("UNAUTHORIZED"));
  EXPECT_THAT(forged.out, Not(HasSubstr("project bzh-2023-0001")));
  CliResult unknown = As("impostor", {"prove", "3"});
  EXPECT_EQ(unknown.exit_code, 3) << unknown.err;
  EXPECT_THAT(unknown.err, HasSubstr("UNAUTHORIZED"));
  // An import is not a read: the ledger checks each event by its signer. A key whose
  // file's name is not its enrolled name cannot log in; its import goes on anonymously,
  // the events signed under the name the key is enrolled as.
  fs::copy_file(Key("national"), dir_ / "demo" / "keys" / "dgos-laptop.pem");
  CliResult imported = As("dgos-laptop", {"import", "-", "--json"}, SolutionLines(2, 900));
  EXPECT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  CliResult log = As("auditor", {"log", "--from", "5098", "--json"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  const json records = json::parse(log.out)["records"];
  ASSERT_EQ(records.size(), 2u) << log.out;
  EXPECT_EQ(records[0]["signer"], "national");
  EXPECT_EQ(server->Stop(), 0);
}

TEST_F(AuthTest, AChallengeTakesOneAnswer) {
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  auto key = ledger::SigningKey::LoadPem(Key("auditor"));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  // The Gate spoken to directly: challenge, a wrong answer, then the right one to the
  // same nonce (refused: the nonce is spent), then a new challenge answered right.
  auto io = kj::setupAsyncIo();
  auto address = io.provider->getNetwork().parseAddress(Server()).wait(io.waitScope);
  auto stream = address->connect().wait(io.waitScope);
  capnp::TwoPartyClient rpc(*stream);
  auto gate = rpc.bootstrap().castAs<service::schema::Gate>();
  auto challenge = [&] {
    auto reply = gate.challengeRequest().send().wait(io.waitScope);
    const std::string origin(reply.getOrigin().cStr(), reply.getOrigin().size());
    const ledger::Bytes nonce(reply.getNonce().begin(), reply.getNonce().end());
    return std::make_pair(origin, nonce);
  };
  auto authenticate = [&](const std::string& origin, const ledger::Bytes& nonce,
                          const std::string& name) {
    const ledger::Signature sig = service::SignChallenge(*key, origin, nonce, name);
    auto request = gate.authenticateRequest();
    request.setKeyName(name);
    request.setSignature(kj::arrayPtr(sig.data(), sig.size()));
    auto reply = request.send().wait(io.waitScope);
    return reply.hasError() ? std::string(reply.getError().getCode().cStr()) : std::string("OK");
  };
  auto [origin, nonce] = challenge();
  EXPECT_EQ(nonce.size(), service::kNonceSize);
  EXPECT_EQ(authenticate(origin, nonce, "national"), "UNAUTHORIZED");  // not its key
  EXPECT_EQ(authenticate(origin, nonce, "auditor"), "UNAUTHORIZED");   // nonce spent
  auto [origin2, nonce2] = challenge();
  EXPECT_NE(nonce2, nonce);
  EXPECT_EQ(authenticate(origin2, nonce2, "auditor"), "OK");
  EXPECT_EQ(authenticate(origin2, nonce2, "auditor"), "UNAUTHORIZED");  // spent once accepted
  EXPECT_EQ(server->Stop(), 0);
}

// INTERFACE.md §6: with --server every command runs with the same output and exit codes,
// and --key is the connection's login key (the ledger key stays on the server, which
// signs a checkpoint at every commit). `checkpoint --key K` answered USAGE ("does not run
// against a server") instead of the latest checkpoint; and verify-bundle and `witness
// key`, which read no ledger, were refused the same way.
TEST_F(AuthTest, CheckpointWithAKeyAndTheCommandsThatReadNoLedgerRunWithServer) {
  auto server = Serve();
  ASSERT_TRUE(server->ok());
  CliResult local = Local({"checkpoint", "--json"});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  for (const char* key : {"auditor", "porteurs-53"}) {
    SCOPED_TRACE(key);
    CliResult remote = As(key, {"checkpoint", "--json"});
    EXPECT_EQ(remote.exit_code, 0) << remote.out << remote.err;
    EXPECT_EQ(remote.out, local.out);
  }
  EXPECT_EQ(As("auditor", {"checkpoint"}).out, Local({"checkpoint"}).out);

  const std::string bundle = (dir_ / "b.json").string();
  ASSERT_EQ(As("auditor", {"bundle", kProject, "--out", bundle, "--at", "2025-12-31"}).exit_code,
            0);
  const std::string trust = (fs::path(Ledger()) / "ledger.pub").string();
  CliResult verified = As("auditor", {"verify-bundle", bundle, "--trust", trust, "--json"});
  CliResult verified_here = RunProgram({"verify-bundle", bundle, "--trust", trust, "--json"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_EQ(verified.out, verified_here.out);
  CliResult witness = As("auditor", {"witness", "key", "--name", "auditor"});
  EXPECT_EQ(witness.exit_code, 0) << witness.err;
  EXPECT_EQ(witness.out,
            RunProgram({"witness", "key", "--name", "auditor", "--key", Key("auditor")}).out);
  EXPECT_EQ(server->Stop(), 0);
}

}  // namespace
}  // namespace esms::testing
