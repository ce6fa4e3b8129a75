#include "observe/fixed_histogram.hpp"

#include <algorithm>

#include "observe/receiver_metrics.hpp"

namespace framewire::observe {

FixedHistogram::FixedHistogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), counts_(upper_bounds_.size() + 1, 0) {}

void FixedHistogram::record(double seconds) {
  seconds = std::max(seconds, 0.0);  // a clock step between two hosts or readings
  const auto bucket = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), seconds);
  ++counts_[static_cast<std::size_t>(bucket - upper_bounds_.begin())];
  ++count_;
  sum_ += seconds;
}

HistogramFigures FixedHistogram::figures() const {
  HistogramFigures out;
  out.upper_bounds = upper_bounds_;
  out.bucket_counts.reserve(counts_.size());
  std::uint64_t running = 0;
  for (const std::uint64_t n : counts_) {
    running += n;
    out.bucket_counts.push_back(running);
  }
  out.count = count_;
  out.sum = sum_;
  return out;
}

std::vector<double> FixedHistogram::commit_bounds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

std::vector<double> FixedHistogram::latency_bounds() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

}  // namespace framewire::observe
