// The offline-evidence commands: `bundle PROJECT --out FILE`, `verify-bundle FILE --trust
// ledger.pub [--witness KEY]`, `prove SEQ --format tlog-proof` and `witness cosign`
// (INTERFACE.md §2; DESIGN.md "Merkle tree and checkpoints").
//
// Only cli/app.cc parses arguments: AddEvidenceCommands declares the subcommands and
// their options into an EvidenceArgs that RunEvidenceCommand then reads.
//
// Thread-safety: single-threaded, like every command.
#ifndef ESMS_CLI_EVIDENCE_COMMANDS_H_
#define ESMS_CLI_EVIDENCE_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "cli/commands.h"

namespace CLI {
class App;
}  // namespace CLI

namespace esms::cli {

struct EvidenceArgs {
  // bundle PROJECT --out FILE
  std::string bundle_project;
  std::string bundle_out;
  // verify-bundle FILE --trust ledger.pub
  std::string verify_file;
  std::string trust;

  CLI::App* bundle = nullptr;
  CLI::App* verify_bundle = nullptr;
};

// Declares the subcommands on `app`; parsed values land in `*args` (which must outlive
// the parse), with the subcommand pointers.
void AddEvidenceCommands(CLI::App& app, EvidenceArgs* args);

// Runs the chosen evidence command, if one of them was chosen; returns its exit code.
std::optional<int> RunEvidenceCommand(const Globals& g, const EvidenceArgs& args);

// `prove SEQ --format tlog-proof [--size N] [--out FILE]`: a C2SP tlog-proof file.
int CmdProveTlog(const Globals& g, uint64_t seq, std::optional<uint64_t> size,
                 const std::optional<std::string>& out);

}  // namespace esms::cli

#endif  // ESMS_CLI_EVIDENCE_COMMANDS_H_
