// The frame number drawn into test-pattern frames, twice: as a row of black and white cells
// that read_frame_tag() decodes (after JPEG, PNG or a round trip through a video codec), and as
// big decimal digits below it for a person watching. Layout, in cells of width/48 pixels:
//
//   row 1:  [sync 1][sync 0][32 bits of the frame number, MSB first][8 check bits]
//   rows 3..7: the frame number in a 3x5-cell font, white on black
//
// The check byte is the XOR of the number's four bytes and 0xA5. Frames narrower than 192
// pixels or shorter than 9 cells carry no tag. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>

#include "capture/image.hpp"

namespace framewire::capture {

// Side of one tag cell in pixels for a frame of this size, or 0 when the frame is too small.
int frame_tag_cell(int width, int height);

// Draws the tag of `frame` (its low 32 bits in cells, up to 11 decimal digits) into `image`.
// Does nothing when the image is too small.
void draw_frame_tag(std::uint64_t frame, Image& image);

// The low 32 bits of the frame number drawn into `image`, or nullopt when there is no
// readable tag (too small, sync cells wrong, check byte wrong).
std::optional<std::uint32_t> read_frame_tag(const ImageView& image);

}  // namespace framewire::capture
