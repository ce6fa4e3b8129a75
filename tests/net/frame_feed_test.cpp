// Receiver::subscribe_frames() and FrameFeed: a real Receiver on 127.0.0.1:0
// with a real Sender, in a temp dir. Frames arrive in order with their fields
// and paths; an overflowing feed drops its oldest frames and counts them
// without slowing storage; a lossless feed delivers every frame; close()
// releases a waiting next() and a waiting storing thread; stop() returns with
// an unread lossless feed; a feed subscribed during run() gets what is stored
// from then on, and one subscribed before run() as well; a folder sent twice
// is delivered once. Then FrameFeedRegistry on its own, fed FrameStored events:
// resends, paths, the drop counts, a feed its consumer let go of.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "framewire/frame_feed.hpp"
#include "framewire/receiver.hpp"
#include "framewire/sender.hpp"
#include "net/frame_feed_registry.hpp"
#include "observe/events.hpp"
#include "source/folder_listing.hpp"
#include "support/file_tree.hpp"
#include "support/pattern_bytes.hpp"
#include "support/temp_dir.hpp"

namespace framewire {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::int64_t realtime_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::uint8_t> frame_data(std::uint64_t index, std::size_t size = 1000) {
  return test::pattern_bytes(size + index % 7, static_cast<std::uint8_t>(index));
}

class FrameFeedTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.valid()); }
  void TearDown() override { stop_receiver(); }

  void start_receiver() {
    auto receiver =
        Receiver::create(ReceiverOptions{.root = root_, .log_interval = milliseconds(0)});
    ASSERT_TRUE(receiver) << receiver.status().to_string();
    receiver_ = std::move(receiver).value();
    run_ended_ = std::async(std::launch::async, [receiver = receiver_.get()] { receiver->run(); });
  }
  // Stops the receiver; false when run() did not return within `limit`.
  bool stop_receiver(milliseconds limit = milliseconds(60'000)) {
    if (!receiver_) return true;
    receiver_->stop();
    const bool returned = run_ended_.wait_for(limit) == std::future_status::ready;
    if (returned) receiver_.reset();
    return returned;
  }

  SenderOptions sender_options() const {
    SenderOptions options;
    options.to = receiver_->local_address();
    options.retry_for = milliseconds(0);
    return options;
  }

  // Pushes `count` archive frames (000000.bin, ...) on one stream and finishes.
  Result<SendSummary> send(const std::string& stream, std::uint64_t first, std::uint64_t count) {
    Sender sender(sender_options());
    auto id = sender.add_stream(PushStreamSpec{.name = stream, .policy = StreamPolicy::kArchive});
    if (!id) return id.status();
    if (Status started = sender.start(); !started) return started;
    for (std::uint64_t i = first; i < first + count; ++i) {
      if (Status pushed = sender.push(*id, Frame{.extension = ".bin", .data = frame_data(i)});
          !pushed) {
        return pushed;
      }
    }
    return sender.finish();
  }

  std::string stored_path(const std::string& stream, const std::string& file) const {
    return (fs::path(root_) / stream / file).string();
  }

  test::TempDir dir_{"frame-feed"};
  std::string root_ = dir_ / "root";
  std::unique_ptr<Receiver> receiver_;
  std::future<void> run_ended_;
};

TEST_F(FrameFeedTest, FramesArriveInOrderWithTheirFieldsAndPaths) {
  start_receiver();
  auto feed = receiver_->subscribe_frames();
  ASSERT_NE(feed, nullptr);
  const std::int64_t before = realtime_ns();
  constexpr std::int64_t kCaptured = 1'700'000'000'000'000'000;
  {
    Sender sender(sender_options());
    auto visible = sender.add_stream(PushStreamSpec{
        .name = "rig1/visible", .source_kind = "visible", .policy = StreamPolicy::kArchive});
    auto infrared = sender.add_stream(PushStreamSpec{
        .name = "rig1/infrared", .source_kind = "infrared", .policy = StreamPolicy::kArchive});
    ASSERT_TRUE(visible && infrared);
    ASSERT_TRUE(sender.start());
    for (std::uint64_t i = 0; i < 10; ++i) {
      ASSERT_TRUE(sender.push(
          *visible, Frame{.extension = ".jpg",
                          .data = frame_data(i),
                          .capture_time_ns = kCaptured + 1000 * static_cast<std::int64_t>(i)}));
      ASSERT_TRUE(sender.push(
          *infrared,
          Frame{.file_name = "ir-" + std::to_string(i) + ".png",
                .data = frame_data(100 + i),
                .capture_time_ns = kCaptured + 1000 * static_cast<std::int64_t>(i) + 1}));
    }
    auto summary = sender.finish();
    ASSERT_TRUE(summary) << summary.status().to_string();
    ASSERT_EQ(summary->frames, 20u);
  }
  const std::int64_t after = realtime_ns();

  // Every frame was offered before it was acknowledged, so all 20 are queued.
  std::map<std::string, std::vector<StoredFrame>> by_stream;
  for (int i = 0; i < 20; ++i) {
    auto frame = feed->next(milliseconds(5'000));
    ASSERT_TRUE(frame) << "frame " << i;
    by_stream[frame->stream].push_back(*frame);
  }
  EXPECT_FALSE(feed->next(milliseconds(50))) << "nothing more was stored";
  EXPECT_FALSE(feed->closed()) << "open while the receiver runs";
  EXPECT_EQ(feed->dropped(), 0u);
  ASSERT_EQ(by_stream["rig1/visible"].size(), 10u);
  ASSERT_EQ(by_stream["rig1/infrared"].size(), 10u);
  for (std::uint64_t i = 0; i < 10; ++i) {
    const StoredFrame& v = by_stream["rig1/visible"][i];
    EXPECT_EQ(v.source_kind, "visible");
    EXPECT_EQ(v.sequence, i);
    EXPECT_EQ(v.file_name, "00000" + std::to_string(i) + ".jpg");
    EXPECT_EQ(v.path, stored_path("rig1/visible", v.file_name));
    EXPECT_TRUE(fs::path(v.path).is_absolute());
    EXPECT_EQ(v.bytes, frame_data(i).size());
    EXPECT_EQ(read_file(v.path), frame_data(i));
    EXPECT_EQ(v.capture_time_ns, kCaptured + static_cast<std::int64_t>(1000 * i));
    EXPECT_GE(v.stored_time_ns, before);
    EXPECT_LE(v.stored_time_ns, after);
    EXPECT_EQ(v.dropped_before, 0u);

    const StoredFrame& ir = by_stream["rig1/infrared"][i];
    EXPECT_EQ(ir.source_kind, "infrared");
    EXPECT_EQ(ir.sequence, i);
    EXPECT_EQ(ir.file_name, "ir-" + std::to_string(i) + ".png");
    EXPECT_EQ(ir.path, stored_path("rig1/infrared", ir.file_name));
    EXPECT_EQ(read_file(ir.path), frame_data(100 + i));
    EXPECT_EQ(ir.capture_time_ns, kCaptured + static_cast<std::int64_t>(1000 * i + 1));
  }

  // run() returning closes the feed.
  ASSERT_TRUE(stop_receiver());
  EXPECT_FALSE(feed->next(milliseconds(5'000)));
  EXPECT_TRUE(feed->closed());
}

TEST_F(FrameFeedTest, OverflowDropsTheOldestAndCountsItWithoutSlowingStorage) {
  start_receiver();
  auto feed = receiver_->subscribe_frames({.capacity = 2});
  // Nobody reads while the sender sends: it finishes all the same.
  const auto start = steady_clock::now();
  auto summary = send("cam", 0, 30);
  ASSERT_TRUE(summary) << summary.status().to_string();
  EXPECT_EQ(summary->frames, 30u);
  EXPECT_LT(steady_clock::now() - start, seconds(30));

  EXPECT_EQ(feed->dropped(), 28u);
  std::vector<StoredFrame> kept;
  while (auto frame = feed->next(milliseconds(100))) kept.push_back(*frame);
  ASSERT_EQ(kept.size(), 2u);
  for (std::uint64_t i = 0; i < 2; ++i) {
    EXPECT_EQ(kept[i].sequence, 28 + i);
    EXPECT_EQ(kept[i].dropped_before, i == 0 ? 28u : 0u);
    EXPECT_EQ(read_file(kept[i].path), frame_data(28 + i));
  }

  // A frame after a drained overflow says nothing was lost just before it.
  ASSERT_TRUE(send("cam", 30, 1));
  auto next = feed->next(milliseconds(5'000));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->sequence, 30u);
  EXPECT_EQ(next->dropped_before, 0u);
  EXPECT_EQ(feed->dropped(), 28u);
}

TEST_F(FrameFeedTest, ALosslessFeedOfTwoDeliversEveryFrameInOrder) {
  start_receiver();
  auto feed = receiver_->subscribe_frames({.capacity = 2, .lossless = true});
  constexpr std::uint64_t kFrames = 200;
  std::vector<StoredFrame> got;
  std::thread consumer([&] {
    const auto give_up = steady_clock::now() + seconds(120);
    while (got.size() < kFrames && steady_clock::now() < give_up) {
      auto frame = feed->next(milliseconds(1'000));
      if (!frame) continue;
      got.push_back(std::move(*frame));
      // Slower than storage at first, so the storing thread has to wait.
      if (got.size() < 50) std::this_thread::sleep_for(milliseconds(2));
    }
  });
  auto summary = send("rig1/visible", 0, kFrames);
  consumer.join();
  ASSERT_TRUE(summary) << summary.status().to_string();
  EXPECT_EQ(summary->frames, kFrames);
  ASSERT_EQ(got.size(), kFrames);
  for (std::uint64_t i = 0; i < kFrames; ++i) {
    EXPECT_EQ(got[i].sequence, i);
    EXPECT_EQ(got[i].dropped_before, 0u);
  }
  EXPECT_EQ(read_file(got[kFrames - 1].path), frame_data(kFrames - 1));
  EXPECT_EQ(feed->dropped(), 0u);
}

TEST_F(FrameFeedTest, CloseReleasesAWaitingNext) {
  start_receiver();
  auto feed = receiver_->subscribe_frames();
  std::atomic<bool> returned{false};
  std::optional<StoredFrame> got;
  // milliseconds::max(): as good as forever, not an overflow that returns at once.
  std::thread consumer([&] {
    got = feed->next(milliseconds::max());
    returned = true;
  });
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_FALSE(returned) << "next() waits while nothing is stored";
  const auto closed_at = steady_clock::now();
  feed->close();
  consumer.join();
  EXPECT_LT(steady_clock::now() - closed_at, seconds(5));
  EXPECT_FALSE(got);
  EXPECT_TRUE(feed->closed());

  // A closed feed receives nothing more, while storage goes on.
  auto summary = send("cam", 0, 3);
  ASSERT_TRUE(summary) << summary.status().to_string();
  EXPECT_EQ(summary->frames, 3u);
  EXPECT_FALSE(feed->next(milliseconds(50)));
  EXPECT_EQ(feed->dropped(), 0u);
}

TEST_F(FrameFeedTest, CloseReleasesAStoringThreadWaitingOnALosslessFeed) {
  start_receiver();
  auto feed = receiver_->subscribe_frames({.capacity = 1, .lossless = true});
  Sender sender(sender_options());
  auto id = sender.add_stream(PushStreamSpec{.name = "cam", .policy = StreamPolicy::kArchive});
  ASSERT_TRUE(id);
  ASSERT_TRUE(sender.start());
  for (std::uint64_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(sender.push(*id, Frame{.extension = ".bin", .data = frame_data(i)}));
  }
  // The feed holds one frame; the storing thread waits with the next, so
  // nothing after the first frame is acknowledged.
  EXPECT_EQ(sender.flush(milliseconds(500)).code(), ErrorCode::kTimeout);
  EXPECT_LE(sender.progress().frames_stored, 1u);

  feed->close();
  ASSERT_TRUE(sender.flush(milliseconds(30'000)));
  auto summary = sender.finish();
  ASSERT_TRUE(summary) << summary.status().to_string();
  EXPECT_EQ(summary->frames, 5u);
  // What was queued before close() can still be taken; then it is over.
  auto first = feed->next(milliseconds(0));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->sequence, 0u);
  EXPECT_FALSE(feed->next(milliseconds(0)));
  EXPECT_TRUE(feed->closed());
  EXPECT_EQ(feed->dropped(), 0u) << "frames after close() are not overflow";
}

TEST_F(FrameFeedTest, StopReturnsWithAnUnreadLosslessFeed) {
  start_receiver();
  auto feed = receiver_->subscribe_frames({.capacity = 1, .lossless = true});
  Sender sender(sender_options());
  auto id = sender.add_stream(PushStreamSpec{.name = "cam", .policy = StreamPolicy::kArchive});
  ASSERT_TRUE(id);
  ASSERT_TRUE(sender.start());
  for (std::uint64_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(sender.push(*id, Frame{.extension = ".bin", .data = frame_data(i)}));
  }
  EXPECT_EQ(sender.flush(milliseconds(500)).code(), ErrorCode::kTimeout) << "storage waits";

  const auto stop_at = steady_clock::now();
  const bool returned = stop_receiver(milliseconds(20'000));
  if (!returned) {
    feed->close();  // let run() end, so the test fails instead of hanging
    ASSERT_TRUE(stop_receiver());
  }
  EXPECT_TRUE(returned) << "stop() waited for a feed nobody reads";
  EXPECT_LT(steady_clock::now() - stop_at, seconds(10));
  sender.cancel();
  (void)sender.finish();

  // The frame it held can still be taken; the one it could not take when the
  // receiver stopped is counted; then the feed is closed.
  auto first = feed->next(milliseconds(0));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->sequence, 0u);
  EXPECT_FALSE(feed->next(milliseconds(0)));
  EXPECT_TRUE(feed->closed());
  EXPECT_EQ(feed->dropped(), 1u);
}

TEST_F(FrameFeedTest, AFeedSubscribedDuringRunGetsWhatIsStoredFromThenOn) {
  start_receiver();
  auto early = receiver_->subscribe_frames();
  ASSERT_TRUE(send("cam", 0, 5));
  auto late = receiver_->subscribe_frames();  // from another thread than run()'s
  ASSERT_TRUE(send("cam", 5, 5));

  std::vector<std::uint64_t> early_seen;
  while (auto frame = early->next(milliseconds(100))) early_seen.push_back(frame->sequence);
  std::vector<std::uint64_t> late_seen;
  while (auto frame = late->next(milliseconds(100))) late_seen.push_back(frame->sequence);
  EXPECT_EQ(early_seen, (std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(late_seen, (std::vector<std::uint64_t>{5, 6, 7, 8, 9}));

  // run() returning closes every feed.
  ASSERT_TRUE(stop_receiver());
  EXPECT_TRUE(early->closed());
}

TEST_F(FrameFeedTest, AFeedSubscribedBeforeRunWorksAndOneAfterRunEndedIsClosed) {
  auto receiver = Receiver::create(ReceiverOptions{.root = root_, .log_interval = milliseconds(0)});
  ASSERT_TRUE(receiver) << receiver.status().to_string();
  receiver_ = std::move(receiver).value();
  auto feed = receiver_->subscribe_frames();
  run_ended_ = std::async(std::launch::async, [r = receiver_.get()] { r->run(); });
  ASSERT_TRUE(send("cam", 0, 2));
  EXPECT_EQ(feed->next(milliseconds(5'000))->sequence, 0u);
  receiver_->stop();
  ASSERT_EQ(run_ended_.wait_for(seconds(60)), std::future_status::ready);
  EXPECT_FALSE(feed->closed()) << "frame 1 is still queued";
  EXPECT_EQ(feed->next(milliseconds(0))->sequence, 1u);
  EXPECT_TRUE(feed->closed());
  auto late = receiver_->subscribe_frames();
  EXPECT_TRUE(late->closed());
  EXPECT_FALSE(late->next(milliseconds(1'000)));
  receiver_.reset();
}

TEST_F(FrameFeedTest, AFolderSentAgainIsNotDeliveredTwice) {
  start_receiver();
  const std::string folder = dir_ / "frames";
  fs::create_directories(folder);
  for (std::uint64_t i = 0; i < 5; ++i) {
    test::write_bytes(folder + "/" + source::frame_file_name(i, ".bin"), frame_data(i));
  }
  auto feed = receiver_->subscribe_frames();
  SenderOptions options = sender_options();
  options.streams = {StreamSpec{.name = "folder", .folder = folder}};
  auto first = send_folders(options);
  ASSERT_TRUE(first) << first.status().to_string();
  EXPECT_EQ(first->frames, 5u);
  // Again, with two new files: the receiver has the first five already.
  for (std::uint64_t i = 5; i < 7; ++i) {
    test::write_bytes(folder + "/" + source::frame_file_name(i, ".bin"), frame_data(i));
  }
  auto second = send_folders(options);
  ASSERT_TRUE(second) << second.status().to_string();
  EXPECT_EQ(second->already_stored_frames, 5u);
  EXPECT_EQ(second->frames, 2u);
  std::vector<std::string> seen;
  while (auto frame = feed->next(milliseconds(200))) seen.push_back(frame->file_name);
  std::vector<std::string> expected;
  for (std::uint64_t i = 0; i < 7; ++i) expected.push_back(source::frame_file_name(i, ".bin"));
  EXPECT_EQ(seen, expected) << "each frame once";
}

// --- FrameFeedRegistry alone, fed events by hand.

observe::FrameStored stored_event(std::uint64_t sequence, bool resend = false) {
  return observe::FrameStored{.connection = 1,
                              .stream = "rig1/infrared",
                              .source_kind = "infrared",
                              .file_name = "00000" + std::to_string(sequence) + ".png",
                              .sequence = sequence,
                              .bytes = 100 + sequence,
                              .capture_time_ns = 7,
                              .stored_time_ns = 8,
                              .already_stored = resend};
}

TEST(FrameFeedRegistryTest, ResendsAndOtherEventsAreNotDeliveredAndPathsAreAbsolute) {
  net::FrameFeedRegistry registry("relative/root");
  auto feed = registry.subscribe({});
  registry.on_event(observe::StreamOpened{.stream = "rig1/infrared"});
  registry.on_event(stored_event(0, /*resend=*/true));
  registry.on_event(stored_event(1));
  auto frame = feed->next(milliseconds(0));
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->sequence, 1u);
  EXPECT_EQ(frame->bytes, 101u);
  EXPECT_EQ(frame->capture_time_ns, 7);
  EXPECT_EQ(frame->stored_time_ns, 8);
  EXPECT_EQ(frame->path, (fs::current_path() / "relative/root/rig1/infrared/000001.png").string());
  EXPECT_FALSE(feed->next(milliseconds(0)));
}

TEST(FrameFeedRegistryTest, DroppedBeforeCountsEveryOverflowJustBeforeAFrame) {
  net::FrameFeedRegistry registry("/root");
  auto three = registry.subscribe({.capacity = 3});
  auto one = registry.subscribe({.capacity = 0});  // taken as 1
  for (std::uint64_t seq = 0; seq < 5; ++seq) registry.on_event(stored_event(seq));
  // Capacity 3: 0 and 1 dropped, just before 2.
  EXPECT_EQ(three->dropped(), 2u);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> got;
  while (auto f = three->next(milliseconds(0))) got.emplace_back(f->sequence, f->dropped_before);
  EXPECT_EQ(got, (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{2, 2}, {3, 0}, {4, 0}}));
  // Capacity 1: 0 to 3 dropped, just before 4.
  EXPECT_EQ(one->dropped(), 4u);
  auto last = one->next(milliseconds(0));
  ASSERT_TRUE(last);
  EXPECT_EQ(last->sequence, 4u);
  EXPECT_EQ(last->dropped_before, 4u);
  // Read and then overflowed again: only the new losses are reported.
  for (std::uint64_t seq = 5; seq < 8; ++seq) registry.on_event(stored_event(seq));
  last = one->next(milliseconds(0));
  ASSERT_TRUE(last);
  EXPECT_EQ(last->sequence, 7u);
  EXPECT_EQ(last->dropped_before, 2u);
  EXPECT_EQ(one->dropped(), 6u);
}

TEST(FrameFeedRegistryTest, AFeedItsConsumerLetGoOfReceivesNothingMore) {
  net::FrameFeedRegistry registry("/root");
  auto kept = registry.subscribe({});
  auto dropped = registry.subscribe({.capacity = 1, .lossless = true});
  std::weak_ptr<FrameFeed> watch = dropped;
  dropped.reset();
  EXPECT_TRUE(watch.expired()) << "the registry holds feeds weakly";
  registry.on_event(stored_event(0));
  registry.on_event(stored_event(1));  // would wait on the lossless feed were it still there
  EXPECT_TRUE(kept->next(milliseconds(0)));
  EXPECT_TRUE(kept->next(milliseconds(0)));
}

TEST(FrameFeedRegistryTest, LettingGoOfALosslessFeedReleasesTheThreadWaitingOnIt) {
  net::FrameFeedRegistry registry("/root");
  auto feed = registry.subscribe({.capacity = 1, .lossless = true});
  registry.on_event(stored_event(0));
  std::atomic<bool> returned{false};
  std::thread storing([&] {
    registry.on_event(stored_event(1));  // full: waits for the consumer
    returned = true;
  });
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_FALSE(returned);
  feed.reset();
  storing.join();
  EXPECT_TRUE(returned);
}

TEST(FrameFeedRegistryTest, ReleasedLosslessFeedsWaitNoMoreAndClosedOnesStayClosed) {
  net::FrameFeedRegistry registry("/root");
  auto full = registry.subscribe({.capacity = 1, .lossless = true});
  auto roomy = registry.subscribe({.capacity = 8, .lossless = true});
  registry.on_event(stored_event(0));
  std::thread storing([&] { registry.on_event(stored_event(1)); });
  std::this_thread::sleep_for(milliseconds(100));
  registry.release_all();  // the receiver is stopping
  storing.join();
  // The full one could not take frame 1: it says so and ends.
  EXPECT_EQ(full->dropped(), 1u);
  EXPECT_EQ(full->next(milliseconds(0))->sequence, 0u);
  EXPECT_TRUE(full->closed());
  // The one with room took it and goes on until the receiver has ended.
  registry.on_event(stored_event(2));
  EXPECT_EQ(roomy->next(milliseconds(0))->sequence, 0u);
  EXPECT_EQ(roomy->next(milliseconds(0))->sequence, 1u);
  EXPECT_EQ(roomy->next(milliseconds(0))->sequence, 2u);
  EXPECT_EQ(roomy->dropped(), 0u);
  registry.close_all();
  EXPECT_TRUE(roomy->closed());
  auto later = registry.subscribe({});
  EXPECT_TRUE(later->closed());
  registry.on_event(stored_event(3));
  EXPECT_FALSE(later->next(milliseconds(0)));
}

}  // namespace
}  // namespace framewire
