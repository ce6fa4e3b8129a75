// SenderSession: the sender's protocol state for one connection, without
// sockets (see the header). Every reply is checked against what this side
// has sent before it is believed, so that a confused or hostile receiver can
// only end the session with a ProtocolViolation, never make the sender
// count a frame as stored that it did not send. One thread at a time.
#include "net/sender_session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "protocol/wire_error.hpp"

namespace framewire::net {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// Whether one more frame of `bytes` fits, PROTOCOL.md 5.4. Written so that
// nothing overflows: a lone frame may have made in_flight_bytes larger than
// the window.
bool window_fits(std::uint64_t in_flight_frames, std::uint64_t in_flight_bytes, std::uint64_t bytes,
                 std::uint64_t window_bytes, std::uint32_t window_frames) {
  if (in_flight_frames == 0) return true;
  return in_flight_frames < window_frames && in_flight_bytes <= window_bytes &&
         bytes <= window_bytes - in_flight_bytes;
}

}  // namespace

std::string_view to_string(SenderSession::State state) {
  switch (state) {
    case SenderSession::State::kNew:
      return "new";
    case SenderSession::State::kAwaitingHelloOk:
      return "awaiting HELLO_OK";
    case SenderSession::State::kReady:
      return "ready";
    case SenderSession::State::kDraining:
      return "draining";
    case SenderSession::State::kDone:
      return "done";
    case SenderSession::State::kFailed:
      return "failed";
  }
  return "unknown";
}

SenderSession::SenderSession(SenderSessionOptions options)
    : options_(std::move(options)), decoder_(protocol::Peer::kServer, {}) {
  // The encoder would cut a longer agent at 255 bytes, which the receiver's
  // decoder refuses as malformed; cut it to the protocol's cap instead.
  if (options_.agent.size() > protocol::kMaxAgentBytes) {
    options_.agent.resize(protocol::kMaxAgentBytes);
  }
}

Status SenderSession::require_state(State wanted, std::string_view call) const {
  if (state_ == State::kFailed) return failure_;
  if (state_ != wanted) {
    return Status(ErrorCode::kInternal, fmt::format("{} called in state \"{}\", not \"{}\"", call,
                                                    to_string(state_), to_string(wanted)));
  }
  if (open_frame_) {
    return Status(ErrorCode::kInternal,
                  fmt::format("{} called inside the frame of sequence {} on stream {}", call,
                              open_frame_->sequence, open_frame_->stream_id));
  }
  return Status::ok();
}

Status SenderSession::start(protocol::ByteBuffer& out) {
  if (state_ != State::kNew) {
    return Status(ErrorCode::kInternal,
                  fmt::format("start called in state \"{}\"", to_string(state_)));
  }
  protocol::encode_message(protocol::Hello{.min_version = protocol::kVersion,
                                           .max_version = protocol::kVersion,
                                           .features = protocol::kFeaturesNone,
                                           .agent = options_.agent,
                                           .sender_id = options_.sender_id},
                           out);
  state_ = State::kAwaitingHelloOk;
  hello_written_ = true;
  return Status::ok();
}

Status SenderSession::open_stream(std::uint32_t stream_id, std::string_view name,
                                  std::string_view source_kind, protocol::ByteBuffer& out) {
  if (Status status = require_state(State::kReady, "open_stream"); !status) return status;
  if (streams_.size() >= kMaxStreamsPerConnection) {
    return Status(ErrorCode::kTooManyStreams,
                  fmt::format("at most {} streams per connection", kMaxStreamsPerConnection));
  }
  if (streams_.contains(stream_id)) {
    return Status(ErrorCode::kBadStream,
                  fmt::format("stream id {} is already used on this connection", stream_id));
  }
  // Only the caps that keep the message decodable are checked here; whether
  // the name follows the name rules is the receiver's call (bad_name).
  if (name.empty() || name.size() > protocol::kMaxStreamNameBytes) {
    return Status(ErrorCode::kBadName, fmt::format("a stream name has 1 to {} bytes, not {}",
                                                   protocol::kMaxStreamNameBytes, name.size()));
  }
  if (source_kind.empty() || source_kind.size() > protocol::kMaxSourceKindBytes) {
    return Status(ErrorCode::kBadName,
                  fmt::format("a source kind has 1 to {} bytes, not {}",
                              protocol::kMaxSourceKindBytes, source_kind.size()));
  }
  for (const auto& [id, stream] : streams_) {
    if (stream.name == name) {
      return Status(
          ErrorCode::kStreamBusy,
          fmt::format("stream \"{}\" is already open on this connection as id {}", name, id));
    }
  }
  protocol::encode_message(protocol::OpenStream{.stream_id = stream_id,
                                                .name = std::string(name),
                                                .source_kind = std::string(source_kind)},
                           out);
  streams_.emplace(stream_id, Stream{.name = std::string(name)});
  return Status::ok();
}

Status SenderSession::check_send(std::uint32_t stream_id, std::uint64_t data_bytes) const {
  if (Status status = require_state(State::kReady, "begin_frame"); !status) return status;
  const auto it = streams_.find(stream_id);
  if (it == streams_.end()) {
    return Status(ErrorCode::kBadStream,
                  fmt::format("stream id {} was not opened on this connection", stream_id));
  }
  const Stream& stream = it->second;
  if (!stream.ready) {
    return Status(ErrorCode::kBadStream,
                  fmt::format("stream \"{}\" has no STREAM_OPENED yet", stream.name));
  }
  if (data_bytes > max_frame_bytes_) {
    return Status(ErrorCode::kFrameTooLarge,
                  fmt::format("a frame of {} bytes; the receiver accepts at most {}", data_bytes,
                              max_frame_bytes_));
  }
  if (stream.next_sequence > kMaxFrameSequence) {
    return Status(ErrorCode::kBadSequence,
                  fmt::format("stream \"{}\" has used up its sequence numbers", stream.name));
  }
  if (!window_fits(in_flight_frames_, in_flight_bytes_, data_bytes, window_bytes_,
                   window_frames_)) {
    return Status(ErrorCode::kWindowExceeded,
                  fmt::format("{} frames / {} bytes in flight; one more of {} bytes would not fit "
                              "the window of {} frames / {} bytes",
                              in_flight_frames_, in_flight_bytes_, data_bytes, window_frames_,
                              window_bytes_));
  }
  return Status::ok();
}

Result<std::uint64_t> SenderSession::begin_frame(std::uint32_t stream_id,
                                                 std::string_view file_name,
                                                 std::uint64_t data_bytes,
                                                 std::int64_t capture_time_ns, FrameToken token,
                                                 protocol::ByteBuffer& out) {
  if (Status status = check_send(stream_id, data_bytes); !status) return status;
  if (file_name.empty() || file_name.size() > protocol::kMaxFileNameBytes) {
    return Status(ErrorCode::kBadName, fmt::format("a file name has 1 to {} bytes, not {}",
                                                   protocol::kMaxFileNameBytes, file_name.size()));
  }
  Stream& stream = streams_.at(stream_id);
  const std::uint64_t sequence = stream.next_sequence;
  protocol::encode_message(protocol::FrameHeader{.stream_id = stream_id,
                                                 .sequence = sequence,
                                                 .capture_time_ns = capture_time_ns,
                                                 .data_bytes = data_bytes,
                                                 .file_name = std::string(file_name)},
                           out);
  // In flight from the header on, as the receiver counts it.
  stream.in_flight.push_back(
      InFlight{.sequence = sequence, .bytes = data_bytes, .token = token, .rejected = false});
  if (!stream.first_sent) stream.first_sent = sequence;
  stream.next_sequence = sequence + 1;  // <= 2^64-1: check_send refused kMaxFrameSequence + 1
  ++in_flight_frames_;
  in_flight_bytes_ += data_bytes;
  ++frames_started_;
  open_frame_ = OpenFrame{.stream_id = stream_id, .sequence = sequence};
  return sequence;
}

Status SenderSession::end_frame(std::uint64_t checksum, protocol::ByteBuffer& out) {
  // The connection is over: nobody is reading. The frame stays open, since
  // on the wire it is: no ERROR may follow (abort() checks inside_frame()).
  if (state_ == State::kFailed) return failure_;
  if (!open_frame_) return Status(ErrorCode::kInternal, "end_frame called with no frame open");
  protocol::encode_frame_checksum(checksum, out);
  streams_.at(open_frame_->stream_id).last_complete = open_frame_->sequence;
  open_frame_.reset();
  return Status::ok();
}

Status SenderSession::goodbye(protocol::ByteBuffer& out) {
  if (Status status = require_state(State::kReady, "goodbye"); !status) return status;
  protocol::encode_message(protocol::Goodbye{}, out);
  state_ = State::kDraining;
  // After its GOODBYE a sender sends nothing more (PROTOCOL.md 5.6), not
  // even ERROR: the receiver would take it for a violation of its own.
  may_send_error_ = false;
  return Status::ok();
}

bool SenderSession::abort(const Status& why, protocol::ByteBuffer& out) {
  // Before HELLO an ERROR would be the receiver's bad_magic; inside a frame
  // it would be read as data.
  if (state_ == State::kDone) return false;  // nothing left to give up
  const bool may_send = may_send_error_ && hello_written_ && !open_frame_;
  if (state_ != State::kFailed) {
    state_ = State::kFailed;
    failure_ = why.is_ok() ? Status(ErrorCode::kInternal, "aborted without a reason") : why;
  }
  if (!may_send) return false;
  may_send_error_ = false;
  const Status& sent = why.is_ok() ? failure_ : why;
  // A local-only code (cancelled) goes out as the wire's internal.
  protocol::encode_message(
      protocol::ErrorMessage{.code = protocol::to_wire(sent.code()), .message = sent.message()},
      out);
  return true;
}

void SenderSession::consume(std::span<const std::uint8_t> from_receiver,
                            std::vector<SenderEvent>& events) {
  if (state_ == State::kFailed || from_receiver.empty()) return;
  if (state_ == State::kNew) {
    return violation(ErrorCode::kUnexpectedMessage, "the receiver spoke before our HELLO", events);
  }
  while (state_ != State::kFailed && state_ != State::kDone) {
    auto event = decoder_.next(from_receiver);
    if (std::holds_alternative<protocol::NeedMore>(event)) return;
    std::visit(Overloaded{
                   [](const protocol::NeedMore&) {},
                   [&](const protocol::DecodeError& error) {
                     violation(error.code, "bad reply from the receiver: " + error.message, events);
                   },
                   [&](const protocol::Message& message) { handle(message, events); },
                   // The decoder refuses FRAME from a server (unknown_type),
                   // so these cannot happen; fail rather than trust that.
                   [&](const protocol::FrameData&) {
                     violation(ErrorCode::kUnknownType, "the receiver sent frame data", events);
                   },
                   [&](const protocol::FrameEnd&) {
                     violation(ErrorCode::kUnknownType, "the receiver sent frame data", events);
                   },
               },
               event);
  }
  // The receiver closes after its GOODBYE (PROTOCOL.md 5.6); anything behind
  // it means the two sides disagree about the session.
  if (state_ == State::kDone && !from_receiver.empty()) {
    violation(ErrorCode::kUnexpectedMessage,
              fmt::format("{} bytes after the receiver's GOODBYE", from_receiver.size()), events);
  }
}

void SenderSession::handle(const protocol::Message& message, std::vector<SenderEvent>& events) {
  std::visit(Overloaded{
                 [&](const protocol::HelloOk& m) { on_hello_ok(m, events); },
                 [&](const protocol::StreamOpened& m) { on_stream_opened(m, events); },
                 [&](const protocol::Ack& m) { on_ack(m, events); },
                 [&](const protocol::FrameRejected& m) { on_frame_rejected(m, events); },
                 [&](const protocol::ErrorMessage& m) { on_error(m, events); },
                 [&](const protocol::Goodbye&) { on_goodbye(events); },
                 // HELLO, OPEN_STREAM and FRAME are refused by the decoder
                 // as unknown_type from a server.
                 [&](const auto&) {
                   violation(ErrorCode::kUnknownType, "message not valid from a receiver", events);
                 },
             },
             message);
}

void SenderSession::on_hello_ok(const protocol::HelloOk& hello_ok,
                                std::vector<SenderEvent>& events) {
  // The decoder lets only HELLO_OK or ERROR open the stream, so any other
  // state means a second HELLO_OK.
  if (state_ != State::kAwaitingHelloOk) {
    return violation(ErrorCode::kUnexpectedMessage, "HELLO_OK sent twice", events);
  }
  if (hello_ok.version != protocol::kVersion) {
    return violation(ErrorCode::kUnsupportedVersion,
                     fmt::format("HELLO_OK chose protocol version {}; this sender offered only {}",
                                 hello_ok.version, protocol::kVersion),
                     events);
  }
  if ((hello_ok.features & ~protocol::kFeaturesNone) != 0) {
    return violation(ErrorCode::kMalformed,
                     fmt::format("HELLO_OK grants feature bits {:#x}, which were not offered",
                                 hello_ok.features),
                     events);
  }
  max_frame_bytes_ = std::min(hello_ok.max_frame_bytes, protocol::kMaxFrameBytesLimit);
  window_bytes_ = std::min(options_.window_bytes, hello_ok.window_bytes);
  window_frames_ = std::min(options_.window_frames, hello_ok.window_frames);
  state_ = State::kReady;
  events.emplace_back(HelloAccepted{.max_frame_bytes = max_frame_bytes_,
                                    .window_bytes = window_bytes_,
                                    .window_frames = window_frames_,
                                    .agent = hello_ok.agent});
}

void SenderSession::on_stream_opened(const protocol::StreamOpened& opened,
                                     std::vector<SenderEvent>& events) {
  const auto it = streams_.find(opened.stream_id);
  if (it == streams_.end()) {
    return violation(ErrorCode::kBadStream,
                     fmt::format("STREAM_OPENED for stream id {}, which this sender did not open",
                                 opened.stream_id),
                     events);
  }
  Stream& stream = it->second;
  if (stream.ready) {
    return violation(ErrorCode::kUnexpectedMessage,
                     fmt::format("STREAM_OPENED twice for stream \"{}\"", stream.name), events);
  }
  // Both fields come from the same manifest line (PROTOCOL.md 11): a stored
  // frame always has a name, and a name needs a stored frame. The spec gives
  // no room for either half alone (4.4, 5.3 step 3, 5.9 step 2: "0 and empty
  // if nothing is stored"): a stored frame has a sequence >= 0, so
  // next_sequence is then >= 1, and never wraps to 0 because 2^64-1 is
  // refused (5.4). Resuming from such a pair would trust one half over the
  // other, so the receiver is not believed.
  if ((opened.next_sequence == 0) != opened.last_file_name.empty()) {
    return violation(ErrorCode::kMalformed,
                     fmt::format("STREAM_OPENED for stream \"{}\": next_sequence {} with "
                                 "last_file_name \"{}\"",
                                 stream.name, opened.next_sequence, opened.last_file_name),
                     events);
  }
  stream.ready = true;
  stream.next_sequence = opened.next_sequence;
  events.emplace_back(StreamOpened{.stream_id = opened.stream_id,
                                   .next_sequence = opened.next_sequence,
                                   .last_file_name = opened.last_file_name});
}

SenderSession::Stream* SenderSession::replied_stream(std::uint32_t stream_id,
                                                     std::string_view message,
                                                     std::vector<SenderEvent>& events) {
  const auto it = streams_.find(stream_id);
  if (it == streams_.end() || !it->second.ready) {
    violation(ErrorCode::kBadStream,
              fmt::format("{} for stream id {}, which is not open", message, stream_id), events);
    return nullptr;
  }
  return &it->second;
}

void SenderSession::on_ack(const protocol::Ack& ack, std::vector<SenderEvent>& events) {
  for (const protocol::AckEntry& entry : ack.entries) {
    Stream* stream = replied_stream(entry.stream_id, "ACK", events);
    if (stream == nullptr) return;
    const std::uint64_t through = entry.through_sequence;
    if (!stream->last_complete || through > *stream->last_complete) {
      return violation(
          ErrorCode::kBadSequence,
          stream->last_complete
              ? fmt::format("ACK through sequence {} on stream \"{}\", beyond the last frame "
                            "sent ({})",
                            through, stream->name, *stream->last_complete)
              : fmt::format("ACK through sequence {} on stream \"{}\", on which no frame was "
                            "sent",
                            through, stream->name),
          events);
    }
    // A repeated value is harmless (PROTOCOL.md 5.5: take the larger one);
    // a smaller one is not.
    if (stream->acked_through ? through < *stream->acked_through : through < *stream->first_sent) {
      return violation(
          ErrorCode::kBadSequence,
          fmt::format("ACK through sequence {} on stream \"{}\" goes back below {}", through,
                      stream->name,
                      stream->acked_through ? *stream->acked_through : *stream->first_sent),
          events);
    }
    stream->acked_through = through;
    Acked acked{.stream_id = entry.stream_id, .through_sequence = through, .stored = {}};
    while (!stream->in_flight.empty() && stream->in_flight.front().sequence <= through) {
      const InFlight& frame = stream->in_flight.front();
      --in_flight_frames_;
      in_flight_bytes_ -= frame.bytes;
      if (!frame.rejected) {
        ++frames_stored_;
        bytes_stored_ += frame.bytes;
        acked.stored.push_back(
            SettledFrame{.sequence = frame.sequence, .bytes = frame.bytes, .token = frame.token});
      }
      stream->in_flight.pop_front();
    }
    events.emplace_back(std::move(acked));
  }
}

void SenderSession::on_frame_rejected(const protocol::FrameRejected& rejected,
                                      std::vector<SenderEvent>& events) {
  Stream* stream = replied_stream(rejected.stream_id, "FRAME_REJECTED", events);
  if (stream == nullptr) return;
  // Status(kOk, ...) would read as success to whoever reports it.
  if (rejected.code == protocol::WireError::kOk) {
    return violation(ErrorCode::kMalformed,
                     fmt::format("FRAME_REJECTED for sequence {} on stream \"{}\" with code 0 (ok)",
                                 rejected.sequence, stream->name),
                     events);
  }
  // Only a frame whose checksum went out and that no ACK has covered yet can
  // be rejected (the rejection always precedes the covering ACK).
  auto frame = std::lower_bound(
      stream->in_flight.begin(), stream->in_flight.end(), rejected.sequence,
      [](const InFlight& f, std::uint64_t sequence) { return f.sequence < sequence; });
  if (frame == stream->in_flight.end() || frame->sequence != rejected.sequence ||
      !stream->last_complete || rejected.sequence > *stream->last_complete) {
    return violation(ErrorCode::kBadSequence,
                     fmt::format("FRAME_REJECTED for sequence {} on stream \"{}\", which is not a "
                                 "sent frame awaiting its ACK",
                                 rejected.sequence, stream->name),
                     events);
  }
  if (frame->rejected) {
    return violation(ErrorCode::kUnexpectedMessage,
                     fmt::format("FRAME_REJECTED twice for sequence {} on stream \"{}\"",
                                 rejected.sequence, stream->name),
                     events);
  }
  frame->rejected = true;
  ++frames_rejected_;
  events.emplace_back(
      Rejected{.stream_id = rejected.stream_id,
               .sequence = frame->sequence,
               .bytes = frame->bytes,
               .token = frame->token,
               .code = protocol::from_wire(rejected.code),
               .message = protocol::text_with_unknown_code(rejected.code, rejected.message)});
}

void SenderSession::on_error(const protocol::ErrorMessage& error,
                             std::vector<SenderEvent>& events) {
  state_ = State::kFailed;
  may_send_error_ = false;  // the receiver is closing; nothing more is read
  const ErrorCode code = protocol::from_wire(error.code);
  std::string message = protocol::text_with_unknown_code(error.code, error.message);
  failure_ = code == ErrorCode::kOk ? Status(ErrorCode::kUnexpectedMessage,
                                             "receiver sent ERROR with code 0 (ok): " + message)
                                    : Status(code, "receiver: " + message);
  events.emplace_back(ReceiverError{.code = code, .message = std::move(message)});
}

void SenderSession::on_goodbye(std::vector<SenderEvent>& events) {
  // A receiver says GOODBYE only in answer to ours, after settling every
  // frame and answering every OPEN_STREAM before it (PROTOCOL.md 5.6).
  if (state_ != State::kDraining) {
    return violation(ErrorCode::kUnexpectedMessage,
                     "the receiver said GOODBYE before this sender did", events);
  }
  for (const auto& [id, stream] : streams_) {
    if (!stream.ready) {
      return violation(ErrorCode::kUnexpectedMessage,
                       fmt::format("the receiver said GOODBYE without answering OPEN_STREAM for "
                                   "stream \"{}\"",
                                   stream.name),
                       events);
    }
  }
  if (in_flight_frames_ != 0) {
    return violation(
        ErrorCode::kUnexpectedMessage,
        fmt::format("the receiver said GOODBYE with {} frames not acknowledged", in_flight_frames_),
        events);
  }
  may_send_error_ = false;
  state_ = State::kDone;
  events.emplace_back(ReceiverGoodbye{});
}

void SenderSession::violation(ErrorCode code, std::string message,
                              std::vector<SenderEvent>& events) {
  state_ = State::kFailed;
  failure_ = Status(code, message);
  events.emplace_back(ProtocolViolation{.code = code, .message = std::move(message)});
}

bool SenderSession::stream_ready(std::uint32_t stream_id) const {
  const auto it = streams_.find(stream_id);
  return it != streams_.end() && it->second.ready;
}

std::optional<std::uint64_t> SenderSession::next_sequence(std::uint32_t stream_id) const {
  const auto it = streams_.find(stream_id);
  if (it == streams_.end() || !it->second.ready) return std::nullopt;
  return it->second.next_sequence;
}

void SenderSession::skip_sequences(std::uint32_t stream_id, std::uint64_t count) {
  const auto it = streams_.find(stream_id);
  if (it == streams_.end() || !it->second.ready) return;
  std::uint64_t& next = it->second.next_sequence;
  if (next >= kMaxFrameSequence) return;  // used up already: check_send says so
  next = count > kMaxFrameSequence - next ? kMaxFrameSequence : next + count;
}

}  // namespace framewire::net
