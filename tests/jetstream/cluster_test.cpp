// The failure drill: a 3-node NATS cluster (JetStream, replicas 3)
// behind two framewire receivers; a sender mid-transfer loses its receiver
// (kill -9) and moves to the other, then a NATS node is killed -9 too. After
// the run every frame is in JetStream exactly once, in order, byte for byte.
#include <gtest/gtest.h>

#include "jetstream/jetstream_checks.hpp"
#include "jetstream/sink_support.hpp"
#include "support/framewire_processes.hpp"
#include "support/nats_server.hpp"
#include "support/temp_dir.hpp"

namespace framewire::test {
namespace {

constexpr const char* kStream = "FWCLUSTER";

// The highest frame sequence JetStream holds for `stream`, -1 for none.
long long highest_stored(const std::string& url, const std::string& stream) {
  auto client = jetstream::NatsClient::connect({.url = url});
  if (!client) return -1;
  auto last = jetstream::last_on_subject((*client)->js(), kStream,
                                         jetstream::frame_subject(kStream, stream));
  if (!last || *last == nullptr) return -1;
  auto frame = jetstream::parse_frame_message(last->get(), kStream);
  return frame ? static_cast<long long>(frame->record.sequence) : -1;
}

testing::AssertionResult wait_until_stored(const std::string& url, const std::string& stream,
                                           long long at_least) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (highest_stored(url, stream) < at_least) {
    if (std::chrono::steady_clock::now() > deadline) {
      return testing::AssertionFailure() << "frame " << at_least << " not stored within 60 s";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return testing::AssertionSuccess();
}

TEST(ClusterTest, ASenderSurvivesItsReceiverAndANatsNodeDying) {
  TempDir dir("cluster");
  ASSERT_TRUE(dir.valid());
  const std::string logs = dir / "logs";
  std::filesystem::create_directories(logs);
  NatsCluster cluster(dir.path());
  ASSERT_TRUE(cluster.start());
  ASSERT_TRUE(wait_for_jetstream(cluster.url(), kStream, 3));

  const std::vector<std::string> store{"--store",         cluster.url(), "--nats-stream",  kStream,
                                       "--nats-replicas", "3",           "--nats-lease",   "2",
                                       "--nats-timeout",  "10",          "--log-interval", "0"};
  ServeProcess first(logs);
  ServeProcess second(logs);
  ASSERT_TRUE(first.start("", store));
  ASSERT_TRUE(second.start("", store));

  // 1280x720 PNGs, about 45 MB: seconds through R3 on loopback; fewer under the sanitizers,
  // where the programs run several times slower (the drill is the same).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  constexpr int kFrames = 60;
#else
  constexpr int kFrames = 120;
#endif
  ASSERT_TRUE(generate_frames("visible", kFrames, dir / "in", logs));
  SendProcess sender(logs);
  ASSERT_TRUE(sender.start(first.address(), {{"rig1/visible", dir / "in", ""}}, /*json=*/true,
                           {"--to", second.address(), "--retry-for", "90"}));

  ASSERT_TRUE(wait_until_stored(cluster.url(), "rig1/visible", kFrames / 8));
  first.send_signal(SIGKILL);
  ASSERT_TRUE(wait_until_stored(cluster.url(), "rig1/visible", kFrames * 5 / 12));
  cluster.node(1).kill9();

  const SendResult sent = sender.wait(std::chrono::seconds(180));
  ASSERT_TRUE(sent.exit.exited_with(0)) << sent.describe() << "\nsecond receiver:\n"
                                        << second.log();
  EXPECT_NE(sent.out.find("\"frames\":" + std::to_string(kFrames) + ","), std::string::npos)
      << sent.describe();
  EXPECT_NE(sent.out.find("\"already_stored_frames\":0"), std::string::npos) << sent.describe();
  EXPECT_EQ(sent.out.find("\"reconnects\":0"), std::string::npos) << sent.describe();

  // Every acknowledged frame, exactly once, in order, intact (read from the
  // two nodes left).
  const auto stored = read_stored_frames(cluster.url(), kStream, "rig1/visible");
  EXPECT_TRUE(frames_match_folder(stored, dir / "in"));
  EXPECT_TRUE(second.stop());

  // And the sink's folder is the input, byte for byte, with one manifest line per frame.
  SinkProcess sink(logs);
  ASSERT_TRUE(sink.start(cluster.url(), dir / "sink", {"--nats-stream", kStream}));
  ASSERT_TRUE(wait_for_lines({dir / "sink"}, "rig1/visible", kFrames));
  EXPECT_TRUE(sink.stop());
  EXPECT_TRUE(same_files(dir / "in", dir / "sink/rig1/visible"));
  EXPECT_TRUE(manifest_matches(dir / "sink/rig1/visible", dir / "in", "visible"));
}

}  // namespace
}  // namespace framewire::test
