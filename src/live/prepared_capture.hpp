// A `--capture` stream made ready before the Sender connects: the spec parsed, the encoding
// chosen and checked against what the source gives, the source opened (so a missing file or
// camera, a malformed spec or `--encode png16` for an RGB pattern are reported at once, not
// after a connection). follow: is only checked here: it is opened by its capture thread once
// the receiver has said where the stream ends (CaptureOptions::start_after).
//
// Threads: prepare_capture() on the thread that sets up the send; the PreparedCapture is then
// moved to a CapturePump, whose capture thread alone uses it from then on.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "capture/capture.hpp"
#include "capture/frame_encoder.hpp"
#include "framewire/sender.hpp"
#include "framewire/status.hpp"
#include "live/capture_time.hpp"

namespace framewire::live {

// What the command line asks of one capture stream.
struct CaptureRequest {
  std::string spec;    // "testsrc:1280x720@30", "file:a.mp4", "v4l2:/dev/video0", "follow:DIR"
  std::string encode;  // --encode text; empty: capture::default_encoding for the source
  bool pace = true;    // false: --no-pace
  std::optional<std::uint64_t> max_frames;               // --frames
  std::optional<std::chrono::nanoseconds> max_duration;  // --duration, counted from the open
};

struct PreparedCapture {
  capture::CaptureKind kind = capture::CaptureKind::kTestsrc;
  std::string spec;
  capture::EncodeSpec encode;
  capture::CaptureOptions options;  // as opened (follow: as it will be, minus start_after)
  // Open; null for follow:.
  std::unique_ptr<capture::Capture> capture;
  // Steady time of the open; frames stamped earlier get no capture latency (capture_time.hpp).
  SteadyTime opened_at{};
};

// Parses, checks and (except follow:) opens. `--encode raw` opens file:/v4l2: for their
// compressed packets. Errors, each a sentence quoting the spec: kInternal for a malformed spec
// or --encode, an encoding the source cannot take, a source that cannot be opened;
// kStorageError for a follow: folder that is not there.
Result<PreparedCapture> prepare_capture(const CaptureRequest& request);

// The policy a capture stream gets unless the command line says otherwise: live for a source
// that runs on its own clock (a paced pattern or file, a camera), where a stale frame is worth
// less than a fresh one; archive for follow: (files someone wants kept) and for --no-pace
// patterns and files, which produce frames only as fast as they are taken, so a drop would
// lose a frame for nothing.
StreamPolicy default_policy(capture::CaptureKind kind, bool pace);

}  // namespace framewire::live
