// BufferPool: the bound on buffers handed out, waiting acquirers served in
// turn when a buffer comes back, giving up a wait, and the counters read from
// another thread. Driven on an io_context run by the test's thread.
#include "net/buffer_pool.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <optional>
#include <thread>
#include <vector>

namespace framewire::net {
namespace {

constexpr std::size_t kBytes = 1024;

// Spawns acquire() on `io`; the result lands in `*into` (engaged once done).
void spawn_acquire(asio::io_context& io, BufferPool& pool, asio::steady_timer& wake,
                   std::optional<PooledBuffer>* into) {
  asio::co_spawn(
      io,
      [&pool, &wake, into]() -> asio::awaitable<void> {
        PooledBuffer buffer = co_await pool.acquire(wake);
        into->emplace(std::move(buffer));
      },
      asio::detached);
}

TEST(BufferPoolTest, HandsOutAtMostTheBound) {
  BufferPool pool(kBytes, 3 * kBytes);
  std::vector<PooledBuffer> held;
  for (int i = 0; i < 3; ++i) {
    PooledBuffer buffer = pool.try_acquire();
    ASSERT_TRUE(buffer) << "buffer " << i;
    EXPECT_EQ(buffer.capacity(), kBytes);
    held.push_back(std::move(buffer));
  }
  EXPECT_FALSE(pool.try_acquire()) << "a fourth buffer beyond a bound of three";
  EXPECT_EQ(pool.gauges().buffer_pool_bytes_in_use, 3 * kBytes);
  EXPECT_EQ(pool.gauges().buffer_pool_bytes_limit, 3 * kBytes);

  held.pop_back();  // gives one back
  EXPECT_EQ(pool.gauges().buffer_pool_bytes_in_use, 2 * kBytes);
  EXPECT_TRUE(pool.try_acquire()) << "a buffer given back is available again";
}

TEST(BufferPoolTest, ABoundBelowOneBufferStillHandsOutOne) {
  BufferPool pool(kBytes, kBytes / 2);
  EXPECT_EQ(pool.gauges().buffer_pool_bytes_limit, kBytes);
  PooledBuffer first = pool.try_acquire();
  EXPECT_TRUE(first);
  EXPECT_FALSE(pool.try_acquire());
}

TEST(BufferPoolTest, AWaitingAcquirerGetsTheNextBufferGivenBack) {
  asio::io_context io;
  BufferPool pool(kBytes, kBytes);
  PooledBuffer held = pool.try_acquire();
  ASSERT_TRUE(held);
  asio::steady_timer wake(io);
  std::optional<PooledBuffer> got;
  spawn_acquire(io, pool, wake, &got);
  io.poll();
  ASSERT_FALSE(got) << "acquire() returned while the only buffer was taken";
  EXPECT_EQ(pool.waiting(), 1u);

  held.reset();
  io.poll();
  ASSERT_TRUE(got);
  EXPECT_TRUE(*got) << "the waiter was woken without a buffer";
  EXPECT_EQ(pool.waiting(), 0u);
  EXPECT_EQ(pool.gauges().buffer_pool_bytes_in_use, kBytes) << "handed straight over";
  got.reset();
  EXPECT_EQ(pool.gauges().buffer_pool_bytes_in_use, 0u);
}

TEST(BufferPoolTest, WaitersAreServedFirstComeFirstServedAndBeforeNewcomers) {
  asio::io_context io;
  BufferPool pool(kBytes, kBytes);
  PooledBuffer held = pool.try_acquire();
  asio::steady_timer wake_first(io);
  asio::steady_timer wake_second(io);
  std::optional<PooledBuffer> first;
  std::optional<PooledBuffer> second;
  spawn_acquire(io, pool, wake_first, &first);
  io.poll();
  spawn_acquire(io, pool, wake_second, &second);
  io.poll();
  ASSERT_EQ(pool.waiting(), 2u);

  held.reset();
  EXPECT_FALSE(pool.try_acquire()) << "try_acquire() jumped the queue";
  io.poll();
  ASSERT_TRUE(first);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(second) << "the second waiter was served before the first";

  first.reset();  // its buffer goes to the second
  io.poll();
  ASSERT_TRUE(second);
  EXPECT_TRUE(*second);
}

TEST(BufferPoolTest, AWaiterThatGivesUpLeavesTheQueueEmptyHanded) {
  asio::io_context io;
  BufferPool pool(kBytes, kBytes);
  PooledBuffer held = pool.try_acquire();
  asio::steady_timer wake(io);
  std::optional<PooledBuffer> got;
  spawn_acquire(io, pool, wake, &got);
  io.poll();
  ASSERT_EQ(pool.waiting(), 1u);

  wake.cancel();  // the connection is closing
  io.poll();
  ASSERT_TRUE(got);
  EXPECT_FALSE(*got) << "gave up, yet got a buffer";
  EXPECT_EQ(pool.waiting(), 0u);

  held.reset();  // nobody waits: counted as given back
  EXPECT_EQ(pool.gauges().buffer_pool_bytes_in_use, 0u);
  EXPECT_TRUE(pool.try_acquire());
}

TEST(BufferPoolTest, AGrantThatCrossesAGiveUpIsKept) {
  asio::io_context io;
  BufferPool pool(kBytes, kBytes);
  PooledBuffer held = pool.try_acquire();
  asio::steady_timer wake(io);
  std::optional<PooledBuffer> got;
  spawn_acquire(io, pool, wake, &got);
  io.poll();
  // Both before the waiter resumes: the grant decides, and nothing leaks.
  wake.cancel();
  held.reset();
  io.poll();
  ASSERT_TRUE(got);
  EXPECT_TRUE(*got);
  got.reset();
  EXPECT_EQ(pool.gauges().buffer_pool_bytes_in_use, 0u);
}

TEST(BufferPoolTest, StorageQueueCounter) {
  BufferPool pool(kBytes, 4 * kBytes);
  pool.note_queued(3);
  EXPECT_EQ(pool.gauges().storage_queue_buffers, 3u);
  pool.note_unqueued(2);
  EXPECT_EQ(pool.gauges().storage_queue_buffers, 1u);
}

TEST(BufferPoolTest, GaugesAreReadableFromAnotherThreadWhileTheLoopWorks) {
  BufferPool pool(kBytes, 8 * kBytes);
  std::atomic<bool> done = false;
  std::atomic<std::uint64_t> highest = 0;
  std::thread reader([&] {
    while (!done) {
      const PipelineGauges gauges = pool.gauges();
      if (gauges.buffer_pool_bytes_in_use > highest) highest = gauges.buffer_pool_bytes_in_use;
    }
  });
  for (int round = 0; round < 2000; ++round) {
    std::vector<PooledBuffer> held;
    for (PooledBuffer buffer = pool.try_acquire(); buffer; buffer = pool.try_acquire()) {
      pool.note_queued(1);
      held.push_back(std::move(buffer));
    }
    pool.note_unqueued(held.size());
  }
  done = true;
  reader.join();
  EXPECT_LE(highest.load(), 8 * kBytes);
  EXPECT_EQ(pool.gauges().buffer_pool_bytes_in_use, 0u);
  EXPECT_EQ(pool.gauges().storage_queue_buffers, 0u);
}

}  // namespace
}  // namespace framewire::net
