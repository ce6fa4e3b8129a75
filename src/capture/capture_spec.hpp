// Parsing of capture spec strings (capture.hpp lists the forms) into a CaptureSpec, with
// messages that quote the spec and show the expected form. Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capture/capture.hpp"
#include "framewire/status.hpp"

namespace framewire::capture {

// Frames per second as an exact ratio, so that 30000/1001 paces without drift.
struct FrameRate {
  std::int64_t num = 0;
  std::int64_t den = 1;
  double value() const { return static_cast<double>(num) / static_cast<double>(den); }
};

inline constexpr int kMaxPatternSide = 16384;

struct CaptureSpec {
  CaptureKind kind = CaptureKind::kTestsrc;
  std::string text;  // the spec as given
  // testsrc / irsrc
  int width = 0;
  int height = 0;
  FrameRate rate;
  // file / v4l2 / follow
  std::string path;
  // v4l2 options as libavdevice names them: video_size, framerate, input_format.
  std::vector<std::pair<std::string, std::string>> device_options;
};

// Errors: kInternal, "bad capture spec '<spec>': <what> (expected ...)".
Result<CaptureSpec> parse_capture_spec(std::string_view spec);

// "30", "29.97", "30000/1001" -> a positive ratio of at most 1000 fps.
Result<FrameRate> parse_frame_rate(std::string_view text);

}  // namespace framewire::capture
