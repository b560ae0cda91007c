// Status and Result<T>: errors are values. Every fallible call in ferry returns one of these;
// exceptions never cross a layer. A Status carries a code (for programs) and a message written
// for the user ("wrong password for repository at /backups/repo").
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ferry {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad input from the user: unknown algorithm, malformed flag, bad YAML
  kNotFound,         // blob, content, manifest, resource does not exist
  kAlreadyExists,    // creating something that is already there
  kCorruption,       // stored bytes are damaged or not what the format says
  kAuthentication,   // AEAD tag mismatch: wrong key/password or tampered data
  kIOError,          // the operating system or the network failed
  kUnsupported,      // a format version or feature ferry does not implement
  kConflict,         // optimistic concurrency lost a race (resourceVersion, epoch)
  kCancelled,        // the user or a deadline stopped the operation
  kInternal,         // a bug in ferry
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status Authentication(std::string m) { return {StatusCode::kAuthentication, std::move(m)}; }
  static Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
  static Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
  static Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prepends context: Status::NotFound("no such blob").WithContext("reading pack p123") gives
  // "reading pack p123: no such blob". OK statuses are returned unchanged.
  Status WithContext(std::string_view context) const;

  // "NotFound: message" — for logs and test failure output.
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Result<T> holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(data_).ok() && "Result constructed from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace ferry

// Early-return helpers. FERRY_RETURN_IF_ERROR(expr) returns the Status of expr if not OK.
// FERRY_ASSIGN_OR_RETURN(lhs, expr) evaluates a Result, returns its Status on error, otherwise
// moves its value into lhs (which may be a declaration: `auto x`).
#define FERRY_RETURN_IF_ERROR(expr)                 \
  do {                                              \
    ::ferry::Status ferry_status_ = (expr);         \
    if (!ferry_status_.ok()) return ferry_status_;  \
  } while (0)

#define FERRY_CONCAT_INNER(a, b) a##b
#define FERRY_CONCAT(a, b) FERRY_CONCAT_INNER(a, b)
#define FERRY_ASSIGN_OR_RETURN(lhs, expr) \
  FERRY_ASSIGN_OR_RETURN_IMPL(FERRY_CONCAT(ferry_result_, __LINE__), lhs, expr)
#define FERRY_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
