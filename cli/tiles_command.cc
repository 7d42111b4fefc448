// export-tiles and verify-tiles (cli/tiles_command.h).
#include "cli/tiles_command.h"

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/input.h"
#include "cli/output.h"
#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "ledger/tiles.h"

namespace esms::cli {
namespace {

using ledger::Ledger;
using nlohmann::json;

int CmdExportTiles(const Globals& g, const TilesArgs& a) {
  auto opened = Ledger::Open(g.ledger_dir, Ledger::Mode::kReadOnly);
  if (!opened.ok()) return ReportError(opened.status(), g);
  Progress progress("export-tiles", 0, g.err);
  auto exported = ledger::ExportTiles(**opened, a.export_to, [&](uint64_t done, uint64_t total) {
    progress.SetTotal(total);
    progress.Update(done);
  });
  progress.Finish();
  if (!exported.ok()) return ReportError(exported.status(), g);
  const ledger::TileExport& e = *exported;
  if (g.json) {
    PrintJson(g, {{"size", e.size},
                  {"root", ledger::ToHex(e.root)},
                  {"written", e.written},
                  {"kept", e.kept},
                  {"removed", e.removed}});
  } else {
    fmt::print(g.out,
               "exported the tiles of checkpoint {} (root {}) to {}: {} files written, {} kept, {} "
               "partial tiles removed\n",
               e.size, ledger::ToHex(e.root), a.export_to, e.written, e.kept, e.removed);
  }
  return kExitOk;
}

int CmdVerifyTiles(const Globals& g, const TilesArgs& a) {
  auto trust = ledger::LoadVerifierKey(a.verify_trust, ledger::kSignatureTypeEd25519, "--trust");
  if (!trust.ok()) return ReportError(trust.status(), g);
  Progress progress("verify-tiles", 0, g.err);
  auto verified = ledger::VerifyTiles(ledger::DirectoryTileSource(a.verify_dir), *trust, {},
                                      [&](uint64_t done, uint64_t total) {
                                        progress.SetTotal(total);
                                        progress.Update(done);
                                      });
  progress.Finish();
  if (!verified.ok()) return ReportError(verified.status(), g);
  const ledger::Checkpoint& c = verified->checkpoint;
  if (g.json) {
    PrintJson(g, {{"ok", true},
                  {"origin", c.origin},
                  {"size", c.size},
                  {"root", ledger::ToHex(c.root)},
                  {"tiles", verified->tiles}});
  } else {
    fmt::print(g.out,
               "OK: checkpoint {} of {} signed by the ledger key; {} tiles and entry bundles check "
               "against it\nroot {}\n",
               c.size, c.origin, verified->tiles, ledger::ToHex(c.root));
  }
  return kExitOk;
}

}  // namespace

void AddTilesCommands(CLI::App& app, TilesArgs* args) {
  args->export_tiles = app.add_subcommand(
      "export-tiles",
      "Write the ledger as a C2SP tiled transparency log (c2sp.org/tlog-tiles) into a "
      "directory that any static web server can publish: the latest kept checkpoint, the "
      "Merkle tree's hash tiles and the records as entry bundles. Incremental: only new or "
      "grown tiles are written, each file atomically, the checkpoint last (docs/tiles.md). "
      "--json: {\"size\", \"root\", \"written\", \"kept\", \"removed\"}");
  args->export_tiles->add_option("--to", args->export_to, "Directory of the tiles (created)")
      ->required();

  args->verify_tiles = app.add_subcommand(
      "verify-tiles",
      "Check a tiles directory with no ledger, as any tlog-tiles client would: the "
      "checkpoint's signature by the ledger key, every hash tile and entry bundle, and the "
      "root. Exit 1 names the tile at fault (CORRUPTION) or a root that is not the "
      "checkpoint's (CONSISTENCY_FAILED)");
  args->verify_tiles->add_option("DIR", args->verify_dir, "Directory of the tiles")->required();
  args->verify_tiles
      ->add_option("--trust", args->verify_trust,
                   "The ledger's verifier key, or the file holding it (ledger.pub)")
      ->required();
}

std::optional<int> RunTilesCommand(const Globals& g, const TilesArgs& args) {
  if (args.export_tiles != nullptr && *args.export_tiles) return CmdExportTiles(g, args);
  if (args.verify_tiles != nullptr && *args.verify_tiles) return CmdVerifyTiles(g, args);
  return std::nullopt;
}

}  // namespace esms::cli
