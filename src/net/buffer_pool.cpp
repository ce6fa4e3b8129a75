#include "net/buffer_pool.hpp"

#include <algorithm>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <exception>

namespace framewire::net {

namespace {
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
// Buffers kept for reuse after they come back (1 MiB at 64 KiB): enough to
// spare the allocator under steady load, little to hold after a burst.
constexpr std::size_t kMaxSpareBuffers = 16;
}  // namespace

PooledBuffer::PooledBuffer(PooledBuffer&& other) noexcept
    : pool_(other.pool_),
      memory_(std::move(other.memory_)),
      capacity_(other.capacity_),
      size_(other.size_) {
  other.pool_ = nullptr;
  other.capacity_ = 0;
  other.size_ = 0;
}

PooledBuffer& PooledBuffer::operator=(PooledBuffer&& other) noexcept {
  if (this != &other) {
    reset();
    pool_ = other.pool_;
    memory_ = std::move(other.memory_);
    capacity_ = other.capacity_;
    size_ = other.size_;
    other.pool_ = nullptr;
    other.capacity_ = 0;
    other.size_ = 0;
  }
  return *this;
}

void PooledBuffer::reset() noexcept {
  if (memory_) pool_->give_back(std::move(memory_));
  pool_ = nullptr;
  capacity_ = 0;
  size_ = 0;
}

BufferPool::BufferPool(std::size_t buffer_bytes, std::uint64_t limit_bytes)
    : buffer_bytes_(std::max<std::size_t>(1, buffer_bytes)),
      max_buffers_(std::max<std::uint64_t>(1, limit_bytes / buffer_bytes_)) {
  spare_.reserve(kMaxSpareBuffers);  // so that giving a buffer back never allocates
}

BufferPool::~BufferPool() = default;

BufferPool::Waiter::~Waiter() {
  // Erasing a pointer from a deque does not throw in practice; if it did, a
  // pointer to this waiter would stay behind, so stop rather than go on.
  try {
    auto& queue = pool->waiters_;
    if (auto it = std::find(queue.begin(), queue.end(), this); it != queue.end()) queue.erase(it);
  } catch (...) {
    std::terminate();
  }
  if (granted) pool->give_back(std::move(granted));
}

PooledBuffer BufferPool::try_acquire() {
  if (!waiters_.empty()) return {};
  std::unique_ptr<std::uint8_t[]> memory;
  if (!spare_.empty()) {
    memory = std::move(spare_.back());
    spare_.pop_back();
  } else if (handed_out_ + spare_.size() < max_buffers_) {
    // Not zero-filled: untouched pages of a buffer cost no memory until read into.
    memory = std::make_unique_for_overwrite<std::uint8_t[]>(buffer_bytes_);
  } else {
    return {};
  }
  ++handed_out_;
  bytes_in_use_.fetch_add(buffer_bytes_, std::memory_order_relaxed);
  return PooledBuffer(this, std::move(memory), buffer_bytes_);
}

asio::awaitable<PooledBuffer> BufferPool::acquire(asio::steady_timer& wake) {
  if (PooledBuffer buffer = try_acquire()) co_return buffer;
  Waiter waiter(this, &wake);
  waiters_.push_back(&waiter);
  wake.expires_at(asio::steady_timer::time_point::max());
  // Ends when give_back() hands this waiter a buffer, or when the caller
  // cancels `wake` to give up; the grant decides which, not the error code
  // (a give-up and a grant can both happen before this coroutine resumes).
  co_await wake.async_wait(kNoThrow);
  if (!waiter.granted) co_return PooledBuffer();  // ~Waiter leaves the queue
  // The grant moves from the waiter to the caller; the count of handed-out
  // buffers did not change in between.
  co_return PooledBuffer(this, std::move(waiter.granted), buffer_bytes_);
}

void BufferPool::give_back(std::unique_ptr<std::uint8_t[]> memory) noexcept {
  // Called from destructors. Cancelling a timer does not fail in practice and
  // spare_ has its room reserved; if either threw, a waiter would never wake
  // or the counts would be wrong, so stop rather than go on.
  try {
    if (!waiters_.empty()) {
      // Straight to the longest waiter: still handed out, counters unchanged.
      Waiter* next = waiters_.front();
      waiters_.pop_front();
      next->granted = std::move(memory);
      next->wake->cancel();
      return;
    }
    --handed_out_;
    bytes_in_use_.fetch_sub(buffer_bytes_, std::memory_order_relaxed);
    if (spare_.size() < kMaxSpareBuffers) spare_.push_back(std::move(memory));
  } catch (...) {
    std::terminate();
  }
}

PipelineGauges BufferPool::gauges() const {
  return {.storage_queue_buffers = storage_queue_buffers_.load(std::memory_order_relaxed),
          .buffer_pool_bytes_in_use = bytes_in_use_.load(std::memory_order_relaxed),
          .buffer_pool_bytes_limit = max_buffers_ * buffer_bytes_};
}

}  // namespace framewire::net
