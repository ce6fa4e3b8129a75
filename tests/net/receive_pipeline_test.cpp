// The receiver's read/store pipeline against a real in-process Receiver over
// loopback, its figures read through ReceiverInternals (never RSS, never
// timing): idle handshaken connections hold no read buffer; a connection
// keeps reading, up to Connection::kMaxBuffers buffers, while the storage
// thread is busy (occupied by the test); with a pool of one buffer two
// senders are served in turn.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <memory>
#include <thread>
#include <vector>

#include <asio/post.hpp>

#include "framewire/receiver.hpp"
#include "net/buffer_pool.hpp"
#include "net/connection.hpp"
#include "net/receiver_internal.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"

namespace framewire::test {
namespace {

constexpr std::uint64_t kBuffer = net::BufferPool::kDefaultBufferBytes;

class ReceivePipelineTest : public ::testing::Test {
 protected:
  void TearDown() override {
    release_storage();
    if (receiver_) {
      receiver_->stop();
      thread_.join();
    }
  }

  void start(ReceiverOptions options) {
    options.root = dir_.path() + "/root";
    auto receiver = Receiver::create(options);
    ASSERT_TRUE(receiver) << receiver.status().to_string();
    receiver_ = std::move(receiver).value();
    thread_ = std::thread([this] { receiver_->run(); });
  }

  net::PipelineGauges gauges() const { return ReceiverInternals::pipeline_gauges(*receiver_); }

  // Waits (up to a generous deadline: this checks a state, not a speed) until
  // `reached` holds for the gauges; returns the last gauges read.
  net::PipelineGauges wait_for_gauges(
      const std::function<bool(const net::PipelineGauges&)>& reached) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    net::PipelineGauges now = gauges();
    while (!reached(now) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      now = gauges();
    }
    return now;
  }

  // Occupies the (single) storage thread until release_storage(): a disk
  // that does not answer.
  void occupy_storage() {
    std::promise<void> started;
    auto running = started.get_future();
    asio::post(ReceiverInternals::storage_pool(*receiver_),
               [&started, until = release_.get_future().share()] {
                 started.set_value();
                 until.wait();
               });
    running.wait();
    occupied_ = true;
  }
  void release_storage() {
    if (!occupied_) return;
    occupied_ = false;
    release_.set_value();
  }

  TempDir dir_{"pipeline"};
  std::unique_ptr<Receiver> receiver_;
  std::thread thread_;
  std::promise<void> release_;
  bool occupied_ = false;
};

Bytes pattern_bytes(std::size_t n, std::uint8_t seed) {
  Bytes data(n);
  for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<std::uint8_t>(seed + i * 7);
  return data;
}

// Expects one ACK for stream 1 through `sequence`.
testing::AssertionResult expect_ack(RawClient& client, std::uint64_t sequence) {
  const RawClient::Reply reply = client.next();
  const auto* ack = reply.as<protocol::Ack>();
  if (ack == nullptr || ack->entries.size() != 1 || ack->entries[0].stream_id != 1 ||
      ack->entries[0].through_sequence != sequence) {
    return testing::AssertionFailure()
           << "expected ACK 1:" << sequence << ", got " << reply.describe();
  }
  return testing::AssertionSuccess();
}

TEST_F(ReceivePipelineTest, IdleHandshakenConnectionsHoldNoReadBuffer) {
  start({});
  constexpr int kConnections = 100;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kConnections; ++i) {
    auto client = std::make_unique<RawClient>();
    ASSERT_TRUE(client->connect(receiver_->port()));
    ASSERT_TRUE(client->handshake()) << "connection " << i;
    clients.push_back(std::move(client));
  }
  // A buffer goes back before the reply to its bytes is written, so with
  // every HELLO_OK read nothing may be held any more.
  const net::PipelineGauges idle = gauges();
  EXPECT_EQ(idle.buffer_pool_bytes_in_use, 0u)
      << kConnections << " idle connections hold " << idle.buffer_pool_bytes_in_use / kBuffer
      << " read buffers";
  EXPECT_EQ(idle.storage_queue_buffers, 0u);
  EXPECT_EQ(idle.buffer_pool_bytes_limit, std::uint64_t{64} << 20);

  // And they are alive: each still completes its session.
  for (auto& client : clients) {
    ASSERT_TRUE(client->send(encode(protocol::Goodbye{})));
    EXPECT_TRUE(client->next().as<protocol::Goodbye>() != nullptr);
  }
}

TEST_F(ReceivePipelineTest, AConnectionKeepsReadingWhileStorageIsBusy) {
  start({.storage_threads = 1});
  RawClient client;
  ASSERT_TRUE(client.connect(receiver_->port()));
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(client.open_stream(1, "cam"));

  occupy_storage();
  // More than kMaxBuffers buffers' worth: each read takes at most one
  // buffer, so the reader must go on until it holds its maximum.
  const std::size_t frame_bytes = (net::Connection::kMaxBuffers + 2) * kBuffer;
  const Bytes data = pattern_bytes(frame_bytes, 3);
  ASSERT_TRUE(client.send(encode_frame(
      protocol::FrameHeader{.stream_id = 1, .sequence = 0, .file_name = "0.bin"}, data)));

  const net::PipelineGauges ahead = wait_for_gauges([](const net::PipelineGauges& g) {
    return g.storage_queue_buffers >= net::Connection::kMaxBuffers;
  });
  EXPECT_EQ(ahead.storage_queue_buffers, net::Connection::kMaxBuffers)
      << "with the storage thread busy, the connection read only " << ahead.storage_queue_buffers
      << " buffer(s) ahead";
  EXPECT_EQ(ahead.buffer_pool_bytes_in_use, net::Connection::kMaxBuffers * kBuffer);
  // Not one more: the rest waits in the socket (TCP flow control).
  EXPECT_LE(gauges().buffer_pool_bytes_in_use, net::Connection::kMaxBuffers * kBuffer);

  release_storage();
  ASSERT_TRUE(expect_ack(client, 0));
  EXPECT_EQ(gauges().buffer_pool_bytes_in_use, 0u);
  EXPECT_EQ(gauges().storage_queue_buffers, 0u);
  std::ifstream stored(dir_.path() + "/root/cam/0.bin", std::ios::binary);
  const Bytes back((std::istreambuf_iterator<char>(stored)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(back == data) << "stored " << back.size() << " of " << data.size() << " bytes";
}

TEST_F(ReceivePipelineTest, OneBufferServesTwoSendersInTurn) {
  start({.storage_threads = 1, .read_buffer_pool_bytes = kBuffer});
  RawClient first;
  RawClient second;
  ASSERT_TRUE(first.connect(receiver_->port()));
  ASSERT_TRUE(first.handshake());
  ASSERT_TRUE(first.open_stream(1, "first"));
  ASSERT_TRUE(second.connect(receiver_->port()));
  ASSERT_TRUE(second.handshake());
  ASSERT_TRUE(second.open_stream(1, "second"));

  occupy_storage();
  const Bytes data_first = pattern_bytes(3 * kBuffer, 1);
  const Bytes data_second = pattern_bytes(3 * kBuffer, 2);
  ASSERT_TRUE(first.send(encode_frame(
      protocol::FrameHeader{.stream_id = 1, .sequence = 0, .file_name = "a.bin"}, data_first)));
  const net::PipelineGauges one = wait_for_gauges(
      [](const net::PipelineGauges& g) { return g.buffer_pool_bytes_in_use == kBuffer; });
  EXPECT_EQ(one.buffer_pool_bytes_in_use, kBuffer);
  ASSERT_TRUE(second.send(encode_frame(
      protocol::FrameHeader{.stream_id = 1, .sequence = 0, .file_name = "b.bin"}, data_second)));
  EXPECT_EQ(gauges().buffer_pool_bytes_in_use, kBuffer) << "the bound of one buffer was exceeded";

  // Both senders wait for the one buffer; each is stored in full once the
  // disk answers again.
  release_storage();
  EXPECT_TRUE(expect_ack(first, 0));
  EXPECT_TRUE(expect_ack(second, 0));
  EXPECT_EQ(gauges().buffer_pool_bytes_in_use, 0u);
  EXPECT_EQ(std::filesystem::file_size(dir_.path() + "/root/first/a.bin"), data_first.size());
  EXPECT_EQ(std::filesystem::file_size(dir_.path() + "/root/second/b.bin"), data_second.size());
}

}  // namespace
}  // namespace framewire::test
