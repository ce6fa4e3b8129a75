// Decoding a stored frame for the view: JPEG through TurboJPEG, PNG through libpng's classic
// API, into 8-bit grey, 8-bit RGB or 16-bit grey (the formats the preview knows how to show).
// The bytes come from whoever wrote the frame, so they are hostile input: every size is checked
// against a cap before anything is allocated, libpng reads only inside the span, and any error
// or warning of either library makes the whole frame kMalformed (a torn JPEG is not shown half
// grey). Pure functions; callable from any thread (each call has its own decoder state).
#pragma once

#include <cstdint>
#include <span>

#include "capture/image.hpp"
#include "framewire/status.hpp"

namespace framewire::view {

// Larger images are refused before their pixels are allocated (64 Mpixel is 192 MB as RGB).
inline constexpr std::uint64_t kMaxDecodedPixels = std::uint64_t{64} << 20;

enum class StoredFormat { kJpeg, kPng, kUnknown };

// What the first bytes say the frame is (JPEG SOI marker, PNG signature); kUnknown otherwise.
StoredFormat sniff_format(std::span<const std::uint8_t> stored);

struct Size {
  int width = 0;
  int height = 0;
};

// `full` scaled down to fit in max_width x max_height, keeping the aspect ratio (rounded, at
// least 1x1); `full` itself when it already fits (never scaled up). max_width, max_height > 0.
Size fit_within(Size full, int max_width, int max_height);

struct DecodeRequest {
  std::uint64_t max_pixels = kMaxDecodedPixels;  // declared width * height above this: kMalformed
  // When set (> 0), a JPEG may be decoded smaller than stored (TurboJPEG's DCT scaling, e.g.
  // 1/2, 1/4, 1/8, far cheaper than decoding everything) as long as the result is still at
  // least as large as fit_within(stored size, fit_width, fit_height), since the caller only
  // scales down to that. PNGs are always decoded at full size.
  int fit_width = 0;
  int fit_height = 0;
};

struct DecodedImage {
  capture::Image image;  // kGray8, kRgb8 or kGray16 (host order)
  Size stored;           // the size the file declares (image may be smaller, see DecodeRequest)
};

// Decodes a JPEG (grey -> kGray8; YCbCr/RGB -> kRgb8) or a PNG:
//   grey 1/2/4/8-bit -> kGray8, grey 16-bit -> kGray16, grey+alpha -> the grey (alpha dropped),
//   palette -> kRgb8, RGB/RGBA 8 or 16-bit -> kRgb8 (alpha dropped, 16 bits cut to 8).
// Errors (never throws): kMalformed when the bytes are neither JPEG nor PNG, fail to decode, are
// truncated, declare more than request.max_pixels (or, for a PNG, more pixels than its bytes could
// hold at deflate's best ratio, 1032:1), or are a JPEG kind we do not convert (CMYK).
Result<DecodedImage> decode_image(std::span<const std::uint8_t> stored,
                                  const DecodeRequest& request = {});

}  // namespace framewire::view
