// The stored cosigned checkpoint and witness specifications. See witness/cosigned.h.
#include "witness/cosigned.h"

#include <system_error>

#include <fmt/format.h>

#include "base/file.h"

namespace esms::witness {
namespace {

// A checkpoint with a few hundred cosignature lines fits many times over.
constexpr size_t kMaxCosignedBytes = 1024 * 1024;

}  // namespace

Result<WitnessSpec> ParseWitnessSpec(std::string_view spec) {
  const size_t comma = spec.find(',');
  if (comma == std::string_view::npos || comma == 0 || comma + 1 == spec.size()) {
    return Status::BadInput(fmt::format("--witness {}: expected URL,KEY", spec));
  }
  WitnessSpec out;
  out.url = std::string(spec.substr(0, comma));
  if (!out.url.starts_with("http://")) {
    return Status::BadInput(
        fmt::format("--witness {}: the URL must be http://HOST[:PORT][/prefix]", spec));
  }
  ASSIGN_OR_RETURN(
      out.key, ledger::LoadVerifierKey(spec.substr(comma + 1), ledger::kSignatureTypeCosignatureV1,
                                       "--witness"));
  return out;
}

Result<std::optional<std::string>> ReadCosignedCheckpoint(const std::filesystem::path& ledger_dir) {
  const std::filesystem::path path = ledger_dir / kCosignedCheckpointFile;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<std::string>();
  ASSIGN_OR_RETURN(std::string note,
                   base::ReadFileCapped(path, kMaxCosignedBytes, "cosigned checkpoint",
                                        base::NamedBy::kProgram));
  Result<ledger::Note> parsed = ledger::ParseNote(note);
  if (!parsed.ok()) {
    return Status::BadInput(
        fmt::format("{}: not a signed note: {}", path.string(), parsed.status().message()));
  }
  return std::optional<std::string>(std::move(note));
}

Status WriteCosignedCheckpoint(const std::filesystem::path& ledger_dir, std::string_view note) {
  return WriteFileDurably(ledger_dir / kCosignedCheckpointFile, note);
}

Result<uint64_t> CheckpointSize(std::string_view note) {
  ASSIGN_OR_RETURN(ledger::Note parsed, ledger::ParseNote(note));
  ASSIGN_OR_RETURN(ledger::Checkpoint cp, ledger::ParseCheckpoint(parsed.text));
  return cp.size;
}

std::vector<std::string> ValidCosigners(std::string_view note,
                                        const std::vector<ledger::NoteVerifier>& keys) {
  std::vector<std::string> out;
  for (const ledger::NoteVerifier& key : keys) {
    bool seen = false;
    for (const std::string& name : out) seen = seen || name == key.name;
    if (seen) continue;
    if (ledger::VerifyCosignature(note, key).ok()) out.push_back(key.name);
  }
  return out;
}

}  // namespace esms::witness
