// Failover after a kill -9: two `framewire serve` processes on ONE root (two
// gateways to the same storage), a sender given both (`--to A --to B`, or
// SenderOptions::to and also_to), and A killed with SIGKILL in the middle of
// a transfer of 305 frames, when the manifest reaches a random line. The
// sender must move to B at once and resume where the shared root stands:
// the folder ends byte-identical to the source with one manifest line per
// frame (no frame stored twice, none lost), the summary counts every frame as
// stored by this run and none as already stored, with a reconnection. Then A
// restarts on the same root and port (sweeping the temporary files the kill
// left) and the same send again finds every frame already stored. Even runs
// use the `framewire send` program, odd runs send_folders() on a thread.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fault/fault_support.hpp"
#include "framewire/sender.hpp"
#include "support/temp_dir.hpp"

namespace framewire::test {
namespace {

constexpr int kRuns = 4;
constexpr std::uint64_t kFrames = 305;

class FailoverKill : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(base_.valid());
    std::filesystem::create_directories(logs_);
    write_frames(data_, 0, kFrames, 13, mixed_frame_bytes);
  }

  TempDir base_{"failover-kill"};
  std::string logs_ = base_ / "logs";
  std::string data_ = base_ / "data";
  std::string root_ = base_ / "root";
};

TEST_F(FailoverKill, TheSenderMovesToTheSecondReceiverAndResumesWhereTheSharedRootStands) {
  RestartableServe first(root_, logs_, {"--sync", "batch"});
  RestartableServe second(root_, logs_, {"--sync", "batch"});
  ASSERT_TRUE(first.start());
  ASSERT_TRUE(second.start());
  const std::vector<std::string> to_second{"--to", second.address(), "--retry-for", "60"};

  std::mt19937_64 random(0x6661696c);
  for (int run = 0; run < kRuns; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    const std::string stream = "run-" + std::to_string(run);
    const std::string stream_dir = root_ + "/" + stream;
    const bool in_process = run % 2 == 1;

    std::optional<SendProcess> program;
    std::optional<Result<SendSummary>> library;
    std::thread library_thread;
    if (in_process) {
      SenderOptions options;
      options.to = first.address();
      options.also_to = {second.address()};
      options.streams = {StreamSpec{.name = stream, .folder = data_}};
      options.retry_for = std::chrono::seconds(60);
      library_thread = std::thread([&library, options] { library.emplace(send_folders(options)); });
    } else {
      program.emplace(logs_);
      ASSERT_TRUE(
          program->start(first.address(), {{.name = stream, .folder = data_}}, true, to_second));
    }

    const auto line = std::uniform_int_distribution<std::size_t>(20, kFrames - 20)(random);
    // Past the deadline the kill lands wherever the transfer is.
    static_cast<void>(wait_for_manifest_lines({stream_dir}, line, std::chrono::seconds(60),
                                              std::chrono::microseconds(200)));
    first.kill9();

    if (in_process) {
      library_thread.join();
      ASSERT_TRUE(library->is_ok()) << library->status().to_string();
      const SendSummary& summary = library->value();
      EXPECT_EQ(summary.frames, kFrames);
      EXPECT_EQ(summary.already_stored_frames, 0u);
      EXPECT_GE(summary.reconnects, 1u);
      EXPECT_TRUE(summary.rejected.empty());
    } else {
      const SendResult result = program->wait();
      ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();
      const auto summary = send_summary(result);
      ASSERT_FALSE(summary.is_discarded()) << result.out;
      EXPECT_EQ(summary["frames"], kFrames);
      EXPECT_EQ(summary["already_stored_frames"], 0);
      EXPECT_GE(summary["reconnects"], 1);
      EXPECT_EQ(summary["rejected"], 0);
      EXPECT_NE(result.err.find("connection to " + first.address() + " lost"), std::string::npos)
          << result.err;
      EXPECT_NE(result.err.find("; trying " + second.address()), std::string::npos) << result.err;
    }
    // Before A restarts, B alone finished the transfer: one line per frame,
    // each naming the frame's bytes (only the kill's temporary files remain).
    EXPECT_TRUE(manifest_matches(stream_dir, data_, "visible"));

    // The restart sweeps the kill's temporary files from the shared root.
    ASSERT_TRUE(first.start()) << "restart on port " << first.port();
    EXPECT_TRUE(check_complete(stream_dir, data_));
    EXPECT_TRUE(tree_is_clean(root_));

    // The same send again, both receivers up: nothing left to store.
    const SendResult again =
        run_send(first.address(), {{.name = stream, .folder = data_}}, logs_, true, to_second);
    ASSERT_TRUE(again.exit.exited_with(0)) << again.describe();
    const auto summary = send_summary(again);
    ASSERT_FALSE(summary.is_discarded()) << again.out;
    EXPECT_EQ(summary["frames"], 0);
    EXPECT_EQ(summary["already_stored_frames"], kFrames);
    EXPECT_TRUE(check_complete(stream_dir, data_));
    if (HasFatalFailure()) break;
  }
  EXPECT_TRUE(first.stop());
  EXPECT_TRUE(second.stop());
  EXPECT_TRUE(tree_is_clean(root_));
}

}  // namespace
}  // namespace framewire::test
