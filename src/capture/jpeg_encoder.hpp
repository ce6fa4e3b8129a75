// JPEG encoding through libjpeg-turbo's TurboJPEG API (tjCompress2, the library's fastest
// path): baseline, 4:2:0 chroma for colour, standard Huffman tables, so the same pixels and
// quality give the same bytes with a given library. Used by the capture worker thread that
// encodes frames, and by framewire-gen. One JpegEncoder per thread; separate encoders may run
// concurrently.
#pragma once

#include <cstdint>
#include <vector>

#include "capture/image.hpp"
#include "framewire/status.hpp"

namespace framewire::capture {

// What `--encode jpeg` means without a quality: a typical high-quality camera JPEG.
inline constexpr int kDefaultJpegQuality = 90;

class JpegEncoder {
 public:
  JpegEncoder();
  ~JpegEncoder();
  JpegEncoder(const JpegEncoder&) = delete;
  JpegEncoder& operator=(const JpegEncoder&) = delete;

  // Encodes a kGray8 (grayscale JPEG), kRgb8 or kBgr8 (YCbCr 4:2:0) image at `quality`
  // (1..100) into `out`, replacing its contents; `out`'s capacity and the encoder's working
  // buffer are reused from frame to frame. The view is only read during the call.
  // Errors: kInternal for a 16-bit image, a bad quality or size, or a TurboJPEG failure.
  Status encode(const ImageView& image, int quality, std::vector<std::uint8_t>& out);

 private:
  void* handle_ = nullptr;           // tjhandle
  unsigned char* buffer_ = nullptr;  // tjAlloc'ed, large enough for the worst case
  unsigned long buffer_capacity_ = 0;
};

// One-shot form of JpegEncoder::encode (sets up and tears down a TurboJPEG handle).
Status encode_jpeg(const ImageView& image, int quality, std::vector<std::uint8_t>& out);

}  // namespace framewire::capture
