// `mirror --from SOURCE --dir DIR --trust ledger.pub` (mirror/mirror.h, docs/mirror.md):
// brings a read-only copy of a ledger up to the checkpoint its tiles publish (a tiles
// directory written by `export-tiles`, or an http:// tiles server), checking every tile,
// record and author signature; exit 1 on a rollback, a fork or tampering, the copy left
// as it was. The copy is then read with `--ledger DIR` by every read command.
//
// Only cli/app.cc parses arguments: AddMirrorCommand declares the subcommand into a
// MirrorArgs that RunMirrorCommand then reads.
//
// Thread-safety: single-threaded, like every command.
#ifndef ESMS_CLI_MIRROR_COMMAND_H_
#define ESMS_CLI_MIRROR_COMMAND_H_

#include <optional>
#include <string>

#include "cli/commands.h"

namespace CLI {
class App;
}  // namespace CLI

namespace esms::cli {

struct MirrorArgs {
  std::string from;   // --from SOURCE
  std::string dir;    // --dir DIR
  std::string trust;  // --trust ledger.pub (or the verifier key line)
  CLI::App* command = nullptr;
};

void AddMirrorCommand(CLI::App& app, MirrorArgs* args);

// Runs `mirror` if it was chosen; returns its exit code.
std::optional<int> RunMirrorCommand(const Globals& g, const MirrorArgs& args);

// `mirror` itself (cli/mirror_command.cc; cli/served_absent.cc in a build without the
// service layer, -DESMS_SERVICE=OFF).
int CmdMirror(const Globals& g, const MirrorArgs& args);

}  // namespace esms::cli

#endif  // ESMS_CLI_MIRROR_COMMAND_H_
