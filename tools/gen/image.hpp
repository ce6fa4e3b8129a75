// In-memory images produced by the scene renderers and consumed by the PNG/JPEG writers of
// framewire-gen. Plain values, row-major, no padding; 16-bit samples are host-order integers
// (the writers convert to PNG's big-endian order). Not shared between threads.
#pragma once

#include <cstdint>
#include <vector>

namespace framewire::gen {

// 8-bit image with 1 (gray) or 3 (RGB) interleaved channels.
struct Image8 {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<std::uint8_t> pixels;  // width * height * channels samples

  Image8() = default;
  Image8(int w, int h, int c)
      : width(w), height(h), channels(c), pixels(static_cast<std::size_t>(w) * h * c) {}
  std::uint8_t* Row(int y) {
    return pixels.data() + static_cast<std::size_t>(y) * width * channels;
  }
  const std::uint8_t* Row(int y) const {
    return pixels.data() + static_cast<std::size_t>(y) * width * channels;
  }
};

// 16-bit single-channel (gray) image, as produced by radiometric thermal cameras.
struct Image16 {
  int width = 0;
  int height = 0;
  std::vector<std::uint16_t> pixels;  // width * height samples

  Image16() = default;
  Image16(int w, int h) : width(w), height(h), pixels(static_cast<std::size_t>(w) * h) {}
  std::uint16_t* Row(int y) { return pixels.data() + static_cast<std::size_t>(y) * width; }
  const std::uint16_t* Row(int y) const {
    return pixels.data() + static_cast<std::size_t>(y) * width;
  }
};

}  // namespace framewire::gen
