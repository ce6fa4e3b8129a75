// The receiver's side of one connection as a state machine without sockets:
// bytes from the peer go in, reply bytes come out, frames go to storage. The
// Asio connection (receiver.cpp) only moves bytes and enforces deadlines,
// which keeps this part testable and fuzzable byte by byte.
//
// Threading: one thread at a time (the receiver calls it on its storage pool,
// since it performs blocking file I/O). The connection copies
// handshake_done() and last_progress() onto its loop after each consume() or
// shut_down(); nothing reads them while a call runs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "framewire/status.hpp"
#include "net/stream_registry.hpp"
#include "observe/observer.hpp"
#include "protocol/message_decoder.hpp"
#include "protocol/message_encoder.hpp"
#include "storage/storage.hpp"

namespace framewire::net {

struct SessionLimits {
  std::uint64_t max_frame_bytes = 0;
  std::uint64_t window_bytes = 0;
  std::uint32_t window_frames = 0;
  std::uint32_t max_streams = 0;
};

// What a session needs from the receiver; outlives every session. The
// session knows its storage only through storage::Storage (files under a
// root today, another store later).
struct SessionContext {
  storage::Storage* storage = nullptr;
  StreamRegistry* registry = nullptr;
  SessionLimits limits;
  // Told of handshakes, streams, frames stored or rejected and group commits
  // (may be null). It never blocks (observer.hpp), so calling it from the
  // storage thread costs storage nothing but a short lock.
  observe::Observer* observer = nullptr;
};

class ReceiverSession {
 public:
  // `identity`: the TLS client certificate's common name, when there is one.
  // Such a sender may only open the stream named `identity` or streams below
  // it ("cam-a" may write "cam-a" and "cam-a/visible", not "cam-b").
  // `evict` closes this session's connection when a newer connection of the
  // same sender takes one of its streams over; callable from any thread.
  // `connection` names it in the events the observer gets.
  ReceiverSession(SessionContext& context, std::string peer,
                  std::optional<std::string> identity = std::nullopt,
                  std::function<void()> evict = {}, observe::ConnectionId connection = 0);
  ~ReceiverSession();  // releases the streams; an unfinished frame is removed
  ReceiverSession(const ReceiverSession&) = delete;
  ReceiverSession& operator=(const ReceiverSession&) = delete;

  // Processes bytes from the peer and appends the replies (HELLO_OK,
  // STREAM_OPENED, FRAME_REJECTED, ACK, GOODBYE, ERROR) to `out`. Frames
  // completed in this call are stored as one group and acknowledged at its end.
  void consume(std::span<const std::uint8_t> input, protocol::ByteBuffer& out);
  // The same over several consecutive reads, as one group: the frames
  // completed in all of them are committed together (one fsync group and one
  // ACK when the storage thread fell behind by several buffers).
  void consume(std::span<const std::span<const std::uint8_t>> inputs, protocol::ByteBuffer& out);

  // The receiver is stopping: stores and acknowledges every complete frame,
  // then says ERROR shutting_down. The session is closed afterwards.
  void shut_down(protocol::ByteBuffer& out);

  // True once the connection should be closed after `out` is written.
  bool closed() const { return closed_; }
  bool handshake_done() const { return handshake_done_.load(std::memory_order_relaxed); }
  // Steady-clock time of the last complete message or 64 KiB of frame data.
  std::chrono::steady_clock::time_point last_progress() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_progress_.load(std::memory_order_relaxed)));
  }

  // Why the session ended ("goodbye", "peer closed", an error), for the log.
  const std::string& close_reason() const { return close_reason_; }
  // The error that closed the session (kOk: a goodbye, or the peer left).
  ErrorCode close_error() const { return close_error_; }
  std::uint64_t frames_stored() const { return frames_stored_; }
  std::uint64_t bytes_stored() const { return bytes_stored_; }

 private:
  struct Stream {
    std::string name;
    std::unique_ptr<storage::StreamStorage> store;
    std::optional<std::uint64_t> last_sequence;    // last FRAME seen
    std::optional<std::uint64_t> settled_through;  // highest finished, not yet acked
    bool dirty = false;                            // has something to acknowledge
    std::string source_kind;
    std::uint64_t expected_sequence = 0;  // one past the last stored: a jump is counted dropped
  };
  // The frame whose data is arriving now.
  struct CurrentFrame {
    Stream* stream = nullptr;
    std::uint32_t stream_id = 0;
    std::uint64_t sequence = 0;
    std::uint64_t bytes = 0;
    storage::IncomingFrame file;
  };

  // Decodes and handles `input`; frames it completes wait for the commit.
  void decode(std::span<const std::uint8_t> input, protocol::ByteBuffer& out);
  void handle(const protocol::Message& message, protocol::ByteBuffer& out);
  void on_hello(const protocol::Hello& hello, protocol::ByteBuffer& out);
  void on_open_stream(const protocol::OpenStream& open, protocol::ByteBuffer& out);
  void on_frame_header(const protocol::FrameHeader& header, protocol::ByteBuffer& out);
  void on_frame_data(std::span<const std::uint8_t> bytes, protocol::ByteBuffer& out);
  void on_frame_end(std::uint64_t checksum, protocol::ByteBuffer& out);
  void on_goodbye(protocol::ByteBuffer& out);
  // Gives every open stream back to the registry (StreamClosed told); an unfinished frame is
  // removed. At GOODBYE and in the destructor.
  void release_streams();

  // Stores the queued frames of every stream and appends the ACKs.
  Status commit_and_acknowledge(protocol::ByteBuffer& out);
  void reject(std::uint32_t stream_id, std::uint64_t sequence, const Status& why,
              protocol::ByteBuffer& out);
  // Commits what can be committed, sends ERROR, closes.
  void fail(const Status& why, protocol::ByteBuffer& out);
  void close(std::string reason, ErrorCode error = ErrorCode::kOk);
  void note_progress();
  void tell(const observe::Event& event) const {
    if (context_.observer) context_.observer->on_event(event);
  }
  // Tells the observer of a group commit's frames.
  void tell_stored(Stream& stream, const storage::CommitResult& committed,
                   std::uint64_t next_before);

  SessionContext& context_;
  std::string peer_;
  std::optional<std::string> identity_;
  std::function<void()> evict_;
  observe::ConnectionId connection_ = 0;
  SenderId sender_id_{};
  protocol::MessageDecoder decoder_;
  std::map<std::uint32_t, Stream> streams_;
  std::optional<CurrentFrame> current_;
  std::atomic<bool> handshake_done_ = false;
  bool closed_ = false;
  std::string close_reason_;
  ErrorCode close_error_ = ErrorCode::kOk;
  std::uint64_t inflight_frames_ = 0;  // FRAME headers seen, not yet covered by a sent ACK
  std::uint64_t inflight_bytes_ = 0;
  std::uint64_t finished_frames_ = 0;  // of those, the ones that are settled
  std::uint64_t finished_bytes_ = 0;
  std::uint64_t frames_stored_ = 0;
  std::uint64_t bytes_stored_ = 0;
  std::uint64_t data_since_progress_ = 0;
  std::atomic<std::chrono::steady_clock::rep> last_progress_;
};

}  // namespace framewire::net
