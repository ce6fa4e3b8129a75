// The kill -9 loop: twenty times, a receiver (--sync batch) on one root and
// one fixed port is killed with SIGKILL in the middle of a transfer of 305
// frames (300 x 3 KB and 5 x 100 KB), at a random point: either a random delay
// after the sender started, or the moment the manifest reaches a random line.
// Right after the kill, before anything repairs it, the stream folder must
// hold only complete frames under final names and a manifest whose complete
// lines are seq 0, 1, 2... for the source's frames in order; every frame the
// sender had been told was stored (counted by an in-process sender's ACKs)
// must be among them. Then the receiver restarts on the same root and port,
// the sender's own retry finishes the transfer, and the folder must equal the
// source byte for byte, one manifest line per frame, with no ".fwtmp-*"
// anywhere under the root; sending the same folder again sends nothing.
// Even runs use the `framewire send` program, odd runs send_folders() on a
// thread of this process (to see the ACKs).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "fault/fault_support.hpp"
#include "framewire/sender.hpp"
#include "support/temp_dir.hpp"

namespace framewire::test {
namespace {

constexpr int kRuns = 20;
constexpr std::uint64_t kFrames = 305;
const std::vector<std::string> kRetry{"--retry-for", "60", "--retry-max-backoff", "0.2"};

// send_folders() on a thread, counting the frames acknowledged as stored.
class LibrarySender {
 public:
  LibrarySender(const std::string& to, const std::string& stream, const std::string& folder) {
    options_.to = to;
    options_.streams = {StreamSpec{.name = stream, .folder = folder}};
    options_.retry_for = std::chrono::seconds(60);
    options_.backoff_max = std::chrono::milliseconds(200);
    // Every ACK is reported: the count below is exact, not sampled.
    options_.progress_interval = std::chrono::milliseconds(0);
    options_.on_progress = [this](const SendProgress& progress) {
      acknowledged_.store(progress.frames_stored);
    };
    thread_ = std::thread([this] { result_.emplace(send_folders(options_)); });
  }
  ~LibrarySender() {
    if (thread_.joinable()) thread_.join();
  }
  LibrarySender(const LibrarySender&) = delete;
  LibrarySender& operator=(const LibrarySender&) = delete;

  std::uint64_t acknowledged() const { return acknowledged_.load(); }
  const Result<SendSummary>& wait() {
    thread_.join();
    return *result_;
  }

 private:
  SenderOptions options_;
  std::atomic<std::uint64_t> acknowledged_ = 0;
  std::optional<Result<SendSummary>> result_;
  std::thread thread_;
};

class KillNine : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(base_.valid());
    std::filesystem::create_directories(logs_);
    write_frames(data_, 0, kFrames, 7, mixed_frame_bytes);
  }

  TempDir base_{"kill9"};
  std::string logs_ = base_ / "logs";
  std::string data_ = base_ / "data";
  std::string root_ = base_ / "root";
};

TEST_F(KillNine, TwentyKillsLoseNoAcknowledgedFrameAndStoreNoneTwice) {
  RestartableServe serve(root_, logs_, {"--sync", "batch"});
  ASSERT_TRUE(serve.start());

  // One undisturbed transfer tells how long a transfer takes here, so the
  // random delays below land inside one whatever the machine's speed.
  const auto calibration_start = std::chrono::steady_clock::now();
  const SendResult calibration =
      run_send(serve.address(), {{.name = "calibration", .folder = data_}}, logs_, true, kRetry);
  const auto transfer_time = std::chrono::steady_clock::now() - calibration_start;
  ASSERT_TRUE(calibration.exit.exited_with(0)) << calibration.describe();
  ASSERT_TRUE(check_complete(root_ + "/calibration", data_));
  const auto max_delay_us =
      std::chrono::duration_cast<std::chrono::microseconds>(transfer_time).count();

  int killed_mid_transfer = 0;
  int torn_lines = 0;
  int temp_leftovers = 0;
  int renamed_without_line = 0;
  std::mt19937_64 random(0x6b696c6c);
  for (int run = 0; run < kRuns; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    const std::string stream = "run-" + std::to_string(run);
    const std::string stream_dir = root_ + "/" + stream;
    const bool in_process = run % 2 == 1;

    std::optional<SendProcess> program;
    std::optional<LibrarySender> library;
    if (in_process) {
      library.emplace(serve.address(), stream, data_);
    } else {
      program.emplace(logs_);
      ASSERT_TRUE(
          program->start(serve.address(), {{.name = stream, .folder = data_}}, true, kRetry));
    }

    // The random point of the kill.
    if (run % 4 < 2) {
      const auto delay = std::uniform_int_distribution<long long>(0, max_delay_us)(random);
      std::this_thread::sleep_for(std::chrono::microseconds(delay));
    } else {
      const auto line = std::uniform_int_distribution<std::size_t>(1, kFrames - 1)(random);
      // Past the deadline the kill lands wherever the transfer is.
      static_cast<void>(wait_for_manifest_lines({stream_dir}, line, std::chrono::seconds(60),
                                                std::chrono::microseconds(200)));
    }
    serve.kill9();
    // Read after the receiver is gone: every ACK counted was sent before it died.
    const std::uint64_t acknowledged = in_process ? library->acknowledged() : 0;

    CrashState crash;
    EXPECT_TRUE(check_crash_state(stream_dir, data_, &crash));
    EXPECT_GE(crash.manifest_lines, acknowledged)
        << "the sender was told " << acknowledged << " frames were stored; the manifest lists "
        << crash.manifest_lines;
    if (crash.manifest_lines < kFrames) ++killed_mid_transfer;
    torn_lines += crash.torn_last_line ? 1 : 0;
    temp_leftovers += static_cast<int>(crash.temp_files);
    renamed_without_line += static_cast<int>(crash.stored_not_in_manifest);

    ASSERT_TRUE(serve.start()) << "restart on port " << serve.port();

    if (in_process) {
      const Result<SendSummary>& summary = library->wait();
      ASSERT_TRUE(summary.is_ok()) << summary.status().to_string();
      EXPECT_TRUE(summary->rejected.empty());
      EXPECT_EQ(summary->frames, kFrames);
    } else {
      const SendResult result = program->wait();
      ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();
      const auto summary = send_summary(result);
      ASSERT_FALSE(summary.is_discarded()) << result.out;
      EXPECT_EQ(summary["frames"], kFrames);
    }
    EXPECT_TRUE(check_complete(stream_dir, data_));
    EXPECT_TRUE(tree_is_clean(root_));

    // The same send again stores nothing more.
    const SendResult again =
        run_send(serve.address(), {{.name = stream, .folder = data_}}, logs_, true, kRetry);
    ASSERT_TRUE(again.exit.exited_with(0)) << again.describe();
    const auto summary = send_summary(again);
    ASSERT_FALSE(summary.is_discarded()) << again.out;
    EXPECT_EQ(summary["frames"], 0);
    EXPECT_EQ(summary["already_stored_frames"], kFrames);
    EXPECT_TRUE(check_complete(stream_dir, data_));
    if (HasFatalFailure()) break;
  }
  EXPECT_TRUE(serve.stop());
  EXPECT_TRUE(tree_is_clean(root_));

  // How often the kill caught each intermediate state; informative only, as
  // where a kill lands depends on timing.
  RecordProperty("killed_mid_transfer", killed_mid_transfer);
  RecordProperty("torn_manifest_lines", torn_lines);
  RecordProperty("temp_leftovers_at_kill", temp_leftovers);
  RecordProperty("renamed_without_manifest_line", renamed_without_line);
  std::cout << "kill -9 loop: " << kRuns << " runs, " << killed_mid_transfer
            << " killed mid-transfer, " << torn_lines << " torn manifest lines, " << temp_leftovers
            << " .fwtmp files and " << renamed_without_line
            << " renamed-but-unlisted frames found at kill time\n";
}

}  // namespace
}  // namespace framewire::test
