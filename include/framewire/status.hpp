// Status and Result: how every framewire function reports failure without
// exceptions. ErrorCode is the public list of what can go wrong. The codes a
// peer can send keep the numbers of the wire protocol's error codes
// (docs/PROTOCOL.md, "Error codes") so that logs read alike on both ends, but
// the wire's own enum is protocol::WireError: codes from kCancelled on are
// local only and never sent. Each Status says whether trying again can help
// (retryable()). Plain values; safe to copy between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace framewire {

// Wire values are fixed forever; add new codes at the end.
enum class ErrorCode : std::uint16_t {
  kOk = 0,
  kBadMagic = 1,            // peer is not speaking framewire
  kUnsupportedVersion = 2,  // no protocol version in common
  kMalformed = 3,           // a message's body does not parse
  kUnknownType = 4,         // message type not defined, or not valid in this direction
  kMessageTooLarge = 5,     // body length above the cap
  kFrameTooLarge = 6,       // frame data above the receiver's maximum
  kBadName = 7,             // stream name, file name or source kind breaks the name rules
  kBadStream = 8,           // unknown or duplicate stream id
  kStreamBusy = 9,          // stream already open on another connection
  kChecksumMismatch = 10,   // frame bytes do not match their checksum
  kConflict = 11,           // a different file with that name is already stored
  kBadSequence = 12,        // sequence numbers must increase within a stream
  kWindowExceeded = 13,     // sender ignored the flow-control window
  kTimeout = 14,            // handshake or idle deadline passed
  kStorageError = 15,       // receiver could not store (disk full, I/O error)
  kShuttingDown = 16,       // receiver is stopping
  kTooManyStreams = 17,     // stream limit per connection reached
  kUnexpectedMessage = 18,  // valid message at the wrong point of the session
  kInternal = 19,           // local failure not caused by the peer
  kConnectionFailed = 20,   // local only: could not connect / connection lost
  kForbidden = 21,          // the client's identity may not write that stream
  kStaleSequence =
      22,           // at or below the stream's highest stored sequence, not the frame stored there
  kCancelled = 23,  // local only: cancel() was called
};

// Whether a failure with this code can go away by itself, so that a new
// connection after a pause may succeed: a lost or refused connection, a
// timeout, a receiver shutting down, a stream still held by our own earlier
// connection. Everything else (a bad name, a TLS or certificate problem, a
// protocol violation, a local file that cannot be read, a full disk) needs a
// person. A Status may be marked otherwise where it is made (Status::fatal()).
bool is_retryable(ErrorCode code);

// Stable lower_snake_case name of a code, e.g. "checksum_mismatch".
std::string_view to_string(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message)
      : code_(code), message_(std::move(message)), retryable_(is_retryable(code)) {}
  static Status ok() { return {}; }
  // The same failure, classified as needing a person whatever its code (a
  // host:port that does not parse is kConnectionFailed but will never work).
  Status fatal() const& {
    Status copy = *this;
    copy.retryable_ = false;
    return copy;
  }
  // The same failure, classified as worth retrying (a full disk, when the
  // user asked to wait for space).
  Status retryable_anyway() const& {
    Status copy = *this;
    copy.retryable_ = !copy.is_ok();
    return copy;
  }

  bool is_ok() const { return code_ == ErrorCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Whether trying again later can succeed (is_retryable(code()) unless
  // reclassified); false for ok.
  bool retryable() const { return retryable_; }
  // "code_name: message", for logs and user-facing errors.
  std::string to_string() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  bool retryable_ = false;
};

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : state_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool is_ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return is_ok(); }
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  Status status() const { return is_ok() ? Status::ok() : std::get<Status>(state_); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace framewire
