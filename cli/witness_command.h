// The witness as a service (witness/, c2sp.org/tlog-witness):
//   - `witness serve --listen HOST:PORT --key W.pem --name NAME --state DIR
//     --log [ORIGIN=]VKEY...`: an HTTP witness for the logs given (a ledger's ledger.pub
//     file, or its verifier key line), cosigning each checkpoint consistent with the last
//     one it cosigned for that origin, its state kept durably in DIR; prints the bound
//     address and its verifier key, then serves until SIGTERM or SIGINT;
//   - `witness add-checkpoint --url URL [--old N] [--witness KEY] [--out FILE]`: pushes
//     the ledger's latest checkpoint (read-only open of --ledger) to the witness at URL
//     and prints the cosigned checkpoint note (exit 1: ROLLBACK, CONSISTENCY_FAILED).
//
// Only cli/app.cc parses arguments: AddWitnessCommands declares the subcommands under
// the `witness` command (cli/evidence_commands.h) into a WitnessArgs that
// RunWitnessCommand then reads.
//
// Thread-safety: single-threaded, like every command.
#ifndef ESMS_CLI_WITNESS_COMMAND_H_
#define ESMS_CLI_WITNESS_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace CLI {
class App;
}  // namespace CLI

namespace esms::cli {

struct WitnessArgs {
  // witness serve
  std::string listen;
  std::string name;
  std::string state_dir;
  std::vector<std::string> logs;
  // witness add-checkpoint
  std::string url;
  uint64_t old_size = 0;
  std::optional<std::string> witness_key;
  std::optional<std::string> out;
  CLI::App* serve = nullptr;
  CLI::App* add_checkpoint = nullptr;
};

// Declares `serve` and `add-checkpoint` under `witness`; parsed values land in `*args`
// (which must outlive the parse).
void AddWitnessCommands(CLI::App& witness, WitnessArgs* args);

// Runs the chosen witness command, if one of them was chosen; returns its exit code.
std::optional<int> RunWitnessCommand(const Globals& g, const WitnessArgs& args);

// The two commands (cli/witness_command.cc; cli/served_absent.cc in a build without the
// service layer, -DESMS_SERVICE=OFF).
int CmdWitnessServe(const Globals& g, const WitnessArgs& args);
int CmdWitnessAddCheckpoint(const Globals& g, const WitnessArgs& args);

}  // namespace esms::cli

#endif  // ESMS_CLI_WITNESS_COMMAND_H_
