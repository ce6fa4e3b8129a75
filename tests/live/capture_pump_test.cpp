// CapturePump with a real Sender and an in-process Receiver on 127.0.0.1: stop() from another
// thread ends every capture and what was captured is stored; a capture that fails stops the
// others and its error comes back from wait(), naming the stream; a followed file under a
// name the receiver refuses is skipped and counted while the others go; a stop() before the
// receiver is reached ends the captures without a frame.
#include "live/capture_pump.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "framewire/receiver.hpp"
#include "framewire/sender.hpp"
#include "live/live_support.hpp"
#include "support/in_process_receiver.hpp"

namespace framewire::live {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class CapturePumpTest : public framewire::test::InProcessReceiverTest {
 protected:
  SenderOptions options() const {
    SenderOptions options = sender_options();
    options.backoff_max = 200ms;
    return options;
  }

  // Adds capture `spec` as push stream `name` of `sender` and to `pump`.
  static void add_capture(Sender& sender, CapturePump& pump, const std::string& name,
                          CaptureRequest request, StreamPolicy policy = StreamPolicy::kLive,
                          std::size_t queue_frames = 64) {
    Result<PreparedCapture> prepared = prepare_capture(request);
    ASSERT_TRUE(prepared) << prepared.status().to_string();
    Result<StreamId> id = sender.add_stream(
        {.name = name, .source_kind = "visible", .policy = policy, .queue_frames = queue_frames});
    ASSERT_TRUE(id) << id.status().to_string();
    pump.add(*id, name, std::move(prepared).value());
  }
};

TEST_F(CapturePumpTest, StopFromAnotherThreadEndsEveryCaptureAndWhatWasCapturedIsStored) {
  Sender sender(options());
  CapturePump pump(sender);
  add_capture(sender, pump, "a", {.spec = "testsrc:320x240@30"});
  add_capture(sender, pump, "b", {.spec = "irsrc:64x48@30"});
  ASSERT_TRUE(sender.start().is_ok());
  pump.start();
  EXPECT_TRUE(pump.capturing());
  std::thread stopper([&] {
    std::this_thread::sleep_for(600ms);
    pump.stop();
  });
  const Status captured = pump.wait();
  stopper.join();
  EXPECT_TRUE(captured.is_ok()) << captured.to_string();
  EXPECT_FALSE(pump.capturing());
  Result<SendSummary> summary = sender.finish();
  ASSERT_TRUE(summary) << summary.status().to_string();
  ASSERT_EQ(summary->streams.size(), 2U);
  for (const StreamSummary& stream : summary->streams) {
    SCOPED_TRACE(stream.name);
    EXPECT_GE(stream.frames, 5U);
    EXPECT_EQ(stream.frames + stream.frames_dropped, stream.frames_captured);
    EXPECT_EQ(framewire::test::manifest_of(root_ + "/" + stream.name).size(), stream.frames);
    // Captured frames carry their capture time on the steady clock.
    EXPECT_GT(stream.capture_to_handed.count, 0U);
  }
}

TEST_F(CapturePumpTest, AFailingCaptureStopsTheOthersAndItsErrorIsReturned) {
  const std::string watched = dir_ / "watched";
  fs::create_directories(watched);
  Sender sender(options());
  std::vector<std::string> notices;
  std::mutex notices_mutex;
  CapturePump pump(sender, [&](const std::string& notice) {
    std::lock_guard lock(notices_mutex);
    notices.push_back(notice);
  });
  add_capture(sender, pump, "pattern", {.spec = "testsrc:320x240@30"});
  add_capture(sender, pump, "dropbox", {.spec = "follow:" + watched}, StreamPolicy::kArchive);
  ASSERT_TRUE(sender.start().is_ok());
  pump.start();
  ASSERT_TRUE(framewire::test::wait_for_manifest(root_ + "/pattern", 3));
  // The followed folder goes away: that capture fails, and the pattern is stopped with it.
  fs::remove_all(watched);
  const Status captured = pump.wait();
  EXPECT_EQ(captured.code(), ErrorCode::kStorageError) << captured.to_string();
  EXPECT_NE(captured.message().find("dropbox (follow:"), std::string::npos) << captured.message();
  {
    std::lock_guard lock(notices_mutex);
    ASSERT_EQ(notices.size(), 1U);
    EXPECT_NE(notices[0].find("stopping every capture"), std::string::npos) << notices[0];
  }
  Result<SendSummary> summary = sender.finish();
  ASSERT_TRUE(summary) << summary.status().to_string();
  EXPECT_GE(summary->streams[0].frames, 3U);
}

TEST_F(CapturePumpTest, AFollowedFileWithABadNameIsSkippedAndCounted) {
  const std::string watched = dir_ / "watched";
  fs::create_directories(watched);
  for (const char* name : {"1.bin", "two words.bin", "3.bin"}) {
    std::ofstream(watched + "/" + name) << name;
  }
  Sender sender(options());
  std::vector<std::string> notices;
  std::mutex notices_mutex;
  CapturePump pump(sender, [&](const std::string& notice) {
    std::lock_guard lock(notices_mutex);
    notices.push_back(notice);
  });
  add_capture(sender, pump, "dropbox", {.spec = "follow:" + watched, .max_frames = 3},
              StreamPolicy::kArchive);
  ASSERT_TRUE(sender.start().is_ok());
  pump.start();
  const Status captured = pump.wait();
  EXPECT_TRUE(captured.is_ok()) << captured.to_string();
  Result<SendSummary> summary = sender.finish();
  ASSERT_TRUE(summary) << summary.status().to_string();
  EXPECT_EQ(summary->streams[0].frames, 2U);
  EXPECT_EQ(summary->streams[0].dropped_source, 1U);
  EXPECT_TRUE(fs::exists(root_ + "/dropbox/1.bin"));
  EXPECT_TRUE(fs::exists(root_ + "/dropbox/3.bin"));
  std::lock_guard lock(notices_mutex);
  ASSERT_EQ(notices.size(), 1U);
  EXPECT_NE(notices[0].find("two words.bin"), std::string::npos) << notices[0];
}

TEST_F(CapturePumpTest, PrepareRefusesWhatCannotWork) {
  EXPECT_EQ(prepare_capture({.spec = "testsrc:320x240"}).status().code(), ErrorCode::kInternal);
  EXPECT_EQ(prepare_capture({.spec = "testsrc:320x240@30", .encode = "png16"}).status().code(),
            ErrorCode::kInternal);
  EXPECT_EQ(prepare_capture({.spec = "irsrc:64x48@30", .encode = "jpeg"}).status().code(),
            ErrorCode::kInternal);
  EXPECT_EQ(prepare_capture({.spec = "testsrc:64x48@30", .encode = "raw"}).status().code(),
            ErrorCode::kInternal);
  EXPECT_EQ(prepare_capture({.spec = "follow:" + (dir_ / "missing")}).status().code(),
            ErrorCode::kStorageError);
  EXPECT_EQ(prepare_capture({.spec = "follow:" + root_, .encode = "jpeg"}).status().code(),
            ErrorCode::kInternal);
  EXPECT_EQ(prepare_capture({.spec = "file:" + (dir_ / "missing.avi")}).status().code(),
            ErrorCode::kInternal);
  Result<PreparedCapture> defaults = prepare_capture({.spec = "irsrc:64x48@30"});
  ASSERT_TRUE(defaults) << defaults.status().to_string();
  EXPECT_EQ(defaults->encode.encoding, capture::Encoding::kPng16);
  EXPECT_TRUE(defaults->capture != nullptr);
}

TEST(DefaultPolicy, LiveForClockedSourcesArchiveForFilesKeptAndUnpacedSources) {
  using capture::CaptureKind;
  EXPECT_EQ(default_policy(CaptureKind::kTestsrc, true), StreamPolicy::kLive);
  EXPECT_EQ(default_policy(CaptureKind::kV4l2, false), StreamPolicy::kLive);
  EXPECT_EQ(default_policy(CaptureKind::kFile, true), StreamPolicy::kLive);
  EXPECT_EQ(default_policy(CaptureKind::kFile, false), StreamPolicy::kArchive);
  EXPECT_EQ(default_policy(CaptureKind::kIrsrc, false), StreamPolicy::kArchive);
  EXPECT_EQ(default_policy(CaptureKind::kFollow, true), StreamPolicy::kArchive);
}

}  // namespace
}  // namespace framewire::live
