// Translation between the wire's error codes and framewire's public ones (see
// the header). Both directions are explicit switches without a default, so
// that -Wswitch (an error under FRAMEWIRE_WERROR) names any code of either
// list that the mapping forgot; no value is ever cast from one enum to the
// other. Pure; any thread.
#include "protocol/wire_error.hpp"

#include <optional>

namespace framewire::protocol {

namespace {

// The public code of a row of the table, or nullopt for a number the table
// does not list.
std::optional<ErrorCode> public_code_of(WireError code) {
  switch (code) {
    case WireError::kOk:
      return ErrorCode::kOk;
    case WireError::kBadMagic:
      return ErrorCode::kBadMagic;
    case WireError::kUnsupportedVersion:
      return ErrorCode::kUnsupportedVersion;
    case WireError::kMalformed:
      return ErrorCode::kMalformed;
    case WireError::kUnknownType:
      return ErrorCode::kUnknownType;
    case WireError::kMessageTooLarge:
      return ErrorCode::kMessageTooLarge;
    case WireError::kFrameTooLarge:
      return ErrorCode::kFrameTooLarge;
    case WireError::kBadName:
      return ErrorCode::kBadName;
    case WireError::kBadStream:
      return ErrorCode::kBadStream;
    case WireError::kStreamBusy:
      return ErrorCode::kStreamBusy;
    case WireError::kChecksumMismatch:
      return ErrorCode::kChecksumMismatch;
    case WireError::kConflict:
      return ErrorCode::kConflict;
    case WireError::kBadSequence:
      return ErrorCode::kBadSequence;
    case WireError::kWindowExceeded:
      return ErrorCode::kWindowExceeded;
    case WireError::kTimeout:
      return ErrorCode::kTimeout;
    case WireError::kStorageError:
      return ErrorCode::kStorageError;
    case WireError::kShuttingDown:
      return ErrorCode::kShuttingDown;
    case WireError::kTooManyStreams:
      return ErrorCode::kTooManyStreams;
    case WireError::kUnexpectedMessage:
      return ErrorCode::kUnexpectedMessage;
    case WireError::kInternal:
      return ErrorCode::kInternal;
    // A peer has no business sending it (the table: "never on the wire"), but
    // it is the table's number, so it keeps its name rather than being
    // reported as unknown.
    case WireError::kConnectionFailed:
      return ErrorCode::kConnectionFailed;
    case WireError::kForbidden:
      return ErrorCode::kForbidden;
    case WireError::kStaleSequence:
      return ErrorCode::kStaleSequence;
  }
  return std::nullopt;
}

}  // namespace

WireError to_wire(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return WireError::kOk;
    case ErrorCode::kBadMagic:
      return WireError::kBadMagic;
    case ErrorCode::kUnsupportedVersion:
      return WireError::kUnsupportedVersion;
    case ErrorCode::kMalformed:
      return WireError::kMalformed;
    case ErrorCode::kUnknownType:
      return WireError::kUnknownType;
    case ErrorCode::kMessageTooLarge:
      return WireError::kMessageTooLarge;
    case ErrorCode::kFrameTooLarge:
      return WireError::kFrameTooLarge;
    case ErrorCode::kBadName:
      return WireError::kBadName;
    case ErrorCode::kBadStream:
      return WireError::kBadStream;
    case ErrorCode::kStreamBusy:
      return WireError::kStreamBusy;
    case ErrorCode::kChecksumMismatch:
      return WireError::kChecksumMismatch;
    case ErrorCode::kConflict:
      return WireError::kConflict;
    case ErrorCode::kBadSequence:
      return WireError::kBadSequence;
    case ErrorCode::kWindowExceeded:
      return WireError::kWindowExceeded;
    case ErrorCode::kTimeout:
      return WireError::kTimeout;
    case ErrorCode::kStorageError:
      return WireError::kStorageError;
    case ErrorCode::kShuttingDown:
      return WireError::kShuttingDown;
    case ErrorCode::kTooManyStreams:
      return WireError::kTooManyStreams;
    case ErrorCode::kUnexpectedMessage:
      return WireError::kUnexpectedMessage;
    case ErrorCode::kInternal:
      return WireError::kInternal;
    case ErrorCode::kForbidden:
      return WireError::kForbidden;
    case ErrorCode::kStaleSequence:
      return WireError::kStaleSequence;
    // Local only: the peer learns that this side failed by itself, not why.
    case ErrorCode::kConnectionFailed:
    case ErrorCode::kCancelled:
      return WireError::kInternal;
  }
  // Not a named ErrorCode (a value cast in by mistake): still a failure of
  // ours, never "ok".
  return WireError::kInternal;
}

ErrorCode from_wire(WireError code) {
  return public_code_of(code).value_or(ErrorCode::kInternal);
}

ErrorCode from_wire(std::uint16_t code) {
  return from_wire(WireError{code});
}

bool is_known(WireError code) {
  return public_code_of(code).has_value();
}

std::string to_string(WireError code) {
  // The public names are the table's names for every code of the table.
  if (const std::optional<ErrorCode> known = public_code_of(code)) {
    return std::string(framewire::to_string(*known));
  }
  return "unknown error code " + std::to_string(static_cast<std::uint16_t>(code));
}

std::string text_with_unknown_code(WireError code, std::string_view text) {
  if (is_known(code)) return std::string(text);
  return to_string(code) + ": " + std::string(text);
}

}  // namespace framewire::protocol
