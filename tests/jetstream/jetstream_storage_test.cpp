// The JetStream store (src/jetstream/jetstream_storage.hpp) against a real
// nats-server: the StreamStorage contract the folder store keeps (storage.hpp),
// frames in parts, one writer per stream (lease and fence), and how NATS
// failures reach the caller.
#include "jetstream/jetstream_storage.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "jetstream/frame_message.hpp"
#include "jetstream/jetstream_checks.hpp"
#include "jetstream/nats_client.hpp"
#include "jetstream/subjects.hpp"
#include "support/nats_server.hpp"
#include "support/pattern_bytes.hpp"
#include "support/temp_dir.hpp"

namespace framewire::jetstream {
namespace {

using storage::StreamStorage;
using test::pattern_bytes;
using test::xxh3_of;

// 64 KiB messages: frames above 48 KiB go in parts.
constexpr std::size_t kMaxPayload = 64 * 1024;

class JetStreamStorageTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.valid());
    const std::string config = dir_ / "nats.conf";
    std::ofstream(config) << "max_payload: " << kMaxPayload << "\n";
    server_ =
        std::make_unique<test::NatsServer>(dir_.path(), std::vector<std::string>{"-c", config});
    ASSERT_TRUE(server_->start());
  }

  JetStreamOptions options(const std::string& owner = "test receiver") const {
    JetStreamOptions o;
    o.endpoint.url = server_->url();
    o.endpoint.connect_timeout = std::chrono::milliseconds(2000);
    o.stream = "FWTEST";
    o.lease_ttl = std::chrono::milliseconds(2000);
    o.publish_timeout = std::chrono::milliseconds(3000);
    o.owner = owner;
    return o;
  }

  std::unique_ptr<JetStreamStorage> open_store(const std::string& owner = "test receiver") {
    auto store = JetStreamStorage::open(options(owner));
    EXPECT_TRUE(store) << store.status().to_string();
    return store ? std::move(store).value() : nullptr;
  }

  // Stores one frame; returns the commit's status.
  static Result<storage::CommitResult> store_frame(StreamStorage& stream, std::uint64_t sequence,
                                                   const std::string& name,
                                                   const std::vector<std::uint8_t>& bytes) {
    auto frame = stream.begin_frame(sequence, name, bytes.size(), 1234);
    if (!frame) return frame.status();
    // In pieces, as a connection delivers them.
    for (std::size_t at = 0; at < bytes.size(); at += 7000) {
      const std::size_t n = std::min<std::size_t>(7000, bytes.size() - at);
      if (Status s = frame->write(std::span(bytes).subspan(at, n)); !s) return s;
    }
    auto finished = stream.finish_frame(std::move(frame).value(), xxh3_of(bytes));
    if (!finished) return finished.status();
    return stream.commit();
  }

  // Frame messages on the stream's subject, counted by direct gets.
  std::size_t frame_messages(const std::string& stream) {
    auto client = NatsClient::connect({.url = server_->url()});
    EXPECT_TRUE(client);
    std::size_t count = 0;
    std::uint64_t from = 1;
    const std::string subject = frame_subject("FWTEST", stream);
    while (true) {
      auto found = direct_get((*client)->js(), "FWTEST", from, subject);
      if (!found || *found == nullptr) break;
      ++count;
      from = natsMsg_GetSequence(found->get()) + 1;
    }
    return count;
  }

  test::TempDir dir_{"jetstream"};
  std::unique_ptr<test::NatsServer> server_;
};

TEST_F(JetStreamStorageTest, StoresFramesAndResumesFromTheLastMessage) {
  auto store = open_store();
  ASSERT_TRUE(store);
  const auto small = pattern_bytes(1000, 1);
  const auto large = pattern_bytes(200'000, 2);  // 5 parts of 48 KiB
  const auto empty = std::vector<std::uint8_t>{};
  {
    auto stream = store->open_stream("rig1/cam.v", "infrared");
    ASSERT_TRUE(stream) << stream.status().to_string();
    EXPECT_EQ((*stream)->next_sequence(), 0U);
    EXPECT_EQ((*stream)->last_file_name(), "");
    for (auto [seq, name, bytes] : {std::tuple{0, "0.png", &small}, std::tuple{1, "1.png", &large},
                                    std::tuple{5, "5.png", &empty}}) {
      auto committed = store_frame(**stream, seq, name, *bytes);
      ASSERT_TRUE(committed) << committed.status().to_string();
      ASSERT_EQ(committed->stored.size(), 1U);
      EXPECT_EQ(committed->stored[0].sequence, static_cast<std::uint64_t>(seq));
      EXPECT_EQ(committed->stored[0].source_kind, "infrared");
      EXPECT_EQ((*stream)->next_sequence(), static_cast<std::uint64_t>(seq) + 1);
    }
  }
  // Another receiver process (another connection to NATS) resumes exactly.
  auto other = open_store("second receiver");
  ASSERT_TRUE(other);
  auto stream = other->open_stream("rig1/cam.v", "infrared");
  ASSERT_TRUE(stream) << stream.status().to_string();
  EXPECT_EQ((*stream)->next_sequence(), 6U);
  EXPECT_EQ((*stream)->last_file_name(), "5.png");
  EXPECT_TRUE((*stream)->is_stored(1, "1.png", xxh3_of(large)).value());
  EXPECT_TRUE((*stream)->is_stored(0, "0.png", xxh3_of(small)).value());
  EXPECT_FALSE((*stream)->is_stored(1, "1.png", xxh3_of(small)).value());
  EXPECT_FALSE((*stream)->is_stored(1, "x.png", xxh3_of(large)).value());
  EXPECT_FALSE((*stream)->is_stored(3, "3.png", 0).value());  // a skipped sequence

  // The latest frame reads back by name; a large one from its parts.
  auto latest = other->read_frame("rig1/cam.v", "5.png", 1 << 20);
  ASSERT_TRUE(latest) << latest.status().to_string();
  EXPECT_TRUE(latest->empty());
  EXPECT_EQ(other->read_frame("rig1/cam.v", "1.png", 1 << 20).status().code(),
            ErrorCode::kBadStream);
  EXPECT_EQ(other->read_frame("rig9", "1.png", 1 << 20).status().code(), ErrorCode::kBadStream);
  EXPECT_EQ(frame_messages("rig1/cam.v"), 3U);
}

TEST_F(JetStreamStorageTest, LargeFramesAreReassembledExactly) {
  auto store = open_store();
  ASSERT_TRUE(store);
  auto stream = store->open_stream("big", "visible");
  ASSERT_TRUE(stream);
  // Exactly one chunk, one byte more, and many chunks.
  for (std::size_t size : {kMaxPayload - 16 * 1024, kMaxPayload - 16 * 1024 + 1, 1'000'003UL}) {
    const auto bytes = pattern_bytes(size, static_cast<std::uint8_t>(size));
    const std::uint64_t seq = (*stream)->next_sequence();
    const std::string name = std::to_string(seq) + ".raw";
    ASSERT_TRUE(store_frame(**stream, seq, name, bytes));
    auto read = store->read_frame("big", name, 1 << 30);
    ASSERT_TRUE(read) << read.status().to_string();
    EXPECT_EQ(*read, bytes) << size;
    EXPECT_EQ(store->read_frame("big", name, size - 1).status().code(), ErrorCode::kFrameTooLarge);
  }
}

TEST_F(JetStreamStorageTest, AResendIsSettledWithoutASecondCopy) {
  auto store = open_store();
  ASSERT_TRUE(store);
  const auto a = pattern_bytes(3000, 3);
  const auto b = pattern_bytes(3000, 4);
  {
    auto stream = store->open_stream("cam", "visible");
    ASSERT_TRUE(stream);
    ASSERT_TRUE(store_frame(**stream, 0, "0.png", a));
    ASSERT_TRUE(store_frame(**stream, 1, "1.png", b));
  }
  auto stream = store->open_stream("cam", "visible");
  ASSERT_TRUE(stream);
  // The sender lost our ACK and sends frame 1 again: stored, not published.
  auto again = store_frame(**stream, 1, "1.png", b);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->stored.size(), 1U);
  // A different frame under a stored sequence: stale, nothing stored.
  auto other = store_frame(**stream, 0, "0.png", b);
  ASSERT_TRUE(other);
  ASSERT_EQ(other->rejected.size(), 1U);
  EXPECT_EQ(other->rejected[0].second.code(), ErrorCode::kStaleSequence);
  EXPECT_EQ(frame_messages("cam"), 2U);
}

TEST_F(JetStreamStorageTest, TheSameFrameMessageTwiceIsAJetStreamDuplicate) {
  auto store = open_store();
  ASSERT_TRUE(store);
  auto client = NatsClient::connect({.url = server_->url()});
  ASSERT_TRUE(client);
  const auto bytes = pattern_bytes(100, 5);
  storage::FrameRecord record{.sequence = 7,
                              .file_name = "7.png",
                              .bytes = bytes.size(),
                              .checksum = xxh3_of(bytes),
                              .source_kind = "visible"};
  std::vector<std::shared_ptr<PublishResult>> results;
  for (int i = 0; i < 2; ++i) {
    auto msg = make_frame_message("FWTEST", "dup", record, bytes, {});
    ASSERT_TRUE(msg);
    auto published = (*client)->publish(std::move(msg).value());
    ASSERT_TRUE(published);
    results.push_back(*published);
  }
  ASSERT_TRUE((*client)->wait(results, std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  EXPECT_FALSE(results[0]->duplicate);
  EXPECT_TRUE(results[1]->duplicate);
  EXPECT_EQ(results[0]->stream_sequence, results[1]->stream_sequence);
  EXPECT_EQ(frame_messages("dup"), 1U);
}

TEST_F(JetStreamStorageTest, ASecondWriterIsRefusedUntilTheFirstCloses) {
  auto first = open_store("receiver A");
  auto second = open_store("receiver B");
  ASSERT_TRUE(first && second);
  auto held = first->open_stream("rig1/visible", "visible");
  ASSERT_TRUE(held);
  auto refused = second->open_stream("rig1/visible", "visible");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), ErrorCode::kStreamBusy);
  EXPECT_NE(refused.status().message().find("receiver A"), std::string::npos)
      << refused.status().message();
  // Other streams are not affected.
  EXPECT_TRUE(second->open_stream("rig1/infrared", "infrared"));
  held->reset();
  EXPECT_TRUE(second->open_stream("rig1/visible", "visible"));
}

TEST_F(JetStreamStorageTest, TheFenceStopsAWriterWhenAnotherAppended) {
  auto store = open_store();
  ASSERT_TRUE(store);
  auto stream = store->open_stream("fenced", "visible");
  ASSERT_TRUE(stream);
  ASSERT_TRUE(store_frame(**stream, 0, "0.png", pattern_bytes(10, 1)));
  // A writer that bypassed the lease (one that lost it while paused) appends.
  auto client = NatsClient::connect({.url = server_->url()});
  ASSERT_TRUE(client);
  const auto intruder = pattern_bytes(10, 2);
  auto msg = make_frame_message("FWTEST", "fenced",
                                {.sequence = 1,
                                 .file_name = "1.png",
                                 .bytes = 10,
                                 .checksum = xxh3_of(intruder),
                                 .source_kind = "visible"},
                                intruder, {});
  ASSERT_TRUE(msg);
  auto published = (*client)->publish(std::move(msg).value());
  ASSERT_TRUE(published);
  ASSERT_TRUE(
      (*client)->wait({*published}, std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  // Our next group is refused: no interleaving.
  auto refused = store_frame(**stream, 1, "1b.png", pattern_bytes(10, 3));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), ErrorCode::kStreamBusy) << refused.status().to_string();
  EXPECT_EQ(frame_messages("fenced"), 2U);
  // And the stream stays refused until it is opened again.
  EXPECT_FALSE((*stream)->begin_frame(2, "2.png", 1, 0));
}

TEST_F(JetStreamStorageTest, UnreachableNatsIsAStorageError) {
  JetStreamOptions o = options();
  o.endpoint.url = "nats://127.0.0.1:" + std::to_string(test::free_loopback_port());
  const auto started = std::chrono::steady_clock::now();
  auto store = JetStreamStorage::open(o);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.status().code(), ErrorCode::kStorageError);
  EXPECT_NE(store.status().message().find("cannot connect to NATS"), std::string::npos)
      << store.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST_F(JetStreamStorageTest, NatsGoingAwayFailsTheGroupAndNothingIsAcknowledged) {
  auto store = open_store();
  ASSERT_TRUE(store);
  auto stream = store->open_stream("cam", "visible");
  ASSERT_TRUE(stream);
  ASSERT_TRUE(store_frame(**stream, 0, "0.png", pattern_bytes(100, 1)));
  server_->process().kill9();
  auto failed = store_frame(**stream, 1, "1.png", pattern_bytes(100, 2));
  ASSERT_FALSE(failed);
  EXPECT_TRUE(failed.status().code() == ErrorCode::kTimeout ||
              failed.status().code() == ErrorCode::kStorageError)
      << failed.status().to_string();
  // Opening a stream now says why.
  auto refused = store->open_stream("other", "visible");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), ErrorCode::kStorageError) << refused.status().to_string();
}

TEST_F(JetStreamStorageTest, AFullStreamRefusesFramesWithJetStreamsReason) {
  // The operator made the stream with limits: one subject may hold 2 frames.
  ASSERT_TRUE(test::create_limited_stream(server_->url(), "FWTEST", 2));
  auto store = open_store();
  ASSERT_TRUE(store);
  auto full = store->open_stream("full", "visible");
  ASSERT_TRUE(full);
  ASSERT_TRUE(store_frame(**full, 0, "0.png", pattern_bytes(10, 1)));
  ASSERT_TRUE(store_frame(**full, 1, "1.png", pattern_bytes(10, 2)));
  auto refused = store_frame(**full, 2, "2.png", pattern_bytes(10, 3));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), ErrorCode::kStorageError);
  EXPECT_NE(refused.status().message().find("maximum messages per subject"), std::string::npos)
      << refused.status().message();
  // Another stream of the same store goes on.
  auto other = store->open_stream("other", "visible");
  ASSERT_TRUE(other);
  EXPECT_TRUE(store_frame(**other, 0, "0.png", pattern_bytes(10, 4)));
}

}  // namespace
}  // namespace framewire::jetstream
