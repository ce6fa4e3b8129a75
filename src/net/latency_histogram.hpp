// Percentiles of a latency over a whole run in fixed memory: each sample goes
// into a logarithmic bucket 1% wide (1 ns to about an hour; longer samples go
// into the last bucket), so a percentile read back is within 1% of the exact
// one however many frames were sent. The maximum is kept exactly.
// Owned by the sender's network thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "framewire/sender.hpp"

namespace framewire::net {

class LatencyHistogram {
 public:
  LatencyHistogram();

  // Negative samples (a clock step between two readings) count as 0.
  void record(std::chrono::nanoseconds sample);
  std::uint64_t count() const { return count_; }
  LatencySummary summary() const;

 private:
  // The upper edge of bucket `index`, in nanoseconds.
  static double bucket_top_ns(std::size_t index);
  double percentile_ns(double fraction) const;

  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::int64_t max_ns_ = 0;
};

}  // namespace framewire::net
