// open_capture (capture.hpp): parses the spec and hands it to the source that implements its
// kind. Any thread.
#include "capture/av_capture.hpp"
#include "capture/capture.hpp"
#include "capture/capture_spec.hpp"
#include "capture/follow_capture.hpp"
#include "capture/pattern_capture.hpp"

namespace framewire::capture {

Result<std::unique_ptr<Capture>> open_capture(std::string_view spec,
                                              const CaptureOptions& options) {
  Result<CaptureSpec> parsed = parse_capture_spec(spec);
  if (!parsed) return parsed.status();
  if (options.color_order != PixelFormat::kRgb8 && options.color_order != PixelFormat::kBgr8) {
    return Status(ErrorCode::kInternal, "capture colour order must be rgb8 or bgr8");
  }
  switch (parsed->kind) {
    case CaptureKind::kTestsrc:
    case CaptureKind::kIrsrc:
      if (options.packets) {
        return Status(ErrorCode::kInternal,
                      std::string(spec) +
                          ": a test pattern has no compressed packets to pass "
                          "through; encode it as jpeg, png or png16");
      }
      return open_pattern_capture(*parsed, options);
    case CaptureKind::kFile:
    case CaptureKind::kV4l2:
      return open_av_capture(*parsed, options);
    case CaptureKind::kFollow:
      return open_follow_capture(*parsed, options);
  }
  return Status(ErrorCode::kInternal, "unknown capture kind");
}

}  // namespace framewire::capture
