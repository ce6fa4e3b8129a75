// One framewire stream as a sink reads it (docs/SCALE.md, "Sink"): while its
// lease is held, fetch a batch of frame messages from the stream's durable
// consumer, store each frame through the folder store (its bytes, its
// capture and receive times, its checksum), commit the batch, and only then
// acknowledge its messages. Nothing is ever skipped: on any failure (a frame
// that cannot be loaded, a storage error, NATS gone) the frames in hand are
// dropped unacknowledged and, after a growing pause, the stream is read again
// from its first unacknowledged frame, where the folder store recognises
// the frames it already holds. Only what can never succeed is acknowledged
// without being stored, counted and logged: a frame the folder refuses
// (kConflict, kStaleSequence), a message that is not a framewire frame.
//
// Threading: a SinkStream runs on a thread of its own from construction;
// request_stop(), finished() and the destructor from the sink's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "framewire/sink.hpp"
#include "jetstream/lease_table.hpp"
#include "jetstream/nats_client.hpp"
#include "jetstream/nats_handles.hpp"
#include "storage/stream_store.hpp"

namespace framewire::jetstream {

// Totals over every stream of a sink (SinkStats).
struct SinkCounters {
  std::atomic<std::uint64_t> frames_stored = 0;
  std::atomic<std::uint64_t> bytes_stored = 0;
  std::atomic<std::uint64_t> frames_already_stored = 0;
  std::atomic<std::uint64_t> frames_rejected = 0;
  std::atomic<std::uint64_t> failures = 0;
};

// What the streams of one sink share; owned by the sink, outlives them.
struct SinkContext {
  SinkOptions options;
  NatsClient* client = nullptr;
  storage::StorageRoot* root = nullptr;
  SinkCounters counters;
};

class SinkStream {
 public:
  // Starts reading `stream` while `lease` (its key in the sinks bucket) is
  // held.
  SinkStream(SinkContext& context, std::string stream, std::unique_ptr<Lease> lease);
  // Stops as request_stop() does and waits for the thread.
  ~SinkStream();
  SinkStream(const SinkStream&) = delete;
  SinkStream& operator=(const SinkStream&) = delete;

  // Finishes the batch in hand (stored and acknowledged), then gives the
  // stream up (its lease is released). Does not wait.
  void request_stop();
  // True once the thread is done: stopped, or its lease was lost.
  bool finished() const { return finished_.load(); }
  bool stopping() const { return stop_.load(); }
  const std::string& stream() const { return stream_; }

 private:
  // A frame message fetched and not yet acknowledged.
  using InHand = std::vector<MsgHandle>;

  void run();
  Status begin_session();
  void end_session();
  Status read_batch();
  Status take(MsgHandle msg);
  Status open_store(const std::string& source_kind);
  Status commit_batch();
  // A line every log_interval while frames come; `final`: at the end.
  void log_progress(bool final);
  void pause(std::chrono::milliseconds delay);

  SinkContext& context_;
  const std::string stream_;
  const std::string jetstream_;
  std::unique_ptr<Lease> lease_;

  // The session: from taking (or retaking, after a failure) the consumer to
  // the end or the next failure. Touched by the stream's thread only.
  SubscriptionHandle subscription_;
  std::string consumer_name_;
  std::unique_ptr<storage::StreamStorage> store_;
  std::string store_kind_;
  InHand in_hand_;
  std::uint64_t last_sequence_ = 0;  // JetStream sequence of the last message taken
  std::uint64_t waiting_ = 0;        // messages the consumer still holds for us

  // For the progress lines.
  std::uint64_t stored_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t already_ = 0;
  std::uint64_t rejected_ = 0;
  std::uint64_t logged_stored_ = 0;
  std::uint64_t logged_bytes_ = 0;
  std::uint64_t logged_already_ = 0;
  std::uint64_t logged_rejected_ = 0;
  std::chrono::steady_clock::time_point logged_at_;

  std::atomic<bool> stop_ = false;
  std::atomic<bool> finished_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace framewire::jetstream
