// Capture spec parsing (capture_spec.hpp). Numbers go through std::from_chars on the whole
// field, so "30x" or "1920 x1080" are refused rather than half-read.
#include "capture/capture_spec.hpp"

#include <charconv>
#include <limits>

namespace framewire::capture {
namespace {

constexpr std::int64_t kMaxFps = 1000;

Status spec_error(std::string_view spec, std::string_view what, std::string_view expected) {
  std::string message = "bad capture spec '";
  message += spec;
  message += "': ";
  message += what;
  if (!expected.empty()) {
    message += " (expected ";
    message += expected;
    message += ')';
  }
  return {ErrorCode::kInternal, std::move(message)};
}

template <typename T>
bool parse_whole(std::string_view text, T& value) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// WxH@FPS of testsrc/irsrc.
Result<CaptureSpec> parse_pattern(std::string_view spec, std::string_view body, CaptureSpec out) {
  const std::string_view form = out.kind == CaptureKind::kIrsrc
                                    ? "irsrc:WxH@FPS, e.g. irsrc:640x512@30"
                                    : "testsrc:WxH@FPS, e.g. testsrc:1920x1080@30";
  const std::size_t x = body.find('x');
  const std::size_t at = body.find('@');
  if (x == std::string_view::npos || at == std::string_view::npos || at < x) {
    return spec_error(spec, "missing size or rate", form);
  }
  if (!parse_whole(body.substr(0, x), out.width) ||
      !parse_whole(body.substr(x + 1, at - x - 1), out.height)) {
    return spec_error(spec, "size is not WIDTHxHEIGHT in pixels", form);
  }
  if (out.width < 1 || out.height < 1 || out.width > kMaxPatternSide ||
      out.height > kMaxPatternSide) {
    return spec_error(spec, "size must be 1..16384 on each side", form);
  }
  Result<FrameRate> rate = parse_frame_rate(body.substr(at + 1));
  if (!rate) return spec_error(spec, rate.status().message(), form);
  out.rate = *rate;
  return out;
}

// /dev/videoN[,size=WxH][,fps=N][,format=NAME] of v4l2.
Result<CaptureSpec> parse_device(std::string_view spec, std::string_view body, CaptureSpec out) {
  constexpr std::string_view form = "v4l2:/dev/videoN[,size=WxH][,fps=N][,format=mjpeg]";
  std::size_t comma = body.find(',');
  out.path = std::string(body.substr(0, comma));
  if (out.path.empty()) return spec_error(spec, "no device path", form);
  while (comma != std::string_view::npos) {
    const std::size_t start = comma + 1;
    comma = body.find(',', start);
    const std::string_view option = body.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    const std::size_t equals = option.find('=');
    if (equals == std::string_view::npos || equals + 1 == option.size()) {
      return spec_error(spec, "device option '" + std::string(option) + "' is not KEY=VALUE", form);
    }
    const std::string_view key = option.substr(0, equals);
    std::string value(option.substr(equals + 1));
    if (key == "size") {
      out.device_options.emplace_back("video_size", std::move(value));
    } else if (key == "fps") {
      if (!parse_frame_rate(value)) return spec_error(spec, "bad fps '" + value + "'", form);
      out.device_options.emplace_back("framerate", std::move(value));
    } else if (key == "format") {
      out.device_options.emplace_back("input_format", std::move(value));
    } else {
      return spec_error(spec, "unknown device option '" + std::string(key) + "'", form);
    }
  }
  return out;
}

}  // namespace

std::string_view to_string(CaptureKind kind) {
  switch (kind) {
    case CaptureKind::kTestsrc:
      return "testsrc";
    case CaptureKind::kIrsrc:
      return "irsrc";
    case CaptureKind::kFile:
      return "file";
    case CaptureKind::kV4l2:
      return "v4l2";
    case CaptureKind::kFollow:
      return "follow";
  }
  return "?";
}

Result<FrameRate> parse_frame_rate(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Status(ErrorCode::kInternal,
                  "frame rate '" + std::string(text) + "' " + std::string(why));
  };
  FrameRate rate;
  if (const std::size_t slash = text.find('/'); slash != std::string_view::npos) {
    if (!parse_whole(text.substr(0, slash), rate.num) ||
        !parse_whole(text.substr(slash + 1), rate.den)) {
      return bad("is not N/D");
    }
  } else if (const std::size_t dot = text.find('.'); dot != std::string_view::npos) {
    const std::string_view whole = text.substr(0, dot);
    const std::string_view fraction = text.substr(dot + 1);
    if (!all_digits(whole) || !all_digits(fraction) || fraction.size() > 6) {
      return bad("is not a decimal number");
    }
    std::int64_t w = 0;
    std::int64_t f = 0;
    if (!parse_whole(whole, w) || !parse_whole(fraction, f)) return bad("is not a number");
    rate.den = 1;
    for (std::size_t i = 0; i < fraction.size(); ++i) rate.den *= 10;
    if (w > kMaxFps) return bad("is above 1000");
    rate.num = w * rate.den + f;
  } else if (!all_digits(text) || !parse_whole(text, rate.num)) {
    return bad("is not a number");
  }
  if (rate.num <= 0 || rate.den <= 0) return bad("must be positive");
  if (rate.num > kMaxFps * rate.den) return bad("is above 1000");
  return rate;
}

Result<CaptureSpec> parse_capture_spec(std::string_view spec) {
  constexpr std::string_view kinds =
      "testsrc:WxH@FPS, irsrc:WxH@FPS, file:PATH, v4l2:/dev/videoN or follow:DIR";
  const std::size_t colon = spec.find(':');
  if (colon == std::string_view::npos) return spec_error(spec, "no KIND: prefix", kinds);
  const std::string_view kind = spec.substr(0, colon);
  const std::string_view body = spec.substr(colon + 1);
  CaptureSpec out;
  out.text = std::string(spec);
  if (kind == "testsrc" || kind == "irsrc") {
    out.kind = kind == "testsrc" ? CaptureKind::kTestsrc : CaptureKind::kIrsrc;
    return parse_pattern(spec, body, std::move(out));
  }
  if (kind == "v4l2") {
    out.kind = CaptureKind::kV4l2;
    return parse_device(spec, body, std::move(out));
  }
  if (kind == "file" || kind == "follow") {
    out.kind = kind == "file" ? CaptureKind::kFile : CaptureKind::kFollow;
    if (body.empty()) {
      return spec_error(spec, "no path", kind == "file" ? "file:PATH" : "follow:DIR");
    }
    out.path = std::string(body);
    return out;
  }
  return spec_error(spec, "unknown kind '" + std::string(kind) + "'", kinds);
}

}  // namespace framewire::capture
