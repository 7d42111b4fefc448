// libFuzzer target: the witness's add-checkpoint body (witness/witness.h) on untrusted
// bytes, as `witness serve` receives them from the network: ParseAddCheckpoint (a parsed
// body formats back to a body that parses the same), then Witness::Add on a witness
// following the C2SP signed-note test-vector key, its answer dropped (Revert: nothing is
// written). No crash, leak or hang; every answer is one of the spec's statuses.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "ledger/keys.h"
#include "ledger/note.h"
#include "witness/witness.h"

namespace {

esms::witness::Witness& TheWitness() {
  static std::unique_ptr<esms::witness::Witness> witness = [] {
    char dir[] = "/tmp/esms-witness-fuzz-XXXXXX";
    if (::mkdtemp(dir) == nullptr) std::abort();
    esms::witness::LogConfig log;
    log.origin = "example.com/foo";
    log.keys.push_back(esms::ledger::ParseVerifierKey(
                           "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
                           .value());
    return esms::witness::Witness::Open(dir, "witness.example/fuzz",
                                        esms::ledger::SigningKey::Generate().value(), {log})
        .value();
  }();
  return *witness;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  esms::Result<esms::witness::AddCheckpointRequest> parsed =
      esms::witness::ParseAddCheckpoint(body);
  if (parsed.ok()) {
    const std::string formatted = esms::witness::FormatAddCheckpoint(*parsed);
    esms::Result<esms::witness::AddCheckpointRequest> again =
        esms::witness::ParseAddCheckpoint(formatted);
    if (!again.ok() || again->old_size != parsed->old_size || again->proof != parsed->proof ||
        again->checkpoint != parsed->checkpoint) {
      std::abort();
    }
  }
  esms::witness::Witness& witness = TheWitness();
  const esms::witness::Reply reply = witness.Add(body, 1700000000);
  switch (reply.http_status) {
    case 200:
    case 400:
    case 403:
    case 404:
    case 409:
    case 422:
      break;
    default:
      std::abort();
  }
  witness.Revert();
  return 0;
}
