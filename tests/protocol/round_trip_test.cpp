// Round trips: every message type encoded and decoded back equal, including
// the extremes of every field, plus the big-endian helpers and the encoder's
// own promises (body_bytes patched in, error texts cut to their cap).
#include <gtest/gtest.h>

#include <array>
#include <limits>
#include <string>

#include "protocol/codec_test_support.hpp"

namespace framewire::protocol::test {
namespace {

Message round_trip(Peer from, const Message& message) {
  Bytes prefix = from == Peer::kClient ? client_prefix() : server_prefix();
  append(prefix, encode(message));
  Decoded decoded = decode_whole(from, prefix);
  EXPECT_FALSE(decoded.error) << decoded.error->message;
  EXPECT_EQ(decoded.items.size(), 2u);
  if (decoded.items.size() != 2) return Goodbye{};
  return std::get<Message>(decoded.items[1]);
}

TEST(RoundTrip, BigEndianHelpers) {
  Bytes out;
  put_u16(out, 0x0102);
  put_u32(out, 0x03040506);
  put_u64(out, 0x0708090a0b0c0d0eull);
  EXPECT_EQ(out, (Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}));
  EXPECT_EQ(get_u16(out.data()), 0x0102);
  EXPECT_EQ(get_u32(out.data() + 2), 0x03040506u);
  EXPECT_EQ(get_u64(out.data() + 6), 0x0708090a0b0c0d0eull);
  Bytes max;
  put_u64(max, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(get_u64(max.data()), std::numeric_limits<std::uint64_t>::max());
}

TEST(RoundTrip, EnvelopeCarriesTypeAndBodyLength) {
  Bytes out = encode(StreamOpened{7, 9, "8.png"});
  ASSERT_EQ(out.size(), kEnvelopeBytes + 18);
  EXPECT_EQ(out[0], 0x04);
  EXPECT_EQ(out[1], 0);
  EXPECT_EQ(get_u16(out.data() + 2), 0);
  EXPECT_EQ(get_u32(out.data() + 4), 18u);
  // Appends; never clears what the caller already had.
  Bytes two = {0xaa};
  encode_message(Goodbye{}, two);
  EXPECT_EQ(two, (Bytes{0xaa, 0x09, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(RoundTrip, Hello) {
  Hello m{1, 7, 0xdeadbeef, std::string(kMaxAgentBytes, 'a'), sample_sender_id()};
  EXPECT_EQ(std::get<Hello>(round_trip(Peer::kClient, m)), m);
  Hello empty{0, 0, 0, "", {}};
  EXPECT_EQ(std::get<Hello>(round_trip(Peer::kClient, empty)), empty);
  Hello all_ones{1, 1, 0, "x", {}};
  all_ones.sender_id.fill(0xff);
  EXPECT_EQ(std::get<Hello>(round_trip(Peer::kClient, all_ones)), all_ones);
}

TEST(RoundTrip, HelloSenderIdFollowsTheAgent) {
  // body = magic[8] | min u16 | max u16 | features u32 | agent str8 | sender_id[16]
  const Hello m = sample_hello();
  const Bytes wire = encode(m);
  ASSERT_EQ(wire.size(), kEnvelopeBytes + 33 + m.agent.size());
  EXPECT_EQ(get_u32(wire.data() + 4), 33 + m.agent.size());
  const Bytes tail(wire.end() - 16, wire.end());
  EXPECT_EQ(tail, Bytes(m.sender_id.begin(), m.sender_id.end()));
  EXPECT_EQ(wire[kEnvelopeBytes + 16], m.agent.size());
  // Anonymous is all zero, and is what a default Hello carries.
  EXPECT_EQ(Hello{}.sender_id, (std::array<std::uint8_t, 16>{}));
}

TEST(RoundTrip, HelloOk) {
  HelloOk m{1, 0x80000001u, std::numeric_limits<std::uint64_t>::max(),
            1, 0xffffffffu, "receiver/9"};
  EXPECT_EQ(std::get<HelloOk>(round_trip(Peer::kServer, m)), m);
  EXPECT_EQ(std::get<HelloOk>(round_trip(Peer::kServer, sample_hello_ok())), sample_hello_ok());
}

TEST(RoundTrip, OpenStream) {
  OpenStream m{0xffffffffu, "rig1/visible", "visible"};
  EXPECT_EQ(std::get<OpenStream>(round_trip(Peer::kClient, m)), m);
  OpenStream longest{1, std::string(kMaxStreamNameBytes, 'n'),
                     std::string(kMaxSourceKindBytes, 'k')};
  EXPECT_EQ(std::get<OpenStream>(round_trip(Peer::kClient, longest)), longest);
}

TEST(RoundTrip, StreamOpened) {
  StreamOpened m{3, 18, "17.png"};
  EXPECT_EQ(std::get<StreamOpened>(round_trip(Peer::kServer, m)), m);
  // Nothing stored: next_sequence 0 and no name.
  StreamOpened fresh{0xffffffffu, 0, ""};
  EXPECT_EQ(std::get<StreamOpened>(round_trip(Peer::kServer, fresh)), fresh);
  // The extremes: the largest sequence and the longest file name a str8 holds.
  StreamOpened longest{0, std::numeric_limits<std::uint64_t>::max(),
                       std::string(kMaxFileNameBytes, 'f')};
  EXPECT_EQ(std::get<StreamOpened>(round_trip(Peer::kServer, longest)), longest);
}

TEST(RoundTrip, StreamOpenedLastFileNameFollowsNextSequence) {
  // body = stream_id u32 | next_sequence u64 | last_file_name str8
  const StreamOpened m{0x01020304u, 0x0a0b0c0d0e0f1011ull, "9.png"};
  const Bytes wire = encode(m);
  ASSERT_EQ(wire.size(), kEnvelopeBytes + 13 + m.last_file_name.size());
  EXPECT_EQ(get_u32(wire.data() + 4), 13 + m.last_file_name.size());
  EXPECT_EQ(get_u32(wire.data() + kEnvelopeBytes), m.stream_id);
  EXPECT_EQ(get_u64(wire.data() + kEnvelopeBytes + 4), m.next_sequence);
  EXPECT_EQ(wire[kEnvelopeBytes + 12], m.last_file_name.size());
  EXPECT_EQ(Bytes(wire.end() - 5, wire.end()), to_bytes("9.png"));
  // An empty name is still its length byte: 13 bytes of body.
  EXPECT_EQ(encode(StreamOpened{1, 0, ""}).size(), kEnvelopeBytes + 13);
  // "" is what a default StreamOpened carries.
  EXPECT_EQ(StreamOpened{}.last_file_name, "");
}

TEST(RoundTrip, FrameHeaderAndData) {
  Bytes data = to_bytes("some frame bytes");
  FrameHeader h{5, 1u << 31, -1234567890123456789ll, 0, "17.png"};
  Bytes wire = client_prefix();
  append(wire, encode_frame(h, data));
  Decoded d = decode_whole(Peer::kClient, wire);
  ASSERT_FALSE(d.error);
  ASSERT_EQ(d.items.size(), 4u);
  h.data_bytes = data.size();
  EXPECT_EQ(std::get<FrameHeader>(std::get<Message>(d.items[1])), h);
  EXPECT_EQ(std::get<Bytes>(d.items[2]), data);
  EXPECT_EQ(std::get<Checksum>(d.items[3]).value, xxh3(data));
  EXPECT_TRUE(d.data_were_views);
}

TEST(RoundTrip, FrameHeaderExtremes) {
  FrameHeader h{0, std::numeric_limits<std::uint64_t>::max(),
                std::numeric_limits<std::int64_t>::min(), 0, std::string(kMaxFileNameBytes, 'f')};
  Bytes wire = client_prefix();
  append(wire, encode(h));
  encode_frame_checksum(0x0123456789abcdefull, wire);
  Decoded d = decode_whole(Peer::kClient, wire);
  ASSERT_FALSE(d.error);
  ASSERT_EQ(d.items.size(), 3u);
  EXPECT_EQ(std::get<FrameHeader>(std::get<Message>(d.items[1])), h);
  EXPECT_EQ(std::get<Checksum>(d.items[2]).value, 0x0123456789abcdefull);
}

TEST(RoundTrip, Ack) {
  Ack one{{{1, 0}}};
  EXPECT_EQ(std::get<Ack>(round_trip(Peer::kServer, one)), one);
  Ack full;
  for (std::uint32_t i = 0; i < kMaxAckEntries; ++i) full.entries.push_back({i, i * 1000ull});
  EXPECT_EQ(std::get<Ack>(round_trip(Peer::kServer, full)), full);
}

TEST(RoundTrip, FrameRejected) {
  FrameRejected m{2, 40, WireError::kChecksumMismatch, "bytes differ from checksum"};
  EXPECT_EQ(std::get<FrameRejected>(round_trip(Peer::kServer, m)), m);
}

TEST(RoundTrip, ErrorBothWaysAndUnknownCodesKept) {
  ErrorMessage m{WireError::kBadName, std::string(kMaxErrorTextBytes, 'x')};
  EXPECT_EQ(std::get<ErrorMessage>(round_trip(Peer::kClient, m)), m);
  EXPECT_EQ(std::get<ErrorMessage>(round_trip(Peer::kServer, m)), m);
  // A code from a newer peer survives as its number.
  ErrorMessage future{WireError{999}, "from the future"};
  auto back = std::get<ErrorMessage>(round_trip(Peer::kClient, future));
  EXPECT_EQ(static_cast<std::uint16_t>(back.code), 999);
}

TEST(RoundTrip, GoodbyeBothWays) {
  EXPECT_TRUE(std::holds_alternative<Goodbye>(round_trip(Peer::kClient, Goodbye{})));
  EXPECT_TRUE(std::holds_alternative<Goodbye>(round_trip(Peer::kServer, Goodbye{})));
  EXPECT_EQ(encode(Goodbye{}).size(), kEnvelopeBytes);
}

TEST(RoundTrip, ErrorServerMayOpenWithError) {
  // A server that refuses the handshake answers ERROR instead of HELLO_OK.
  Bytes wire = encode(ErrorMessage{WireError::kUnsupportedVersion, "need version 1"});
  Decoded d = decode_whole(Peer::kServer, wire);
  ASSERT_FALSE(d.error);
  ASSERT_EQ(d.items.size(), 1u);
  EXPECT_EQ(std::get<ErrorMessage>(std::get<Message>(d.items[0])).code,
            WireError::kUnsupportedVersion);
}

TEST(RoundTrip, EncoderCutsLongErrorTextAtCharacterBoundary) {
  // 1023 ASCII bytes then a 2-byte character straddling the cap.
  std::string text(kMaxErrorTextBytes - 1, 'e');
  text += "\xc3\xa9 and more";
  auto back =
      std::get<ErrorMessage>(round_trip(Peer::kClient, ErrorMessage{WireError::kInternal, text}));
  EXPECT_EQ(back.message, std::string(kMaxErrorTextBytes - 1, 'e'));

  auto rejected = std::get<FrameRejected>(round_trip(
      Peer::kServer, FrameRejected{1, 2, WireError::kStorageError, std::string(5000, 'z')}));
  EXPECT_EQ(rejected.message.size(), kMaxErrorTextBytes);
}

}  // namespace
}  // namespace framewire::protocol::test
