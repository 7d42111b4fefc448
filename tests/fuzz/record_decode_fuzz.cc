// libFuzzer target: the record decoder (ledger::DecodeRecord) on arbitrary stored
// bytes, as `verify` and every read meet them on a damaged disk. No crash, leak or
// hang; bytes that decode are canonical (encoding the decoded record gives the same
// bytes and hash), and key payloads decode or are refused cleanly.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "ledger/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  esms::ledger::ByteView bytes(data, size);
  esms::ledger::Bytes signed_bytes;
  esms::Result<esms::ledger::Record> record = esms::ledger::DecodeRecord(bytes, &signed_bytes);
  if (!record.ok()) return 0;
  esms::Result<esms::ledger::Record> encoded = esms::ledger::EncodeRecord(*record);
  if (!encoded.ok()) std::abort();
  if (encoded->bytes != esms::ledger::Bytes(data, data + size)) std::abort();
  if (encoded->hash != record->hash) std::abort();
  if (esms::ledger::RecordHash(bytes) != record->hash) std::abort();
  if (signed_bytes != record->statement_bytes) std::abort();
  (void)esms::ledger::KeyPayloadToJson(record->type, record->payload);
  (void)esms::ledger::DecodeKeyEnrolled(record->payload);
  (void)esms::ledger::DecodeKeyRevoked(record->payload);
  return 0;
}
