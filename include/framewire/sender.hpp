// The sending end: streams the frames of one or more folders to a receiver
// over one connection, pipelined inside the receiver's flow-control window,
// and returns only when every frame is acknowledged as stored (or on error).
//
// send_folders() runs its own event loop on the calling thread; the progress
// callback is invoked on that thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "framewire/status.hpp"

namespace framewire {

struct StreamSpec {
  std::string name;                     // receiver folder, e.g. "rig1/visible"
  std::string source_kind = "visible";  // "visible", "infrared", ...
  std::string folder;                   // local folder whose regular files are the frames
};

struct SendProgress {
  std::uint64_t frames_total = 0;
  std::uint64_t bytes_total = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t frames_stored = 0;  // acknowledged by the receiver
  std::uint64_t bytes_stored = 0;
  double seconds = 0;
};

struct RejectedFrame {
  std::string stream;
  std::string file_name;
  Status reason;
};

struct SendSummary {
  std::uint64_t frames = 0;  // stored (acknowledged)
  std::uint64_t bytes = 0;
  std::uint64_t streams = 0;
  double seconds = 0;
  std::vector<RejectedFrame> rejected;
};

struct SenderOptions {
  std::string to;  // HOST:PORT; every resolved address is tried in turn
  std::vector<StreamSpec> streams;
  std::chrono::milliseconds connect_timeout{10'000};
  // Upper bounds on what this sender keeps in flight; the receiver's
  // advertised window lowers them further.
  std::uint64_t window_bytes = std::uint64_t{64} << 20;
  std::uint32_t window_frames = 16384;
  std::function<void(const SendProgress&)> on_progress;  // may be empty
  std::chrono::milliseconds progress_interval{100};
};

// Sends everything. The summary is returned also when some frames were
// rejected by the receiver (summary.rejected non-empty); a Status is returned
// when the transfer could not complete: kConnectionFailed, kStorageError
// (local read), or the receiver's error code with its message.
Result<SendSummary> send_folders(const SenderOptions& options);

}  // namespace framewire
