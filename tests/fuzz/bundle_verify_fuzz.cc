// libFuzzer target: the offline bundle verifier (projections::VerifyBundle), which an
// auditor runs on a file anybody may have handed over. Trusted key: the ledger.pub of
// the ledger the seed bundles (corpus/bundle_verify/) were made from, so mutations get
// past the checkpoint signature into the records, proofs and the claim. No crash, leak
// or hang; a text that is not a bundle is BAD_INPUT, anything else a verdict; an ok
// verdict always names a checkpoint covering its records.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ledger/note.h"
#include "projections/bundle.h"

namespace {

// tests/fuzz/corpus/bundle_verify/ledger.pub.
constexpr std::string_view kTrust = ESMS_FUZZ_BUNDLE_TRUST;

const esms::ledger::NoteVerifier& Trust() {
  static const esms::ledger::NoteVerifier verifier = esms::ledger::ParseVerifierKey(kTrust).value();
  return verifier;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  esms::Result<esms::projections::BundleVerdict> verdict =
      esms::projections::VerifyBundle(text, Trust());
  if (!verdict.ok()) {
    if (!(verdict.status().code() == esms::StatusCode::kInvalidArgument)) std::abort();
    return 0;
  }
  if (verdict->ok && (verdict->checkpoint_size == 0 || verdict->records == 0)) std::abort();
  if (!verdict->ok && verdict->problem.empty()) std::abort();
  return 0;
}
