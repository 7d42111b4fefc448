// The `report active-dui` command: the PNRR active-DUI indicator at a date
// (INTERFACE.md §2, §3; DOMAIN.md §8), as a table, CSV, JSON or a self-contained HTML
// page, optionally with the evidence bundle of the figure.
//
// Only cli/app.cc parses arguments: AddReportCommand declares the subcommand's options
// into a ReportArgs that CmdReport then reads.
//
// Thread-safety: single-threaded, like every command.
#ifndef ESMS_CLI_REPORT_COMMAND_H_
#define ESMS_CLI_REPORT_COMMAND_H_

#include <optional>
#include <string>

#include "cli/commands.h"

namespace CLI {
class App;
}  // namespace CLI

namespace esms::cli {

struct ReportArgs {
  std::string indicator;          // INDICATOR: only "active-dui" today
  std::string at;                 // --at YYYY-MM-DD (required, but with --federation)
  std::optional<std::string> by;  // --by region|department|project|campaign
  // --format table|csv|json|html; not given: json with the global --json, else table.
  std::optional<std::string> format;
  std::optional<std::string> out;     // --out FILE (default stdout)
  std::optional<std::string> bundle;  // --bundle FILE: the evidence of the figure
  // --federation FILE: the national figure across the ledgers FILE lists
  // (cli/federation.h); --at then defaults to today.
  std::optional<std::string> federation;
};

// Declares `report` and its options on `app`; the parsed values land in `*args`, which
// must outlive the parse. Returns the subcommand (true when chosen).
CLI::App* AddReportCommand(CLI::App& app, ReportArgs* args);

// Runs the report; returns the exit code (INTERFACE.md §5): 2 (USAGE / BAD_INPUT) for
// an unknown indicator, --by or --format and a bad date; 4 when the ledger cannot be
// read or --out / --bundle cannot be written. The output goes to --out (written
// atomically: temporary file + rename) or stdout; with --out and --json, stdout gets
// the JSON report as well. --bundle FILE also writes the evidence bundle of the figure
// (projections/bundle.h), proven against the latest kept checkpoint. With --federation,
// the national figure across ledgers: CmdFederatedReport (cli/federation.h).
int CmdReport(const Globals& g, const ReportArgs& args);

}  // namespace esms::cli

#endif  // ESMS_CLI_REPORT_COMMAND_H_
