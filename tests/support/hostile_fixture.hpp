// Fixture for hostile-peer tests: a real `framewire serve` and, running at
// the same time, a well-behaved `framewire send` of a few hundred frames to
// stream "good". Whatever the hostile RawClient does, the good sender must
// still finish with exit code 0 and byte-identical frames; then the usual
// ReceiverFixture checks run (clean root, nothing outside it, exit 0 on
// SIGTERM). TimeoutFixture starts the server with 1 s handshake and idle
// deadlines. Test-only; the test's thread.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "support/raw_client.hpp"
#include "support/receiver_fixture.hpp"

namespace framewire::test {

class HostileFixture : public ReceiverFixture {
 protected:
  static constexpr int kGoodFrames = 300;

  void SetUp() override {
    ReceiverFixture::SetUp();
    if (HasFatalFailure()) return;
    before_serve();
    ASSERT_TRUE(gen("tiny", kGoodFrames, "good"));
    ASSERT_TRUE(start_serve(serve_arguments()));
    good_ = std::make_unique<SendProcess>(logs_);
    ASSERT_TRUE(good_->start(serve_->address(), {{.name = "good", .folder = data("good")}}));
  }

  void TearDown() override {
    finish_good_sender();
    ReceiverFixture::TearDown();
  }

  // sync=none: these tests are about the protocol, and some 40 of them each
  // store a few hundred frames; durability is covered by the transfer tests.
  virtual std::vector<std::string> serve_arguments() const { return {"--sync", "none"}; }
  // Runs before the server starts (e.g. to plant things in the root).
  virtual void before_serve() {}

  // Waits for the good sender and checks its result (once).
  void finish_good_sender() {
    if (!good_) return;
    const SendResult result = good_->wait();
    good_.reset();
    EXPECT_TRUE(result.exit.exited_with(0)) << "the well-behaved sender: " << result.describe();
    EXPECT_TRUE(same_files(data("good"), stored("good")));
    EXPECT_TRUE(manifest_matches(stored("good"), data("good"), "visible"));
  }

  // A raw client that has said HELLO and got HELLO_OK.
  std::unique_ptr<RawClient> hello_client() {
    auto client = std::make_unique<RawClient>();
    EXPECT_TRUE(client->connect(serve_->port()));
    EXPECT_TRUE(client->handshake());
    return client;
  }

  // Waits until the receiver logged the end of the connection from `peer`
  // ("127.0.0.1:PORT", taken before the client closed).
  testing::AssertionResult wait_closed(const std::string& peer) const {
    return serve_->wait_for_log("connection " + peer + " closed");
  }

  // The root's top level holds only `names` (plus the good stream's folder).
  testing::AssertionResult root_holds_only(std::set<std::string> names) {
    names.insert("good");
    std::set<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(root_)) {
      found.insert(entry.path().filename().string());
    }
    found.insert("good");  // may not exist yet if the good sender is slow
    if (found == names) return testing::AssertionSuccess();
    auto failure = testing::AssertionFailure() << "root holds:";
    for (const auto& name : found) failure << " " << name;
    return failure;
  }

  // `stream_dir` holds no frame (at most an empty manifest).
  testing::AssertionResult holds_no_frame(const std::string& stream_dir) {
    if (!std::filesystem::exists(stream_dir)) return testing::AssertionSuccess();
    const auto files = frame_files(stream_dir);
    if (!files.empty()) {
      return testing::AssertionFailure() << stream_dir << " holds " << files.begin()->first
                                         << " and " << files.size() - 1 << " more";
    }
    const std::string manifest = stream_dir + "/" + kManifestName;
    if (std::filesystem::exists(manifest) && std::filesystem::file_size(manifest) != 0) {
      return testing::AssertionFailure() << manifest << " is not empty";
    }
    return testing::AssertionSuccess();
  }

  std::unique_ptr<SendProcess> good_;
};

class TimeoutFixture : public HostileFixture {
 protected:
  std::vector<std::string> serve_arguments() const override {
    return {"--sync", "none", "--idle-timeout", "1", "--handshake-timeout", "1"};
  }
};

}  // namespace framewire::test
