// Entry point of the esms-ledger program: parses the command line (CLI11), sets up the
// log, and dispatches to the commands of cli/commands.h.
#ifndef ESMS_CLI_APP_H_
#define ESMS_CLI_APP_H_

#include "cli/output.h"

namespace esms::cli {

// Runs the program with `argv` (argv[0] the program's name) on `console`; returns the
// process exit code (INTERFACE.md §5). Leaves no global state behind: tests call it
// many times in one process. The command writes to `console` through streams of its own
// (Globals::out and err), not through the process's stdout and stderr.
int Run(int argc, char** argv, const Console& console = Console());

}  // namespace esms::cli

#endif  // ESMS_CLI_APP_H_
