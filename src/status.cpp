#include "framewire/status.hpp"

namespace framewire {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kBadMagic:
      return "bad_magic";
    case ErrorCode::kUnsupportedVersion:
      return "unsupported_version";
    case ErrorCode::kMalformed:
      return "malformed";
    case ErrorCode::kUnknownType:
      return "unknown_type";
    case ErrorCode::kMessageTooLarge:
      return "message_too_large";
    case ErrorCode::kFrameTooLarge:
      return "frame_too_large";
    case ErrorCode::kBadName:
      return "bad_name";
    case ErrorCode::kBadStream:
      return "bad_stream";
    case ErrorCode::kStreamBusy:
      return "stream_busy";
    case ErrorCode::kChecksumMismatch:
      return "checksum_mismatch";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kBadSequence:
      return "bad_sequence";
    case ErrorCode::kWindowExceeded:
      return "window_exceeded";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kStorageError:
      return "storage_error";
    case ErrorCode::kShuttingDown:
      return "shutting_down";
    case ErrorCode::kTooManyStreams:
      return "too_many_streams";
    case ErrorCode::kUnexpectedMessage:
      return "unexpected_message";
    case ErrorCode::kInternal:
      return "internal";
    case ErrorCode::kConnectionFailed:
      return "connection_failed";
    case ErrorCode::kForbidden:
      return "forbidden";
    case ErrorCode::kCancelled:
      return "cancelled";
    case ErrorCode::kStaleSequence:
      return "stale_sequence";
  }
  return "unknown_error";
}

bool is_retryable(ErrorCode code) {
  switch (code) {
    case ErrorCode::kConnectionFailed:
    case ErrorCode::kTimeout:
    case ErrorCode::kShuttingDown:
    case ErrorCode::kStreamBusy:  // an earlier connection of ours may still hold it
      return true;
    default:
      return false;
  }
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  std::string text(framewire::to_string(code_));
  text += ": ";
  text += message_;
  return text;
}

}  // namespace framewire
