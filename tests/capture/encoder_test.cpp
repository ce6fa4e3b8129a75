// JPEG and PNG encoders: round trips through independent decoders (TurboJPEG's decompressor,
// libpng's reader), exactness where the format is lossless, channel order, refusals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "capture/jpeg_encoder.hpp"
#include "capture/png_encoder.hpp"
#include "capture/test_pattern.hpp"
#include "image_decode.hpp"

namespace framewire::capture {
namespace {

Image pattern(int width, int height, PixelFormat format, std::uint64_t frame = 7) {
  Image image(width, height, format);
  if (format == PixelFormat::kGray16) {
    render_irsrc(frame, image);
  } else {
    render_testsrc(frame, image);
  }
  return image;
}

// Largest absolute difference between two same-sized 8-bit images, channel by channel.
int max_difference(const Image& a, const Image& b) {
  int worst = 0;
  for (int y = 0; y < a.height(); ++y) {
    for (std::size_t i = 0; i < a.stride(); ++i) {
      worst = std::max(worst, std::abs(int{a.row(y)[i]} - int{b.row(y)[i]}));
    }
  }
  return worst;
}

// Mean absolute difference, which stays small for a good JPEG even where edges ring.
double mean_difference(const Image& a, const Image& b) {
  double sum = 0;
  for (int y = 0; y < a.height(); ++y) {
    for (std::size_t i = 0; i < a.stride(); ++i)
      sum += std::abs(int{a.row(y)[i]} - int{b.row(y)[i]});
  }
  return sum / static_cast<double>(a.size_bytes());
}

bool same_pixels(const Image& a, const Image& b) {
  if (a.width() != b.width() || a.height() != b.height() || a.format() != b.format()) {
    return false;
  }
  for (int y = 0; y < a.height(); ++y) {
    if (std::memcmp(a.row(y), b.row(y), a.stride()) != 0) return false;
  }
  return true;
}

Image swapped_to_bgr(const Image& rgb) {
  Image bgr(rgb.width(), rgb.height(), PixelFormat::kBgr8);
  for (int y = 0; y < rgb.height(); ++y) {
    for (int x = 0; x < rgb.width(); ++x) {
      bgr.row(y)[x * 3] = rgb.row(y)[x * 3 + 2];
      bgr.row(y)[x * 3 + 1] = rgb.row(y)[x * 3 + 1];
      bgr.row(y)[x * 3 + 2] = rgb.row(y)[x * 3];
    }
  }
  return bgr;
}

TEST(JpegEncoder, RgbRoundTripIsClose) {
  const Image image = pattern(320, 240, PixelFormat::kRgb8);
  std::vector<std::uint8_t> jpeg;
  ASSERT_TRUE(encode_jpeg(image.view(), 95, jpeg).is_ok());
  ASSERT_GT(jpeg.size(), 4u);
  EXPECT_EQ(jpeg[0], 0xFF);
  EXPECT_EQ(jpeg[1], 0xD8);
  const std::optional<Image> decoded = test::decode_jpeg(jpeg);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->width(), 320);
  EXPECT_EQ(decoded->height(), 240);
  EXPECT_EQ(decoded->format(), PixelFormat::kRgb8);
  EXPECT_LT(mean_difference(image, *decoded), 4.0);
}

TEST(JpegEncoder, BgrInputGivesTheSameJpegAsRgb) {
  const Image rgb = pattern(320, 240, PixelFormat::kRgb8);
  const Image bgr = swapped_to_bgr(rgb);
  std::vector<std::uint8_t> from_rgb;
  std::vector<std::uint8_t> from_bgr;
  ASSERT_TRUE(encode_jpeg(rgb.view(), 85, from_rgb).is_ok());
  ASSERT_TRUE(encode_jpeg(bgr.view(), 85, from_bgr).is_ok());
  EXPECT_EQ(from_rgb, from_bgr);
}

TEST(JpegEncoder, GrayGivesAGrayscaleJpeg) {
  const Image gray = pattern(256, 192, PixelFormat::kGray8);
  std::vector<std::uint8_t> jpeg;
  ASSERT_TRUE(encode_jpeg(gray.view(), 90, jpeg).is_ok());
  const std::optional<Image> decoded = test::decode_jpeg(jpeg);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->format(), PixelFormat::kGray8);
  EXPECT_LT(mean_difference(gray, *decoded), 4.0);
}

TEST(JpegEncoder, ReusedEncoderGivesTheSameBytesAsAFreshOne) {
  JpegEncoder encoder;
  std::vector<std::uint8_t> out;
  for (std::uint64_t frame = 0; frame < 3; ++frame) {
    const Image image = pattern(640, 360, PixelFormat::kRgb8, frame);
    ASSERT_TRUE(encoder.encode(image.view(), 85, out).is_ok());
    std::vector<std::uint8_t> fresh;
    ASSERT_TRUE(encode_jpeg(image.view(), 85, fresh).is_ok());
    EXPECT_EQ(out, fresh) << "frame " << frame;
  }
}

TEST(JpegEncoder, HonoursTheRowStrideOfAView) {
  // A view into a wider buffer (a crop): padding bytes must not leak into the picture.
  const Image image = pattern(200, 100, PixelFormat::kRgb8);
  std::vector<std::uint8_t> padded(static_cast<std::size_t>(100) * 700, 0xEE);
  for (int y = 0; y < 100; ++y) std::memcpy(&padded[y * 700], image.row(y), image.stride());
  const ImageView view{padded.data(), 200, 100, 700, PixelFormat::kRgb8};
  std::vector<std::uint8_t> from_view;
  std::vector<std::uint8_t> from_image;
  ASSERT_TRUE(encode_jpeg(view, 90, from_view).is_ok());
  ASSERT_TRUE(encode_jpeg(image.view(), 90, from_image).is_ok());
  EXPECT_EQ(from_view, from_image);
}

TEST(JpegEncoder, RefusesSixteenBitBadQualityAndEmptyImages) {
  const Image ir = pattern(64, 64, PixelFormat::kGray16);
  std::vector<std::uint8_t> out;
  const Status sixteen = encode_jpeg(ir.view(), 90, out);
  EXPECT_FALSE(sixteen.is_ok());
  EXPECT_NE(sixteen.message().find("png16"), std::string::npos) << sixteen.message();
  const Image rgb = pattern(64, 64, PixelFormat::kRgb8);
  EXPECT_FALSE(encode_jpeg(rgb.view(), 0, out).is_ok());
  EXPECT_FALSE(encode_jpeg(rgb.view(), 101, out).is_ok());
  EXPECT_FALSE(encode_jpeg(ImageView{}, 90, out).is_ok());
}

TEST(PngEncoder, RgbRoundTripIsExact) {
  const Image image = pattern(320, 240, PixelFormat::kRgb8);
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(encode_png(image.view(), png).is_ok());
  const std::optional<Image> decoded = test::decode_png(png);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(same_pixels(image, *decoded));
}

TEST(PngEncoder, BgrIsStoredAsRgb) {
  const Image rgb = pattern(320, 240, PixelFormat::kRgb8);
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(encode_png(swapped_to_bgr(rgb).view(), png).is_ok());
  const std::optional<Image> decoded = test::decode_png(png);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(max_difference(rgb, *decoded), 0);
}

TEST(PngEncoder, Gray8RoundTripIsExact) {
  const Image image = pattern(100, 50, PixelFormat::kGray8);
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(encode_png(image.view(), png).is_ok());
  const std::optional<Image> decoded = test::decode_png(png);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(same_pixels(image, *decoded));
}

TEST(PngEncoder, Gray16RoundTripIsExactAndBigEndianInTheFile) {
  Image image = pattern(640, 512, PixelFormat::kGray16);
  image.row16(0)[0] = 0x1234;  // a known sample to find in the file's byte order
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(encode_png(image.view(), png).is_ok());
  EXPECT_EQ(png[24], 16) << "IHDR bit depth";
  EXPECT_EQ(png[25], 0) << "IHDR colour type grey";
  const std::optional<Image> decoded = test::decode_png(png);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(same_pixels(image, *decoded));
  EXPECT_EQ(decoded->row16(0)[0], 0x1234);
}

TEST(PngEncoder, ReusesTheOutputBuffer) {
  PngEncoder encoder;
  std::vector<std::uint8_t> out;
  const Image image = pattern(320, 240, PixelFormat::kRgb8);
  ASSERT_TRUE(encoder.encode(image.view(), out).is_ok());
  const std::vector<std::uint8_t> first = out;
  const std::uint8_t* buffer = out.data();
  ASSERT_TRUE(encoder.encode(image.view(), out).is_ok());
  EXPECT_EQ(out, first);
  EXPECT_EQ(out.data(), buffer) << "the second frame reallocated the output";
}

TEST(PngEncoder, HigherCompressionLevelsStillRoundTrip) {
  const Image image = pattern(320, 240, PixelFormat::kGray16);
  std::vector<std::uint8_t> fast;
  std::vector<std::uint8_t> small;
  ASSERT_TRUE(encode_png(image.view(), fast, 1).is_ok());
  ASSERT_TRUE(encode_png(image.view(), small, 9).is_ok());
  EXPECT_LE(small.size(), fast.size());
  const std::optional<Image> decoded = test::decode_png(small);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(same_pixels(image, *decoded));
}

TEST(PngEncoder, RefusesAnEmptyImage) {
  std::vector<std::uint8_t> out;
  EXPECT_FALSE(encode_png(ImageView{}, out).is_ok());
}

}  // namespace
}  // namespace framewire::capture
