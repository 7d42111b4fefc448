// The witness as a service. See cli/witness_command.h.
#include "cli/witness_command.h"

#include <cstdio>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
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
namespace {

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

}  // namespace

void AddWitnessCommands(CLI::App& witness, WitnessArgs* args) {
  args->serve = witness.add_subcommand(
      "serve",
      "Serve as an HTTP witness (C2SP tlog-witness: POST /add-checkpoint) for the logs given "
      "with --log, with the witness key --key: cosign each checkpoint consistent with the last "
      "one cosigned for its origin (refused: 409 with the size held, 422 an inconsistent "
      "proof, 404 an unknown log, 403 a bad signature), the state written durably to --state "
      "before answering. Prints the address and the witness's verifier key; stops on "
      "SIGTERM/SIGINT");
  args->serve
      ->add_option("--listen", args->listen, "HOST:PORT (port 0: any free port) or unix:PATH")
      ->required();
  args->serve->add_option("--name", args->name, "The witness's key name, e.g. witness.example/w1")
      ->required();
  args->serve
      ->add_option("--state", args->state_dir,
                   "Directory of the witness's state (created if needed; locked)")
      ->required();
  args->serve
      ->add_option("--log", args->logs,
                   "A log to witness: its ledger.pub file or verifier key line, as ORIGIN=KEY "
                   "when the origin is not the key's name (repeat for more logs)")
      ->required();

  args->add_checkpoint = witness.add_subcommand(
      "add-checkpoint",
      "Push the ledger's latest checkpoint to the witness at --url (C2SP tlog-witness) with "
      "the consistency proof from the size the witness holds; print the cosigned note. Exit 1 "
      "when the witness holds a larger tree (ROLLBACK) or refuses the proof (CONSISTENCY_FAILED)");
  args->add_checkpoint->add_option("--url", args->url, "The witness, http://HOST:PORT")->required();
  args->add_checkpoint->add_option(
      "--old", args->old_size,
      "The size the witness is believed to hold (default 0; on a 409 the size it names is used)");
  args->add_checkpoint->add_option(
      "--witness", args->witness_key,
      "Require a valid cosignature by this witness key (verifier key line or a file holding it)");
  args->add_checkpoint->add_option("--out", args->out, "Also write the cosigned note to this file");
}

std::optional<int> RunWitnessCommand(const Globals& g, const WitnessArgs& args) {
  if (args.serve != nullptr && *args.serve) return CmdWitnessServe(g, args);
  if (args.add_checkpoint != nullptr && *args.add_checkpoint)
    return CmdWitnessAddCheckpoint(g, args);
  return std::nullopt;
}

}  // namespace esms::cli
