// Incremental decoder for wire protocol v1 (layouts: docs/PROTOCOL.md). Input
// may be split at any byte: a partial envelope, body or checksum waits in
// pending_ (never more than kMaxBodyBytes), while bodies and checksums that
// arrived whole are parsed in place and frame data is only ever handed out as
// views into the caller's input. One decoder per connection direction, used
// from one thread (the connection's strand).
#include "protocol/message_decoder.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

#include "protocol/message_encoder.hpp"

namespace framewire::protocol {
namespace {

std::string_view type_name(std::uint8_t type) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::kHello:
      return "HELLO";
    case MessageType::kHelloOk:
      return "HELLO_OK";
    case MessageType::kOpenStream:
      return "OPEN_STREAM";
    case MessageType::kStreamOpened:
      return "STREAM_OPENED";
    case MessageType::kFrame:
      return "FRAME";
    case MessageType::kAck:
      return "ACK";
    case MessageType::kFrameRejected:
      return "FRAME_REJECTED";
    case MessageType::kError:
      return "ERROR";
    case MessageType::kGoodbye:
      return "GOODBYE";
  }
  return "unknown";
}

std::string hex_byte(std::uint8_t b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return std::string{'0', 'x', kDigits[b >> 4], kDigits[b & 0xf]};
}

bool sent_by(Peer from, std::uint8_t type) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::kHello:
    case MessageType::kOpenStream:
    case MessageType::kFrame:
      return from == Peer::kClient;
    case MessageType::kHelloOk:
    case MessageType::kStreamOpened:
    case MessageType::kAck:
    case MessageType::kFrameRejected:
      return from == Peer::kServer;
    case MessageType::kError:
    case MessageType::kGoodbye:
      return true;
  }
  return false;
}

// Judges the first n (1..8) bytes of an envelope. Every byte is judged as
// soon as it is present, in byte order, so the answer does not depend on how
// the input was split and a stranger is refused after its first byte.
std::optional<DecodeError> check_envelope(Peer from, bool first, const std::uint8_t* p,
                                          std::size_t n) {
  const std::uint8_t type = p[0];
  if (first) {
    const bool ok = from == Peer::kClient
                        ? type == static_cast<std::uint8_t>(MessageType::kHello)
                        : type == static_cast<std::uint8_t>(MessageType::kHelloOk) ||
                              type == static_cast<std::uint8_t>(MessageType::kError);
    if (!ok) {
      return DecodeError{ErrorCode::kBadMagic,
                         "not a framewire peer: first byte " + hex_byte(type) + " is not " +
                             (from == Peer::kClient ? "HELLO" : "HELLO_OK or ERROR")};
    }
  }
  if (!sent_by(from, type)) {
    std::string what = type_name(type) == "unknown"
                           ? "unknown message type " + hex_byte(type)
                           : std::string(type_name(type)) + (from == Peer::kClient
                                                                 ? " may not be sent by a client"
                                                                 : " may not be sent by a server");
    return DecodeError{ErrorCode::kUnknownType, std::move(what)};
  }
  if (n >= 2 && p[1] != 0) {
    return DecodeError{ErrorCode::kMalformed, "envelope flags are " + hex_byte(p[1]) + ", not 0"};
  }
  if ((n >= 3 && p[2] != 0) || (n >= 4 && p[3] != 0)) {
    return DecodeError{ErrorCode::kMalformed, "envelope reserved bits are not 0"};
  }
  if (n >= kEnvelopeBytes) {
    const std::uint32_t body = get_u32(p + 4);
    if (body > kMaxBodyBytes) {
      return DecodeError{ErrorCode::kMessageTooLarge,
                         std::string(type_name(type)) + " body of " + std::to_string(body) +
                             " bytes is over the cap of " + std::to_string(kMaxBodyBytes)};
    }
  }
  return std::nullopt;
}

// Reads one body field after another. The first problem is latched and every
// later read returns zero values, so parsers read straight through and check
// once at the end.
class BodyReader {
 public:
  BodyReader(std::span<const std::uint8_t> body, std::string_view message)
      : body_(body), message_(message) {}

  std::uint16_t u16(std::string_view field) {
    const std::uint8_t* p = take(2, field);
    return p ? get_u16(p) : 0;
  }
  std::uint32_t u32(std::string_view field) {
    const std::uint8_t* p = take(4, field);
    return p ? get_u32(p) : 0;
  }
  std::uint64_t u64(std::string_view field) {
    const std::uint8_t* p = take(8, field);
    return p ? get_u64(p) : 0;
  }
  std::string str8(std::string_view field, std::size_t cap) {
    const std::uint8_t* p = take(1, field);
    return p ? bytes(p[0], cap, field) : std::string();
  }
  std::string str16(std::string_view field, std::size_t cap) {
    const std::uint8_t* p = take(2, field);
    return p ? bytes(get_u16(p), cap, field) : std::string();
  }
  // A fixed-size byte field, copied as is.
  template <std::size_t N>
  void fixed(std::array<std::uint8_t, N>& to, std::string_view field) {
    const std::uint8_t* p = take(N, field);
    if (p) std::copy(p, p + N, to.begin());
  }
  // A body too short to hold the magic is as foreign as a wrong magic.
  void magic() {
    if (body_.size() < kMagic.size() || !std::equal(kMagic.begin(), kMagic.end(), body_.begin())) {
      fail(ErrorCode::kBadMagic, "not a framewire peer: magic is not \"FRAMEWIR\"");
      return;
    }
    pos_ = kMagic.size();
  }
  void fail(ErrorCode code, std::string text) {
    if (error_) return;
    error_ = DecodeError{code, std::string(message_) + ": " + std::move(text)};
  }
  std::size_t remaining() const { return body_.size() - pos_; }
  // The latched error, or a complaint about unread bytes: a body must be
  // consumed exactly.
  std::optional<DecodeError> finish() {
    if (!error_ && pos_ != body_.size()) {
      fail(ErrorCode::kMalformed, std::to_string(body_.size() - pos_) + " trailing bytes");
    }
    return error_;
  }

 private:
  const std::uint8_t* take(std::size_t n, std::string_view field) {
    if (error_) return nullptr;
    if (body_.size() - pos_ < n) {
      fail(ErrorCode::kMalformed, "body ends inside " + std::string(field));
      return nullptr;
    }
    const std::uint8_t* p = body_.data() + pos_;
    pos_ += n;
    return p;
  }
  std::string bytes(std::size_t n, std::size_t cap, std::string_view field) {
    if (error_) return {};
    if (n > cap) {
      fail(ErrorCode::kMalformed, std::string(field) + " is " + std::to_string(n) +
                                      " bytes, over the cap of " + std::to_string(cap));
      return {};
    }
    const std::uint8_t* p = take(n, field);
    return p ? std::string(p, p + n) : std::string();
  }

  std::span<const std::uint8_t> body_;
  std::string_view message_;
  std::size_t pos_ = 0;
  std::optional<DecodeError> error_;
};

Message parse(MessageType type, BodyReader& r) {
  switch (type) {
    case MessageType::kHello: {
      Hello m;
      r.magic();
      m.min_version = r.u16("min_version");
      m.max_version = r.u16("max_version");
      m.features = r.u32("features");
      m.agent = r.str8("agent", kMaxAgentBytes);
      // Not optional: a HELLO that ends after the agent is short, so malformed.
      r.fixed(m.sender_id, "sender_id");
      return m;
    }
    case MessageType::kHelloOk: {
      HelloOk m;
      r.magic();
      m.version = r.u16("version");
      m.features = r.u32("features");
      m.max_frame_bytes = r.u64("max_frame_bytes");
      m.window_bytes = r.u64("window_bytes");
      m.window_frames = r.u32("window_frames");
      m.agent = r.str8("agent", kMaxAgentBytes);
      return m;
    }
    case MessageType::kOpenStream: {
      OpenStream m;
      m.stream_id = r.u32("stream_id");
      m.source_kind = r.str8("source_kind", kMaxSourceKindBytes);
      m.name = r.str16("name", kMaxStreamNameBytes);
      return m;
    }
    case MessageType::kStreamOpened: {
      StreamOpened m;
      m.stream_id = r.u32("stream_id");
      m.next_sequence = r.u64("next_sequence");
      // Not optional: a STREAM_OPENED that ends after next_sequence is short.
      m.last_file_name = r.str8("last_file_name", kMaxFileNameBytes);
      return m;
    }
    case MessageType::kFrame: {
      FrameHeader m;
      m.stream_id = r.u32("stream_id");
      m.sequence = r.u64("sequence");
      m.capture_time_ns = static_cast<std::int64_t>(r.u64("capture_time_ns"));
      m.data_bytes = r.u64("data_bytes");
      m.file_name = r.str8("file_name", kMaxFileNameBytes);
      return m;
    }
    case MessageType::kAck: {
      Ack m;
      const std::uint16_t count = r.u16("count");
      if (count == 0 || count > kMaxAckEntries) {
        r.fail(ErrorCode::kMalformed,
               "count is " + std::to_string(count) + ", not 1.." + std::to_string(kMaxAckEntries));
        return m;
      }
      // Checked before reserving so a lying count cannot make us allocate.
      if (r.remaining() != std::size_t{count} * 12) {
        r.fail(ErrorCode::kMalformed, "body holds " + std::to_string(r.remaining()) +
                                          " bytes for " + std::to_string(count) + " entries");
        return m;
      }
      m.entries.resize(count);
      for (AckEntry& e : m.entries) {
        e.stream_id = r.u32("stream_id");
        e.through_sequence = r.u64("through_sequence");
      }
      return m;
    }
    case MessageType::kFrameRejected: {
      FrameRejected m;
      m.stream_id = r.u32("stream_id");
      m.sequence = r.u64("sequence");
      // Codes this build does not know are kept as numbers (forward compatible).
      m.code = WireError{r.u16("code")};
      m.message = r.str16("message", kMaxErrorTextBytes);
      return m;
    }
    case MessageType::kError: {
      ErrorMessage m;
      m.code = WireError{r.u16("code")};  // known or not, as above
      m.message = r.str16("message", kMaxErrorTextBytes);
      return m;
    }
    case MessageType::kGoodbye:
      return Goodbye{};
  }
  // check_envelope() admits only the types above.
  r.fail(ErrorCode::kInternal, "no parser for this type");
  return Goodbye{};
}

}  // namespace

MessageDecoder::MessageDecoder(Peer from, DecoderLimits limits) : from_(from), limits_(limits) {
  // No v1 peer may declare more, whatever the caller configured.
  limits_.max_frame_bytes = std::min(limits_.max_frame_bytes, kMaxFrameBytesLimit);
}

DecodeEvent MessageDecoder::fail(ErrorCode code, std::string message) {
  failed_ = true;
  error_ = DecodeError{code, std::move(message)};
  pending_.clear();
  return error_;
}

DecodeEvent MessageDecoder::decode_body() {
  return decode_body(pending_);
}

DecodeEvent MessageDecoder::decode_body(std::span<const std::uint8_t> body) {
  BodyReader reader(body, type_name(static_cast<std::uint8_t>(type_)));
  Message message = parse(type_, reader);
  std::optional<DecodeError> error = reader.finish();
  // `body` may be pending_ itself; everything has been copied out of it now.
  pending_.clear();
  if (error) return fail(error->code, std::move(error->message));

  if (const auto* header = std::get_if<FrameHeader>(&message)) {
    // Judged before a single data byte is read, so nothing of the frame is
    // accepted; the layout errors above take precedence.
    if (header->data_bytes > limits_.max_frame_bytes) {
      return fail(ErrorCode::kFrameTooLarge, "FRAME declares " +
                                                 std::to_string(header->data_bytes) +
                                                 " data bytes, over this receiver's maximum of " +
                                                 std::to_string(limits_.max_frame_bytes));
    }
    data_left_ = header->data_bytes;
    state_ = data_left_ == 0 ? State::kFrameChecksum : State::kFrameData;
  } else {
    state_ = State::kEnvelope;
  }
  return DecodeEvent(std::in_place_type<Message>, std::move(message));
}

DecodeEvent MessageDecoder::next(std::span<const std::uint8_t>& input) {
  if (failed_) return error_;
  for (;;) {
    switch (state_) {
      case State::kEnvelope: {
        const std::uint8_t* envelope = nullptr;
        std::size_t have = kEnvelopeBytes;
        if (pending_.empty() && input.size() >= kEnvelopeBytes) {
          envelope = input.data();
          input = input.subspan(kEnvelopeBytes);
        } else {
          if (input.empty()) return NeedMore{};
          const std::size_t n = std::min(kEnvelopeBytes - pending_.size(), input.size());
          pending_.insert(pending_.end(), input.begin(), input.begin() + n);
          input = input.subspan(n);
          envelope = pending_.data();
          have = pending_.size();
        }
        if (auto error = check_envelope(from_, !seen_first_, envelope, have)) {
          return fail(error->code, std::move(error->message));
        }
        if (have < kEnvelopeBytes) return NeedMore{};
        seen_first_ = true;
        type_ = static_cast<MessageType>(envelope[0]);
        body_bytes_ = get_u32(envelope + 4);
        pending_.clear();
        state_ = State::kBody;
        break;  // an empty body (GOODBYE) is decoded without more input
      }
      case State::kBody: {
        if (pending_.empty() && input.size() >= body_bytes_) {
          const std::span<const std::uint8_t> body = input.first(body_bytes_);
          input = input.subspan(body_bytes_);
          return decode_body(body);
        }
        if (input.empty()) return NeedMore{};
        // body_bytes_ <= kMaxBodyBytes was checked with the envelope, so this
        // buffer is bounded whatever the peer declares.
        const std::size_t n = std::min(body_bytes_ - pending_.size(), input.size());
        pending_.insert(pending_.end(), input.begin(), input.begin() + n);
        input = input.subspan(n);
        if (pending_.size() < body_bytes_) return NeedMore{};
        return decode_body();
      }
      case State::kFrameData: {
        if (input.empty()) return NeedMore{};
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(data_left_, input.size()));
        const FrameData data{input.first(n)};
        input = input.subspan(n);
        data_left_ -= n;
        if (data_left_ == 0) state_ = State::kFrameChecksum;
        return data;
      }
      case State::kFrameChecksum: {
        std::uint64_t checksum = 0;
        if (pending_.empty() && input.size() >= kChecksumBytes) {
          checksum = get_u64(input.data());
          input = input.subspan(kChecksumBytes);
        } else {
          if (input.empty()) return NeedMore{};
          const std::size_t n = std::min(kChecksumBytes - pending_.size(), input.size());
          pending_.insert(pending_.end(), input.begin(), input.begin() + n);
          input = input.subspan(n);
          if (pending_.size() < kChecksumBytes) return NeedMore{};
          checksum = get_u64(pending_.data());
          pending_.clear();
        }
        state_ = State::kEnvelope;
        return FrameEnd{checksum};
      }
    }
  }
}

}  // namespace framewire::protocol
