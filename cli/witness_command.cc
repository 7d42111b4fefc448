// The witness as a service. See cli/witness_command.h.
#include "cli/witness_command.h"

#include <cstdio>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "cli/evidence_commands.h"
#include "cli/input.h"
#include "cli/output.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "witness/client.h"
#include "witness/server.h"
#include "witness/witness.h"

namespace esms::cli {

using nlohmann::json;

int CmdWitnessServe(const Globals& g, const WitnessArgs& a) {
  if (g.key_file.empty()) {
    return ReportError(Status::InvalidArgument(error_code::kUsage,
                                               "give the witness's private key with --key FILE"),
                       g);
  }
  Result<ledger::SigningKey> key = ledger::SigningKey::LoadPem(g.key_file);
  if (!key.ok()) return ReportError(key.status(), g);
  std::vector<witness::LogConfig> logs;
  for (const std::string& arg : a.logs) {
    Result<witness::LogConfig> log = witness::ParseLogArgument(arg);
    if (!log.ok()) return ReportError(log.status(), g);
    logs.push_back(*std::move(log));
  }
  Result<std::unique_ptr<witness::Witness>> w =
      witness::Witness::Open(a.state_dir, a.name, *std::move(key), std::move(logs));
  if (!w.ok()) return ReportError(w.status(), g);
  witness::Witness& wit = **w;

  witness::ServeOptions options;
  options.listen = a.listen;
  options.on_listening = [&](const std::string& address) {
    // A unix socket is for a proxy in front (the clients here speak http://HOST:PORT).
    const std::string url = address.starts_with("unix:") ? address : "http://" + address;
    if (g.json) {
      PrintLine(g, json{{"listening", address},
                        {"url", url},
                        {"witness", wit.VerifierKey()},
                        {"state", wit.state_file().string()}}
                       .dump());
    } else {
      PrintLine(g,
                fmt::format("witness {} listening on {}\n{}", wit.name(), url, wit.VerifierKey()));
    }
  };
  spdlog::logger* log = g.log;
  if (log != nullptr && log->should_log(spdlog::level::info)) {
    options.on_request = [log](std::string_view method, std::string_view path, int status) {
      log->info("{} {} {}", method, path, status);
    };
  }
  Status served = witness::Serve(wit, options);
  if (!served.ok()) return ReportError(served, g);
  return kExitOk;
}

int CmdWitnessAddCheckpoint(const Globals& g, const WitnessArgs& a) {
  std::optional<ledger::NoteVerifier> witness_key;
  if (a.witness_key.has_value()) {
    Result<ledger::NoteVerifier> v =
        ledger::LoadVerifierKey(*a.witness_key, ledger::kSignatureTypeCosignatureV1, "--witness");
    if (!v.ok()) return ReportError(v.status(), g);
    witness_key = *std::move(v);
  }
  auto opened = ledger::Ledger::Open(g.ledger_dir, ledger::Ledger::Mode::kReadOnly);
  if (!opened.ok()) return ReportError(opened.status(), g);
  Result<witness::PushResult> pushed =
      witness::PushLatestCheckpoint(**opened, a.url, a.old_size, witness_key);
  if (!pushed.ok()) return ReportError(pushed.status(), g);
  if (a.out.has_value()) {
    Status s = WriteFileAtomically(*a.out, pushed->cosigned_note);
    if (!s.ok()) return ReportError(s, g);
  }
  if (g.json) {
    json j = {{"note", pushed->cosigned_note},
              {"size", pushed->size},
              {"attempts", pushed->attempts},
              {"url", a.url}};
    if (pushed->timestamp.has_value()) j["time"] = *pushed->timestamp;
    PrintLine(g, j.dump());
  } else {
    fmt::print(g.err, "the witness {} cosigned checkpoint {} of {}\n", a.url, pushed->size,
               (*opened)->origin());
    std::fwrite(pushed->cosigned_note.data(), 1, pushed->cosigned_note.size(), g.out);
  }
  return kExitOk;
}

}  // namespace esms::cli
