// Frame encoding and naming (frame_encoder.hpp).
#include "capture/frame_encoder.hpp"

#include <charconv>

namespace framewire::capture {
namespace {

Status encode_error(std::string message) {
  return {ErrorCode::kInternal, "encode: " + std::move(message)};
}

// What is wrong with encoding a `format` image as `spec`, or "" when nothing is.
std::string image_mismatch(const EncodeSpec& spec, PixelFormat format) {
  const bool sixteen = format == PixelFormat::kGray16;
  switch (spec.encoding) {
    case Encoding::kJpeg:
      return sixteen ? "jpeg is 8-bit; use png16 for 16-bit images" : "";
    case Encoding::kPng:
      return sixteen ? "png is 8-bit; use png16 for 16-bit images" : "";
    case Encoding::kPng16:
      return sixteen ? "" : "png16 is for 16-bit grey images; use jpeg or png";
    case Encoding::kRaw:
      return "raw passes compressed packets or files through; this source gives images "
             "(use jpeg, png or png16, or open a file:/v4l2: source for packets)";
  }
  return "";
}

}  // namespace

Result<EncodeSpec> parse_encode_spec(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Status(ErrorCode::kInternal, "bad --encode '" + std::string(text) +
                                            "': " + std::string(why) +
                                            " (expected jpeg[:QUALITY], png, png16 or raw)");
  };
  EncodeSpec spec;
  const std::size_t colon = text.find(':');
  const std::string_view name = text.substr(0, colon);
  if (name == "jpeg") {
    spec.encoding = Encoding::kJpeg;
    if (colon != std::string_view::npos) {
      const std::string_view quality = text.substr(colon + 1);
      const auto [end, error] =
          std::from_chars(quality.data(), quality.data() + quality.size(), spec.jpeg_quality);
      if (quality.empty() || error != std::errc() || end != quality.data() + quality.size() ||
          spec.jpeg_quality < 1 || spec.jpeg_quality > 100) {
        return bad("quality must be 1..100");
      }
    }
    return spec;
  }
  if (colon != std::string_view::npos) return bad("only jpeg takes a parameter");
  if (name == "png") {
    spec.encoding = Encoding::kPng;
  } else if (name == "png16") {
    spec.encoding = Encoding::kPng16;
  } else if (name == "raw") {
    spec.encoding = Encoding::kRaw;
  } else {
    return bad("unknown encoding");
  }
  return spec;
}

EncodeSpec default_encoding(const CaptureInfo& info) {
  EncodeSpec spec;
  if (info.content != FrameContent::kImage) {
    spec.encoding = Encoding::kRaw;
  } else if (info.format == PixelFormat::kGray16) {
    spec.encoding = Encoding::kPng16;
  }
  return spec;
}

Status check_encoding(const EncodeSpec& spec, const CaptureInfo& info) {
  if (info.content == FrameContent::kImage) {
    const std::string mismatch = image_mismatch(spec, info.format);
    if (mismatch.empty()) return Status::ok();
    return encode_error(info.spec + ": " + mismatch);
  }
  if (spec.encoding == Encoding::kRaw) return Status::ok();
  return encode_error(info.spec + (info.content == FrameContent::kFile
                                       ? ": follow: sends files as they are; only raw applies"
                                       : ": this capture was opened for packets; only raw "
                                         "applies (open it without packets to re-encode)"));
}

Status FrameEncoder::encode(const CapturedFrame& frame, EncodedFrame& out) {
  out.capture_time_ns = frame.capture_time_ns;
  out.file.reset();
  if (const auto* file = std::get_if<source::FrameFile>(&frame.content)) {
    if (spec_.encoding != Encoding::kRaw) {
      return encode_error("follow: sends files as they are; only raw applies");
    }
    out.file_name = file->file_name;
    out.bytes.clear();
    out.file = *file;
    return Status::ok();
  }
  if (const auto* packet = std::get_if<EncodedPacket>(&frame.content)) {
    if (spec_.encoding != Encoding::kRaw) {
      return encode_error("the capture gives compressed packets; only raw applies");
    }
    out.file_name = frame_file_name(frame.index, packet->extension);
    out.bytes = packet->bytes;
    return Status::ok();
  }
  const Image& image = std::get<Image>(frame.content);
  if (const std::string mismatch = image_mismatch(spec_, image.format()); !mismatch.empty()) {
    return encode_error(mismatch);
  }
  if (spec_.encoding == Encoding::kJpeg) {
    out.file_name = frame_file_name(frame.index, ".jpg");
    return jpeg_.encode(image.view(), spec_.jpeg_quality, out.bytes);
  }
  out.file_name = frame_file_name(frame.index, ".png");
  return png_.encode(image.view(), out.bytes);
}

}  // namespace framewire::capture
