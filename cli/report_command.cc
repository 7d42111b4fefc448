// The `report` command. See cli/report_command.h.
#include "cli/report_command.h"

#include <CLI/CLI.hpp>

#include "cli/output.h"

namespace esms::cli {

CLI::App* AddReportCommand(CLI::App& app, ReportArgs* args) {
  auto* report = app.add_subcommand("report", "Programme indicators (not built yet)");
  report->add_option("INDICATOR", args->indicator, "active-dui")->required();
  report->add_option("--at", args->at, "Date, YYYY-MM-DD")->required();
  return report;
}

int CmdReport(const Globals& g, const ReportArgs&) {
  return ReportError(Status::InvalidArgument(error_code::kUsage, "report is not built yet"),
                     g.json);
}

}  // namespace esms::cli
