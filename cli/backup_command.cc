// backup and restore (cli/backup_command.h).
#include "cli/backup_command.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/output.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"

namespace esms::cli {
namespace {

using ledger::Ledger;
using nlohmann::json;

int CmdBackup(const Globals& g, const BackupArgs& a) {
  ledger::BackupOptions options;
  options.include_key = a.include_key;
  auto backed_up = Ledger::BackupDirectory(g.ledger_dir, a.backup_to, options);
  if (!backed_up.ok()) {
    const Status& status = backed_up.status();
    if (status.code() == StatusCode::kUnavailable) {
      return ReportError(
          Status::Unavailable(status.message() +
                              ": the process that holds it (a server) makes its backups"),
          g);
    }
    return ReportError(status, g);
  }
  const ledger::BackupInfo& b = *backed_up;
  if (g.json) {
    PrintJson(g, {{"to", a.backup_to},
                  {"size", b.size},
                  {"root", ledger::ToHex(b.root)},
                  {"files", b.files},
                  {"bytes", b.bytes},
                  {"includesKey", b.includes_key}});
  } else {
    fmt::print(g.out, "backed up {} records (root {}) to {}: {} files, {} bytes\n", b.size,
               ledger::ToHex(b.root), a.backup_to, b.files, b.bytes);
    fmt::print(g.out, "{}\n",
               b.includes_key
                   ? "the ledger key is in the backup (ledger.key, mode 0600): keep the backup "
                     "as secret as the key"
                   : "the ledger key is not in the backup: keep it apart; restore with "
                     "--ledger-key FILE to write to the restored ledger");
  }
  return kExitOk;
}

int CmdRestore(const Globals& g, const BackupArgs& a) {
  std::shared_ptr<const ledger::SigningKey> ledger_key;
  if (!g.ledger_key_file.empty()) {
    auto key = ledger::SigningKey::LoadPem(g.ledger_key_file);
    if (!key.ok()) return ReportError(key.status(), g);
    ledger_key = std::make_shared<const ledger::SigningKey>(std::move(*key));
  }
  auto restored = Ledger::Restore(a.restore_from, g.ledger_dir, ledger_key);
  if (!restored.ok()) return ReportError(restored.status(), g);
  const ledger::RestoreInfo& r = *restored;
  if (g.json) {
    PrintJson(g, {{"from", a.restore_from},
                  {"ledger", g.ledger_dir},
                  {"origin", r.origin},
                  {"size", r.size},
                  {"root", ledger::ToHex(r.root)},
                  {"keyInLedger", r.key_in_directory},
                  {"writable", r.writable}});
  } else {
    fmt::print(g.out, "restored {} records of {} (root {}) from {} into {}\n", r.size, r.origin,
               ledger::ToHex(r.root), a.restore_from, g.ledger_dir);
    fmt::print(g.out, "{}\n",
               r.key_in_directory ? "writable: the backup held the ledger key (ledger.key)"
               : r.writable
                   ? "writable with --ledger-key " + g.ledger_key_file + " (checked, not copied)"
                   : "read-only until the ledger key is given with --ledger-key FILE");
  }
  return kExitOk;
}

}  // namespace

void AddBackupCommands(CLI::App& app, BackupArgs* args) {
  args->backup = app.add_subcommand(
      "backup",
      "Copy the ledger (--ledger) into a new directory, consistently (RocksDB's checkpoint: "
      "whole commits only), with ledger.pub; the copy is a ledger that `verify --ledger DIR` "
      "checks. The ledger key is left out unless --include-key. A ledger held by a server "
      "(LEDGER_LOCKED) is backed up by that server. Refused: DIR exists and is not empty "
      "(USAGE). --json: {\"to\", \"size\", \"root\", \"files\", \"bytes\", \"includesKey\"}");
  args->backup->add_option("--to", args->backup_to, "Directory of the backup (absent or empty)")
      ->required();
  args->backup->add_flag("--include-key", args->include_key,
                         "Copy the ledger key (ledger.key, mode 0600) too: whoever holds the "
                         "backup can then sign checkpoints");

  args->restore = app.add_subcommand(
      "restore",
      "Restore a backup into --ledger, which must not exist or be an empty directory (an "
      "existing ledger is never overwritten: USAGE). The copy is checked before it is put "
      "in place; it is writable with the key the backup held or the one given with "
      "--ledger-key (checked against ledger.pub, not copied: give it again to the commands "
      "that write). --json: {\"from\", \"ledger\", \"origin\", \"size\", \"root\", "
      "\"keyInLedger\", \"writable\"}");
  args->restore->add_option("--from", args->restore_from, "Directory of the backup")->required();
}

std::optional<int> RunBackupCommand(const Globals& g, const BackupArgs& args) {
  if (args.backup != nullptr && *args.backup) return CmdBackup(g, args);
  if (args.restore != nullptr && *args.restore) return CmdRestore(g, args);
  return std::nullopt;
}

}  // namespace esms::cli
