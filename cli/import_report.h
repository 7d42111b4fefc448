// The output of `import`, on a local directory or through a server (INTERFACE.md §3):
// with --json, {"results":[...]} holding one object per acknowledged line and, after a
// refusal, the refused line; otherwise the counts on stdout and the refusal on stderr.
// A line is reported only once acknowledged (its group commit durable).
#ifndef ESMS_CLI_IMPORT_REPORT_H_
#define ESMS_CLI_IMPORT_REPORT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "cli/commands.h"
#include "ledger/ledger.h"

namespace esms::cli {

class ImportReport {
 public:
  // Opens the JSON results list (with --json).
  explicit ImportReport(const Globals& g);
  ImportReport(const ImportReport&) = delete;
  ImportReport& operator=(const ImportReport&) = delete;

  // One acknowledged line: counted, and listed with --json.
  void Acknowledged(uint64_t line, std::string_view id, const ledger::Appended& appended);
  // After a group of acknowledgements: what was listed reaches the reader.
  void Flush();
  // Lines appended so far (not counting those already present).
  uint64_t appended() const { return appended_; }

  // The line that stopped the import (`status` OK: none). `last_line` > `line`: a write
  // of lines line..last_line failed.
  struct Refusal {
    Status status;
    uint64_t line = 0, last_line = 0;
    std::string id;
  };
  // Closes the output; returns the exit code. `ledger_size` is printed on success.
  int Finish(const Refusal& refusal, uint64_t ledger_size);

 private:
  const Globals& g_;
  bool first_result_ = true;
  uint64_t appended_ = 0, existing_ = 0;
};

}  // namespace esms::cli

#endif  // ESMS_CLI_IMPORT_REPORT_H_
