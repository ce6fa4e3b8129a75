// The receiver's read buffers: one pool of fixed-size buffers shared by every
// connection, with a bound on the bytes handed out. A connection takes a
// buffer only when its socket has bytes to read and gives it back once the
// storage pool has consumed it, so an idle connection holds none. When the
// bound is reached, acquire() waits (first come, first served) until another
// connection gives one back: that sender is held back, and TCP flow control
// holds back its socket; memory never grows past the bound.
//
// Threads: acquire(), try_acquire() and every PooledBuffer (its destruction
// gives the buffer back) belong to the receiver's loop thread; nothing locks.
// A buffer's bytes may be handed to a storage thread in between (the
// hand-off through run_on orders them). gauges() and the note_*() counters
// are atomics: gauges() may be called from any thread.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

namespace framewire::net {

// What /metrics will show of the receive pipeline (see Receiver's
// pipeline_gauges()).
struct PipelineGauges {
  // Buffers read from a socket and not yet consumed by a storage job, summed
  // over connections (queued or being stored).
  std::uint64_t storage_queue_buffers = 0;
  std::uint64_t buffer_pool_bytes_in_use = 0;  // handed out to connections now
  std::uint64_t buffer_pool_bytes_limit = 0;   // the bound, a whole number of buffers
};

class BufferPool;

// One buffer of a BufferPool, owned by one connection; moves, never copies.
// Destroying it (or reset()) gives it back. size() is how much of it holds
// bytes read from the socket.
class PooledBuffer {
 public:
  PooledBuffer() = default;
  PooledBuffer(PooledBuffer&& other) noexcept;
  PooledBuffer& operator=(PooledBuffer&& other) noexcept;
  PooledBuffer(const PooledBuffer&) = delete;
  PooledBuffer& operator=(const PooledBuffer&) = delete;
  ~PooledBuffer() { reset(); }

  explicit operator bool() const { return memory_ != nullptr; }
  std::uint8_t* data() { return memory_.get(); }
  std::size_t capacity() const { return capacity_; }
  std::size_t size() const { return size_; }
  void set_size(std::size_t bytes) { size_ = bytes; }  // at most capacity()
  std::span<const std::uint8_t> contents() const { return {memory_.get(), size_}; }
  void reset() noexcept;

 private:
  friend class BufferPool;
  PooledBuffer(BufferPool* pool, std::unique_ptr<std::uint8_t[]> memory, std::size_t capacity)
      : pool_(pool), memory_(std::move(memory)), capacity_(capacity) {}

  BufferPool* pool_ = nullptr;
  std::unique_ptr<std::uint8_t[]> memory_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

class BufferPool {
 public:
  static constexpr std::size_t kDefaultBufferBytes = 64 * 1024;

  // Buffers of `buffer_bytes`; at most `limit_bytes / buffer_bytes` of them
  // (at least one) handed out at a time. Must outlive every PooledBuffer and
  // every acquire() in progress.
  BufferPool(std::size_t buffer_bytes, std::uint64_t limit_bytes);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A buffer now, or an empty one when the bound is reached or others are
  // already waiting (they come first).
  PooledBuffer try_acquire();

  // A buffer, waiting for one if need be. `wake` is the caller's own timer,
  // used as the event that ends the wait: the pool cancels it to hand over a
  // buffer, and the caller may cancel it to give up (the connection is
  // closing), in which case an empty buffer comes back. The caller must not
  // use `wake` for anything else meanwhile.
  asio::awaitable<PooledBuffer> acquire(asio::steady_timer& wake);

  std::size_t buffer_bytes() const { return buffer_bytes_; }
  std::size_t waiting() const { return waiters_.size(); }  // loop thread

  // Storage queue bookkeeping by the connections: `n` buffers were queued for
  // the storage pool / left it (consumed, or dropped by a closing connection).
  void note_queued(std::size_t n) {
    storage_queue_buffers_.fetch_add(n, std::memory_order_relaxed);
  }
  void note_unqueued(std::size_t n) {
    storage_queue_buffers_.fetch_sub(n, std::memory_order_relaxed);
  }

  // Any thread.
  PipelineGauges gauges() const;

 private:
  friend class PooledBuffer;
  struct Waiter {
    BufferPool* pool;
    asio::steady_timer* wake;
    std::unique_ptr<std::uint8_t[]> granted;
    Waiter(BufferPool* p, asio::steady_timer* w) : pool(p), wake(w) {}
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    // Leaves the queue and gives back an unclaimed grant, also when the
    // waiting coroutine is destroyed without resuming (the loop shut down).
    ~Waiter();
  };

  void give_back(std::unique_ptr<std::uint8_t[]> memory) noexcept;

  const std::size_t buffer_bytes_;
  const std::size_t max_buffers_;
  std::size_t handed_out_ = 0;
  // Given back and kept for reuse, a few at most: the rest are freed, so a
  // burst does not leave its high-water mark behind.
  std::vector<std::unique_ptr<std::uint8_t[]>> spare_;
  std::deque<Waiter*> waiters_;
  std::atomic<std::uint64_t> bytes_in_use_ = 0;
  std::atomic<std::uint64_t> storage_queue_buffers_ = 0;
};

}  // namespace framewire::net
