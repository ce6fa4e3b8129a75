// Percentile tone mapping (tone_map.hpp). One pass fills a 65536-bin histogram (256 KiB, a
// fraction of the cost of decoding the frame), one pass over the bins finds both quantiles.
#include "view/tone_map.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace framewire::view {
namespace {

// The sample value of the given 0-based rank in sorted order.
std::uint16_t value_at_rank(const std::vector<std::uint32_t>& histogram, std::uint64_t rank) {
  std::uint64_t seen = 0;
  for (std::size_t value = 0; value < histogram.size(); ++value) {
    seen += histogram[value];
    if (seen > rank) return static_cast<std::uint16_t>(value);
  }
  return 65535;
}

}  // namespace

ToneRange auto_tone_range(const capture::Image& image, double low_fraction, double high_fraction) {
  const std::uint64_t count =
      static_cast<std::uint64_t>(image.width()) * static_cast<std::uint64_t>(image.height());
  if (count == 0) return {};
  std::vector<std::uint32_t> histogram(65536, 0);
  for (int y = 0; y < image.height(); ++y) {
    const std::uint16_t* row = image.row16(y);
    for (int x = 0; x < image.width(); ++x) ++histogram[row[x]];
  }
  const auto last = static_cast<double>(count - 1);
  ToneRange range;
  range.low = value_at_rank(histogram, static_cast<std::uint64_t>(std::floor(low_fraction * last)));
  range.high =
      value_at_rank(histogram, static_cast<std::uint64_t>(std::ceil(high_fraction * last)));
  if (range.high <= range.low) {
    // Most of the frame is one value: stretch between the extremes so that the few pixels that
    // differ still show.
    range.low = value_at_rank(histogram, 0);
    range.high = value_at_rank(histogram, count - 1);
  }
  return range;
}

capture::Image tone_map(const capture::Image& image, ToneRange range) {
  capture::Image mapped(image.width(), image.height(), capture::PixelFormat::kGray8);
  const int low = range.low;
  const int high = range.high;
  const int span = high - low;
  for (int y = 0; y < image.height(); ++y) {
    const std::uint16_t* in = image.row16(y);
    std::uint8_t* out = mapped.row(y);
    for (int x = 0; x < image.width(); ++x) {
      const int v = in[x];
      int level = 0;
      if (v >= high) {
        level = span <= 0 && v == high ? 128 : 255;
      } else if (v > low) {
        level = ((v - low) * 255 + span / 2) / span;
      }
      out[x] = static_cast<std::uint8_t>(level);
    }
  }
  return mapped;
}

}  // namespace framewire::view
