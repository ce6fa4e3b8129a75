// Micro-benchmarks of the capture layer's per-frame work on one core: JPEG encoding of 1080p
// RGB at quality 85 and 95, 8-bit PNG of 1080p RGB, 16-bit PNG of 640x512 infrared (at zlib
// level 1, the default, and 6 for comparison), drawing the test patterns, and the whole
// testsrc capture -> jpeg -> recycle loop. Frames are the test patterns with sensor-like noise
// added (flat test cards compress far faster than camera pictures); "clean" variants show the
// difference. items_per_second is frames/s; bytes_per_frame the encoded size.
// Single-threaded; run with --benchmark_filter to pick.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "capture/capture.hpp"
#include "capture/frame_encoder.hpp"
#include "capture/jpeg_encoder.hpp"
#include "capture/png_encoder.hpp"
#include "capture/test_pattern.hpp"

namespace {

namespace fc = framewire::capture;

// Adds noise of +-amplitude (in 8-bit levels, scaled for 16-bit) to every sample, like a
// camera sensor: deterministic xorshift so every run encodes the same pixels.
void add_noise(fc::Image& image, int amplitude) {
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  const auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const int span = 2 * amplitude + 1;
  for (int y = 0; y < image.height(); ++y) {
    if (image.format() == fc::PixelFormat::kGray16) {
      std::uint16_t* row = image.row16(y);
      for (int x = 0; x < image.width(); ++x) {
        const int v = row[x] + (static_cast<int>(next() % span) - amplitude) * 8;
        row[x] = static_cast<std::uint16_t>(std::clamp(v, 0, 65535));
      }
    } else {
      std::uint8_t* row = image.row(y);
      for (std::size_t i = 0; i < image.stride(); ++i) {
        const int v = row[i] + static_cast<int>(next() % span) - amplitude;
        row[i] = static_cast<std::uint8_t>(std::clamp(v, 0, 255));
      }
    }
  }
}

fc::Image frame(int width, int height, fc::PixelFormat format, int noise) {
  fc::Image image(width, height, format);
  if (format == fc::PixelFormat::kGray16) {
    fc::render_irsrc(100, image);
  } else {
    fc::render_testsrc(100, image);
  }
  if (noise > 0) add_noise(image, noise);
  return image;
}

void report(benchmark::State& state, std::size_t bytes) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["bytes_per_frame"] = static_cast<double>(bytes);
}

// Args: quality, noise amplitude.
void BM_Jpeg1080p(benchmark::State& state) {
  const fc::Image image =
      frame(1920, 1080, fc::PixelFormat::kRgb8, static_cast<int>(state.range(1)));
  fc::JpegEncoder encoder;
  std::vector<std::uint8_t> out;
  for (auto _ : state) {
    if (!encoder.encode(image.view(), static_cast<int>(state.range(0)), out).is_ok()) {
      state.SkipWithError("encode failed");
    }
    benchmark::DoNotOptimize(out.data());
  }
  report(state, out.size());
}

// Args: zlib level, noise amplitude.
void BM_Png1080p(benchmark::State& state) {
  const fc::Image image =
      frame(1920, 1080, fc::PixelFormat::kRgb8, static_cast<int>(state.range(1)));
  fc::PngEncoder encoder(static_cast<int>(state.range(0)));
  std::vector<std::uint8_t> out;
  for (auto _ : state) {
    if (!encoder.encode(image.view(), out).is_ok()) state.SkipWithError("encode failed");
    benchmark::DoNotOptimize(out.data());
  }
  report(state, out.size());
}

// Args: zlib level, noise amplitude (x8 counts).
void BM_Png16_640x512(benchmark::State& state) {
  const fc::Image image =
      frame(640, 512, fc::PixelFormat::kGray16, static_cast<int>(state.range(1)));
  fc::PngEncoder encoder(static_cast<int>(state.range(0)));
  std::vector<std::uint8_t> out;
  for (auto _ : state) {
    if (!encoder.encode(image.view(), out).is_ok()) state.SkipWithError("encode failed");
    benchmark::DoNotOptimize(out.data());
  }
  report(state, out.size());
}

// Arg: height (width is 16:9 for testsrc, 5:4 for irsrc).
void BM_RenderTestsrc(benchmark::State& state) {
  const int height = static_cast<int>(state.range(0));
  fc::Image image(height * 16 / 9, height, fc::PixelFormat::kRgb8);
  std::uint64_t n = 0;
  for (auto _ : state) {
    fc::render_testsrc(n++, image);
    benchmark::DoNotOptimize(image.data());
  }
  report(state, image.size_bytes());
}

void BM_RenderIrsrc(benchmark::State& state) {
  const int height = static_cast<int>(state.range(0));
  fc::Image image(height * 5 / 4, height, fc::PixelFormat::kGray16);
  std::uint64_t n = 0;
  for (auto _ : state) {
    fc::render_irsrc(n++, image);
    benchmark::DoNotOptimize(image.data());
  }
  report(state, image.size_bytes());
}

// The capture thread's whole loop for testsrc:1920x1080 unpaced: draw, stamp, encode, recycle.
void BM_TestsrcCaptureToJpeg1080p(benchmark::State& state) {
  fc::CaptureOptions options;
  options.pace = false;
  auto opened = fc::open_capture("testsrc:1920x1080@30", options);
  if (!opened) {
    state.SkipWithError("open failed");
    return;
  }
  std::unique_ptr<fc::Capture> capture = std::move(opened).value();
  fc::FrameEncoder encoder(fc::EncodeSpec{fc::Encoding::kJpeg, 85});
  fc::EncodedFrame out;
  for (auto _ : state) {
    auto next = capture->next();
    if (!next || !next->has_value() || !encoder.encode(**next, out).is_ok()) {
      state.SkipWithError("capture or encode failed");
      break;
    }
    capture->recycle(std::move(**next));
  }
  report(state, out.bytes.size());
}

constexpr int kCameraNoise = 4;  // +-4 levels on every sample: a decent 1080p sensor

BENCHMARK(BM_Jpeg1080p)
    ->ArgNames({"quality", "noise"})
    ->Args({85, kCameraNoise})
    ->Args({95, kCameraNoise})
    ->Args({85, 0})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Png1080p)
    ->ArgNames({"level", "noise"})
    ->Args({1, kCameraNoise})
    ->Args({6, kCameraNoise})
    ->Args({1, 0})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Png16_640x512)
    ->ArgNames({"level", "noise"})
    ->Args({1, 3})
    ->Args({6, 3})
    ->Args({1, 0})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RenderTestsrc)->Arg(1080)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RenderIrsrc)->Arg(512)->Arg(1080)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TestsrcCaptureToJpeg1080p)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
