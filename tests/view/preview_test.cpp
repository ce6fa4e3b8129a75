// make_preview and its parts: real JPEGs and PNGs (made by capture's encoders and libpng's own
// writer) in, the preview decoded again with TurboJPEG and checked for size, colour, palette and
// tone range; hostile bytes (garbage, every truncation, forged sizes) must give kMalformed.
#include <gtest/gtest.h>
#include <png.h>
#include <turbojpeg.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "capture/jpeg_encoder.hpp"
#include "capture/png_encoder.hpp"
#include "capture/test_pattern.hpp"
#include "view/image_decode.hpp"
#include "view/preview.hpp"
#include "view/tone_map.hpp"

namespace framewire::view {
namespace {

using capture::Image;
using capture::PixelFormat;
using Bytes = std::vector<std::uint8_t>;

// ---- making inputs -----------------------------------------------------------------------

// A horizontal 16-bit ramp from `low` (left column) to `high` (right column).
Image ramp16(int width, int height, int low, int high) {
  Image image(width, height, PixelFormat::kGray16);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.row16(y)[x] =
          static_cast<std::uint16_t>(low + (high - low) * x / std::max(width - 1, 1));
    }
  }
  return image;
}

Image colour_bars(int width, int height) {
  Image image(width, height, PixelFormat::kRgb8);
  capture::render_testsrc(3, image);
  return image;
}

Bytes png_of(const Image& image) {
  Bytes out;
  EXPECT_TRUE(capture::encode_png(image.view(), out).is_ok());
  return out;
}

Bytes jpeg_of(const Image& image, int quality = 90) {
  Bytes out;
  EXPECT_TRUE(capture::encode_jpeg(image.view(), quality, out).is_ok());
  return out;
}

// A PNG in one of the layouts capture's encoder does not write (grey+alpha, RGBA, palette,
// 16-bit RGB...), through libpng's simplified writer. `pixels` as png_image expects them.
Bytes png_via_simplified(int width, int height, png_uint_32 format, const void* pixels,
                         const void* colormap = nullptr, int colormap_entries = 0) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = format;
  image.colormap_entries = static_cast<png_uint_32>(colormap_entries);
  png_alloc_size_t size = 0;
  EXPECT_NE(png_image_write_get_memory_size(image, size, 0, pixels, 0, colormap), 0)
      << image.message;
  Bytes out(size);
  EXPECT_NE(png_image_write_to_memory(&image, out.data(), &size, 0, pixels, 0, colormap), 0)
      << image.message;
  out.resize(size);
  return out;
}

// ---- reading the preview back ------------------------------------------------------------

struct Decoded {
  int width = 0;
  int height = 0;
  Bytes rgb;  // always 3 channels, whatever the JPEG's colour space
  const std::uint8_t* at(int x, int y) const {
    return rgb.data() + (static_cast<std::size_t>(y) * width + x) * 3;
  }
};

Decoded decode_rgb(const Bytes& jpeg) {
  Decoded decoded;
  tjhandle handle = tjInitDecompress();
  int subsampling = 0;
  int colorspace = 0;
  if (tjDecompressHeader3(handle, jpeg.data(), jpeg.size(), &decoded.width, &decoded.height,
                          &subsampling, &colorspace) == 0) {
    decoded.rgb.resize(static_cast<std::size_t>(decoded.width) * decoded.height * 3);
    if (tjDecompress2(handle, jpeg.data(), jpeg.size(), decoded.rgb.data(), decoded.width, 0,
                      decoded.height, TJPF_RGB, 0) != 0) {
      ADD_FAILURE() << "preview does not decode: " << tjGetErrorStr2(handle);
    }
  } else {
    ADD_FAILURE() << "preview header does not decode: " << tjGetErrorStr2(handle);
  }
  tjDestroy(handle);
  return decoded;
}

Decoded preview_of(const Bytes& stored, PreviewOptions options = {}) {
  Result<Bytes> preview = make_preview(stored, options);
  EXPECT_TRUE(preview.is_ok()) << preview.status().to_string();
  if (!preview) return {};
  return decode_rgb(*preview);
}

int channel_spread(const std::uint8_t* pixel) {
  return *std::max_element(pixel, pixel + 3) - *std::min_element(pixel, pixel + 3);
}

int grey_of(const Decoded& d, int x, int y) {
  return d.at(x, y)[1];
}

// ---- size --------------------------------------------------------------------------------

TEST(FitWithin, KeepsAspectAndNeverScalesUp) {
  EXPECT_EQ(fit_within({1920, 1080}, 640, 480).width, 640);
  EXPECT_EQ(fit_within({1920, 1080}, 640, 480).height, 360);
  EXPECT_EQ(fit_within({640, 512}, 640, 480).width, 600);
  EXPECT_EQ(fit_within({640, 512}, 640, 480).height, 480);
  EXPECT_EQ(fit_within({300, 200}, 640, 480).width, 300);
  EXPECT_EQ(fit_within({300, 200}, 640, 480).height, 200);
  EXPECT_EQ(fit_within({100000, 1}, 640, 480).height, 1);  // never 0
}

TEST(Preview, Gray16PngRampDecodesAtFittedSizeAsGrey) {
  const Decoded d = preview_of(png_of(ramp16(640, 512, 1000, 60000)));
  ASSERT_EQ(d.width, 600);
  ASSERT_EQ(d.height, 480);
  for (int x = 0; x < d.width; x += 7) {
    EXPECT_LE(channel_spread(d.at(x, 240)), 2) << "grey preview has colour at x=" << x;
  }
  EXPECT_LT(grey_of(d, 2, 240), 20);
  EXPECT_GT(grey_of(d, 597, 240), 235);
  EXPECT_NEAR(grey_of(d, 300, 240), 128, 16);
}

TEST(Preview, WideImagesScaleToMaxWidthKeepingAspect) {
  Decoded d = preview_of(jpeg_of(colour_bars(2000, 500)));
  EXPECT_EQ(d.width, 640);
  EXPECT_EQ(d.height, 160);
  d = preview_of(png_of(ramp16(1000, 100, 0, 65535)));
  EXPECT_EQ(d.width, 640);
  EXPECT_EQ(d.height, 64);
  // A tall one is limited by max_height; odd sizes round.
  d = preview_of(jpeg_of(colour_bars(301, 1203)));
  EXPECT_EQ(d.width, 120);
  EXPECT_EQ(d.height, 480);
  // Smaller than the box: as stored.
  d = preview_of(jpeg_of(colour_bars(100, 50)));
  EXPECT_EQ(d.width, 100);
  EXPECT_EQ(d.height, 50);
  // Another box.
  PreviewOptions options;
  options.max_width = 160;
  options.max_height = 160;
  d = preview_of(jpeg_of(colour_bars(1920, 1080)), options);
  EXPECT_EQ(d.width, 160);
  EXPECT_EQ(d.height, 90);
}

TEST(Preview, ScaledJpegMatchesItsSource) {
  // 1920x1080 is decoded at 1/2 by the DCT and then box-filtered to 640x360; the result must
  // still be the same picture as a direct area average of the source.
  const Image source = colour_bars(1920, 1080);
  const Decoded d = preview_of(jpeg_of(source, 95));
  ASSERT_EQ(d.width, 640);
  ASSERT_EQ(d.height, 360);
  double total = 0;
  int samples = 0;
  for (int y = 10; y < 350; y += 37) {
    for (int x = 10; x < 630; x += 41) {
      for (int c = 0; c < 3; ++c) {
        int sum = 0;
        for (int dy = 0; dy < 3; ++dy) {
          for (int dx = 0; dx < 3; ++dx) sum += source.row(3 * y + dy)[(3 * x + dx) * 3 + c];
        }
        total += std::abs(sum / 9 - int{d.at(x, y)[c]});
        ++samples;
      }
    }
  }
  EXPECT_LT(total / samples, 12.0);
}

// ---- colour and palettes -----------------------------------------------------------------

TEST(Preview, ColourJpegStaysColourWhateverThePalette) {
  const Image source = colour_bars(320, 240);
  for (Palette palette : {Palette::kGrey, Palette::kIronbow, Palette::kInferno}) {
    PreviewOptions options;
    options.palette = palette;
    const Decoded d = preview_of(jpeg_of(source), options);
    ASSERT_EQ(d.width, 320);
    ASSERT_EQ(d.height, 240);
    double difference = 0;
    int colourful = 0;
    for (int y = 0; y < 240; y += 5) {
      for (int x = 0; x < 320; x += 5) {
        for (int c = 0; c < 3; ++c)
          difference += std::abs(source.row(y)[x * 3 + c] - d.at(x, y)[c]);
        if (channel_spread(d.at(x, y)) > 100) ++colourful;
      }
    }
    EXPECT_LT(difference / (64.0 * 48 * 3), 10.0) << to_string(palette);
    EXPECT_GT(colourful, 100) << to_string(palette);
  }
}

TEST(Preview, PaletteChangesSingleChannelPixels) {
  const Bytes stored = png_of(ramp16(256, 64, 0, 65535));
  PreviewOptions options;
  const Decoded grey = preview_of(stored, options);
  options.palette = Palette::kIronbow;
  const Decoded ironbow = preview_of(stored, options);
  options.palette = Palette::kInferno;
  const Decoded inferno = preview_of(stored, options);
  ASSERT_EQ(grey.rgb.size(), ironbow.rgb.size());
  ASSERT_EQ(grey.rgb.size(), inferno.rgb.size());
  EXPECT_NE(grey.rgb, ironbow.rgb);
  EXPECT_NE(ironbow.rgb, inferno.rgb);
  // In the middle of the ramp both palettes are strongly coloured, grey is not.
  EXPECT_LE(channel_spread(grey.at(128, 32)), 2);
  EXPECT_GT(channel_spread(ironbow.at(128, 32)), 80);
  EXPECT_GT(channel_spread(inferno.at(128, 32)), 80);
  // Both run from near black (cold) to a light yellow-white (hot).
  for (const Decoded* d : {&ironbow, &inferno}) {
    const std::uint8_t* cold = d->at(1, 32);
    const std::uint8_t* hot = d->at(254, 32);
    EXPECT_LT(cold[0] + cold[1] + cold[2], 60);
    EXPECT_GT(hot[0], 220);
    EXPECT_GT(hot[1], 220);
  }
}

TEST(Preview, Grey8IsShownAsStoredAndCanBePainted) {
  Image grey(64, 48, PixelFormat::kGray8);
  for (int y = 0; y < 48; ++y) std::memset(grey.row(y), 100, 64);
  const Bytes stored = png_of(grey);
  const Decoded plain = preview_of(stored);
  // No stretching of 8-bit frames: a flat 100 stays 100 (a 16-bit frame would be re-ranged).
  EXPECT_NEAR(grey_of(plain, 32, 24), 100, 2);
  EXPECT_LE(channel_spread(plain.at(32, 24)), 2);
  PreviewOptions options;
  options.palette = Palette::kIronbow;
  const Decoded painted = preview_of(stored, options);
  const Rgb expected = palette_table(Palette::kIronbow)[100];
  EXPECT_NEAR(painted.at(32, 24)[0], expected.r, 6);
  EXPECT_NEAR(painted.at(32, 24)[1], expected.g, 6);
  EXPECT_NEAR(painted.at(32, 24)[2], expected.b, 6);
  // A grey JPEG is single-channel too.
  const Decoded from_jpeg = preview_of(jpeg_of(grey), options);
  EXPECT_NEAR(from_jpeg.at(32, 24)[0], expected.r, 6);
}

TEST(Palette, NamesRoundTrip) {
  for (Palette palette : {Palette::kGrey, Palette::kIronbow, Palette::kInferno}) {
    EXPECT_EQ(parse_palette(to_string(palette)), palette);
  }
  EXPECT_EQ(parse_palette("gray"), Palette::kGrey);
  EXPECT_EQ(parse_palette("grey"), Palette::kGrey);
  EXPECT_FALSE(parse_palette("").has_value());
  EXPECT_FALSE(parse_palette("jet").has_value());
  EXPECT_FALSE(parse_palette("Ironbow ").has_value());
}

TEST(Palette, TablesRunColdToHot) {
  for (Palette palette : {Palette::kGrey, Palette::kIronbow, Palette::kInferno}) {
    const PaletteTable& table = palette_table(palette);
    const auto luma = [](Rgb c) { return 299 * c.r + 587 * c.g + 114 * c.b; };
    // Brightness rises along the table (allowing small local dips of a perceptual map).
    EXPECT_LT(luma(table[0]), luma(table[64])) << to_string(palette);
    EXPECT_LT(luma(table[64]), luma(table[128])) << to_string(palette);
    EXPECT_LT(luma(table[128]), luma(table[192])) << to_string(palette);
    EXPECT_LT(luma(table[192]), luma(table[255])) << to_string(palette);
  }
  // matplotlib's inferno at its ends (published: #000004 and #FCFFA4).
  const PaletteTable& inferno = palette_table(Palette::kInferno);
  EXPECT_NEAR(inferno[0].r, 0, 3);
  EXPECT_NEAR(inferno[255].r, 252, 4);
  EXPECT_NEAR(inferno[255].g, 255, 4);
  EXPECT_NEAR(inferno[255].b, 164, 5);
}

// ---- tone mapping ------------------------------------------------------------------------

TEST(ToneMap, HotPixelDoesNotFlattenA16BitRamp) {
  Image ramp = ramp16(320, 240, 1000, 2000);
  ramp.row16(100)[50] = 65535;  // a hot pixel
  ramp.row16(10)[300] = 0;      // and a dead one
  const ToneRange range = auto_tone_range(ramp);
  EXPECT_NEAR(range.low, 1010, 6);
  EXPECT_NEAR(range.high, 1990, 6);

  const Decoded d = preview_of(png_of(ramp));  // 320x240 fits: no scaling
  ASSERT_EQ(d.width, 320);
  EXPECT_LT(grey_of(d, 1, 200), 12);
  EXPECT_GT(grey_of(d, 318, 200), 243);
  EXPECT_NEAR(grey_of(d, 160, 200), 128, 12);
  // The outliers themselves are clamped, not wrapped (checked before JPEG blurs single pixels).
  const Image mapped = tone_map(ramp, range);
  EXPECT_EQ(mapped.row(100)[50], 255);
  EXPECT_EQ(mapped.row(10)[300], 0);
}

TEST(ToneMap, UniformAndNearlyUniformFrames) {
  Image flat(40, 30, PixelFormat::kGray16);
  for (int y = 0; y < 30; ++y) std::fill(flat.row16(y), flat.row16(y) + 40, 5000);
  ToneRange range = auto_tone_range(flat);
  EXPECT_EQ(range.low, 5000);
  EXPECT_EQ(range.high, 5000);
  EXPECT_EQ(tone_map(flat, range).row(7)[7], 128);  // mid grey, not "no signal"

  // One bright pixel in a flat frame: the percentiles meet, the extremes are used instead.
  flat.row16(3)[3] = 9000;
  range = auto_tone_range(flat);
  EXPECT_EQ(range.low, 5000);
  EXPECT_EQ(range.high, 9000);
  const Image mapped = tone_map(flat, range);
  EXPECT_EQ(mapped.row(3)[3], 255);
  EXPECT_EQ(mapped.row(0)[0], 0);
}

// ---- PNG layouts -------------------------------------------------------------------------

TEST(PreviewDecode, PngLayoutsBecomeGreyRgbOrGrey16) {
  constexpr int kWidth = 8;
  constexpr int kHeight = 4;
  // grey + alpha: the grey is kept, the alpha dropped.
  std::vector<std::uint8_t> ga(kWidth * kHeight * 2);
  for (std::size_t i = 0; i < ga.size(); i += 2) {
    ga[i] = 77;
    ga[i + 1] = 10;
  }
  Result<DecodedImage> decoded =
      decode_image(png_via_simplified(kWidth, kHeight, PNG_FORMAT_GA, ga.data()));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->image.format(), PixelFormat::kGray8);
  EXPECT_EQ(decoded->image.row(2)[5], 77);

  // RGBA: colour kept, alpha dropped.
  std::vector<std::uint8_t> rgba(kWidth * kHeight * 4);
  for (std::size_t i = 0; i < rgba.size(); i += 4) {
    rgba[i] = 200;
    rgba[i + 1] = 20;
    rgba[i + 2] = 90;
    rgba[i + 3] = 128;
  }
  decoded = decode_image(png_via_simplified(kWidth, kHeight, PNG_FORMAT_RGBA, rgba.data()));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->image.format(), PixelFormat::kRgb8);
  EXPECT_EQ(decoded->image.row(1)[3 * 2], 200);
  EXPECT_EQ(decoded->image.row(1)[3 * 2 + 1], 20);
  EXPECT_EQ(decoded->image.row(1)[3 * 2 + 2], 90);

  // Palette (colour-mapped) with transparency in the palette: expanded to RGB.
  const std::uint8_t colormap[] = {10, 20, 30, 255, 250, 40, 5, 0};  // RGBA entries
  std::vector<std::uint8_t> indices(kWidth * kHeight, 1);
  indices[0] = 0;
  decoded = decode_image(
      png_via_simplified(kWidth, kHeight, PNG_FORMAT_RGBA_COLORMAP, indices.data(), colormap, 2));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->image.format(), PixelFormat::kRgb8);
  EXPECT_EQ(decoded->image.row(0)[0], 10);
  EXPECT_EQ(decoded->image.row(0)[3], 250);

  // 16-bit grey (the infrared case) stays 16-bit, values exact.
  const Image ramp = ramp16(kWidth, kHeight, 300, 64000);
  decoded = decode_image(png_of(ramp));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->image.format(), PixelFormat::kGray16);
  EXPECT_EQ(decoded->image.row16(3)[7], 64000);
  EXPECT_EQ(decoded->image.row16(3)[0], 300);
}

// ---- hostile input -----------------------------------------------------------------------

void expect_malformed(const Bytes& stored, const std::string& what) {
  const Result<Bytes> preview = make_preview(stored, PreviewOptions{});
  ASSERT_FALSE(preview.is_ok()) << what;
  EXPECT_EQ(preview.status().code(), ErrorCode::kMalformed)
      << what << ": " << preview.status().to_string();
}

TEST(PreviewMalformed, NotAnImage) {
  expect_malformed({}, "empty");
  expect_malformed({0xFF}, "one byte");
  expect_malformed({0xFF, 0xD8}, "bare SOI");
  const std::string gif = "GIF89a\x01\x00\x01\x00";
  expect_malformed(Bytes(gif.begin(), gif.end()), "GIF");
  // Raw 16-bit samples without any header (a format we do not know).
  const Image raw = ramp16(64, 64, 0, 65535);
  expect_malformed(Bytes(raw.data(), raw.data() + raw.size_bytes()), "raw gray16");
  std::mt19937 random(12345);
  for (int round = 0; round < 200; ++round) {
    Bytes garbage(static_cast<std::size_t>(random() % 4096));
    for (auto& byte : garbage) byte = static_cast<std::uint8_t>(random());
    expect_malformed(garbage, "random bytes");
    // The same garbage behind a valid signature goes through the real decoders.
    Bytes jpeg = {0xFF, 0xD8, 0xFF};
    jpeg.insert(jpeg.end(), garbage.begin(), garbage.end());
    expect_malformed(jpeg, "JPEG SOI + garbage");
    Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    png.insert(png.end(), garbage.begin(), garbage.end());
    expect_malformed(png, "PNG signature + garbage");
  }
}

TEST(PreviewMalformed, EveryTruncation) {
  const Bytes png = png_of(ramp16(24, 16, 0, 65535));
  for (std::size_t length = 0; length < png.size(); ++length) {
    expect_malformed(Bytes(png.begin(), png.begin() + static_cast<long>(length)),
                     "png cut at " + std::to_string(length));
  }
  const Bytes jpeg = jpeg_of(colour_bars(48, 32));
  for (std::size_t length = 0; length < jpeg.size(); ++length) {
    expect_malformed(Bytes(jpeg.begin(), jpeg.begin() + static_cast<long>(length)),
                     "jpeg cut at " + std::to_string(length));
  }
  // The whole files do decode (so the loops above test truncation, nothing else).
  EXPECT_TRUE(make_preview(png, {}).is_ok());
  EXPECT_TRUE(make_preview(jpeg, {}).is_ok());
}

// Rewrites the IHDR's width and height and its CRC, so only the size is wrong.
Bytes png_declaring(Bytes png, std::uint32_t width, std::uint32_t height) {
  // signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), ... CRC at 29.
  const auto put32 = [&png](std::size_t at, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) png[at + i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
  };
  put32(16, width);
  put32(20, height);
  put32(29, static_cast<std::uint32_t>(crc32(0, png.data() + 12, 17)));
  return png;
}

// Rewrites the SOF0 marker's height and width.
Bytes jpeg_declaring(Bytes jpeg, std::uint16_t width, std::uint16_t height) {
  for (std::size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      jpeg[i + 5] = static_cast<std::uint8_t>(height >> 8);
      jpeg[i + 6] = static_cast<std::uint8_t>(height);
      jpeg[i + 7] = static_cast<std::uint8_t>(width >> 8);
      jpeg[i + 8] = static_cast<std::uint8_t>(width);
      return jpeg;
    }
  }
  ADD_FAILURE() << "no SOF0 marker";
  return jpeg;
}

TEST(PreviewMalformed, HugeDeclaredSizesAreRefusedBeforeDecoding) {
  const Bytes png = png_of(ramp16(24, 16, 0, 65535));
  ASSERT_TRUE(make_preview(png_declaring(png, 24, 16), {}).is_ok());  // the rewrite itself is sound
  expect_malformed(png_declaring(png, 60000, 60000), "png 60000x60000");
  expect_malformed(png_declaring(png, 0x7FFFFFFF, 0x7FFFFFFF), "png 2^31-1 square");
  expect_malformed(png_declaring(png, 9000, 8000), "png 72 Mpixel");
  expect_malformed(png_declaring(png, 4000, 4000), "png 16 Mpixel, data for 384 pixels");
  expect_malformed(png_declaring(png, 48, 32), "png 1536 pixels, data for 384");

  const Bytes jpeg = jpeg_of(colour_bars(48, 32));
  ASSERT_TRUE(make_preview(jpeg_declaring(jpeg, 48, 32), {}).is_ok());
  expect_malformed(jpeg_declaring(jpeg, 65500, 65500), "jpeg 65500x65500");
  expect_malformed(jpeg_declaring(jpeg, 9000, 8000), "jpeg 72 Mpixel");
  expect_malformed(jpeg_declaring(jpeg, 4000, 4000), "jpeg 16 Mpixel, data for 1536 pixels");
  expect_malformed(jpeg_declaring(jpeg, 0, 32), "jpeg zero width");

  // Refused for the right reasons: the cap, and (for a PNG) the bytes that cannot hold them.
  const Result<Bytes> above_cap = make_preview(png_declaring(png, 60000, 60000), {});
  EXPECT_NE(above_cap.status().message().find("above the cap"), std::string::npos)
      << above_cap.status().to_string();
  const Result<Bytes> too_few_bytes = make_preview(png_declaring(png, 4000, 4000), {});
  EXPECT_NE(too_few_bytes.status().message().find("can hold"), std::string::npos)
      << too_few_bytes.status().to_string();
  const Result<Bytes> jpeg_above_cap = make_preview(jpeg_declaring(jpeg, 9000, 8000), {});
  EXPECT_NE(jpeg_above_cap.status().message().find("above the cap"), std::string::npos)
      << jpeg_above_cap.status().to_string();
}

TEST(Preview, BadOptionsAreRefused) {
  const Bytes stored = png_of(ramp16(16, 16, 0, 100));
  for (PreviewOptions options :
       {PreviewOptions{Palette::kGrey, 0, 480, 80}, PreviewOptions{Palette::kGrey, 640, -1, 80},
        PreviewOptions{Palette::kGrey, 640, 480, 0},
        PreviewOptions{Palette::kGrey, 640, 480, 101}}) {
    const Result<Bytes> preview = make_preview(stored, options);
    ASSERT_FALSE(preview.is_ok());
    EXPECT_EQ(preview.status().code(), ErrorCode::kInternal);
  }
}

}  // namespace
}  // namespace framewire::view
