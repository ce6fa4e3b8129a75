// LatencyHistogram: percentiles within its 1% bucket width of the exact ones,
// the maximum exact, nothing recorded reads as zeros.
#include "net/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace framewire::net {
namespace {

using std::chrono::microseconds;
using std::chrono::nanoseconds;

TEST(LatencyHistogram, EmptyIsAllZero) {
  const LatencySummary summary = LatencyHistogram().summary();
  EXPECT_EQ(summary.count, 0u);
  EXPECT_EQ(summary.p50_ms, 0.0);
  EXPECT_EQ(summary.max_ms, 0.0);
}

TEST(LatencyHistogram, PercentilesAreWithinOnePercent) {
  LatencyHistogram histogram;
  // 1..1000 microseconds, once each: p50 = 500 us, p95 = 950 us, p99 = 990 us.
  for (int us = 1000; us >= 1; --us) histogram.record(microseconds(us));
  const LatencySummary summary = histogram.summary();
  EXPECT_EQ(summary.count, 1000u);
  EXPECT_NEAR(summary.p50_ms, 0.500, 0.005);
  EXPECT_NEAR(summary.p95_ms, 0.950, 0.0095);
  EXPECT_NEAR(summary.p99_ms, 0.990, 0.0099);
  EXPECT_DOUBLE_EQ(summary.max_ms, 1.0);
}

TEST(LatencyHistogram, NegativeSamplesCountAsZeroAndHugeOnesAreKept) {
  LatencyHistogram histogram;
  histogram.record(nanoseconds(-5));
  histogram.record(std::chrono::hours(3));
  const LatencySummary summary = histogram.summary();
  EXPECT_EQ(summary.count, 2u);
  EXPECT_LT(summary.p50_ms, 0.001);
  EXPECT_DOUBLE_EQ(summary.max_ms, 3 * 3600 * 1000.0);
  EXPECT_LE(summary.p99_ms, summary.max_ms);
}

}  // namespace
}  // namespace framewire::net
