// Hostile peers breaking the protocol, one failure mode per test, each while
// a well-behaved sender transfers to the same receiver: the peer gets the
// ERROR (or FRAME_REJECTED) the protocol prescribes, its connection is
// closed, nothing it sent is stored under a final name, and no temporary
// file outlives its connection.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/hostile_fixture.hpp"

namespace framewire::test {
namespace {

namespace fs = std::filesystem;

using HostileProtocol = HostileFixture;

// True when some ".fwtmp-*" file exists in `dir`.
bool has_temp_file(const std::string& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().starts_with(kTempPrefix)) return true;
  }
  return false;
}

testing::AssertionResult wait_for_temp_file(const std::string& dir) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!has_temp_file(dir)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return testing::AssertionFailure() << "no temporary file appeared in " << dir;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return testing::AssertionSuccess();
}

// The through_sequence for `stream_id` in the last ACK among `messages`.
std::optional<std::uint64_t> acked_through(const std::vector<protocol::Message>& messages,
                                           std::uint32_t stream_id) {
  std::optional<std::uint64_t> through;
  for (const auto& message : messages) {
    if (const auto* ack = std::get_if<protocol::Ack>(&message)) {
      for (const auto& entry : ack->entries) {
        if (entry.stream_id == stream_id) through = entry.through_sequence;
      }
    }
  }
  return through;
}

Bytes pattern(std::size_t size, std::uint8_t seed) {
  Bytes data(size);
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<std::uint8_t>(seed + i * 31);
  return data;
}

TEST_F(HostileProtocol, DeclaredFrameOfTwoToTheSixtyThreeBytesIsFrameTooLarge) {
  auto client = hello_client();
  ASSERT_TRUE(client->open_stream(1, "huge"));
  ASSERT_TRUE(client->send(encode(protocol::FrameHeader{
      .stream_id = 1, .sequence = 0, .data_bytes = std::uint64_t{1} << 63, .file_name = "0.png"})));
  ASSERT_TRUE(client->send(Bytes(4096, 0xee)));  // the start of "data"
  EXPECT_TRUE(client->expect_error_then_close(ErrorCode::kFrameTooLarge));
  finish_good_sender();
  EXPECT_TRUE(holds_no_frame(stored("huge")));
}

TEST_F(HostileProtocol, RandomGarbageIsBadMagic) {
  std::mt19937 random(20240611);
  Bytes garbage(8192);
  for (auto& byte : garbage) byte = static_cast<std::uint8_t>(random());
  garbage[0] = 0xa7;  // anything but HELLO's type byte
  RawClient client;
  ASSERT_TRUE(client.connect(serve_->port()));
  (void)client.send(garbage);  // the receiver may stop reading at byte 1
  EXPECT_TRUE(client.expect_error_then_close(ErrorCode::kBadMagic));
  finish_good_sender();
  EXPECT_TRUE(root_holds_only({}));
}

TEST_F(HostileProtocol, HttpRequestIsBadMagic) {
  RawClient client;
  ASSERT_TRUE(client.connect(serve_->port()));
  ASSERT_TRUE(client.send(bytes_of("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")));
  EXPECT_TRUE(client.expect_error_then_close(ErrorCode::kBadMagic));
}

TEST_F(HostileProtocol, HelloWithWrongMagicIsBadMagic) {
  Bytes hello = encode(protocol::Hello{.agent = "x"});
  hello[8 + 7] = 'X';  // "FRAMEWIX"
  RawClient client;
  ASSERT_TRUE(client.connect(serve_->port()));
  ASSERT_TRUE(client.send(hello));
  EXPECT_TRUE(client.expect_error_then_close(ErrorCode::kBadMagic));
}

TEST_F(HostileProtocol, WrongVersionInHelloIsUnsupportedVersion) {
  for (const auto& [min, max] :
       std::vector<std::pair<std::uint16_t, std::uint16_t>>{{2, 5}, {0, 0}, {2, 1}}) {
    RawClient client;
    ASSERT_TRUE(client.connect(serve_->port()));
    ASSERT_TRUE(
        client.send(encode(protocol::Hello{.min_version = min, .max_version = max, .agent = "v"})));
    EXPECT_TRUE(client.expect_error_then_close(ErrorCode::kUnsupportedVersion))
        << "versions " << min << ".." << max;
  }
}

TEST_F(HostileProtocol, SecondHelloIsUnexpectedMessage) {
  auto client = hello_client();
  ASSERT_TRUE(client->send(encode(protocol::Hello{.agent = "again"})));
  EXPECT_TRUE(client->expect_error_then_close(ErrorCode::kUnexpectedMessage));
}

TEST_F(HostileProtocol, CutOffFrameThenDisconnectLeavesNothing) {
  // Cut inside the data, and inside the checksum (all data there).
  for (const bool cut_in_checksum : {false, true}) {
    SCOPED_TRACE(cut_in_checksum ? "cut in the checksum" : "cut in the data");
    const std::string stream = cut_in_checksum ? "cut-checksum" : "cut-data";
    auto client = hello_client();
    const std::string peer = client->peer_name();
    ASSERT_TRUE(client->open_stream(1, stream));
    const Bytes data = pattern(200'000, 3);
    Bytes frame = encode_frame(
        {.stream_id = 1, .sequence = 0, .capture_time_ns = 1, .file_name = "0.png"}, data);
    frame.resize(cut_in_checksum ? frame.size() - 4 : frame.size() - 8 - data.size() / 2);
    ASSERT_TRUE(client->send(frame));
    ASSERT_TRUE(wait_for_temp_file(stored(stream)));
    client->close();
    ASSERT_TRUE(wait_closed(peer));
    EXPECT_FALSE(fs::exists(stored(stream) + "/0.png"));
    EXPECT_FALSE(has_temp_file(stored(stream)));
    EXPECT_TRUE(holds_no_frame(stored(stream)));
  }
}

TEST_F(HostileProtocol, WindowExceededIsAnError) {
  auto client = hello_client();
  ASSERT_TRUE(client->open_stream(1, "window"));
  const std::uint64_t window = client->hello_ok().window_bytes;
  ASSERT_GT(window, 0U);
  ASSERT_LT(window, client->hello_ok().max_frame_bytes);
  // Frame 0 without the last byte of its checksum; then, in one small write,
  // that byte and the header of frame 1. Frame 0 is finished but not yet
  // acknowledged when frame 1 asks for a whole window more.
  const Bytes data = pattern(1000, 9);
  Bytes first = encode_frame(
      {.stream_id = 1, .sequence = 0, .capture_time_ns = 1, .file_name = "0.png"}, data);
  Bytes second{first.back()};
  first.pop_back();
  append(second, encode(protocol::FrameHeader{
                     .stream_id = 1, .sequence = 1, .data_bytes = window, .file_name = "1.png"}));
  ASSERT_TRUE(client->send(first));
  ASSERT_TRUE(wait_for_temp_file(stored("window")));
  ASSERT_TRUE(client->send(second));
  std::vector<protocol::Message> before;
  EXPECT_TRUE(client->expect_error_then_close(ErrorCode::kWindowExceeded, &before));
  // Frame 0 arrived whole before the fault: stored and acknowledged.
  EXPECT_EQ(acked_through(before, 1), std::optional<std::uint64_t>(0));
  finish_good_sender();
  EXPECT_TRUE(read_bytes(stored("window") + "/0.png") == data);
  EXPECT_FALSE(fs::exists(stored("window") + "/1.png"));
}

TEST_F(HostileProtocol, SequenceGoingBackwardsIsBadSequence) {
  for (const std::uint64_t second_sequence : {3, 5}) {
    SCOPED_TRACE("second sequence " + std::to_string(second_sequence));
    const std::string stream = "seq" + std::to_string(second_sequence);
    auto client = hello_client();
    ASSERT_TRUE(client->open_stream(1, stream));
    Bytes bytes =
        encode_frame({.stream_id = 1, .sequence = 5, .capture_time_ns = 1, .file_name = "5.png"},
                     pattern(500, 1));
    append(bytes, encode_frame({.stream_id = 1,
                                .sequence = second_sequence,
                                .capture_time_ns = 1,
                                .file_name = "back.png"},
                               pattern(500, 2)));
    (void)client->send(bytes);
    std::vector<protocol::Message> before;
    EXPECT_TRUE(client->expect_error_then_close(ErrorCode::kBadSequence, &before));
    EXPECT_EQ(acked_through(before, 1), std::optional<std::uint64_t>(5));
    EXPECT_TRUE(read_bytes(stored(stream) + "/5.png") == pattern(500, 1));
    EXPECT_FALSE(fs::exists(stored(stream) + "/back.png"));
  }
}

TEST_F(HostileProtocol, FrameOnAStreamNeverOpenedIsBadStream) {
  auto client = hello_client();
  (void)client->send(
      encode_frame({.stream_id = 7, .sequence = 0, .capture_time_ns = 1, .file_name = "0.png"},
                   pattern(100, 4)));
  EXPECT_TRUE(client->expect_error_then_close(ErrorCode::kBadStream));
  finish_good_sender();
  EXPECT_TRUE(root_holds_only({}));
}

TEST_F(HostileProtocol, DuplicateStreamIdIsBadStream) {
  auto client = hello_client();
  ASSERT_TRUE(client->open_stream(1, "first"));
  ASSERT_TRUE(client->send(
      encode(protocol::OpenStream{.stream_id = 1, .name = "second", .source_kind = "visible"})));
  EXPECT_TRUE(client->expect_error_then_close(ErrorCode::kBadStream));
  finish_good_sender();
  EXPECT_FALSE(fs::exists(stored("second")));
}

TEST_F(HostileProtocol, FrameBeforeHelloIsBadMagic) {
  RawClient client;
  ASSERT_TRUE(client.connect(serve_->port()));
  (void)client.send(
      encode_frame({.stream_id = 1, .sequence = 0, .capture_time_ns = 1, .file_name = "0.png"},
                   pattern(100, 4)));
  EXPECT_TRUE(client.expect_error_then_close(ErrorCode::kBadMagic));
}

TEST_F(HostileProtocol, OversizedBodyIsMessageTooLarge) {
  auto client = hello_client();
  Bytes envelope{static_cast<std::uint8_t>(protocol::MessageType::kOpenStream), 0, 0, 0};
  protocol::put_u32(envelope, 0xffffffffU);
  ASSERT_TRUE(client->send(envelope));
  EXPECT_TRUE(client->expect_error_then_close(ErrorCode::kMessageTooLarge));
}

TEST_F(HostileProtocol, ServerMessageFromASenderIsUnknownType) {
  auto client = hello_client();
  (void)client->send(encode(protocol::Ack{.entries = {{.stream_id = 1, .through_sequence = 1}}}));
  EXPECT_TRUE(client->expect_error_then_close(ErrorCode::kUnknownType));
}

TEST_F(HostileProtocol, ChecksumMismatchIsRejectedAndNothingIsStoredUnderThatName) {
  auto client = hello_client();
  ASSERT_TRUE(client->open_stream(1, "sums"));
  Bytes bytes =
      encode_frame({.stream_id = 1, .sequence = 0, .capture_time_ns = 1, .file_name = "0.png"},
                   pattern(3000, 5), /*checksum_xor=*/0x1);
  // The connection stays usable: a good frame after the bad one is stored.
  append(bytes,
         encode_frame({.stream_id = 1, .sequence = 1, .capture_time_ns = 1, .file_name = "1.png"},
                      pattern(3000, 6)));
  append(bytes, encode(protocol::Goodbye{}));
  ASSERT_TRUE(client->send(bytes));

  bool rejected = false;
  std::optional<std::uint64_t> through;
  while (true) {
    const auto reply = client->next();
    if (const auto* frame = reply.as<protocol::FrameRejected>()) {
      EXPECT_EQ(frame->code, protocol::WireError::kChecksumMismatch) << reply.describe();
      EXPECT_EQ(frame->sequence, 0U);
      EXPECT_FALSE(through.has_value()) << "FRAME_REJECTED came after the ACK covering it";
      rejected = true;
    } else if (const auto* ack = reply.as<protocol::Ack>()) {
      for (const auto& entry : ack->entries) through = entry.through_sequence;
    } else {
      EXPECT_TRUE(reply.as<protocol::Goodbye>() != nullptr) << reply.describe();
      break;
    }
  }
  EXPECT_TRUE(rejected);
  EXPECT_EQ(through, std::optional<std::uint64_t>(1));
  EXPECT_EQ(client->next().kind, RawClient::Reply::Kind::kClosed);
  EXPECT_FALSE(fs::exists(stored("sums") + "/0.png"));
  EXPECT_TRUE(read_bytes(stored("sums") + "/1.png") == pattern(3000, 6));
  std::string error;
  const auto lines = read_manifest(stored("sums") + "/manifest.jsonl", &error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].file, "1.png");
}

}  // namespace
}  // namespace framewire::test
