// framewire::Sender: the public, long-lived sender. It owns the streams'
// sources and push queues, the network thread and its io_context; the
// connection logic is SenderLoop's. What the other threads see (progress,
// resume points, the end) is published by the network thread under
// `shared_mutex_`; what they ask is posted to the io_context.
#include "framewire/sender.hpp"

#include <fmt/format.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "net/folder_source.hpp"
#include "net/push_queue.hpp"
#include "net/push_source.hpp"
#include "net/sender_loop.hpp"
#include "net/sender_session.hpp"
#include "net/tls_context.hpp"
#include "source/folder_listing.hpp"
#include "storage/safe_name.hpp"

namespace framewire {

namespace {

// A live stream keeps at most this many frames unacknowledged: enough to
// hide a round trip and a group commit at camera rates, few enough that on a
// slow link the frames waiting in socket buffers are a fraction of a second
// of video, and the queue (which drops its oldest) takes the rest.
constexpr std::size_t kLiveInFlightFrames = 4;

// flush(timeout) takes a longer timeout as no timeout at all: wait_for() adds
// it to steady_clock::now(), which overflows near milliseconds::max().
constexpr std::chrono::milliseconds kLongestWait = std::chrono::hours(24 * 365 * 100);

Status check_stream_name(const std::string& name, const std::string& source_kind) {
  if (Status status = storage::validate_stream_name(name); !status) {
    return Status(ErrorCode::kBadName,
                  fmt::format("stream name \"{}\": {} (a stream name is 1 to {} segments "
                              "joined by '/', each 1 to {} bytes of [A-Za-z0-9._-] not "
                              "starting with '.')",
                              name, status.message(), storage::kMaxStreamSegments,
                              storage::kMaxSegmentBytes));
  }
  if (Status status = storage::validate_source_kind(source_kind); !status) {
    return Status(ErrorCode::kBadName, fmt::format("source kind \"{}\" of stream \"{}\": {}",
                                                   source_kind, name, status.message()));
  }
  return Status::ok();
}

Status check_folder(const StreamSpec& spec) {
  std::error_code ec;
  const auto type = std::filesystem::status(spec.folder, ec).type();
  if (type == std::filesystem::file_type::not_found) {
    return Status(ErrorCode::kStorageError, fmt::format("folder \"{}\" of stream \"{}\" does "
                                                        "not exist",
                                                        spec.folder, spec.name));
  }
  if (ec) {
    return Status(ErrorCode::kStorageError, fmt::format("folder \"{}\" of stream \"{}\": {}",
                                                        spec.folder, spec.name, ec.message()));
  }
  if (type != std::filesystem::file_type::directory) {
    return Status(ErrorCode::kStorageError,
                  fmt::format("\"{}\" (stream \"{}\") is not a folder", spec.folder, spec.name));
  }
  return Status::ok();
}

Status check_frame_name(const Frame& frame) {
  if (!frame.file_name.empty()) return storage::validate_file_name(frame.file_name);
  // Named after its sequence: the extension must make a valid name with it.
  return storage::validate_file_name(source::frame_file_name(0, frame.extension));
}

}  // namespace

struct Sender::Impl {
  struct Stream {
    std::string name;
    std::string source_kind;
    bool pushed = false;
    std::unique_ptr<net::PushQueue> queue;     // pushed streams: the hand-off
    std::unique_ptr<net::FrameSource> source;  // network thread
  };

  explicit Impl(SenderOptions opts) : options(std::move(opts)) {}

  // --- set up by the owning thread before start(); fixed after.
  SenderOptions options;
  std::vector<Stream> streams;
  std::unique_ptr<asio::ssl::context> tls;
  asio::io_context io{1};
  std::unique_ptr<net::SenderLoop> loop;  // runs on `thread`
  std::thread thread;
  bool started = false;  // owning thread
  bool joined = false;   // owning thread

  // --- published by the network thread, read by any.
  mutable std::mutex shared_mutex;
  std::condition_variable shared_changed;
  std::vector<std::optional<ResumePoint>> resume_points;
  bool ended = false;
  Status end_status;
  SendProgress progress;
  std::vector<std::uint64_t> settled;  // per stream: pushed frames stored, dropped or rejected
  std::chrono::steady_clock::time_point last_report;  // network thread
  std::atomic<bool> cancel_requested{false};
  std::atomic<bool> network_started{false};  // set by start(), for summary()
  // Computed by the network thread when summary() asks, and once at the end.
  SendSummary published_summary;
  std::uint64_t summary_generation = 0;

  Status add_checked(const std::string& name, const std::string& source_kind) {
    if (started) return Status(ErrorCode::kInternal, "streams are added before start()");
    if (Status status = check_stream_name(name, source_kind); !status) return status;
    for (const Stream& stream : streams) {
      if (stream.name == name) {
        // The receiver would answer stream_busy, which reads as "retry".
        return Status(ErrorCode::kBadName,
                      fmt::format("stream name \"{}\" is given twice; each stream can be sent "
                                  "once per connection",
                                  name));
      }
    }
    if (streams.size() >= net::kMaxStreamsPerConnection) {
      return Status(ErrorCode::kTooManyStreams,
                    fmt::format("at most {} streams per sender", net::kMaxStreamsPerConnection));
    }
    return Status::ok();
  }

  // Network thread: what progress() and on_progress report.
  void publish(bool final) {
    SendProgress now;
    std::vector<std::uint64_t> now_settled(streams.size(), 0);
    for (std::size_t id = 0; id < streams.size(); ++id) {
      const Stream& stream = streams[id];
      const net::StreamTally& tally = stream.source->tally();
      now.frames_stored += tally.frames_stored;
      now.bytes_stored += tally.bytes_stored;
      now.frames_dropped += tally.dropped_cut;
      if (stream.pushed) {
        const net::PushCounters counters = stream.queue->counters();
        now.frames_total += counters.pushed;
        now.bytes_total += tally.bytes_known;
        now.frames_dropped += counters.dropped_queue + counters.dropped_source;
        now.open_ended = true;
        now_settled[id] =
            tally.frames_stored + tally.dropped_cut + tally.rejected + counters.dropped_queue;
      } else {
        // Frames the receiver had before this run are not part of its work.
        now.frames_total += tally.frames_known - tally.already_stored_frames;
        now.bytes_total += tally.bytes_known - tally.already_stored_bytes;
      }
    }
    now.frames_sent = loop->frames_sent();
    now.bytes_sent = loop->bytes_sent();
    now.seconds = loop->seconds();
    {
      std::lock_guard lock(shared_mutex);
      progress = now;
      settled = std::move(now_settled);
    }
    shared_changed.notify_all();
    if (!options.on_progress) return;
    const auto clock = std::chrono::steady_clock::now();
    if (!final && clock - last_report < options.progress_interval) return;
    last_report = clock;
    options.on_progress(now);
  }

  // Network thread: a summary for summary()'s callers.
  void publish_summary() {
    SendSummary now = summary();
    {
      std::lock_guard lock(shared_mutex);
      published_summary = std::move(now);
      ++summary_generation;
    }
    shared_changed.notify_all();
  }

  void fail_queues(const Status& why) {
    for (Stream& stream : streams) {
      if (stream.queue) stream.queue->fail(why);
    }
  }

  // Network thread.
  void run_network() {
    asio::co_spawn(
        io,
        [this]() -> asio::awaitable<void> {
          co_await loop->run();
          // Pushers waiting for room, or pushing after the end, learn why.
          fail_queues(loop->result().is_ok()
                          ? Status(ErrorCode::kInternal, "the sender has finished")
                          : loop->result());
          publish_summary();
          {
            std::lock_guard lock(shared_mutex);
            ended = true;
            end_status = loop->result();
          }
          shared_changed.notify_all();
          if (options.on_end) options.on_end(loop->result());
        },
        asio::detached);
    io.run();
  }

  SendSummary summary() const {
    SendSummary out;
    for (const Stream& stream : streams) {
      const net::StreamTally& tally = stream.source->tally();
      StreamSummary s{.name = stream.name,
                      .source_kind = stream.source_kind,
                      .frames = tally.frames_stored,
                      .bytes = tally.bytes_stored,
                      .already_stored_frames = tally.already_stored_frames,
                      .already_stored_bytes = tally.already_stored_bytes,
                      .frames_captured = tally.frames_known,
                      .dropped_cut = tally.dropped_cut,
                      .capture_to_handed = tally.capture_to_handed.summary(),
                      .handed_to_stored = tally.handed_to_stored.summary()};
      if (stream.queue) {
        const net::PushCounters counters = stream.queue->counters();
        s.frames_captured = counters.pushed;
        s.dropped_queue = counters.dropped_queue;
        s.dropped_source = counters.dropped_source;
      }
      s.frames_dropped = s.dropped_queue + s.dropped_cut + s.dropped_source;
      out.frames += s.frames;
      out.bytes += s.bytes;
      out.already_stored_frames += s.already_stored_frames;
      out.already_stored_bytes += s.already_stored_bytes;
      out.frames_dropped += s.frames_dropped;
      out.streams.push_back(std::move(s));
    }
    for (const auto& [key, frame] : loop->rejected()) {
      ++out.streams[key.first].frames_rejected;
      out.rejected.push_back(frame);
    }
    out.reconnects = loop->reconnects();
    out.seconds = loop->seconds();
    return out;
  }
};

Sender::Sender(SenderOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Sender::~Sender() {
  if (impl_->thread.joinable()) {
    cancel();
    impl_->thread.join();
  }
}

Result<StreamId> Sender::add_folder(const StreamSpec& spec) {
  if (Status status = impl_->add_checked(spec.name, spec.source_kind); !status) return status;
  if (Status status = check_folder(spec); !status) return status;
  auto files = source::list_frames(spec.folder);
  if (!files) return files.status();
  impl_->streams.push_back(
      Impl::Stream{.name = spec.name,
                   .source_kind = spec.source_kind,
                   .source = std::make_unique<net::FolderSource>(std::move(files).value())});
  return static_cast<StreamId>(impl_->streams.size() - 1);
}

Result<StreamId> Sender::add_stream(const PushStreamSpec& spec) {
  if (Status status = impl_->add_checked(spec.name, spec.source_kind); !status) return status;
  if (spec.queue_frames == 0) {
    return Status(ErrorCode::kInternal, "a push stream's queue holds at least one frame");
  }
  Impl* impl = impl_.get();
  auto queue = std::make_unique<net::PushQueue>(spec.policy, spec.queue_frames, [impl] {
    // A pusher's thread: the network thread looks when it gets to it.
    asio::post(impl->io, [impl] {
      if (impl->loop) impl->loop->wake();
    });
  });
  auto source = std::make_unique<net::PushSource>(*queue, spec.policy,
                                                  std::max(spec.queue_frames, kLiveInFlightFrames));
  impl_->streams.push_back(Impl::Stream{.name = spec.name,
                                        .source_kind = spec.source_kind,
                                        .pushed = true,
                                        .queue = std::move(queue),
                                        .source = std::move(source)});
  return static_cast<StreamId>(impl_->streams.size() - 1);
}

Status Sender::start() {
  Impl& impl = *impl_;
  if (impl.started) return Status(ErrorCode::kInternal, "start() called twice");
  if (impl.streams.empty()) return Status(ErrorCode::kMalformed, "no stream to send");
  const SenderOptions& options = impl.options;
  if (!options.tls_ca.empty()) {
    auto context = net::make_client_tls(options.tls_ca, options.tls_cert, options.tls_key);
    if (!context) return context.status();
    impl.tls = std::move(context).value();
  } else if (!options.tls_cert.empty() || !options.tls_key.empty()) {
    return Status(ErrorCode::kMalformed, "--tls-cert and --tls-key need --tls-ca as well");
  }
  std::vector<net::LoopStream> loop_streams;
  for (const Impl::Stream& stream : impl.streams) {
    loop_streams.push_back(net::LoopStream{
        .name = stream.name, .source_kind = stream.source_kind, .source = stream.source.get()});
  }
  impl.resume_points.assign(impl.streams.size(), std::nullopt);
  net::SenderLoopHooks hooks{.on_first_open =
                                 [&impl](StreamId id, const ResumePoint& at) {
                                   {
                                     std::lock_guard lock(impl.shared_mutex);
                                     impl.resume_points[id] = at;
                                   }
                                   impl.shared_changed.notify_all();
                                 },
                             .on_change = [&impl](bool final) { impl.publish(final); }};
  impl.loop = std::make_unique<net::SenderLoop>(impl.io, impl.options, std::move(loop_streams),
                                                impl.tls.get(), std::move(hooks));
  impl.started = true;
  impl.network_started = true;
  impl.thread = std::thread([&impl] { impl.run_network(); });
  return Status::ok();
}

Result<ResumePoint> Sender::resume_point(StreamId stream) {
  Impl& impl = *impl_;
  if (stream >= impl.streams.size()) return Status(ErrorCode::kInternal, "no such stream");
  std::unique_lock lock(impl.shared_mutex);
  impl.shared_changed.wait(lock, [&] {
    return impl.ended || (stream < impl.resume_points.size() && impl.resume_points[stream]);
  });
  if (stream < impl.resume_points.size() && impl.resume_points[stream]) {
    return *impl.resume_points[stream];
  }
  return impl.end_status.is_ok() ? Status(ErrorCode::kInternal, "the sender has finished")
                                 : impl.end_status;
}

Status Sender::push(StreamId stream, Frame frame) {
  Impl& impl = *impl_;
  if (stream >= impl.streams.size() || !impl.streams[stream].queue) {
    return Status(ErrorCode::kInternal, fmt::format("stream {} is not a push stream", stream));
  }
  if (Status status = check_frame_name(frame); !status) return status;
  if (frame.capture_time_ns == 0) {
    frame.capture_time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  }
  return impl.streams[stream].queue->push(std::move(frame));
}

Status Sender::flush() {
  return flush(std::chrono::milliseconds::max());
}

Status Sender::flush(std::chrono::milliseconds timeout) {
  Impl& impl = *impl_;
  std::vector<std::uint64_t> pushed(impl.streams.size(), 0);
  for (std::size_t id = 0; id < impl.streams.size(); ++id) {
    if (impl.streams[id].queue) pushed[id] = impl.streams[id].queue->counters().pushed;
  }
  // Drops in a queue are not network events: have the counts published now.
  asio::post(impl.io, [&impl] {
    if (impl.loop) impl.publish(false);
  });
  std::unique_lock lock(impl.shared_mutex);
  auto settled = [&] {
    if (impl.ended) return true;
    for (std::size_t id = 0; id < pushed.size(); ++id) {
      const std::uint64_t done = id < impl.settled.size() ? impl.settled[id] : 0;
      if (done < pushed[id]) return false;
    }
    return true;
  };
  if (timeout >= kLongestWait) {
    impl.shared_changed.wait(lock, settled);
  } else if (!impl.shared_changed.wait_for(lock, timeout, settled)) {
    return Status(ErrorCode::kTimeout, "frames are still waiting for their acknowledgement");
  }
  if (impl.ended && !impl.end_status.is_ok()) return impl.end_status;
  return Status::ok();
}

SendSummary Sender::summary() const {
  Impl& impl = *impl_;
  if (!impl.network_started) return {};
  std::unique_lock lock(impl.shared_mutex);
  if (impl.ended) return impl.published_summary;  // the final one
  const std::uint64_t asked_at = impl.summary_generation;
  lock.unlock();
  // The tallies belong to the network thread: it computes the summary. If it ends before
  // running this, it has published the final summary.
  asio::post(impl.io, [&impl] {
    if (impl.loop) impl.publish_summary();
  });
  lock.lock();
  impl.shared_changed.wait(lock, [&] { return impl.ended || impl.summary_generation != asked_at; });
  return impl.published_summary;
}

void Sender::count_source_drops(StreamId stream, std::uint64_t frames) {
  if (stream < impl_->streams.size() && impl_->streams[stream].queue) {
    impl_->streams[stream].queue->count_source_drops(frames);
  }
}

void Sender::end_stream(StreamId stream) {
  if (stream < impl_->streams.size() && impl_->streams[stream].queue) {
    impl_->streams[stream].queue->end();
  }
}

Result<SendSummary> Sender::finish() {
  Impl& impl = *impl_;
  if (!impl.started) return Status(ErrorCode::kInternal, "finish() before start()");
  if (impl.joined) return Status(ErrorCode::kInternal, "finish() called twice");
  for (StreamId id = 0; id < impl.streams.size(); ++id) end_stream(id);
  impl.thread.join();
  impl.joined = true;
  if (!impl.loop->result()) return impl.loop->result();
  // The one the network thread computed as it ended, so that summary() and
  // finish() give the same figures (the duration included).
  std::lock_guard lock(impl.shared_mutex);
  return impl.published_summary;
}

void Sender::cancel() {
  Impl& impl = *impl_;
  impl.cancel_requested = true;
  impl.fail_queues(Status(ErrorCode::kCancelled, "the send was cancelled"));
  // Runs on the network thread once it runs (never, if start() never comes);
  // `started` and `loop` belong to other threads, so nothing here reads them.
  asio::post(impl.io, [&impl] {
    if (impl.loop) impl.loop->cancel();
  });
}

SendProgress Sender::progress() const {
  std::lock_guard lock(impl_->shared_mutex);
  return impl_->progress;
}

Status check_streams(const std::vector<StreamSpec>& streams) {
  for (std::size_t i = 0; i < streams.size(); ++i) {
    const StreamSpec& spec = streams[i];
    if (Status status = check_stream_name(spec.name, spec.source_kind); !status) return status;
    for (std::size_t j = 0; j < i; ++j) {
      if (streams[j].name == spec.name) {
        // The receiver would answer stream_busy, which reads as "retry".
        return Status(ErrorCode::kBadName,
                      fmt::format("stream name \"{}\" is given twice; each stream can be sent "
                                  "once per connection",
                                  spec.name));
      }
    }
    if (Status status = check_folder(spec); !status) return status;
  }
  return Status::ok();
}

Result<SendSummary> send_folders(const SenderOptions& options) {
  if (options.streams.empty()) return Status(ErrorCode::kMalformed, "no stream to send");
  if (Status status = check_streams(options.streams); !status) return status;
  Sender sender(options);
  for (const StreamSpec& spec : options.streams) {
    if (auto added = sender.add_folder(spec); !added) return added.status();
  }
  if (Status status = sender.start(); !status) return status;
  return sender.finish();
}

}  // namespace framewire
