// MJPEG frames as JPEG files. Most USB cameras and AVI files leave the Huffman tables out of
// each MJPEG frame (the decoder is expected to know the standard ones), so a frame passed
// through for `--encode raw` would not be a JPEG file every decoder reads. MjpegCompleter puts
// the standard tables in, through FFmpeg's mjpeg2jpeg bitstream filter, only when a frame has
// none. Used by the file:/v4l2: capture thread; one completer per capture.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "framewire/status.hpp"

struct AVBSFContext;

namespace framewire::capture {

// True when the JPEG in `data` defines Huffman tables (a DHT segment) before its first scan.
bool jpeg_has_huffman_tables(std::span<const std::uint8_t> data);

class MjpegCompleter {
 public:
  MjpegCompleter() = default;
  ~MjpegCompleter();
  MjpegCompleter(const MjpegCompleter&) = delete;
  MjpegCompleter& operator=(const MjpegCompleter&) = delete;

  // Leaves a frame with Huffman tables as it is; otherwise rewrites `bytes` as SOI, a JFIF
  // APP0, the standard tables and the rest of the frame (an AVI1 APP0 is dropped).
  // Errors: kInternal (not a JPEG, FFmpeg without mjpeg2jpeg, out of memory).
  Status complete(std::vector<std::uint8_t>& bytes);

 private:
  AVBSFContext* filter_ = nullptr;  // set up on the first frame that needs it
};

}  // namespace framewire::capture
