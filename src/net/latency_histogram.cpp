#include "net/latency_histogram.hpp"

#include <algorithm>
#include <cmath>

namespace framewire::net {

namespace {

constexpr double kGrowth = 1.01;  // each bucket 1% wider than the one before
// 1.01^2905 ns is about 3.6e12 ns: an hour.
constexpr std::size_t kBuckets = 2906;

std::size_t bucket_of(std::int64_t ns) {
  if (ns <= 1) return 0;
  const double index = std::ceil(std::log(static_cast<double>(ns)) / std::log(kGrowth));
  return std::min(static_cast<std::size_t>(index), kBuckets - 1);
}

}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBuckets, 0) {}

void LatencyHistogram::record(std::chrono::nanoseconds sample) {
  const std::int64_t ns = std::max<std::int64_t>(sample.count(), 0);
  ++buckets_[bucket_of(ns)];
  ++count_;
  max_ns_ = std::max(max_ns_, ns);
}

double LatencyHistogram::bucket_top_ns(std::size_t index) {
  return std::pow(kGrowth, static_cast<double>(index));
}

// The smallest bucket top below which at least `fraction` of the samples lie,
// capped by the exact maximum (the top bucket's edge can exceed it).
double LatencyHistogram::percentile_ns(double fraction) const {
  if (count_ == 0) return 0;
  const auto wanted = static_cast<std::uint64_t>(std::ceil(fraction * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= std::max<std::uint64_t>(wanted, 1)) {
      return std::min(bucket_top_ns(i), static_cast<double>(max_ns_));
    }
  }
  return static_cast<double>(max_ns_);
}

LatencySummary LatencyHistogram::summary() const {
  constexpr double kNsPerMs = 1e6;
  return LatencySummary{.count = count_,
                        .p50_ms = percentile_ns(0.50) / kNsPerMs,
                        .p95_ms = percentile_ns(0.95) / kNsPerMs,
                        .p99_ms = percentile_ns(0.99) / kNsPerMs,
                        .max_ms = static_cast<double>(max_ns_) / kNsPerMs};
}

}  // namespace framewire::net
