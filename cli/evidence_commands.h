// The offline-evidence commands (INTERFACE.md §2; DESIGN.md "Merkle tree and
// checkpoints"; docs/bundle-format.md):
//   - `bundle PROJECT --out FILE [--at DATE] [--cosigned FILE]`: an evidence bundle of a
//     project, written atomically;
//   - `verify-bundle FILE --trust ledger.pub [--witness KEY]`: checks a bundle with no
//     ledger and prints the `check` verdict it proves (exit 1 names the first problem);
//   - `prove SEQ --format tlog-proof [--size N] [--out FILE]`: a C2SP tlog-proof file;
//   - `witness cosign --key WITNESS.pem --name NAME --state FILE [--out FILE]`: a second
//     key checks the ledger's latest checkpoint is consistent with the last one it
//     cosigned (kept in the state file) and adds a C2SP cosignature;
//     `witness key --key WITNESS.pem --name NAME` prints the witness's verifier key.
//
// Only cli/app.cc parses arguments: AddEvidenceCommands declares the subcommands and
// their options into an EvidenceArgs that RunEvidenceCommand then reads.
//
// Thread-safety: single-threaded, like every command.
#ifndef ESMS_CLI_EVIDENCE_COMMANDS_H_
#define ESMS_CLI_EVIDENCE_COMMANDS_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "cli/commands.h"
#include "domain/date.h"

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

// Error codes of the evidence commands (exit 1): a witness asked to go backwards, or
// to cosign a checkpoint that does not extend the last one it cosigned.
inline constexpr std::string_view kRollback = "ROLLBACK";
inline constexpr std::string_view kConsistencyFailed = "CONSISTENCY_FAILED";

struct EvidenceArgs {
  // bundle PROJECT --out FILE [--at DATE] [--cosigned FILE]
  std::string bundle_project;
  std::string bundle_out;
  std::optional<std::string> bundle_at;
  std::optional<std::string> bundle_cosigned;
  // verify-bundle FILE --trust ledger.pub [--witness KEY]; a national bundle
  // (cli/federation.h): --trust once per ledger, or --federation FILE
  std::string verify_file;
  std::vector<std::string> trust;
  std::optional<std::string> verify_federation;
  // --witness KEY (repeatable) and --witness-quorum K (0: all the keys given).
  std::vector<std::string> witness_keys;
  size_t witness_quorum = 0;
  // witness cosign / witness key (the witness's private key is the global --key)
  std::string witness_name;
  std::string witness_state;
  std::optional<std::string> witness_out;

  CLI::App* bundle = nullptr;
  CLI::App* verify_bundle = nullptr;
  CLI::App* witness = nullptr;
  CLI::App* witness_cosign = nullptr;
  CLI::App* witness_show_key = nullptr;
};

// Declares the subcommands on `app`; parsed values land in `*args` (which must outlive
// the parse), with the subcommand pointers.
void AddEvidenceCommands(CLI::App& app, EvidenceArgs* args);

// The check of a witness's --name (witness cosign, witness key, witness serve): a
// signed-note key name (ledger::CheckKeyName: no whitespace, control character or '+')
// of at most 256 bytes, else its verifier key line and its cosignatures could not be read
// back. "" when `name` is one, else why not (CLI11's Option::check: a USAGE error).
std::string CheckWitnessName(const std::string& name);

// Runs the chosen evidence command, if one of them was chosen; returns its exit code.
std::optional<int> RunEvidenceCommand(const Globals& g, const EvidenceArgs& args);

// `prove SEQ --format tlog-proof [--size N] [--out FILE]`: a C2SP tlog-proof file
// against the kept checkpoint of size N (default: the latest kept one), with the
// record's bytes as its `extra` line so that it can be checked alone.
int CmdProveTlog(const Globals& g, uint64_t seq, std::optional<uint64_t> size,
                 const std::optional<std::string>& out);

// `bundle PROJECT`'s bundle of `state` (`ledger`'s projected state) as of `at`, proven
// against `cosigned` when given (one of this ledger's checkpoint notes), else the
// latest checkpoint, or else the cosigned checkpoint `serve --witness` keeps in g.ledger_dir
// when it covers the bundle (cli/cosigned.h). Run locally and by a server for its client
// (cli/serve_command.cc).
Result<std::string> ComputeProjectBundle(const Globals& g, const ledger::Ledger& ledger,
                                         const projections::ProgrammeState& state,
                                         const std::string& project, domain::Date at,
                                         const std::optional<std::string>& cosigned);
// Writes `bundle` to `out` (atomically) and prints what `bundle` prints; the exit code.
// The local command and the client of a server (cli/remote.cc) alike.
int EmitProjectBundle(const Globals& g, const std::string& project, domain::Date at,
                      const std::string& out, const std::string& bundle);

// Writes `contents` to `path` so that a reader (or a crash) sees the old file or the
// new one, never a part: a temporary file in the same directory, fsync, rename, fsync
// of the directory. A path that is not a regular file is never replaced: a symbolic
// link keeps pointing where it did (the regular file it names is replaced, atomically),
// a FIFO or a device node is written through; a directory, a socket or a dangling link
// is refused (USAGE). IoError on failure (the temporary file is removed).
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents);

}  // namespace esms::cli

#endif  // ESMS_CLI_EVIDENCE_COMMANDS_H_
