#include "view/live_feed.hpp"

#include <variant>

namespace framewire::view {

void LiveFeed::on_event(const observe::Event& event) {
  const auto* stored = std::get_if<observe::FrameStored>(&event);
  // A resend of a frame stored earlier wrote nothing: the newest frame is unchanged.
  if (stored == nullptr || stored->already_stored) return;
  const std::lock_guard lock(mutex_);
  auto it = latest_.find(stored->stream);
  if (it == latest_.end()) {
    it = latest_.emplace(stored->stream, LatestFrame{.stream = stored->stream}).first;
  }
  LatestFrame& latest = it->second;
  // A frame of an older sequence (a late resend settled out of order) never
  // replaces a newer one.
  if (latest.generation != 0 && stored->sequence < latest.sequence) return;
  latest.file_name = stored->file_name;
  latest.source_kind = stored->source_kind;
  latest.sequence = stored->sequence;
  latest.capture_time_ns = stored->capture_time_ns;
  ++latest.generation;
}

std::optional<LatestFrame> LiveFeed::newest(std::string_view stream) const {
  return changed_since(stream, 0);
}

std::optional<LatestFrame> LiveFeed::changed_since(std::string_view stream,
                                                   std::uint64_t generation) const {
  const std::lock_guard lock(mutex_);
  const auto it = latest_.find(stream);
  if (it == latest_.end() || it->second.generation <= generation) return std::nullopt;
  return it->second;
}

}  // namespace framewire::view
