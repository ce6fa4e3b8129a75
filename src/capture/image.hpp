// Images as the capture layer hands them around: an owning Image that sources fill and reuse,
// and a non-owning ImageView that the encoders read, so a caller's own pixels (a NumPy array
// from Python, a frame of framewire-gen) are encoded without a copy. Rows are top to bottom,
// pixels interleaved; 3-channel pixels are RGB or BGR, said by the format (OpenCV hands BGR
// uint8 HxWx3, and gray uint16 HxW); 16-bit samples are in host byte order.
// Plain values: one thread at a time per object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace framewire::capture {

enum class PixelFormat : std::uint8_t {
  kGray8,   // 1 channel, 8 bits
  kGray16,  // 1 channel, 16 bits, host order (infrared, depth)
  kRgb8,    // 3 channels, 8 bits, R first
  kBgr8,    // 3 channels, 8 bits, B first (OpenCV's order)
};

int channels(PixelFormat format);
int bit_depth(PixelFormat format);
int bytes_per_pixel(PixelFormat format);
// "gray8", "gray16", "rgb8", "bgr8".
std::string_view to_string(PixelFormat format);

// Borrowed pixels: the viewed memory must stay valid and unchanged while the view is used.
// `stride` is the distance in bytes between the starts of two rows (>= width * bytes/pixel).
struct ImageView {
  const std::uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  std::size_t stride = 0;
  PixelFormat format = PixelFormat::kRgb8;

  const std::uint8_t* row(int y) const { return data + static_cast<std::size_t>(y) * stride; }
};

// Owned pixels, rows packed (stride == width * bytes/pixel). reset() keeps the allocation when
// the new size fits, so a source that renders every frame into the same Image allocates once.
class Image {
 public:
  Image() = default;
  Image(int width, int height, PixelFormat format) { reset(width, height, format); }

  // Resizes to width x height in `format`; pixel values are unspecified afterwards.
  // Preconditions: width, height >= 0.
  void reset(int width, int height, PixelFormat format);

  int width() const { return width_; }
  int height() const { return height_; }
  PixelFormat format() const { return format_; }
  std::size_t stride() const { return stride_; }
  std::size_t size_bytes() const { return stride_ * static_cast<std::size_t>(height_); }

  std::uint8_t* data() { return reinterpret_cast<std::uint8_t*>(storage_.data()); }
  const std::uint8_t* data() const {
    return reinterpret_cast<const std::uint8_t*>(storage_.data());
  }
  std::uint8_t* row(int y) { return data() + static_cast<std::size_t>(y) * stride_; }
  const std::uint8_t* row(int y) const { return data() + static_cast<std::size_t>(y) * stride_; }
  // Rows of a kGray16 image as samples.
  std::uint16_t* row16(int y) { return storage_.data() + static_cast<std::size_t>(y) * width_; }
  const std::uint16_t* row16(int y) const {
    return storage_.data() + static_cast<std::size_t>(y) * width_;
  }

  ImageView view() const { return {data(), width_, height_, stride_, format_}; }

 private:
  int width_ = 0;
  int height_ = 0;
  PixelFormat format_ = PixelFormat::kRgb8;
  std::size_t stride_ = 0;
  // 16-bit units so that gray16 rows are real uint16_t objects; 8-bit formats use the same
  // memory as bytes, which unsigned char access allows.
  std::vector<std::uint16_t> storage_;
};

}  // namespace framewire::capture
