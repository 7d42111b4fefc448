// The log's side of witnessing, kept in the ledger directory: the latest checkpoint a
// quorum of witnesses cosigned (`serve --witness`, docs/witness.md "serve --witness").
//
// Storage: DIR/cosigned.note, the ledger's signed checkpoint note followed by the
// witnesses' cosignature lines (c2sp.org/tlog-cosignature), exactly the note `bundle
// --cosigned` takes. Replaced whole (temporary file, fsync, rename, fsync of DIR): a
// crash leaves the previous cosigned checkpoint or the new one. Only `serve` writes it;
// any reader (bundle, prove, report --bundle) may read it at any time.
//
// Witness specifications: "URL,KEY", KEY a witness's verifier key line
// (NAME+HASH+BASE64, cosignature/v1) or a file holding it on its first line.
//
// Thread-safety: free functions, no shared state.
#ifndef ESMS_WITNESS_COSIGNED_H_
#define ESMS_WITNESS_COSIGNED_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ledger/note.h"

namespace esms::witness {

inline constexpr std::string_view kCosignedCheckpointFile = "cosigned.note";

// A witness `serve` pushes to.
struct WitnessSpec {
  std::string url;  // http://HOST:PORT[/prefix]
  ledger::NoteVerifier key;
};

// "URL,KEY" (BAD_INPUT when malformed, when KEY is neither a cosignature/v1 verifier key
// nor a file holding one).
Result<WitnessSpec> ParseWitnessSpec(std::string_view spec);

// The stored cosigned checkpoint of the ledger in `ledger_dir`; nullopt when none was
// stored. IoError when it cannot be read, BAD_INPUT when it is not a note.
Result<std::optional<std::string>> ReadCosignedCheckpoint(const std::filesystem::path& ledger_dir);
// Replaces it, durably.
Status WriteCosignedCheckpoint(const std::filesystem::path& ledger_dir, std::string_view note);

// The size of a checkpoint note's tree (BAD_INPUT when it is not a checkpoint note).
Result<uint64_t> CheckpointSize(std::string_view note);

// The witnesses of `keys` that cosigned `note` validly (each counted once), in order.
std::vector<std::string> ValidCosigners(std::string_view note,
                                        const std::vector<ledger::NoteVerifier>& keys);

// Durable replacement of a small file (temporary file, fsync, rename, fsync of its
// directory; witness/witness.cc).
Status WriteFileDurably(const std::filesystem::path& path, std::string_view contents);

}  // namespace esms::witness

#endif  // ESMS_WITNESS_COSIGNED_H_
