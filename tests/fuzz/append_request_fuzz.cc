// libFuzzer target: the decoding of an append request (service::DecodeAppendRequest), as
// `esms-ledger serve` meets a message from any client over the wire. No crash, leak or
// hang; a decoded list ends at its first refused line, and the lines before it hold a
// 64-byte signature and an event without NUL bytes. Seeds: corpus/append_request/
// (written by tests/service/decode_test.cc with ESMS_WRITE_FUZZ_CORPUS=DIR).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "service/server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  esms::Result<std::vector<esms::service::AppendLine>> lines =
      esms::service::DecodeAppendRequest(esms::ledger::ByteView(data, size), 1 << 20);
  if (!lines.ok()) return 0;
  for (size_t i = 0; i < lines->size(); ++i) {
    const esms::service::AppendLine& line = (*lines)[i];
    if (!line.refusal.ok()) {
      if (i + 1 != lines->size()) std::abort();  // a refused line ends the list
      continue;
    }
    if (line.event_json.find('\0') != std::string::npos) std::abort();
  }
  return 0;
}
