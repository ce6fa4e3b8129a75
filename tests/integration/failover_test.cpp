// Senders with more than one receiver (SenderOptions::also_to) against real
// in-process Receivers over 127.0.0.1: a first receiver that refuses hands
// over to the next at once; two receivers storing under ONE root (gateways to
// one storage), the first stopped mid-transfer: the sender moves to the
// second, resumes where the shared root ends, every frame is stored once and a
// rerun finds them all already stored; receivers that all refuse are tried in
// rounds with the backoff between rounds only; an address that is not
// HOST:PORT ends the send before any connection.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "framewire/receiver.hpp"
#include "framewire/sender.hpp"
#include "support/file_tree.hpp"
#include "support/manifest_check.hpp"
#include "support/pattern_bytes.hpp"
#include "support/temp_dir.hpp"

namespace framewire::test {
namespace {

constexpr std::uint64_t kFrames = 300;

// "127.0.0.1:PORT" of a port that was free a moment ago: nothing listens
// there, so a connection is refused.
std::string refusing_address() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) ::close(fd);
    return "127.0.0.1:1";
  }
  ::close(fd);
  return "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
}

// A Receiver on 127.0.0.1 running on a thread of its own until stop().
class Gateway {
 public:
  testing::AssertionResult start(const std::string& root) {
    auto created = Receiver::create(
        ReceiverOptions{.root = root, .log_interval = std::chrono::milliseconds(0)});
    if (!created) return testing::AssertionFailure() << created.status().to_string();
    receiver_ = std::move(created).value();
    address_ = receiver_->local_address();
    thread_ = std::thread([this] { receiver_->run(); });
    return testing::AssertionSuccess();
  }
  ~Gateway() { stop(); }
  Gateway() = default;
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Any thread: the receiver stores and acknowledges what it received, says
  // shutting_down and closes its connections.
  void begin_stop() { receiver_->stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    receiver_->stop();
    thread_.join();
  }
  // Where it listens(ed): kept after stop().
  const std::string& address() const { return address_; }
  ReceiverStats stats() const { return receiver_->stats(); }

 private:
  std::unique_ptr<Receiver> receiver_;
  std::string address_;
  std::thread thread_;
};

class Failover : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.valid());
    std::filesystem::create_directories(data_);
    // 3 KB frames with a 100 KB one every 60th, so that a group holds a mix.
    for (std::uint64_t i = 0; i < kFrames; ++i) {
      const std::size_t size = i % 60 == 59 ? 100 * 1024 : 3 * 1024;
      write_bytes(data_ + "/" + std::to_string(i) + ".bin",
                  pattern_bytes(size, static_cast<std::uint8_t>(i)));
    }
  }

  // Sender options to `to`, then `also_to`, with every notice kept.
  SenderOptions options(const std::string& to, std::vector<std::string> also_to) {
    SenderOptions options;
    options.to = to;
    options.also_to = std::move(also_to);
    options.streams = {StreamSpec{.name = "rig1/visible", .folder = data_}};
    options.retry_for = std::chrono::seconds(30);
    // Runs on the sender's network thread; read after finish() joined it.
    options.on_notice = [this](const std::string& notice) { notices_.push_back(notice); };
    return options;
  }

  testing::AssertionResult stored_once() const {
    const std::string stream = root_ + "/rig1/visible";
    if (auto same = same_files(data_, stream); !same) return same;
    if (auto listed = manifest_matches(stream, data_, "visible"); !listed) return listed;
    return tree_is_clean(root_);
  }

  std::string notices() const {
    std::string all;
    for (const std::string& notice : notices_) all += "\n  " + notice;
    return all;
  }

  TempDir dir_{"failover"};
  std::string data_ = dir_ / "data";
  std::string root_ = dir_ / "root";
  std::vector<std::string> notices_;
};

TEST_F(Failover, ARefusingFirstReceiverHandsOverToTheNextAtOnce) {
  Gateway live;
  ASSERT_TRUE(live.start(root_));
  const std::string dead = refusing_address();
  SenderOptions opts = options(dead, {live.address()});
  // A pause before the second receiver would take this long.
  opts.backoff_initial = std::chrono::seconds(60);
  opts.retry_for = std::chrono::seconds(120);

  const auto started = std::chrono::steady_clock::now();
  auto summary = send_folders(opts);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(summary) << summary.status().to_string() << notices();
  EXPECT_LT(took, std::chrono::seconds(45));
  EXPECT_EQ(summary->frames, kFrames);
  EXPECT_EQ(summary->already_stored_frames, 0u);
  EXPECT_EQ(summary->reconnects, 1u);
  EXPECT_TRUE(summary->rejected.empty());
  ASSERT_EQ(notices_.size(), 1u) << notices();
  EXPECT_NE(notices_[0].find("cannot connect to " + dead), std::string::npos) << notices_[0];
  EXPECT_TRUE(notices_[0].ends_with("; trying " + live.address())) << notices_[0];
  EXPECT_TRUE(stored_once());

  // The same send again: the refusal, then every frame found stored.
  notices_.clear();
  auto again = send_folders(opts);
  ASSERT_TRUE(again) << again.status().to_string() << notices();
  EXPECT_EQ(again->frames, 0u);
  EXPECT_EQ(again->already_stored_frames, kFrames);
  EXPECT_EQ(again->reconnects, 1u);
  EXPECT_TRUE(stored_once());
}

TEST_F(Failover, AReceiverStoppedMidTransferHandsOverToTheNextOnTheSameStorage) {
  // Both created before anything is sent: creating a receiver sweeps the
  // root's temporary files, which would pull frames from under the other.
  Gateway first;
  Gateway second;
  ASSERT_TRUE(first.start(root_));
  ASSERT_TRUE(second.start(root_));
  SenderOptions opts = options(first.address(), {second.address()});
  // Few frames in flight: most of the folder is still to send when the
  // first receiver stops after a fifth of it.
  opts.window_frames = 8;
  opts.progress_interval = std::chrono::milliseconds(0);
  constexpr std::uint64_t kStopAt = kFrames / 5;
  std::atomic<bool> stopping = false;
  opts.on_progress = [&](const SendProgress& progress) {
    if (progress.frames_stored >= kStopAt && !stopping.exchange(true)) first.begin_stop();
  };

  Sender sender(opts);
  ASSERT_TRUE(sender.add_folder(opts.streams[0]));
  ASSERT_TRUE(sender.start());
  auto summary = sender.finish();
  ASSERT_TRUE(summary) << summary.status().to_string() << notices();
  EXPECT_TRUE(stopping);
  EXPECT_EQ(summary->frames, kFrames);
  EXPECT_EQ(summary->already_stored_frames, 0u);  // as when it first reached a receiver
  EXPECT_GE(summary->reconnects, 1u);
  EXPECT_TRUE(summary->rejected.empty());
  ASSERT_FALSE(notices_.empty());
  EXPECT_NE(notices_[0].find(first.address()), std::string::npos) << notices();
  EXPECT_TRUE(notices_[0].ends_with("; trying " + second.address())) << notices();
  first.stop();

  // Each receiver counts a connection's frames when it ends: both stored
  // some, and none was stored twice.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (first.stats().frames_stored + second.stats().frames_stored < kFrames &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(first.stats().frames_stored, kStopAt);
  EXPECT_GT(second.stats().frames_stored, 0u);
  EXPECT_EQ(first.stats().frames_stored + second.stats().frames_stored, kFrames);
  EXPECT_TRUE(stored_once());

  // Run again with the same two receivers, the first of them gone.
  notices_.clear();
  auto again = send_folders(opts);
  ASSERT_TRUE(again) << again.status().to_string() << notices();
  EXPECT_EQ(again->frames, 0u);
  EXPECT_EQ(again->already_stored_frames, kFrames);
  EXPECT_TRUE(stored_once());
}

TEST_F(Failover, ReceiversThatAllRefuseAreTriedInRoundsWithTheBackoffBetweenRounds) {
  const std::string a = refusing_address();
  const std::string b = refusing_address();
  SenderOptions opts = options(a, {b});
  opts.retry_for = std::chrono::milliseconds(1500);
  opts.backoff_initial = std::chrono::milliseconds(100);
  opts.backoff_max = std::chrono::milliseconds(400);
  const auto started = std::chrono::steady_clock::now();
  auto summary = send_folders(opts);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.status().code(), ErrorCode::kConnectionFailed);
  EXPECT_LT(took, std::chrono::seconds(10));
  // a refused, b at once; b refused, a after 0.1 s; a refused, b at once;
  // b refused, a after 0.2 s...: each round pauses once, the pause doubling.
  ASSERT_GE(notices_.size(), 4u) << notices();
  EXPECT_LE(notices_.size(), 12u) << notices();
  for (std::size_t i = 0; i < notices_.size(); ++i) {
    const std::string& notice = notices_[i];
    if (i % 2 == 0) {
      EXPECT_NE(notice.find("cannot connect to " + a), std::string::npos) << notices();
      EXPECT_TRUE(notice.ends_with("; trying " + b)) << notices();
    } else {
      EXPECT_NE(notice.find("cannot connect to " + b), std::string::npos) << notices();
      EXPECT_NE(notice.find("; trying " + a + " in "), std::string::npos) << notices();
    }
  }
  EXPECT_TRUE(notices_[1].ends_with(" in 0.1 s")) << notices();
  EXPECT_TRUE(notices_[3].ends_with(" in 0.2 s")) << notices();
}

TEST_F(Failover, AnAddressThatIsNotHostPortEndsTheSendBeforeAnyConnection) {
  Gateway live;
  ASSERT_TRUE(live.start(root_));
  auto summary = send_folders(options(live.address(), {refusing_address(), "backup-gateway"}));
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.status().code(), ErrorCode::kMalformed);
  EXPECT_FALSE(summary.status().retryable());
  EXPECT_NE(summary.status().message().find("\"backup-gateway\""), std::string::npos)
      << summary.status().to_string();
  EXPECT_TRUE(notices_.empty()) << notices();
  EXPECT_EQ(live.stats().connections, 0u);
}

}  // namespace
}  // namespace framewire::test
