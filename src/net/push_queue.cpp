#include "net/push_queue.hpp"

#include <algorithm>
#include <utility>

namespace framewire::net {

PushQueue::PushQueue(StreamPolicy policy, std::size_t capacity, std::function<void()> on_ready)
    : policy_(policy),
      capacity_(std::max<std::size_t>(capacity, 1)),
      on_ready_(std::move(on_ready)) {}

Status PushQueue::push(Frame frame) {
  const auto handed_at = frame.handed_at != std::chrono::steady_clock::time_point{}
                             ? frame.handed_at
                             : std::chrono::steady_clock::now();
  QueuedFrame queued{.frame = std::move(frame), .handed_at = handed_at};
  {
    std::unique_lock lock(mutex_);
    if (policy_ == StreamPolicy::kArchive) {
      room_.wait(lock, [&] { return frames_.size() < capacity_ || !failure_.is_ok() || ended_; });
    }
    if (!failure_.is_ok()) return failure_;
    if (ended_) return Status(ErrorCode::kInternal, "push() after end_stream()");
    if (frames_.size() >= capacity_) {  // live: the oldest frame is the least useful
      frames_.pop_front();
      ++counters_.dropped_queue;
      ++dropped_since_pop_;
    }
    frames_.push_back(std::move(queued));
    ++counters_.pushed;
  }
  on_ready_();
  return Status::ok();
}

void PushQueue::end() {
  {
    std::lock_guard lock(mutex_);
    if (ended_) return;
    ended_ = true;
  }
  room_.notify_all();
  on_ready_();
}

void PushQueue::count_source_drops(std::uint64_t frames) {
  std::lock_guard lock(mutex_);
  counters_.dropped_source += frames;
  dropped_since_pop_ += frames;
}

std::optional<QueuedFrame> PushQueue::pop() {
  std::optional<QueuedFrame> frame;
  {
    std::lock_guard lock(mutex_);
    if (frames_.empty()) return std::nullopt;
    frame = std::move(frames_.front());
    frames_.pop_front();
    frame->dropped_before = std::exchange(dropped_since_pop_, 0);
  }
  room_.notify_one();
  return frame;
}

bool PushQueue::empty() const {
  std::lock_guard lock(mutex_);
  return frames_.empty();
}

bool PushQueue::finished() const {
  std::lock_guard lock(mutex_);
  return ended_ && frames_.empty();
}

void PushQueue::fail(const Status& why) {
  {
    std::lock_guard lock(mutex_);
    if (failure_.is_ok())
      failure_ = why.is_ok() ? Status(ErrorCode::kInternal, "sender ended") : why;
  }
  room_.notify_all();
}

PushCounters PushQueue::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

}  // namespace framewire::net
