// testsrc:/irsrc: captures through open_capture: limits, pacing, stop() from another thread,
// buffer recycling, and the FrameEncoder that turns their frames into named files. Timing
// checks are one-sided (a paced capture cannot be early) or have generous margins.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "capture/capture.hpp"
#include "capture/frame_encoder.hpp"
#include "capture/frame_tag.hpp"
#include "image_decode.hpp"

namespace framewire::capture {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::unique_ptr<Capture> open_or_die(std::string_view spec, const CaptureOptions& options) {
  Result<std::unique_ptr<Capture>> capture = open_capture(spec, options);
  EXPECT_TRUE(capture.is_ok()) << capture.status().to_string();
  if (!capture) return nullptr;
  return std::move(capture).value();
}

// Frames until the end; fails the test on an error.
std::vector<CapturedFrame> drain(Capture& capture) {
  std::vector<CapturedFrame> frames;
  for (;;) {
    Result<std::optional<CapturedFrame>> next = capture.next();
    EXPECT_TRUE(next.is_ok()) << next.status().to_string();
    if (!next || !next->has_value()) return frames;
    frames.push_back(std::move(**next));
  }
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST(PatternCapture, FrameLimitGivesNumberedImagesWithRealtimeStamps) {
  CaptureOptions options;
  options.pace = false;
  options.max_frames = 5;
  auto capture = open_or_die("testsrc:320x240@30", options);
  ASSERT_TRUE(capture);
  EXPECT_EQ(capture->info().content, FrameContent::kImage);
  EXPECT_EQ(capture->info().format, PixelFormat::kRgb8);
  const auto before = std::chrono::system_clock::now().time_since_epoch();
  const std::vector<CapturedFrame> frames = drain(*capture);
  const auto after = std::chrono::system_clock::now().time_since_epoch();
  ASSERT_EQ(frames.size(), 5u);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].index, i);
    const Image& image = std::get<Image>(frames[i].content);
    EXPECT_EQ(image.width(), 320);
    EXPECT_EQ(image.height(), 240);
    EXPECT_EQ(read_frame_tag(image.view()), i);
    EXPECT_GE(frames[i].capture_time_ns, std::chrono::nanoseconds(before).count());
    EXPECT_LE(frames[i].capture_time_ns, std::chrono::nanoseconds(after).count());
  }
  // Ended captures stay ended.
  Result<std::optional<CapturedFrame>> again = capture->next();
  ASSERT_TRUE(again.is_ok());
  EXPECT_FALSE(again->has_value());
}

TEST(PatternCapture, PacesAtItsFrameRate) {
  CaptureOptions options;
  options.max_frames = 11;
  auto capture = open_or_die("irsrc:64x48@20", options);
  ASSERT_TRUE(capture);
  const auto start = Clock::now();
  EXPECT_EQ(drain(*capture).size(), 11u);
  // Frame 0 at once, then 10 periods of 50 ms: never less than 0.5 s.
  EXPECT_GE(seconds_since(start), 0.49);
}

TEST(PatternCapture, DurationLimitEndsIt) {
  CaptureOptions options;
  options.max_duration = 600ms;
  const auto start = Clock::now();
  auto capture = open_or_die("testsrc:64x48@10", options);
  ASSERT_TRUE(capture);
  const std::size_t frames = drain(*capture).size();
  // Frames at 0, 100, ..., 500 ms (600 at the very edge), never more: no catch-up bursts.
  EXPECT_GE(frames, 1u);
  EXPECT_LE(frames, 7u);
  EXPECT_GE(seconds_since(start), 0.59);
  EXPECT_LT(seconds_since(start), 10.0);
}

TEST(PatternCapture, AConsumerThatFellBehindGetsNoBurst) {
  // 10 fps. After a 500 ms stall the late frame comes at once, and the one after it a full
  // period later: the schedule restarts instead of replaying the five missed slots.
  auto capture = open_or_die("testsrc:64x48@10", {});
  ASSERT_TRUE(capture);
  ASSERT_TRUE(capture->next().is_ok());
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(capture->next().is_ok());
  const auto start = Clock::now();
  Result<std::optional<CapturedFrame>> third = capture->next();
  ASSERT_TRUE(third.is_ok() && third->has_value());
  EXPECT_GE(seconds_since(start), 0.08);
  EXPECT_EQ((*third)->index, 2u) << "frame numbers stay consecutive";
}

TEST(PatternCapture, StopFromAnotherThreadEndsABlockedNext) {
  // At 0.2 fps the second frame is 5 s away; stop() must end that wait at once.
  auto capture = open_or_die("testsrc:64x48@0.2", {});
  ASSERT_TRUE(capture);
  ASSERT_TRUE(capture->next().is_ok());  // frame 0 comes immediately
  const auto start = Clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    capture->stop();
  });
  Result<std::optional<CapturedFrame>> next = capture->next();
  stopper.join();
  ASSERT_TRUE(next.is_ok());
  EXPECT_FALSE(next->has_value());
  EXPECT_LT(seconds_since(start), 4.0);
}

TEST(PatternCapture, StopBeforeNextEndsAtOnce) {
  auto capture = open_or_die("irsrc:64x48@30", {});
  ASSERT_TRUE(capture);
  capture->stop();
  capture->stop();  // idempotent
  Result<std::optional<CapturedFrame>> next = capture->next();
  ASSERT_TRUE(next.is_ok());
  EXPECT_FALSE(next->has_value());
}

TEST(PatternCapture, RecycledImagesAreReused) {
  CaptureOptions options;
  options.pace = false;
  options.color_order = PixelFormat::kBgr8;
  auto capture = open_or_die("testsrc:640x360@30", options);
  ASSERT_TRUE(capture);
  Result<std::optional<CapturedFrame>> first = capture->next();
  ASSERT_TRUE(first.is_ok() && first->has_value());
  const std::uint8_t* buffer = std::get<Image>((*first)->content).data();
  capture->recycle(std::move(**first));
  Result<std::optional<CapturedFrame>> second = capture->next();
  ASSERT_TRUE(second.is_ok() && second->has_value());
  const Image& image = std::get<Image>((*second)->content);
  EXPECT_EQ(image.data(), buffer);
  EXPECT_EQ(image.format(), PixelFormat::kBgr8);
  EXPECT_EQ(read_frame_tag(image.view()), 1u);
}

TEST(FrameEncoder, NamesAndEncodesPatternFrames) {
  CaptureOptions options;
  options.pace = false;
  options.max_frames = 3;
  auto visible = open_or_die("testsrc:320x240@30", options);
  auto infrared = open_or_die("irsrc:320x256@30", options);
  ASSERT_TRUE(visible && infrared);
  FrameEncoder jpeg(default_encoding(visible->info()));
  FrameEncoder png16(default_encoding(infrared->info()));
  EncodedFrame out;
  for (std::uint32_t i = 0; i < 3; ++i) {
    Result<std::optional<CapturedFrame>> frame = visible->next();
    ASSERT_TRUE(frame.is_ok() && frame->has_value());
    ASSERT_TRUE(jpeg.encode(**frame, out).is_ok());
    EXPECT_EQ(out.file_name, frame_file_name(i, ".jpg"));
    EXPECT_EQ(out.capture_time_ns, (*frame)->capture_time_ns);
    const std::optional<Image> decoded = test::decode_jpeg(out.bytes);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(read_frame_tag(decoded->view()), i);

    frame = infrared->next();
    ASSERT_TRUE(frame.is_ok() && frame->has_value());
    ASSERT_TRUE(png16.encode(**frame, out).is_ok());
    EXPECT_EQ(out.file_name, frame_file_name(i, ".png"));
    const std::optional<Image> png = test::decode_png(out.bytes);
    ASSERT_TRUE(png.has_value());
    const Image& original = std::get<Image>((*frame)->content);
    ASSERT_EQ(png->format(), PixelFormat::kGray16);
    EXPECT_EQ(std::memcmp(png->data(), original.data(), original.size_bytes()), 0);
  }
  // The wrong encoder for the frame is refused, not silently converted.
  Result<std::optional<CapturedFrame>> ir = open_or_die("irsrc:64x48@30", options)->next();
  ASSERT_TRUE(ir.is_ok() && ir->has_value());
  EXPECT_THAT(jpeg.encode(**ir, out).message(), ::testing::HasSubstr("png16"));
}

}  // namespace
}  // namespace framewire::capture
