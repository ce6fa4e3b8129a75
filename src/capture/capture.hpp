// Capture sources: where live frames come from before they are encoded and sent. One interface
// for every kind of source, opened from a spec string (`framewire send --capture SPEC`):
//   testsrc:WxH@FPS    moving visible test pattern carrying its frame number (test_pattern.hpp)
//   irsrc:WxH@FPS      moving 16-bit single-channel infrared-like pattern
//   file:PATH          a video file decoded with FFmpeg, paced at its own frame rate
//   v4l2:/dev/videoN[,size=WxH][,fps=N][,format=mjpeg|yuyv422|...]
//                      a camera through libavdevice's video4linux2 input; paces itself
//   follow:DIR         files a camera or another program writes into DIR, each once, complete
// FPS is an integer, a decimal (29.97) or a ratio (30000/1001).
//
// Threads: next() and recycle()/info() are called by one capture thread (the one that encodes,
// never the network thread); stop() may be called from any thread at any time and makes a
// blocked or later next() return end promptly. The frame and duration limits live here, not
// in the caller, because only the source can end a blocked wait (a camera read, an empty
// followed folder) exactly at the deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "capture/image.hpp"
#include "framewire/status.hpp"
#include "source/folder_listing.hpp"

namespace framewire::capture {

// Compressed bytes exactly as the source produced them (an MJPEG frame is a JPEG file).
struct EncodedPacket {
  std::vector<std::uint8_t> bytes;
  std::string extension;  // the format's natural file extension with its dot: ".jpg"
};

struct CapturedFrame {
  std::uint64_t index = 0;           // 0, 1, 2, ... in the order next() returned them
  std::int64_t capture_time_ns = 0;  // CLOCK_REALTIME at capture, Unix ns; follow: file mtime
  // Image: testsrc, irsrc, decoded file:/v4l2:. EncodedPacket: file:/v4l2: with
  // CaptureOptions::packets. FrameFile: follow: (a complete file, not read into memory).
  std::variant<Image, EncodedPacket, source::FrameFile> content;
};

// Images handed back through Capture::recycle(), reused for later frames so that a steady
// stream allocates nothing per frame. Part of one capture; used on its capture thread only.
class SpareImages {
 public:
  // A spare image, or an empty one when there is none.
  Image take() {
    if (spares_.empty()) return Image();
    Image image = std::move(spares_.back());
    spares_.pop_back();
    return image;
  }
  // Keeps the frame's image (if it has one) unless enough are kept already.
  void give(CapturedFrame&& frame) {
    if (auto* image = std::get_if<Image>(&frame.content); image && spares_.size() < kMaxSpares) {
      spares_.push_back(std::move(*image));
    }
  }

 private:
  static constexpr std::size_t kMaxSpares = 4;
  std::vector<Image> spares_;
};

enum class CaptureKind { kTestsrc, kIrsrc, kFile, kV4l2, kFollow };
enum class FrameContent { kImage, kPacket, kFile };

std::string_view to_string(CaptureKind kind);

struct CaptureOptions {
  // testsrc/irsrc at their FPS, file: at its own frame rate; false: as fast as the consumer
  // takes frames (--no-pace). Cameras and followed folders pace themselves.
  bool pace = true;
  // file:/v4l2: give the source's compressed packets (--encode raw) instead of decoded images.
  // Only for codecs whose packets are whole pictures (MJPEG, PNG, ...): open fails otherwise.
  bool packets = false;
  // How 3-channel images come out of testsrc and decoded sources: kRgb8 or kBgr8.
  PixelFormat color_order = PixelFormat::kRgb8;
  // End after this many frames (--frames) / this long after open_capture (--duration).
  std::optional<std::uint64_t> max_frames;
  std::optional<std::chrono::nanoseconds> max_duration;
  // follow: files at or before this name in frame order were sent by an earlier run.
  std::string start_after;
  // follow: a file found when following starts (or after lost events) whose writers cannot be
  // checked (not ours, no CAP_LEASE) counts as complete once unmodified for this long.
  std::chrono::milliseconds settle{1000};
};

// What a capture produces, known once it is open.
struct CaptureInfo {
  CaptureKind kind = CaptureKind::kTestsrc;
  std::string spec;
  FrameContent content = FrameContent::kImage;
  PixelFormat format = PixelFormat::kRgb8;  // of images (content kImage)
  int width = 0;                            // 0 when unknown or not images
  int height = 0;
  double fps = 0;                // nominal rate, 0 when unknown (follow:)
  std::string packet_extension;  // content kPacket: ".jpg", ".png", ...
};

class Capture {
 public:
  virtual ~Capture() = default;

  // The next frame; nullopt at the end (stop(), a limit reached, end of file). Blocks for
  // pacing or until the source has a frame. Errors end the capture: a later call returns the
  // same kind of error or end.
  virtual Result<std::optional<CapturedFrame>> next() = 0;

  // Makes next() return end as soon as possible. Any thread; idempotent.
  virtual void stop() = 0;

  virtual const CaptureInfo& info() const = 0;

  // Hands a frame's memory back for reuse by a later next() (saves allocating and faulting in
  // a fresh 6 MB buffer per 1080p frame). Optional; the capture thread only.
  virtual void recycle(CapturedFrame&& frame) { (void)frame; }
};

// Opens the source named by `spec` (format above). Errors: kInternal for a malformed spec or an
// unusable source (the message names the spec and says what was expected or what failed),
// kStorageError for a follow: folder that cannot be watched.
Result<std::unique_ptr<Capture>> open_capture(std::string_view spec,
                                              const CaptureOptions& options = {});

}  // namespace framewire::capture
