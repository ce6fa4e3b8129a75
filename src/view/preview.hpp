// The picture a browser shows for a stored frame: whatever the frame is (a camera JPEG, an 8-bit
// PNG, a 16-bit grey PNG from an infrared camera), a small baseline JPEG, scaled down to fit a
// box, with single-channel frames tone-mapped (16-bit: 1st..99th percentile) and painted with a
// false-colour palette. Colour frames keep their colours. The input is whatever a sender stored,
// so it is treated as hostile (see image_decode.hpp). Pure functions: no state is kept between
// calls, so they may run on any thread, concurrently (an HTTP handler's worker, a test).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "framewire/status.hpp"
#include "view/palette.hpp"  // Palette, parse_palette, to_string(Palette)

namespace framewire::view {

struct PreviewOptions {
  Palette palette = Palette::kGrey;  // used for single-channel frames only
  int max_width = 640;               // scaled down (keeping aspect) when wider; never up
  int max_height = 480;
  int jpeg_quality = 80;  // 1..100
};

// The JPEG to show for `stored` (the frame's bytes as stored; only read during the call). Grey
// with Palette::kGrey gives a greyscale JPEG (R == G == B when decoded as RGB); any other case an
// RGB (YCbCr 4:2:0) JPEG. Never throws; never reads outside `stored`; refuses a frame declaring
// more than kMaxDecodedPixels before allocating its pixels.
// Errors: kMalformed for bytes that are not a JPEG or PNG, fail to decode, are truncated, or
// declare too many pixels; kInternal for options out of range (max_width or max_height < 1,
// jpeg_quality outside 1..100), out of memory, or an encoder failure.
Result<std::vector<std::uint8_t>> make_preview(std::span<const std::uint8_t> stored,
                                               const PreviewOptions& options);

}  // namespace framewire::view
