// The synthetic sources behind `testsrc:` and `irsrc:`: moving pictures that cost little to
// draw (well under a millisecond or two per 1080p frame) and carry their frame number
// (frame_tag.hpp), so a test at the far end of a transfer can check order and completeness.
//   testsrc: colour bars and a grey ramp scrolling in opposite directions, a bouncing box.
//   irsrc:   a 16-bit thermal-like scene: a cool gradient drifting slowly, warm blobs moving
//            over it with smooth edges; samples span roughly 6000..65535.
// Frame n of a given size is always the same pixels. Pure functions; any thread.
#pragma once

#include <cstdint>

#include "capture/image.hpp"

namespace framewire::capture {

// Draws visible test frame `frame` into `image`, which keeps its size and must be kRgb8 or
// kBgr8 (a kGray8 image gets the luma of the same picture; kGray16 is left unchanged).
void render_testsrc(std::uint64_t frame, Image& image);

// Draws infrared test frame `frame` into `image`, which keeps its size and must be kGray16
// (other formats are left unchanged).
void render_irsrc(std::uint64_t frame, Image& image);

}  // namespace framewire::capture
