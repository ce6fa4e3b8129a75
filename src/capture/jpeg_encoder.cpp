// TurboJPEG-based encoder (jpeg_encoder.hpp). tjCompress2 writes into a buffer of the
// worst-case size (tjBufSize) that the encoder keeps, with TJFLAG_NOREALLOC so TurboJPEG never
// swaps it behind our back; the compressed bytes are then copied into the caller's vector,
// which costs a few hundred KB of memcpy instead of zero-filling megabytes per frame.
#include "capture/jpeg_encoder.hpp"

#include <turbojpeg.h>

#include <string>

namespace framewire::capture {
namespace {

Status jpeg_error(std::string message) {
  return {ErrorCode::kInternal, "jpeg: " + std::move(message)};
}

}  // namespace

JpegEncoder::JpegEncoder() : handle_(tjInitCompress()) {}

JpegEncoder::~JpegEncoder() {
  if (buffer_ != nullptr) tjFree(buffer_);
  if (handle_ != nullptr) tjDestroy(handle_);
}

Status JpegEncoder::encode(const ImageView& image, int quality, std::vector<std::uint8_t>& out) {
  if (handle_ == nullptr) return jpeg_error("cannot create a TurboJPEG compressor");
  if (quality < 1 || quality > 100) {
    return jpeg_error("quality " + std::to_string(quality) + " is outside 1..100");
  }
  if (image.width <= 0 || image.height <= 0 || image.data == nullptr) {
    return jpeg_error("empty image");
  }
  int pixel_format = TJPF_RGB;
  int subsampling = TJSAMP_420;
  switch (image.format) {
    case PixelFormat::kRgb8:
      break;
    case PixelFormat::kBgr8:
      pixel_format = TJPF_BGR;
      break;
    case PixelFormat::kGray8:
      pixel_format = TJPF_GRAY;
      subsampling = TJSAMP_GRAY;
      break;
    case PixelFormat::kGray16:
      return jpeg_error("JPEG holds 8-bit samples; encode a 16-bit image as png16");
  }
  const unsigned long needed = tjBufSize(image.width, image.height, subsampling);
  if (needed == static_cast<unsigned long>(-1)) return jpeg_error("image too large");
  if (needed > buffer_capacity_) {
    if (buffer_ != nullptr) tjFree(buffer_);
    buffer_ = tjAlloc(static_cast<int>(needed));
    buffer_capacity_ = buffer_ != nullptr ? needed : 0;
    if (buffer_ == nullptr) return jpeg_error("out of memory");
  }
  unsigned char* destination = buffer_;
  unsigned long size = buffer_capacity_;
  // TurboJPEG only reads the source; its C API is not const-correct.
  auto* source = const_cast<unsigned char*>(image.data);
  if (tjCompress2(handle_, source, image.width, static_cast<int>(image.stride), image.height,
                  pixel_format, &destination, &size, subsampling, quality, TJFLAG_NOREALLOC) != 0) {
    return jpeg_error(tjGetErrorStr2(handle_));
  }
  out.assign(destination, destination + size);
  return Status::ok();
}

Status encode_jpeg(const ImageView& image, int quality, std::vector<std::uint8_t>& out) {
  JpegEncoder encoder;
  return encoder.encode(image, quality, out);
}

}  // namespace framewire::capture
