// file: and v4l2: sources through FFmpeg's libraries: libavformat demuxes a video file or,
// with libavdevice's "video4linux2" input, reads a camera; libavcodec decodes and libswscale
// converts each picture to an Image (kRgb8/kBgr8, or kGray8/kGray16 for grey video); or, with
// CaptureOptions::packets, the compressed packets are passed through untouched except that an
// MJPEG frame without Huffman tables gets the standard ones (mjpeg_completer.hpp), so every
// packet is a JPEG file any decoder reads.
// Files are paced by their timestamps; cameras deliver at their own rate. Threads as in
// capture.hpp.
#pragma once

#include <cstdint>
#include <memory>

#include "capture/capture.hpp"
#include "capture/capture_spec.hpp"

namespace framewire::capture {

// `spec.kind` is kFile or kV4l2. Errors: kInternal with FFmpeg's reason (no such file, no
// video stream, no decoder, packets asked of a codec whose packets are not whole pictures).
Result<std::unique_ptr<Capture>> open_av_capture(const CaptureSpec& spec,
                                                 const CaptureOptions& options);

}  // namespace framewire::capture
