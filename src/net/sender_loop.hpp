// The network half of a Sender: on the sender's network thread, connection
// after connection, round robin over the receivers of SenderOptions::to and
// also_to (capped exponential backoff once every receiver failed in a row,
// giving up when nothing has been stored for SenderOptions::retry_for), each
// driven by a SenderSession: a writer coroutine that takes frames from the
// streams' sources round-robin while the window has room and writes them in
// batches (reading files in chunks straight into the batch, hashing as it
// goes), a reader coroutine that feeds the receiver's bytes to the session
// and hands its events to the sources, and a watchdog that drops a connection
// on which the receiver stopped answering (SenderOptions::ack_timeout). All
// three run on the one io_context thread and meet through a timer used as an
// event.
//
// Everything here belongs to the network thread. What other threads see goes
// through the callbacks in SenderLoopHooks; what they ask goes through
// asio::post (wake(), cancel()).
#pragma once

#include <xxhash.h>

#include <array>
#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "framewire/sender.hpp"
#include "net/address.hpp"
#include "net/file_reader.hpp"
#include "net/frame_source.hpp"
#include "net/sender_session.hpp"
#include "net/transport.hpp"

namespace framewire::net {

struct LoopStream {
  std::string name;
  std::string source_kind;
  FrameSource* source = nullptr;  // owned by the Sender
};

struct SenderLoopHooks {
  // A stream was opened for the first time this run.
  std::function<void(StreamId, const ResumePoint&)> on_first_open;
  // Something changed that progress() reports (called often; cheap).
  std::function<void(bool final)> on_change;
};

struct AttemptResult;

class SenderLoop {
 public:
  SenderLoop(asio::io_context& io, const SenderOptions& options, std::vector<LoopStream> streams,
             asio::ssl::context* tls, SenderLoopHooks hooks);
  ~SenderLoop();
  SenderLoop(const SenderLoop&) = delete;
  SenderLoop& operator=(const SenderLoop&) = delete;

  // Connects, sends until every source is exhausted and stored, retries.
  asio::awaitable<void> run();
  // Whatever ended run(): ok, or the failure that ended it.
  const Status& result() const { return result_; }

  // A source may have a frame now (posted by a pusher).
  void wake();
  // Stops now: the connection is closed and run() ends with kCancelled.
  void cancel();

  // Network thread, between events.
  const std::map<std::pair<StreamId, std::string>, RejectedFrame>& rejected() const {
    return rejected_;
  }
  std::uint64_t reconnects() const { return reconnects_; }
  std::uint64_t frames_sent() const { return frames_sent_; }
  std::uint64_t bytes_sent() const { return bytes_sent_; }
  double seconds() const;

 private:
  asio::awaitable<Status> run_attempt();
  asio::awaitable<Status> converse();
  asio::awaitable<Status> connect();
  asio::awaitable<Status> open_session();
  asio::awaitable<void> read_replies();
  void handle(SenderEvent& event);
  asio::awaitable<void> watch_progress(std::uint64_t attempt);
  asio::awaitable<Status> send_frames();
  asio::awaitable<Status> send_frame(StreamId id, const OutgoingFrame& frame, std::uint64_t size,
                                     std::unique_ptr<FileReader> file, protocol::ByteBuffer& batch);
  // Writes `bytes` and empties it.
  asio::awaitable<Status> write(protocol::ByteBuffer& bytes);
  asio::awaitable<Status> write_bytes(std::span<const std::uint8_t> bytes);
  asio::awaitable<void> wait_for_event();
  // Waits until `ready()` or the reader ended; the reader's status if it did.
  template <typename Ready>
  asio::awaitable<Status> wait_until(Ready ready);

  // The receiver of the current attempt, as the options name it.
  const std::string& receiver() const { return receivers_[receiver_]; }
  bool awaiting_reply() const;
  std::uint64_t frames_stored() const;
  Status ended_early() const;
  static Status local_error(const Status& status);

  asio::io_context& io_;
  const SenderOptions& options_;
  std::vector<LoopStream> streams_;
  asio::ssl::context* tls_;
  SenderLoopHooks hooks_;
  // SenderOptions::to, then also_to: the receivers in the order they are
  // tried, and (parsed when run() starts) their hosts and ports.
  std::vector<std::string> receivers_;
  std::vector<HostPort> addresses_;
  std::size_t receiver_ = 0;  // the one being tried or used
  asio::steady_timer wake_;
  asio::steady_timer progress_timer_;  // the watchdog's
  asio::steady_timer backoff_timer_;
  std::vector<std::uint8_t> read_buffer_;
  struct FreeHash {
    void operator()(XXH3_state_t* state) const;
  };
  std::unique_ptr<XXH3_state_t, FreeHash> hash_;  // of the file being sent
  // Same on every reconnection of this run, so the receiver lets us take our
  // streams back from a half-open connection.
  std::array<std::uint8_t, 16> sender_id_{};
  bool cancelled_ = false;

  // Per connection attempt.
  std::optional<Transport> transport_;
  std::optional<SenderSession> session_;
  std::size_t streams_opened_ = 0;
  bool hello_accepted_ = false;
  bool reader_done_ = false;
  Status reader_status_;
  bool writer_done_ = false;
  bool handshake_done_ = false;  // every STREAM_OPENED arrived
  bool reply_bytes_seen_ = false;
  std::uint64_t attempt_id_ = 0;                         // a watchdog serves only its own attempt
  std::chrono::steady_clock::time_point last_progress_;  // last byte read or written
  bool stalled_ = false;                                 // the watchdog dropped this connection
  Status stall_status_;
  bool had_work_ = false;  // a frame was started on this connection

  // Across attempts.
  std::vector<bool> opened_before_;
  Status result_;
  std::map<std::pair<StreamId, std::string>, RejectedFrame> rejected_;
  std::uint64_t reconnects_ = 0;
  std::uint64_t frames_sent_ = 0;
  std::uint64_t bytes_sent_ = 0;
  std::size_t next_stream_ = 0;  // round-robin position
  std::chrono::steady_clock::time_point started_;
};

}  // namespace framewire::net
