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

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "cli/commands.h"
#include "domain/date.h"
#include "projections/report.h"

namespace CLI {
class App;
}  // namespace CLI
namespace esms::ledger {
class Ledger;
}
namespace esms::projections {
class ProgrammeState;
}

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

// A report request once its arguments are checked (ValidateReport).
struct ReportRequest {
  domain::Date at;
  projections::ReportBy by = projections::ReportBy::kNone;
  std::string format;  // table, csv, json or html
};

// What `report active-dui` gives once computed, on the local ledger or by a server
// (cli/serve_command.cc): EmitReport writes and prints it, locally and on the client of
// a server alike, so both print the same bytes.
struct ReportProducts {
  std::string text;                   // the report in its format
  std::string json;                   // the JSON report, for --out with --json
  std::optional<std::string> bundle;  // --bundle: the evidence bundle's JSON
  size_t evidence = 0;                // the counted establishments (the bundle's message)
  int64_t total = 0, target = 0, percent_of_target = 0;
};

// The arguments checked, as the command checks them before opening anything: USAGE or
// BAD_INPUT (an unknown indicator, --by or --format, a bad date, --out = --bundle).
Result<ReportRequest> ValidateReport(const Globals& g, const ReportArgs& args);
// The report of `state` (`ledger`'s projected state), and with args.bundle its
// evidence bundle; ReportProducts::json is filled when `need_json` (--out with --json).
Result<ReportProducts> ComputeReport(const ledger::Ledger& ledger,
                                     const projections::ProgrammeState& state,
                                     const ReportRequest& r, const ReportArgs& args,
                                     bool need_json);
// Writes --bundle then --out (atomically) and prints what the command prints; the exit
// code.
int EmitReport(const Globals& g, const ReportArgs& args, const ReportRequest& r,
               const ReportProducts& p);

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
