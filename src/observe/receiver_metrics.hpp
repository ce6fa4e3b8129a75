// The receiver's figures, kept up to date from its events: totals, errors by
// code, connections by state, per stream counters and rates, and the
// histograms of group-commit time and capture->stored latency. Read as a
// snapshot (ReceiverFigures) by /metrics, /streams, the live view and the
// periodic log line.
//
// Threads: on_event() from any thread (a short lock per event, never a
// wait); snapshot() from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "observe/fixed_histogram.hpp"
#include "observe/observer.hpp"

namespace framewire::observe {

// A Prometheus-style cumulative histogram over fixed bucket edges (seconds).
struct HistogramFigures {
  std::vector<double> upper_bounds;          // ascending; +Inf implied after the last
  std::vector<std::uint64_t> bucket_counts;  // cumulative, one per bound, then +Inf
  std::uint64_t count = 0;
  double sum = 0;
};

struct StreamFigures {
  std::string name;
  std::string source_kind;
  std::string peer;  // the connection it comes (or last came) from
  ConnectionId connection = 0;
  bool open = false;   // open on a connection now
  bool stale = false;  // closed, or no frame for ReceiverMetrics::stale_after
  std::uint64_t frames_stored = 0;
  std::uint64_t bytes_stored = 0;
  std::uint64_t frames_already_stored = 0;  // resends acknowledged without writing
  std::uint64_t frames_rejected = 0;
  std::uint64_t frames_dropped = 0;  // sequences the sender skipped (live frames lost)
  double frames_per_second = 0;      // over the last rate_window
  double bytes_per_second = 0;
  double seconds_since_last_frame = -1;  // -1: none yet
  std::uint64_t last_sequence = 0;
  std::string last_file_name;  // "" until a frame is stored
  // capture->stored latency over the stream's recent frames (rate_window), ms;
  // 0 when no frame carried a capture time.
  double latency_ms_p50 = 0;
  double latency_ms_p99 = 0;
  double latency_ms_last = 0;
  HistogramFigures latency_seconds;  // whole run, for /metrics
};

struct ReceiverFigures {
  double uptime_seconds = 0;
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_handshaking = 0;  // open, no HELLO yet
  std::uint64_t connections_active = 0;       // open, handshake done
  std::uint64_t frames_stored = 0;
  std::uint64_t bytes_stored = 0;
  std::uint64_t frames_rejected = 0;
  std::map<std::string, std::uint64_t> rejects_by_code;  // "stale_sequence" -> n
  std::map<std::string, std::uint64_t> errors_by_code;   // connections closed by an error
  HistogramFigures commit_seconds;          // group commits (write + fsync + rename + manifest)
  HistogramFigures latency_seconds;         // capture->stored over every stream
  std::uint64_t storage_queue_buffers = 0;  // read buffers waiting for storage
  std::uint64_t buffer_pool_bytes_in_use = 0;
  std::uint64_t buffer_pool_bytes_limit = 0;
  std::vector<StreamFigures> streams;  // sorted by name
};

// Figures that are read, not counted: filled in by the receiver at snapshot time.
struct ReceiverGauges {
  std::uint64_t storage_queue_buffers = 0;
  std::uint64_t buffer_pool_bytes_in_use = 0;
  std::uint64_t buffer_pool_bytes_limit = 0;
};

class ReceiverMetrics final : public Observer {
 public:
  struct Options {
    std::chrono::milliseconds stale_after{5'000};
    std::chrono::milliseconds rate_window{2'000};
  };
  ReceiverMetrics();
  explicit ReceiverMetrics(Options options);
  ~ReceiverMetrics() override;
  ReceiverMetrics(const ReceiverMetrics&) = delete;
  ReceiverMetrics& operator=(const ReceiverMetrics&) = delete;

  void on_event(const Event& event) override;
  // `gauges` is called by snapshot() (any thread) for the read-only figures.
  void set_gauges(std::function<ReceiverGauges()> gauges);

  ReceiverFigures snapshot() const;

 private:
  struct Stream;
  void on(const ConnectionOpened& event);
  void on(const ConnectionHandshaken& event);
  void on(const ConnectionClosed& event);
  void on(const StreamOpened& event);
  void on(const StreamClosed& event);
  void on(const FrameStored& event);
  void on(const FrameRejected& event);
  void on(const GroupCommitted& event);
  Stream& stream(const std::string& name);
  StreamFigures figures_of(Stream& stream, std::chrono::steady_clock::time_point now) const;

  const Options options_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  mutable std::mutex mutex_;  // guards everything below
  std::function<ReceiverGauges()> gauges_;
  std::map<std::string, std::unique_ptr<Stream>, std::less<>> streams_;
  std::map<ConnectionId, bool> connections_;  // the open ones -> handshake done
  std::uint64_t connections_opened_ = 0;
  std::uint64_t frames_stored_ = 0;
  std::uint64_t bytes_stored_ = 0;
  std::uint64_t frames_rejected_ = 0;
  std::map<std::string, std::uint64_t> rejects_by_code_;
  std::map<std::string, std::uint64_t> errors_by_code_;
  FixedHistogram commit_seconds_;
  FixedHistogram latency_seconds_;
};

// Prometheus text exposition format 0.0.4 (framewire_ prefix, _total,
// _seconds, _bytes), one family per metric with HELP and TYPE.
std::string to_prometheus(const ReceiverFigures& figures);
// {"uptime_seconds":..., "streams":[{"name":..., ...}], ...} for /streams.
std::string to_json(const ReceiverFigures& figures);

}  // namespace framewire::observe
