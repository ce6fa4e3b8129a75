// Test patterns and their frame tags: frames move, carry their number through lossy coding,
// irsrc spans the 16-bit range.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "capture/frame_tag.hpp"
#include "capture/jpeg_encoder.hpp"
#include "capture/test_pattern.hpp"
#include "image_decode.hpp"

namespace framewire::capture {
namespace {

bool same_bytes(const Image& a, const Image& b) {
  return a.size_bytes() == b.size_bytes() && std::memcmp(a.data(), b.data(), a.size_bytes()) == 0;
}

TEST(Testsrc, ConsecutiveFramesDifferAndRepeatExactly) {
  Image a(640, 360, PixelFormat::kRgb8);
  Image b(640, 360, PixelFormat::kRgb8);
  Image again(640, 360, PixelFormat::kRgb8);
  render_testsrc(10, a);
  render_testsrc(11, b);
  render_testsrc(10, again);
  EXPECT_FALSE(same_bytes(a, b));
  EXPECT_TRUE(same_bytes(a, again));
}

TEST(Testsrc, FramesCarryTheirNumber) {
  Image image(1920, 1080, PixelFormat::kRgb8);
  for (const std::uint64_t frame : {0ULL, 1ULL, 17ULL, 123456ULL, 4294967295ULL}) {
    render_testsrc(frame, image);
    EXPECT_EQ(read_frame_tag(image.view()), static_cast<std::uint32_t>(frame));
  }
}

TEST(Testsrc, NumberSurvivesJpegAtOrdinaryQuality) {
  for (const PixelFormat format : {PixelFormat::kRgb8, PixelFormat::kBgr8}) {
    Image image(640, 360, format);
    render_testsrc(4242, image);
    std::vector<std::uint8_t> jpeg;
    ASSERT_TRUE(encode_jpeg(image.view(), 50, jpeg).is_ok());
    const std::optional<Image> decoded = test::decode_jpeg(jpeg);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(read_frame_tag(decoded->view()), 4242u) << to_string(format);
  }
}

TEST(Testsrc, BgrIsRgbWithChannelsSwapped) {
  Image rgb(320, 180, PixelFormat::kRgb8);
  Image bgr(320, 180, PixelFormat::kBgr8);
  render_testsrc(5, rgb);
  render_testsrc(5, bgr);
  for (std::size_t i = 0; i < rgb.size_bytes(); i += 3) {
    ASSERT_EQ(rgb.data()[i], bgr.data()[i + 2]);
    ASSERT_EQ(rgb.data()[i + 1], bgr.data()[i + 1]);
    ASSERT_EQ(rgb.data()[i + 2], bgr.data()[i]);
  }
}

TEST(FrameTag, DamagedOrMissingTagsAreNotRead) {
  Image small(100, 100, PixelFormat::kRgb8);  // narrower than 192: no tag
  render_testsrc(3, small);
  EXPECT_EQ(read_frame_tag(small.view()), std::nullopt);

  Image image(480, 270, PixelFormat::kRgb8);
  render_testsrc(3, image);
  ASSERT_EQ(read_frame_tag(image.view()), 3u);
  // Flip one data cell (cell 2 + 31 = the number's lowest bit): the check byte catches it.
  const int cell = frame_tag_cell(480, 270);
  const int x = (1 + 2 + 31) * cell + cell / 2;
  const int y = cell + cell / 2;
  for (int dy = -cell / 2; dy < cell / 2; ++dy) {
    for (int dx = -cell / 2; dx < cell / 2; ++dx) {
      std::uint8_t* pixel = image.row(y + dy) + (x + dx) * 3;
      pixel[0] = pixel[1] = pixel[2] = static_cast<std::uint8_t>(255 - pixel[0]);
    }
  }
  EXPECT_EQ(read_frame_tag(image.view()), std::nullopt);
}

TEST(Irsrc, SpansMuchOfTheSixteenBitRangeAndMoves) {
  Image a(640, 512, PixelFormat::kGray16);
  Image b(640, 512, PixelFormat::kGray16);
  render_irsrc(100, a);
  render_irsrc(101, b);
  std::uint16_t lo = 65535;
  std::uint16_t hi = 0;
  for (int y = 0; y < a.height(); ++y) {
    const auto [min_it, max_it] = std::minmax_element(a.row16(y), a.row16(y) + a.width());
    lo = std::min(lo, *min_it);
    hi = std::max(hi, *max_it);
  }
  EXPECT_LT(lo, 10000);
  EXPECT_GT(hi, 50000);
  EXPECT_FALSE(same_bytes(a, b));
  EXPECT_EQ(read_frame_tag(a.view()), 100u);
  EXPECT_EQ(read_frame_tag(b.view()), 101u);
}

TEST(Irsrc, LeavesOtherFormatsAlone) {
  Image rgb(64, 64, PixelFormat::kRgb8);
  std::memset(rgb.data(), 0x5A, rgb.size_bytes());
  render_irsrc(1, rgb);
  EXPECT_TRUE(std::all_of(rgb.data(), rgb.data() + rgb.size_bytes(),
                          [](std::uint8_t v) { return v == 0x5A; }));
}

}  // namespace
}  // namespace framewire::capture
