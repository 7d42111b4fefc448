// The cosigned checkpoint `serve --witness` keeps in the ledger directory
// (witness/cosigned.h), used by the commands that hand out proofs: `bundle`, `prove
// --format tlog-proof`, `report active-dui --bundle` and the federated report's shares
// prove against it, and carry its cosignatures, when it covers what they prove; else
// they prove against the latest checkpoint as before and say so on stderr. And the
// check of `verify-bundle --witness KEY ... --witness-quorum K`.
//
// Thread-safety: like every command, single-threaded.
#ifndef ESMS_CLI_COSIGNED_H_
#define ESMS_CLI_COSIGNED_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "cli/commands.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "projections/bundle.h"

namespace esms::cli {

// The stored cosigned checkpoint of the ledger at `ledger_dir` (none: nullopt). One
// that cannot be read is reported on stderr and taken as none.
std::optional<std::string> StoredCosigned(const Globals& g, const std::string& ledger_dir);

// The stored cosigned checkpoint of `ledger` (in `ledger_dir`) when it is one of this
// ledger's tree: signed by its key, of a size it holds, with its root at that size. One
// that is not (a ledger restored from an older backup, a directory copied over) is
// reported on stderr and taken as none.
std::optional<std::string> CosignedOfLedger(const Globals& g, const std::string& ledger_dir,
                                            const ledger::Ledger& ledger);

// `build` with the stored cosigned checkpoint as options.checkpoint_note when the caller
// gave none and one of this ledger is stored; when it does not cover the records
// (NO_CHECKPOINT), once more with `options` as given, after a line on stderr naming
// `what`.
Result<std::string> BuildPreferringCosigned(
    const Globals& g, const std::string& ledger_dir, const ledger::Ledger& ledger,
    projections::BundleOptions options, std::string_view what,
    const std::function<Result<std::string>(const projections::BundleOptions&)>& build);

// The stored cosigned checkpoint when it is `note` (the same signed checkpoint) with
// cosignatures; nullopt otherwise.
std::optional<std::string> CosignedSameCheckpoint(const Globals& g, const std::string& ledger_dir,
                                                  std::string_view note);

// The witnesses of `keys` with a valid cosignature on `note`; FailedPrecondition
// WITNESS_MISSING when fewer than `quorum` (0: all of them) have one.
Result<std::vector<std::string>> CheckCosignatures(std::string_view note,
                                                   const std::vector<ledger::NoteVerifier>& keys,
                                                   size_t quorum);

}  // namespace esms::cli

#endif  // ESMS_CLI_COSIGNED_H_
