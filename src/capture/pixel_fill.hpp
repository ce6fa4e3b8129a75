// Rectangle fills used by the test patterns and the frame tag, for every PixelFormat: a grey
// level (0..255, scaled to 0..65535 in 16-bit images) or an RGB colour (stored in the image's
// channel order; its luma in grey images). Rectangles are clipped to the image. Internal to
// src/capture; any thread, one image per call.
#pragma once

#include <cstdint>

#include "capture/image.hpp"

namespace framewire::capture {

struct Rgb {
  std::uint8_t r = 0;
  std::uint8_t g = 0;
  std::uint8_t b = 0;
};

// BT.601 luma of `color`, 0..255.
std::uint8_t luma(Rgb color);

void fill_rect(Image& image, int x, int y, int width, int height, Rgb color);

inline void fill_rect(Image& image, int x, int y, int width, int height, std::uint8_t level) {
  fill_rect(image, x, y, width, height, Rgb{level, level, level});
}

}  // namespace framewire::capture
