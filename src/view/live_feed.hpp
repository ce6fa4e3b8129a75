// LiveFeed: the newest stored frame of every stream, for the live view.
//
// An observer of the receiver (observe::Observer). On FrameStored it replaces
// the stream's newest frame under a short lock and bumps the stream's
// generation; it never queues, so however slowly the HTTP side reads, the
// feed holds one small record per stream. The HTTP thread polls it
// (changed_since) for the streams some browser is watching.
//
// Threads: on_event() from the receiver's network and storage threads;
// newest() and changed_since() from any thread (the HTTP thread).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "observe/observer.hpp"

namespace framewire::view {

struct LatestFrame {
  std::string stream;
  std::string file_name;  // as stored, under ROOT/<stream>/
  std::string source_kind;
  std::uint64_t sequence = 0;
  std::int64_t capture_time_ns = 0;  // 0: unknown
  std::uint64_t generation = 0;      // bumped by every stored frame of this stream, from 1
};

class LiveFeed final : public observe::Observer {
 public:
  void on_event(const observe::Event& event) override;

  // The stream's newest frame, if any was stored since the receiver started.
  std::optional<LatestFrame> newest(std::string_view stream) const;
  // The newest frame if its generation is above `generation`, else nothing.
  std::optional<LatestFrame> changed_since(std::string_view stream, std::uint64_t generation) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, LatestFrame, std::less<>> latest_;
};

}  // namespace framewire::view
