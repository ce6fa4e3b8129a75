#include "live/image_pusher.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "capture/jpeg_encoder.hpp"
#include "capture/png_encoder.hpp"

namespace framewire::live {

namespace {

std::int64_t realtime_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status check_spec(const capture::EncodeSpec& spec, capture::PixelFormat format) {
  using capture::Encoding;
  const bool sixteen = capture::bit_depth(format) == 16;
  switch (spec.encoding) {
    case Encoding::kJpeg:
      if (sixteen) {
        return Status(ErrorCode::kInternal,
                      "JPEG holds 8-bit images only; a 16-bit image is sent as png16");
      }
      return Status::ok();
    case Encoding::kPng:
      if (sixteen) {
        return Status(ErrorCode::kInternal, "png is for 8-bit images; use png16 for 16-bit ones");
      }
      return Status::ok();
    case Encoding::kPng16:
      if (format != capture::PixelFormat::kGray16) {
        return Status(ErrorCode::kInternal, "png16 takes 16-bit single-channel images only");
      }
      return Status::ok();
    case Encoding::kRaw:
      break;
  }
  return Status(ErrorCode::kInternal, "raw encoding takes bytes, not an image (send_bytes)");
}

}  // namespace

// Reused from frame to frame by one worker.
struct ImagePusher::Encoders {
  capture::JpegEncoder jpeg;
  capture::PngEncoder png;
};

ImagePusher::ImagePusher(Sender& sender, StreamId stream, ImagePusherOptions options)
    : sender_(sender), stream_(stream), options_(options) {
  const unsigned workers = std::max(1u, options_.workers);
  workers_.reserve(workers);
  for (unsigned i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
}

ImagePusher::~ImagePusher() {
  close();
  for (std::thread& worker : workers_) worker.join();
}

capture::EncodeSpec ImagePusher::spec_for(capture::PixelFormat format) const {
  if (options_.encode) return *options_.encode;
  if (capture::bit_depth(format) == 16) return {.encoding = capture::Encoding::kPng16};
  return {.encoding = capture::Encoding::kJpeg, .jpeg_quality = options_.jpeg_quality};
}

Status ImagePusher::submit(const RawImage& raw, std::chrono::milliseconds wait) {
  if (raw.view.width <= 0 || raw.view.height <= 0 || raw.view.data == nullptr) {
    return Status(ErrorCode::kInternal, "an empty image cannot be sent");
  }
  if (Status status = check_spec(spec_for(raw.view.format), raw.view.format); !status) {
    return status;
  }
  // The copy is made before taking the lock (other submitters and the workers go on) and
  // before waiting for room, so the caller's buffer is free as soon as this returns.
  Job job;
  job.image.reset(raw.view.width, raw.view.height, raw.view.format);
  const std::size_t row_bytes = static_cast<std::size_t>(raw.view.width) *
                                static_cast<std::size_t>(capture::bytes_per_pixel(raw.view.format));
  for (int y = 0; y < raw.view.height; ++y) {
    std::memcpy(job.image.row(y), raw.view.row(y), row_bytes);
  }
  job.capture_time_ns = raw.capture_time_ns != 0 ? raw.capture_time_ns : realtime_now_ns();
  job.handed_at = std::chrono::steady_clock::now();
  job.file_name = raw.file_name;
  return enqueue(std::move(job), wait);
}

Status ImagePusher::submit_encoded(Frame frame, std::chrono::milliseconds wait) {
  Job job;
  job.capture_time_ns = frame.capture_time_ns != 0 ? frame.capture_time_ns : realtime_now_ns();
  job.handed_at = std::chrono::steady_clock::now();
  job.encoded = std::move(frame);
  return enqueue(std::move(job), wait);
}

Status ImagePusher::enqueue(Job job, std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  const std::size_t pending = std::max<std::size_t>(1, options_.pending);
  if (options_.policy == StreamPolicy::kArchive) {
    const bool room = changed_.wait_for(
        lock, wait, [&] { return closed_ || !failure_.is_ok() || waiting_.size() < pending; });
    if (!room) return Status(ErrorCode::kTimeout, "the stream's queue is full");
  } else if (waiting_.size() >= pending) {
    // Live: the newest image matters most; the oldest waiting one is dropped, and its ticket
    // is settled as nothing so that the tickets after it can be pushed.
    ready_.emplace(waiting_.front().ticket, Done{});
    waiting_.pop_front();
    ++dropped_;
    sender_.count_source_drops(stream_, 1);
  }
  if (!failure_.is_ok()) return failure_;
  if (closed_) return Status(ErrorCode::kCancelled, "the stream is closed");
  job.ticket = next_ticket_++;
  waiting_.push_back(std::move(job));
  changed_.notify_all();
  return Status::ok();
}

bool ImagePusher::wait_for_room(std::chrono::milliseconds wait) {
  if (options_.policy != StreamPolicy::kArchive) return true;
  const std::size_t pending = std::max<std::size_t>(1, options_.pending);
  std::unique_lock lock(mutex_);
  return changed_.wait_for(
      lock, wait, [&] { return closed_ || !failure_.is_ok() || waiting_.size() < pending; });
}

Status ImagePusher::wait_idle(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  const bool idle = changed_.wait_for(lock, wait, [&] {
    return !failure_.is_ok() || closed_ || (next_push_ == next_ticket_ && !pushing_);
  });
  if (!failure_.is_ok()) return failure_;
  if (!idle) return Status(ErrorCode::kTimeout, "frames are still being encoded");
  return Status::ok();
}

void ImagePusher::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  waiting_.clear();
  changed_.notify_all();
}

std::uint64_t ImagePusher::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

Result<Frame> ImagePusher::encode(Job& job, Encoders& encoders) const {
  if (job.encoded) {
    Frame frame = std::move(*job.encoded);
    frame.capture_time_ns = job.capture_time_ns;
    frame.handed_at = job.handed_at;
    return frame;
  }
  const capture::EncodeSpec spec = spec_for(job.image.format());
  Frame frame;
  frame.file_name = job.file_name;
  frame.capture_time_ns = job.capture_time_ns;
  frame.handed_at = job.handed_at;
  Status status;
  if (spec.encoding == capture::Encoding::kJpeg) {
    frame.extension = ".jpg";
    status = encoders.jpeg.encode(job.image.view(), spec.jpeg_quality, frame.data);
  } else {
    frame.extension = ".png";
    status = encoders.png.encode(job.image.view(), frame.data);
  }
  if (!status) return status;
  return frame;
}

void ImagePusher::work() {
  Encoders encoders;
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return closed_ || !waiting_.empty(); });
    if (closed_) return;
    Job job = std::move(waiting_.front());
    waiting_.pop_front();
    changed_.notify_all();  // room for an archive submit()

    lock.unlock();
    Result<Frame> frame = encode(job, encoders);
    lock.lock();
    if (!frame) {
      if (failure_.is_ok()) {
        failure_ = Status(frame.status().code(),
                          fmt::format("encoding a frame failed: {}", frame.status().message()));
      }
      ready_.emplace(job.ticket, Done{});
    } else {
      ready_.emplace(job.ticket, Done{std::move(frame).value()});
    }
    push_ready(lock);
  }
}

void ImagePusher::push_ready(std::unique_lock<std::mutex>& lock) {
  if (pushing_) return;  // the worker pushing now will take our frame too
  pushing_ = true;
  for (auto next = ready_.find(next_push_); next != ready_.end(); next = ready_.find(next_push_)) {
    Done done = std::move(next->second);
    ready_.erase(next);
    ++next_push_;
    if (!done.frame || !failure_.is_ok() || closed_) continue;
    // Archive: push() waits while the Sender's queue is full; the lock is not held meanwhile,
    // so submit() and the other workers go on.
    lock.unlock();
    Status pushed = sender_.push(stream_, std::move(*done.frame));
    lock.lock();
    if (!pushed && failure_.is_ok()) failure_ = pushed;
  }
  pushing_ = false;
  changed_.notify_all();
}

}  // namespace framewire::live
