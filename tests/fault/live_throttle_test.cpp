// Live capture over a slow link: `framewire send --capture` to a real
// `framewire serve` through the fault proxy's bandwidth limit (a token
// bucket, so the link is slow rather than stalled), set below the stream's
// bitrate.
//   * --live: the sender drops frames instead of falling behind (frames_dropped
//     > 0), handed_to_stored stays under a second at p99, every stored frame
//     is complete (byte-identical to a frame of the pattern) and the stored
//     frames are in capture order; exit 0.
//   * --archive: nothing is dropped, every frame is stored, byte-identical to
//     its source: testsrc frames 0..N-1, and followed files whose bytes the
//     test wrote.
// Pattern frames are recognised by their bytes: frame n of testsrc is always
// the same pixels (its number is drawn into it), and the same pixels always
// the same JPEG, so a reference capture sent without a limit (stream "ref",
// frame n stored as sequence n) maps each frame's XXH3 to its number. (The
// sequence on the wire skips one number per dropped frame, so the receiver
// sees each drop as a gap; the pattern's own number is checked from the bytes.)
// The stream's bitrate is measured from the reference capture, so the limit
// stays below it whatever the JPEG encoder makes of the pattern. Real
// sockets on 127.0.0.1, real processes (FRAMEWIRE_BINARY).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fault/fault_proxy.hpp"
#include "fault/fault_support.hpp"
#include "support/receiver_fixture.hpp"

namespace framewire::test {
namespace {

constexpr const char* kPattern = "testsrc:1280x720@30";
constexpr double kFps = 30;
// Frames of the reference capture: more than any test below captures.
constexpr std::uint64_t kReferenceFrames = 200;
constexpr const char* kLiveSeconds = "4";
// The link carries this fraction of the stream's bitrate.
constexpr double kLinkShare = 0.35;
constexpr std::uint64_t kMinRate = 20'000;
constexpr double kLiveP99LimitMs = 1000;
constexpr std::uint64_t kArchiveFrames = 45;
constexpr std::uint64_t kFollowFrames = 40;
constexpr std::uint64_t kFollowFrameBytes = 24 * 1024;

class LiveThrottle : public ReceiverFixture {
 protected:
  void SetUp() override {
    ReceiverFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(start_serve({"--sync", "batch"}));
  }

  void TearDown() override {
    if (proxy_) proxy_->stop();
    ReceiverFixture::TearDown();
  }

  // `framewire send --to TO --no-progress --json ARGS...` to its end.
  SendResult capture_send(const std::string& to, const std::vector<std::string>& args) {
    std::vector<std::string> argv{framewire_binary(), "send",  "--to", to,
                                  "--no-progress",    "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess child;
    const std::string name = logs_ + "/" + next_log_name("send");
    SendResult result;
    if (std::string error = child.start(argv, name + ".out", name + ".err"); !error.empty()) {
      result.err = error;
      return result;
    }
    result.exit = child.wait_for(kSendTimeout);
    result.out = child.stdout_text();
    result.err = child.stderr_text();
    return result;
  }

  // The pattern captured without a limit and as fast as it renders, into
  // stream "ref": frame n there is the reference for frame n of any other
  // capture of the pattern. Returns the bitrate of the pattern at kFps.
  double capture_reference() {
    const SendResult result = capture_send(
        serve_->address(), {"--stream", "ref", "--capture", kPattern, "--archive", "--no-pace",
                            "--frames", std::to_string(kReferenceFrames)});
    EXPECT_TRUE(result.exit.exited_with(0)) << result.describe();
    const nlohmann::json ref = stream_summary(result, "ref");
    if (ref.is_null()) return 0;
    EXPECT_EQ(ref.value("frames", 0ULL), kReferenceFrames) << ref.dump();
    const double frame_bytes = static_cast<double>(ref.value("bytes", 0ULL)) /
                               static_cast<double>(std::max<std::uint64_t>(kReferenceFrames, 1));
    RecordProperty("reference_frame_bytes", std::to_string(frame_bytes));
    return frame_bytes * kFps;
  }

  // A proxy in front of the receiver carrying `rate` bytes per second
  // towards it (the ACKs come back unthrottled).
  void start_proxy(std::uint64_t rate) {
    proxy_ = std::make_unique<FaultProxy>(serve_->port(), FaultPlan{.rate_to_receiver = rate});
    ASSERT_EQ(proxy_->start(), "");
    RecordProperty("link_bytes_per_s", std::to_string(rate));
  }

  // The summary of stream `name` in `framewire send --json`'s output, with
  // every field the live capture reports; null (and a failure) otherwise.
  static nlohmann::json stream_summary(const SendResult& result, const std::string& name) {
    const nlohmann::json summary = send_summary(result);
    if (summary.is_discarded() || !summary.is_object() || !summary.contains("streams") ||
        !summary["streams"].is_array()) {
      ADD_FAILURE() << "no JSON summary with a streams list:\n" << result.describe();
      return nullptr;
    }
    for (const auto& stream : summary["streams"]) {
      if (!stream.is_object() || stream.value("name", "") != name) continue;
      for (const char* field : {"frames", "bytes", "frames_captured", "frames_dropped"}) {
        if (!stream.contains(field) || !stream[field].is_number_unsigned()) {
          ADD_FAILURE() << "stream " << name << " has no count \"" << field
                        << "\": " << stream.dump();
          return nullptr;
        }
      }
      for (const char* span : {"capture_to_handed", "handed_to_stored"}) {
        for (const char* figure : {"p50", "p95", "p99", "max"}) {
          if (!stream.contains("latency_ms") || !stream["latency_ms"].contains(span) ||
              !stream["latency_ms"][span].contains(figure) ||
              !stream["latency_ms"][span][figure].is_number()) {
            ADD_FAILURE() << "stream " << name << " has no latency_ms." << span << "." << figure
                          << ": " << stream.dump();
            return nullptr;
          }
        }
      }
      return stream;
    }
    ADD_FAILURE() << "no stream \"" << name << "\" in the summary: " << summary.dump();
    return nullptr;
  }

  // The pattern's frame numbers by content ("XXH3/bytes" of each frame of
  // the reference stream), read from its manifest.
  std::map<std::string, std::uint64_t> reference_frames() const {
    std::string error;
    const auto lines = read_manifest(stored("ref") + "/" + kManifestName, &error);
    EXPECT_EQ(error, "");
    std::map<std::string, std::uint64_t> frames;
    for (const auto& line : lines) frames[line.xxh3 + "/" + std::to_string(line.bytes)] = line.seq;
    return frames;
  }

  // Every frame stored in `stream` is a whole frame of the pattern (its
  // bytes are those of a reference frame), its manifest describes exactly the
  // stored files (checked against their bytes), and pattern numbers, names
  // and sequence numbers all increase line by line: capture order, nothing
  // twice. Returns the pattern numbers in manifest order.
  std::vector<std::uint64_t> expect_stored_in_order_and_complete(const std::string& stream) {
    const std::string dir = stored(stream);
    EXPECT_TRUE(manifest_consistent(dir));
    std::string error;
    const auto lines = read_manifest(dir + "/" + kManifestName, &error);
    EXPECT_EQ(error, "");
    const auto reference = reference_frames();
    std::vector<std::uint64_t> numbers;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const auto found = reference.find(lines[i].xxh3 + "/" + std::to_string(lines[i].bytes));
      if (found == reference.end()) {
        ADD_FAILURE() << dir << "/" << lines[i].file << " (" << lines[i].bytes
                      << " bytes) is not a frame of the pattern (or one past the reference's "
                      << kReferenceFrames << ")";
        continue;
      }
      if (!numbers.empty()) {
        EXPECT_LT(numbers.back(), found->second)
            << "manifest line " << i + 1 << ": " << lines[i].file;
      }
      numbers.push_back(found->second);
      if (i == 0) continue;
      EXPECT_LT(lines[i - 1].seq, lines[i].seq) << "manifest line " << i + 1;
      EXPECT_TRUE(natural_less(lines[i - 1].file, lines[i].file))
          << "manifest line " << i + 1 << ": " << lines[i].file << " after " << lines[i - 1].file;
    }
    EXPECT_EQ(frame_files(dir).size(), lines.size()) << "stored files without a manifest line";
    return numbers;
  }

  std::unique_ptr<FaultProxy> proxy_;
};

std::uint64_t link_rate(double bitrate) {
  return std::max(kMinRate, static_cast<std::uint64_t>(bitrate * kLinkShare));
}

TEST_F(LiveThrottle, LiveOverASlowLinkDropsFramesAndKeepsLatencyBounded) {
  const double bitrate = capture_reference();
  ASSERT_GT(bitrate, 0);
  start_proxy(link_rate(bitrate));

  const SendResult result =
      capture_send(proxy_->address(), {"--stream", "live", "--capture", kPattern, "--live",
                                       "--queue", "2", "--duration", kLiveSeconds});
  ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();
  const nlohmann::json live = stream_summary(result, "live");
  ASSERT_FALSE(live.is_null());
  const auto frames = live["frames"].get<std::uint64_t>();
  const auto captured = live["frames_captured"].get<std::uint64_t>();
  const auto dropped = live["frames_dropped"].get<std::uint64_t>();
  const double p99 = live["latency_ms"]["handed_to_stored"]["p99"].get<double>();
  RecordProperty("frames", std::to_string(frames));
  RecordProperty("frames_captured", std::to_string(captured));
  RecordProperty("frames_dropped", std::to_string(dropped));
  RecordProperty("handed_to_stored_p99_ms", std::to_string(p99));

  EXPECT_GT(dropped, 0U) << "a link at " << kLinkShare
                         << " of the bitrate cannot carry every frame";
  EXPECT_GT(frames, 0U);
  EXPECT_LT(frames, captured);
  // Every frame captured is either stored or counted as dropped.
  EXPECT_EQ(frames + dropped, captured) << live.dump();
  EXPECT_LT(p99, kLiveP99LimitMs) << live.dump();
  EXPECT_LE(live["latency_ms"]["handed_to_stored"]["p50"].get<double>(), p99);

  const auto numbers = expect_stored_in_order_and_complete("live");
  EXPECT_EQ(numbers.size(), frames);
  // Drops leave gaps in the pattern's numbers...
  if (!numbers.empty()) {
    EXPECT_GT(numbers.back() - numbers.front() + 1, numbers.size());
  }
  // ...and in the sequences: each dropped frame left its number unused (and
  // each drop is followed by a stored frame), so the receiver's gaps add up
  // to the sender's drops.
  std::string error;
  const auto lines = read_manifest(stored("live") + "/" + kManifestName, &error);
  ASSERT_FALSE(lines.empty()) << error;
  EXPECT_EQ(lines.front().seq, 0U);
  EXPECT_EQ(lines.back().seq + 1 - lines.size(), dropped);
}

TEST_F(LiveThrottle, ArchiveOverASlowLinkStoresEveryFrameByteIdentical) {
  const double bitrate = capture_reference();
  ASSERT_GT(bitrate, 0);
  start_proxy(link_rate(bitrate));

  const SendResult result =
      capture_send(proxy_->address(), {"--stream", "archive", "--capture", kPattern, "--archive",
                                       "--queue", "2", "--frames", std::to_string(kArchiveFrames)});
  ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();
  const nlohmann::json archive = stream_summary(result, "archive");
  ASSERT_FALSE(archive.is_null());
  EXPECT_EQ(archive["frames_dropped"].get<std::uint64_t>(), 0U) << archive.dump();
  EXPECT_EQ(archive["frames_captured"].get<std::uint64_t>(), kArchiveFrames);
  EXPECT_EQ(archive["frames"].get<std::uint64_t>(), kArchiveFrames);
  RecordProperty("handed_to_stored_p99_ms",
                 std::to_string(archive["latency_ms"]["handed_to_stored"]["p99"].get<double>()));

  // Frames 0..kArchiveFrames-1 of the pattern, each byte-identical to the
  // reference, in order.
  const auto numbers = expect_stored_in_order_and_complete("archive");
  ASSERT_EQ(numbers.size(), kArchiveFrames);
  for (std::uint64_t i = 0; i < kArchiveFrames; ++i) EXPECT_EQ(numbers[i], i);
  // The link really was the bottleneck: it forwarded the frames' bytes.
  EXPECT_GE(proxy_->stats().bytes_to_receiver, archive["bytes"].get<std::uint64_t>());
}

TEST_F(LiveThrottle, ArchiveOfAFollowedFolderOverASlowLinkIsByteIdentical) {
  // Files with known bytes, already in the folder: the capture finds them
  // all at once and must wait for the slow link instead of dropping any.
  write_frames(data("follow"), 0, kFollowFrames, 31,
               [](std::uint64_t) { return kFollowFrameBytes; });
  // About a third of what the files would need to go at 30 frames per second.
  start_proxy(link_rate(static_cast<double>(kFollowFrameBytes) * kFps));
  const SendResult result =
      capture_send(proxy_->address(), {"--stream", "followed", "--source", "visible", "--capture",
                                       "follow:" + data("follow"), "--archive", "--queue", "2",
                                       "--frames", std::to_string(kFollowFrames)});
  ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();
  const nlohmann::json followed = stream_summary(result, "followed");
  ASSERT_FALSE(followed.is_null());
  EXPECT_EQ(followed["frames_dropped"].get<std::uint64_t>(), 0U) << followed.dump();
  EXPECT_EQ(followed["frames"].get<std::uint64_t>(), kFollowFrames);
  EXPECT_TRUE(check_complete(stored("followed"), data("follow")));
}

}  // namespace
}  // namespace framewire::test
