// A feed of the frames a Receiver stores, in the order it acknowledges them,
// for a consumer in the same process (Receiver::subscribe_frames()).
//
// Threads: one consumer thread calls next(); dropped(), closed() and close()
// from any thread. The receiver's storage threads put frames in (each right
// after its group commit, before the acknowledgement is sent). All of a
// feed's state is behind its own mutex; a frame is handed from a storage
// thread to the consumer through the queue under it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace framewire {

namespace net {
class FrameFeedRegistry;
}  // namespace net

// One frame as the receiver stored it.
struct StoredFrame {
  std::string stream;       // "rig1/visible"
  std::string source_kind;  // "visible", "infrared"
  std::string file_name;    // as stored under ROOT/<stream>/
  std::string path;         // ROOT/<stream>/<file_name>, absolute
  std::uint64_t sequence = 0;
  std::uint64_t bytes = 0;
  std::int64_t capture_time_ns = 0;  // sender's CLOCK_REALTIME at capture; 0 unknown
  std::int64_t stored_time_ns = 0;   // receiver's CLOCK_REALTIME when acknowledged
  std::uint64_t dropped_before = 0;  // frames THIS feed lost (overflow) just before this one
};

struct FrameFeedOptions {
  std::size_t capacity = 256;  // frames queued for the consumer, at least 1 (0 is taken as 1)
  // false: a full queue drops its OLDEST frame and counts it (the consumer never slows storage).
  // true: nothing is dropped; a full queue makes the storing thread wait for the consumer,
  //       which holds back acknowledgements and so the senders (the user asked for it).
  //       Receiver::stop() ends that wait: a lossless feed that is still full then is
  //       closed, and the frame it could not take is counted in dropped().
  bool lossless = false;
};

// Thread-safe; one consumer thread calls next(), any thread close().
// Shared between the consumer and the receiver, which holds it weakly: a
// feed its consumer let go of receives nothing more.
class FrameFeed {
 public:
  ~FrameFeed();
  FrameFeed(const FrameFeed&) = delete;
  FrameFeed& operator=(const FrameFeed&) = delete;

  // The next frame, waiting up to `timeout`; std::nullopt on timeout, or once closed and drained.
  std::optional<StoredFrame> next(std::chrono::milliseconds timeout);
  std::uint64_t dropped() const;  // frames lost to overflow so far
  bool closed() const;            // closed and nothing left to take
  // Stops delivery; a waiting next() and a waiting storing thread return at
  // once. Frames already queued can still be taken. Idempotent.
  void close();

 private:
  friend class net::FrameFeedRegistry;
  struct State;
  explicit FrameFeed(const FrameFeedOptions& options);
  // From a storage thread: queues `frame` (lossy: dropping the oldest when
  // full; lossless: waiting for room unless released or closed).
  void offer(StoredFrame frame);
  // The receiver is stopping: a lossless feed waits no more (see
  // FrameFeedOptions::lossless).
  void release();

  std::unique_ptr<State> state_;
};

}  // namespace framewire
