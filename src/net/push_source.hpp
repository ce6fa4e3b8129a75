// Frames pushed by the caller (Sender::push) as a stream: taken from the
// stream's PushQueue when the window has room, and held until the receiver
// settles them. Frames without a file name are named after their sequence
// ("000017.jpg"). After a cut, the frames the receiver did not get are sent
// again (archive) or counted as lost to the cut (live, which goes on with new
// frames); a live stream also keeps at most `max_in_flight` frames
// unacknowledged, so that what waits in socket buffers on a slow link stays
// a few frames and the queue, which drops its oldest, absorbs the rest.
// Network thread only (the queue is the hand-off).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "net/frame_source.hpp"
#include "net/push_queue.hpp"

namespace framewire::net {

class PushSource final : public FrameSource {
 public:
  PushSource(PushQueue& queue, StreamPolicy policy, std::size_t max_in_flight);

  void opened(const ResumePoint& at, bool first) override;
  const OutgoingFrame* peek() override;
  FrameToken take(std::uint64_t sequence, std::uint64_t bytes) override;
  bool exhausted() override;
  void stored(FrameToken token, std::uint64_t bytes) override;
  std::string rejected(FrameToken token) override;

 private:
  struct Held {
    FrameToken token = 0;
    std::uint64_t sequence = 0;
    std::uint64_t bytes = 0;
    bool settled = false;
    QueuedFrame queued;
  };

  // Marks the in-flight frame `token` settled (nullptr if unknown). Settled
  // frames leave from the front only, so that the frame being written, at
  // the back, never moves (a rejection can settle one in the middle).
  Held* settle(FrameToken token);
  void drop_settled_front();
  static OutgoingFrame describe(const QueuedFrame& queued);

  PushQueue& queue_;
  const StreamPolicy policy_;
  const std::size_t max_in_flight_;
  std::deque<QueuedFrame> resend_;   // archive: cut before their ACK, sent first
  std::optional<QueuedFrame> next_;  // peeked
  std::deque<Held> in_flight_;       // by increasing sequence; settled ones at the front go
  OutgoingFrame peeked_;
  FrameToken next_token_ = 0;
  std::uint64_t skip_pending_ = 0;  // dropped since the last frame taken (OutgoingFrame)
};

}  // namespace framewire::net
