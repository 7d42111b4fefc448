// Bounded, error-checked reading of the program's inputs: JSON Lines for `import` (a
// line longer than kMaxLineBytes is refused before it is read whole), and whole files
// such as bundles and notes (refused beyond a size limit, from their size alone when
// they are regular files). A read error is an error, never the end of the input.
//
// Thread-safety: a LineReader is used by one thread.
#ifndef ESMS_CLI_INPUT_H_
#define ESMS_CLI_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/file.h"
#include "base/status.h"
#include "domain/date.h"
#include "ledger/note.h"

namespace esms::cli {

using base::ReadFileCapped;  // with the limits below

// The longest import line accepted, "\n" excluded. The ledger's payload limit
// (ledger::kMaxPayloadBytes, 62 KiB of canonical bytes, so that a record fits a C2SP
// tlog-tiles entry) refuses much less than this; the line limit only bounds memory.
inline constexpr size_t kMaxLineBytes = 8 << 20;
// The largest bundle `verify-bundle` reads (a national report's bundle of every
// measurement is about a hundred megabytes).
inline constexpr uint64_t kMaxBundleBytes = uint64_t{1} << 30;
// The largest key, note or witness state file read.
inline constexpr uint64_t kMaxSmallFileBytes = 1 << 20;

// Reads lines from a file descriptor with read(2).
class LineReader {
 public:
  enum class Next { kLine, kEnd, kError };

  // `fd` is owned (closed on destruction) unless it is 0; `name` names the input in
  // messages ("standard input", the file's path).
  LineReader(int fd, std::string name, size_t max_line = kMaxLineBytes);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Opens `file` ("-" = standard input, `stdin_fd`). USAGE errors: a missing or unreadable file,
  // a directory, a standard input that was closed when the program started
  // (`stdin_closed`).
  static Result<std::unique_ptr<LineReader>> Open(const std::string& file, bool stdin_closed,
                                                  int stdin_fd = 0);

  // The next line, without its "\n" (a last line without one counts). kError: the
  // status says why — IoError (STORAGE_ERROR) for a read error, BadInput for a line
  // longer than the limit (`*line` then holds its first bytes only).
  Next Read(std::string* line, Status* error);
  // Bytes consumed so far.
  uint64_t bytes_read() const { return bytes_read_; }
  // The file's size when it is a regular file, else 0.
  uint64_t total_bytes() const { return total_bytes_; }

 private:
  int fd_;
  std::string name_;
  size_t max_line_;
  std::string buffer_;
  size_t start_ = 0;  // first unconsumed byte of buffer_
  bool eof_ = false;
  uint64_t bytes_read_ = 0;
  uint64_t total_bytes_ = 0;
};

// The date of an `--at DATE` option, else today (UTC); a bad date is BAD_INPUT naming
// the option.
Result<domain::Date> DateOrToday(const std::optional<std::string>& at);

}  // namespace esms::cli

#endif  // ESMS_CLI_INPUT_H_
