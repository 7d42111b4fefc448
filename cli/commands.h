// The esms-ledger commands. Each takes the parsed global options and its own arguments,
// writes its output to its run's console (Globals::out: JSON with --json, human text
// otherwise; messages and progress on Globals::err) and returns the process exit code
// (INTERFACE.md §5).
//
// Only cli/app.cc parses arguments; these functions never see CLI11.
#ifndef ESMS_CLI_COMMANDS_H_
#define ESMS_CLI_COMMANDS_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "cli/output.h"

namespace spdlog {
class logger;
}
namespace esms::ledger {
class Ledger;
class SigningKey;
}  // namespace esms::ledger
namespace esms::projections {
class Projector;
}

namespace esms::cli {

struct Globals {
  std::string ledger_dir;         // --ledger, $ESMS_LEDGER, ./esms-ledger.db
  std::string key_file;           // --key, $ESMS_LEDGER_KEY
  std::string ledger_key_file;    // --ledger-key (default: the ledger directory's ledger.key)
  bool json = false;              // --json
  bool stdin_closed = false;      // fd 0 was closed when the program started (now /dev/null)
  spdlog::logger* log = nullptr;  // on `err`; level from --log-level / $ESMS_LEDGER_LOG
  // The run's console (cli::Run): standard input, output and error.
  int in = 0;
  std::FILE* out = stdout;
  std::FILE* err = stderr;
  // --server ADDR [--tls-ca FILE]: the command runs against a server (cli/remote.h).
  std::string server;
  std::string tls_ca;
  // Set by `serve` for the reads it runs for its clients (cli/serve_command.cc): the
  // commands read this open ledger and its projected state instead of opening
  // --ledger. Null in every local run.
  ledger::Ledger* served_ledger = nullptr;
  projections::Projector* served_projector = nullptr;
};

// ReportError on the run's console.
// `text` on g.out, with a final newline when it has none, flushed.
void PrintLine(const Globals& g, std::string_view text);
// `value` as compact JSON on one line of g.out (a command's --json answer).
void PrintJson(const Globals& g, const nlohmann::json& value);

inline int ReportError(const Status& status, const Globals& g) {
  return ReportError(status, g.json, g.out, g.err);
}

// The --trust to suggest for checking what this run wrote: the ledger's own ledger.pub
// (DIR/ledger.pub) in a local run, so that the hint runs as printed; "ledger.pub" when
// the ledger is a server's.
std::string TrustHint(const Globals& g);

int CmdInit(const Globals& g, const std::string& origin, const std::string& admin_key_file,
            const std::string& admin_name);
int CmdKeyNew(const Globals& g, const std::string& name, const std::string& out_file);
int CmdImport(const Globals& g, const std::string& file);
// Signs the events of `file` offline for the ledger whose ledger.pub is `trust_file`.
int CmdSign(const Globals& g, const std::string& file, const std::string& trust_file,
            const std::string& out_file, const std::string& signer_name);
int CmdLog(const Globals& g, std::optional<uint64_t> from, std::optional<uint64_t> to);
// check_signatures = false: structural verify (everything but the records' Ed25519 checks).
int CmdVerify(const Globals& g, bool check_signatures = true);
int CmdCheckpoint(const Globals& g);
int CmdProve(const Globals& g, uint64_t seq, std::optional<uint64_t> size);
int CmdConsistency(const Globals& g, uint64_t old_size, uint64_t new_size);
int CmdState(const Globals& g, const std::string& project,
             const std::optional<std::string>& at = std::nullopt);
int CmdHistory(const Globals& g, const std::string& key);
int CmdCheck(const Globals& g, const std::string& project, const std::optional<std::string>& at);
// One signed line of `sign` for `line` (cli/sign_command.cc); also the client's import
// (cli/remote.cc) signs with it.
Result<std::string> SignEventLine(std::string_view line, std::string_view origin,
                                  std::string_view signer, const ledger::SigningKey& key);
int CmdRules(const Globals& g, const std::optional<std::string>& campaign);

// Whether the program was built with the service layer: false in a build configured with
// -DESMS_SERVICE=OFF (what `bash .ci/demo` builds on a fresh checkout, cli/served_absent.cc),
// where serve, --server, witness serve and add-checkpoint, mirror and demo --federated
// answer USAGE (exit 2).
bool HasServiceLayer();

}  // namespace esms::cli

#endif  // ESMS_CLI_COMMANDS_H_
