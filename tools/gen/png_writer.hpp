// PNG files for framewire-gen, encoded by the capture library's encoder
// (src/capture/png_encoder.hpp: zlib level 1, SUB filter, no ancillary chunks), so the same
// pixels always give the same bytes. Each call is independent and may run on any thread
// concurrently with others.
#pragma once

#include <string>

#include "image.hpp"
#include "write_outcome.hpp"

namespace framewire::gen {

// Writes `image` (8-bit gray or RGB) to `path`, replacing any file there.
WriteOutcome WritePng(const std::string& path, const Image8& image);

// Writes `image` as a 16-bit grayscale PNG (bit depth 16, colour type 0) to `path`.
WriteOutcome WritePng(const std::string& path, const Image16& image);

}  // namespace framewire::gen
