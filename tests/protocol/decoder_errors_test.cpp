// One named test per way a peer can break the wire format, each asserting
// the exact ErrorCode (leveldb log_test style). Every broken input is also fed
// in every two-way split and one byte at a time: the error must not depend on
// how the bytes arrived, and the decoder must stay failed afterwards.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <string_view>

#include "protocol/codec_test_support.hpp"

namespace framewire::protocol::test {
namespace {

// The error `wire` produces, which must be the same under every chunking.
ErrorCode error_of(Peer from, const Bytes& wire, DecoderLimits limits = {}) {
  const Decoded whole = decode_whole(from, wire, limits);
  EXPECT_TRUE(whole.error) << "no error for the whole input";
  if (!whole.error) return ErrorCode::kOk;
  for (const auto& chunks : all_splits(wire.size(), false)) {
    const Decoded d = decode_chunks(from, wire, chunks, limits);
    EXPECT_TRUE(d.error) << describe(chunks);
    if (!d.error) return ErrorCode::kOk;
    EXPECT_EQ(d.error->code, whole.error->code) << describe(chunks);
    EXPECT_EQ(d.items, whole.items) << describe(chunks);
  }
  EXPECT_FALSE(whole.error->message.empty());
  return whole.error->code;
}

Bytes after_client_hello(const Bytes& tail) {
  Bytes wire = client_prefix();
  append(wire, tail);
  return wire;
}

Bytes after_server_hello_ok(const Bytes& tail) {
  Bytes wire = server_prefix();
  append(wire, tail);
  return wire;
}

// A FRAME header body with a chosen data_bytes (no data follows).
Bytes frame_header_declaring(std::uint64_t data_bytes) {
  return encode(FrameHeader{1, 0, 0, data_bytes, "0.png"});
}

// --- first bytes of a connection -------------------------------------------

TEST(DecoderErrors, BadMagicFirstByteAnsweredAtOnce) {
  // An HTTP client: refused after its first byte, without waiting for more.
  MessageDecoder decoder(Peer::kClient, {});
  const Bytes http = to_bytes("GET / HTTP/1.1\r\n");
  std::span<const std::uint8_t> one(http.data(), 1);
  DecodeEvent event = decoder.next(one);
  ASSERT_TRUE(std::holds_alternative<DecodeError>(event));
  EXPECT_EQ(std::get<DecodeError>(event).code, ErrorCode::kBadMagic);
  EXPECT_EQ(error_of(Peer::kClient, http), ErrorCode::kBadMagic);
}

TEST(DecoderErrors, BadMagicClientFirstMessageNotHello) {
  // Valid client messages, but not HELLO, and an unknown type: all bad magic
  // when they come first.
  EXPECT_EQ(error_of(Peer::kClient, encode(OpenStream{1, "a", "b"})), ErrorCode::kBadMagic);
  EXPECT_EQ(error_of(Peer::kClient, encode(Goodbye{})), ErrorCode::kBadMagic);
  EXPECT_EQ(error_of(Peer::kClient, encode(ErrorMessage{WireError::kInternal, ""})),
            ErrorCode::kBadMagic);
  EXPECT_EQ(error_of(Peer::kClient, Bytes{0xff}), ErrorCode::kBadMagic);
  EXPECT_EQ(error_of(Peer::kClient, Bytes{0x00}), ErrorCode::kBadMagic);
}

TEST(DecoderErrors, BadMagicServerFirstMessageNotHelloOkOrError) {
  EXPECT_EQ(error_of(Peer::kServer, encode(StreamOpened{1, 0, ""})), ErrorCode::kBadMagic);
  EXPECT_EQ(error_of(Peer::kServer, encode(Goodbye{})), ErrorCode::kBadMagic);
  EXPECT_EQ(error_of(Peer::kServer, to_bytes("SSH-2.0-OpenSSH")), ErrorCode::kBadMagic);
}

TEST(DecoderErrors, BadMagicBytesInHello) {
  for (std::size_t i = 0; i < kMagic.size(); ++i) {
    Bytes wire = encode(sample_hello());
    wire[kEnvelopeBytes + i] ^= 0x20;
    EXPECT_EQ(error_of(Peer::kClient, wire), ErrorCode::kBadMagic) << "magic byte " << i;
  }
}

TEST(DecoderErrors, BadMagicBytesInHelloOk) {
  Bytes wire = encode(sample_hello_ok());
  wire[kEnvelopeBytes + 7] = 'X';
  EXPECT_EQ(error_of(Peer::kServer, wire), ErrorCode::kBadMagic);
}

TEST(DecoderErrors, BadMagicHelloTooShortForMagic) {
  EXPECT_EQ(error_of(Peer::kClient, raw_message(0x01, to_bytes("FRAME"))), ErrorCode::kBadMagic);
  EXPECT_EQ(error_of(Peer::kClient, raw_message(0x01, to_bytes("FRAMEWI"))), ErrorCode::kBadMagic);
  EXPECT_EQ(error_of(Peer::kClient, raw_message(0x01, Bytes{})), ErrorCode::kBadMagic);
}

// A HELLO body built by hand: magic, versions 1..1, no features, `agent`,
// then the first `id_bytes` bytes of a sender id (16 is the whole field).
Bytes hello_body(std::string_view agent, std::size_t id_bytes) {
  Bytes body(kMagic.begin(), kMagic.end());
  put_u16(body, 1);
  put_u16(body, 1);
  put_u32(body, 0);
  body.push_back(static_cast<std::uint8_t>(agent.size()));
  append(body, to_bytes(agent));
  for (std::size_t i = 0; i < id_bytes; ++i) body.push_back(static_cast<std::uint8_t>(0x11 * i));
  return body;
}

TEST(DecoderErrors, HelloBuiltByHandDecodes) {
  // The reference for the tests below: the same builder with all 16 bytes.
  const Decoded d = decode_whole(Peer::kClient, raw_message(0x01, hello_body("agent", 16)));
  ASSERT_FALSE(d.error) << d.error->message;
  ASSERT_EQ(d.items.size(), 1u);
  const Hello hello = std::get<Hello>(std::get<Message>(d.items[0]));
  EXPECT_EQ(hello.agent, "agent");
  EXPECT_EQ(hello.sender_id[15], 0xff);
}

TEST(DecoderErrors, HelloWithoutSenderIdIsMalformed) {
  // The layout from before sender identities: the body ends after the agent.
  EXPECT_EQ(error_of(Peer::kClient, raw_message(0x01, hello_body("framewire/0.1", 0))),
            ErrorCode::kMalformed);
  EXPECT_EQ(error_of(Peer::kClient, raw_message(0x01, hello_body("", 0))), ErrorCode::kMalformed);
}

TEST(DecoderErrors, HelloSenderIdShort) {
  for (std::size_t n : {1u, 8u, 15u}) {
    EXPECT_EQ(error_of(Peer::kClient, raw_message(0x01, hello_body("framewire/0.1", n))),
              ErrorCode::kMalformed)
        << n << " bytes of sender_id";
  }
}

TEST(DecoderErrors, HelloSenderIdLongIsTrailingBytes) {
  EXPECT_EQ(error_of(Peer::kClient, raw_message(0x01, hello_body("framewire/0.1", 17))),
            ErrorCode::kMalformed);
}

TEST(DecoderErrors, HelloMagicOnlyIsMalformed) {
  // Eight bytes of good magic pass the bad_magic rule; the rest is missing.
  EXPECT_EQ(error_of(Peer::kClient, raw_message(0x01, to_bytes("FRAMEWIR"))),
            ErrorCode::kMalformed);
}

TEST(DecoderErrors, HelloAgentLengthSwallowsSenderId) {
  // An agent length that covers the sender id leaves no bytes for it.
  Bytes body = hello_body("framewire/0.1", 16);
  body[16] = static_cast<std::uint8_t>(body[16] + 16);
  EXPECT_EQ(error_of(Peer::kClient, raw_message(0x01, body)), ErrorCode::kMalformed);
}

// --- envelope ----------------------------------------------------------------

TEST(DecoderErrors, BodyOverSixtyFourKibIsMessageTooLarge) {
  // Answered from the envelope alone, before any body byte arrives.
  EXPECT_EQ(error_of(Peer::kClient, after_client_hello(raw_envelope(0x03, kMaxBodyBytes + 1))),
            ErrorCode::kMessageTooLarge);
  EXPECT_EQ(error_of(Peer::kClient, after_client_hello(raw_envelope(0x05, 0xffffffffu))),
            ErrorCode::kMessageTooLarge);
  EXPECT_EQ(error_of(Peer::kClient, raw_envelope(0x01, 0x80000000u)), ErrorCode::kMessageTooLarge);
  EXPECT_EQ(error_of(Peer::kServer, after_server_hello_ok(raw_envelope(0x06, kMaxBodyBytes + 1))),
            ErrorCode::kMessageTooLarge);
}

TEST(DecoderErrors, BodyOfExactlySixtyFourKibIsReadThenJudged) {
  // The cap itself is allowed by the envelope; this body then has 65536 - 2
  // bytes the ACK layout cannot account for.
  Bytes body;
  put_u16(body, 1);
  body.resize(kMaxBodyBytes);
  MessageDecoder decoder(Peer::kServer, {});
  Bytes wire = after_server_hello_ok(raw_message(0x06, body));
  std::span<const std::uint8_t> head(wire.data(), wire.size() - 1);
  EXPECT_TRUE(std::holds_alternative<Message>(decoder.next(head)));  // HELLO_OK
  EXPECT_TRUE(std::holds_alternative<NeedMore>(decoder.next(head)));
  std::span<const std::uint8_t> last(wire.data() + wire.size() - 1, 1);
  DecodeEvent event = decoder.next(last);
  ASSERT_TRUE(std::holds_alternative<DecodeError>(event));
  EXPECT_EQ(std::get<DecodeError>(event).code, ErrorCode::kMalformed);
}

TEST(DecoderErrors, UnknownType) {
  for (int value : {0x00, 0x0a, 0x0f, 0x10, 0x1f, 0x20, 0x2f, 0x30, 0x80, 0xff}) {
    const auto type = static_cast<std::uint8_t>(value);
    EXPECT_EQ(error_of(Peer::kClient, after_client_hello(raw_envelope(type, 0))),
              ErrorCode::kUnknownType)
        << "type " << int{type};
    EXPECT_EQ(error_of(Peer::kServer, after_server_hello_ok(Bytes{type})), ErrorCode::kUnknownType)
        << "type " << int{type};
  }
}

TEST(DecoderErrors, WrongDirectionFromClient) {
  EXPECT_EQ(error_of(Peer::kClient, after_client_hello(encode(sample_hello_ok()))),
            ErrorCode::kUnknownType);
  EXPECT_EQ(error_of(Peer::kClient, after_client_hello(encode(StreamOpened{1, 0, ""}))),
            ErrorCode::kUnknownType);
  EXPECT_EQ(error_of(Peer::kClient, after_client_hello(encode(Ack{{{1, 0}}}))),
            ErrorCode::kUnknownType);
  EXPECT_EQ(error_of(Peer::kClient,
                     after_client_hello(encode(FrameRejected{1, 0, WireError::kConflict, ""}))),
            ErrorCode::kUnknownType);
}

TEST(DecoderErrors, WrongDirectionFromServer) {
  EXPECT_EQ(error_of(Peer::kServer, after_server_hello_ok(encode(sample_hello()))),
            ErrorCode::kUnknownType);
  EXPECT_EQ(error_of(Peer::kServer, after_server_hello_ok(encode(OpenStream{1, "a", "b"}))),
            ErrorCode::kUnknownType);
  EXPECT_EQ(error_of(Peer::kServer, after_server_hello_ok(frame_header_declaring(0))),
            ErrorCode::kUnknownType);
}

TEST(DecoderErrors, NonzeroFlags) {
  EXPECT_EQ(error_of(Peer::kClient, after_client_hello(raw_envelope(0x09, 0, 0x01))),
            ErrorCode::kMalformed);
  EXPECT_EQ(error_of(Peer::kClient, raw_envelope(0x01, 0, 0x80)), ErrorCode::kMalformed);
}

TEST(DecoderErrors, NonzeroReserved) {
  EXPECT_EQ(error_of(Peer::kClient, after_client_hello(raw_envelope(0x09, 0, 0, 0x0100))),
            ErrorCode::kMalformed);
  EXPECT_EQ(error_of(Peer::kServer, after_server_hello_ok(raw_envelope(0x09, 0, 0, 0x0001))),
            ErrorCode::kMalformed);
}

// --- body layout ---------------------------------------------------------------

// A STREAM_OPENED body built by hand: stream_id 1, `next_sequence`, then
// `name` behind its str8 length byte.
Bytes stream_opened_body(std::uint64_t next_sequence, std::string_view name) {
  Bytes body;
  put_u32(body, 1);
  put_u64(body, next_sequence);
  body.push_back(static_cast<std::uint8_t>(name.size()));
  append(body, to_bytes(name));
  return body;
}

TEST(DecoderErrors, StreamOpenedBuiltByHandDecodes) {
  // The reference for the tests below.
  const Decoded d = decode_whole(
      Peer::kServer, after_server_hello_ok(raw_message(0x04, stream_opened_body(8, "7.png"))));
  ASSERT_FALSE(d.error) << d.error->message;
  ASSERT_EQ(d.items.size(), 2u);
  EXPECT_EQ(std::get<StreamOpened>(std::get<Message>(d.items[1])), (StreamOpened{1, 8, "7.png"}));
}

TEST(DecoderErrors, StreamOpenedWithoutLastFileNameIsMalformed) {
  // The layout from before last_file_name: the body ends after next_sequence.
  Bytes body;
  put_u32(body, 1);
  put_u64(body, 0);
  EXPECT_EQ(error_of(Peer::kServer, after_server_hello_ok(raw_message(0x04, body))),
            ErrorCode::kMalformed);
}

TEST(DecoderErrors, StreamOpenedLastFileNameShort) {
  // The length byte promises more bytes than the body holds.
  for (std::size_t missing : {1u, 4u, 5u}) {
    Bytes body = stream_opened_body(6, "5.png");
    body.resize(body.size() - missing);
    EXPECT_EQ(error_of(Peer::kServer, after_server_hello_ok(raw_message(0x04, body))),
              ErrorCode::kMalformed)
        << missing << " bytes of the name missing";
  }
  Bytes longest = stream_opened_body(1, std::string(kMaxFileNameBytes, 'f'));
  longest.pop_back();
  EXPECT_EQ(error_of(Peer::kServer, after_server_hello_ok(raw_message(0x04, longest))),
            ErrorCode::kMalformed);
}

TEST(DecoderErrors, StreamOpenedLastFileNameCapIsTheLengthByte) {
  // kMaxFileNameBytes is 255, the most a str8 can express: a longer name
  // cannot be put on the wire at all, and the longest one decodes.
  static_assert(kMaxFileNameBytes == 0xff);
  const std::string name(kMaxFileNameBytes, 'n');
  const Bytes wire = after_server_hello_ok(raw_message(0x04, stream_opened_body(256, name)));
  const Decoded d = decode_whole(Peer::kServer, wire);
  ASSERT_FALSE(d.error) << d.error->message;
  ASSERT_EQ(d.items.size(), 2u);
  EXPECT_EQ(std::get<StreamOpened>(std::get<Message>(d.items[1])).last_file_name, name);
  // The encoder writes the same bytes.
  EXPECT_EQ(wire, after_server_hello_ok(encode(StreamOpened{1, 256, name})));
}

TEST(DecoderErrors, TrailingBytesInBody) {
  Bytes goodbye = raw_message(0x09, Bytes{0});
  EXPECT_EQ(error_of(Peer::kClient, after_client_hello(goodbye)), ErrorCode::kMalformed);

  Bytes opened = stream_opened_body(5, "4.png");
  opened.push_back(0);
  EXPECT_EQ(error_of(Peer::kServer, after_server_hello_ok(raw_message(0x04, opened))),
            ErrorCode::kMalformed);
  Bytes opened_empty = stream_opened_body(0, "");
  opened_empty.push_back('x');
  EXPECT_EQ(error_of(Peer::kServer, after_server_hello_ok(raw_message(0x04, opened_empty))),
            ErrorCode::kMalformed);

  Bytes hello = encode(sample_hello());
  hello.push_back('!');
  hello[7] = static_cast<std::uint8_t>(hello[7] + 1);  // body_bytes covers the extra byte
  EXPECT_EQ(error_of(Peer::kClient, hello), ErrorCode::kMalformed);
}

TEST(DecoderErrors, ShortBody) {
  Bytes opened;
  put_u32(opened, 1);
  put_u64(opened, 0);
  opened.pop_back();  // inside next_sequence
  EXPECT_EQ(error_of(Peer::kServer, after_server_hello_ok(raw_message(0x04, opened))),
            ErrorCode::kMalformed);

  // A string length pointing past the end of the body.
  Bytes open;
  put_u32(open, 1);
  open.push_back(7);
  append(open, to_bytes("visible"));
  put_u16(open, 12);
  append(open, to_bytes("rig1/vis"));
  EXPECT_EQ(error_of(Peer::kClient, after_client_hello(raw_message(0x03, open))),
            ErrorCode::kMalformed);

  // An ERROR body without its message length.
  EXPECT_EQ(error_of(Peer::kClient, after_client_hello(raw_message(0x08, Bytes{0, 3}))),
            ErrorCode::kMalformed);
  // A FRAME body cut inside data_bytes.
  Bytes frame = frame_header_declaring(0);
  Bytes cut(frame.begin() + kEnvelopeBytes, frame.begin() + kEnvelopeBytes + 24);
  EXPECT_EQ(error_of(Peer::kClient, after_client_hello(raw_message(0x05, cut))),
            ErrorCode::kMalformed);
}

TEST(DecoderErrors, HelloAgentOverCap) {
  EXPECT_EQ(error_of(Peer::kClient, encode(Hello{1, 1, 0, std::string(kMaxAgentBytes + 1, 'a')})),
            ErrorCode::kMalformed);
}

TEST(DecoderErrors, HelloOkAgentOverCap) {
  HelloOk ok = sample_hello_ok();
  ok.agent = std::string(kMaxAgentBytes + 1, 'a');
  EXPECT_EQ(error_of(Peer::kServer, encode(ok)), ErrorCode::kMalformed);
}

TEST(DecoderErrors, OpenStreamSourceKindOverCap) {
  EXPECT_EQ(error_of(Peer::kClient, after_client_hello(encode(OpenStream{
                                        1, "rig1", std::string(kMaxSourceKindBytes + 1, 'k')}))),
            ErrorCode::kMalformed);
}

TEST(DecoderErrors, OpenStreamNameOverCap) {
  EXPECT_EQ(error_of(Peer::kClient, after_client_hello(encode(OpenStream{
                                        1, std::string(kMaxStreamNameBytes + 1, 'n'), "visible"}))),
            ErrorCode::kMalformed);
}

TEST(DecoderErrors, FileNameCapIsTheLengthByte) {
  // kMaxFileNameBytes is 255, the most a str8 can express: a longer name
  // cannot be put on the wire at all, and the longest one decodes.
  static_assert(kMaxFileNameBytes == 0xff);
  Bytes wire = after_client_hello(encode(FrameHeader{1, 0, 0, 0, std::string(255, 'f')}));
  encode_frame_checksum(xxh3(Bytes{}), wire);
  EXPECT_FALSE(decode_whole(Peer::kClient, wire).error);
}

// The encoder cuts error texts to the cap, so over-cap texts are built by hand.
Bytes text16(std::size_t n) {
  Bytes b;
  put_u16(b, static_cast<std::uint16_t>(n));
  b.resize(b.size() + n, 't');
  return b;
}

TEST(DecoderErrors, ErrorMessageTextOverCap) {
  Bytes body;
  put_u16(body, 3);
  append(body, text16(kMaxErrorTextBytes + 1));
  EXPECT_EQ(error_of(Peer::kClient, after_client_hello(raw_message(0x08, body))),
            ErrorCode::kMalformed);
  EXPECT_EQ(error_of(Peer::kServer, raw_message(0x08, body)), ErrorCode::kMalformed);
}

TEST(DecoderErrors, FrameRejectedTextOverCap) {
  Bytes body;
  put_u32(body, 1);
  put_u64(body, 0);
  put_u16(body, 10);
  append(body, text16(kMaxErrorTextBytes + 1));
  EXPECT_EQ(error_of(Peer::kServer, after_server_hello_ok(raw_message(0x07, body))),
            ErrorCode::kMalformed);
}

TEST(DecoderErrors, AckCountZero) {
  Bytes body;
  put_u16(body, 0);
  EXPECT_EQ(error_of(Peer::kServer, after_server_hello_ok(raw_message(0x06, body))),
            ErrorCode::kMalformed);
}

TEST(DecoderErrors, AckCountOverCap) {
  Ack ack;
  for (std::uint32_t i = 0; i < kMaxAckEntries + 1; ++i) ack.entries.push_back({i, i});
  Bytes wire = after_server_hello_ok(encode(ack));
  // Fed whole and byte by byte only: the body is 12 KiB.
  for (const auto& chunks :
       {std::vector<std::size_t>{wire.size()}, std::vector<std::size_t>(wire.size(), 1)}) {
    Decoded d = decode_chunks(Peer::kServer, wire, chunks);
    ASSERT_TRUE(d.error);
    EXPECT_EQ(d.error->code, ErrorCode::kMalformed);
  }
}

TEST(DecoderErrors, AckCountDisagreesWithBody) {
  Bytes body;
  put_u16(body, 2);
  put_u32(body, 1);
  put_u64(body, 5);
  EXPECT_EQ(error_of(Peer::kServer, after_server_hello_ok(raw_message(0x06, body))),
            ErrorCode::kMalformed);
}

// --- frame size ------------------------------------------------------------------

TEST(DecoderErrors, FrameDataBytesTwoToTheSixtyThree) {
  EXPECT_EQ(error_of(Peer::kClient, after_client_hello(frame_header_declaring(1ull << 63))),
            ErrorCode::kFrameTooLarge);
}

TEST(DecoderErrors, FrameDataBytesAllOnes) {
  EXPECT_EQ(error_of(Peer::kClient, after_client_hello(frame_header_declaring(
                                        std::numeric_limits<std::uint64_t>::max()))),
            ErrorCode::kFrameTooLarge);
}

TEST(DecoderErrors, FrameDataBytesOneOverReceiverMaximum) {
  const DecoderLimits limits{1000};
  // Refused from the header alone: no data byte is needed.
  EXPECT_EQ(error_of(Peer::kClient, after_client_hello(frame_header_declaring(1001)), limits),
            ErrorCode::kFrameTooLarge);
  // The maximum itself is accepted.
  Bytes ok = after_client_hello(frame_header_declaring(1000));
  Decoded d = decode_whole(Peer::kClient, ok, limits);
  EXPECT_FALSE(d.error);
  EXPECT_EQ(d.items.size(), 2u);
}

TEST(DecoderErrors, FrameDataBytesOverProtocolLimitWhateverTheConfiguration) {
  const DecoderLimits limits{std::numeric_limits<std::uint64_t>::max()};
  EXPECT_EQ(error_of(Peer::kClient,
                     after_client_hello(frame_header_declaring(kMaxFrameBytesLimit + 1)), limits),
            ErrorCode::kFrameTooLarge);
}

TEST(DecoderErrors, ZeroLengthFrameIsValid) {
  // Not a failure: a zero-length frame is a header and a checksum.
  Bytes wire = after_client_hello(encode_frame(FrameHeader{1, 0, 0, 0, "0.png"}, Bytes{}));
  Decoded d = decode_whole(Peer::kClient, wire, DecoderLimits{0});
  ASSERT_FALSE(d.error);
  ASSERT_EQ(d.items.size(), 3u);
  EXPECT_EQ(std::get<Checksum>(d.items[2]).value, xxh3(Bytes{}));
}

// --- after an error ----------------------------------------------------------------

TEST(DecoderErrors, StaysFailedAfterError) {
  MessageDecoder decoder(Peer::kClient, {});
  Bytes bad = {0x47};
  std::span<const std::uint8_t> input(bad);
  ASSERT_TRUE(std::holds_alternative<DecodeError>(decoder.next(input)));
  EXPECT_TRUE(decoder.failed());
  Bytes good = client_prefix();
  for (int i = 0; i < 3; ++i) {
    std::span<const std::uint8_t> more(good);
    DecodeEvent event = decoder.next(more);
    ASSERT_TRUE(std::holds_alternative<DecodeError>(event));
    EXPECT_EQ(std::get<DecodeError>(event).code, ErrorCode::kBadMagic);
  }
  std::span<const std::uint8_t> empty;
  EXPECT_TRUE(std::holds_alternative<DecodeError>(decoder.next(empty)));
}

TEST(DecoderErrors, ErrorAfterValidMessagesKeepsThem) {
  Bytes wire = after_client_hello(encode(OpenStream{1, "rig1/visible", "visible"}));
  append(wire, raw_envelope(0x09, 0, 1));
  Decoded d = decode_whole(Peer::kClient, wire);
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.error->code, ErrorCode::kMalformed);
  EXPECT_EQ(d.items.size(), 2u);
}

}  // namespace
}  // namespace framewire::protocol::test
