#include "view/live_messages.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "observe/receiver_metrics.hpp"
#include "storage/safe_name.hpp"

namespace framewire::view {

namespace {

constexpr std::size_t kNameLengthBytes = 2;
constexpr std::size_t kSequenceBytes = 8;

// The rig is the stream name before its last '/': rig1/visible and
// rig1/infrared are shown side by side.
std::string rig_of(std::string_view stream) {
  const auto slash = stream.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(stream.substr(0, slash));
}

}  // namespace

std::vector<std::uint8_t> encode_preview_message(std::string_view stream, std::uint64_t sequence,
                                                 std::span<const std::uint8_t> jpeg) {
  // Stream names are at most 1024 bytes (storage::validate_stream_name).
  const auto name_length = static_cast<std::uint16_t>(std::min<std::size_t>(stream.size(), 0xFFFF));
  std::vector<std::uint8_t> out;
  out.reserve(kNameLengthBytes + name_length + kSequenceBytes + jpeg.size());
  out.push_back(static_cast<std::uint8_t>(name_length >> 8));
  out.push_back(static_cast<std::uint8_t>(name_length & 0xFF));
  out.insert(out.end(), stream.begin(), stream.begin() + name_length);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>((sequence >> shift) & 0xFF));
  }
  out.insert(out.end(), jpeg.begin(), jpeg.end());
  return out;
}

Result<PreviewMessage> decode_preview_message(std::span<const std::uint8_t> message) {
  if (message.size() < kNameLengthBytes) {
    return Status(ErrorCode::kMalformed, "preview message shorter than its name length");
  }
  const std::size_t name_length = (std::size_t{message[0]} << 8) | message[1];
  if (message.size() < kNameLengthBytes + name_length + kSequenceBytes) {
    return Status(
        ErrorCode::kMalformed,
        fmt::format("preview message of {} bytes, shorter than its header", message.size()));
  }
  PreviewMessage out;
  const auto name = message.subspan(kNameLengthBytes, name_length);
  out.stream.assign(name.begin(), name.end());
  for (std::size_t i = 0; i < kSequenceBytes; ++i) {
    out.sequence = (out.sequence << 8) | message[kNameLengthBytes + name_length + i];
  }
  out.jpeg = message.subspan(kNameLengthBytes + name_length + kSequenceBytes);
  return out;
}

Result<std::vector<WatchRequest>> parse_watch_message(std::string_view text) {
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || !json.contains("watch") ||
      !json["watch"].is_array()) {
    return Status(ErrorCode::kMalformed, R"(expected {"watch":[{"stream":..., "palette":...}]})");
  }
  const auto& list = json["watch"];
  if (list.size() > kMaxWatchedStreams) {
    return Status(ErrorCode::kMalformed,
                  fmt::format("{} streams watched, at most {}", list.size(), kMaxWatchedStreams));
  }
  std::vector<WatchRequest> out;
  for (const auto& entry : list) {
    if (!entry.is_object() || !entry.contains("stream") || !entry["stream"].is_string()) {
      return Status(ErrorCode::kMalformed, "every watched entry needs a \"stream\" string");
    }
    WatchRequest request{.stream = entry["stream"].get<std::string>()};
    if (Status valid = storage::validate_stream_name(request.stream); !valid.is_ok()) return valid;
    if (entry.contains("palette")) {
      if (!entry["palette"].is_string()) {
        return Status(ErrorCode::kMalformed, "\"palette\" must be a string");
      }
      const auto palette = parse_palette(entry["palette"].get<std::string>());
      if (!palette) {
        return Status(ErrorCode::kMalformed,
                      fmt::format("unknown palette '{}' (grey, ironbow, inferno)",
                                  entry["palette"].get<std::string>()));
      }
      request.palette = *palette;
    }
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const WatchRequest& w) { return w.stream == request.stream; });
    if (same != out.end()) {
      same->palette = request.palette;
    } else {
      out.push_back(std::move(request));
    }
  }
  return out;
}

std::string encode_watch_message(const std::vector<WatchRequest>& watch) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& w : watch) {
    list.push_back({{"stream", w.stream}, {"palette", to_string(w.palette)}});
  }
  return nlohmann::json{{"watch", list}}.dump();
}

std::string figures_body(const observe::ReceiverFigures& figures) {
  nlohmann::json streams = nlohmann::json::array();
  for (const auto& s : figures.streams) {
    streams.push_back({
        {"name", s.name},
        {"rig", rig_of(s.name)},
        {"source_kind", s.source_kind},
        {"peer", s.peer},
        {"connection", s.connection},
        {"open", s.open},
        {"stale", s.stale},
        {"frames_per_second", s.frames_per_second},
        {"bytes_per_second", s.bytes_per_second},
        {"frames_stored", s.frames_stored},
        {"frames_dropped", s.frames_dropped},
        {"frames_rejected", s.frames_rejected},
        {"latency_ms_p50", s.latency_ms_p50},
        {"latency_ms_p99", s.latency_ms_p99},
        {"seconds_since_last_frame", s.seconds_since_last_frame},
        {"last_sequence", s.last_sequence},
    });
  }
  return nlohmann::json{{"uptime_seconds", figures.uptime_seconds},
                        {"frames_stored", figures.frames_stored},
                        {"connections_active", figures.connections_active},
                        {"streams", streams}}
      .dump();
}

std::string with_lost(std::string_view figures_body, std::uint64_t lost) {
  // figures_body is a JSON object "{...}": splice the two fields in front.
  const std::string_view rest = figures_body.size() > 1 ? figures_body.substr(1) : "}";
  const std::string_view comma = rest.front() == '}' ? "" : ",";
  return fmt::format(R"({{"type":"figures","lost":{}{}{})", lost, comma, rest);
}

}  // namespace framewire::view
