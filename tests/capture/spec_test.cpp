// Capture specs, frame rates, --encode specs, frame names and encoding checks: what parses,
// and that each malformed form is refused with a message that quotes it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capture/capture_spec.hpp"
#include "capture/frame_encoder.hpp"

namespace framewire::capture {
namespace {

using ::testing::HasSubstr;

TEST(CaptureSpec, PatternSizesAndRates) {
  Result<CaptureSpec> spec = parse_capture_spec("testsrc:1920x1080@30");
  ASSERT_TRUE(spec.is_ok()) << spec.status().to_string();
  EXPECT_EQ(spec->kind, CaptureKind::kTestsrc);
  EXPECT_EQ(spec->width, 1920);
  EXPECT_EQ(spec->height, 1080);
  EXPECT_EQ(spec->rate.num, 30);
  EXPECT_EQ(spec->rate.den, 1);

  spec = parse_capture_spec("irsrc:640x512@30000/1001");
  ASSERT_TRUE(spec.is_ok()) << spec.status().to_string();
  EXPECT_EQ(spec->kind, CaptureKind::kIrsrc);
  EXPECT_EQ(spec->rate.num, 30000);
  EXPECT_EQ(spec->rate.den, 1001);
}

TEST(CaptureSpec, PathsAndDeviceOptions) {
  Result<CaptureSpec> spec = parse_capture_spec("file:/videos/a:b.mkv");
  ASSERT_TRUE(spec.is_ok());
  EXPECT_EQ(spec->kind, CaptureKind::kFile);
  EXPECT_EQ(spec->path, "/videos/a:b.mkv");

  spec = parse_capture_spec("follow:/data/cam0/");
  ASSERT_TRUE(spec.is_ok());
  EXPECT_EQ(spec->kind, CaptureKind::kFollow);
  EXPECT_EQ(spec->path, "/data/cam0/");

  spec = parse_capture_spec("v4l2:/dev/video2,size=1280x720,fps=30,format=mjpeg");
  ASSERT_TRUE(spec.is_ok()) << spec.status().to_string();
  EXPECT_EQ(spec->path, "/dev/video2");
  using Option = std::pair<std::string, std::string>;
  EXPECT_THAT(spec->device_options,
              ::testing::ElementsAre(Option{"video_size", "1280x720"}, Option{"framerate", "30"},
                                     Option{"input_format", "mjpeg"}));
}

TEST(CaptureSpec, MalformedSpecsAreRefusedWithTheExpectedForm) {
  struct Case {
    const char* spec;
    const char* says;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"testsrc", "no KIND: prefix"},
           {"webcam:/dev/video0", "unknown kind 'webcam'"},
           {"testsrc:1920x1080", "missing size or rate"},
           {"testsrc:1920@30", "missing size or rate"},
           {"testsrc:axb@30", "WIDTHxHEIGHT"},
           {"testsrc:1920x1080x3@30", "WIDTHxHEIGHT"},
           {"testsrc:0x1080@30", "1..16384"},
           {"irsrc:640x99999@30", "1..16384"},
           {"testsrc:640x480@0", "must be positive"},
           {"testsrc:640x480@abc", "not a number"},
           {"testsrc:640x480@30x", "not a number"},
           {"testsrc:640x480@5000", "above 1000"},
           {"testsrc:640x480@30/0", "must be positive"},
           {"file:", "no path"},
           {"follow:", "no path"},
           {"v4l2:", "no device path"},
           {"v4l2:/dev/video0,size", "not KEY=VALUE"},
           {"v4l2:/dev/video0,zoom=2", "unknown device option 'zoom'"},
           {"v4l2:/dev/video0,fps=fast", "bad fps"},
       }) {
    const Result<CaptureSpec> spec = parse_capture_spec(c.spec);
    ASSERT_FALSE(spec.is_ok()) << c.spec;
    EXPECT_THAT(spec.status().message(), HasSubstr(std::string("'") + c.spec + "'"));
    EXPECT_THAT(spec.status().message(), HasSubstr(c.says)) << c.spec;
  }
}

TEST(CaptureSpec, OpenCaptureReportsParseErrors) {
  const auto capture = open_capture("testsrc:640x480");
  ASSERT_FALSE(capture.is_ok());
  EXPECT_THAT(capture.status().message(), HasSubstr("testsrc:WxH@FPS"));
}

TEST(CaptureSpec, PatternsHaveNoPacketsToPassThrough) {
  CaptureOptions options;
  options.packets = true;
  const auto capture = open_capture("testsrc:64x48@30", options);
  ASSERT_FALSE(capture.is_ok());
  EXPECT_THAT(capture.status().message(), HasSubstr("no compressed packets"));
}

TEST(FrameRate, DecimalsAndRatios) {
  Result<FrameRate> rate = parse_frame_rate("29.97");
  ASSERT_TRUE(rate.is_ok());
  EXPECT_EQ(rate->num, 2997);
  EXPECT_EQ(rate->den, 100);
  rate = parse_frame_rate("0.5");
  ASSERT_TRUE(rate.is_ok());
  EXPECT_DOUBLE_EQ(rate->value(), 0.5);
  EXPECT_FALSE(parse_frame_rate("-30").is_ok());
  EXPECT_FALSE(parse_frame_rate("3.").is_ok());
  EXPECT_FALSE(parse_frame_rate(".5").is_ok());
  EXPECT_FALSE(parse_frame_rate("").is_ok());
}

TEST(EncodeSpec, Parses) {
  Result<EncodeSpec> spec = parse_encode_spec("jpeg");
  ASSERT_TRUE(spec.is_ok());
  EXPECT_EQ(spec->encoding, Encoding::kJpeg);
  EXPECT_EQ(spec->jpeg_quality, kDefaultJpegQuality);
  spec = parse_encode_spec("jpeg:85");
  ASSERT_TRUE(spec.is_ok());
  EXPECT_EQ(spec->jpeg_quality, 85);
  EXPECT_EQ(parse_encode_spec("png")->encoding, Encoding::kPng);
  EXPECT_EQ(parse_encode_spec("png16")->encoding, Encoding::kPng16);
  EXPECT_EQ(parse_encode_spec("raw")->encoding, Encoding::kRaw);
  for (const char* bad : {"jpeg:0", "jpeg:101", "jpeg:", "jpeg:9x", "png:1", "webp", ""}) {
    const Result<EncodeSpec> refused = parse_encode_spec(bad);
    ASSERT_FALSE(refused.is_ok()) << bad;
    EXPECT_THAT(refused.status().message(), HasSubstr("jpeg[:QUALITY], png, png16 or raw"));
  }
}

TEST(EncodeSpec, DefaultsAndChecks) {
  CaptureInfo visible;
  visible.spec = "testsrc:64x48@30";
  visible.format = PixelFormat::kRgb8;
  CaptureInfo infrared = visible;
  infrared.spec = "irsrc:64x48@30";
  infrared.format = PixelFormat::kGray16;
  CaptureInfo packets;
  packets.spec = "file:a.avi";
  packets.content = FrameContent::kPacket;
  CaptureInfo files;
  files.spec = "follow:/x";
  files.content = FrameContent::kFile;

  EXPECT_EQ(default_encoding(visible).encoding, Encoding::kJpeg);
  EXPECT_EQ(default_encoding(infrared).encoding, Encoding::kPng16);
  EXPECT_EQ(default_encoding(packets).encoding, Encoding::kRaw);
  EXPECT_EQ(default_encoding(files).encoding, Encoding::kRaw);

  const EncodeSpec jpeg{Encoding::kJpeg};
  const EncodeSpec png{Encoding::kPng};
  const EncodeSpec png16{Encoding::kPng16};
  const EncodeSpec raw{Encoding::kRaw};
  EXPECT_TRUE(check_encoding(jpeg, visible).is_ok());
  EXPECT_TRUE(check_encoding(png, visible).is_ok());
  EXPECT_THAT(check_encoding(png16, visible).message(), HasSubstr("16-bit"));
  EXPECT_THAT(check_encoding(raw, visible).message(), HasSubstr("raw passes"));
  EXPECT_THAT(check_encoding(jpeg, infrared).message(), HasSubstr("use png16"));
  EXPECT_THAT(check_encoding(png, infrared).message(), HasSubstr("use png16"));
  EXPECT_TRUE(check_encoding(png16, infrared).is_ok());
  EXPECT_TRUE(check_encoding(raw, packets).is_ok());
  EXPECT_FALSE(check_encoding(jpeg, packets).is_ok());
  EXPECT_TRUE(check_encoding(raw, files).is_ok());
  EXPECT_THAT(check_encoding(png, files).message(), HasSubstr("only raw"));
}

TEST(FrameFileName, ZeroPaddedToSixDigitsThenLonger) {
  EXPECT_EQ(frame_file_name(17, ".jpg"), "000017.jpg");
  EXPECT_EQ(frame_file_name(0, ".png"), "000000.png");
  EXPECT_EQ(frame_file_name(999999, ".png"), "999999.png");
  EXPECT_EQ(frame_file_name(1234567, ".png"), "1234567.png");
  EXPECT_TRUE(
      source::frame_order_less(frame_file_name(999999, ".png"), frame_file_name(1000000, ".png")));
}

}  // namespace
}  // namespace framewire::capture
