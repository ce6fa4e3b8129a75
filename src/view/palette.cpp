// Palette tables (palette.hpp) and where their colours come from.
//
// inferno: matplotlib's perceptually uniform map (Nathaniel Smith and Stéfan van der Walt; data
//   published CC0 at https://github.com/BIDS/colormap, colormaps.py). We evaluate the degree-6
//   polynomial fit by Matt Zucker ("fitting polynomials to matplotlib colormaps",
//   https://www.shadertoy.com/view/WlfXRN, CC0): seven coefficient triples instead of 768
//   numbers, off the published entries by a few hundredths at worst (the blue of the darkest
//   entries is about 8/255 low, too little to see).
// ironbow: FLIR's "iron" palette as thermal cameras show it (cold black through indigo, purple
//   and magenta-red to orange, yellow and a near-white hot end). FLIR's own table is not
//   published; these are hand-picked stops along that ramp, linearly interpolated, so the look
//   matches a camera's but the exact values are ours.
// grey: the identity.
#include "view/palette.hpp"

#include <cmath>
#include <cstddef>

namespace framewire::view {
namespace {

std::uint8_t to_byte(double unit) {
  const double clamped = std::fmin(std::fmax(unit, 0.0), 1.0);
  return static_cast<std::uint8_t>(std::lround(clamped * 255.0));
}

PaletteTable make_grey() {
  PaletteTable table;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto v = static_cast<std::uint8_t>(i);
    table[i] = {v, v, v};
  }
  return table;
}

PaletteTable make_inferno() {
  // Zucker's coefficients, lowest degree first, per channel (r, g, b).
  static constexpr double kCoefficients[7][3] = {
      {0.0002189403691192265, 0.001651004631001012, -0.01948089843709184},
      {0.1065134194856116, 0.5639564367884091, 3.932712388889277},
      {11.60249308247187, -3.972853965665698, -15.9423941062914},
      {-41.70399613139459, 17.43639888205313, 44.35414519872813},
      {77.162935699427, -33.40235894210092, -81.80730925738993},
      {-71.31942824499214, 32.62606426397723, 73.20951985803202},
      {25.13112622477341, -12.24266895238567, -23.07032500287172},
  };
  PaletteTable table;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const double t = static_cast<double>(i) / 255.0;
    double channel[3];
    for (int c = 0; c < 3; ++c) {
      double value = kCoefficients[6][c];  // Horner, highest degree first
      for (int k = 5; k >= 0; --k) value = value * t + kCoefficients[k][c];
      channel[c] = value;
    }
    table[i] = {to_byte(channel[0]), to_byte(channel[1]), to_byte(channel[2])};
  }
  return table;
}

PaletteTable make_ironbow() {
  struct Stop {
    double at;
    double r, g, b;
  };
  static constexpr Stop kStops[] = {
      {0.00, 0, 0, 0},        // black
      {0.12, 24, 0, 96},      // indigo
      {0.30, 128, 0, 152},    // purple
      {0.48, 206, 36, 96},    // magenta-red
      {0.66, 242, 112, 20},   // orange
      {0.85, 255, 200, 40},   // yellow
      {1.00, 255, 255, 236},  // near white
  };
  constexpr std::size_t kStopCount = sizeof(kStops) / sizeof(kStops[0]);
  PaletteTable table;
  std::size_t segment = 0;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const double t = static_cast<double>(i) / 255.0;
    while (segment + 2 < kStopCount && t > kStops[segment + 1].at) ++segment;
    const Stop& a = kStops[segment];
    const Stop& b = kStops[segment + 1];
    const double f = (t - a.at) / (b.at - a.at);
    table[i] = {to_byte((a.r + f * (b.r - a.r)) / 255.0), to_byte((a.g + f * (b.g - a.g)) / 255.0),
                to_byte((a.b + f * (b.b - a.b)) / 255.0)};
  }
  return table;
}

}  // namespace

std::optional<Palette> parse_palette(std::string_view name) {
  if (name == "grey" || name == "gray") return Palette::kGrey;
  if (name == "ironbow") return Palette::kIronbow;
  if (name == "inferno") return Palette::kInferno;
  return std::nullopt;
}

std::string_view to_string(Palette palette) {
  switch (palette) {
    case Palette::kGrey:
      return "grey";
    case Palette::kIronbow:
      return "ironbow";
    case Palette::kInferno:
      return "inferno";
  }
  return "?";
}

const PaletteTable& palette_table(Palette palette) {
  static const PaletteTable kGrey = make_grey();
  static const PaletteTable kIronbow = make_ironbow();
  static const PaletteTable kInferno = make_inferno();
  switch (palette) {
    case Palette::kIronbow:
      return kIronbow;
    case Palette::kInferno:
      return kInferno;
    case Palette::kGrey:
      break;
  }
  return kGrey;
}

capture::Image apply_palette(const capture::Image& grey, Palette palette) {
  const PaletteTable& table = palette_table(palette);
  capture::Image painted(grey.width(), grey.height(), capture::PixelFormat::kRgb8);
  for (int y = 0; y < grey.height(); ++y) {
    const std::uint8_t* in = grey.row(y);
    std::uint8_t* out = painted.row(y);
    for (int x = 0; x < grey.width(); ++x) {
      const Rgb colour = table[in[x]];
      out[3 * x] = colour.r;
      out[3 * x + 1] = colour.g;
      out[3 * x + 2] = colour.b;
    }
  }
  return painted;
}

}  // namespace framewire::view
