// Test decoders (image_decode.hpp). libpng errors longjmp back into decode_rows, which holds
// only trivially destructible locals.
#include "image_decode.hpp"

#include <png.h>
#include <turbojpeg.h>

#include <bit>
#include <csetjmp>
#include <cstring>
#include <vector>

namespace framewire::capture::test {
namespace {

struct PngReader {
  std::span<const std::uint8_t> data;
  std::size_t offset = 0;
};

void read_bytes(png_structp png, png_bytep out, png_size_t length) {
  auto* reader = static_cast<PngReader*>(png_get_io_ptr(png));
  if (reader->offset + length > reader->data.size()) png_error(png, "truncated");
  std::memcpy(out, reader->data.data() + reader->offset, length);
  reader->offset += length;
}

struct PngHeader {
  png_uint_32 width = 0;
  png_uint_32 height = 0;
  int depth = 0;
  int color = 0;
};

// Pass 1 (rows == nullptr): reads the header. Pass 2: decodes into `rows`.
bool decode_rows(PngReader* reader, PngHeader* header, png_bytepp rows) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (png == nullptr) return false;
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, reader, read_bytes);
  png_read_info(png, info);
  header->width = png_get_image_width(png, info);
  header->height = png_get_image_height(png, info);
  header->depth = png_get_bit_depth(png, info);
  header->color = png_get_color_type(png, info);
  if (rows != nullptr) {
    if (header->depth == 16 && std::endian::native == std::endian::little) png_set_swap(png);
    png_read_image(png, rows);
    png_read_end(png, nullptr);
  }
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

}  // namespace

std::optional<Image> decode_jpeg(std::span<const std::uint8_t> jpeg) {
  tjhandle handle = tjInitDecompress();
  if (handle == nullptr) return std::nullopt;
  int width = 0;
  int height = 0;
  int subsampling = 0;
  int colorspace = 0;
  std::optional<Image> image;
  if (tjDecompressHeader3(handle, jpeg.data(), static_cast<unsigned long>(jpeg.size()), &width,
                          &height, &subsampling, &colorspace) == 0) {
    const bool gray = colorspace == TJCS_GRAY;
    Image decoded(width, height, gray ? PixelFormat::kGray8 : PixelFormat::kRgb8);
    if (tjDecompress2(handle, jpeg.data(), static_cast<unsigned long>(jpeg.size()), decoded.data(),
                      width, static_cast<int>(decoded.stride()), height,
                      gray ? TJPF_GRAY : TJPF_RGB, 0) == 0) {
      image = std::move(decoded);
    }
  }
  tjDestroy(handle);
  return image;
}

std::optional<Image> decode_png(std::span<const std::uint8_t> png) {
  PngReader reader{png};
  PngHeader header;
  if (!decode_rows(&reader, &header, nullptr)) return std::nullopt;
  PixelFormat format = PixelFormat::kRgb8;
  if (header.color == PNG_COLOR_TYPE_GRAY) {
    format = header.depth == 16 ? PixelFormat::kGray16 : PixelFormat::kGray8;
  } else if (header.color != PNG_COLOR_TYPE_RGB || header.depth != 8) {
    return std::nullopt;
  }
  Image image(static_cast<int>(header.width), static_cast<int>(header.height), format);
  std::vector<png_bytep> rows(header.height);
  for (png_uint_32 y = 0; y < header.height; ++y) rows[y] = image.row(static_cast<int>(y));
  reader.offset = 0;
  if (!decode_rows(&reader, &header, rows.data())) return std::nullopt;
  return image;
}

}  // namespace framewire::capture::test
