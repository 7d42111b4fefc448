// The C2SP tlog-tiles commands (ledger/tiles.h, docs/tiles.md):
//   - `export-tiles --to DIR`: writes the tiles of the ledger's latest kept checkpoint
//     into DIR, incrementally (only new or grown tiles), each file atomically, the
//     `checkpoint` file last; any static web server then publishes DIR;
//   - `verify-tiles DIR --trust ledger.pub`: checks a tiles directory as any tlog-tiles
//     client would, with no ledger: the checkpoint's signature, every tile and entry, and
//     the root (exit 1 names the tile at fault).
//
// Only cli/app.cc parses arguments: AddTilesCommands declares the subcommands and their
// options into a TilesArgs that RunTilesCommand then reads.
//
// Thread-safety: single-threaded, like every command.
#ifndef ESMS_CLI_TILES_COMMAND_H_
#define ESMS_CLI_TILES_COMMAND_H_

#include <optional>
#include <string>

#include "cli/commands.h"

namespace CLI {
class App;
}  // namespace CLI

namespace esms::cli {

struct TilesArgs {
  std::string export_to;     // export-tiles --to DIR
  std::string verify_dir;    // verify-tiles DIR
  std::string verify_trust;  // verify-tiles --trust ledger.pub
  CLI::App* export_tiles = nullptr;
  CLI::App* verify_tiles = nullptr;
};

// Declares the subcommands on `app`; parsed values land in `*args` (which must outlive
// the parse).
void AddTilesCommands(CLI::App& app, TilesArgs* args);

// Runs the chosen tiles command, if one of them was chosen; returns its exit code.
std::optional<int> RunTilesCommand(const Globals& g, const TilesArgs& args);

}  // namespace esms::cli

#endif  // ESMS_CLI_TILES_COMMAND_H_
