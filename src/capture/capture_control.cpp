// Capture stop/limits/pacing (capture_control.hpp). sleep_until waits on a condition variable
// that stop() notifies, so a stopped capture wakes at once instead of at its next frame time.
#include "capture/capture_control.hpp"

#include <time.h>

#include <algorithm>
#include <limits>

namespace framewire::capture {

CaptureControl::CaptureControl(const CaptureOptions& options)
    : max_frames_(options.max_frames.value_or(std::numeric_limits<std::uint64_t>::max())),
      deadline_(Clock::time_point::max()) {
  if (options.max_duration) {
    const auto now = Clock::now();
    const auto limit = std::chrono::duration_cast<Clock::duration>(*options.max_duration);
    if (limit < Clock::time_point::max() - now) deadline_ = now + limit;
  }
}

void CaptureControl::stop() {
  {
    // Under the mutex so a sleeper between its check and its wait cannot miss the notify.
    const std::lock_guard lock(mutex_);
    stopped_.store(true, std::memory_order_release);
  }
  wake_.notify_all();
}

bool CaptureControl::may_capture(std::uint64_t captured) const {
  return captured < max_frames_ && !interrupted();
}

bool CaptureControl::sleep_until(Clock::time_point when) {
  std::unique_lock lock(mutex_);
  const Clock::time_point until = std::min(when, deadline_);
  wake_.wait_until(lock, until, [&] { return stopped(); });
  return !stopped() && when < deadline_;
}

std::int64_t realtime_now_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

bool FramePacer::wait(CaptureControl& control) {
  const auto now = CaptureControl::Clock::now();
  if (!started_) {
    started_ = true;
    due_ = now;
  } else {
    due_ += period_;
    if (due_ + period_ < now) due_ = now;  // more than a period behind: no catch-up burst
  }
  if (due_ <= now) return !control.interrupted();
  return control.sleep_until(due_);
}

}  // namespace framewire::capture
