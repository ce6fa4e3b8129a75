// Peers that hold a connection without making progress: stalled mid-frame,
// trickling a byte every 200 ms, or connecting and saying nothing (200 at
// once). The receiver runs with 1 s handshake and idle deadlines and must
// drop each of them (ERROR timeout, then close) while a well-behaved sender
// finishes its transfer. No test asserts how long anything took; every wait
// has a generous upper bound.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/hostile_fixture.hpp"

namespace framewire::test {
namespace {

namespace fs = std::filesystem;

constexpr std::chrono::seconds kDropDeadline{30};

using HostileTimeouts = TimeoutFixture;

// Sends `bytes` one at a time, 200 ms apart, until the receiver answers or
// closes (or the bytes run out). Returns the receiver's reply. Gives up trickling after
// kDropDeadline (a receiver that never drops the peer then fails the test instead of hanging it).
RawClient::Reply trickle(RawClient& client, const Bytes& bytes) {
  const auto give_up = std::chrono::steady_clock::now() + kDropDeadline;
  for (const std::uint8_t byte : bytes) {
    if (std::chrono::steady_clock::now() >= give_up) break;
    if (!client.send(Bytes{byte})) break;
    RawClient::Reply reply = client.next(std::chrono::milliseconds(200));
    if (reply.kind != RawClient::Reply::Kind::kTimeout) return reply;
  }
  return client.next(kDropDeadline);
}

// A dropped connection: either ERROR timeout and then the end, or (the ERROR
// is best effort) the end alone.
testing::AssertionResult dropped_for_timeout(RawClient& client, RawClient::Reply reply) {
  if (const auto* error = reply.as<protocol::ErrorMessage>()) {
    if (error->code != protocol::WireError::kTimeout) {
      return testing::AssertionFailure() << "dropped with " << reply.describe();
    }
    reply = client.next(kDropDeadline);
  }
  if (reply.kind != RawClient::Reply::Kind::kClosed) {
    return testing::AssertionFailure() << "not dropped: " << reply.describe();
  }
  return testing::AssertionSuccess();
}

TEST_F(HostileTimeouts, PeerStalledMidFrameIsDroppedWithTimeout) {
  auto client = hello_client();
  const std::string peer = client->peer_name();
  ASSERT_TRUE(client->open_stream(1, "stalled"));
  const Bytes data(100'000, 0x33);
  Bytes frame = encode_frame(
      {.stream_id = 1, .sequence = 0, .capture_time_ns = 1, .file_name = "0.png"}, data);
  frame.resize(frame.size() / 2);
  ASSERT_TRUE(client->send(frame));
  // Stays connected and silent: the idle deadline must end it.
  EXPECT_TRUE(client->expect_error_then_close(ErrorCode::kTimeout, nullptr, kDropDeadline));
  client->close();
  ASSERT_TRUE(wait_closed(peer));
  finish_good_sender();
  EXPECT_FALSE(fs::exists(stored("stalled") + "/0.png"));
  EXPECT_TRUE(holds_no_frame(stored("stalled")));
}

TEST_F(HostileTimeouts, PeerTricklingFrameDataIsDropped) {
  auto client = hello_client();
  const std::string peer = client->peer_name();
  ASSERT_TRUE(client->open_stream(1, "trickle"));
  Bytes frame =
      encode_frame({.stream_id = 1, .sequence = 0, .capture_time_ns = 1, .file_name = "0.png"},
                   Bytes(1000, 0x44));
  // The header goes at once; then the data drips (never completes in time).
  const std::size_t header_bytes = frame.size() - 1000 - 8;
  ASSERT_TRUE(client->send(std::span<const std::uint8_t>(frame.data(), header_bytes)));
  const Bytes rest(frame.begin() + static_cast<std::ptrdiff_t>(header_bytes), frame.end());
  EXPECT_TRUE(dropped_for_timeout(*client, trickle(*client, rest)));
  client->close();
  ASSERT_TRUE(wait_closed(peer));
  finish_good_sender();
  EXPECT_TRUE(holds_no_frame(stored("trickle")));
}

TEST_F(HostileTimeouts, PeerTricklingItsHelloIsDropped) {
  RawClient client;
  ASSERT_TRUE(client.connect(serve_->port()));
  Bytes hello = encode(protocol::Hello{.agent = std::string(64, 'a')});
  EXPECT_TRUE(dropped_for_timeout(client, trickle(client, hello)));
}

TEST_F(HostileTimeouts, TwoHundredSilentConnectionsAreAllDropped) {
  constexpr int kIdle = 200;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kIdle; ++i) {
    clients.push_back(std::make_unique<RawClient>());
    ASSERT_TRUE(clients.back()->connect(serve_->port())) << "connection " << i;
  }
  int with_error = 0;
  for (int i = 0; i < kIdle; ++i) {
    RawClient::Reply reply = clients[i]->next(kDropDeadline);
    if (reply.as<protocol::ErrorMessage>() != nullptr) ++with_error;
    EXPECT_TRUE(dropped_for_timeout(*clients[i], std::move(reply))) << "connection " << i;
  }
  // The ERROR is written without waiting; to a silent peer it always fits.
  EXPECT_EQ(with_error, kIdle);
  finish_good_sender();
  ASSERT_TRUE(serve_->wait_for_log(" closed: ", kIdle + 1));
}

}  // namespace
}  // namespace framewire::test
