// `esms-ledger demo --scale national --federated` (issue 16): the federated picture run on
// one machine by real processes of this very program (/proc/self/exe), each with its own
// directory under DIR:
//   - 18 region ledgers (one per ARS, each its own origin, ledger key and admin key: the
//     `demo --region CODE --federated` child of each, two at a time) and the national
//     ledger (its own origin and keys), holding a national-guichet project (56 ESSMS in
//     two regions) whose events are signed by the keys the rules name and imported
//     through the program (`import --key`), so that its share of the national figure is
//     not 0;
//   - one `witness serve` (127.0.0.1, port 0), trusting each ledger's ledger.pub;
//   - 19 `serve` processes (unix sockets), each pushing its checkpoints to the witness
//     (`serve --witness`) and keeping the cosigned one (ledger/cosigned.note);
//   - one `mirror` following one region through its tiles (`serve --http`, and
//     `serve --export-tiles DIR/tiles/NAME`);
//   - the national `report active-dui --federation` across the 19 servers (`server`
//     entries), its total checked against each ledger's own figure, its national bundle
//     verified offline with the ledger.pub files only;
//   - two refusals: one region's ledger restored from an older copy (a rollback) is
//     refused by the witness (ROLLBACK), and a tiles copy with one byte altered stops the
//     mirror (CORRUPTION), which leaves its copy as it was.
// Every child is stopped (SIGTERM, then SIGKILL after a grace period) and reaped on every
// way out: success, a failed step, SIGINT or SIGTERM. Children run in process groups of
// their own, so that ^C reaches the orchestrator only, which then stops them.
//
// With --json the walk-through goes to stderr and one summary to stdout.
//
// Thread-safety: single-threaded, like every command. It forks: call it from the real
// program only (an in-process test run would fork the test binary).
#ifndef ESMS_CLI_DEMO_FEDERATED_H_
#define ESMS_CLI_DEMO_FEDERATED_H_

#include "cli/commands.h"
#include "cli/demo.h"

namespace esms::cli {

// Exit codes: 0 when every expected outcome happened (the report, the bundle verified, the
// witness's refusal, the mirror's), 1 when one did not or a step failed (a child's error,
// its log named), 2 usage (DIR not empty and not a previous demo), 4 storage, 130
// interrupted.
int CmdDemoFederated(const Globals& g, const DemoArgs& args);

}  // namespace esms::cli

#endif  // ESMS_CLI_DEMO_FEDERATED_H_
