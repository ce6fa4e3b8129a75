// The sender's record of frames sent but not yet settled by the receiver, for
// flow control and for matching ACK / FRAME_REJECTED to file names. One per
// connection; used on the sender's event-loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>

namespace framewire::net {

class InflightFrames {
 public:
  struct Frame {
    std::uint64_t sequence = 0;
    std::uint64_t bytes = 0;
    std::size_t file_index = 0;  // into the stream's file list
    bool rejected = false;
  };
  struct Settled {
    std::uint64_t frames = 0;  // stored, i.e. settled and not rejected
    std::uint64_t bytes = 0;
  };

  // True if one more frame of `bytes` fits the window. A frame alone always
  // fits, so one larger than the byte window can still be sent.
  bool fits(std::uint64_t bytes, std::uint64_t window_bytes, std::uint32_t window_frames) const {
    if (frames_ == 0) return true;
    return frames_ + 1 <= window_frames && bytes_ + bytes <= window_bytes;
  }

  void add(std::uint32_t stream_id, const Frame& frame) {
    by_stream_[stream_id].push_back(frame);
    ++frames_;
    bytes_ += frame.bytes;
  }

  // Marks a frame rejected; returns its file index, or -1 if it is not in flight.
  long mark_rejected(std::uint32_t stream_id, std::uint64_t sequence) {
    for (auto& frame : by_stream_[stream_id]) {
      if (frame.sequence == sequence) {
        frame.rejected = true;
        return static_cast<long>(frame.file_index);
      }
    }
    return -1;
  }

  // Settles every frame of the stream up to `through` (cumulative ACK).
  Settled settle(std::uint32_t stream_id, std::uint64_t through) {
    Settled settled;
    auto& queue = by_stream_[stream_id];
    while (!queue.empty() && queue.front().sequence <= through) {
      const Frame& frame = queue.front();
      if (!frame.rejected) {
        ++settled.frames;
        settled.bytes += frame.bytes;
      }
      --frames_;
      bytes_ -= frame.bytes;
      queue.pop_front();
    }
    return settled;
  }

  std::uint64_t frames() const { return frames_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  std::map<std::uint32_t, std::deque<Frame>> by_stream_;
  std::uint64_t frames_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace framewire::net
