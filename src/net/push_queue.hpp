// The hand-off between the thread that pushes a stream's frames (a capture
// thread, a Python callback, any caller of Sender::push) and the sender's
// network thread: a bounded queue of frames not yet handed to the
// connection. Live: a push onto a full queue drops the oldest queued frame
// and counts it, so a slow link never makes the capture wait and the queue
// never holds stale frames. Archive: a push onto a full queue waits for room.
// Once failed (the send ended, cancel()), waiting and later pushes return
// that failure.
//
// Threads: push(), end() and count_source_drops() from the stream's pushing
// thread (one at a time); pop() and the rest from the network thread;
// counters() from any thread. Everything is behind one mutex; `on_ready`
// (called after a push or end(), outside the lock) tells the network thread
// to look.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

#include "framewire/sender.hpp"

namespace framewire::net {

struct QueuedFrame {
  Frame frame;
  std::chrono::steady_clock::time_point handed_at;  // when push() was called
  // Frames dropped (queue or source) since the frame popped before this one:
  // the sender skips that many sequence numbers before it, so the receiver
  // sees each drop as a gap.
  std::uint64_t dropped_before = 0;
};

struct PushCounters {
  std::uint64_t pushed = 0;
  std::uint64_t dropped_queue = 0;
  std::uint64_t dropped_source = 0;
};

class PushQueue {
 public:
  PushQueue(StreamPolicy policy, std::size_t capacity, std::function<void()> on_ready);

  // --- the pushing thread.
  Status push(Frame frame);
  void end();
  void count_source_drops(std::uint64_t frames);

  // --- the network thread.
  std::optional<QueuedFrame> pop();
  bool empty() const;
  // end() was called and every frame was popped.
  bool finished() const;
  // Wakes and refuses every pusher from now on with `why`.
  void fail(const Status& why);

  PushCounters counters() const;

 private:
  const StreamPolicy policy_;
  const std::size_t capacity_;
  const std::function<void()> on_ready_;
  mutable std::mutex mutex_;
  std::condition_variable room_;  // archive pushers wait here
  std::deque<QueuedFrame> frames_;
  bool ended_ = false;
  Status failure_;
  PushCounters counters_;
  std::uint64_t dropped_since_pop_ = 0;
};

}  // namespace framewire::net
