#include "observe/receiver_metrics.hpp"

#include <algorithm>
#include <deque>

namespace framewire::observe {

namespace {

using Clock = std::chrono::steady_clock;

// Recent frames kept per stream for its rates and recent latency; the cap
// only matters above 5,000 frames per second (the rate then reads low).
constexpr std::size_t kMaxRecentFrames = 10'000;
// A rate over less time than this is mostly noise (one frame just in).
constexpr double kShortestRateSpan = 0.25;

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

double percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  const auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index),
                   values.end());
  return values[index];
}

}  // namespace

struct ReceiverMetrics::Stream {
  struct Recent {
    Clock::time_point at;
    std::uint64_t bytes = 0;
    double latency_s = -1;  // < 0: the frame had no capture time
  };
  StreamFigures counted;  // the fields kept by counting; the rest is worked out per snapshot
  Clock::time_point opened_at{};
  Clock::time_point last_frame_at{};
  Clock::time_point first_recent_at{};  // first frame since the stream (re)opened
  std::deque<Recent> recent;
  double last_latency_s = -1;
  FixedHistogram latency{FixedHistogram::latency_bounds()};

  void forget_older_than(Clock::time_point cutoff) {
    while (!recent.empty() && recent.front().at < cutoff) recent.pop_front();
  }
};

ReceiverMetrics::ReceiverMetrics() : ReceiverMetrics(Options{}) {}

ReceiverMetrics::ReceiverMetrics(Options options)
    : options_(options),
      commit_seconds_(FixedHistogram::commit_bounds()),
      latency_seconds_(FixedHistogram::latency_bounds()) {}

ReceiverMetrics::~ReceiverMetrics() = default;

void ReceiverMetrics::set_gauges(std::function<ReceiverGauges()> gauges) {
  const std::lock_guard lock(mutex_);
  gauges_ = std::move(gauges);
}

void ReceiverMetrics::on_event(const Event& event) {
  const std::lock_guard lock(mutex_);
  std::visit([this](const auto& e) { on(e); }, event);
}

ReceiverMetrics::Stream& ReceiverMetrics::stream(const std::string& name) {
  auto& slot = streams_[name];
  if (!slot) {
    slot = std::make_unique<Stream>();
    slot->counted.name = name;
  }
  return *slot;
}

void ReceiverMetrics::on(const ConnectionOpened& event) {
  ++connections_opened_;
  connections_[event.connection] = false;
}

void ReceiverMetrics::on(const ConnectionHandshaken& event) {
  const auto it = connections_.find(event.connection);
  if (it != connections_.end()) it->second = true;
}

void ReceiverMetrics::on(const ConnectionClosed& event) {
  connections_.erase(event.connection);
  if (event.error != ErrorCode::kOk) ++errors_by_code_[std::string(to_string(event.error))];
  // A stream whose connection ended without closing it (a cut) is no longer open.
  for (auto& [name, stream] : streams_) {
    if (stream->counted.connection == event.connection) stream->counted.open = false;
  }
}

void ReceiverMetrics::on(const StreamOpened& event) {
  Stream& s = stream(event.stream);
  s.counted.source_kind = event.source_kind;
  s.counted.peer = event.peer;
  s.counted.connection = event.connection;
  s.counted.open = true;
  s.opened_at = Clock::now();
  s.first_recent_at = {};
  s.recent.clear();
}

void ReceiverMetrics::on(const StreamClosed& event) {
  const auto it = streams_.find(event.stream);
  // A newer connection may have taken the stream over already: only its
  // own connection closes it.
  if (it != streams_.end() && it->second->counted.connection == event.connection) {
    it->second->counted.open = false;
  }
}

void ReceiverMetrics::on(const FrameStored& event) {
  const auto now = Clock::now();
  Stream& s = stream(event.stream);
  StreamFigures& c = s.counted;
  c.frames_dropped += event.skipped_before;
  if (event.already_stored) {
    ++c.frames_already_stored;
    return;
  }
  ++c.frames_stored;
  c.bytes_stored += event.bytes;
  c.last_sequence = event.sequence;
  c.last_file_name = event.file_name;
  if (!event.source_kind.empty()) c.source_kind = event.source_kind;
  ++frames_stored_;
  bytes_stored_ += event.bytes;

  double latency_s = -1;
  if (event.capture_time_ns > 0 && event.stored_time_ns > 0) {
    latency_s = static_cast<double>(event.stored_time_ns - event.capture_time_ns) / 1e9;
    latency_s = std::max(latency_s, 0.0);
    s.latency.record(latency_s);
    latency_seconds_.record(latency_s);
  }
  s.last_latency_s = latency_s;
  s.last_frame_at = now;
  if (s.recent.empty() && s.first_recent_at == Clock::time_point{}) s.first_recent_at = now;
  s.recent.push_back({.at = now, .bytes = event.bytes, .latency_s = latency_s});
  s.forget_older_than(now - options_.rate_window);
  if (s.recent.size() > kMaxRecentFrames) s.recent.pop_front();
}

void ReceiverMetrics::on(const FrameRejected& event) {
  ++frames_rejected_;
  ++rejects_by_code_[std::string(to_string(event.code))];
  ++stream(event.stream).counted.frames_rejected;
}

void ReceiverMetrics::on(const GroupCommitted& event) {
  if (event.frames > 0) commit_seconds_.record(event.seconds);
}

StreamFigures ReceiverMetrics::figures_of(Stream& s, Clock::time_point now) const {
  s.forget_older_than(now - options_.rate_window);
  StreamFigures out = s.counted;
  const bool any_frame = s.last_frame_at != Clock::time_point{};
  if (any_frame) out.seconds_since_last_frame = seconds_between(s.last_frame_at, now);
  const auto quiet_since = any_frame ? std::max(s.last_frame_at, s.opened_at) : s.opened_at;
  out.stale = !out.open || now - quiet_since > options_.stale_after;

  // Over the window, or since the stream's first frame when it is younger.
  const double window = std::chrono::duration<double>(options_.rate_window).count();
  const double span =
      s.first_recent_at == Clock::time_point{}
          ? window
          : std::clamp(seconds_between(s.first_recent_at, now), kShortestRateSpan, window);
  std::uint64_t bytes = 0;
  std::vector<double> latencies;
  latencies.reserve(s.recent.size());
  for (const auto& frame : s.recent) {
    bytes += frame.bytes;
    if (frame.latency_s >= 0) latencies.push_back(frame.latency_s);
  }
  out.frames_per_second = static_cast<double>(s.recent.size()) / span;
  out.bytes_per_second = static_cast<double>(bytes) / span;
  out.latency_ms_p50 = percentile(latencies, 0.50) * 1e3;
  out.latency_ms_p99 = percentile(latencies, 0.99) * 1e3;
  out.latency_ms_last = s.last_latency_s >= 0 ? s.last_latency_s * 1e3 : 0;
  out.latency_seconds = s.latency.figures();
  return out;
}

ReceiverFigures ReceiverMetrics::snapshot() const {
  const auto now = Clock::now();
  std::function<ReceiverGauges()> gauges;
  ReceiverFigures out;
  {
    const std::lock_guard lock(mutex_);
    gauges = gauges_;
    out.uptime_seconds = seconds_between(started_, now);
    out.connections_opened = connections_opened_;
    for (const auto& [id, handshaken] : connections_) {
      ++(handshaken ? out.connections_active : out.connections_handshaking);
    }
    out.frames_stored = frames_stored_;
    out.bytes_stored = bytes_stored_;
    out.frames_rejected = frames_rejected_;
    out.rejects_by_code = rejects_by_code_;
    out.errors_by_code = errors_by_code_;
    out.commit_seconds = commit_seconds_.figures();
    out.latency_seconds = latency_seconds_.figures();
    out.streams.reserve(streams_.size());
    for (const auto& [name, stream] : streams_) out.streams.push_back(figures_of(*stream, now));
  }
  // Outside the lock: the gauges read other threads' counters.
  if (gauges) {
    const ReceiverGauges g = gauges();
    out.storage_queue_buffers = g.storage_queue_buffers;
    out.buffer_pool_bytes_in_use = g.buffer_pool_bytes_in_use;
    out.buffer_pool_bytes_limit = g.buffer_pool_bytes_limit;
  }
  return out;
}

}  // namespace framewire::observe
