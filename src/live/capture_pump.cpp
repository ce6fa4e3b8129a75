// Capture threads feeding a Sender (capture_pump.hpp).
#include "live/capture_pump.hpp"

#include <chrono>
#include <optional>
#include <utility>

#include "capture/capture_control.hpp"
#include "live/capture_time.hpp"

namespace framewire::live {

struct CapturePump::Stream {
  StreamId id = 0;
  std::string name;
  PreparedCapture prepared;  // the capture thread's once started
  std::thread thread;

  std::mutex mutex;                     // guards the two below
  capture::Capture* current = nullptr;  // the open capture, for stop()
  bool stopped = false;                 // stop() was called
};

namespace {

// ".jpg" of "000017.jpg": captured frames are named by the Sender from the stream's sequence,
// so only the encoder's extension is kept.
std::string extension_of(const std::string& file_name) {
  const auto dot = file_name.find('.');
  return dot == std::string::npos ? std::string() : file_name.substr(dot);
}

}  // namespace

CapturePump::CapturePump(Sender& sender, std::function<void(const std::string&)> on_notice)
    : sender_(sender), on_notice_(std::move(on_notice)) {}

CapturePump::~CapturePump() {
  stop();
  for (auto& stream : streams_) {
    if (stream->thread.joinable()) stream->thread.join();
  }
}

void CapturePump::add(StreamId stream, std::string name, PreparedCapture capture) {
  auto added = std::make_unique<Stream>();
  added->id = stream;
  added->name = std::move(name);
  added->prepared = std::move(capture);
  streams_.push_back(std::move(added));
}

void CapturePump::start() {
  if (started_) return;
  started_ = true;
  running_.store(static_cast<int>(streams_.size()), std::memory_order_release);
  for (auto& stream : streams_) {
    Stream* self = stream.get();
    stream->thread = std::thread([this, self] { run(*self); });
  }
}

void CapturePump::stop() {
  for (auto& stream : streams_) {
    std::lock_guard lock(stream->mutex);
    stream->stopped = true;
    if (stream->current != nullptr) stream->current->stop();
  }
}

Status CapturePump::wait() {
  for (auto& stream : streams_) {
    if (stream->thread.joinable()) stream->thread.join();
  }
  std::lock_guard lock(error_mutex_);
  return first_error_;
}

void CapturePump::run(Stream& stream) {
  const Status outcome = pump(stream);
  publish(stream, nullptr);
  // Closed before the stream ends, so a camera is released as soon as it is no longer read.
  stream.prepared.capture.reset();
  sender_.end_stream(stream.id);
  if (!outcome.is_ok()) {
    const Status failure(outcome.code(), "capture " + stream.name + " (" + stream.prepared.spec +
                                             "): " + outcome.message());
    bool first = false;
    {
      std::lock_guard lock(error_mutex_);
      if (first_error_.is_ok()) {
        first_error_ = failure;
        first = true;
      }
    }
    if (first) {
      notice(failure.to_string() + "; stopping every capture, sending what was captured");
      stop();
    }
  }
  running_.fetch_sub(1, std::memory_order_acq_rel);
}

Status CapturePump::pump(Stream& stream) {
  PreparedCapture& prepared = stream.prepared;
  {
    std::lock_guard lock(stream.mutex);
    if (stream.stopped) return Status::ok();
  }
  // Nothing is captured before the receiver has opened the stream (see the header).
  Result<ResumePoint> resume = sender_.resume_point(stream.id);
  if (!resume) return Status::ok();  // the Sender ended first; finish() says why
  if (prepared.kind == capture::CaptureKind::kFollow) {
    prepared.options.start_after = resume->last_file_name;
    Result<std::unique_ptr<capture::Capture>> opened =
        capture::open_capture(prepared.spec, prepared.options);
    if (!opened) return opened.status();
    prepared.capture = std::move(opened).value();
    prepared.opened_at = std::chrono::steady_clock::now();
  }
  publish(stream, prepared.capture.get());

  capture::Capture& source = *prepared.capture;
  capture::FrameEncoder encoder(prepared.encode);
  capture::EncodedFrame encoded;
  for (;;) {
    Result<std::optional<capture::CapturedFrame>> next = source.next();
    if (!next) return next.status();
    if (!next->has_value()) return Status::ok();  // a limit, the end of a file, or stop()
    capture::CapturedFrame& captured = **next;
    // Both clocks read together, as close to the capture as this thread gets.
    const auto steady_now = std::chrono::steady_clock::now();
    const std::int64_t realtime_now = capture::realtime_now_ns();
    if (Status encoded_ok = encoder.encode(captured, encoded); !encoded_ok) return encoded_ok;

    Frame frame;
    frame.capture_time_ns = encoded.capture_time_ns;
    frame.captured_at =
        steady_capture_time(captured.capture_time_ns, prepared.opened_at, steady_now, realtime_now);
    const bool is_file = encoded.file.has_value();
    if (is_file) {
      // follow: the file is sent under its own name, read when it is sent.
      frame.file_name = encoded.file->file_name;
      frame.path = encoded.file->path;
    } else {
      // Named by the Sender from the stream's sequence ("000017.jpg"), so that numbering
      // continues across runs.
      frame.extension = extension_of(encoded.file_name);
      frame.data = std::move(encoded.bytes);
    }
    source.recycle(std::move(captured));

    Status pushed = sender_.push(stream.id, std::move(frame));
    if (pushed) continue;
    if (pushed.code() == ErrorCode::kBadName && is_file) {
      // A file someone put in the followed folder under a name the receiver refuses: the
      // others still go.
      sender_.count_source_drops(stream.id, 1);
      notice(stream.name + ": skipped " + encoded.file->path + ": " + pushed.message());
      continue;
    }
    if (pushed.code() == ErrorCode::kBadName) return pushed;
    // The Sender failed or was cancelled: nothing more can be sent, and finish() says why.
    return Status::ok();
  }
}

void CapturePump::publish(Stream& stream, capture::Capture* capture) {
  std::lock_guard lock(stream.mutex);
  stream.current = capture;
  if (capture != nullptr && stream.stopped) capture->stop();
}

void CapturePump::notice(const std::string& text) const {
  if (on_notice_) on_notice_(text);
}

}  // namespace framewire::live
