// A histogram over fixed bucket edges, in the shape Prometheus exposes
// (cumulative counts per upper bound, a count and a sum). Not thread-safe:
// its owner (ReceiverMetrics) holds it under its lock.
#pragma once

#include <cstdint>
#include <vector>

namespace framewire::observe {

struct HistogramFigures;

class FixedHistogram {
 public:
  // `upper_bounds` ascending, in seconds; a +Inf bucket is implied after the last.
  explicit FixedHistogram(std::vector<double> upper_bounds);

  void record(double seconds);
  HistogramFigures figures() const;

  // Edges for a group commit (write + fsync + rename + manifest): 100 us to 10 s.
  static std::vector<double> commit_bounds();
  // Edges for capture->stored latency: 1 ms to 60 s.
  static std::vector<double> latency_bounds();

 private:
  std::vector<double> upper_bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative; last is +Inf
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace framewire::observe
