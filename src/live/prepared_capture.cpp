// Checking and opening a capture before connecting (prepared_capture.hpp).
#include "live/prepared_capture.hpp"

#include <filesystem>
#include <system_error>

#include "capture/capture_spec.hpp"

namespace framewire::live {

Result<PreparedCapture> prepare_capture(const CaptureRequest& request) {
  Result<capture::CaptureSpec> parsed = capture::parse_capture_spec(request.spec);
  if (!parsed) return parsed.status();
  PreparedCapture prepared;
  prepared.kind = parsed->kind;
  prepared.spec = request.spec;
  prepared.options.pace = request.pace;
  prepared.options.max_frames = request.max_frames;
  prepared.options.max_duration = request.max_duration;

  std::optional<capture::EncodeSpec> asked;
  if (!request.encode.empty()) {
    Result<capture::EncodeSpec> encode = capture::parse_encode_spec(request.encode);
    if (!encode) return encode.status();
    asked = *encode;
  }

  if (parsed->kind == capture::CaptureKind::kFollow) {
    // Opened later (it needs the receiver's resume point); what can go wrong before is
    // checked now.
    if (asked && asked->encoding != capture::Encoding::kRaw) {
      return Status(ErrorCode::kInternal,
                    request.spec + ": follow: sends the files as they are; --encode " +
                        request.encode + " does not apply (leave it out, or give raw)");
    }
    std::error_code error;
    if (!std::filesystem::is_directory(parsed->path, error)) {
      return Status(ErrorCode::kStorageError,
                    request.spec + ": " + parsed->path + " is not a folder that can be followed");
    }
    prepared.encode = capture::EncodeSpec{.encoding = capture::Encoding::kRaw};
    return prepared;
  }

  // Passing packets through is a property of the open, not of the encoder: decide it first.
  prepared.options.packets = asked && asked->encoding == capture::Encoding::kRaw;
  Result<std::unique_ptr<capture::Capture>> opened =
      capture::open_capture(request.spec, prepared.options);
  if (!opened) return opened.status();
  prepared.opened_at = std::chrono::steady_clock::now();
  prepared.capture = std::move(opened).value();
  prepared.encode = asked ? *asked : capture::default_encoding(prepared.capture->info());
  if (Status fits = capture::check_encoding(prepared.encode, prepared.capture->info()); !fits) {
    return fits;
  }
  return prepared;
}

StreamPolicy default_policy(capture::CaptureKind kind, bool pace) {
  switch (kind) {
    case capture::CaptureKind::kFollow:
      return StreamPolicy::kArchive;
    case capture::CaptureKind::kV4l2:
      return StreamPolicy::kLive;
    case capture::CaptureKind::kTestsrc:
    case capture::CaptureKind::kIrsrc:
    case capture::CaptureKind::kFile:
      return pace ? StreamPolicy::kLive : StreamPolicy::kArchive;
  }
  return StreamPolicy::kLive;
}

}  // namespace framewire::live
