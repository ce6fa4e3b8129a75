// Decoders for the capture tests: JPEG through TurboJPEG and PNG through libpng's classic API
// (16-bit samples come back in host order, exactly as stored). Test-only; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "capture/image.hpp"

namespace framewire::capture::test {

// An RGB (or, for a grayscale JPEG, kGray8) image, or nullopt when the bytes do not decode.
std::optional<Image> decode_jpeg(std::span<const std::uint8_t> jpeg);

// kGray8, kGray16 or kRgb8 as stored in the file, or nullopt when the bytes do not decode.
std::optional<Image> decode_png(std::span<const std::uint8_t> png);

}  // namespace framewire::capture::test
