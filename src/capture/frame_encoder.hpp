// From a captured frame to what the sender sends: `--encode` parsing, the per-stream default,
// the frame's file name (zero-padded index + extension, "000017.jpg", which sorts in capture
// order by name as well as by frame_order_less), and the encoding itself. Runs on the capture
// worker thread, never the network thread; one FrameEncoder per stream.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capture/capture.hpp"
#include "capture/jpeg_encoder.hpp"
#include "capture/png_encoder.hpp"
#include "framewire/status.hpp"
#include "source/folder_listing.hpp"

namespace framewire::capture {

enum class Encoding {
  kJpeg,   // 8-bit gray or colour, libjpeg-turbo
  kPng,    // 8-bit gray or colour
  kPng16,  // 16-bit gray, lossless
  kRaw,    // the source's own bytes: compressed packets, or follow:'s files as they are
};

struct EncodeSpec {
  Encoding encoding = Encoding::kJpeg;
  int jpeg_quality = kDefaultJpegQuality;
};

// "jpeg", "jpeg:QUALITY" (1..100), "png", "png16", "raw". Errors: kInternal naming the choices.
Result<EncodeSpec> parse_encode_spec(std::string_view text);

// jpeg for 8-bit images, png16 for 16-bit ones, raw for packets and followed files.
EncodeSpec default_encoding(const CaptureInfo& info);

// Whether `spec` can encode what the capture `info` produces, before any frame is captured:
// e.g. png16 needs 16-bit images, raw needs packets or files. Errors: kInternal saying what
// would work instead.
Status check_encoding(const EncodeSpec& spec, const CaptureInfo& info);

// "000017" + extension; more digits once the index needs them. One rule for
// the capture index and the sender's wire sequence, kept in source/.
using source::frame_file_name;

struct EncodedFrame {
  std::string file_name;                  // the name it is sent under
  std::int64_t capture_time_ns = 0;       // from CapturedFrame
  std::vector<std::uint8_t> bytes;        // the file's contents, unless `file` is set
  std::optional<source::FrameFile> file;  // follow: send this file as it is instead
};

class FrameEncoder {
 public:
  explicit FrameEncoder(EncodeSpec spec) : spec_(spec) {}

  // Encodes `frame` into `out` (its buffers are reused). Errors: kInternal when the frame does
  // not suit the encoding (check_encoding's cases) or the codec fails.
  Status encode(const CapturedFrame& frame, EncodedFrame& out);

 private:
  EncodeSpec spec_;
  JpegEncoder jpeg_;
  PngEncoder png_;
};

}  // namespace framewire::capture
