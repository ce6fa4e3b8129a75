// Where a captured frame falls on this machine's steady clock. A capture stamps each frame with
// CLOCK_REALTIME (CapturedFrame::capture_time_ns: when a pattern was drawn or a camera frame
// decoded, a followed file's mtime); the sender measures latencies on the steady clock, which
// wall-clock steps (NTP, an operator) do not move. Pure; any thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace framewire::live {

using SteadyTime = std::chrono::steady_clock::time_point;

// The steady time of a frame captured at `capture_time_ns`, given both clocks read at one moment
// (`steady_now`, `realtime_now_ns`): steady_now minus the frame's age. A capture time in the
// future (the wall clock stepped back) counts as now. A frame older than `opened_at` (when its
// capture was opened: follow:'s files already in the folder, or a wall clock stepped forward)
// was not seen being captured, so its latency would mean nothing: the result is then
// SteadyTime{} ("not measured", Frame::captured_at's default).
SteadyTime steady_capture_time(std::int64_t capture_time_ns, SteadyTime opened_at,
                               SteadyTime steady_now, std::int64_t realtime_now_ns);

}  // namespace framewire::live
