// Proofs against the stored cosigned checkpoint. See cli/cosigned.h.
#include "cli/cosigned.h"

#include <span>
#include <utility>

#include <fmt/format.h>

#include "witness/cosigned.h"

namespace esms::cli {

std::optional<std::string> StoredCosigned(const Globals& g, const std::string& ledger_dir) {
  Result<std::optional<std::string>> stored = witness::ReadCosignedCheckpoint(ledger_dir);
  if (!stored.ok()) {
    fmt::print(g.err, "warning: the cosigned checkpoint of {} is not used: {}\n", ledger_dir,
               stored.status().ToString());
    return std::nullopt;
  }
  return *std::move(stored);
}

std::optional<std::string> CosignedOfLedger(const Globals& g, const std::string& ledger_dir,
                                            const ledger::Ledger& ledger) {
  std::optional<std::string> stored = StoredCosigned(g, ledger_dir);
  if (!stored.has_value()) return std::nullopt;
  const ledger::NoteVerifier verifier =
      ledger::MakeNoteVerifier(ledger.origin(), ledger.ledger_key());
  Status mine = [&]() -> Status {
    ASSIGN_OR_RETURN(std::string body, ledger::OpenNote(*stored, std::span(&verifier, 1)));
    ASSIGN_OR_RETURN(ledger::Checkpoint cp, ledger::ParseCheckpoint(body));
    if (cp.origin != ledger.origin() || cp.size > ledger.size()) {
      return Status::BadInput(
          fmt::format("it is of size {}, the ledger holds {} records", cp.size, ledger.size()));
    }
    ASSIGN_OR_RETURN(ledger::Hash root, ledger.RootAt(cp.size));
    if (root != cp.root) return Status::BadInput("its root is not the ledger's at its size");
    return Status::OK();
  }();
  if (!mine.ok()) {
    fmt::print(g.err,
               "warning: the cosigned checkpoint of {} is not of this ledger's tree ({}): not "
               "used\n",
               ledger_dir, mine.message());
    return std::nullopt;
  }
  return stored;
}

Result<std::string> BuildPreferringCosigned(
    const Globals& g, const std::string& ledger_dir, const ledger::Ledger& ledger,
    projections::BundleOptions options, std::string_view what,
    const std::function<Result<std::string>(const projections::BundleOptions&)>& build) {
  if (!options.checkpoint_note.has_value()) {
    if (std::optional<std::string> stored = CosignedOfLedger(g, ledger_dir, ledger)) {
      projections::BundleOptions cosigned = options;
      cosigned.checkpoint_note = *stored;
      Result<std::string> built = build(cosigned);
      if (built.ok() || built.status().error_code() != projections::kNoCheckpoint) return built;
      Result<uint64_t> size = witness::CheckpointSize(*stored);
      fmt::print(g.err,
                 "note: the witnessed checkpoint (size {}) does not cover every record of {}: "
                 "proven against the latest checkpoint, without witness cosignatures\n",
                 size.ok() ? *size : 0, what);
    }
  }
  return build(options);
}

std::optional<std::string> CosignedSameCheckpoint(const Globals& g, const std::string& ledger_dir,
                                                  std::string_view note) {
  std::optional<std::string> stored = StoredCosigned(g, ledger_dir);
  if (!stored.has_value()) return std::nullopt;
  Result<ledger::Note> mine = ledger::ParseNote(note);
  Result<ledger::Note> theirs = ledger::ParseNote(*stored);
  if (!mine.ok() || !theirs.ok() || mine->text != theirs->text) return std::nullopt;
  // The ledger's own signature lines must all be there too (the note's first lines).
  for (const ledger::NoteSignature& s : mine->signatures) {
    bool found = false;
    for (const ledger::NoteSignature& t : theirs->signatures) {
      found = found || (t.name == s.name && t.key_hash == s.key_hash && t.signature == s.signature);
    }
    if (!found) return std::nullopt;
  }
  return stored;
}

Result<std::vector<std::string>> CheckCosignatures(std::string_view note,
                                                   const std::vector<ledger::NoteVerifier>& keys,
                                                   size_t quorum) {
  std::vector<std::string> valid = witness::ValidCosigners(note, keys);
  const size_t needed = quorum == 0 ? keys.size() : quorum;
  if (valid.size() < needed) {
    std::vector<std::string> missing;
    for (const ledger::NoteVerifier& key : keys) {
      bool ok = false;
      for (const std::string& name : valid) ok = ok || name == key.name;
      if (!ok) missing.push_back(key.name);
    }
    return Status::FailedPrecondition(
        projections::kWitnessMissing,
        fmt::format("{} valid witness cosignature(s) of the {} required on the checkpoint; none "
                    "valid by: {}",
                    valid.size(), needed, fmt::join(missing, ", ")));
  }
  return valid;
}

}  // namespace esms::cli
