// Status and Result<T>: errors as values, carried from the layer that finds them up
// to the CLI, which maps them to the documented error codes and exit codes.
//
// A Status has a canonical code (chosen as absl/status/status.h documents them:
// InvalidArgument for bad input, FailedPrecondition for a programme rule, DataLoss for
// a broken chain, Unavailable for a locked ledger, ...), the public error code of
// INTERFACE.md §4 when the layer that found the error must name it (a rule's
// "NONCUMUL_SONS_ACQUISITION", "EVENT_ID_CONFLICT"; the CLI's table in cli/output.h
// owns the list and gives the others from the canonical code), a human message, and,
// for refusals, the seqs of the records the refused event conflicts with.
//
// This header is a vocabulary type shared by every layer; it depends on nothing but
// the standard library, so `domain/` may use it without knowing anything of `ledger/`.
//
// Thread-safety: value types; distinct objects may be used from distinct threads.
#ifndef ESMS_BASE_STATUS_H_
#define ESMS_BASE_STATUS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace esms {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // malformed input
  kNotFound,            // unknown seq, project, checkpoint
  kAlreadyExists,       // a project or an event id already there
  kFailedPrecondition,  // a programme rule refused the event
  kAborted,             // a stale expected version
  kPermissionDenied,    // signer not authorized
  kDataLoss,            // tampering, broken chain, corrupt record
  kUnavailable,         // ledger locked by another process
  kIoError,             // storage I/O failure, disk full
  kInternal,            // a bug
};

// "INVALID_ARGUMENT", "DATA_LOSS", ...: the canonical code's name.
constexpr std::string_view StatusCodeName(StatusCode code) {
  constexpr std::string_view kNames[] = {
      "OK",      "INVALID_ARGUMENT",  "NOT_FOUND", "ALREADY_EXISTS", "FAILED_PRECONDITION",
      "ABORTED", "PERMISSION_DENIED", "DATA_LOSS", "UNAVAILABLE",    "IO_ERROR",
      "INTERNAL"};
  return kNames[static_cast<int>(code)];
}

// The public code (INTERFACE.md §4) of a Status whose layer named none: the one table,
// used by Status::ToString and by the CLI (cli/output.h, which lists the public codes
// and maps them to exit codes). AlreadyExists and FailedPrecondition are always named.
constexpr std::string_view DefaultErrorCode(StatusCode code) {
  constexpr std::string_view kDefaults[] = {"",
                                            "BAD_INPUT",
                                            "NOT_FOUND",
                                            "INTERNAL",
                                            "INTERNAL",
                                            "VERSION_CONFLICT",
                                            "UNAUTHORIZED",
                                            "CORRUPTION",
                                            "LEDGER_LOCKED",
                                            "STORAGE_ERROR",
                                            "INTERNAL"};
  return kDefaults[static_cast<int>(code)];
}

class [[nodiscard]] Status {
 public:
  // An OK status.
  Status() = default;

  // Each factory sets the canonical code. `error_code` names the public code when the
  // layer must say it precisely (a programme rule, EVENT_ID_CONFLICT, USAGE, ...);
  // without it, the CLI's table (cli/output.h) gives the canonical code's default.
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string message) {
    return Status(StatusCode::kInvalidArgument, {}, std::move(message));
  }
  static Status InvalidArgument(std::string_view error_code, std::string message) {
    return Status(StatusCode::kInvalidArgument, error_code, std::move(message));
  }
  // Malformed input: InvalidArgument without a public code of its own.
  static Status BadInput(std::string message) { return InvalidArgument(std::move(message)); }
  static Status NotFound(std::string message) {
    return Status(StatusCode::kNotFound, {}, std::move(message));
  }
  static Status NotFound(std::string_view error_code, std::string message) {
    return Status(StatusCode::kNotFound, error_code, std::move(message));
  }
  static Status AlreadyExists(std::string_view error_code, std::string message) {
    return Status(StatusCode::kAlreadyExists, error_code, std::move(message));
  }
  static Status FailedPrecondition(std::string_view error_code, std::string message) {
    return Status(StatusCode::kFailedPrecondition, error_code, std::move(message));
  }
  static Status Aborted(std::string message) {
    return Status(StatusCode::kAborted, {}, std::move(message));
  }
  static Status Aborted(std::string_view error_code, std::string message) {
    return Status(StatusCode::kAborted, error_code, std::move(message));
  }
  static Status PermissionDenied(std::string message) {
    return Status(StatusCode::kPermissionDenied, {}, std::move(message));
  }
  static Status DataLoss(std::string message) {
    return Status(StatusCode::kDataLoss, {}, std::move(message));
  }
  // A failed verification that must name its public code (ROLLBACK, CONSISTENCY_FAILED).
  static Status DataLoss(std::string_view error_code, std::string message) {
    return Status(StatusCode::kDataLoss, error_code, std::move(message));
  }
  static Status Unavailable(std::string message) {
    return Status(StatusCode::kUnavailable, {}, std::move(message));
  }
  static Status IoError(std::string message) {
    return Status(StatusCode::kIoError, {}, std::move(message));
  }
  static Status Internal(std::string message) {
    return Status(StatusCode::kInternal, {}, std::move(message));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // The public code the layer gave ("NONCUMUL_SECOND_DUI", "EVENT_ID_CONFLICT", ...);
  // empty when none was given (the CLI then maps code()) and when ok().
  const std::string& error_code() const { return error_code_; }
  const std::string& message() const { return message_; }
  // Seqs of the ledger records this refusal conflicts with (may be empty).
  const std::vector<uint64_t>& conflicts() const { return conflicts_; }

  Status&& WithConflicts(std::vector<uint64_t> seqs) && {
    conflicts_ = std::move(seqs);
    return std::move(*this);
  }
  // Prefixes the message with where the error was found ("line 7: ...").
  Status&& WithContext(std::string_view context) && {
    message_ = std::string(context) + ": " + message_;
    return std::move(*this);
  }

  bool Is(std::string_view code) const { return error_code_ == code; }

  // "ERROR_CODE: message" (DefaultErrorCode without a named one) or "OK".
  std::string ToString() const {
    if (ok()) return "OK";
    return (error_code_.empty() ? std::string(DefaultErrorCode(code_)) : error_code_) + ": " +
           message_;
  }

 private:
  Status(StatusCode code, std::string_view error_code, std::string message)
      : code_(code), error_code_(error_code), message_(std::move(message)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string error_code_;
  std::string message_;
  std::vector<uint64_t> conflicts_;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : value_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(value_).ok()) {
      value_ = Status::Internal("Result constructed from an OK status");
    }
  }

  bool ok() const { return std::holds_alternative<T>(value_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(value_);
  }
  Status TakeStatus() && { return ok() ? Status() : std::move(std::get<Status>(value_)); }

  // Precondition: ok().
  T& value() & { return std::get<T>(value_); }
  const T& value() const& { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> value_;
};

}  // namespace esms

#define ESMS_CONCAT_INNER_(a, b) a##b
#define ESMS_CONCAT_(a, b) ESMS_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` (a Status) is not OK.
#define RETURN_IF_ERROR(expr)                    \
  do {                                           \
    ::esms::Status esms_status_ = (expr);        \
    if (!esms_status_.ok()) return esms_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, MakeX());` assigns the value or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(ESMS_CONCAT_(esms_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)       \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).TakeStatus(); \
  lhs = std::move(tmp).value()

#endif  // ESMS_BASE_STATUS_H_
