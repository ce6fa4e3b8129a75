// Where a stream's frames come from, as the sender's connection sees them: a
// folder (folder_source.hpp) or frames pushed by the caller (push_source.hpp).
// The connection asks a source for its next frame when the window has room,
// tells it which frames became stored or were rejected, and, each time a
// connection opens the stream, where the receiver's copy ends, so that the
// source decides what to send (again). Sources keep the stream's tally.
// Network thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "framewire/sender.hpp"
#include "net/latency_histogram.hpp"
#include "net/sender_session.hpp"

namespace framewire::net {

// What happened to one stream's frames during the run. Network thread.
struct StreamTally {
  std::uint64_t frames_known = 0;  // found in the folder, or pushed and taken so far
  std::uint64_t bytes_known = 0;
  std::uint64_t frames_stored = 0;
  std::uint64_t bytes_stored = 0;
  std::uint64_t already_stored_frames = 0;
  std::uint64_t already_stored_bytes = 0;
  std::uint64_t dropped_cut = 0;
  std::uint64_t rejected = 0;  // pushed streams (folders count theirs in the loop)
  LatencyHistogram capture_to_handed;
  LatencyHistogram handed_to_stored;
};

// The next frame to send. Exactly one of `data` (in memory, owned by the
// source until the frame is settled or the source is told of a new
// connection) and `path` (a file to read while sending) is set.
struct OutgoingFrame {
  std::string file_name;  // empty: named after its sequence + extension
  std::string extension;
  std::int64_t capture_time_ns = 0;
  const std::vector<std::uint8_t>* data = nullptr;
  std::string path;
  // Frames of a live stream dropped before this one (queue, source or lost
  // in a cut): the sender skips that many sequence numbers first, so the
  // receiver counts the gap as dropped.
  std::uint64_t skipped_before = 0;
};

// The name a frame is stored under: its own, or its sequence zero-padded to
// six digits plus its extension ("000017.jpg"), which sorts in sequence order
// in a folder listing and continues a stream's numbering across runs.
std::string sent_file_name(const OutgoingFrame& frame, std::uint64_t sequence);

class FrameSource {
 public:
  virtual ~FrameSource() = default;

  // A connection opened the stream: the receiver's copy ends at `at`
  // (`first`: for the first time this run). Frames handed out before and not
  // settled are resolved here: stored if the receiver has them, otherwise
  // sent again, or (live) lost to the cut.
  virtual void opened(const ResumePoint& at, bool first) = 0;

  // The next frame, if one can be sent now; stays the same until take().
  // The pointer (and the data it points to) stays valid after take() until
  // the next peek(), so the frame can be written after it was taken.
  virtual const OutgoingFrame* peek() = 0;
  // The peeked frame goes out with `sequence` and `bytes` of data; returns
  // its token.
  virtual FrameToken take(std::uint64_t sequence, std::uint64_t bytes) = 0;

  // Nothing is left to send and nothing will come (folder sent; push stream
  // ended and drained).
  virtual bool exhausted() = 0;

  // The receiver stored the frame / refused it (returns its file name).
  virtual void stored(FrameToken token, std::uint64_t bytes) = 0;
  virtual std::string rejected(FrameToken token) = 0;

  StreamTally& tally() { return tally_; }

 protected:
  StreamTally tally_;
};

}  // namespace framewire::net
