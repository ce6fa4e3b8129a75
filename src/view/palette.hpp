// False-colour palettes for single-channel frames: 256-entry RGB tables indexed by an 8-bit
// grey value, and the function that paints a grey image with one. The tables are built once, on
// first use (a function-local static, so that is thread-safe) and only read afterwards; every
// function here is pure and callable from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "capture/image.hpp"

namespace framewire::view {

enum class Palette { kGrey, kIronbow, kInferno };

// "grey" (also "gray"), "ironbow", "inferno" (lower case, as in a URL); nullopt otherwise.
std::optional<Palette> parse_palette(std::string_view name);
// "grey", "ironbow", "inferno".
std::string_view to_string(Palette palette);

struct Rgb {
  std::uint8_t r = 0;
  std::uint8_t g = 0;
  std::uint8_t b = 0;
};

using PaletteTable = std::array<Rgb, 256>;

// The table of `palette`, cold (0) to hot (255); lives for the whole program.
const PaletteTable& palette_table(Palette palette);

// `grey` (kGray8) painted with `palette`, as a kRgb8 image of the same size. Precondition:
// grey.format() == kGray8.
capture::Image apply_palette(const capture::Image& grey, Palette palette);

}  // namespace framewire::view
