// Entry point of the esms-ledger program: parses the command line (CLI11), sets up the
// log, and dispatches to the commands of cli/commands.h.
#ifndef ESMS_CLI_APP_H_
#define ESMS_CLI_APP_H_

namespace esms::cli {

// Runs the program; returns the process exit code (INTERFACE.md §5).
int Run(int argc, char** argv);

}  // namespace esms::cli

#endif  // ESMS_CLI_APP_H_
