#include "tests/reliability/fixture.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

namespace esms::testing {

CliResult RunCliWith(const std::vector<std::string>& args, const std::string& stdin_text,
                     const Limits& limits) {
  return RunCli(args, stdin_text, [&limits] {
    if (limits.file_size.has_value()) {
      signal(SIGXFSZ, SIG_IGN);  // kept across exec: writes past the limit fail with EFBIG
      rlimit limit{*limits.file_size, *limits.file_size};
      if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(126);
    }
    if (limits.as_nobody && geteuid() == 0) {
      if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(126);
    }
  });
}

KeyedLedger::KeyedLedger(const std::filesystem::path& dir, const std::vector<Grant>& grants)
    : dir_(dir), ledger_((dir / "ledger.db").string()) {
  if (CliResult r = RunCli({"key", "new", "admin", "--out", KeyFile("admin"), "--json"});
      r.exit_code != 0) {
    error_ = "key new admin: " + r.err;
    return;
  } else {
    public_keys_["admin"] = json::parse(r.out)["publicKey"];
  }
  CliResult init = RunCli({"init", "--origin", "test.example/reliability", "--admin-key",
                           KeyFile("admin"), "--ledger", ledger_});
  if (init.exit_code != 0) {
    error_ = "init: " + init.err;
    return;
  }
  enrolled_seq_["admin"] = 0;
  std::string lines;
  for (const Grant& g : grants) {
    CliResult made = RunCli({"key", "new", g.name, "--out", KeyFile(g.name), "--json"});
    if (made.exit_code != 0) {
      error_ = "key new " + g.name + ": " + made.err;
      return;
    }
    public_keys_[g.name] = json::parse(made.out)["publicKey"];
    json data = {{"name", g.name},
                 {"publicKey", public_keys_[g.name]},
                 {"roles", g.roles},
                 {"regions", g.regions}};
    lines += Line("key-" + g.name, "key.enrolled", "2023-01-02", data);
  }
  if (lines.empty()) return;
  CliResult enrolled = Import("admin", lines);
  if (enrolled.exit_code != 0) {
    error_ = "enrolment: " + enrolled.out + enrolled.err;
    return;
  }
  const json results = json::parse(enrolled.out)["results"];
  for (const auto& r : results) {
    enrolled_seq_[r["id"].get<std::string>().substr(4)] = r["seq"];
  }
}

std::string KeyedLedger::KeyFile(const std::string& name) const {
  return (dir_ / (name + ".pem")).string();
}

CliResult KeyedLedger::Run(std::vector<std::string> args, const std::string& in) const {
  args.push_back("--ledger");
  args.push_back(ledger_);
  return RunCli(args, in);
}

CliResult KeyedLedger::Import(const std::string& signer, const std::string& lines) const {
  return RunCli({"import", "-", "--json", "--key", KeyFile(signer), "--ledger", ledger_}, lines);
}

json KeyedLedger::LastResult(const CliResult& r) {
  json parsed = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object() && parsed.contains("results") && !parsed["results"].empty()) {
    return parsed["results"].back();
  }
  return parsed.is_object() ? parsed : json::object();
}

std::string KeyedLedger::Fingerprint() const {
  CliResult v = Run({"verify", "--json"});
  json j = json::parse(v.out, nullptr, false);
  if (v.exit_code != 0 || !j.is_object()) return "verify failed: " + v.out + v.err;
  return fmt::format("size {} root {} ok {}", j["size"].dump(), j["root"].dump(), j["ok"].dump());
}

}  // namespace esms::testing
