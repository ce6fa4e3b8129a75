// libpng-based writer; see png_writer.hpp. libpng reports errors by longjmp, so the function that
// calls setjmp holds only trivially destructible locals and everything owning memory (row
// pointers, the FILE) lives in its caller.
#include "png_writer.hpp"

#include <png.h>

#include <bit>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

namespace framewire::gen {
namespace {

// zlib level 1: several times faster than the default and only slightly larger on noisy data.
constexpr int kCompressionLevel = 1;

struct ErrorSink {
  char message[256];
};

[[noreturn]] void OnPngError(png_structp png, png_const_charp message) {
  auto* sink = static_cast<ErrorSink*>(png_get_error_ptr(png));
  std::snprintf(sink->message, sizeof(sink->message), "%s", message);
  png_longjmp(png, 1);
}

// Warnings are about ancillary data we never write; ignoring them keeps stderr clean.
void OnPngWarning(png_structp, png_const_charp) {}

struct PngSpec {
  int width;
  int height;
  int bit_depth;
  int color_type;
  bool swap_16bit;  // host order is little-endian, PNG wants big-endian
};

bool EncodeRows(std::FILE* file, const PngSpec& spec, png_bytepp rows, ErrorSink* sink) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, OnPngError, OnPngWarning);
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
  png_init_io(png, file);
  png_set_compression_level(png, kCompressionLevel);
  // SUB alone is the cheapest filter that still removes the gradients; trying all five per row
  // (libpng's default) costs more time than it saves bytes on noisy frames.
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
  png_set_IHDR(png, info, static_cast<png_uint_32>(spec.width),
               static_cast<png_uint_32>(spec.height), spec.bit_depth, spec.color_type,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
  png_write_info(png, info);
  if (spec.swap_16bit) png_set_swap(png);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

WriteOutcome WriteRows(const std::string& path, const PngSpec& spec, std::vector<png_bytep>& rows) {
  WriteOutcome outcome;
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    outcome.error = path + ": " + std::strerror(errno);
    return outcome;
  }
  ErrorSink sink{};
  const bool encoded = EncodeRows(file, spec, rows.data(), &sink);
  const long size = std::ftell(file);
  const bool closed = std::fclose(file) == 0;
  if (!encoded) {
    outcome.error = path + ": " + sink.message;
  } else if (!closed || size < 0) {
    outcome.error = path + ": write failed: " + std::strerror(errno);
  } else {
    outcome.bytes = static_cast<std::uint64_t>(size);
  }
  return outcome;
}

}  // namespace

WriteOutcome WritePng(const std::string& path, const Image8& image) {
  std::vector<png_bytep> rows(static_cast<std::size_t>(image.height));
  for (int y = 0; y < image.height; ++y) rows[y] = const_cast<png_bytep>(image.Row(y));
  const PngSpec spec{image.width, image.height, 8,
                     image.channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, false};
  return WriteRows(path, spec, rows);
}

WriteOutcome WritePng(const std::string& path, const Image16& image) {
  std::vector<png_bytep> rows(static_cast<std::size_t>(image.height));
  for (int y = 0; y < image.height; ++y) {
    // libpng only reads through these pointers; its API is not const-correct.
    rows[y] = reinterpret_cast<png_bytep>(const_cast<std::uint16_t*>(image.Row(y)));
  }
  const PngSpec spec{image.width, image.height, 16, PNG_COLOR_TYPE_GRAY,
                     std::endian::native == std::endian::little};
  return WriteRows(path, spec, rows);
}

}  // namespace framewire::gen
