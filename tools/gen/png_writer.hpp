// PNG encoding for framewire-gen through libpng, tuned for speed (zlib level 1, one cheap
// filter) because the benchmarks generate thousands of frames. Output is a plain PNG with no
// ancillary chunks, so the same pixels always give the same bytes.
// Each call is independent and may run on any thread concurrently with others.
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
