// Test pattern renderers (test_pattern.hpp). Backgrounds are built one template row at a time
// and copied down the image, and blobs touch only their bounding boxes, so the cost is close
// to writing the frame's bytes once.
#include "capture/test_pattern.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "capture/frame_tag.hpp"
#include "capture/pixel_fill.hpp"

namespace framewire::capture {
namespace {

// Position at `travel` along a segment of `length`, bouncing off both ends.
int bounce(std::uint64_t travel, int length) {
  if (length <= 0) return 0;
  const auto period = static_cast<std::uint64_t>(length) * 2;
  const auto m = static_cast<int>(travel % period);
  return m <= length ? m : 2 * length - m;
}

// 75% colour bars, as on a broadcast test card.
constexpr std::array<Rgb, 8> kBars{{{191, 191, 191},
                                    {191, 191, 0},
                                    {0, 191, 191},
                                    {0, 191, 0},
                                    {191, 0, 191},
                                    {191, 0, 0},
                                    {0, 0, 191},
                                    {0, 0, 0}}};

// Writes one pixel of `color` at `out` in `format`.
void put(std::uint8_t* out, PixelFormat format, Rgb color) {
  switch (format) {
    case PixelFormat::kRgb8:
      out[0] = color.r;
      out[1] = color.g;
      out[2] = color.b;
      break;
    case PixelFormat::kBgr8:
      out[0] = color.b;
      out[1] = color.g;
      out[2] = color.r;
      break;
    case PixelFormat::kGray8:
      out[0] = luma(color);
      break;
    case PixelFormat::kGray16:
      break;
  }
}

void copy_row_down(Image& image, const std::vector<std::uint8_t>& row, int y0, int y1) {
  for (int y = y0; y < y1; ++y) std::memcpy(image.row(y), row.data(), row.size());
}

}  // namespace

void render_testsrc(std::uint64_t frame, Image& image) {
  const PixelFormat format = image.format();
  if (format == PixelFormat::kGray16 || image.width() <= 0 || image.height() <= 0) return;
  const int width = image.width();
  const int height = image.height();
  const int pixel = bytes_per_pixel(format);
  const std::uint64_t speed = std::max(1, width / 240);
  const auto shift = static_cast<int>((frame * speed) % static_cast<std::uint64_t>(width));

  std::vector<std::uint8_t> row(image.stride());
  const int bars_end = height * 2 / 3;
  for (int x = 0; x < width; ++x) {
    const int bar = static_cast<int>((static_cast<long>((x + shift) % width) * 8) / width);
    put(row.data() + static_cast<std::size_t>(x) * pixel, format, kBars[bar]);
  }
  copy_row_down(image, row, 0, bars_end);
  for (int x = 0; x < width; ++x) {
    const int position = (x - shift + width) % width;
    const auto level = static_cast<std::uint8_t>(static_cast<long>(position) * 256 / width);
    put(row.data() + static_cast<std::size_t>(x) * pixel, format, Rgb{level, level, level});
  }
  copy_row_down(image, row, bars_end, height);

  const int box = std::max(2, height / 6);
  const std::uint64_t vx = std::max(1, width / 120);
  const std::uint64_t vy = std::max(1, height / 100);
  const int bx = bounce(frame * vx, width - box);
  const int by = bounce(frame * vy, height - box);
  fill_rect(image, bx, by, box, box, Rgb{255, 128, 0});
  fill_rect(image, bx + box / 4, by + box / 4, box / 2, box / 2, Rgb{255, 255, 255});

  draw_frame_tag(frame, image);
}

void render_irsrc(std::uint64_t frame, Image& image) {
  if (image.format() != PixelFormat::kGray16 || image.width() <= 0 || image.height() <= 0) return;
  const int width = image.width();
  const int height = image.height();

  // Background: colder at the top (sky), a slight left-right slope, a slow drift of the whole
  // picture like a thermal camera between flat-field corrections.
  std::vector<std::uint16_t> ramp(static_cast<std::size_t>(width));
  for (int x = 0; x < width; ++x) ramp[x] = static_cast<std::uint16_t>(3000L * x / width);
  const int drift_phase = static_cast<int>(frame % 600);
  const int drift = 1500 * (drift_phase < 300 ? drift_phase : 600 - drift_phase) / 300;
  for (int y = 0; y < height; ++y) {
    const auto base = static_cast<std::uint16_t>(6000 + 10000L * y / height + drift);
    std::uint16_t* out = image.row16(y);
    for (int x = 0; x < width; ++x) out[x] = static_cast<std::uint16_t>(base + ramp[x]);
  }

  // Warm blobs: heat * (1 - d^2)^2 inside radius r, saturating at 65535.
  constexpr int kBlobs = 4;
  for (int i = 0; i < kBlobs; ++i) {
    const float radius = static_cast<float>(height) * (0.10F + 0.03F * static_cast<float>(i));
    const float heat = 25000.0F + 8000.0F * static_cast<float>(i);
    const auto r = static_cast<int>(radius);
    const std::uint64_t vx = static_cast<std::uint64_t>(std::max(1, (2 + i) * width / 640));
    const std::uint64_t vy = static_cast<std::uint64_t>(std::max(1, (1 + i) * height / 512));
    const std::uint64_t start_x = static_cast<std::uint64_t>(width) * (1 + 2 * i) / 8;
    const std::uint64_t start_y = static_cast<std::uint64_t>(height) * (1 + i) / 5;
    const int cx = r + bounce(start_x + frame * vx, width - 2 * r);
    const int cy = r + bounce(start_y + frame * vy, height - 2 * r);
    const float inverse_r2 = 1.0F / (radius * radius);
    for (int y = std::max(0, cy - r); y < std::min(height, cy + r + 1); ++y) {
      const auto dy = static_cast<float>(y - cy);
      std::uint16_t* out = image.row16(y);
      for (int x = std::max(0, cx - r); x < std::min(width, cx + r + 1); ++x) {
        const auto dx = static_cast<float>(x - cx);
        const float d2 = (dx * dx + dy * dy) * inverse_r2;
        if (d2 >= 1.0F) continue;
        const float falloff = (1.0F - d2) * (1.0F - d2);
        const int value = out[x] + static_cast<int>(heat * falloff);
        out[x] = static_cast<std::uint16_t>(std::min(value, 65535));
      }
    }
  }

  draw_frame_tag(frame, image);
}

}  // namespace framewire::capture
