// A live capture through the fault proxy, cut mid-frame: the sender reconnects and goes on with
// new frames; the frames in flight at the cut are lost and counted (dropped_cut), nothing is
// stored twice or out of order, and the send ends with exit 0.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "fault/fault_proxy.hpp"
#include "live/live_support.hpp"
#include "support/receiver_fixture.hpp"

namespace framewire::test {
namespace {

using LiveCutTest = ReceiverFixture;

TEST_F(LiveCutTest, ACutLosesOnlyTheFramesInFlightAndTheCaptureGoesOn) {
  ASSERT_TRUE(start_serve());
  // A 320x240 test pattern is ~9 KB as JPEG: the cut comes around frame 10, mid-frame.
  FaultProxy proxy(serve_->port(), FaultPlan{.cut_after = {100'000}});
  ASSERT_EQ(proxy.start(), "");
  LiveSend send(logs_);
  ASSERT_TRUE(
      send.start(proxy.address(), {"--retry-for", "60", "--retry-max-backoff", "0.3", "--frames",
                                   "90", "--stream", "cam", "--capture", "testsrc:320x240@30"}));
  const SendResult result = send.wait();
  proxy.stop();
  ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();
  EXPECT_EQ(proxy.stats().cuts, 1U);

  const nlohmann::json summary = json_summary(result);
  const nlohmann::json stream = stream_summary(summary, "cam");
  ASSERT_TRUE(stream.is_object()) << result.out;
  EXPECT_GE(summary["reconnects"].get<int>(), 1);
  EXPECT_EQ(stream["frames_captured"], 90);
  // The frame being written when the connection was cut was in flight, so lost.
  EXPECT_GE(stream["dropped_cut"].get<std::uint64_t>(), 1U);
  const auto stored_frames = stream["frames"].get<std::uint64_t>();
  EXPECT_EQ(stored_frames + stream["frames_dropped"].get<std::uint64_t>(), 90U);
  EXPECT_EQ(summary["frames_dropped"], stream["frames_dropped"]);

  // Stored: each frame once, names and capture order strictly increasing, frames after the cut
  // among them.
  const std::vector<ManifestLine> lines = manifest_of(stored("cam"));
  ASSERT_EQ(lines.size(), stored_frames);
  EXPECT_TRUE(manifest_consistent(stored("cam")));
  std::int64_t previous_tag = -1;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      EXPECT_LT(lines[i - 1].seq, lines[i].seq);
      EXPECT_LT(lines[i - 1].file, lines[i].file);  // zero-padded: sorts like the numbers
      EXPECT_LT(lines[i - 1].capture_time_ns, lines[i].capture_time_ns);
    }
    const auto tag = stored_frame_tag(stored("cam") + "/" + lines[i].file);
    ASSERT_TRUE(tag.has_value()) << lines[i].file;
    EXPECT_GT(static_cast<std::int64_t>(*tag), previous_tag) << lines[i].file;
    previous_tag = *tag;
  }
  EXPECT_EQ(previous_tag, 89) << "the last frame captured was not stored";
}

}  // namespace
}  // namespace framewire::test
