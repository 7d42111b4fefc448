// Output plumbing for the esms-ledger program: the console a run reads and writes, the
// mapping from a Status to the documented error code and exit code (INTERFACE.md §4-§5),
// error printing in human or JSON form, and a progress bar on stderr for long work.
//
// Thread-safety: Progress is used from one thread; runs on distinct Consoles may go on at
// once as far as this file is concerned.
#ifndef ESMS_CLI_OUTPUT_H_
#define ESMS_CLI_OUTPUT_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "base/status.h"

namespace esms::cli {

// The standard streams of one run of the program, as file descriptors. main() runs with
// the process's own (0, 1, 2); a test runs a command in-process with files of its own
// and reads back what the command printed (tests/testing/cli.h). The descriptors stay
// owned by the caller. A run writes to them through stdio streams of its own
// (Globals::out and err), never through the process's stdout and stderr.
struct Console {
  int in = 0;
  int out = 1;
  int err = 2;
  bool IsProcess() const { return in == 0 && out == 1 && err == 2; }
};

// The public error codes that are not programme rules (INTERFACE.md §4); the rules'
// codes ("NONCUMUL_SECOND_DUI", ...) come from the layer that refuses, in the Status.
namespace error_code {
inline constexpr std::string_view kBadInput = "BAD_INPUT";
inline constexpr std::string_view kUsage = "USAGE";
inline constexpr std::string_view kUnauthorized = "UNAUTHORIZED";
inline constexpr std::string_view kEventIdConflict = "EVENT_ID_CONFLICT";
inline constexpr std::string_view kVersionConflict = "VERSION_CONFLICT";
inline constexpr std::string_view kNotFound = "NOT_FOUND";
inline constexpr std::string_view kCorruption = "CORRUPTION";
inline constexpr std::string_view kLedgerLocked = "LEDGER_LOCKED";
inline constexpr std::string_view kStorage = "STORAGE_ERROR";
inline constexpr std::string_view kInternal = "INTERNAL";
}  // namespace error_code

// The public error code of `status`: the one its layer gave, else the default of its
// canonical code (DefaultErrorCode: InvalidArgument -> BAD_INPUT, DataLoss -> CORRUPTION,
// Unavailable -> LEDGER_LOCKED, IoError -> STORAGE_ERROR, ...); empty when ok().
std::string_view PublicCode(StatusCode code, std::string_view given);
inline std::string_view PublicCode(const Status& status) {
  return PublicCode(status.code(), status.error_code());
}

// "CODE: message", as the CLI prints a Status.
std::string StatusText(const Status& status);

// INTERFACE.md §5.
inline constexpr int kExitOk = 0;
inline constexpr int kExitVerificationFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRefused = 3;
inline constexpr int kExitStorage = 4;

// 2 for usage errors and BAD_INPUT; 1 for a ledger that does not check; 4 for storage
// errors and a locked ledger; 3 for every other refusal (rules, value checks, authorization).
int ExitCodeFor(const Status& status);

// Prints `status` to `out` as {"error": {...}} when `json`, else "error: CODE: message"
// to `err`; returns ExitCodeFor(status).
int ReportError(const Status& status, bool json, std::FILE* out, std::FILE* err);

// The JSON object {"code", "message", "conflicts"?} for a refusal, as compact text.
std::string ErrorJson(const Status& status);

// Escapes `text` as a JSON string literal, quotes included.
std::string JsonString(std::string_view text);

// A progress bar on `err`, drawn only when it is a terminal (never into a pipe or a log
// file). Redraws at most ten times a second.
class Progress {
 public:
  Progress(std::string label, uint64_t total, std::FILE* err);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void Update(uint64_t done);
  void SetTotal(uint64_t total) { total_ = total; }
  void Finish();

 private:
  void Draw(uint64_t done);

  std::string label_;
  uint64_t total_;
  std::FILE* err_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace esms::cli

#endif  // ESMS_CLI_OUTPUT_H_
