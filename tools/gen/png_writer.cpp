// See png_writer.hpp: views of the generator's images handed to capture::encode_png.
#include "png_writer.hpp"

#include <cstdint>
#include <vector>

#include "capture/png_encoder.hpp"
#include "file_writer.hpp"

namespace framewire::gen {

WriteOutcome WritePng(const std::string& path, const Image8& image) {
  const capture::ImageView view{
      image.pixels.data(), image.width, image.height,
      static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.channels),
      image.channels == 3 ? capture::PixelFormat::kRgb8 : capture::PixelFormat::kGray8};
  std::vector<std::uint8_t> bytes;
  const Status encoded = capture::encode_png(view, bytes);
  return WriteEncoded(path, encoded, bytes);
}

WriteOutcome WritePng(const std::string& path, const Image16& image) {
  // Host-order samples seen as bytes, which is what a kGray16 view holds.
  const capture::ImageView view{
      reinterpret_cast<const std::uint8_t*>(image.pixels.data()), image.width, image.height,
      static_cast<std::size_t>(image.width) * 2, capture::PixelFormat::kGray16};
  std::vector<std::uint8_t> bytes;
  const Status encoded = capture::encode_png(view, bytes);
  return WriteEncoded(path, encoded, bytes);
}

}  // namespace framewire::gen
