// `framewire serve --store nats://...` as a gateway, driven with the real
// programs: transfers and resends, two writers of one stream through two
// receivers, a full stream next to others that go on, and NATS going away.
#include <gtest/gtest.h>

#include <fstream>

#include "jetstream/jetstream_checks.hpp"
#include "support/framewire_processes.hpp"
#include "support/nats_server.hpp"
#include "support/temp_dir.hpp"

namespace framewire::test {
namespace {

constexpr const char* kStream = "FWGATE";

class GatewayTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.valid());
    std::filesystem::create_directories(dir_ / "logs");
    nats_ = std::make_unique<NatsServer>(dir_.path());
    ASSERT_TRUE(nats_->start());
  }

  testing::AssertionResult start_receiver(ServeProcess& serve,
                                          const std::vector<std::string>& extra = {}) {
    // A short --nats-timeout: NATS going away is told within seconds.
    std::vector<std::string> args{"--store",        nats_->url(), "--nats-stream",  kStream,
                                  "--nats-lease",   "2",          "--nats-timeout", "4",
                                  "--log-interval", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return serve.start("", args);
  }

  std::string logs() const { return dir_ / "logs"; }

  TempDir dir_{"gateway"};
  std::unique_ptr<NatsServer> nats_;
};

TEST_F(GatewayTest, EveryKindOfFrameSetGoesThroughAndAResendStoresNothingTwice) {
  ServeProcess serve(logs());
  ASSERT_TRUE(start_receiver(serve));
  const std::vector<std::pair<std::string, int>> sets{
      {"visible", 6}, {"infrared", 6}, {"jpeg", 4}, {"tiny", 300}};
  std::vector<StreamArg> streams;
  for (const auto& [kind, count] : sets) {
    ASSERT_TRUE(
        generate_frames(kind, static_cast<std::uint64_t>(count), dir_ / ("in-" + kind), logs()));
    streams.push_back(
        {"rig1/" + kind, dir_ / ("in-" + kind), kind == "infrared" ? "infrared" : ""});
  }
  const SendResult first = run_send(serve.address(), streams, logs(), /*json=*/true);
  ASSERT_TRUE(first.exit.exited_with(0)) << first.describe();
  EXPECT_NE(first.out.find("\"frames\":316"), std::string::npos) << first.out;
  for (const auto& [kind, count] : sets) {
    const auto stored = read_stored_frames(nats_->url(), kStream, "rig1/" + kind);
    EXPECT_TRUE(frames_match_folder(stored, dir_ / ("in-" + kind))) << kind;
    if (kind == "infrared" && !stored.empty()) {
      EXPECT_EQ(stored[0].frame.record.source_kind, "infrared");
    }
  }
  // The same folders again: all already stored, nothing published twice.
  const SendResult again = run_send(serve.address(), streams, logs(), /*json=*/true);
  ASSERT_TRUE(again.exit.exited_with(0)) << again.describe();
  EXPECT_NE(again.out.find("\"already_stored_frames\":316"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("\"frames\":0"), std::string::npos) << again.out;
  for (const auto& [kind, count] : sets) {
    EXPECT_EQ(read_stored_frames(nats_->url(), kStream, "rig1/" + kind).size(),
              static_cast<std::size_t>(count));
  }
  EXPECT_TRUE(serve.stop());
}

TEST_F(GatewayTest, TwoWritersOfOneStreamThroughTwoReceiversNeverInterleave) {
  ServeProcess first(logs());
  ServeProcess second(logs());
  ASSERT_TRUE(start_receiver(first));
  ASSERT_TRUE(start_receiver(second));
  // The first sender holds rig1/visible for a few seconds (a paced camera).
  SendProcess holder(logs());
  ASSERT_TRUE(holder.start(first.address(), {}, /*json=*/true,
                           {"--stream", "rig1/visible", "--capture", "testsrc:160x120@50",
                            "--frames", "150", "--archive"}));
  // Once its first frames are in JetStream, it holds the stream.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (read_stored_frames(nats_->url(), kStream, "rig1/visible").empty()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no frame of the first sender";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // The second, through the other receiver, is refused.
  const SendResult refused = run_send(second.address(), {}, logs(), /*json=*/false,
                                      {"--retry-for", "1", "--stream", "rig1/visible", "--capture",
                                       "testsrc:160x120@50", "--frames", "10"});
  EXPECT_FALSE(refused.exit.exited_with(0)) << refused.describe();
  EXPECT_NE(refused.err.find("stream_busy"), std::string::npos) << refused.describe();
  const SendResult held = holder.wait();
  ASSERT_TRUE(held.exit.exited_with(0)) << held.describe();
  // JetStream holds the first sender's 150 frames, in order, and nothing else.
  const auto stored = read_stored_frames(nats_->url(), kStream, "rig1/visible");
  ASSERT_EQ(stored.size(), 150U);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i].frame.record.sequence, i);
  }
}

TEST_F(GatewayTest, AFullStreamFailsItsSenderWhileOthersGoOn) {
  // The operator created the stream with a per-stream limit of 5 frames.
  ASSERT_TRUE(create_limited_stream(nats_->url(), kStream, 5));
  ServeProcess serve(logs());
  ASSERT_TRUE(start_receiver(serve));
  ASSERT_TRUE(generate_frames("tiny", 20, dir_ / "twenty", logs()));
  ASSERT_TRUE(generate_frames("tiny", 4, dir_ / "four", logs()));
  const SendResult full = run_send(serve.address(), {{"rig1/full", dir_ / "twenty", ""}}, logs());
  EXPECT_TRUE(full.exit.exited_with(1)) << full.describe();
  EXPECT_NE(full.err.find("storage_error"), std::string::npos) << full.describe();
  EXPECT_NE(full.err.find("maximum messages per subject"), std::string::npos) << full.describe();
  // Nothing beyond the limit, and what is there is the first 5 frames.
  EXPECT_EQ(read_stored_frames(nats_->url(), kStream, "rig1/full").size(), 5U);
  // The receiver goes on serving other streams.
  const SendResult other = run_send(serve.address(), {{"rig2/ok", dir_ / "four", ""}}, logs());
  EXPECT_TRUE(other.exit.exited_with(0)) << other.describe();
  EXPECT_TRUE(
      frames_match_folder(read_stored_frames(nats_->url(), kStream, "rig2/ok"), dir_ / "four"));
  EXPECT_TRUE(serve.stop());
}

TEST_F(GatewayTest, NatsGoingAwayIsAStorageErrorAndTheReceiverRecovers) {
  ServeProcess serve(logs());
  ASSERT_TRUE(start_receiver(serve));
  ASSERT_TRUE(generate_frames("tiny", 10, dir_ / "ten", logs()));
  nats_->process().stop();
  const SendResult failed = run_send(serve.address(), {{"rig1/a", dir_ / "ten", ""}}, logs(),
                                     /*json=*/false, {"--retry-for", "1"});
  EXPECT_FALSE(failed.exit.exited_with(0)) << failed.describe();
  EXPECT_NE(failed.err.find("storage_error"), std::string::npos) << failed.describe();
  EXPECT_TRUE(serve.running());
  // NATS comes back (same port, same store): the same receiver stores again.
  ASSERT_TRUE(nats_->process().start());
  SendResult sent;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  do {
    sent = run_send(serve.address(), {{"rig1/a", dir_ / "ten", ""}}, logs(), false,
                    {"--retry-for", "2"});
  } while (!sent.exit.exited_with(0) && std::chrono::steady_clock::now() < deadline);
  EXPECT_TRUE(sent.exit.exited_with(0)) << sent.describe();
  EXPECT_TRUE(
      frames_match_folder(read_stored_frames(nats_->url(), kStream, "rig1/a"), dir_ / "ten"));
  EXPECT_TRUE(serve.stop());
}

TEST_F(GatewayTest, UnreachableNatsAtStartIsAClearError) {
  ServeProcess serve(logs());
  const std::string dead = "nats://127.0.0.1:" + std::to_string(free_loopback_port());
  auto started = serve.start("", {"--store", dead});
  ASSERT_FALSE(started);
  EXPECT_NE(std::string(started.message()).find("cannot connect to NATS"), std::string::npos)
      << started.message();
}

}  // namespace
}  // namespace framewire::test
