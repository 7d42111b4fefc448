#include "cli/output.h"

#include <unistd.h>

#include <stdio_ext.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace esms::cli {

namespace {

// Everything buffered for the current descriptors 0-2 goes out (or, for input, is
// dropped) before they change.
void FlushStandardStreams() {
  std::cout.flush();
  std::cerr.flush();
  std::clog.flush();
  std::fflush(stdout);
  std::fflush(stderr);
  __fpurge(stdin);
  std::clearerr(stdin);
  std::cin.clear();
}

}  // namespace

ScopedConsole::ScopedConsole(const Console& console) {
  if (console.IsProcess()) return;
  active_ = true;
  FlushStandardStreams();
  const int from[3] = {console.in, console.out, console.err};
  for (int fd = 0; fd < 3; ++fd) {
    saved_[fd] = dup(fd);
    if (saved_[fd] < 0 || dup2(from[fd], fd) < 0) std::abort();  // a bug: bad descriptor
  }
}

ScopedConsole::~ScopedConsole() {
  if (!active_) return;
  FlushStandardStreams();
  for (int fd = 0; fd < 3; ++fd) {
    dup2(saved_[fd], fd);
    close(saved_[fd]);
  }
}

std::string_view PublicCode(StatusCode code, std::string_view given) {
  return given.empty() ? DefaultErrorCode(code) : given;
}

std::string StatusText(const Status& status) {
  return fmt::format("{}: {}", PublicCode(status), status.message());
}

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kDataLoss:
      return kExitVerificationFailed;
    case StatusCode::kUnavailable:
    case StatusCode::kIoError:
    case StatusCode::kInternal:
      return kExitStorage;
    case StatusCode::kInvalidArgument:
      if (PublicCode(status) == error_code::kBadInput || PublicCode(status) == error_code::kUsage) {
        return kExitUsage;
      }
      return kExitRefused;
    default:
      return kExitRefused;
  }
}

std::string JsonString(std::string_view text) { return nlohmann::json(text).dump(); }

std::string ErrorJson(const Status& status) {
  nlohmann::json error = {{"code", PublicCode(status)}, {"message", status.message()}};
  if (!status.conflicts().empty()) error["conflicts"] = status.conflicts();
  return error.dump();
}

int ReportError(const Status& status, bool json) {
  if (json) {
    fmt::print("{{\"error\":{}}}\n", ErrorJson(status));
    std::fflush(stdout);
  } else {
    std::string conflicts;
    for (uint64_t seq : status.conflicts()) {
      conflicts += conflicts.empty() ? " (conflicts with seq " : ", ";
      conflicts += std::to_string(seq);
    }
    if (!conflicts.empty()) conflicts += ")";
    fmt::print(stderr, "error: {}{}\n", StatusText(status), conflicts);
  }
  return ExitCodeFor(status);
}

Progress::Progress(std::string label, uint64_t total)
    : label_(std::move(label)),
      total_(total),
      enabled_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { Finish(); }

void Progress::Update(uint64_t done) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(done);
}

void Progress::Draw(uint64_t done) {
  constexpr int kWidth = 30;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  uint64_t rate = seconds > 0 ? static_cast<uint64_t>(done / seconds) : 0;
  if (total_ > 0) {
    int filled = static_cast<int>(kWidth * std::min(done, total_) / total_);
    fmt::print(stderr, "\r{} [{}{}] {}/{} ({}/s)", label_, std::string(filled, '#'),
               std::string(kWidth - filled, '.'), done, total_, rate);
  } else {
    fmt::print(stderr, "\r{} {} ({}/s)", label_, done, rate);
  }
  std::fflush(stderr);
}

void Progress::Finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  Draw(total_);
  fmt::print(stderr, "\n");
}

}  // namespace esms::cli
