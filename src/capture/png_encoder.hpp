// PNG encoding through libpng into memory, tuned for speed: zlib level 1 and the SUB filter
// only (libpng's default tries all five filters per row and zlib level 6, several times slower
// for a few percent smaller files on camera frames; numbers in bench/encode_bench.cpp). No
// ancillary chunks, so the same pixels always give the same bytes. 8-bit gray/RGB/BGR, and
// 16-bit gray (lossless; written big-endian as PNG requires). Used by the capture worker
// thread that encodes frames, and by framewire-gen. One PngEncoder per thread.
#pragma once

#include <cstdint>
#include <vector>

#include "capture/image.hpp"
#include "framewire/status.hpp"

namespace framewire::capture {

inline constexpr int kDefaultPngCompressionLevel = 1;

class PngEncoder {
 public:
  // `compression_level`: zlib's 0 (store) .. 9 (smallest, slowest).
  explicit PngEncoder(int compression_level = kDefaultPngCompressionLevel)
      : level_(compression_level) {}

  // Encodes `image` as a PNG of its own format (kGray8 -> 8-bit gray, kRgb8/kBgr8 -> 8-bit RGB,
  // kGray16 -> 16-bit gray) into `out`, replacing its contents and reusing its capacity.
  // The view is only read during the call. Errors: kInternal (empty image, libpng failure).
  Status encode(const ImageView& image, std::vector<std::uint8_t>& out);

 private:
  int level_;
  std::vector<std::uint8_t*> rows_;  // row pointers handed to libpng, kept between frames
};

// One-shot form of PngEncoder::encode.
Status encode_png(const ImageView& image, std::vector<std::uint8_t>& out,
                  int compression_level = kDefaultPngCompressionLevel);

}  // namespace framewire::capture
