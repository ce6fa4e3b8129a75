// 16-bit to 8-bit for showing an infrared or depth frame: choose a range of sample values from
// the frame itself and stretch it over 0..255. The range is robust: the 1st and 99th
// percentiles of a histogram, so a handful of dead or saturated pixels (a hot spot of one pixel
// at 65535) does not squeeze the rest of the picture into a few grey levels. 8-bit frames are
// shown as they are and never pass through here. Pure functions; callable from any thread.
#pragma once

#include <cstdint>

#include "capture/image.hpp"

namespace framewire::view {

// Sample values mapped to 0 and 255: low..high stretched linearly, clamped outside.
struct ToneRange {
  std::uint16_t low = 0;
  std::uint16_t high = 65535;
};

// The range from the `low_fraction` to the `high_fraction` quantile of `image`'s samples
// (defaults: 1st and 99th percentile). When those meet (a nearly uniform frame) it widens to the
// frame's minimum and maximum; a frame of one value gives low == high. An empty image gives the
// full 0..65535. Preconditions: image.format() == kGray16; 0 <= low_fraction <= high_fraction <= 1.
ToneRange auto_tone_range(const capture::Image& image, double low_fraction = 0.01,
                          double high_fraction = 0.99);

// `image` (kGray16) as kGray8 of the same size: low -> 0, high -> 255, rounded, clamped outside.
// A range with low == high maps samples below it to 0, above it to 255, and equal to it to 128
// (a uniform frame shows as mid grey, not as "no signal" black).
capture::Image tone_map(const capture::Image& image, ToneRange range);

}  // namespace framewire::view
