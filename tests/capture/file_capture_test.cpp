// file: captures of videos made in the test with libavcodec (tests/capture/video_writer.hpp):
// every frame decoded once, in order, at the file's size and pace; packets passed through for
// raw; and the errors for files that cannot be used. v4l2: runs only where a camera exists.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "capture/capture.hpp"
#include "capture/frame_tag.hpp"
#include "image_decode.hpp"
#include "support/temp_dir.hpp"
#include "video_writer.hpp"

namespace framewire::capture {
namespace {

using Clock = std::chrono::steady_clock;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class FileCapture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.valid());
    const Status made = test::write_test_video(video_, test::VideoSpec{});  // 30 x 384x216 @10
    ASSERT_TRUE(made.is_ok()) << made.to_string();
  }

  std::unique_ptr<Capture> open(const std::string& spec, const CaptureOptions& options) {
    Result<std::unique_ptr<Capture>> capture = open_capture(spec, options);
    EXPECT_TRUE(capture.is_ok()) << capture.status().to_string();
    if (!capture) return nullptr;
    return std::move(capture).value();
  }

  std::vector<CapturedFrame> drain(Capture& capture) {
    std::vector<CapturedFrame> frames;
    for (;;) {
      Result<std::optional<CapturedFrame>> next = capture.next();
      EXPECT_TRUE(next.is_ok()) << next.status().to_string();
      if (!next || !next->has_value()) return frames;
      frames.push_back(std::move(**next));
    }
  }

  framewire::test::TempDir dir_{"capture-file"};
  std::string video_ = dir_ / "test.avi";
};

TEST_F(FileCapture, DecodesEveryFrameInOrderAtItsOwnPace) {
  auto capture = open("file:" + video_, {});
  ASSERT_TRUE(capture);
  EXPECT_EQ(capture->info().width, 384);
  EXPECT_EQ(capture->info().height, 216);
  EXPECT_NEAR(capture->info().fps, 10.0, 0.01);
  const auto start = Clock::now();
  const std::vector<CapturedFrame> frames = drain(*capture);
  const double elapsed = seconds_since(start);
  ASSERT_EQ(frames.size(), 30u);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const Image& image = std::get<Image>(frames[i].content);
    EXPECT_EQ(image.width(), 384);
    EXPECT_EQ(image.height(), 216);
    EXPECT_EQ(image.format(), PixelFormat::kRgb8);
    EXPECT_EQ(read_frame_tag(image.view()), i) << "frame " << i;
    EXPECT_EQ(frames[i].index, i);
  }
  // 29 periods of 100 ms between the first frame and the last: a paced file cannot be faster.
  EXPECT_GE(elapsed, 2.85);
  EXPECT_LT(elapsed, 30.0);
  // Capture times follow the pace too.
  EXPECT_GE(frames.back().capture_time_ns - frames.front().capture_time_ns, 2'850'000'000);
}

TEST_F(FileCapture, NoPaceDecodesAsFastAsItCan) {
  CaptureOptions options;
  options.pace = false;
  options.color_order = PixelFormat::kBgr8;
  auto capture = open("file:" + video_, options);
  ASSERT_TRUE(capture);
  const auto start = Clock::now();
  const std::vector<CapturedFrame> frames = drain(*capture);
  ASSERT_EQ(frames.size(), 30u);
  // Paced, this file takes 2.9 s; decoding 30 small frames takes milliseconds.
  EXPECT_LT(seconds_since(start), 2.0);
  const Image& last = std::get<Image>(frames.back().content);
  EXPECT_EQ(last.format(), PixelFormat::kBgr8);
  EXPECT_EQ(read_frame_tag(last.view()), 29u);
}

TEST_F(FileCapture, FrameLimitStopsEarly) {
  CaptureOptions options;
  options.pace = false;
  options.max_frames = 7;
  auto capture = open("file:" + video_, options);
  ASSERT_TRUE(capture);
  EXPECT_EQ(drain(*capture).size(), 7u);
}

TEST_F(FileCapture, MjpegPacketsPassThroughAsJpegFiles) {
  CaptureOptions options;
  options.pace = false;
  options.packets = true;
  auto capture = open("file:" + video_, options);
  ASSERT_TRUE(capture);
  EXPECT_EQ(capture->info().content, FrameContent::kPacket);
  EXPECT_EQ(capture->info().packet_extension, ".jpg");
  const std::vector<CapturedFrame> frames = drain(*capture);
  ASSERT_EQ(frames.size(), 30u);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const EncodedPacket& packet = std::get<EncodedPacket>(frames[i].content);
    EXPECT_EQ(packet.extension, ".jpg");
    const std::optional<Image> decoded = test::decode_jpeg(packet.bytes);
    ASSERT_TRUE(decoded.has_value()) << "packet " << i << " is not a JPEG file";
    EXPECT_EQ(read_frame_tag(decoded->view()), i);
  }
}

TEST_F(FileCapture, StopFromAnotherThreadEndsAPacedFile) {
  auto capture = open("file:" + video_, {});
  ASSERT_TRUE(capture);
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    capture->stop();
  });
  const auto start = Clock::now();
  const std::size_t frames = drain(*capture).size();
  stopper.join();
  EXPECT_GE(frames, 1u);
  EXPECT_LT(frames, 30u);
  EXPECT_LT(seconds_since(start), 2.5);
}

TEST_F(FileCapture, InterFrameCodecsHaveNoPacketsToPassThrough) {
  const std::string mpeg4 = dir_ / "test.mkv";
  test::VideoSpec spec;
  spec.codec = test::VideoCodec::kMpeg4;
  spec.frames = 12;
  ASSERT_TRUE(test::write_test_video(mpeg4, spec).is_ok());

  CaptureOptions decode;
  decode.pace = false;
  auto decoded = open("file:" + mpeg4, decode);
  ASSERT_TRUE(decoded);
  const std::vector<CapturedFrame> frames = drain(*decoded);
  ASSERT_EQ(frames.size(), 12u);
  EXPECT_EQ(read_frame_tag(std::get<Image>(frames[11].content).view()), 11u);

  CaptureOptions packets;
  packets.packets = true;
  const auto refused = open_capture("file:" + mpeg4, packets);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("mpeg4"));
  EXPECT_THAT(refused.status().message(), HasSubstr("whole pictures"));
}

TEST_F(FileCapture, MissingAndNonVideoFilesAreRefused) {
  const auto missing = open_capture("file:" + (dir_ / "nope.avi"));
  ASSERT_FALSE(missing.is_ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.avi"));
  EXPECT_THAT(missing.status().message(), HasSubstr("cannot open"));

  const std::string text = dir_ / "notes.txt";
  FILE* file = std::fopen(text.c_str(), "w");
  ASSERT_NE(file, nullptr);
  std::fputs("not a video\n", file);
  std::fclose(file);
  EXPECT_FALSE(open_capture("file:" + text).is_ok());
}

// v4l2: needs a camera. Where /dev/video0 exists, a few frames must come through.
TEST(V4l2Capture, CapturesFromACameraWhenThereIsOne) {
  if (::access("/dev/video0", R_OK) != 0) GTEST_SKIP() << "no /dev/video0 on this machine";
  CaptureOptions options;
  options.max_frames = 3;
  options.max_duration = 20s;
  Result<std::unique_ptr<Capture>> capture = open_capture("v4l2:/dev/video0", options);
  ASSERT_TRUE(capture.is_ok()) << capture.status().to_string();
  std::size_t frames = 0;
  for (;;) {
    Result<std::optional<CapturedFrame>> next = (*capture)->next();
    ASSERT_TRUE(next.is_ok()) << next.status().to_string();
    if (!next->has_value()) break;
    const Image& image = std::get<Image>((*next)->content);
    EXPECT_GT(image.width(), 0);
    ++frames;
  }
  EXPECT_EQ(frames, 3u);
}

TEST(V4l2Capture, AMissingDeviceIsAClearError) {
  const auto capture = open_capture("v4l2:/dev/framewire-no-such-camera");
  ASSERT_FALSE(capture.is_ok());
  EXPECT_THAT(capture.status().message(), HasSubstr("/dev/framewire-no-such-camera"));
  EXPECT_THAT(capture.status().message(), HasSubstr("cannot open"));
}

}  // namespace
}  // namespace framewire::capture
