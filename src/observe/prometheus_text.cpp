// to_prometheus(): the Prometheus text exposition format, version 0.0.4.
#include <fmt/format.h>

#include <string>
#include <string_view>

#include "observe/receiver_metrics.hpp"

namespace framewire::observe {

namespace {

// Label values escape backslash, double quote and newline.
std::string escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

class Writer {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                   type);
  }
  // `labels` is either empty or `key="value",...` without braces.
  template <typename Number>
  void sample(std::string_view name, std::string_view labels, Number value) {
    if (labels.empty()) {
      fmt::format_to(std::back_inserter(out_), "{} {}\n", name, value);
    } else {
      fmt::format_to(std::back_inserter(out_), "{}{{{}}} {}\n", name, labels, value);
    }
  }
  void histogram(std::string_view name, std::string_view labels, const HistogramFigures& h) {
    const std::string prefix = labels.empty() ? "" : std::string(labels) + ",";
    for (std::size_t i = 0; i < h.bucket_counts.size(); ++i) {
      const std::string le =
          i < h.upper_bounds.size() ? fmt::format("{}", h.upper_bounds[i]) : "+Inf";
      sample(fmt::format("{}_bucket", name), fmt::format("{}le=\"{}\"", prefix, le),
             h.bucket_counts[i]);
    }
    sample(fmt::format("{}_sum", name), labels, h.sum);
    sample(fmt::format("{}_count", name), labels, h.count);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string stream_labels(const StreamFigures& stream) {
  return fmt::format("stream=\"{}\",source=\"{}\"", escape(stream.name),
                     escape(stream.source_kind));
}

void write_receiver(Writer& w, const ReceiverFigures& f) {
  w.family("framewire_uptime_seconds", "gauge", "Seconds since the receiver started.");
  w.sample("framewire_uptime_seconds", "", f.uptime_seconds);
  w.family("framewire_connections_opened_total", "counter", "Connections accepted.");
  w.sample("framewire_connections_opened_total", "", f.connections_opened);
  w.family("framewire_connections", "gauge", "Open connections by state.");
  w.sample("framewire_connections", "state=\"handshaking\"", f.connections_handshaking);
  w.sample("framewire_connections", "state=\"active\"", f.connections_active);
  w.family("framewire_frames_stored_total", "counter",
           "Frames stored and acknowledged (resends of stored frames not counted).");
  w.sample("framewire_frames_stored_total", "", f.frames_stored);
  w.family("framewire_stored_bytes_total", "counter", "Bytes of the frames stored.");
  w.sample("framewire_stored_bytes_total", "", f.bytes_stored);
  w.family("framewire_frames_rejected_total", "counter", "Frames refused, by error code.");
  for (const auto& [code, n] : f.rejects_by_code) {
    w.sample("framewire_frames_rejected_total", fmt::format("code=\"{}\"", escape(code)), n);
  }
  w.family("framewire_connection_errors_total", "counter",
           "Connections closed by an error, by error code.");
  for (const auto& [code, n] : f.errors_by_code) {
    w.sample("framewire_connection_errors_total", fmt::format("code=\"{}\"", escape(code)), n);
  }
  w.family("framewire_commit_duration_seconds", "histogram",
           "Time of one group commit: write, fsync, rename and manifest of a group of frames.");
  w.histogram("framewire_commit_duration_seconds", "", f.commit_seconds);
  w.family("framewire_capture_to_stored_seconds", "histogram",
           "From a frame's capture time (sender's clock) to its acknowledgement (receiver's).");
  w.histogram("framewire_capture_to_stored_seconds", "", f.latency_seconds);
  w.family("framewire_storage_queue_buffers", "gauge",
           "Read buffers waiting for the storage threads, over every connection.");
  w.sample("framewire_storage_queue_buffers", "", f.storage_queue_buffers);
  w.family("framewire_buffer_pool_in_use_bytes", "gauge", "Bytes of read buffers taken.");
  w.sample("framewire_buffer_pool_in_use_bytes", "", f.buffer_pool_bytes_in_use);
  w.family("framewire_buffer_pool_limit_bytes", "gauge", "The read buffer pool's bound.");
  w.sample("framewire_buffer_pool_limit_bytes", "", f.buffer_pool_bytes_limit);
}

void write_streams(Writer& w, const ReceiverFigures& f) {
  struct Counter {
    std::string_view name;
    std::string_view help;
    std::uint64_t StreamFigures::*field;
  };
  const Counter counters[] = {
      {"framewire_stream_frames_stored_total", "Frames stored, per stream.",
       &StreamFigures::frames_stored},
      {"framewire_stream_stored_bytes_total", "Bytes stored, per stream.",
       &StreamFigures::bytes_stored},
      {"framewire_stream_frames_rejected_total", "Frames refused, per stream.",
       &StreamFigures::frames_rejected},
      {"framewire_stream_frames_dropped_total",
       "Sequence numbers skipped by the sender (frames that never arrived), per stream.",
       &StreamFigures::frames_dropped},
      {"framewire_stream_frames_already_stored_total",
       "Resends of frames stored earlier, acknowledged without writing, per stream.",
       &StreamFigures::frames_already_stored},
  };
  for (const Counter& counter : counters) {
    w.family(counter.name, "counter", counter.help);
    for (const auto& s : f.streams) w.sample(counter.name, stream_labels(s), s.*counter.field);
  }
  w.family("framewire_stream_open", "gauge", "1 while a connection has the stream open.");
  for (const auto& s : f.streams)
    w.sample("framewire_stream_open", stream_labels(s), s.open ? 1 : 0);
  w.family("framewire_stream_last_frame_age_seconds", "gauge",
           "Seconds since the stream's last stored frame (absent before the first).");
  for (const auto& s : f.streams) {
    if (s.seconds_since_last_frame >= 0) {
      w.sample("framewire_stream_last_frame_age_seconds", stream_labels(s),
               s.seconds_since_last_frame);
    }
  }
  w.family("framewire_stream_capture_to_stored_seconds", "histogram",
           "Capture-to-stored latency, per stream.");
  for (const auto& s : f.streams) {
    w.histogram("framewire_stream_capture_to_stored_seconds", stream_labels(s), s.latency_seconds);
  }
}

}  // namespace

std::string to_prometheus(const ReceiverFigures& figures) {
  Writer writer;
  write_receiver(writer, figures);
  write_streams(writer, figures);
  return writer.take();
}

}  // namespace framewire::observe
