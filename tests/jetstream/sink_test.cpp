// `framewire sink` end to end, against a real nats-server with a 64 KiB
// max_payload (frames above 48 KiB are stored in parts), `framewire serve
// --store` gateways and `framewire send`: what a sink stores is what a
// folder receiver would have stored, byte for byte and line for line; a
// resend stores nothing twice; a sink killed with -9 resumes without a gap or
// a duplicate; two sinks share the streams and one takes over a dead one's;
// --filter picks streams; usage errors and an unreachable NATS are told
// apart by the exit code.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "jetstream/sink_support.hpp"
#include "support/temp_dir.hpp"

namespace framewire::test {
namespace {

namespace fs = std::filesystem;

class SinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.valid());
    fs::create_directories(logs());
    nats_ = std::make_unique<NatsServer>(tmp_.path(), small_payload_config(tmp_.path()));
    ASSERT_TRUE(nats_->start());
  }

  std::string logs() const { return tmp_ / "logs"; }
  std::string url() const { return nats_->url(); }

  // A `framewire serve --store` gateway.
  void start_gateway() {
    gateway_ = std::make_unique<ServeProcess>(logs());
    ASSERT_TRUE(gateway_->start("", {"--store", url()}));
  }

  // Sends `streams` through the gateway; every frame must be acknowledged.
  void send(const std::vector<StreamArg>& streams) {
    const SendResult sent = run_send(gateway_->address(), streams, logs());
    ASSERT_TRUE(sent.exit.exited_with(0)) << sent.describe();
  }

  std::string generate(const std::string& kind, std::uint64_t count,
                       const std::vector<std::string>& extra = {}) {
    const std::string dir = tmp_ / ("in-" + kind);
    EXPECT_TRUE(generate_frames(kind, count, dir, logs(), extra));
    return dir;
  }

  std::unique_ptr<jetstream::NatsClient> connect() {
    auto client = jetstream::NatsClient::connect(jetstream::NatsEndpoint{.url = url()});
    EXPECT_TRUE(client) << client.status().to_string();
    return client ? std::move(client).value() : nullptr;
  }

  TempDir tmp_{"sink"};
  std::unique_ptr<NatsServer> nats_;
  std::unique_ptr<ServeProcess> gateway_;
};

// A manifest's text with each line's receive_time_ns set to the receive time
// JetStream holds for its sequence.
std::string with_receive_times(const std::string& manifest,
                               const std::map<std::uint64_t, std::int64_t>& receive_times) {
  std::string out;
  std::size_t start = 0;
  while (start < manifest.size()) {
    const std::size_t end = manifest.find('\n', start);
    std::string line = manifest.substr(start, end - start);
    start = end == std::string::npos ? manifest.size() : end + 1;
    const auto json = nlohmann::json::parse(line);
    const auto time = receive_times.find(json.at("seq").get<std::uint64_t>());
    const std::string key = "\"receive_time_ns\":";
    const std::size_t at = line.rfind(key);
    if (time != receive_times.end() && at != std::string::npos) {
      line = line.substr(0, at + key.size()) + std::to_string(time->second) + "}";
    }
    out += line + "\n";
  }
  return out;
}

TEST_F(SinkTest, StoresEveryKindAsAFolderReceiverWould) {
  const std::vector<StreamArg> streams{
      {"rig1/visible", generate("visible", 3, {"--width", "320", "--height", "200"}), "visible"},
      {"rig1/infrared", generate("infrared", 3, {"--width", "160", "--height", "128"}), "infrared"},
      {"rig2/jpeg", generate("jpeg", 3, {"--width", "1280", "--height", "720"}), "visible"},
      {"lab/tiny", generate("tiny", 5), "tiny"}};
  bool in_parts = false;
  for (const auto& stream : streams) {
    for (const auto& [name, path] : frame_files(stream.folder)) {
      in_parts = in_parts || fs::file_size(path) > 65536;
    }
  }
  ASSERT_TRUE(in_parts) << "no frame larger than the server's max_payload";
  start_gateway();
  send(streams);
  // The same frames into a folder receiver, for its manifest.
  ServeProcess folder_receiver(logs());
  ASSERT_TRUE(folder_receiver.start(tmp_ / "folder"));
  const SendResult sent = run_send(folder_receiver.address(), streams, logs());
  ASSERT_TRUE(sent.exit.exited_with(0)) << sent.describe();

  const std::string root = tmp_ / "sink";
  SinkProcess sink(logs());
  ASSERT_TRUE(sink.start(url(), root));
  for (const auto& stream : streams) {
    ASSERT_TRUE(wait_for_lines({root}, stream.name, frame_files(stream.folder).size()))
        << sink.log();
  }
  ASSERT_TRUE(sink.stop());

  auto client = connect();
  ASSERT_TRUE(client);
  for (const auto& stream : streams) {
    SCOPED_TRACE(stream.name);
    const std::string stored = root + "/" + stream.name;
    EXPECT_TRUE(same_files(stream.folder, stored));
    EXPECT_TRUE(manifest_matches(stored, stream.folder, stream.source));
    std::map<std::uint64_t, std::int64_t> receive_times;
    for (const auto& frame : frame_messages(*client, stream.name)) {
      receive_times[frame.record.sequence] = frame.record.receive_time_ns;
    }
    EXPECT_EQ(receive_times.size(), frame_files(stream.folder).size());
    // Byte for byte the folder receiver's manifest, but for the receive
    // times, which are the gateway's (in the messages).
    const std::string folder_manifest =
        read_text_file(tmp_ / "folder" + "/" + stream.name + "/" + kManifestName);
    EXPECT_EQ(read_text_file(stored + "/" + kManifestName),
              with_receive_times(folder_manifest, receive_times));
  }
  EXPECT_TRUE(tree_is_clean(root));
  ASSERT_TRUE(folder_receiver.stop());
  ASSERT_TRUE(gateway_->stop());
}

TEST_F(SinkTest, AResendIsStoredOnceInJetStreamAndInTheFolder) {
  const std::vector<StreamArg> streams{
      {"cam/tiny", generate("tiny", 20), "tiny"},
      {"cam/jpeg", generate("jpeg", 2, {"--width", "640", "--height", "480"}), "visible"}};
  start_gateway();
  send(streams);
  const std::string root = tmp_ / "sink";
  SinkProcess sink(logs());
  ASSERT_TRUE(sink.start(url(), root));
  for (const auto& stream : streams) {
    ASSERT_TRUE(wait_for_lines({root}, stream.name, frame_files(stream.folder).size()));
  }
  std::map<std::string, std::string> manifests;
  for (const auto& stream : streams) {
    manifests[stream.name] = read_text_file(root + "/" + stream.name + "/" + kManifestName);
  }

  const SendResult resent = run_send(gateway_->address(), streams, logs(), /*json=*/true);
  ASSERT_TRUE(resent.exit.exited_with(0)) << resent.describe();
  const auto summary = nlohmann::json::parse(resent.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << resent.out;
  EXPECT_EQ(summary.value("already_stored_frames", -1), 22) << resent.out;
  auto client = connect();
  ASSERT_TRUE(client);
  const auto counts = frame_message_counts(*client);
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts.at("FRAMEWIRE.frame.cam.tiny"), 20u);
  EXPECT_EQ(counts.at("FRAMEWIRE.frame.cam.jpeg"), 2u);
  ASSERT_TRUE(sink.stop());

  // Started again, the sink finds nothing new to store.
  SinkProcess again(logs());
  ASSERT_TRUE(again.start(url(), root));
  const auto deadline = std::chrono::steady_clock::now() + kSinkDoneTimeout;
  while (count_of(again.log(), "reading through JetStream consumer") < 2 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(count_of(again.log(), "reading through JetStream consumer"), 2u) << again.log();
  ASSERT_TRUE(again.stop());
  for (const auto& stream : streams) {
    EXPECT_EQ(read_text_file(root + "/" + stream.name + "/" + kManifestName),
              manifests[stream.name]);
    EXPECT_TRUE(same_files(stream.folder, root + "/" + stream.name));
  }
  EXPECT_NE(again.log().find("stopped: 0 frames (0.0 MB) stored, 0 already stored, 0 rejected"),
            std::string::npos)
      << again.log();
}

TEST_F(SinkTest, ASinkKilledMidRunResumesWithoutGapsOrDuplicates) {
  constexpr std::size_t kFrames = 1000;
  const std::vector<StreamArg> streams{{"rig/tiny", generate("tiny", kFrames), "tiny"}};
  start_gateway();
  send(streams);
  const std::string root = tmp_ / "sink";
  const std::string stored = root + "/rig/tiny";
  {
    // sync each: slow enough to be caught in the middle.
    SinkProcess sink(logs());
    ASSERT_TRUE(sink.start(url(), root, {"--nats-lease", "2", "--sync", "each"}));
    ASSERT_TRUE(wait_for_lines({root}, "rig/tiny", 100));
    sink.kill9();
  }
  const std::size_t at_kill = manifest_lines(stored);
  EXPECT_LT(at_kill, kFrames) << "the sink was done before it was killed";
  // Its lease lapses 2 s after the kill; then the frames it had in hand,
  // stored or not, are read again.
  SinkProcess sink(logs());
  ASSERT_TRUE(sink.start(url(), root, {"--nats-lease", "2"}));
  ASSERT_TRUE(wait_for_lines({root}, "rig/tiny", kFrames)) << sink.log();
  ASSERT_TRUE(sink.stop());
  EXPECT_TRUE(exactly_once({root}, "rig/tiny", kFrames));
  EXPECT_TRUE(manifest_matches(stored, streams[0].folder, "tiny"));
  EXPECT_TRUE(same_files(streams[0].folder, stored));
  EXPECT_TRUE(tree_is_clean(root));
}

TEST_F(SinkTest, TwoSinksShareTheStreamsAndOneTakesOverWhenTheOtherDies) {
  constexpr std::size_t kFirst = 30;
  constexpr std::size_t kAll = 60;
  const std::string all = generate("tiny", kAll);
  const std::string first = tmp_ / "first";
  copy_first_frames(all, first, kFirst);
  std::vector<StreamArg> streams;
  for (int i = 0; i < 4; ++i) streams.push_back({"fleet/cam" + std::to_string(i), first, "tiny"});
  start_gateway();

  const std::string root_a = tmp_ / "sink-a";
  const std::string root_b = tmp_ / "sink-b";
  SinkProcess sink_a(logs());
  SinkProcess sink_b(logs());
  ASSERT_TRUE(sink_a.start(url(), root_a, {"--nats-lease", "2", "--durable", "team"}));
  // The lease bucket's TTL is the first sink's: B renews by it, not by its
  // own --nats-lease (or its leases would lapse while it holds them).
  ASSERT_TRUE(sink_b.start(url(), root_b, {"--nats-lease", "30", "--durable", "team"}));
  EXPECT_NE(sink_b.log().find("this sink uses that, not 30.0 s"), std::string::npos)
      << sink_b.log();
  send(streams);
  for (const auto& stream : streams) {
    ASSERT_TRUE(wait_for_lines({root_a, root_b}, stream.name, kFirst))
        << sink_a.log() << sink_b.log();
  }
  int held_by_a = 0;
  int held_by_b = 0;
  for (const auto& stream : streams) {
    EXPECT_TRUE(exactly_once({root_a, root_b}, stream.name, kFirst));
    held_by_a += manifest_lines(root_a + "/" + stream.name) > 0 ? 1 : 0;
    held_by_b += manifest_lines(root_b + "/" + stream.name) > 0 ? 1 : 0;
  }
  EXPECT_GE(held_by_a, 1) << sink_a.log();
  EXPECT_GE(held_by_b, 1) << sink_b.log();

  // B dies (once it acknowledged what it stored: frames stored and not yet
  // acknowledged would be stored again by A into its own folder, see
  // docs/SCALE.md); the rest of every stream arrives; A takes B's streams
  // once their leases lapse.
  auto client = connect();
  ASSERT_TRUE(client);
  std::vector<std::string> names;
  for (const auto& stream : streams) names.push_back(stream.name);
  ASSERT_TRUE(wait_for_acks(*client, "team", names));
  sink_b.kill9();
  for (auto& stream : streams) stream.folder = all;
  send(streams);
  for (const auto& stream : streams) {
    ASSERT_TRUE(wait_for_lines({root_a, root_b}, stream.name, kAll)) << sink_a.log();
    EXPECT_TRUE(exactly_once({root_a, root_b}, stream.name, kAll));
    for (const std::string& root : {root_a, root_b}) {
      if (fs::exists(root + "/" + stream.name)) {
        EXPECT_TRUE(same_files(all, root + "/" + stream.name, /*subset=*/true));
      }
    }
  }
  ASSERT_TRUE(sink_a.stop());
  EXPECT_TRUE(tree_is_clean(root_a));
}

TEST_F(SinkTest, AFilterTakesOnlyTheStreamsItMatches) {
  const std::string frames = generate("tiny", 5);
  start_gateway();
  send({{"rig1/a", frames, "tiny"}, {"rig1/b", frames, "tiny"}, {"rig2/a", frames, "tiny"}});
  // Two sinks of the same durable name with other filters: each takes all
  // of its own streams (they do not halve their shares for each other).
  const std::string root1 = tmp_ / "sink-rig1";
  const std::string root2 = tmp_ / "sink-rig2";
  SinkProcess rig1(logs());
  SinkProcess rig2(logs());
  ASSERT_TRUE(rig1.start(url(), root1, {"--filter", "rig1/*"}));
  ASSERT_TRUE(rig2.start(url(), root2, {"--filter", "rig2/*"}));
  EXPECT_NE(rig1.out().find("(filter rig1/*)"), std::string::npos) << rig1.out();
  ASSERT_TRUE(wait_for_lines({root1}, "rig1/a", 5)) << rig1.log();
  ASSERT_TRUE(wait_for_lines({root1}, "rig1/b", 5)) << rig1.log();
  ASSERT_TRUE(wait_for_lines({root2}, "rig2/a", 5)) << rig2.log();
  ASSERT_TRUE(rig1.stop());
  ASSERT_TRUE(rig2.stop());
  EXPECT_TRUE(same_files(frames, root1 + "/rig1/a"));
  EXPECT_TRUE(same_files(frames, root1 + "/rig1/b"));
  EXPECT_TRUE(same_files(frames, root2 + "/rig2/a"));
  EXPECT_FALSE(fs::exists(root1 + "/rig2")) << rig1.log();
  EXPECT_FALSE(fs::exists(root2 + "/rig1")) << rig2.log();
  EXPECT_EQ(rig1.log().find("rig2"), std::string::npos) << rig1.log();
}

TEST(SinkCommand, UsageErrorsExitTwoAndAnUnreachableNatsOne) {
  TempDir tmp("sink-cli");
  ASSERT_TRUE(tmp.valid());
  const std::string nowhere = "nats://127.0.0.1:" + std::to_string(free_loopback_port());
  const std::string root = tmp / "root";

  SendResult result =
      run_sink_command({"--from", nowhere, "--root", root, "--filter", "a//b"}, tmp.path());
  EXPECT_TRUE(result.exit.exited_with(2)) << result.describe();
  EXPECT_NE(result.err.find("--filter"), std::string::npos) << result.err;

  result = run_sink_command({"--from", nowhere, "--root", root, "--durable", "a.b"}, tmp.path());
  EXPECT_TRUE(result.exit.exited_with(2)) << result.describe();
  EXPECT_NE(result.err.find("durable"), std::string::npos) << result.err;

  result = run_sink_command({"--from", nowhere}, tmp.path());
  EXPECT_TRUE(result.exit.exited_with(2)) << result.describe();

  result = run_sink_command({"--from", "http://x:1", "--root", root}, tmp.path());
  EXPECT_TRUE(result.exit.exited_with(2)) << result.describe();

  result = run_sink_command({"--from", nowhere, "--root", root}, tmp.path());
  EXPECT_TRUE(result.exit.exited_with(1)) << result.describe();
  EXPECT_NE(result.err.find("cannot connect to NATS at " + nowhere), std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(root)) << "nothing is created before NATS answers";
}

}  // namespace
}  // namespace framewire::test
