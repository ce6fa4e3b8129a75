// PushQueue: live drops the oldest, archive waits for room, fail() releases
// waiters, end() is seen once the queue is drained, on_ready fires per push.
#include "net/push_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace framewire::net {
namespace {

Frame numbered(std::uint8_t n) {
  return Frame{.file_name = "f", .data = {n}};
}

TEST(PushQueue, LiveDropsTheOldestFrame) {
  int ready = 0;
  PushQueue queue(StreamPolicy::kLive, 2, [&] { ++ready; });
  for (std::uint8_t n = 0; n < 5; ++n) ASSERT_TRUE(queue.push(numbered(n)));
  EXPECT_EQ(ready, 5);
  EXPECT_EQ(queue.counters().pushed, 5u);
  EXPECT_EQ(queue.counters().dropped_queue, 3u);
  EXPECT_EQ(queue.pop()->frame.data[0], 3);
  EXPECT_EQ(queue.pop()->frame.data[0], 4);
  EXPECT_FALSE(queue.pop());
}

TEST(PushQueue, ArchiveWaitsForRoomAndDropsNothing) {
  PushQueue queue(StreamPolicy::kArchive, 1, [] {});
  ASSERT_TRUE(queue.push(numbered(0)));
  std::atomic<bool> pushed{false};
  std::thread pusher([&] {
    EXPECT_TRUE(queue.push(numbered(1)));
    pushed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(pushed);  // still waiting: the queue is full
  EXPECT_EQ(queue.pop()->frame.data[0], 0);
  pusher.join();
  EXPECT_TRUE(pushed);
  EXPECT_EQ(queue.pop()->frame.data[0], 1);
  EXPECT_EQ(queue.counters().dropped_queue, 0u);
}

TEST(PushQueue, FailReleasesAWaitingPusherWithTheReason) {
  PushQueue queue(StreamPolicy::kArchive, 1, [] {});
  ASSERT_TRUE(queue.push(numbered(0)));
  Status result;
  std::thread pusher([&] { result = queue.push(numbered(1)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  queue.fail(Status(ErrorCode::kCancelled, "stop"));
  pusher.join();
  EXPECT_EQ(result.code(), ErrorCode::kCancelled);
  EXPECT_EQ(queue.push(numbered(2)).code(), ErrorCode::kCancelled);
}

TEST(PushQueue, FinishedOnlyOnceEndedAndDrained) {
  PushQueue queue(StreamPolicy::kLive, 4, [] {});
  ASSERT_TRUE(queue.push(numbered(0)));
  queue.end();
  EXPECT_FALSE(queue.finished());
  EXPECT_TRUE(queue.pop());
  EXPECT_TRUE(queue.finished());
  EXPECT_EQ(queue.push(numbered(1)).code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace framewire::net
