// Baseline JPEG files for framewire-gen, encoded by the capture library's TurboJPEG encoder
// (src/capture/jpeg_encoder.hpp): 4:2:0, standard Huffman tables, so the same pixels and
// quality always give the same bytes with a given library. Each call is independent and may
// run on any thread concurrently with others.
#pragma once

#include <string>

#include "image.hpp"
#include "write_outcome.hpp"

namespace framewire::gen {

// Writes the 3-channel `image` to `path` at `quality` (1..100), replacing any file there.
WriteOutcome WriteJpeg(const std::string& path, const Image8& image, int quality);

}  // namespace framewire::gen
