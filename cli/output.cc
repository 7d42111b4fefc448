#include "cli/output.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"

namespace esms::cli {

std::string_view PublicCode(StatusCode code, std::string_view given) {
  return given.empty() ? DefaultErrorCode(code) : given;
}

std::string StatusText(const Status& status) {
  return fmt::format("{}: {}", PublicCode(status), status.message());
}

int ExitCodeFor(const Status& status) {
  if (status.ok()) return kExitOk;
  // INTERFACE.md §4 and §5 tie these two codes to exit 2 whatever the layer's canonical
  // code (`key new` onto an existing file is AlreadyExists, its code BAD_INPUT).
  if (PublicCode(status) == error_code::kBadInput || PublicCode(status) == error_code::kUsage) {
    return kExitUsage;
  }
  switch (status.code()) {
    case StatusCode::kDataLoss:
      return kExitVerificationFailed;
    case StatusCode::kUnavailable:
    case StatusCode::kIoError:
    case StatusCode::kInternal:
      return kExitStorage;
    default:
      return kExitRefused;
  }
}

std::string JsonString(std::string_view text) { return nlohmann::json(text).dump(); }

std::string TrustHint(const Globals& g) {
  if (!g.server.empty() || g.served_ledger != nullptr) return "ledger.pub";
  return (std::filesystem::path(g.ledger_dir) / "ledger.pub").string();
}

std::string ErrorJson(const Status& status) {
  nlohmann::json error = {{"code", PublicCode(status)}, {"message", status.message()}};
  if (!status.conflicts().empty()) error["conflicts"] = status.conflicts();
  return error.dump();
}

int ReportError(const Status& status, bool json, std::FILE* out, std::FILE* err) {
  if (json) {
    fmt::print(out, "{{\"error\":{}}}\n", ErrorJson(status));
    std::fflush(out);
  } else {
    std::string conflicts;
    for (uint64_t seq : status.conflicts()) {
      conflicts += conflicts.empty() ? " (conflicts with seq " : ", ";
      conflicts += std::to_string(seq);
    }
    if (!conflicts.empty()) conflicts += ")";
    fmt::print(err, "error: {}{}\n", StatusText(status), conflicts);
  }
  return ExitCodeFor(status);
}

Progress::Progress(std::string label, uint64_t total, std::FILE* err)
    : label_(std::move(label)),
      total_(total),
      err_(err),
      enabled_(isatty(fileno(err)) == 1),
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
    fmt::print(err_, "\r{} [{}{}] {}/{} ({}/s)", label_, std::string(filled, '#'),
               std::string(kWidth - filled, '.'), done, total_, rate);
  } else {
    fmt::print(err_, "\r{} {} ({}/s)", label_, done, rate);
  }
  std::fflush(err_);
}

void Progress::Finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  Draw(total_);
  fmt::print(err_, "\n");
}

void PrintLine(const Globals& g, std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), g.out);
  if (text.empty() || text.back() != '\n') std::fputc('\n', g.out);
  std::fflush(g.out);
}

void PrintJson(const Globals& g, const nlohmann::json& value) { PrintLine(g, value.dump()); }

}  // namespace esms::cli
