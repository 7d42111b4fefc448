// libFuzzer target: the record and statement decoders (ledger::DecodeRecord,
// ledger::DecodeStatement) on arbitrary bytes, as `verify` and every read meet records on
// a damaged disk and a bundle's verifier meets them in a file anybody may have made. No
// crash, leak or hang; bytes that decode are canonical: encoding the decoded record gives
// the same bytes and hash, its statement encodes to the statement bytes it holds, and
// bytes that decode as a statement encode back to themselves; key payloads decode or are
// refused cleanly. Seeds: corpus/record_decode/ (record-N.bin, statement-N.bin, written by
// tests/fuzz/make_corpus.py).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "ledger/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  esms::ledger::ByteView bytes(data, size);
  const esms::ledger::Bytes given(data, data + size);
  esms::Result<esms::ledger::Statement> statement = esms::ledger::DecodeStatement(bytes);
  if (statement.ok()) {
    esms::Result<esms::ledger::Bytes> again = esms::ledger::StatementBytes(*statement);
    if (!again.ok() || *again != given) std::abort();
  }
  esms::ledger::Bytes statement_bytes;
  esms::Result<esms::ledger::Record> record = esms::ledger::DecodeRecord(bytes, &statement_bytes);
  if (!record.ok()) return 0;
  if (statement_bytes != record->statement_bytes) std::abort();
  esms::Result<esms::ledger::Bytes> signed_part =
      esms::ledger::StatementBytes(esms::ledger::StatementOf(*record));
  if (!signed_part.ok() || *signed_part != statement_bytes) std::abort();
  esms::Result<esms::ledger::Record> encoded = esms::ledger::EncodeRecord(*record);
  if (!encoded.ok()) std::abort();
  if (encoded->bytes != given) std::abort();
  if (encoded->hash != record->hash) std::abort();
  if (esms::ledger::RecordHash(bytes) != record->hash) std::abort();
  (void)esms::ledger::KeyPayloadToJson(record->type, record->payload);
  (void)esms::ledger::DecodeKeyEnrolled(record->payload);
  (void)esms::ledger::DecodeKeyRevoked(record->payload);
  return 0;
}
