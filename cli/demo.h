// The `esms-ledger demo` command: builds a realistic synthetic ESMS numérique programme
// (demo/generator.h) into a fresh ledger in DIR/ledger, with its keys in DIR/keys
// (mode 0600) and the accepted events in DIR/events.jsonl, imports a few attempts the
// programme rules refuse, and walks a newcomer through the result: ledger size and
// root, import rate, one project's history, state and payment check, the refusals with
// their codes, the PNRR active-DUI report (projections::ComputeActiveDui, also written
// as the page DIR/report.html), a signed checkpoint and a passing verify. A fixed clock
// stamps the records, so the same seed gives the same ledger and root.
//
// Only cli/app.cc parses arguments: AddDemoCommand declares the subcommand's options
// into a DemoArgs that CmdDemo then reads.
//
// Thread-safety: single-threaded, like every command.
#ifndef ESMS_CLI_DEMO_H_
#define ESMS_CLI_DEMO_H_

#include <cstdint>
#include <filesystem>
#include <string>

#include "base/status.h"
#include "cli/commands.h"

namespace CLI {
class App;
}  // namespace CLI

namespace esms::cli {

struct DemoArgs {
  // --dir: refused if non-empty and not a previous demo. Empty: esms-demo, or with
  // --scale national --federated a fresh directory under the temp dir.
  std::string dir;
  std::string scale = "region";  // --scale region|national
  uint64_t seed = 2024;          // --seed
  int until = 2025;              // --until: the last year of monthly measurements
  int establishments = 0;        // --establishments (hidden, for tests): 0 = the scale's
  std::string region = "53";     // --region (hidden): the region of the region scale
  // --federated: with --scale national, the federated demo (cli/demo_federated.h); with
  // --scale region (hidden use), one region's ledger numbered to sit beside the others.
  bool federated = false;
  int regions = 18;  // --regions (hidden, for tests): the federated demo's first N regions
};

// DIR must be absent, empty, or a previous demo (then removed); creates DIR/keys (0700)
// and the marker file that lets a later demo replace DIR.
Status PrepareDemoDir(const std::filesystem::path& dir);

// Declares `demo` and its options on `app`; the parsed values land in `*args`, which
// must outlive the parse. Returns the subcommand (true when chosen).
CLI::App* AddDemoCommand(CLI::App& app, DemoArgs* args);

// Runs the demo; returns the exit code (INTERFACE.md §5): 0 done, 1 the built ledger
// does not verify, 2 usage (DIR not empty and not a previous demo), 4 storage.
int CmdDemo(const Globals& g, const DemoArgs& args);

}  // namespace esms::cli

#endif  // ESMS_CLI_DEMO_H_
