// Incremental decoder for wire protocol v1. Feed it bytes split at any point;
// each call to next() answers one event: need more input, a whole control
// message, a piece of frame data, the end of a frame (with its checksum), or
// an error. It never performs I/O and never allocates in proportion to a
// declared length: frame data is handed out as views into the caller's input.
//
// One decoder per connection direction; not thread-safe. After an error the
// decoder stays failed and keeps returning that error.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "protocol/messages.hpp"

namespace framewire::protocol {

// Whose messages this decoder reads: the client (sender) sends HELLO,
// OPEN_STREAM, FRAME, GOODBYE, ERROR; the server (receiver) sends HELLO_OK,
// STREAM_OPENED, ACK, FRAME_REJECTED, GOODBYE, ERROR.
enum class Peer { kClient, kServer };

struct DecoderLimits {
  std::uint64_t max_frame_bytes = kMaxFrameBytesLimit;
};

struct NeedMore {};
struct FrameData {
  std::span<const std::uint8_t> bytes;  // view into the input passed to next()
};
struct FrameEnd {
  std::uint64_t checksum = 0;
};
struct DecodeError {
  ErrorCode code = ErrorCode::kMalformed;
  std::string message;
};

using DecodeEvent = std::variant<NeedMore, Message, FrameData, FrameEnd, DecodeError>;

class MessageDecoder {
 public:
  MessageDecoder(Peer from, DecoderLimits limits);

  // Consumes a prefix of `input` (advancing the span) and returns the next
  // event. NeedMore means `input` is now empty and more bytes are required.
  // A Message holding a FrameHeader is followed by FrameData events (none
  // when data_bytes is 0) and then exactly one FrameEnd.
  //
  // Errors: kBadMagic when the first message is not a HELLO (client) or a
  // HELLO_OK/ERROR (server) or the magic differs; kUnknownType; kMalformed
  // (nonzero flags or reserved bits, body does not match its layout, string
  // over its cap); kMessageTooLarge (body_bytes > kMaxBodyBytes);
  // kFrameTooLarge (data_bytes > limits.max_frame_bytes).
  DecodeEvent next(std::span<const std::uint8_t>& input);

  bool failed() const { return failed_; }
  // True between a FRAME header and its FrameEnd.
  bool inside_frame() const { return state_ != State::kEnvelope && state_ != State::kBody; }

 private:
  enum class State { kEnvelope, kBody, kFrameData, kFrameChecksum };

  DecodeEvent fail(ErrorCode code, std::string message);
  DecodeEvent decode_body();
  // Parses `body` (a view into the caller's input, or pending_) as a message
  // of type_, so that a body that arrived whole is never copied.
  DecodeEvent decode_body(std::span<const std::uint8_t> body);

  Peer from_;
  DecoderLimits limits_;
  State state_ = State::kEnvelope;
  bool seen_first_ = false;
  bool failed_ = false;
  DecodeError error_;
  MessageType type_ = MessageType::kHello;
  std::uint32_t body_bytes_ = 0;
  std::uint64_t data_left_ = 0;
  std::vector<std::uint8_t> pending_;  // partial envelope, body or checksum
};

}  // namespace framewire::protocol
