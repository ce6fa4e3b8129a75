// Feeds a Sender's push streams from captures: one capture thread per stream takes each frame
// from its Capture, encodes it (FrameEncoder: the encoding runs here, never on the sender's
// network thread), pushes it, and hands the image back to the capture for reuse. At the
// capture's end (a --frames/--duration limit, the end of a file, stop()) the thread ends its
// stream (Sender::end_stream), so Sender::finish() can send and settle what was pushed.
//
// Each thread first waits for the receiver to open its stream (Sender::resume_point): frames
// captured before there is a connection could only wait in the live queue and be dropped, and
// follow: needs the last stored name to resume after. A follow: capture is opened then.
//
// The first capture that fails (a camera unplugged, a followed folder removed, an encoder
// error) stops every capture: what was captured is still sent, and wait() returns that error.
// No source today reports frames it lost itself (libavdevice's video4linux2 input does not say
// when the driver's queue overflowed; a pattern falls behind instead of dropping), so
// Sender::count_source_drops() is used only for a followed file whose name the receiver would
// refuse, which is skipped (and announced through on_notice).
//
// Threads: add(), start() and wait() belong to the thread that owns the pump and the Sender
// (which must outlive the pump; push streams added and the Sender started before start()).
// stop() and capturing() may be called from any thread (a signal watcher). Each capture
// thread alone uses its Capture, encoder and buffers; what stop() shares with it is behind
// the stream's mutex, and the first error behind error_mutex_. on_notice runs on capture
// threads: it must be quick and thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "framewire/sender.hpp"
#include "framewire/status.hpp"
#include "live/prepared_capture.hpp"

namespace framewire::live {

class CapturePump {
 public:
  explicit CapturePump(Sender& sender, std::function<void(const std::string&)> on_notice = {});
  // stop(), then waits for every capture thread.
  ~CapturePump();
  CapturePump(const CapturePump&) = delete;
  CapturePump& operator=(const CapturePump&) = delete;

  // The push stream `stream` of the Sender takes its frames from `capture` (named `name` in
  // notices and errors). Before start().
  void add(StreamId stream, std::string name, PreparedCapture capture);

  // Starts one capture thread per stream added. Once.
  void start();

  // Ends every capture as soon as possible (Capture::stop), also one not opened yet; what was
  // captured is pushed and its stream ended. Any thread; idempotent.
  void stop();

  // Whether some capture thread is still running.
  bool capturing() const { return running_.load(std::memory_order_acquire) > 0; }

  // Waits until every capture thread has ended. Returns the first capture error (its message
  // names the stream and the spec), or ok. A push refused because the Sender failed or was
  // cancelled is not a capture error: Sender::finish() reports it.
  Status wait();

 private:
  struct Stream;

  void run(Stream& stream);
  // Pushes frames until the capture ends; returns a capture error or ok.
  Status pump(Stream& stream);
  // Makes `capture` the stream's current capture (nullptr: none), stopping it if stop() came
  // first. The capture thread only.
  void publish(Stream& stream, capture::Capture* capture);
  void notice(const std::string& text) const;

  Sender& sender_;
  const std::function<void(const std::string&)> on_notice_;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::atomic<int> running_{0};
  bool started_ = false;  // the owning thread

  mutable std::mutex error_mutex_;
  Status first_error_;  // guarded by error_mutex_
};

}  // namespace framewire::live
