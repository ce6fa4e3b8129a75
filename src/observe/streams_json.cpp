// to_json(): the receiver's figures for /streams and the live view.
#include <nlohmann/json.hpp>

#include "observe/receiver_metrics.hpp"

namespace framewire::observe {

namespace {

nlohmann::ordered_json stream_json(const StreamFigures& s) {
  return {
      {"name", s.name},
      {"source_kind", s.source_kind},
      {"peer", s.peer},
      {"connection", s.connection},
      {"open", s.open},
      {"stale", s.stale},
      {"frames_stored", s.frames_stored},
      {"bytes_stored", s.bytes_stored},
      {"frames_already_stored", s.frames_already_stored},
      {"frames_rejected", s.frames_rejected},
      {"frames_dropped", s.frames_dropped},
      {"fps", s.frames_per_second},
      {"bytes_per_second", s.bytes_per_second},
      // null until a frame is stored
      {"seconds_since_last_frame", s.seconds_since_last_frame >= 0
                                       ? nlohmann::ordered_json(s.seconds_since_last_frame)
                                       : nlohmann::ordered_json()},
      {"last_sequence", s.last_sequence},
      {"last_file_name", s.last_file_name},
      {"latency_ms",
       {{"p50", s.latency_ms_p50}, {"p99", s.latency_ms_p99}, {"last", s.latency_ms_last}}},
  };
}

}  // namespace

std::string to_json(const ReceiverFigures& figures) {
  nlohmann::ordered_json streams = nlohmann::ordered_json::array();
  for (const auto& s : figures.streams) streams.push_back(stream_json(s));
  const nlohmann::ordered_json out = {
      {"uptime_seconds", figures.uptime_seconds},
      {"connections",
       {{"opened", figures.connections_opened},
        {"handshaking", figures.connections_handshaking},
        {"active", figures.connections_active}}},
      {"frames_stored", figures.frames_stored},
      {"bytes_stored", figures.bytes_stored},
      {"frames_rejected", figures.frames_rejected},
      {"rejects_by_code", figures.rejects_by_code},
      {"errors_by_code", figures.errors_by_code},
      {"storage_queue_buffers", figures.storage_queue_buffers},
      {"streams", streams},
  };
  return out.dump();
}

}  // namespace framewire::observe
