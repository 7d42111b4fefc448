// Bounded reading of a whole text file: a key, a note, a bundle, a witness's state. The
// size is checked before reading when the file is a regular one, and while reading
// otherwise (a FIFO, /dev/zero); a read error is an error, never the end of the text.
//
// Thread-safety: a pure function of the file system; safe from any thread.
#ifndef ESMS_BASE_FILE_H_
#define ESMS_BASE_FILE_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/status.h"

namespace esms::base {

// Who named the file, which decides how one that cannot be opened is answered: the user
// (BAD_INPUT: a wrong path) or the program, for its own state found present just before
// (IO_ERROR, exit 4: the disk or the permissions failed it, not the input).
enum class NamedBy { kUser, kProgram };

// The text of `path`, at most `limit` bytes. BAD_INPUT, its message naming `what` and the
// path: it cannot be opened (IO_ERROR when kProgram), it is a directory, it is larger than
// `limit`, or it holds a NUL byte (every file read this way is text). IO_ERROR: a read
// fails half-way.
Result<std::string> ReadFileCapped(const std::filesystem::path& path, uint64_t limit,
                                   std::string_view what, NamedBy named_by = NamedBy::kUser);

}  // namespace esms::base

#endif  // ESMS_BASE_FILE_H_
