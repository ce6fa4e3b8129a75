// Stop flag, frame/duration limits and pacing sleeps shared by every capture source. stop()
// and interrupted() may be called from any thread (stop() from the user's, interrupted() from
// FFmpeg's interrupt callback); the rest from the capture thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "capture/capture.hpp"

namespace framewire::capture {

class CaptureControl {
 public:
  using Clock = std::chrono::steady_clock;

  // The duration limit counts from here.
  explicit CaptureControl(const CaptureOptions& options);

  void stop();
  bool stopped() const { return stopped_.load(std::memory_order_acquire); }
  // Stopped, or the duration deadline has passed.
  bool interrupted() const { return stopped() || Clock::now() >= deadline_; }
  // True while frame number `captured` (0-based) may still be produced.
  bool may_capture(std::uint64_t captured) const;
  // Waits until `when`; false when stop() or the deadline comes first.
  bool sleep_until(Clock::time_point when);
  // Clock::time_point::max() without a duration limit.
  Clock::time_point deadline() const { return deadline_; }

 private:
  std::atomic<bool> stopped_{false};
  std::uint64_t max_frames_;
  Clock::time_point deadline_;
  std::mutex mutex_;
  std::condition_variable wake_;
};

// CLOCK_REALTIME now, Unix nanoseconds.
std::int64_t realtime_now_ns();

// Paces frames at a fixed period: frame k is due one period after frame k-1. A consumer that
// falls more than a period behind restarts the schedule from now rather than getting a burst
// of frames, so the output rate never exceeds the nominal one (a camera drops frames instead;
// test sources keep their numbers consecutive).
class FramePacer {
 public:
  explicit FramePacer(std::chrono::nanoseconds period) : period_(period) {}
  // Sleeps until the next frame is due; false when `control` ended the wait.
  bool wait(CaptureControl& control);

 private:
  std::chrono::nanoseconds period_;
  bool started_ = false;
  CaptureControl::Clock::time_point due_;
};

}  // namespace framewire::capture
