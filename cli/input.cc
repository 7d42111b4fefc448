#include "cli/input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "cli/output.h"

namespace esms::cli {
namespace {

constexpr size_t kChunk = 64 << 10;

std::string Errno(int error) { return std::strerror(error); }

}  // namespace

LineReader::LineReader(int fd, std::string name, size_t max_line)
    : fd_(fd), name_(std::move(name)), max_line_(max_line) {
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode))
    total_bytes_ = static_cast<uint64_t>(st.st_size);
}

LineReader::~LineReader() {
  if (fd_ > 0) ::close(fd_);
}

Result<std::unique_ptr<LineReader>> LineReader::Open(const std::string& file, bool stdin_closed,
                                                     int stdin_fd) {
  if (file == "-") {
    if (stdin_closed) {
      return Status::InvalidArgument(
          error_code::kUsage,
          "standard input was closed when the program started: nothing to import (give a "
          "FILE, or events on standard input)");
    }
    // The run's standard input: fd 0, or a dup of its console's (this reader closes it).
    return std::make_unique<LineReader>(stdin_fd == 0 ? 0 : ::dup(stdin_fd), "standard input");
  }
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::InvalidArgument(
        error_code::kUsage, fmt::format("cannot read events file {}: {}", file, Errno(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(
        error_code::kUsage,
        fmt::format("cannot read events file {}: it is a directory, not a file", file));
  }
  return std::make_unique<LineReader>(fd, file);
}

LineReader::Next LineReader::Read(std::string* line, Status* error) {
  size_t scanned = start_;  // bytes of buffer_ from start_ known to hold no '\n'
  for (;;) {
    size_t newline = buffer_.find('\n', scanned);
    if (newline != std::string::npos && newline - start_ <= max_line_) {
      line->assign(buffer_, start_, newline - start_);
      bytes_read_ += newline - start_ + 1;
      start_ = newline + 1;
      return Next::kLine;
    }
    if (buffer_.size() - start_ > max_line_) {
      line->assign(buffer_, start_, std::min<size_t>(buffer_.size() - start_, 256));
      *error = Status::BadInput(fmt::format("line longer than the limit of {} bytes ({} MiB)",
                                            max_line_, max_line_ >> 20));
      return Next::kError;
    }
    if (eof_) {
      if (start_ == buffer_.size()) return Next::kEnd;
      line->assign(buffer_, start_, std::string::npos);  // a last line without "\n"
      bytes_read_ += buffer_.size() - start_;
      start_ = buffer_.size();
      return Next::kLine;
    }
    // Keep only the unconsumed bytes, then read more.
    if (start_ > 0) {
      buffer_.erase(0, start_);
      start_ = 0;
    }
    scanned = buffer_.size();
    const size_t old_size = buffer_.size();
    buffer_.resize(old_size + kChunk);
    ssize_t n;
    do {
      n = ::read(fd_, buffer_.data() + old_size, kChunk);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      const int saved = errno;
      buffer_.resize(old_size);
      *error = Status::IoError(fmt::format("cannot read {} after {} bytes: {}", name_,
                                           bytes_read_ + buffer_.size(), Errno(saved)));
      return Next::kError;
    }
    buffer_.resize(old_size + static_cast<size_t>(n));
    if (n == 0) eof_ = true;
  }
}

Result<domain::Date> DateOrToday(const std::optional<std::string>& at) {
  if (!at.has_value()) {
    return domain::Date::FromDays(
        std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())
            .time_since_epoch()
            .count());
  }
  Result<domain::Date> parsed = domain::Date::Parse(*at);
  if (!parsed.ok()) return Status::BadInput("--at: " + parsed.status().message());
  return parsed;
}

}  // namespace esms::cli
