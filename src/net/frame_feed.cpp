// FrameFeed (framewire/frame_feed.hpp), a bounded queue of stored frames between the
// receiver's storage threads and one consumer thread, and FrameFeedRegistry
// (frame_feed_registry.hpp), the observer that fills the feeds.
#include "framewire/frame_feed.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <utility>
#include <variant>

#include "net/frame_feed_registry.hpp"

namespace framewire {

namespace {

// Longer waits are taken as this: still "forever" to a consumer, and short
// enough that steady_clock::now() + it cannot overflow inside wait_for()
// (a binding may well pass milliseconds::max() for "no timeout").
constexpr std::chrono::milliseconds kLongestWait = std::chrono::hours(24 * 365 * 100);

}  // namespace

struct FrameFeed::State {
  explicit State(const FrameFeedOptions& options)
      : capacity(std::max<std::size_t>(1, options.capacity)), lossless(options.lossless) {}

  const std::size_t capacity;
  const bool lossless;
  mutable std::mutex mutex;
  std::condition_variable readable;  // a frame was queued, or the feed closed
  std::condition_variable writable;  // room was made, or the feed closed or was released
  // Everything below: guarded by `mutex`.
  std::deque<StoredFrame> queue;
  std::uint64_t dropped = 0;
  bool closed = false;
  bool released = false;  // the receiver is stopping: storing threads wait no more
};

FrameFeed::FrameFeed(const FrameFeedOptions& options) : state_(std::make_unique<State>(options)) {}

FrameFeed::~FrameFeed() = default;

std::optional<StoredFrame> FrameFeed::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mutex);
  state_->readable.wait_for(lock,
                            std::clamp(timeout, std::chrono::milliseconds::zero(), kLongestWait),
                            [this] { return !state_->queue.empty() || state_->closed; });
  if (state_->queue.empty()) return std::nullopt;
  StoredFrame frame = std::move(state_->queue.front());
  state_->queue.pop_front();
  lock.unlock();
  state_->writable.notify_all();
  return frame;
}

std::uint64_t FrameFeed::dropped() const {
  std::lock_guard lock(state_->mutex);
  return state_->dropped;
}

bool FrameFeed::closed() const {
  std::lock_guard lock(state_->mutex);
  return state_->closed && state_->queue.empty();
}

void FrameFeed::close() {
  {
    std::lock_guard lock(state_->mutex);
    state_->closed = true;
  }
  state_->readable.notify_all();
  state_->writable.notify_all();
}

void FrameFeed::release() {
  {
    std::lock_guard lock(state_->mutex);
    state_->released = true;
  }
  state_->writable.notify_all();
}

void FrameFeed::offer(StoredFrame frame) {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  if (s.lossless) {
    // The documented exception to the observer contract: this storing
    // thread (and so the acknowledgement, and so the sender) waits for the
    // consumer.
    s.writable.wait(lock, [&s] { return s.queue.size() < s.capacity || s.closed || s.released; });
    if (s.closed) return;
    if (s.queue.size() >= s.capacity) {
      // Released while full: the receiver is stopping and cannot wait. The
      // feed can no longer be lossless, so it ends here, saying so.
      ++s.dropped;
      s.closed = true;
      lock.unlock();
      s.readable.notify_all();
      return;
    }
  } else {
    if (s.closed) return;
    if (s.queue.size() >= s.capacity) {
      // Drop the oldest; what it had lost before it, and itself, were lost
      // just before the frame that is now the oldest (or, with a capacity
      // of 1, before this one).
      const std::uint64_t lost = s.queue.front().dropped_before + 1;
      s.queue.pop_front();
      (s.queue.empty() ? frame : s.queue.front()).dropped_before += lost;
      ++s.dropped;
    }
  }
  s.queue.push_back(std::move(frame));
  lock.unlock();
  s.readable.notify_one();
}

namespace net {

namespace {

std::string absolute_root(const std::string& root) {
  std::error_code ec;
  const std::filesystem::path path = std::filesystem::absolute(root, ec);
  return ec ? root : path.lexically_normal().string();
}

}  // namespace

FrameFeedRegistry::FrameFeedRegistry(const std::string& root)
    : root_(root.empty() ? root : absolute_root(root)) {}

std::shared_ptr<FrameFeed> FrameFeedRegistry::subscribe(const FrameFeedOptions& options) {
  // Not make_shared: the constructor is private to the feed's friends.
  std::shared_ptr<FrameFeed> feed(new FrameFeed(options));
  // The consumer gets its own owner of the same feed, whose end closes the
  // feed: a storing thread holding `feed` while it waits on a full lossless
  // queue is released when the consumer lets go, instead of at stop().
  std::shared_ptr<FrameFeed> handed(feed.get(), [keep = feed](FrameFeed* f) mutable {
    f->close();
    keep.reset();
  });
  std::lock_guard lock(mutex_);
  if (closed_) {
    feed->close();
    return handed;
  }
  if (released_) feed->release();
  std::erase_if(feeds_, [](const std::weak_ptr<FrameFeed>& f) { return f.expired(); });
  feeds_.push_back(feed);
  return handed;
}

std::vector<std::shared_ptr<FrameFeed>> FrameFeedRegistry::live_feeds() {
  std::vector<std::shared_ptr<FrameFeed>> live;
  std::lock_guard lock(mutex_);
  if (feeds_.empty()) return live;
  live.reserve(feeds_.size());
  std::erase_if(feeds_, [&live](const std::weak_ptr<FrameFeed>& weak) {
    std::shared_ptr<FrameFeed> feed = weak.lock();
    if (!feed) return true;
    live.push_back(std::move(feed));
    return false;
  });
  return live;
}

void FrameFeedRegistry::on_event(const observe::Event& event) {
  const auto* stored = std::get_if<observe::FrameStored>(&event);
  if (!stored || stored->already_stored) return;
  // Offered outside the lock: a lossless feed may make this thread wait.
  const std::vector<std::shared_ptr<FrameFeed>> feeds = live_feeds();
  if (feeds.empty()) return;
  const StoredFrame frame{
      .stream = stored->stream,
      .source_kind = stored->source_kind,
      .file_name = stored->file_name,
      .path = root_.empty()
                  ? std::string()
                  : (std::filesystem::path(root_) / stored->stream / stored->file_name).string(),
      .sequence = stored->sequence,
      .bytes = stored->bytes,
      .capture_time_ns = stored->capture_time_ns,
      .stored_time_ns = stored->stored_time_ns,
      .dropped_before = 0};
  for (const auto& feed : feeds) feed->offer(frame);
}

void FrameFeedRegistry::release_all() {
  std::lock_guard lock(mutex_);
  released_ = true;
  for (const auto& weak : feeds_) {
    if (const auto feed = weak.lock()) feed->release();
  }
}

void FrameFeedRegistry::close_all() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  for (const auto& weak : feeds_) {
    if (const auto feed = weak.lock()) feed->close();
  }
  feeds_.clear();
}

}  // namespace net

}  // namespace framewire
