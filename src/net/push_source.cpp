#include "net/push_source.hpp"

#include <algorithm>

namespace framewire::net {

PushSource::PushSource(PushQueue& queue, StreamPolicy policy, std::size_t max_in_flight)
    : queue_(queue), policy_(policy), max_in_flight_(std::max<std::size_t>(max_in_flight, 1)) {}

OutgoingFrame PushSource::describe(const QueuedFrame& queued) {
  const Frame& frame = queued.frame;
  OutgoingFrame out{.file_name = frame.file_name,
                    .extension = frame.extension,
                    .capture_time_ns = frame.capture_time_ns};
  if (frame.path.empty()) {
    out.data = &frame.data;
  } else {
    out.path = frame.path;
  }
  return out;
}

void PushSource::opened(const ResumePoint& at, bool /*first*/) {
  // Frames of the connection that ended: the receiver has those below its
  // next_sequence; the rest never arrived.
  const auto now = std::chrono::steady_clock::now();
  std::deque<QueuedFrame> lost;
  for (Held& held : in_flight_) {
    if (held.settled) continue;
    if (held.sequence < at.next_sequence) {
      ++tally_.frames_stored;
      tally_.bytes_stored += held.bytes;
      tally_.handed_to_stored.record(now - held.queued.handed_at);
    } else if (policy_ == StreamPolicy::kArchive) {
      lost.push_back(std::move(held.queued));
    } else {
      ++tally_.dropped_cut;
      ++skip_pending_;
    }
  }
  in_flight_.clear();
  // Lost frames go out again before anything newer, in their order.
  for (auto it = lost.rbegin(); it != lost.rend(); ++it) resend_.push_front(std::move(*it));
}

const OutgoingFrame* PushSource::peek() {
  if (!next_) {
    if (policy_ == StreamPolicy::kLive && in_flight_.size() >= max_in_flight_) return nullptr;
    if (!resend_.empty()) {
      next_ = std::move(resend_.front());
      resend_.pop_front();
    } else {
      next_ = queue_.pop();
      if (!next_) return nullptr;
      skip_pending_ += next_->dropped_before;
      const Frame& frame = next_->frame;
      ++tally_.frames_known;
      tally_.bytes_known += frame.data.size();
      if (frame.captured_at != std::chrono::steady_clock::time_point{}) {
        tally_.capture_to_handed.record(next_->handed_at - frame.captured_at);
      }
    }
    peeked_ = describe(*next_);
  }
  peeked_.skipped_before = skip_pending_;
  return &peeked_;
}

FrameToken PushSource::take(std::uint64_t sequence, std::uint64_t bytes) {
  const FrameToken token = next_token_++;
  in_flight_.push_back(
      Held{.token = token, .sequence = sequence, .bytes = bytes, .queued = std::move(*next_)});
  next_.reset();
  skip_pending_ = 0;
  // The frame's bytes now live in in_flight_, where nothing moves them until
  // the frame is settled: point the peeked frame there while it is written.
  if (peeked_.data != nullptr) peeked_.data = &in_flight_.back().queued.frame.data;
  return token;
}

bool PushSource::exhausted() {
  return !next_ && resend_.empty() && queue_.finished();
}

PushSource::Held* PushSource::settle(FrameToken token) {
  // Settled in order almost always: the front.
  const auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                               [&](const Held& held) { return held.token == token; });
  if (it == in_flight_.end() || it->settled) return nullptr;
  it->settled = true;
  return &*it;
}

void PushSource::drop_settled_front() {
  while (!in_flight_.empty() && in_flight_.front().settled) in_flight_.pop_front();
}

void PushSource::stored(FrameToken token, std::uint64_t bytes) {
  if (Held* held = settle(token)) {
    ++tally_.frames_stored;
    tally_.bytes_stored += bytes;
    tally_.handed_to_stored.record(std::chrono::steady_clock::now() - held->queued.handed_at);
  }
  drop_settled_front();
}

std::string PushSource::rejected(FrameToken token) {
  std::string name;
  if (Held* held = settle(token)) {
    name = sent_file_name(describe(held->queued), held->sequence);
    ++tally_.rejected;
  }
  drop_settled_front();
  return name;
}

}  // namespace framewire::net
