// libpng-based encoder (png_encoder.hpp). libpng reports errors by longjmp, so the function
// that calls setjmp holds only trivially destructible locals, and the output callback never
// lets a C++ exception cross libpng's C frames: it records the failure and calls png_error.
#include "capture/png_encoder.hpp"

#include <png.h>

#include <bit>
#include <csetjmp>
#include <cstdio>
#include <new>

namespace framewire::capture {
namespace {

struct PngSink {
  std::vector<std::uint8_t>* out;
  char message[256];
};

[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
  auto* sink = static_cast<PngSink*>(png_get_error_ptr(png));
  std::snprintf(sink->message, sizeof(sink->message), "%s", message);
  png_longjmp(png, 1);
}

// Warnings are about ancillary data we never write; ignoring them keeps stderr clean.
void on_png_warning(png_structp /*png*/, png_const_charp /*message*/) {}

void on_png_write(png_structp png, png_bytep data, png_size_t length) {
  auto* sink = static_cast<PngSink*>(png_get_io_ptr(png));
  bool failed = false;
  try {
    sink->out->insert(sink->out->end(), data, data + length);
  } catch (const std::bad_alloc&) {
    failed = true;
  }
  if (failed) png_error(png, "out of memory");
}

void on_png_flush(png_structp /*png*/) {}

struct PngLayout {
  int width;
  int height;
  int bit_depth;
  int color_type;
  bool bgr;
  bool swap_16bit;  // host order is little-endian, PNG wants big-endian
};

bool encode_rows(const PngLayout& layout, int level, png_bytepp rows, PngSink* sink) {
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, on_png_error, on_png_warning);
  if (png == nullptr) {
    std::snprintf(sink->message, sizeof(sink->message), "png_create_write_struct failed");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    std::snprintf(sink->message, sizeof(sink->message), "png_create_info_struct failed");
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, sink, on_png_write, on_png_flush);
  png_set_compression_level(png, level);
  // SUB alone is the cheapest filter that still removes gradients; trying all five per row
  // costs more time than it saves bytes on noisy frames.
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
  png_set_IHDR(png, info, static_cast<png_uint_32>(layout.width),
               static_cast<png_uint_32>(layout.height), layout.bit_depth, layout.color_type,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
  png_write_info(png, info);
  if (layout.bgr) png_set_bgr(png);
  if (layout.swap_16bit) png_set_swap(png);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

Status PngEncoder::encode(const ImageView& image, std::vector<std::uint8_t>& out) {
  if (image.width <= 0 || image.height <= 0 || image.data == nullptr) {
    return {ErrorCode::kInternal, "png: empty image"};
  }
  const bool sixteen = image.format == PixelFormat::kGray16;
  const PngLayout layout{image.width,
                         image.height,
                         sixteen ? 16 : 8,
                         channels(image.format) == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
                         image.format == PixelFormat::kBgr8,
                         sixteen && std::endian::native == std::endian::little};
  rows_.resize(static_cast<std::size_t>(image.height));
  for (int y = 0; y < image.height; ++y) {
    // libpng only reads through these pointers; its API is not const-correct.
    rows_[static_cast<std::size_t>(y)] = const_cast<std::uint8_t*>(image.row(y));
  }
  out.clear();
  PngSink sink{&out, {}};
  if (!encode_rows(layout, level_, rows_.data(), &sink)) {
    return {ErrorCode::kInternal, std::string("png: ") + sink.message};
  }
  return Status::ok();
}

Status encode_png(const ImageView& image, std::vector<std::uint8_t>& out, int compression_level) {
  PngEncoder encoder(compression_level);
  return encoder.encode(image, out);
}

}  // namespace framewire::capture
