// The /live WebSocket's messages (docs/ARCHITECTURE.md, "View"), encoded and
// decoded here so they can be tested byte by byte without a socket.
//
// server -> client, text: figures, every figures_interval
//   {"type":"figures","lost":N,"uptime_seconds":S,"streams":[{...}, ...]}
//   lost: previews this client skipped because a newer one replaced them
//   while it was still reading an older one.
// server -> client, binary: one preview (big-endian integers)
//   +--------------+-----------------+-----------------+-------------+
//   | name_len u16 | name (name_len) | sequence u64    | JPEG ...    |
//   +--------------+-----------------+-----------------+-------------+
// client -> server, text: what it watches, replacing its previous list
//   {"watch":[{"stream":"rig1/infrared","palette":"ironbow"}, ...]}
//
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "framewire/status.hpp"
#include "view/preview.hpp"

namespace framewire::observe {
struct ReceiverFigures;
}  // namespace framewire::observe

namespace framewire::view {

inline constexpr std::size_t kMaxWatchedStreams = 1024;

struct WatchRequest {
  std::string stream;
  Palette palette = Palette::kGrey;
  bool operator==(const WatchRequest&) const = default;
};

struct PreviewMessage {
  std::string stream;
  std::uint64_t sequence = 0;
  std::span<const std::uint8_t> jpeg;  // a view of the decoded message
};

std::vector<std::uint8_t> encode_preview_message(std::string_view stream, std::uint64_t sequence,
                                                 std::span<const std::uint8_t> jpeg);
// kMalformed for a message shorter than its header says.
Result<PreviewMessage> decode_preview_message(std::span<const std::uint8_t> message);

// Parses a client's watch list. kMalformed (not that JSON shape, an unknown
// palette, more than kMaxWatchedStreams), kBadName (a stream name that
// breaks the name rules). A stream named twice keeps its last palette.
Result<std::vector<WatchRequest>> parse_watch_message(std::string_view text);
std::string encode_watch_message(const std::vector<WatchRequest>& watch);

// The figures message without the client's own count: "{...}" to which
// with_lost() adds "type" and "lost".
std::string figures_body(const observe::ReceiverFigures& figures);
std::string with_lost(std::string_view figures_body, std::uint64_t lost);

}  // namespace framewire::view
