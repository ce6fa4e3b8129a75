// Rectangle fills (pixel_fill.hpp). A rectangle's first row is built once and copied to the
// others, so a fill costs about one memcpy per row.
#include "capture/pixel_fill.hpp"

#include <algorithm>
#include <cstring>

namespace framewire::capture {

std::uint8_t luma(Rgb color) {
  return static_cast<std::uint8_t>((299 * color.r + 587 * color.g + 114 * color.b + 500) / 1000);
}

void fill_rect(Image& image, int x, int y, int width, int height, Rgb color) {
  const int x0 = std::max(x, 0);
  const int y0 = std::max(y, 0);
  const int x1 = std::min(x + width, image.width());
  const int y1 = std::min(y + height, image.height());
  if (x0 >= x1 || y0 >= y1) return;
  const int count = x1 - x0;
  const int pixel = bytes_per_pixel(image.format());
  std::uint8_t* first = image.row(y0) + static_cast<std::size_t>(x0) * pixel;
  switch (image.format()) {
    case PixelFormat::kGray8:
      std::memset(first, luma(color), static_cast<std::size_t>(count));
      break;
    case PixelFormat::kGray16: {
      const auto level = static_cast<std::uint16_t>(luma(color) * 257);
      std::fill_n(image.row16(y0) + x0, count, level);
      break;
    }
    case PixelFormat::kRgb8:
    case PixelFormat::kBgr8: {
      const bool rgb = image.format() == PixelFormat::kRgb8;
      const std::uint8_t c0 = rgb ? color.r : color.b;
      const std::uint8_t c2 = rgb ? color.b : color.r;
      for (int i = 0; i < count; ++i) {
        first[i * 3] = c0;
        first[i * 3 + 1] = color.g;
        first[i * 3 + 2] = c2;
      }
      break;
    }
  }
  const std::size_t bytes = static_cast<std::size_t>(count) * pixel;
  for (int row = y0 + 1; row < y1; ++row) {
    std::memcpy(image.row(row) + static_cast<std::size_t>(x0) * pixel, first, bytes);
  }
}

}  // namespace framewire::capture
