// libFuzzer target: the checkpoint / signed-note parsers (ledger/note.h) on untrusted
// text, as a witness or an auditor receives it: ParseNote, OpenNote against a fixed
// verifier key, ParseCheckpoint, VerifyCosignature, ParseTlogProof, ParseVerifierKey.
// No crash, leak or hang; a parsed checkpoint formats back to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/note.h"

namespace {

// The C2SP signed-note test vector key (DESIGN.md), and a witness key of the same bytes.
const esms::ledger::NoteVerifier& Verifier() {
  static const esms::ledger::NoteVerifier verifier =
      esms::ledger::ParseVerifierKey(
          "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
          .value();
  return verifier;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<esms::ledger::NoteVerifier> verifiers = {Verifier()};
  (void)esms::ledger::ParseNote(text);
  (void)esms::ledger::OpenNote(text, verifiers);
  (void)esms::ledger::VerifyCosignature(text, Verifier());
  (void)esms::ledger::ParseVerifierKey(text);
  (void)esms::ledger::ParseTlogProof(text);
  esms::Result<esms::ledger::Checkpoint> checkpoint = esms::ledger::ParseCheckpoint(text);
  if (checkpoint.ok()) {
    std::string formatted = esms::ledger::FormatCheckpoint(*checkpoint);
    esms::Result<esms::ledger::Checkpoint> again = esms::ledger::ParseCheckpoint(formatted);
    if (!again.ok() || esms::ledger::FormatCheckpoint(*again) != formatted) std::abort();
  }
  return 0;
}
