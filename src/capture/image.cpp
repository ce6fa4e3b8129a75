// Pixel format facts and Image storage (image.hpp). Stateless helpers; any thread.
#include "capture/image.hpp"

namespace framewire::capture {

int channels(PixelFormat format) {
  return format == PixelFormat::kRgb8 || format == PixelFormat::kBgr8 ? 3 : 1;
}

int bit_depth(PixelFormat format) {
  return format == PixelFormat::kGray16 ? 16 : 8;
}

int bytes_per_pixel(PixelFormat format) {
  return channels(format) * bit_depth(format) / 8;
}

std::string_view to_string(PixelFormat format) {
  switch (format) {
    case PixelFormat::kGray8:
      return "gray8";
    case PixelFormat::kGray16:
      return "gray16";
    case PixelFormat::kRgb8:
      return "rgb8";
    case PixelFormat::kBgr8:
      return "bgr8";
  }
  return "?";
}

void Image::reset(int width, int height, PixelFormat format) {
  width_ = width;
  height_ = height;
  format_ = format;
  stride_ = static_cast<std::size_t>(width) * bytes_per_pixel(format);
  storage_.resize((size_bytes() + 1) / 2);
}

}  // namespace framewire::capture
