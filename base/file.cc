#include "base/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace esms::base {

Result<std::string> ReadFileCapped(const std::filesystem::path& path, uint64_t limit,
                                   std::string_view what, NamedBy named_by) {
  const std::string name = path.string();
  const std::string subject = std::string(what) + " " + name;
  auto failed = [&](bool io) {
    const int error = errno;
    const std::string message = "cannot read " + subject + ": " + std::strerror(error);
    return io ? Status::IoError(message) : Status::BadInput(message);
  };
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return failed(/*io=*/named_by == NamedBy::kProgram);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return failed(/*io=*/true);
  if (S_ISDIR(st.st_mode))
    return Status::BadInput("cannot read " + subject + ": it is a directory");
  auto too_large = [&] {
    return Status::BadInput(subject + " is larger than the limit of " + std::to_string(limit) +
                            " bytes");
  };
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > limit) return too_large();
  std::string text;
  if (S_ISREG(st.st_mode)) text.reserve(static_cast<size_t>(st.st_size));
  char chunk[64 << 10];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failed(/*io=*/true);
    if (n == 0) break;
    // Every file read this way is text: a NUL byte (all of /dev/zero) ends it at once.
    if (std::memchr(chunk, '\0', static_cast<size_t>(n)) != nullptr) {
      return Status::BadInput(subject + " holds a NUL byte: it is not a text file");
    }
    if (text.size() + static_cast<uint64_t>(n) > limit) return too_large();
    text.append(chunk, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace esms::base
