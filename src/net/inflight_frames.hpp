// The sender's count of frames sent but not yet acknowledged, per stream, for
// flow control. One per connection; used on the sender's event-loop thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>

namespace framewire::net {

class InflightFrames {
 public:
  // True if one more frame of `bytes` fits the window. A frame alone always
  // fits, so one larger than the byte window can still be sent.
  bool fits(std::uint64_t bytes, std::uint64_t window_bytes, std::uint32_t window_frames) const {
    if (frames_ == 0) return true;
    return frames_ + 1 <= window_frames && bytes_ + bytes <= window_bytes;
  }

  void add(std::uint32_t stream_id, std::uint64_t sequence, std::uint64_t bytes) {
    by_stream_[stream_id].push_back({sequence, bytes});
    ++frames_;
    bytes_ += bytes;
  }

  // Every frame of the stream up to `through` is settled (cumulative ACK).
  void settle(std::uint32_t stream_id, std::uint64_t through) {
    auto& queue = by_stream_[stream_id];
    while (!queue.empty() && queue.front().sequence <= through) {
      --frames_;
      bytes_ -= queue.front().bytes;
      queue.pop_front();
    }
  }

  std::uint64_t frames() const { return frames_; }

 private:
  struct Frame {
    std::uint64_t sequence = 0;
    std::uint64_t bytes = 0;
  };
  std::map<std::uint32_t, std::deque<Frame>> by_stream_;
  std::uint64_t frames_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace framewire::net
