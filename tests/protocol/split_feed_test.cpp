// The decoder must give the same answer however its input is cut (nghttp2's
// scripted_data_feed): every message and whole sessions of both directions
// are fed in every two-way split, every uniform chunk size down to 1 byte,
// and (for single messages) every three-way split. Also: truncated input is
// NeedMore, never an error, and frame data is never copied.
#include <gtest/gtest.h>

#include <string>

#include "protocol/codec_test_support.hpp"

namespace framewire::protocol::test {
namespace {

Bytes pattern(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 31);
  return b;
}

Bytes client_session(std::size_t big_frame_bytes) {
  Bytes s = encode(sample_hello());
  append(s, encode(OpenStream{1, "rig1/visible", "visible"}));
  append(s, encode(OpenStream{2, "rig1/infrared", "infrared"}));
  append(s, encode_frame(FrameHeader{1, 0, 1700000000000000000, 0, "0.png"}, to_bytes("hello")));
  append(s, encode_frame(FrameHeader{2, 0, 1700000000000000001, 0, "0.raw"}, Bytes{}));
  append(s, encode_frame(FrameHeader{1, 1, 1700000000000000002, 0, "1.png"},
                         pattern(big_frame_bytes, 7)));
  append(s, encode(ErrorMessage{WireError::kShuttingDown, "bye"}));
  append(s, encode(Goodbye{}));
  return s;
}

Bytes server_session() {
  Bytes s = encode(sample_hello_ok());
  append(s, encode(StreamOpened{1, 0, ""}));
  append(s, encode(StreamOpened{2, 17, "16.raw"}));
  append(s, encode(FrameRejected{1, 1, WireError::kConflict, "different file stored"}));
  append(s, encode(Ack{{{1, 1}, {2, 17}}}));
  append(s, encode(ErrorMessage{WireError::kTimeout, "idle"}));
  append(s, encode(Goodbye{}));
  return s;
}

// Decodes `wire` whole, then under every chunking, and expects identical
// results every time.
void expect_split_invariant(Peer from, const Bytes& wire, bool three_way) {
  const Decoded whole = decode_whole(from, wire);
  ASSERT_FALSE(whole.error) << whole.error->message;
  for (const auto& chunks : all_splits(wire.size(), three_way)) {
    const Decoded d = decode_chunks(from, wire, chunks);
    ASSERT_FALSE(d.error) << describe(chunks) << ": " << d.error->message;
    ASSERT_EQ(d.items, whole.items) << describe(chunks);
    ASSERT_TRUE(d.data_were_views) << describe(chunks);
    ASSERT_TRUE(d.input_consumed_on_need_more) << describe(chunks);
    ASSERT_FALSE(d.stalled) << describe(chunks);
  }
}

TEST(SplitFeed, EveryClientMessageInEverySplit) {
  const std::vector<Bytes> messages = {
      encode(OpenStream{1, "rig1/visible", "visible"}),
      encode_frame(FrameHeader{1, 0, 42, 0, "0.png"}, to_bytes("hello")),
      encode_frame(FrameHeader{1, 1, 43, 0, "1.png"}, Bytes{}),
      encode(ErrorMessage{WireError::kInternal, "oops"}),
      encode(Goodbye{}),
  };
  expect_split_invariant(Peer::kClient, encode(sample_hello()), true);
  for (const Bytes& m : messages) {
    Bytes wire = client_prefix();
    append(wire, m);
    expect_split_invariant(Peer::kClient, wire, true);
  }
}

TEST(SplitFeed, EveryServerMessageInEverySplit) {
  const std::vector<Bytes> messages = {
      encode(StreamOpened{1, 0, ""}),
      encode(StreamOpened{1, 99, "98.png"}),
      encode(Ack{{{1, 5}, {2, 6}, {3, 7}}}),
      encode(FrameRejected{1, 5, WireError::kChecksumMismatch, "mismatch"}),
      encode(ErrorMessage{WireError::kStreamBusy, "busy"}),
      encode(Goodbye{}),
  };
  expect_split_invariant(Peer::kServer, encode(sample_hello_ok()), true);
  expect_split_invariant(Peer::kServer, encode(ErrorMessage{WireError::kUnsupportedVersion, "v"}),
                         true);
  for (const Bytes& m : messages) {
    Bytes wire = server_prefix();
    append(wire, m);
    expect_split_invariant(Peer::kServer, wire, true);
  }
}

TEST(SplitFeed, WholeClientSessionInEverySplit) {
  const Bytes wire = client_session(300);
  const Decoded whole = decode_whole(Peer::kClient, wire);
  ASSERT_FALSE(whole.error);
  // HELLO, 2x OPEN_STREAM, (header, data, checksum), (header, checksum),
  // (header, data, checksum), ERROR, GOODBYE.
  ASSERT_EQ(whole.items.size(), 13u);
  EXPECT_EQ(std::get<Bytes>(whole.items[4]), to_bytes("hello"));
  EXPECT_EQ(std::get<Checksum>(whole.items[5]).value, xxh3(to_bytes("hello")));
  EXPECT_EQ(std::get<Checksum>(whole.items[7]).value, xxh3(Bytes{}));
  EXPECT_EQ(std::get<Bytes>(whole.items[9]), pattern(300, 7));
  expect_split_invariant(Peer::kClient, wire, false);
}

TEST(SplitFeed, ClientSessionWithThreeKilobyteFrameInEverySplit) {
  expect_split_invariant(Peer::kClient, client_session(3 * 1024), false);
}

TEST(SplitFeed, WholeServerSessionInEverySplit) {
  expect_split_invariant(Peer::kServer, server_session(), true);
}

TEST(SplitFeed, TruncatedInputIsNeedMoreNeverError) {
  for (Peer from : {Peer::kClient, Peer::kServer}) {
    const Bytes wire = from == Peer::kClient ? client_session(40) : server_session();
    for (std::size_t cut = 0; cut < wire.size(); ++cut) {
      const Bytes prefix(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(cut));
      const Decoded whole = decode_whole(from, prefix);
      ASSERT_FALSE(whole.error) << "cut at " << cut << ": " << whole.error->message;
      const Decoded bytewise = decode_chunks(from, prefix, std::vector<std::size_t>(cut, 1));
      ASSERT_FALSE(bytewise.error) << "cut at " << cut;
      ASSERT_EQ(bytewise.items, whole.items) << "cut at " << cut;
    }
  }
}

TEST(SplitFeed, NeedMoreOnEmptyInputAndInsideFrameTracksFrame) {
  MessageDecoder decoder(Peer::kClient, {});
  std::span<const std::uint8_t> empty;
  EXPECT_TRUE(std::holds_alternative<NeedMore>(decoder.next(empty)));

  Bytes wire = client_prefix();
  append(wire, encode_frame(FrameHeader{1, 0, 0, 0, "0.png"}, to_bytes("abc")));
  std::span<const std::uint8_t> input(wire);
  EXPECT_TRUE(std::holds_alternative<Message>(decoder.next(input)));  // HELLO
  EXPECT_FALSE(decoder.inside_frame());
  EXPECT_TRUE(std::holds_alternative<Message>(decoder.next(input)));  // FRAME header
  EXPECT_TRUE(decoder.inside_frame());
  EXPECT_TRUE(std::holds_alternative<FrameData>(decoder.next(input)));
  EXPECT_TRUE(decoder.inside_frame());
  EXPECT_TRUE(std::holds_alternative<FrameEnd>(decoder.next(input)));
  EXPECT_FALSE(decoder.inside_frame());
  EXPECT_TRUE(std::holds_alternative<NeedMore>(decoder.next(input)));
  EXPECT_TRUE(input.empty());
}

TEST(SplitFeed, FrameDataIsAViewIntoTheInput) {
  Bytes data = pattern(3000, 1);
  Bytes wire = client_prefix();
  append(wire, encode_frame(FrameHeader{1, 0, 0, 0, "0.png"}, data));
  MessageDecoder decoder(Peer::kClient, {});
  std::span<const std::uint8_t> input(wire);
  decoder.next(input);  // HELLO
  decoder.next(input);  // FRAME header
  const std::uint8_t* expected = input.data();
  DecodeEvent event = decoder.next(input);
  ASSERT_TRUE(std::holds_alternative<FrameData>(event));
  EXPECT_EQ(std::get<FrameData>(event).bytes.data(), expected);
  EXPECT_EQ(std::get<FrameData>(event).bytes.size(), data.size());
}

TEST(SplitFeed, ZeroLengthFrameIsHeaderThenChecksum) {
  Bytes wire = client_prefix();
  append(wire, encode_frame(FrameHeader{1, 0, 0, 0, "empty.bin"}, Bytes{}));
  for (const auto& chunks : all_splits(wire.size(), false)) {
    Decoded d = decode_chunks(Peer::kClient, wire, chunks);
    ASSERT_FALSE(d.error);
    ASSERT_EQ(d.items.size(), 3u) << describe(chunks);
    EXPECT_EQ(std::get<FrameHeader>(std::get<Message>(d.items[1])).data_bytes, 0u);
    EXPECT_EQ(std::get<Checksum>(d.items[2]).value, xxh3(Bytes{}));
  }
}

}  // namespace
}  // namespace framewire::protocol::test
