// make_preview (preview.hpp): decode -> scale down -> tone map -> palette -> JPEG. Scaling
// comes first so that the histogram, the palette and the encoder see only the small picture;
// a JPEG is already decoded smaller by TurboJPEG's DCT scaling where that is enough.
#include "view/preview.hpp"

#include <algorithm>
#include <new>
#include <string>
#include <vector>

#include "capture/jpeg_encoder.hpp"
#include "view/image_decode.hpp"
#include "view/tone_map.hpp"

namespace framewire::view {
namespace {

using capture::Image;
using capture::PixelFormat;

template <typename Sample>
const Sample* samples(const Image& image, int y);
template <>
const std::uint8_t* samples<std::uint8_t>(const Image& image, int y) {
  return image.row(y);
}
template <>
const std::uint16_t* samples<std::uint16_t>(const Image& image, int y) {
  return image.row16(y);
}
template <typename Sample>
Sample* samples(Image& image, int y);
template <>
std::uint8_t* samples<std::uint8_t>(Image& image, int y) {
  return image.row(y);
}
template <>
std::uint16_t* samples<std::uint16_t>(Image& image, int y) {
  return image.row16(y);
}

// Area (box) filter: each output pixel is the rounded mean of the block of input pixels it
// covers, block edges rounded down to whole pixels. Cheap (every input sample is added twice)
// and it does not alias the way skipping pixels does. Requires out no larger than in.
template <typename Sample>
void box_downscale(const Image& in, Image& out) {
  const int channels = capture::channels(in.format());
  const int in_width = in.width();
  const int in_height = in.height();
  const int out_width = out.width();
  const int out_height = out.height();
  std::vector<int> x_start(static_cast<std::size_t>(out_width) + 1);
  for (int x = 0; x <= out_width; ++x) {
    x_start[static_cast<std::size_t>(x)] = static_cast<int>(std::int64_t{x} * in_width / out_width);
  }
  // Sums of the block's rows, per input column and channel (64 bits: a block may be large).
  std::vector<std::uint64_t> column_sums(static_cast<std::size_t>(in_width) * channels);
  for (int oy = 0; oy < out_height; ++oy) {
    const auto y0 = static_cast<int>(std::int64_t{oy} * in_height / out_height);
    const auto y1 = static_cast<int>(std::int64_t{oy + 1} * in_height / out_height);
    std::fill(column_sums.begin(), column_sums.end(), 0);
    for (int y = y0; y < y1; ++y) {
      const Sample* row = samples<Sample>(in, y);
      for (std::size_t i = 0; i < column_sums.size(); ++i) column_sums[i] += row[i];
    }
    Sample* out_row = samples<Sample>(out, oy);
    for (int ox = 0; ox < out_width; ++ox) {
      const int x0 = x_start[static_cast<std::size_t>(ox)];
      const int x1 = x_start[static_cast<std::size_t>(ox) + 1];
      const auto count = static_cast<std::uint64_t>(x1 - x0) * static_cast<std::uint64_t>(y1 - y0);
      for (int c = 0; c < channels; ++c) {
        std::uint64_t sum = 0;
        for (int x = x0; x < x1; ++x)
          sum += column_sums[static_cast<std::size_t>(x) * channels + c];
        out_row[ox * channels + c] = static_cast<Sample>((sum + count / 2) / count);
      }
    }
  }
}

Image scale_to(Image image, Size size) {
  if (image.width() == size.width && image.height() == size.height) return image;
  Image scaled(size.width, size.height, image.format());
  if (image.format() == PixelFormat::kGray16) {
    box_downscale<std::uint16_t>(image, scaled);
  } else {
    box_downscale<std::uint8_t>(image, scaled);
  }
  return scaled;
}

Result<std::vector<std::uint8_t>> render(std::span<const std::uint8_t> stored,
                                         const PreviewOptions& options) {
  DecodeRequest request;
  request.fit_width = options.max_width;
  request.fit_height = options.max_height;
  Result<DecodedImage> decoded = decode_image(stored, request);
  if (!decoded) return decoded.status();
  // The target comes from the stored size, so a JPEG decoded at 1/2 and a PNG of the same
  // picture give previews of the same size.
  const Size target = fit_within(decoded->stored, options.max_width, options.max_height);
  Image picture = scale_to(std::move(decoded->image), target);
  if (picture.format() == PixelFormat::kGray16) {
    picture = tone_map(picture, auto_tone_range(picture));
  }
  if (picture.format() == PixelFormat::kGray8 && options.palette != Palette::kGrey) {
    picture = apply_palette(picture, options.palette);
  }
  std::vector<std::uint8_t> jpeg;
  if (Status status = capture::encode_jpeg(picture.view(), options.jpeg_quality, jpeg); !status) {
    return Status{ErrorCode::kInternal, "preview: " + status.message()};
  }
  return jpeg;
}

}  // namespace

Result<std::vector<std::uint8_t>> make_preview(std::span<const std::uint8_t> stored,
                                               const PreviewOptions& options) {
  if (options.max_width < 1 || options.max_height < 1) {
    return Status{ErrorCode::kInternal, "preview: max_width and max_height must be at least 1"};
  }
  if (options.jpeg_quality < 1 || options.jpeg_quality > 100) {
    return Status{
        ErrorCode::kInternal,
        "preview: jpeg_quality " + std::to_string(options.jpeg_quality) + " is outside 1..100"};
  }
  try {
    return render(stored, options);
  } catch (const std::bad_alloc&) {
    // Below the pixel cap a frame can still be too big for the memory at hand.
    return Status{ErrorCode::kInternal, "preview: out of memory"};
  }
}

}  // namespace framewire::view
