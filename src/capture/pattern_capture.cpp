// Pattern capture (pattern_capture.hpp). Renders into a recycled Image when the consumer hands
// one back, so a steady 1080p stream allocates nothing per frame.
#include "capture/pattern_capture.hpp"

#include <vector>

#include "capture/capture_control.hpp"
#include "capture/test_pattern.hpp"

namespace framewire::capture {
namespace {

class PatternCapture final : public Capture {
 public:
  PatternCapture(const CaptureSpec& spec, const CaptureOptions& options)
      : control_(options),
        pacer_(std::chrono::nanoseconds(1'000'000'000LL * spec.rate.den / spec.rate.num)),
        pace_(options.pace) {
    info_.kind = spec.kind;
    info_.spec = spec.text;
    info_.content = FrameContent::kImage;
    info_.format = spec.kind == CaptureKind::kIrsrc ? PixelFormat::kGray16 : options.color_order;
    info_.width = spec.width;
    info_.height = spec.height;
    info_.fps = spec.rate.value();
  }

  Result<std::optional<CapturedFrame>> next() override {
    if (!control_.may_capture(index_)) return std::optional<CapturedFrame>();
    if (pace_ && !pacer_.wait(control_)) return std::optional<CapturedFrame>();
    Image image = spare_.take();
    image.reset(info_.width, info_.height, info_.format);
    if (info_.kind == CaptureKind::kIrsrc) {
      render_irsrc(index_, image);
    } else {
      render_testsrc(index_, image);
    }
    CapturedFrame frame;
    frame.index = index_++;
    frame.capture_time_ns = realtime_now_ns();
    frame.content = std::move(image);
    return std::optional<CapturedFrame>(std::move(frame));
  }

  void stop() override { control_.stop(); }
  const CaptureInfo& info() const override { return info_; }

  void recycle(CapturedFrame&& frame) override { spare_.give(std::move(frame)); }

 private:
  CaptureInfo info_;
  CaptureControl control_;
  FramePacer pacer_;
  bool pace_;
  std::uint64_t index_ = 0;
  SpareImages spare_;
};

}  // namespace

std::unique_ptr<Capture> open_pattern_capture(const CaptureSpec& spec,
                                              const CaptureOptions& options) {
  return std::make_unique<PatternCapture>(spec, options);
}

}  // namespace framewire::capture
