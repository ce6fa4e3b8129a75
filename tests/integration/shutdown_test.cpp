// SIGTERM while a transfer runs: the receiver finishes what arrived whole,
// exits 0, and leaves only complete, byte-identical frames that its manifest
// describes, and no partial file under a final name or temp leftover.
#include <gtest/gtest.h>

#include <signal.h>
#include <chrono>
#include <string>
#include <thread>

#include "support/receiver_fixture.hpp"

namespace framewire::test {
namespace {

using ShutdownTest = ReceiverFixture;

TEST_F(ShutdownTest, SigtermDuringATransferKeepsOnlyCompleteFrames) {
  ASSERT_TRUE(gen("visible", 40, "visible"));
  // sync=each makes the receiver the slow side, so the transfer is still
  // running when the signal comes (the test is valid either way).
  ASSERT_TRUE(start_serve({"--sync", "each"}));
  SendProcess sender(logs_);
  // --retry-for 0: the sender gives up when the receiver goes instead of
  // trying to reconnect for a minute.
  ASSERT_TRUE(sender.start(serve_->address(), {{.name = "cam", .folder = data("visible")}}, false,
                           {"--retry-for", "0"}));

  // Wait (bounded) for the first stored frame, then stop the receiver.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  const std::string manifest = stored("cam") + "/manifest.jsonl";
  while (std::chrono::steady_clock::now() < deadline && sender.running()) {
    if (std::filesystem::exists(manifest) && std::filesystem::file_size(manifest) > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const bool interrupted = sender.running();
  serve_->send_signal(SIGTERM);
  EXPECT_TRUE(serve_->wait_exit_zero(kServeStopTimeout));

  const SendResult sent = sender.wait();
  EXPECT_FALSE(sent.exit.timed_out) << sent.describe();
  if (!sent.exit.exited_with(0)) {
    EXPECT_TRUE(sent.err.find("shutting_down") != std::string::npos ||
                sent.err.find("connection_failed") != std::string::npos)
        << sent.describe();
  }
  std::size_t manifest_lines = 0;
  EXPECT_TRUE(manifest_consistent(stored("cam"), &manifest_lines));
  EXPECT_TRUE(same_files(data("visible"), stored("cam"), /*subset=*/true));
  // Every frame under its final name is also in the manifest.
  EXPECT_EQ(frame_files(stored("cam")).size(), manifest_lines);
  EXPECT_TRUE(tree_is_clean(root_));
  if (sent.exit.exited_with(0)) {
    EXPECT_TRUE(same_files(data("visible"), stored("cam")));
  }
  RecordProperty("interrupted_mid_transfer", interrupted ? "yes" : "no");
  RecordProperty("frames_stored_before_stop", static_cast<int>(manifest_lines));
}

}  // namespace
}  // namespace framewire::test
