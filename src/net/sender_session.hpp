// The sender's side of one connection as a state machine without sockets,
// the twin of ReceiverSession: it writes HELLO, OPEN_STREAM, each FRAME's
// header and checksum, GOODBYE and ERROR into the caller's buffer, and turns
// the receiver's bytes, split anywhere, into events: the handshake's limits,
// each stream's resume position, which frames became stored and which were
// rejected (named by the caller's tokens), the receiver's ERROR or GOODBYE,
// and any break of the protocol by the receiver. It keeps the flow-control
// window (docs/PROTOCOL.md 5.4) and validates every reply against what was
// sent. Frame data never passes through it: the caller writes a frame's
// data_bytes itself between begin_frame() and end_frame(), so a large file
// goes from disk to the socket in chunks, and hashes it on the way.
//
// The Asio sender owns one per connection and only moves bytes, reads files
// and decides when to reconnect. Depends on src/protocol only; no I/O.
// Threading: one thread at a time (the sender's event loop); nothing blocks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "framewire/status.hpp"
#include "protocol/message_decoder.hpp"
#include "protocol/message_encoder.hpp"

namespace framewire::net {

// Chosen by the caller for each frame (an index, an id in its archive) and
// handed back when the frame is stored or rejected. The session never looks
// inside it; tokens need not be unique.
using FrameToken = std::uint64_t;

// PROTOCOL.md 5.3: the receiver refuses the 65th stream of a connection.
inline constexpr std::size_t kMaxStreamsPerConnection = 64;
// The highest sequence a frame may carry: the receiver refuses 2^64-1, so
// that next_sequence (one past the highest stored) always fits in 64 bits.
inline constexpr std::uint64_t kMaxFrameSequence = std::numeric_limits<std::uint64_t>::max() - 1;

struct SenderSessionOptions {
  std::string agent = "framewire/0.1.0";  // cut to protocol::kMaxAgentBytes
  // Sent in HELLO; the same for every connection of one sender process, so
  // the receiver lets a reconnection take its streams back (PROTOCOL.md 5.10).
  std::array<std::uint8_t, 16> sender_id{};
  // This sender's own bounds on what is in flight; the receiver's HELLO_OK
  // lowers them further.
  std::uint64_t window_bytes = std::numeric_limits<std::uint64_t>::max();
  std::uint32_t window_frames = std::numeric_limits<std::uint32_t>::max();
};

// --- events: what the receiver's bytes said, in the order they said it ------

// HELLO_OK: the session is ready for OPEN_STREAM. The window is the one in
// force: the smaller of this sender's and the receiver's.
struct HelloAccepted {
  std::uint64_t max_frame_bytes = 0;
  std::uint64_t window_bytes = 0;
  std::uint32_t window_frames = 0;
  std::string agent;
  bool operator==(const HelloAccepted&) const = default;
};

// STREAM_OPENED: frames may start on the stream. Its frames are numbered
// from next_sequence; a resuming sender sends the frames that come after
// last_file_name ("" when the receiver has nothing; PROTOCOL.md 5.9).
struct StreamOpened {
  std::uint32_t stream_id = 0;
  std::uint64_t next_sequence = 0;
  std::string last_file_name;
  bool operator==(const StreamOpened&) const = default;
};

struct SettledFrame {
  std::uint64_t sequence = 0;
  std::uint64_t bytes = 0;  // data_bytes
  FrameToken token = 0;
  bool operator==(const SettledFrame&) const = default;
};

// One ACK entry: every frame of the stream up to through_sequence is settled
// and has left the window. `stored` lists the frames this entry settled as
// stored, in sequence order; frames rejected earlier leave the window here
// too but are not listed (their Rejected event came first).
struct Acked {
  std::uint32_t stream_id = 0;
  std::uint64_t through_sequence = 0;
  std::vector<SettledFrame> stored;
  bool operator==(const Acked&) const = default;
};

// FRAME_REJECTED: the frame is settled and will not be stored. It stays in
// the window until the ACK covering it (PROTOCOL.md 5.4). `code` is the
// receiver's wire code as a public code (protocol::from_wire): usually
// checksum_mismatch, conflict, stale_sequence or storage_error, never kOk. A
// code of a later protocol version arrives as kInternal, with its number at
// the start of `message` ("unknown error code 4711: ...").
struct Rejected {
  std::uint32_t stream_id = 0;
  std::uint64_t sequence = 0;
  std::uint64_t bytes = 0;
  FrameToken token = 0;
  ErrorCode code = ErrorCode::kOk;
  std::string message;
  bool operator==(const Rejected&) const = default;
};

// ERROR from the receiver; it closes the connection. `code` is the
// receiver's wire code as a public code (protocol::from_wire), kOk when it
// sent 0; a code of a later protocol version arrives as kInternal (fatal),
// with its number at the start of `message`. The session has failed.
struct ReceiverError {
  ErrorCode code = ErrorCode::kOk;
  std::string message;
  bool operator==(const ReceiverError&) const = default;
};

// GOODBYE in answer to ours, with every frame settled: the session is done.
struct ReceiverGoodbye {
  bool operator==(const ReceiverGoodbye&) const = default;
};

// The receiver broke the protocol (undecodable bytes, or a reply that does
// not fit what was sent). The session has failed; the caller sends the ERROR
// abort() writes and closes the connection.
struct ProtocolViolation {
  ErrorCode code = ErrorCode::kOk;
  std::string message;
  bool operator==(const ProtocolViolation&) const = default;
};

using SenderEvent = std::variant<HelloAccepted, StreamOpened, Acked, Rejected, ReceiverError,
                                 ReceiverGoodbye, ProtocolViolation>;

class SenderSession {
 public:
  // PROTOCOL.md 5.8, client side, plus kNew (nothing sent yet).
  enum class State {
    kNew,              // start() not called yet
    kAwaitingHelloOk,  // HELLO written
    kReady,            // HELLO_OK received: streams may be opened, frames sent
    kDraining,         // GOODBYE written; waiting for the last ACKs and GOODBYE
    kDone,             // the receiver's GOODBYE came, every frame is settled
    kFailed,           // ERROR either way, or a violation; see failure()
  };

  explicit SenderSession(SenderSessionOptions options = {});

  // --- what to send. Each call appends whole messages to `out`, which the
  // caller writes to the connection in order, with frame data where
  // begin_frame() says. A call that returns an error appends nothing and
  // changes nothing, unless it says otherwise.

  // Appends HELLO. Precondition: state kNew (else kInternal).
  Status start(protocol::ByteBuffer& out);

  // Appends OPEN_STREAM. Needs state kReady and no open frame (kInternal).
  // The stream may carry frames once its StreamOpened event came. Errors:
  // kTooManyStreams (the 65th), kBadStream (id already used), kStreamBusy
  // (name already open under another id), kBadName (a name or kind empty or
  // over its cap; the name rules themselves are the receiver's to judge).
  Status open_stream(std::uint32_t stream_id, std::string_view name, std::string_view source_kind,
                     protocol::ByteBuffer& out);

  // Whether begin_frame(stream_id, <valid name>, data_bytes, ...) would
  // succeed now, and if not, why: kWindowExceeded is the one answer that an
  // ACK can change; see begin_frame() for the others. A frame of more than
  // the whole byte window is admitted when nothing is in flight.
  Status check_send(std::uint32_t stream_id, std::uint64_t data_bytes) const;
  bool can_send(std::uint32_t stream_id, std::uint64_t data_bytes) const {
    return check_send(stream_id, data_bytes).is_ok();
  }

  // Starts a frame: appends its FRAME header and returns the sequence it was
  // given (the stream's next_sequence, then one more per frame). The caller
  // then writes exactly `data_bytes` bytes of data and calls end_frame().
  // The frame counts in the window from here on; `token` comes back in the
  // Acked or Rejected event that settles it.
  // Errors, all before anything is appended: the session's failure() once it
  // has failed; kInternal outside state kReady or while a frame is open;
  // kBadStream (no StreamOpened for the stream yet); kBadName (file_name
  // empty or over 255 bytes); kFrameTooLarge (over the receiver's
  // max_frame_bytes); kBadSequence (the stream reached kMaxFrameSequence);
  // kWindowExceeded (wait for an ACK).
  Result<std::uint64_t> begin_frame(std::uint32_t stream_id, std::string_view file_name,
                                    std::uint64_t data_bytes, std::int64_t capture_time_ns,
                                    FrameToken token, protocol::ByteBuffer& out);

  // Ends the open frame: appends the checksum (XXH3-64 of its data, computed
  // by the caller) after the data. From here the receiver may settle it.
  // Errors: kInternal when no frame is open; the session's failure() once it
  // has failed (nothing appended; the frame stays open, as it is on the
  // wire, so abort() writes no ERROR into it: close the connection).
  Status end_frame(std::uint64_t checksum, protocol::ByteBuffer& out);

  // Appends GOODBYE: nothing more will be sent. State kReady and no open
  // frame, else kInternal (or failure()). The session is done when the
  // receiver's GOODBYE follows the last ACK.
  Status goodbye(protocol::ByteBuffer& out);

  // Ends the session from this side: appends ERROR(why) and fails the
  // session with `why` (unless it had failed already; a done session stays
  // done). Call it after a
  // ProtocolViolation with failure(), or on a local failure (an unreadable
  // file). Appends nothing, and returns false, when no ERROR may be sent:
  // before start(), inside a frame (the ERROR would be read as frame data;
  // just close the connection), after our GOODBYE (nothing follows it), after
  // the receiver's ERROR or GOODBYE, or when an ERROR was written already.
  // `why` should not be ok (it is replaced by kInternal if it is). The ERROR
  // carries protocol::to_wire(why.code()): a local-only code such as
  // kCancelled goes out as the wire's internal.
  bool abort(const Status& why, protocol::ByteBuffer& out);

  // --- what the receiver said.

  // Decodes `from_receiver` (any split: a message cut across calls is
  // completed by the next) and appends an event per reply to `events`. A
  // ProtocolViolation is the last event of a session; bytes after the
  // receiver's ERROR, or after a violation, are ignored; bytes after its
  // GOODBYE, or before start(), are a violation.
  void consume(std::span<const std::uint8_t> from_receiver, std::vector<SenderEvent>& events);

  // --- where things stand.

  State state() const { return state_; }
  // Why the session failed (state kFailed), else ok. Never ok once failed:
  // a receiver's ERROR with code 0 is reported as kUnexpectedMessage.
  const Status& failure() const { return failure_; }
  bool inside_frame() const { return open_frame_.has_value(); }

  // Valid from HelloAccepted on (0 before).
  std::uint64_t max_frame_bytes() const { return max_frame_bytes_; }
  std::uint64_t window_bytes() const { return window_bytes_; }
  std::uint32_t window_frames() const { return window_frames_; }

  // In the window: started, not yet covered by an ACK (rejected ones too).
  std::uint64_t in_flight_frames() const { return in_flight_frames_; }
  std::uint64_t in_flight_bytes() const { return in_flight_bytes_; }
  // Over the connection's life.
  std::uint64_t frames_started() const { return frames_started_; }
  std::uint64_t frames_stored() const { return frames_stored_; }
  std::uint64_t bytes_stored() const { return bytes_stored_; }
  std::uint64_t frames_rejected() const { return frames_rejected_; }

  // Whether the stream's StreamOpened came, and the sequence its next frame
  // gets (nullopt for a stream not opened yet).
  bool stream_ready(std::uint32_t stream_id) const;
  std::optional<std::uint64_t> next_sequence(std::uint32_t stream_id) const;
  // Leaves `count` sequence numbers unused before the stream's next frame
  // (frames a live stream dropped: the receiver sees the gap). Stops at
  // kMaxFrameSequence; nothing for a stream not opened yet.
  void skip_sequences(std::uint32_t stream_id, std::uint64_t count);

 private:
  struct InFlight {
    std::uint64_t sequence = 0;
    std::uint64_t bytes = 0;
    FrameToken token = 0;
    bool rejected = false;
  };
  struct Stream {
    std::string name;
    bool ready = false;  // STREAM_OPENED received
    std::uint64_t next_sequence = 0;
    // Sequences of this connection: the first frame started, the last one
    // whose checksum was written (a reply may name no later frame), and the
    // highest ACKed.
    std::optional<std::uint64_t> first_sent;
    std::optional<std::uint64_t> last_complete;
    std::optional<std::uint64_t> acked_through;
    std::deque<InFlight> in_flight;  // by increasing sequence
  };
  struct OpenFrame {
    std::uint32_t stream_id = 0;
    std::uint64_t sequence = 0;
  };

  // kInternal unless the session is in `wanted` with no frame open (or the
  // session's failure when it has failed).
  Status require_state(State wanted, std::string_view call) const;

  void handle(const protocol::Message& message, std::vector<SenderEvent>& events);
  void on_hello_ok(const protocol::HelloOk& hello_ok, std::vector<SenderEvent>& events);
  void on_stream_opened(const protocol::StreamOpened& opened, std::vector<SenderEvent>& events);
  void on_ack(const protocol::Ack& ack, std::vector<SenderEvent>& events);
  void on_frame_rejected(const protocol::FrameRejected& rejected, std::vector<SenderEvent>& events);
  void on_error(const protocol::ErrorMessage& error, std::vector<SenderEvent>& events);
  void on_goodbye(std::vector<SenderEvent>& events);
  // The stream an ACK or FRAME_REJECTED names, or nullptr after a violation.
  Stream* replied_stream(std::uint32_t stream_id, std::string_view message,
                         std::vector<SenderEvent>& events);
  void violation(ErrorCode code, std::string message, std::vector<SenderEvent>& events);

  SenderSessionOptions options_;
  protocol::MessageDecoder decoder_;
  State state_ = State::kNew;
  Status failure_;
  // Whether an ERROR may still be written: only after our HELLO (before it,
  // the receiver would see a stranger), not after our ERROR or GOODBYE, nor
  // after the receiver's ERROR or GOODBYE (it is closing).
  bool hello_written_ = false;
  bool may_send_error_ = true;
  std::map<std::uint32_t, Stream> streams_;
  std::optional<OpenFrame> open_frame_;
  std::uint64_t max_frame_bytes_ = 0;
  std::uint64_t window_bytes_ = 0;
  std::uint32_t window_frames_ = 0;
  std::uint64_t in_flight_frames_ = 0;
  std::uint64_t in_flight_bytes_ = 0;
  std::uint64_t frames_started_ = 0;
  std::uint64_t frames_stored_ = 0;
  std::uint64_t bytes_stored_ = 0;
  std::uint64_t frames_rejected_ = 0;
};

std::string_view to_string(SenderSession::State state);

}  // namespace framewire::net
