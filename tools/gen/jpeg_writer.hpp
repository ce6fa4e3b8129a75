// Baseline JPEG encoding for framewire-gen through libjpeg(-turbo), 4:2:0, no optimized Huffman
// tables, so the same pixels and quality always give the same bytes with a given library.
// Each call is independent and may run on any thread concurrently with others.
#pragma once

#include <string>

#include "image.hpp"
#include "write_outcome.hpp"

namespace framewire::gen {

// Writes the 3-channel `image` to `path` at `quality` (1..100), replacing any file there.
WriteOutcome WriteJpeg(const std::string& path, const Image8& image, int quality);

}  // namespace framewire::gen
