// MJPEG frames without Huffman tables (as USB cameras and AVI files send them) made into
// complete JPEG files for raw passthrough; frames that have tables are left alone.
#include "capture/mjpeg_completer.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "capture/jpeg_encoder.hpp"
#include "capture/test_pattern.hpp"
#include "image_decode.hpp"

namespace framewire::capture {
namespace {

std::vector<std::uint8_t> pattern_jpeg() {
  Image image(320, 240, PixelFormat::kRgb8);
  render_testsrc(9, image);
  std::vector<std::uint8_t> jpeg;
  EXPECT_TRUE(encode_jpeg(image.view(), 90, jpeg).is_ok());
  return jpeg;
}

// `jpeg` without its DHT segments. TurboJPEG writes the standard tables, so the standard ones
// put back must decode to the very same pixels.
std::vector<std::uint8_t> without_huffman_tables(const std::vector<std::uint8_t>& jpeg) {
  std::vector<std::uint8_t> stripped(jpeg.begin(), jpeg.begin() + 2);
  std::size_t i = 2;
  while (i + 4 <= jpeg.size() && jpeg[i + 1] != 0xDA) {
    const std::size_t length = 2 + ((std::size_t{jpeg[i + 2]} << 8) | jpeg[i + 3]);
    if (jpeg[i + 1] != 0xC4) {
      stripped.insert(stripped.end(), jpeg.begin() + i, jpeg.begin() + i + length);
    }
    i += length;
  }
  stripped.insert(stripped.end(), jpeg.begin() + i, jpeg.end());
  return stripped;
}

TEST(JpegHuffmanTables, FoundInOurJpegsAndMissedWhenStripped) {
  const std::vector<std::uint8_t> jpeg = pattern_jpeg();
  EXPECT_TRUE(jpeg_has_huffman_tables(jpeg));
  const std::vector<std::uint8_t> stripped = without_huffman_tables(jpeg);
  ASSERT_LT(stripped.size(), jpeg.size());
  EXPECT_FALSE(jpeg_has_huffman_tables(stripped));
  EXPECT_FALSE(jpeg_has_huffman_tables({}));
}

TEST(MjpegCompleter, PutsTheStandardTablesBackIntoAFrameWithout) {
  const std::vector<std::uint8_t> jpeg = pattern_jpeg();
  std::vector<std::uint8_t> frame = without_huffman_tables(jpeg);
  MjpegCompleter completer;
  for (int round = 0; round < 2; ++round) {  // the filter is set up once, then reused
    std::vector<std::uint8_t> completed = frame;
    const Status status = completer.complete(completed);
    ASSERT_TRUE(status.is_ok()) << status.to_string();
    EXPECT_TRUE(jpeg_has_huffman_tables(completed));
    const std::optional<Image> expected = test::decode_jpeg(jpeg);
    const std::optional<Image> got = test::decode_jpeg(completed);
    ASSERT_TRUE(expected.has_value() && got.has_value());
    ASSERT_EQ(got->size_bytes(), expected->size_bytes());
    EXPECT_EQ(std::memcmp(got->data(), expected->data(), got->size_bytes()), 0);
  }
}

TEST(MjpegCompleter, LeavesACompleteJpegAlone) {
  const std::vector<std::uint8_t> jpeg = pattern_jpeg();
  std::vector<std::uint8_t> frame = jpeg;
  MjpegCompleter completer;
  ASSERT_TRUE(completer.complete(frame).is_ok());
  EXPECT_EQ(frame, jpeg);
}

TEST(MjpegCompleter, RefusesBytesThatAreNotAJpeg) {
  std::vector<std::uint8_t> frame{0x89, 'P', 'N', 'G'};
  MjpegCompleter completer;
  const Status status = completer.complete(frame);
  EXPECT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("SOI"), std::string::npos);
}

}  // namespace
}  // namespace framewire::capture
