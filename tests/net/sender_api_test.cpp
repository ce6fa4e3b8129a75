// The public framewire::Sender against a real in-process Receiver over
// 127.0.0.1: pushed frames named by sequence and numbered on across runs,
// named and file-backed frames, a folder and a pushed stream on one
// connection, the live queue dropping its oldest frames, flush(timeout) and
// summary() at any time, cancel() releasing a waiting archive push, and push()
// refusing a name the receiver would.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "framewire/receiver.hpp"
#include "framewire/sender.hpp"

namespace framewire {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> frame_bytes(std::uint64_t index, std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<std::uint8_t>((index * 131 + i * 7) & 0xff);
  }
  return bytes;
}

std::vector<std::uint8_t> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (name != "manifest.jsonl") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

class SenderApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fw-sender-api-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    root_ = dir_ / "root";
  }
  void TearDown() override {
    stop_receiver();
    fs::remove_all(dir_);
  }

  void start_receiver() {
    auto receiver = Receiver::create(ReceiverOptions{.root = root_.string()});
    ASSERT_TRUE(receiver) << receiver.status().to_string();
    receiver_ = std::move(receiver).value();
    thread_ = std::thread([this] { receiver_->run(); });
  }
  void stop_receiver() {
    if (!receiver_) return;
    receiver_->stop();
    thread_.join();
    receiver_.reset();
  }

  SenderOptions options() const {
    SenderOptions options;
    options.to = receiver_ ? receiver_->local_address() : "127.0.0.1:1";
    options.retry_for = std::chrono::milliseconds(0);
    return options;
  }

  fs::path dir_;
  fs::path root_;
  std::unique_ptr<Receiver> receiver_;
  std::thread thread_;
};

TEST_F(SenderApiTest, PushedFramesAreNamedBySequenceAndNumberedOnAcrossRuns) {
  start_receiver();
  for (int run = 0; run < 2; ++run) {
    Sender sender(options());
    auto id = sender.add_stream(
        PushStreamSpec{.name = "rig/visible", .policy = StreamPolicy::kArchive, .queue_frames = 2});
    ASSERT_TRUE(id);
    ASSERT_TRUE(sender.start());
    auto at = sender.resume_point(*id);
    ASSERT_TRUE(at) << at.status().to_string();
    EXPECT_EQ(at->next_sequence, run == 0 ? 0u : 20u);
    EXPECT_EQ(at->last_file_name, run == 0 ? "" : "000019.bin");
    for (std::uint64_t i = 0; i < 20; ++i) {
      const std::uint64_t index = run * 20 + i;
      ASSERT_TRUE(sender.push(*id, Frame{.extension = ".bin",
                                         .data = frame_bytes(index, 1000 + index),
                                         .captured_at = std::chrono::steady_clock::now()}));
    }
    auto summary = sender.finish();
    ASSERT_TRUE(summary) << summary.status().to_string();
    ASSERT_EQ(summary->streams.size(), 1u);
    const StreamSummary& stream = summary->streams[0];
    EXPECT_EQ(stream.name, "rig/visible");
    EXPECT_EQ(stream.frames, 20u);
    EXPECT_EQ(stream.frames_captured, 20u);
    EXPECT_EQ(stream.frames_dropped, 0u);
    EXPECT_EQ(stream.handed_to_stored.count, 20u);
    EXPECT_EQ(stream.capture_to_handed.count, 20u);
    EXPECT_GT(stream.handed_to_stored.p50_ms, 0.0);
    EXPECT_LE(stream.handed_to_stored.p50_ms, stream.handed_to_stored.p99_ms);
    EXPECT_LE(stream.handed_to_stored.p99_ms, stream.handed_to_stored.max_ms);
  }
  const auto names = names_in(root_ / "rig/visible");
  ASSERT_EQ(names.size(), 40u);
  for (std::uint64_t i = 0; i < 40; ++i) {
    char expected[32];
    std::snprintf(expected, sizeof expected, "%06llu.bin", static_cast<unsigned long long>(i));
    EXPECT_EQ(names[i], expected);
    EXPECT_EQ(read_file(root_ / "rig/visible" / expected), frame_bytes(i, 1000 + i)) << expected;
  }
}

TEST_F(SenderApiTest, NamedAndFileBackedFramesKeepTheirNamesBesideAFolderStream) {
  start_receiver();
  fs::create_directories(dir_ / "folder");
  for (int i = 0; i < 5; ++i) {
    std::ofstream(dir_ / "folder" / (std::to_string(i) + ".raw"), std::ios::binary)
        << std::string(3000 + i, static_cast<char>('a' + i));
  }
  std::ofstream(dir_ / "big.dat", std::ios::binary) << std::string(3 << 20, 'z');

  Sender sender(options());
  auto folder = sender.add_folder(StreamSpec{.name = "lab/folder", .folder = (dir_ / "folder")});
  auto pushed = sender.add_stream(PushStreamSpec{
      .name = "lab/pushed", .source_kind = "infrared", .policy = StreamPolicy::kArchive});
  ASSERT_TRUE(folder);
  ASSERT_TRUE(pushed);
  ASSERT_TRUE(sender.start());
  ASSERT_TRUE(sender.push(*pushed, Frame{.file_name = "a.txt", .data = frame_bytes(1, 10)}));
  ASSERT_TRUE(sender.push(*pushed, Frame{.file_name = "b.dat", .path = (dir_ / "big.dat")}));
  // Large enough to go from its own memory to the socket, not through the batch.
  ASSERT_TRUE(sender.push(*pushed, Frame{.file_name = "c.raw", .data = frame_bytes(2, 300'000)}));
  auto summary = sender.finish();
  ASSERT_TRUE(summary) << summary.status().to_string();
  EXPECT_EQ(summary->frames, 8u);
  EXPECT_EQ(summary->streams[0].frames, 5u);
  EXPECT_EQ(summary->streams[1].frames, 3u);
  EXPECT_EQ(summary->streams[1].source_kind, "infrared");
  EXPECT_EQ(names_in(root_ / "lab/pushed"), (std::vector<std::string>{"a.txt", "b.dat", "c.raw"}));
  EXPECT_EQ(read_file(root_ / "lab/pushed/c.raw"), frame_bytes(2, 300'000));
  EXPECT_EQ(read_file(root_ / "lab/pushed/b.dat"), read_file(dir_ / "big.dat"));
  EXPECT_EQ(names_in(root_ / "lab/folder").size(), 5u);
}

TEST_F(SenderApiTest, LiveQueueKeepsTheNewestFramesAndCountsTheDrops) {
  start_receiver();
  Sender sender(options());
  auto id = sender.add_stream(
      PushStreamSpec{.name = "cam", .policy = StreamPolicy::kLive, .queue_frames = 3});
  ASSERT_TRUE(id);
  // Pushed before the connection exists: only the queue's three newest stay.
  for (std::uint64_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(sender.push(*id, Frame{.extension = ".bin", .data = frame_bytes(i, 100)}));
  }
  ASSERT_TRUE(sender.start());
  auto summary = sender.finish();
  ASSERT_TRUE(summary) << summary.status().to_string();
  const StreamSummary& stream = summary->streams[0];
  EXPECT_EQ(stream.frames_captured, 10u);
  EXPECT_EQ(stream.dropped_queue, 7u);
  EXPECT_EQ(stream.frames_dropped, 7u);
  EXPECT_EQ(stream.frames, 3u);
  EXPECT_EQ(summary->frames_dropped, 7u);
  // The seven dropped frames left their sequence numbers unused: the
  // receiver sees the gap, and each name says which frame it was.
  EXPECT_EQ(names_in(root_ / "cam"),
            (std::vector<std::string>{"000007.bin", "000008.bin", "000009.bin"}));
  EXPECT_EQ(read_file(root_ / "cam/000007.bin"), frame_bytes(7, 100));
  EXPECT_EQ(read_file(root_ / "cam/000009.bin"), frame_bytes(9, 100));
}

TEST_F(SenderApiTest, FlushWaitsForWhatWasPushedAndTheStreamGoesOn) {
  start_receiver();
  Sender sender(options());
  auto id = sender.add_stream(
      PushStreamSpec{.name = "cam", .policy = StreamPolicy::kArchive, .queue_frames = 2});
  ASSERT_TRUE(id);
  ASSERT_TRUE(sender.start());
  for (std::uint64_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(sender.push(*id, Frame{.extension = ".bin", .data = frame_bytes(i, 5000)}));
  }
  ASSERT_TRUE(sender.flush());
  // Stored means on disk: all ten are there before finish().
  EXPECT_EQ(names_in(root_ / "cam").size(), 10u);
  EXPECT_EQ(sender.progress().frames_stored, 10u);
  ASSERT_TRUE(sender.push(*id, Frame{.extension = ".bin", .data = frame_bytes(10, 5000)}));
  ASSERT_TRUE(sender.flush());
  EXPECT_EQ(names_in(root_ / "cam").size(), 11u);
  auto summary = sender.finish();
  ASSERT_TRUE(summary) << summary.status().to_string();
  EXPECT_EQ(summary->frames, 11u);
}

TEST_F(SenderApiTest, FlushWithATimeoutSaysTimeoutWhileNothingIsAcknowledged) {
  // No receiver: the connection is refused and retried, nothing is acknowledged.
  SenderOptions opts = options();
  opts.retry_for = std::chrono::milliseconds(60'000);
  Sender sender(opts);
  auto id = sender.add_stream(PushStreamSpec{.name = "cam", .policy = StreamPolicy::kArchive});
  ASSERT_TRUE(id);
  ASSERT_TRUE(sender.start());
  ASSERT_TRUE(sender.push(*id, Frame{.extension = ".bin", .data = frame_bytes(0, 10)}));
  const auto start = std::chrono::steady_clock::now();
  const Status flushed = sender.flush(std::chrono::milliseconds(200));
  EXPECT_EQ(flushed.code(), ErrorCode::kTimeout) << flushed.to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(sender.summary().frames, 0u);  // asked while the network thread retries
  sender.cancel();
  EXPECT_FALSE(sender.finish());
}

TEST_F(SenderApiTest, FlushWithATimeoutSaysTimeoutToAReceiverThatNeverAnswers) {
  // A listening socket nobody accepts on: the kernel completes the TCP
  // handshake, so the sender connects and writes its HELLO, and no reply
  // ever comes.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);

  SenderOptions opts = options();
  opts.to = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  Sender sender(opts);
  auto id = sender.add_stream(PushStreamSpec{.name = "cam", .policy = StreamPolicy::kArchive});
  ASSERT_TRUE(id);
  ASSERT_TRUE(sender.start());
  for (std::uint64_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(sender.push(*id, Frame{.extension = ".bin", .data = frame_bytes(i, 100)}));
  }
  const auto start = std::chrono::steady_clock::now();
  const Status flushed = sender.flush(std::chrono::milliseconds(300));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(flushed.code(), ErrorCode::kTimeout) << flushed.to_string();
  EXPECT_GE(waited, std::chrono::milliseconds(300));
  EXPECT_LT(waited, std::chrono::seconds(5));
  // The Sender goes on: a second flush times out the same way.
  EXPECT_EQ(sender.flush(std::chrono::milliseconds(50)).code(), ErrorCode::kTimeout);
  const SendSummary now = sender.summary();
  ASSERT_EQ(now.streams.size(), 1u);
  EXPECT_EQ(now.frames, 0u);
  EXPECT_EQ(now.streams[0].frames_captured, 3u);
  sender.cancel();
  EXPECT_EQ(sender.finish().status().code(), ErrorCode::kCancelled);
  ::close(listener);
}

TEST_F(SenderApiTest, SummaryMidRunAndAfterFinishAgreeWithFinish) {
  start_receiver();
  Sender sender(options());
  EXPECT_TRUE(sender.summary().streams.empty());  // before start(): empty
  auto id = sender.add_stream(PushStreamSpec{.name = "cam", .policy = StreamPolicy::kArchive});
  ASSERT_TRUE(id);
  ASSERT_TRUE(sender.start());
  for (std::uint64_t i = 0; i < 6; ++i) {
    ASSERT_TRUE(sender.push(*id, Frame{.extension = ".bin", .data = frame_bytes(i, 1000)}));
  }
  ASSERT_TRUE(sender.flush(std::chrono::milliseconds(30'000)));
  const SendSummary mid = sender.summary();
  ASSERT_EQ(mid.streams.size(), 1u);
  EXPECT_EQ(mid.frames, 6u);
  EXPECT_EQ(mid.bytes, 6000u);
  EXPECT_EQ(mid.streams[0].frames_captured, 6u);
  EXPECT_EQ(mid.streams[0].handed_to_stored.count, 6u);
  // Asked from another thread while this one pushes on.
  SendSummary from_other_thread;
  std::thread asker([&] { from_other_thread = sender.summary(); });
  for (std::uint64_t i = 6; i < 10; ++i) {
    ASSERT_TRUE(sender.push(*id, Frame{.extension = ".bin", .data = frame_bytes(i, 1000)}));
  }
  asker.join();
  ASSERT_EQ(from_other_thread.streams.size(), 1u);
  EXPECT_GE(from_other_thread.frames, 6u);
  EXPECT_LE(from_other_thread.frames, 10u);

  auto final_summary = sender.finish();
  ASSERT_TRUE(final_summary) << final_summary.status().to_string();
  EXPECT_EQ(final_summary->frames, 10u);
  const SendSummary after = sender.summary();
  EXPECT_EQ(after.frames, final_summary->frames);
  EXPECT_EQ(after.bytes, final_summary->bytes);
  EXPECT_EQ(after.seconds, final_summary->seconds);  // the same final summary, not a later one
  ASSERT_EQ(after.streams.size(), 1u);
  EXPECT_EQ(after.streams[0].frames_captured, 10u);
  EXPECT_EQ(after.streams[0].handed_to_stored.count, 10u);
  EXPECT_EQ(after.streams[0].handed_to_stored.p99_ms,
            final_summary->streams[0].handed_to_stored.p99_ms);
}

TEST_F(SenderApiTest, CancelReleasesAPushWaitingForRoom) {
  // No receiver: the connection is refused and retried, nothing drains.
  SenderOptions opts = options();
  opts.retry_for = std::chrono::milliseconds(60'000);
  Sender sender(opts);
  auto id = sender.add_stream(
      PushStreamSpec{.name = "cam", .policy = StreamPolicy::kArchive, .queue_frames = 1});
  ASSERT_TRUE(id);
  ASSERT_TRUE(sender.start());
  ASSERT_TRUE(sender.push(*id, Frame{.extension = ".bin", .data = frame_bytes(0, 10)}));
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    sender.cancel();
  });
  const Status blocked = sender.push(*id, Frame{.extension = ".bin", .data = frame_bytes(1, 10)});
  canceller.join();
  EXPECT_EQ(blocked.code(), ErrorCode::kCancelled) << blocked.to_string();
  auto summary = sender.finish();
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.status().code(), ErrorCode::kCancelled);
}

TEST_F(SenderApiTest, GivesUpAfterRetryForWithAGrowingBackoffAndSaysSoInOnEnd) {
  // Nothing listens on port 1: every attempt is refused. A refused connection
  // is a failing one: the budget runs out and the pauses double.
  fs::create_directories(dir_ / "folder");
  std::ofstream(dir_ / "folder" / "1.bin") << "x";
  SenderOptions opts = options();
  opts.retry_for = std::chrono::milliseconds(1500);
  opts.backoff_max = std::chrono::milliseconds(400);
  std::vector<std::string> notices;
  opts.on_notice = [&](const std::string& notice) { notices.push_back(notice); };
  Status ended(ErrorCode::kInternal, "on_end not called");
  opts.on_end = [&](const Status& end) { ended = end; };
  Sender sender(opts);
  ASSERT_TRUE(sender.add_folder(StreamSpec{.name = "cam", .folder = (dir_ / "folder")}));
  ASSERT_TRUE(sender.start());
  const auto started = std::chrono::steady_clock::now();
  auto summary = sender.finish();
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.status().code(), ErrorCode::kConnectionFailed);
  EXPECT_EQ(ended.code(), ErrorCode::kConnectionFailed) << ended.to_string();
  EXPECT_LT(took, std::chrono::seconds(10));
  // 0.1 + 0.2 + 0.4 + 0.4 ... s: a handful of attempts, not hundreds.
  EXPECT_GE(notices.size(), 2u);
  EXPECT_LE(notices.size(), 8u);
}

TEST_F(SenderApiTest, RefusesBadNamesBeforeTheyReachTheReceiver) {
  Sender sender(options());
  EXPECT_EQ(sender.add_stream(PushStreamSpec{.name = "../up"}).status().code(),
            ErrorCode::kBadName);
  auto id = sender.add_stream(PushStreamSpec{.name = "ok"});
  ASSERT_TRUE(id);
  EXPECT_EQ(sender.add_stream(PushStreamSpec{.name = "ok"}).status().code(), ErrorCode::kBadName);
  EXPECT_EQ(sender.push(*id, Frame{.file_name = "a/b", .data = {1}}).code(), ErrorCode::kBadName);
  EXPECT_EQ(sender.push(*id, Frame{.file_name = "manifest.jsonl", .data = {1}}).code(),
            ErrorCode::kBadName);
  EXPECT_EQ(sender.push(*id, Frame{.extension = "/x", .data = {1}}).code(), ErrorCode::kBadName);
}

TEST_F(SenderApiTest, ErrorsSayWhetherRetryingCanHelp) {
  EXPECT_TRUE(Status(ErrorCode::kConnectionFailed, "x").retryable());
  EXPECT_TRUE(Status(ErrorCode::kTimeout, "x").retryable());
  EXPECT_FALSE(Status(ErrorCode::kForbidden, "x").retryable());
  EXPECT_FALSE(Status(ErrorCode::kStorageError, "x").retryable());
  EXPECT_TRUE(Status(ErrorCode::kStorageError, "x").retryable_anyway().retryable());
  EXPECT_FALSE(Status(ErrorCode::kConnectionFailed, "x").fatal().retryable());
  EXPECT_FALSE(Status::ok().retryable());
}

}  // namespace
}  // namespace framewire
