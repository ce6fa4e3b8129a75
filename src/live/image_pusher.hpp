// Pushes a caller's raw images (a NumPy array from Python, a buffer from a camera SDK) into a
// Sender push stream, encoding them off the caller's thread: submit() copies the pixels and
// returns; a few worker threads encode (JPEG for 8-bit images, lossless PNG for 16-bit ones,
// or as the EncodeSpec says) and the frames are pushed in the order they were submitted, so
// the stream's sequence and file names follow submission order even though encodes overlap.
//
// Back-pressure follows the stream's policy. Live: when `pending` images wait for a worker,
// the oldest waiting one is dropped (told to the Sender as a source drop, so it shows in
// dropped counts) and submit() never waits. Archive: submit() waits for room, in slices, so
// that a caller can give up (Python checks for Ctrl-C between them).
//
// Threads: submit() and wait_idle() from any one thread at a time per pusher (the Python
// binding holds the stream's lock); close() from any thread. Workers own their encoders; the
// queue, the reorder buffer and the counters are behind `mutex_`. Pushing to the Sender
// happens on one worker at a time (`pushing_`), in ticket order, outside the lock.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "capture/frame_encoder.hpp"
#include "capture/image.hpp"
#include "framewire/sender.hpp"
#include "framewire/status.hpp"

namespace framewire::live {

struct ImagePusherOptions {
  StreamPolicy policy = StreamPolicy::kLive;
  // Empty: JPEG (quality below) for 8-bit images and PNG16 for 16-bit ones.
  std::optional<capture::EncodeSpec> encode;
  int jpeg_quality = capture::kDefaultJpegQuality;
  unsigned workers = 2;     // encoding threads, at least 1
  std::size_t pending = 4;  // images copied and waiting for a worker, at least 1
};

// An image handed to submit(): the pixels are copied before submit() returns.
struct RawImage {
  capture::ImageView view;
  std::int64_t capture_time_ns = 0;  // 0: now
  std::string file_name;             // empty: numbered by the Sender
};

class ImagePusher {
 public:
  // `sender` must outlive the pusher and be started before the first submit().
  ImagePusher(Sender& sender, StreamId stream, ImagePusherOptions options);
  // close(), then joins the workers (images still waiting are dropped).
  ~ImagePusher();
  ImagePusher(const ImagePusher&) = delete;
  ImagePusher& operator=(const ImagePusher&) = delete;

  // Copies `image` and queues it for encoding. Live: never waits. Archive: waits up to
  // `wait` for room and returns kTimeout if there was none (call again). Errors: kInternal
  // for a format the encoding cannot take (checked here, before queueing), kCancelled once
  // closed, or the first encode/push failure of the workers.
  Status submit(const RawImage& image, std::chrono::milliseconds wait);

  // Waits up to `wait` until every submitted image has been pushed to the Sender (or dropped);
  // kTimeout if not yet. Then Sender::flush() waits for the acknowledgements.
  Status wait_idle(std::chrono::milliseconds wait);

  // Archive: waits up to `wait` until submit() would find room (so a caller can wait in slices
  // without copying its image again each time); true at once for a live stream, and once
  // closed or failed (submit() then says why).
  bool wait_for_room(std::chrono::milliseconds wait);

  // Queues an already encoded frame (its bytes or file), in order with the images: the same
  // waiting and errors as submit().
  Status submit_encoded(Frame frame, std::chrono::milliseconds wait);

  // Drops what waits, wakes everyone; workers finish the image in hand. Idempotent.
  void close();

  std::uint64_t dropped() const;  // live: images dropped before encoding

 private:
  struct Job {
    std::uint64_t ticket = 0;
    capture::Image image;
    std::int64_t capture_time_ns = 0;
    std::chrono::steady_clock::time_point handed_at;
    std::string file_name;
    std::optional<Frame> encoded;  // submit_encoded(): sent as it is
  };
  // What a ticket became: a frame to push, or nothing (dropped before encoding).
  struct Done {
    std::optional<Frame> frame;
  };

  struct Encoders;  // a worker's own codec state

  unsigned worker_count() const { return std::max(1u, options_.workers); }

  Status enqueue(Job job, std::chrono::milliseconds wait);
  void work();
  Result<Frame> encode(Job& job, Encoders& encoders) const;
  // Pushes every finished ticket in order while this thread holds the pushing role.
  void push_ready(std::unique_lock<std::mutex>& lock);
  capture::EncodeSpec spec_for(capture::PixelFormat format) const;

  Sender& sender_;
  const StreamId stream_;
  const ImagePusherOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Job> waiting_;              // submitted, not yet taken by a worker
  std::map<std::uint64_t, Done> ready_;  // finished, not yet pushed (out of order)
  std::uint64_t next_ticket_ = 0;        // the next submit()'s
  std::uint64_t next_push_ = 0;          // the ticket to push next
  bool pushing_ = false;                 // a worker is pushing (outside the lock)
  bool closed_ = false;
  Status failure_;  // the first encode or push error
  std::uint64_t dropped_ = 0;

  std::vector<std::thread> workers_;
};

}  // namespace framewire::live
