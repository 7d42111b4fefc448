// `backup --to DIR` and `restore --from DIR` (ledger/ledger.h: Ledger::BackupDirectory,
// Ledger::Restore; docs/operations.md):
//   - backup: a consistent copy of the ledger (--ledger) made with RocksDB's Checkpoint,
//     plus ledger.pub; the ledger key only with --include-key. The copy is itself a
//     ledger directory: `verify --ledger DIR` checks it. A ledger held by a server
//     (LEDGER_LOCKED) is backed up by that server;
//   - restore: copies a backup into --ledger, which must not exist or be empty (an
//     existing ledger is never overwritten), checks it and says whether it is writable:
//     with the key the backup held, or with --ledger-key (checked, not copied).
//
// Only cli/app.cc parses arguments: AddBackupCommands declares the subcommands and their
// options into a BackupArgs that RunBackupCommand then reads.
//
// Thread-safety: single-threaded, like every command.
#ifndef ESMS_CLI_BACKUP_COMMAND_H_
#define ESMS_CLI_BACKUP_COMMAND_H_

#include <optional>
#include <string>

#include "cli/commands.h"

namespace CLI {
class App;
}  // namespace CLI

namespace esms::cli {

struct BackupArgs {
  std::string backup_to;     // backup --to DIR
  bool include_key = false;  // backup --include-key
  std::string restore_from;  // restore --from DIR
  CLI::App* backup = nullptr;
  CLI::App* restore = nullptr;
};

// Declares the subcommands on `app`; parsed values land in `*args` (which must outlive
// the parse).
void AddBackupCommands(CLI::App& app, BackupArgs* args);

// Runs the chosen command, if `backup` or `restore` was chosen; returns its exit code.
std::optional<int> RunBackupCommand(const Globals& g, const BackupArgs& args);

}  // namespace esms::cli

#endif  // ESMS_CLI_BACKUP_COMMAND_H_
