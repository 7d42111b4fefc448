// How the CLI shows one ledger record: as the JSON object of INTERFACE.md §3 `log`
// ({"seq", "id", "type", "at", "stream", "signer", "recordedAt", "hash", "leafHash",
// "data"}) or as one human line. Shared by `log` and `history`.
#ifndef ESMS_CLI_RECORDS_H_
#define ESMS_CLI_RECORDS_H_

#include <string>

#include "base/status.h"
#include "ledger/record.h"

namespace esms::cli {

// Compact JSON object text of `record`, its data decoded.
Result<std::string> RecordJson(const ledger::Record& record);
// "     seq  at  type  stream  signer  id" for humans.
std::string RecordLine(const ledger::Record& record);

}  // namespace esms::cli

#endif  // ESMS_CLI_RECORDS_H_
