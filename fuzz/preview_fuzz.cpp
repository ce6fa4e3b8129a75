// libFuzzer target for the view's preview (view/preview.hpp): the bytes after the first go to
// make_preview as a stored frame, the first byte picks the palette (bits 0-1) and the box the
// preview must fit (bits 2-7: 1..64 pixels a side, small so that the scaler always works).
// Sanitizers catch any read outside the input or the decoders' buffers; the harness checks what
// a browser relies on: a failure is kMalformed with a bounded message; a success is a JPEG that
// TurboJPEG decodes, of exactly fit_within(stored size, box), and a frame gets a preview exactly
// when decode_image accepts it. Single-threaded, as libFuzzer calls it.
#include <turbojpeg.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "view/image_decode.hpp"
#include "view/preview.hpp"

namespace {

using framewire::ErrorCode;
namespace view = framewire::view;

[[noreturn]] void violated(const char* what) {
  std::fprintf(stderr, "preview_fuzz: invariant violated: %s\n", what);
  std::abort();
}

void check_jpeg(const std::vector<std::uint8_t>& jpeg, view::Size expected) {
  tjhandle handle = tjInitDecompress();
  if (handle == nullptr) violated("cannot create a TurboJPEG decompressor");
  int width = 0;
  int height = 0;
  int subsampling = 0;
  int colorspace = 0;
  if (tjDecompressHeader3(handle, jpeg.data(), static_cast<unsigned long>(jpeg.size()), &width,
                          &height, &subsampling, &colorspace) != 0) {
    violated("the preview's JPEG header does not decode");
  }
  if (width != expected.width || height != expected.height) {
    std::fprintf(stderr, "preview_fuzz: preview %dx%d, expected %dx%d\n", width, height,
                 expected.width, expected.height);
    violated("the preview is not the stored size fitted into the box");
  }
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(width) * height * 3);
  if (tjDecompress2(handle, jpeg.data(), static_cast<unsigned long>(jpeg.size()), pixels.data(),
                    width, 0, height, TJPF_RGB, TJFLAG_STOPONWARNING) != 0) {
    violated("the preview's JPEG does not decode");
  }
  tjDestroy(handle);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  view::PreviewOptions options;
  options.palette = static_cast<view::Palette>((data[0] & 3) % 3);
  options.max_width = 1 + (data[0] >> 2);
  options.max_height = 1 + ((data[0] >> 2) ^ 21);
  // A copy of exactly the frame's bytes, so that ASan sees any read past the end.
  const std::vector<std::uint8_t> stored(data + 1, data + size);

  const auto preview = view::make_preview(stored, options);
  // The decode make_preview does (a JPEG may be DCT-scaled towards the box), on its own.
  view::DecodeRequest request;
  request.fit_width = options.max_width;
  request.fit_height = options.max_height;
  const auto decoded = view::decode_image(stored, request);
  if (!preview) {
    if (preview.status().code() != ErrorCode::kMalformed) violated("a failure is not kMalformed");
    if (preview.status().message().size() > 400) violated("an unbounded error message");
    if (decoded) violated("a frame that decodes got no preview");
    return 0;
  }
  if (!decoded) violated("a preview of a frame that does not decode");
  check_jpeg(preview.value(),
             view::fit_within(decoded->stored, options.max_width, options.max_height));
  return 0;
}
