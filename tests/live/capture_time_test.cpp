// steady_capture_time: a capture's wall-clock stamp placed on the steady clock, clamped.
#include "live/capture_time.hpp"

#include <gtest/gtest.h>

namespace framewire::live {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kNowNs = 1'700'000'000'000'000'000;
const SteadyTime kSteadyNow = SteadyTime{} + 1000s;
const SteadyTime kOpened = kSteadyNow - 10s;

TEST(SteadyCaptureTime, AFrameCapturedEarlierIsThatMuchBeforeNow) {
  EXPECT_EQ(steady_capture_time(kNowNs - 25'000'000, kOpened, kSteadyNow, kNowNs),
            kSteadyNow - 25ms);
}

TEST(SteadyCaptureTime, ACaptureTimeInTheFutureCountsAsNow) {
  // The wall clock stepped back between the capture and now.
  EXPECT_EQ(steady_capture_time(kNowNs + 3'000'000'000, kOpened, kSteadyNow, kNowNs), kSteadyNow);
}

TEST(SteadyCaptureTime, AFrameOlderThanItsCaptureIsNotMeasured) {
  // follow:'s files already in the folder, whose mtime is hours old.
  EXPECT_EQ(steady_capture_time(kNowNs - 3600'000'000'000, kOpened, kSteadyNow, kNowNs),
            SteadyTime{});
  EXPECT_EQ(steady_capture_time(kNowNs - 10'000'000'001, kOpened, kSteadyNow, kNowNs),
            SteadyTime{});
  EXPECT_EQ(steady_capture_time(kNowNs - 10'000'000'000, kOpened, kSteadyNow, kNowNs), kOpened);
}

}  // namespace
}  // namespace framewire::live
