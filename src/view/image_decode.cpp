// Stored-frame decoders (image_decode.hpp). libpng reports errors by longjmp, so the function
// that calls setjmp holds only trivially destructible locals, the pixels and row pointers live
// in the caller, and nothing that can throw runs while libpng's C frames are on the stack.
#include "view/image_decode.hpp"

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <bit>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

namespace framewire::view {
namespace {

using capture::Image;
using capture::PixelFormat;

Status malformed(std::string message) {
  return {ErrorCode::kMalformed, std::move(message)};
}

std::string size_text(std::uint64_t width, std::uint64_t height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

// ---- JPEG ---------------------------------------------------------------------------------

class Decompressor {
 public:
  Decompressor() : handle_(tjInitDecompress()) {}
  ~Decompressor() {
    if (handle_ != nullptr) tjDestroy(handle_);
  }
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;

  tjhandle get() const { return handle_; }
  std::string error() const { return std::string("jpeg: ") + tjGetErrorStr2(handle_); }

 private:
  tjhandle handle_;
};

// The smallest DCT-scaled size (num/denom <= 1) that still covers `target`; `full` if none.
Size jpeg_decode_size(Size full, Size target) {
  Size best = full;
  int count = 0;
  const tjscalingfactor* factors = tjGetScalingFactors(&count);
  for (int i = 0; factors != nullptr && i < count; ++i) {
    const tjscalingfactor factor = factors[i];
    if (factor.num > factor.denom) continue;  // never decode larger than stored
    const Size scaled{TJSCALED(full.width, factor), TJSCALED(full.height, factor)};
    if (scaled.width >= target.width && scaled.height >= target.height &&
        std::int64_t{scaled.width} * scaled.height < std::int64_t{best.width} * best.height) {
      best = scaled;
    }
  }
  return best;
}

Result<DecodedImage> decode_jpeg(std::span<const std::uint8_t> jpeg, const DecodeRequest& request) {
  Decompressor decompressor;
  if (decompressor.get() == nullptr) {
    return Status{ErrorCode::kInternal, "jpeg: cannot create a TurboJPEG decompressor"};
  }
  const auto length = static_cast<unsigned long>(jpeg.size());
  int width = 0;
  int height = 0;
  int subsampling = 0;
  int colorspace = 0;
  if (tjDecompressHeader3(decompressor.get(), jpeg.data(), length, &width, &height, &subsampling,
                          &colorspace) != 0) {
    return malformed(decompressor.error());
  }
  if (width <= 0 || height <= 0) return malformed("jpeg: empty image");
  if (static_cast<std::uint64_t>(width) * static_cast<std::uint64_t>(height) > request.max_pixels) {
    return malformed("jpeg: declares " + size_text(width, height) + " pixels, above the cap of " +
                     std::to_string(request.max_pixels));
  }
  // TurboJPEG cannot turn CMYK into RGB, and a camera does not write it.
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) {
    return malformed("jpeg: CMYK images are not supported");
  }
  const Size stored{width, height};
  Size decoded = stored;
  if (request.fit_width > 0 && request.fit_height > 0) {
    decoded = jpeg_decode_size(stored, fit_within(stored, request.fit_width, request.fit_height));
  }
  const bool grey = colorspace == TJCS_GRAY;
  Image image(decoded.width, decoded.height, grey ? PixelFormat::kGray8 : PixelFormat::kRgb8);
  // STOPONWARNING: a truncated or corrupt stream is a warning to libjpeg (it would pad the
  // picture with grey and go on); to us it is a bad frame, and stopping early also bounds the
  // time a forged header can cost. LIMITSCANS refuses progressive files with absurd scan counts.
  if (tjDecompress2(decompressor.get(), jpeg.data(), length, image.data(), decoded.width,
                    static_cast<int>(image.stride()), decoded.height, grey ? TJPF_GRAY : TJPF_RGB,
                    TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) != 0) {
    return malformed(decompressor.error());
  }
  return DecodedImage{std::move(image), stored};
}

// ---- PNG ----------------------------------------------------------------------------------

// libpng would accept 1,000,000 pixels a side; no camera frame comes near this.
constexpr png_uint_32 kMaxPngSide = 1U << 16;
// zlib's FAQ: deflate's best case is 1032:1 (a long run of one byte); rounded up.
constexpr std::uint64_t kMaxDeflateRatio = 1040;

struct PngInput {
  std::span<const std::uint8_t> data;
  std::size_t offset = 0;
  char message[200] = {};
};

// Where the pixels go; owned by the caller of read_png so that a longjmp out of libpng skips
// no destructor.
struct PngOutput {
  Image* image = nullptr;
  std::vector<png_bytep>* rows = nullptr;
};

[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
  auto* input = static_cast<PngInput*>(png_get_error_ptr(png));
  std::snprintf(input->message, sizeof(input->message), "%s", message);
  png_longjmp(png, 1);
}

// Warnings are about ancillary chunks (bad CRC, unknown profile) that a preview ignores anyway.
void on_png_warning(png_structp /*png*/, png_const_charp /*message*/) {}

void on_png_read(png_structp png, png_bytep out, png_size_t length) {
  auto* input = static_cast<PngInput*>(png_get_io_ptr(png));
  if (length > input->data.size() - input->offset) png_error(png, "truncated");
  std::memcpy(out, input->data.data() + input->offset, length);
  input->offset += length;
}

// Sizes the caller's image and row pointers; false when memory runs out. Never throws, so it
// may run between setjmp and longjmp.
bool prepare_output(const PngOutput& output, png_uint_32 width, png_uint_32 height,
                    PixelFormat format) noexcept {
  try {
    output.image->reset(static_cast<int>(width), static_cast<int>(height), format);
    output.rows->resize(height);
    for (png_uint_32 y = 0; y < height; ++y) {
      (*output.rows)[y] = output.image->row(static_cast<int>(y));
    }
  } catch (const std::bad_alloc&) {
    return false;
  }
  return true;
}

// Decodes into `output`; false with input->message set on any error. Only trivially destructible
// locals: libpng's errors longjmp back here.
bool read_png(PngInput* input, std::uint64_t max_pixels, const PngOutput& output) {
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, input, on_png_error, on_png_warning);
  if (png == nullptr) {
    std::snprintf(input->message, sizeof(input->message), "png_create_read_struct failed");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    std::snprintf(input->message, sizeof(input->message), "png_create_info_struct failed");
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, input, on_png_read);
  png_set_user_limits(png, kMaxPngSide, kMaxPngSide);
  png_read_info(png, info);
  const png_uint_32 width = png_get_image_width(png, info);
  const png_uint_32 height = png_get_image_height(png, info);
  const int depth = png_get_bit_depth(png, info);
  const int color = png_get_color_type(png, info);
  if (std::uint64_t{width} * height > max_pixels) {
    std::snprintf(input->message, sizeof(input->message),
                  "declares %ux%u pixels, above the cap of %llu", static_cast<unsigned>(width),
                  static_cast<unsigned>(height), static_cast<unsigned long long>(max_pixels));
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  // Deflate cannot compress better than 1032:1, so a file too small to hold the rows it
  // declares is refused here rather than after allocating (and zero-filling) them: a forged
  // 100-byte header would otherwise cost up to 128 MB per request.
  const std::uint64_t raw_bytes = std::uint64_t{height} * (png_get_rowbytes(png, info) + 1);
  if (raw_bytes > kMaxDeflateRatio * input->data.size()) {
    std::snprintf(input->message, sizeof(input->message),
                  "declares %ux%u pixels, more than its %zu bytes can hold",
                  static_cast<unsigned>(width), static_cast<unsigned>(height), input->data.size());
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  const bool grey = (color & PNG_COLOR_MASK_COLOR) == 0;
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (grey && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  // Unconditional: palette expansion turns a tRNS chunk into an alpha channel too.
  png_set_strip_alpha(png);
  if (!grey && depth == 16) png_set_strip_16(png);
  if (grey && depth == 16 && std::endian::native == std::endian::little) png_set_swap(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const PixelFormat format =
      grey ? (depth == 16 ? PixelFormat::kGray16 : PixelFormat::kGray8) : PixelFormat::kRgb8;
  // The transforms above must leave exactly one of our layouts; check rather than trust.
  if (png_get_rowbytes(png, info) !=
      std::size_t{width} * static_cast<std::size_t>(capture::bytes_per_pixel(format))) {
    std::snprintf(input->message, sizeof(input->message), "unexpected row layout");
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  if (!prepare_output(output, width, height, format)) {
    std::snprintf(input->message, sizeof(input->message), "out of memory");
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_read_image(png, output.rows->data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

Result<DecodedImage> decode_png(std::span<const std::uint8_t> data, const DecodeRequest& request) {
  PngInput input{data};
  Image image;
  std::vector<png_bytep> rows;
  if (!read_png(&input, request.max_pixels, PngOutput{&image, &rows})) {
    return malformed(std::string("png: ") + input.message);
  }
  const Size stored{image.width(), image.height()};
  return DecodedImage{std::move(image), stored};
}

}  // namespace

StoredFormat sniff_format(std::span<const std::uint8_t> stored) {
  static constexpr std::uint8_t kPngSignature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (stored.size() >= sizeof(kPngSignature) &&
      std::equal(std::begin(kPngSignature), std::end(kPngSignature), stored.begin())) {
    return StoredFormat::kPng;
  }
  // SOI followed by the first marker's 0xFF.
  if (stored.size() >= 3 && stored[0] == 0xFF && stored[1] == 0xD8 && stored[2] == 0xFF) {
    return StoredFormat::kJpeg;
  }
  return StoredFormat::kUnknown;
}

Size fit_within(Size full, int max_width, int max_height) {
  if (full.width <= max_width && full.height <= max_height) return full;
  const std::int64_t width = full.width;
  const std::int64_t height = full.height;
  Size fitted;
  if (width * max_height >= height * max_width) {  // the width is the tighter limit
    fitted.width = max_width;
    fitted.height = static_cast<int>((height * max_width + width / 2) / width);
  } else {
    fitted.height = max_height;
    fitted.width = static_cast<int>((width * max_height + height / 2) / height);
  }
  fitted.width = std::max(fitted.width, 1);
  fitted.height = std::max(fitted.height, 1);
  return fitted;
}

Result<DecodedImage> decode_image(std::span<const std::uint8_t> stored,
                                  const DecodeRequest& request) {
  switch (sniff_format(stored)) {
    case StoredFormat::kJpeg:
      return decode_jpeg(stored, request);
    case StoredFormat::kPng:
      return decode_png(stored, request);
    case StoredFormat::kUnknown:
      break;
  }
  return malformed("not a JPEG or PNG image");
}

}  // namespace framewire::view
