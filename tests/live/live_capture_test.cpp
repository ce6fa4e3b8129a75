// `framewire send --capture` end to end, against a real `framewire serve` on 127.0.0.1: a
// visible and an infrared test pattern on one connection, a video file as fast as it decodes
// (decoded and re-encoded, or its JPEG packets passed through), a followed folder written
// slowly in pieces and by renames, SIGINT during a capture (a clean end: everything captured
// is stored), a second SIGINT or a first one on a folder send (cancel), a second run into the
// same stream (numbering continues), a capture mixed with a folder. Frames are checked by
// decoding them and reading the frame number the pattern drew into each.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "capture/video_writer.hpp"
#include "live/live_support.hpp"
#include "support/receiver_fixture.hpp"

namespace framewire::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::int64_t realtime_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class LiveCaptureTest : public ReceiverFixture {
 protected:
  void SetUp() override {
    ReceiverFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(start_serve());
  }

  // Runs `framewire send --json ARGS` to the receiver, to the end.
  SendResult run(const std::vector<std::string>& args) {
    LiveSend send(logs_);
    if (auto started = send.start(serve_->address(), args); !started) {
      SendResult failed;
      failed.err = started.message();
      return failed;
    }
    return send.wait();
  }

  // The stream folder holds exactly `count` frames named by sequence from `first`, in order,
  // with their manifest lines (source kind, capture times increasing and within
  // [after_ns, before_ns]), each decodable to `width`x`height` and carrying pattern frame
  // number `first_tag + i`.
  void expect_pattern_frames(const std::string& stream, const std::string& extension,
                             const std::string& kind, std::size_t count, std::uint64_t first,
                             std::uint32_t first_tag, std::int64_t after_ns,
                             std::int64_t before_ns) {
    SCOPED_TRACE(stream);
    const std::vector<ManifestLine> lines = manifest_of(stored(stream));
    ASSERT_EQ(lines.size(), first + count);
    EXPECT_TRUE(manifest_consistent(stored(stream)));
    std::int64_t previous = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const ManifestLine& line = lines[first + i];
      EXPECT_EQ(line.seq, first + i);
      EXPECT_EQ(line.file, sequence_name(first + i, extension));
      EXPECT_EQ(line.source, kind);
      EXPECT_GT(line.capture_time_ns, previous) << line.file;
      EXPECT_GE(line.capture_time_ns, after_ns) << line.file;
      EXPECT_LE(line.capture_time_ns, before_ns) << line.file;
      EXPECT_GE(line.receive_time_ns, line.capture_time_ns) << line.file;
      previous = line.capture_time_ns;
      EXPECT_EQ(stored_frame_tag(stored(stream) + "/" + line.file), first_tag + i) << line.file;
    }
    EXPECT_EQ(frame_files(stored(stream)).size(), first + count);
  }
};

// The example: two cameras, one connection, 30 frames each.
TEST_F(LiveCaptureTest, VisibleAndInfraredCapturesShareOneConnection) {
  const std::int64_t before_ns = realtime_ns();
  // --queue before the first --stream applies to both; 30 so that a test machine under load
  // cannot make the live queue drop (the default queue is exercised by the tests below).
  const SendResult result =
      run({"--queue", "30", "--frames", "30",  //
           "--stream", "rig1/visible", "--capture", "testsrc:320x240@30", "--stream",
           "rig1/infrared", "--source", "infrared", "--capture", "irsrc:256x192@30"});
  const std::int64_t after_ns = realtime_ns();
  ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();

  const nlohmann::json summary = json_summary(result);
  ASSERT_TRUE(summary.is_object()) << result.out;
  EXPECT_EQ(summary["frames"], 60);
  EXPECT_EQ(summary["frames_dropped"], 0);
  EXPECT_EQ(summary["rejected"], 0);
  EXPECT_EQ(summary["reconnects"], 0);
  ASSERT_TRUE(summary["streams"].is_array()) << summary.dump();
  ASSERT_EQ(summary["streams"].size(), 2U);
  EXPECT_EQ(summary["streams"][0]["name"], "rig1/visible");  // in command-line order
  EXPECT_EQ(summary["streams"][1]["name"], "rig1/infrared");
  for (const auto& [name, kind] :
       {std::pair{"rig1/visible", "visible"}, std::pair{"rig1/infrared", "infrared"}}) {
    const nlohmann::json stream = stream_summary(summary, name);
    ASSERT_TRUE(stream.is_object()) << summary.dump();
    EXPECT_EQ(stream["source_kind"], kind);
    EXPECT_EQ(stream["frames"], 30);
    EXPECT_EQ(stream["frames_captured"], 30);
    EXPECT_EQ(stream["frames_dropped"], 0);
    EXPECT_EQ(stream["dropped_queue"], 0);
    EXPECT_EQ(stream["dropped_cut"], 0);
    EXPECT_EQ(stream["dropped_source"], 0);
    EXPECT_EQ(stream["frames_rejected"], 0);
    EXPECT_EQ(stream["already_stored_frames"], 0);
    EXPECT_GT(stream["bytes"].get<std::uint64_t>(), 0U);
    for (const char* latency : {"capture_to_handed", "handed_to_stored"}) {
      const nlohmann::json figures = stream["latency_ms"][latency];
      ASSERT_TRUE(figures.is_object()) << stream.dump();
      EXPECT_GT(figures["max"].get<double>(), 0.0) << latency;
      EXPECT_LE(figures["p50"].get<double>(), figures["p95"].get<double>()) << latency;
      EXPECT_LE(figures["p95"].get<double>(), figures["p99"].get<double>()) << latency;
      EXPECT_LE(figures["p99"].get<double>(), figures["max"].get<double>() * 1.01) << latency;
    }
  }

  expect_pattern_frames("rig1/visible", ".jpg", "visible", 30, 0, 0, before_ns, after_ns);
  expect_pattern_frames("rig1/infrared", ".png", "infrared", 30, 0, 0, before_ns, after_ns);
  // Decoded as the sources made them: 8-bit RGB JPEG, 16-bit grey PNG.
  const auto visible = capture::test::decode_jpeg(read_bytes(stored("rig1/visible/000000.jpg")));
  ASSERT_TRUE(visible.has_value());
  EXPECT_EQ(visible->width(), 320);
  EXPECT_EQ(visible->height(), 240);
  const auto infrared = capture::test::decode_png(read_bytes(stored("rig1/infrared/000029.png")));
  ASSERT_TRUE(infrared.has_value());
  EXPECT_EQ(infrared->format(), capture::PixelFormat::kGray16);
  EXPECT_EQ(infrared->width(), 256);
  EXPECT_EQ(infrared->height(), 192);
}

// The human summary has one line per capture stream with its figures.
TEST_F(LiveCaptureTest, HumanSummaryHasALinePerCaptureStream) {
  // Without --json (LiveSend adds it), so the binary is run directly.
  ChildProcess child;
  const std::string name = logs_ + "/human";
  ASSERT_EQ(child.start({framewire_binary(), "send", "--to", serve_->address(), "--no-progress",
                         "--frames", "5", "--stream", "cam", "--capture", "testsrc:320x240@30"},
                        name + ".out", name + ".err"),
            "");
  ASSERT_TRUE(child.wait_for(kSendTimeout).exited_with(0)) << child.stderr_text();
  const std::string out = child.stdout_text();
  EXPECT_NE(out.find("sent 5 frames"), std::string::npos) << out;
  EXPECT_NE(out.find("cam (testsrc:320x240@30): 5 captured, 5 stored, 0 dropped; "
                     "handed->stored p50 "),
            std::string::npos)
      << out;
}

TEST_F(LiveCaptureTest, VideoFileUnpacedLandsEveryFrame) {
  const std::string video = data("clip.avi");
  const Status written =
      capture::test::write_test_video(video, {.width = 384, .height = 216, .frames = 30});
  ASSERT_TRUE(written.is_ok()) << written.to_string();
  const std::int64_t before_ns = realtime_ns();
  // --no-pace makes the default policy archive: nothing is dropped however fast it decodes.
  const SendResult result = run({"--no-pace", "--stream", "clip", "--capture", "file:" + video});
  ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();
  const nlohmann::json stream = stream_summary(json_summary(result), "clip");
  ASSERT_TRUE(stream.is_object()) << result.out;
  EXPECT_EQ(stream["frames"], 30);
  EXPECT_EQ(stream["frames_dropped"], 0);
  expect_pattern_frames("clip", ".jpg", "visible", 30, 0, 0, before_ns, realtime_ns());
}

TEST_F(LiveCaptureTest, VideoFilePacketsPassThroughWithEncodeRaw) {
  const std::string video = data("clip.avi");
  const Status written =
      capture::test::write_test_video(video, {.width = 384, .height = 216, .frames = 20});
  ASSERT_TRUE(written.is_ok()) << written.to_string();
  const std::int64_t before_ns = realtime_ns();
  const SendResult result =
      run({"--no-pace", "--stream", "clip", "--capture", "file:" + video, "--encode", "raw"});
  ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();
  // The MJPEG packets are JPEG files as they are.
  expect_pattern_frames("clip", ".jpg", "visible", 20, 0, 0, before_ns, realtime_ns());
}

// Writes `count` files into `dir` like a camera and a careful program would: even ones in place,
// slowly, in pieces (incomplete for ~100 ms); odd ones under a hidden name, then renamed in.
// File i is named "frame-<first+i>.bin" (zero-padded, so names and writing order agree).
class SlowWriter {
 public:
  static std::string name_of(int i) {
    char name[32];
    std::snprintf(name, sizeof(name), "frame-%04d.bin", i);
    return name;
  }
  static std::string contents(int i) {
    std::string data(48 * 1024 + static_cast<std::size_t>(i) * 1000, '\0');
    for (std::size_t k = 0; k < data.size(); ++k) {
      data[k] = static_cast<char>((k * 7 + static_cast<std::size_t>(i) * 13) & 0xFF);
    }
    return data;
  }

  static void write(const std::string& dir, int first, int count) {
    for (int i = first; i < first + count; ++i) {
      const std::string data = contents(i);
      if (i % 2 == 0) {
        const int fd = ::open((dir + "/" + name_of(i)).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ASSERT_GE(fd, 0);
        constexpr int kPieces = 5;
        for (int p = 0; p < kPieces; ++p) {
          const std::size_t begin = data.size() * p / kPieces;
          const std::size_t end = data.size() * (p + 1) / kPieces;
          ASSERT_EQ(::write(fd, data.data() + begin, end - begin),
                    static_cast<ssize_t>(end - begin));
          std::this_thread::sleep_for(20ms);
        }
        ::close(fd);
      } else {
        const std::string hidden = dir + "/.partial-" + std::to_string(i);
        {
          std::ofstream out(hidden, std::ios::binary);
          out << data;
        }
        fs::rename(hidden, dir + "/" + name_of(i));
      }
      std::this_thread::sleep_for(30ms);
    }
  }
};

TEST_F(LiveCaptureTest, FollowedFolderSendsEachFileOnceCompleteInOrderAndResumes) {
  const std::string watched = data("watched");
  fs::create_directories(watched);
  // Two files already there before the send starts: they go first.
  SlowWriter::write(watched, 0, 2);

  LiveSend send(logs_);
  ASSERT_TRUE(
      send.start(serve_->address(), {"--stream", "cam/drop", "--capture", "follow:" + watched}));
  std::thread writer([&] { SlowWriter::write(watched, 2, 8); });
  writer.join();
  ASSERT_TRUE(wait_for_manifest(stored("cam/drop"), 10));
  // A follow: never ends by itself: SIGINT ends it cleanly.
  std::this_thread::sleep_for(200ms);
  send.send_signal(SIGINT);
  const SendResult result = send.wait();
  ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();
  EXPECT_NE(result.err.find("SIGINT"), std::string::npos) << result.err;

  auto check_stored = [&](int files) {
    const std::vector<ManifestLine> lines = manifest_of(stored("cam/drop"));
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(files));
    for (int i = 0; i < files; ++i) {
      EXPECT_EQ(lines[i].seq, static_cast<std::uint64_t>(i));
      EXPECT_EQ(lines[i].file, SlowWriter::name_of(i));
      const std::vector<std::uint8_t> bytes =
          read_bytes(stored("cam/drop") + "/" + SlowWriter::name_of(i));
      const std::string expected = SlowWriter::contents(i);
      EXPECT_TRUE(bytes == std::vector<std::uint8_t>(expected.begin(), expected.end()))
          << SlowWriter::name_of(i) << ": " << bytes.size() << " bytes";
      // A followed file's capture time is its mtime.
      EXPECT_EQ(lines[i].capture_time_ns, mtime_ns_of(watched + "/" + SlowWriter::name_of(i)));
    }
    EXPECT_EQ(frame_files(stored("cam/drop")).size(), static_cast<std::size_t>(files));
  };
  check_stored(10);
  const nlohmann::json stream = stream_summary(json_summary(result), "cam/drop");
  ASSERT_TRUE(stream.is_object()) << result.out;
  EXPECT_EQ(stream["frames"], 10);
  EXPECT_EQ(stream["frames_dropped"], 0);

  // Started again on the same folder: it resumes after the receiver's last name, so only the
  // files written since are sent.
  LiveSend again(logs_);
  ASSERT_TRUE(
      again.start(serve_->address(), {"--stream", "cam/drop", "--capture", "follow:" + watched}));
  SlowWriter::write(watched, 10, 3);
  ASSERT_TRUE(wait_for_manifest(stored("cam/drop"), 13));
  std::this_thread::sleep_for(300ms);
  again.send_signal(SIGINT);
  const SendResult second = again.wait();
  ASSERT_TRUE(second.exit.exited_with(0)) << second.describe();
  check_stored(13);
  const nlohmann::json resumed = stream_summary(json_summary(second), "cam/drop");
  ASSERT_TRUE(resumed.is_object()) << second.out;
  EXPECT_EQ(resumed["frames"], 3);
  EXPECT_EQ(resumed["frames_captured"], 3);
}

TEST_F(LiveCaptureTest, SigintStopsTheCapturesAndEveryFrameCountedStoredIsOnDisk) {
  LiveSend send(logs_);
  ASSERT_TRUE(
      send.start(serve_->address(),
                 {"--stream", "rig1/visible", "--capture", "testsrc:320x240@30", "--stream",
                  "rig1/infrared", "--source", "infrared", "--capture", "irsrc:256x192@30"}));
  ASSERT_TRUE(wait_for_manifest(stored("rig1/visible"), 10));
  send.send_signal(SIGINT);
  const SendResult result = send.wait(60s);
  ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();
  const nlohmann::json summary = json_summary(result);
  ASSERT_TRUE(summary.is_object()) << result.out;
  std::uint64_t total = 0;
  for (const char* name : {"rig1/visible", "rig1/infrared"}) {
    SCOPED_TRACE(name);
    const nlohmann::json stream = stream_summary(summary, name);
    ASSERT_TRUE(stream.is_object()) << result.out;
    const auto frames = stream["frames"].get<std::uint64_t>();
    total += frames;
    // Everything captured was sent, except what the live queue dropped.
    EXPECT_EQ(frames + stream["frames_dropped"].get<std::uint64_t>(),
              stream["frames_captured"].get<std::uint64_t>());
    EXPECT_GE(frames, 1U);
    const std::vector<ManifestLine> lines = manifest_of(stored(name));
    EXPECT_EQ(lines.size(), frames);
    EXPECT_TRUE(manifest_consistent(stored(name)));
    EXPECT_EQ(frame_files(stored(name)).size(), frames);
  }
  EXPECT_EQ(summary["frames"].get<std::uint64_t>(), total);
}

TEST_F(LiveCaptureTest, ASecondRunIntoTheSameStreamContinuesTheNumbering) {
  const std::int64_t before_ns = realtime_ns();
  for (int run_number = 0; run_number < 2; ++run_number) {
    const SendResult result =
        run({"--frames", "5", "--stream", "cam", "--capture", "testsrc:320x240@30"});
    ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();
    const nlohmann::json stream = stream_summary(json_summary(result), "cam");
    ASSERT_TRUE(stream.is_object()) << result.out;
    EXPECT_EQ(stream["frames"], 5);
  }
  // 000005.jpg .. 000009.jpg hold the second run's frames 0..4.
  const std::vector<ManifestLine> lines = manifest_of(stored("cam"));
  ASSERT_EQ(lines.size(), 10U);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].seq, i);
    EXPECT_EQ(lines[i].file, sequence_name(i, ".jpg"));
    EXPECT_EQ(stored_frame_tag(stored("cam") + "/" + lines[i].file), i % 5) << lines[i].file;
  }
  expect_pattern_frames("cam", ".jpg", "visible", 5, 5, 0, before_ns, realtime_ns());
}

TEST_F(LiveCaptureTest, FoldersAndCapturesMixOnOneConnection) {
  ASSERT_TRUE(gen("tiny", 12, "frames"));
  const SendResult result =
      run({"--frames", "8", "--stream", "rig1/archive", data("frames"), "--stream", "rig1/visible",
           "--capture", "testsrc:320x240@30", "--encode", "png"});
  ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();
  EXPECT_TRUE(same_files(data("frames"), stored("rig1/archive")));
  const nlohmann::json summary = json_summary(result);
  ASSERT_EQ(summary["streams"].size(), 2U) << result.out;
  EXPECT_EQ(summary["frames"], 20);
  EXPECT_EQ(stream_summary(summary, "rig1/archive")["frames"], 12);
  EXPECT_EQ(stream_summary(summary, "rig1/visible")["frames"], 8);
  const auto first = capture::test::decode_png(read_bytes(stored("rig1/visible/000000.png")));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->format(), capture::PixelFormat::kRgb8);
}

// `timeout` delivers its SIGTERM twice (to the command and to its process group): still one
// clean end, not a cancel.
TEST_F(LiveCaptureTest, TimeoutsDoubleSigtermIsOneCleanEnd) {
  ChildProcess child;
  const std::string name = logs_ + "/timeout";
  ASSERT_EQ(child.start({"/usr/bin/timeout", "--preserve-status", "1.5", framewire_binary(), "send",
                         "--to", serve_->address(), "--no-progress", "--json", "--stream", "cam",
                         "--capture", "testsrc:320x240@30"},
                        name + ".out", name + ".err"),
            "");
  SendResult result;
  result.exit = child.wait_for(kSendTimeout);
  result.out = child.stdout_text();
  result.err = child.stderr_text();
  ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();
  EXPECT_EQ(result.err.find("cancelling"), std::string::npos) << result.err;
  const nlohmann::json stream = stream_summary(json_summary(result), "cam");
  ASSERT_TRUE(stream.is_object()) << result.out;
  EXPECT_GE(stream["frames"].get<std::uint64_t>(), 1U);
  EXPECT_EQ(manifest_of(stored("cam")).size(), stream["frames"].get<std::uint64_t>());
}

// Nothing listens: the captures wait for the receiver. The first SIGINT stops them, but the
// send still has to reach the receiver to say so; the second cancels it: exit 130.
TEST_F(LiveCaptureTest, ASecondSigintCancels) {
  const std::string nowhere = "127.0.0.1:1";
  LiveSend send(logs_);
  ASSERT_TRUE(send.start(nowhere, {"--retry-for", "600", "--retry-max-backoff", "0.2", "--stream",
                                   "cam", "--capture", "testsrc:320x240@30"}));
  ASSERT_TRUE(send.wait_for_stderr("retrying"));
  send.send_signal(SIGINT);
  std::this_thread::sleep_for(500ms);
  EXPECT_TRUE(send.running());
  send.send_signal(SIGINT);
  const SendResult result = send.wait(30s);
  EXPECT_TRUE(result.exit.exited_with(130)) << result.describe();
  EXPECT_NE(result.err.find("cancel"), std::string::npos) << result.err;
}

// A folder send has nothing to stop cleanly: the first SIGINT cancels.
TEST_F(LiveCaptureTest, SigintCancelsAFolderSend) {
  ASSERT_TRUE(gen("tiny", 3, "frames"));
  LiveSend send(logs_);
  ASSERT_TRUE(send.start("127.0.0.1:1", {"--retry-for", "600", "--retry-max-backoff", "0.2",
                                         "--stream", "cam", data("frames")}));
  ASSERT_TRUE(send.wait_for_stderr("retrying"));
  send.send_signal(SIGINT);
  const SendResult result = send.wait(30s);
  EXPECT_TRUE(result.exit.exited_with(130)) << result.describe();
}

}  // namespace
}  // namespace framewire::test
