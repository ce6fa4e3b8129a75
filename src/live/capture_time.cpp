// Capture time on the steady clock (capture_time.hpp).
#include "live/capture_time.hpp"

namespace framewire::live {

SteadyTime steady_capture_time(std::int64_t capture_time_ns, SteadyTime opened_at,
                               SteadyTime steady_now, std::int64_t realtime_now_ns) {
  const std::int64_t age_ns =
      realtime_now_ns > capture_time_ns ? realtime_now_ns - capture_time_ns : 0;
  const auto since_open = steady_now - opened_at;
  if (since_open < std::chrono::steady_clock::duration::zero() ||
      std::chrono::nanoseconds(age_ns) > since_open) {
    return SteadyTime{};
  }
  return steady_now - std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                          std::chrono::nanoseconds(age_ns));
}

}  // namespace framewire::live
