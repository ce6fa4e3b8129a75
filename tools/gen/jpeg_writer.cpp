// See jpeg_writer.hpp: a view of the generator's image handed to capture::encode_jpeg.
#include "jpeg_writer.hpp"

#include <cstdint>
#include <vector>

#include "capture/jpeg_encoder.hpp"
#include "file_writer.hpp"

namespace framewire::gen {

WriteOutcome WriteJpeg(const std::string& path, const Image8& image, int quality) {
  if (image.channels != 3) return {0, path + ": JPEG writer needs an RGB image"};
  const capture::ImageView view{image.pixels.data(), image.width, image.height,
                                static_cast<std::size_t>(image.width) * 3,
                                capture::PixelFormat::kRgb8};
  std::vector<std::uint8_t> bytes;
  const Status encoded = capture::encode_jpeg(view, quality, bytes);
  return WriteEncoded(path, encoded, bytes);
}

}  // namespace framewire::gen
