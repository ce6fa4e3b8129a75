// What a ReceiverSession tells its observer, fed scripted bytes: the
// handshake, streams opened and closed, frames stored (with capture time,
// resends marked), frames rejected, and each group commit.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "observe/observer.hpp"
#include "support/session_rig.hpp"

namespace framewire::test {
namespace {

class Recorder final : public observe::Observer {
 public:
  void on_event(const observe::Event& event) override {
    const std::lock_guard lock(mutex_);
    events_.push_back(event);
  }
  template <typename T>
  std::vector<T> all() const {
    const std::lock_guard lock(mutex_);
    std::vector<T> out;
    for (const auto& event : events_) {
      if (const T* e = std::get_if<T>(&event)) out.push_back(*e);
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<observe::Event> events_;
};

Bytes frame_bytes(std::uint32_t stream, std::uint64_t sequence, const std::string& file,
                  std::int64_t capture_time_ns, const Bytes& data) {
  return encode_frame({.stream_id = stream,
                       .sequence = sequence,
                       .capture_time_ns = capture_time_ns,
                       .file_name = file},
                      data);
}

TEST(ReceiverEvents, ASessionReportsItsStreamsFramesAndCommits) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  Recorder recorder;
  rig.context.observer = &recorder;
  const Bytes a(100, 1);
  const Bytes b(50, 2);
  {
    auto session = std::make_unique<net::ReceiverSession>(rig.context, "peer-1", std::nullopt,
                                                          std::function<void()>{}, 7);
    ReplyReader reader;
    Bytes input = hello_bytes();
    append(input, open_bytes(1, "rig1/infrared", "infrared"));
    append(input, frame_bytes(1, 0, "000000.png", 1'000, a));
    append(input, frame_bytes(1, 1, "000001.png", 0, b));
    reader.consume(*session, input);
    EXPECT_TRUE(recorder.all<observe::StreamClosed>().empty());
  }
  ASSERT_EQ(recorder.all<observe::ConnectionHandshaken>().size(), 1U);
  EXPECT_EQ(recorder.all<observe::ConnectionHandshaken>()[0].connection, 7U);

  const auto opened = recorder.all<observe::StreamOpened>();
  ASSERT_EQ(opened.size(), 1U);
  EXPECT_EQ(opened[0].stream, "rig1/infrared");
  EXPECT_EQ(opened[0].source_kind, "infrared");
  EXPECT_EQ(opened[0].peer, "peer-1");
  EXPECT_EQ(opened[0].connection, 7U);

  const auto stored = recorder.all<observe::FrameStored>();
  ASSERT_EQ(stored.size(), 2U);
  EXPECT_EQ(stored[0].file_name, "000000.png");
  EXPECT_EQ(stored[0].bytes, 100U);
  EXPECT_EQ(stored[0].capture_time_ns, 1'000);
  EXPECT_GT(stored[0].stored_time_ns, 1'000'000'000'000'000'000) << "CLOCK_REALTIME, in ns";
  EXPECT_FALSE(stored[0].already_stored);
  EXPECT_EQ(stored[1].sequence, 1U);
  EXPECT_EQ(stored[1].source_kind, "infrared");

  const auto commits = recorder.all<observe::GroupCommitted>();
  ASSERT_EQ(commits.size(), 1U) << "both frames came in one read: one group";
  EXPECT_EQ(commits[0].frames, 2U);
  EXPECT_TRUE(commits[0].ok);

  const auto closed = recorder.all<observe::StreamClosed>();
  ASSERT_EQ(closed.size(), 1U);
  EXPECT_EQ(closed[0].stream, "rig1/infrared");
}

TEST(ReceiverEvents, AResendIsMarkedAStaleFrameIsRejectedAndAGapCountsAsSkipped) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  Recorder recorder;
  rig.context.observer = &recorder;
  const Bytes a(10, 1);
  {
    auto first = rig.session();
    ReplyReader reader;
    Bytes input = hello_bytes();
    append(input, open_bytes(1, "cam"));
    append(input, frame_bytes(1, 0, "0.png", 0, a));
    append(input, frame_bytes(1, 1, "1.png", 0, a));
    append(input, encode(protocol::Goodbye{}));
    reader.consume(*first, input);
  }
  {
    auto second = rig.session();
    ReplyReader reader;
    Bytes input = hello_bytes();
    append(input, open_bytes(1, "cam"));
    append(input, frame_bytes(1, 1, "1.png", 0, a));      // the stored frame again
    append(input, frame_bytes(1, 2, "other.png", 0, a));  // new; fine
    reader.consume(*second, input);
    Bytes more = frame_bytes(1, 6, "6.png", 0, a);  // 3, 4 and 5 never came
    reader.consume(*second, more);
  }
  const auto stored = recorder.all<observe::FrameStored>();
  ASSERT_EQ(stored.size(), 5U);
  EXPECT_FALSE(stored[1].already_stored);
  EXPECT_TRUE(stored[2].already_stored) << "sequence 1 was stored by the first connection";
  EXPECT_EQ(stored[3].sequence, 2U);
  EXPECT_EQ(stored[3].skipped_before, 0U);
  EXPECT_EQ(stored[4].sequence, 6U);
  EXPECT_EQ(stored[4].skipped_before, 3U);
}

TEST(ReceiverEvents, SeveralReadsConsumedTogetherAreOneGroupCommitAndOneAck) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  Recorder recorder;
  rig.context.observer = &recorder;
  auto session = rig.session();
  Bytes opening = hello_bytes();
  append(opening, open_bytes(1, "cam"));
  Bytes out;
  session->consume(opening, out);
  const Bytes first = frame_bytes(1, 0, "0.png", 0, Bytes(10, 1));
  const Bytes second = frame_bytes(1, 1, "1.png", 0, Bytes(10, 2));
  const Bytes third = frame_bytes(1, 2, "2.png", 0, Bytes(10, 3));
  // The second frame is split across the second and third buffer.
  const std::size_t cut = second.size() / 2;
  Bytes tail(second.begin() + static_cast<std::ptrdiff_t>(cut), second.end());
  append(tail, third);
  const std::span<const std::uint8_t> reads[] = {first, std::span(second).first(cut), tail};
  const std::size_t before = out.size();
  session->consume(reads, out);
  ASSERT_GT(out.size(), before);

  protocol::MessageDecoder decoder(protocol::Peer::kServer, {});
  std::vector<protocol::Ack> acks;
  for (auto& reply : decode_replies(out, decoder)) {
    if (auto* ack = std::get_if<protocol::Ack>(&reply)) acks.push_back(*ack);
  }
  ASSERT_EQ(acks.size(), 1U) << "one ACK for the three reads";
  const protocol::Ack* ack = &acks[0];
  ASSERT_EQ(ack->entries.size(), 1U);
  EXPECT_EQ(ack->entries[0].through_sequence, 2U);
  const auto commits = recorder.all<observe::GroupCommitted>();
  ASSERT_EQ(commits.size(), 1U);
  EXPECT_EQ(commits[0].frames, 3U);
}

TEST(ReceiverEvents, AFrameRefusedByStorageIsReported) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  Recorder recorder;
  rig.context.observer = &recorder;
  {
    auto first = rig.session();
    ReplyReader reader;
    Bytes input = hello_bytes();
    append(input, open_bytes(1, "cam"));
    append(input, frame_bytes(1, 5, "5.png", 0, Bytes(10, 1)));
    append(input, encode(protocol::Goodbye{}));
    reader.consume(*first, input);
  }
  {
    auto second = rig.session();
    ReplyReader reader;
    Bytes input = hello_bytes();
    append(input, open_bytes(1, "cam"));
    append(input, frame_bytes(1, 2, "2.png", 0, Bytes(10, 2)));  // below 5, another frame
    reader.consume(*second, input);
  }
  const auto rejected = recorder.all<observe::FrameRejected>();
  ASSERT_EQ(rejected.size(), 1U);
  EXPECT_EQ(rejected[0].stream, "cam");
  EXPECT_EQ(rejected[0].sequence, 2U);
  EXPECT_EQ(rejected[0].code, ErrorCode::kStaleSequence);
}

}  // namespace
}  // namespace framewire::test
