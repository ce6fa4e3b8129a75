// TEMPORARY stand-in (view branch) so the live view can be built and tested
// before the lead's receiver_metrics.cpp lands: the lead's file replaces this
// one whole when merging. Implements receiver_metrics.hpp plainly.
#include "observe/receiver_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace framewire::observe {

namespace {

const std::vector<double> kLatencyBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                            0.1,   0.25,   0.5,   1.0,  2.5,   10.0};

void observe_into(HistogramFigures& h, double value) {
  if (h.upper_bounds.empty()) {
    h.upper_bounds = kLatencyBounds;
    h.bucket_counts.assign(kLatencyBounds.size() + 1, 0);
  }
  for (std::size_t i = 0; i < h.upper_bounds.size(); ++i) {
    if (value <= h.upper_bounds[i]) ++h.bucket_counts[i];
  }
  ++h.bucket_counts.back();
  ++h.count;
  h.sum += value;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index =
      static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size()))) - 1;
  return values[std::min(index, values.size() - 1)];
}

}  // namespace

struct ReceiverMetrics::Stream {
  StreamFigures figures;
  std::chrono::steady_clock::time_point last_frame{};
  bool any_frame = false;
  std::deque<Recent> recent;
};

ReceiverMetrics::ReceiverMetrics() : ReceiverMetrics(Options{}) {}

ReceiverMetrics::ReceiverMetrics(Options options)
    : options_(options), started_(std::chrono::steady_clock::now()) {
  totals_.commit_seconds.upper_bounds = kLatencyBounds;
  totals_.commit_seconds.bucket_counts.assign(kLatencyBounds.size() + 1, 0);
  totals_.latency_seconds = totals_.commit_seconds;
}

ReceiverMetrics::~ReceiverMetrics() = default;

void ReceiverMetrics::set_gauges(std::function<ReceiverGauges()> gauges) {
  const std::lock_guard lock(mutex_);
  gauges_ = std::move(gauges);
}

void ReceiverMetrics::on_event(const Event& event) {
  const auto now = std::chrono::steady_clock::now();
  const std::lock_guard lock(mutex_);
  auto stream_named = [&](const std::string& name) -> Stream& {
    auto& slot = streams_[name];
    if (!slot) {
      slot = std::make_unique<Stream>();
      slot->figures.name = name;
    }
    return *slot;
  };
  if (const auto* opened = std::get_if<ConnectionOpened>(&event)) {
    ++totals_.connections_opened;
    connections_[opened->connection] = false;
  } else if (const auto* hs = std::get_if<ConnectionHandshaken>(&event)) {
    connections_[hs->connection] = true;
  } else if (const auto* closed = std::get_if<ConnectionClosed>(&event)) {
    connections_.erase(closed->connection);
    if (closed->error != ErrorCode::kOk)
      ++totals_.errors_by_code[std::string(to_string(closed->error))];
  } else if (const auto* sopen = std::get_if<StreamOpened>(&event)) {
    Stream& s = stream_named(sopen->stream);
    s.figures.open = true;
    s.figures.peer = sopen->peer;
    s.figures.connection = sopen->connection;
    s.figures.source_kind = sopen->source_kind;
  } else if (const auto* sclosed = std::get_if<StreamClosed>(&event)) {
    stream_named(sclosed->stream).figures.open = false;
  } else if (const auto* stored = std::get_if<FrameStored>(&event)) {
    Stream& s = stream_named(stored->stream);
    if (stored->already_stored) {
      ++s.figures.frames_already_stored;
      return;
    }
    if (!stored->source_kind.empty()) s.figures.source_kind = stored->source_kind;
    s.figures.connection = stored->connection;
    ++s.figures.frames_stored;
    s.figures.bytes_stored += stored->bytes;
    s.figures.frames_dropped += stored->skipped_before;
    s.figures.last_sequence = stored->sequence;
    s.figures.last_file_name = stored->file_name;
    s.last_frame = now;
    s.any_frame = true;
    double latency = -1;
    if (stored->capture_time_ns > 0 && stored->stored_time_ns >= stored->capture_time_ns) {
      latency = static_cast<double>(stored->stored_time_ns - stored->capture_time_ns) / 1e9;
      observe_into(s.figures.latency_seconds, latency);
      observe_into(totals_.latency_seconds, latency);
    }
    s.recent.push_back({now, stored->bytes, latency});
    ++totals_.frames_stored;
    totals_.bytes_stored += stored->bytes;
  } else if (const auto* rejected = std::get_if<FrameRejected>(&event)) {
    ++stream_named(rejected->stream).figures.frames_rejected;
    ++totals_.frames_rejected;
    ++totals_.rejects_by_code[std::string(to_string(rejected->code))];
  } else if (const auto* committed = std::get_if<GroupCommitted>(&event)) {
    observe_into(totals_.commit_seconds, committed->seconds);
  }
}

ReceiverFigures ReceiverMetrics::snapshot() const {
  const auto now = std::chrono::steady_clock::now();
  const std::lock_guard lock(mutex_);
  ReceiverFigures out = totals_;
  out.uptime_seconds = std::chrono::duration<double>(now - started_).count();
  out.connections_handshaking = 0;
  out.connections_active = 0;
  for (const auto& [id, handshaken] : connections_) {
    ++(handshaken ? out.connections_active : out.connections_handshaking);
  }
  if (gauges_) {
    const ReceiverGauges g = gauges_();
    out.storage_queue_buffers = g.storage_queue_buffers;
    out.buffer_pool_bytes_in_use = g.buffer_pool_bytes_in_use;
    out.buffer_pool_bytes_limit = g.buffer_pool_bytes_limit;
  }
  const double window = std::chrono::duration<double>(options_.rate_window).count();
  for (const auto& [name, stream] : streams_) {
    auto& recent = stream->recent;
    while (!recent.empty() && now - recent.front().at > options_.rate_window) recent.pop_front();
    StreamFigures f = stream->figures;
    std::uint64_t bytes = 0;
    std::vector<double> latencies;
    for (const auto& r : recent) {
      bytes += r.bytes;
      if (r.latency_s >= 0) latencies.push_back(r.latency_s * 1e3);
    }
    f.frames_per_second = static_cast<double>(recent.size()) / window;
    f.bytes_per_second = static_cast<double>(bytes) / window;
    f.latency_ms_p50 = percentile(latencies, 0.5);
    f.latency_ms_p99 = percentile(latencies, 0.99);
    f.latency_ms_last = latencies.empty() ? 0 : latencies.back();
    f.seconds_since_last_frame =
        stream->any_frame ? std::chrono::duration<double>(now - stream->last_frame).count() : -1;
    f.stale = !f.open || (stream->any_frame && now - stream->last_frame > options_.stale_after);
    out.streams.push_back(std::move(f));
  }
  return out;
}

std::string to_prometheus(const ReceiverFigures& figures) {
  std::string out;
  auto it = std::back_inserter(out);
  auto family = [&](std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(it, "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  family("framewire_frames_stored_total", "counter", "Frames stored.");
  fmt::format_to(it, "framewire_frames_stored_total {}\n", figures.frames_stored);
  family("framewire_stored_bytes_total", "counter", "Bytes of frames stored.");
  fmt::format_to(it, "framewire_stored_bytes_total {}\n", figures.bytes_stored);
  family("framewire_frames_rejected_total", "counter", "Frames rejected.");
  fmt::format_to(it, "framewire_frames_rejected_total {}\n", figures.frames_rejected);
  family("framewire_stream_frames_stored_total", "counter", "Frames stored per stream.");
  for (const auto& s : figures.streams) {
    fmt::format_to(it, "framewire_stream_frames_stored_total{{stream=\"{}\"}} {}\n", s.name,
                   s.frames_stored);
  }
  return out;
}

std::string to_json(const ReceiverFigures& figures) {
  nlohmann::json streams = nlohmann::json::array();
  for (const auto& s : figures.streams) {
    streams.push_back({{"name", s.name},
                       {"source_kind", s.source_kind},
                       {"peer", s.peer},
                       {"open", s.open},
                       {"stale", s.stale},
                       {"frames_stored", s.frames_stored},
                       {"bytes_stored", s.bytes_stored},
                       {"frames_rejected", s.frames_rejected},
                       {"frames_dropped", s.frames_dropped},
                       {"frames_per_second", s.frames_per_second},
                       {"bytes_per_second", s.bytes_per_second},
                       {"seconds_since_last_frame", s.seconds_since_last_frame},
                       {"last_sequence", s.last_sequence},
                       {"last_file_name", s.last_file_name},
                       {"latency_ms_p50", s.latency_ms_p50},
                       {"latency_ms_p99", s.latency_ms_p99}});
  }
  return nlohmann::json{{"uptime_seconds", figures.uptime_seconds},
                        {"frames_stored", figures.frames_stored},
                        {"bytes_stored", figures.bytes_stored},
                        {"streams", streams}}
      .dump();
}

}  // namespace framewire::observe
