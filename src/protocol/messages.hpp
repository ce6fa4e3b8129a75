// The messages of wire protocol v1 as plain structs, and the protocol's
// constants and caps. docs/PROTOCOL.md is the source of truth for the byte
// layouts; this header mirrors it. No I/O here.
//
// Every message starts with an 8-byte envelope:
//
//   offset  size  field
//   0       1     type        MessageType
//   1       1     flags       0 in v1 (anything else is malformed)
//   2       2     reserved    0 in v1
//   4       4     body_bytes  big-endian, <= kMaxBodyBytes
//   8       n     body        layout per type, integers big-endian
//
// A FRAME message's body is followed by `data_bytes` raw bytes of the frame
// and then its 8-byte XXH3-64 checksum (big-endian). Nothing else is outside
// an envelope.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "protocol/wire_error.hpp"

namespace framewire::protocol {

inline constexpr std::array<std::uint8_t, 8> kMagic = {'F', 'R', 'A', 'M', 'E', 'W', 'I', 'R'};
inline constexpr std::uint16_t kVersion = 1;

inline constexpr std::size_t kEnvelopeBytes = 8;
inline constexpr std::size_t kChecksumBytes = 8;
inline constexpr std::uint32_t kMaxBodyBytes = 64 * 1024;
inline constexpr std::size_t kMaxStreamNameBytes = 1024;
inline constexpr std::size_t kMaxFileNameBytes = 255;
inline constexpr std::size_t kMaxSourceKindBytes = 32;
inline constexpr std::size_t kMaxAgentBytes = 64;
inline constexpr std::size_t kMaxErrorTextBytes = 1024;
inline constexpr std::size_t kMaxAckEntries = 1024;
// Largest frame any v1 peer may declare; receivers set a lower maximum.
inline constexpr std::uint64_t kMaxFrameBytesLimit = std::uint64_t{1} << 40;

enum class MessageType : std::uint8_t {
  kHello = 0x01,          // client -> server, first message
  kHelloOk = 0x02,        // server -> client
  kOpenStream = 0x03,     // client -> server
  kStreamOpened = 0x04,   // server -> client
  kFrame = 0x05,          // client -> server, followed by data and checksum
  kAck = 0x06,            // server -> client
  kFrameRejected = 0x07,  // server -> client
  kError = 0x08,          // either way; the sender closes afterwards
  kGoodbye = 0x09,        // either way
  // 0x10-0x1f reserved for authentication, 0x20-0x2f for resume.
};

// Feature bits exchanged in HELLO / HELLO_OK; none are defined in v1.
inline constexpr std::uint32_t kFeaturesNone = 0;

struct Hello {
  std::uint16_t min_version = kVersion;
  std::uint16_t max_version = kVersion;
  std::uint32_t features = kFeaturesNone;
  std::string agent;  // free text such as "framewire/0.1", <= kMaxAgentBytes
  // Random per sender process (per `framewire send` run); all zero means
  // anonymous. Lets a reconnecting sender take its stream back from its own
  // old, half-open connection.
  std::array<std::uint8_t, 16> sender_id{};
  bool operator==(const Hello&) const = default;
};

struct HelloOk {
  std::uint16_t version = kVersion;
  std::uint32_t features = kFeaturesNone;
  std::uint64_t max_frame_bytes = 0;  // largest data_bytes the receiver accepts
  std::uint64_t window_bytes = 0;     // max unacknowledged frame bytes in flight
  std::uint32_t window_frames = 0;    // max unacknowledged frames in flight
  std::string agent;
  bool operator==(const HelloOk&) const = default;
};

struct OpenStream {
  std::uint32_t stream_id = 0;  // chosen by the sender, unique on the connection
  std::string name;             // "rig1/visible"; becomes ROOT/rig1/visible
  std::string source_kind;      // "visible", "infrared", ...
  bool operator==(const OpenStream&) const = default;
};

struct StreamOpened {
  std::uint32_t stream_id = 0;
  // One past the highest sequence already stored for this stream name (0 when
  // nothing is). Senders may use it to resume.
  std::uint64_t next_sequence = 0;
  // File name of that highest stored frame ("" when nothing is stored). A
  // resuming sender continues with the files that sort after it.
  std::string last_file_name;
  bool operator==(const StreamOpened&) const = default;
};

struct FrameHeader {
  std::uint32_t stream_id = 0;
  std::uint64_t sequence = 0;        // strictly increasing within a stream
  std::int64_t capture_time_ns = 0;  // Unix time, nanoseconds
  std::uint64_t data_bytes = 0;      // size of the data that follows
  std::string file_name;             // single path segment, e.g. "17.png"
  bool operator==(const FrameHeader&) const = default;
};

struct AckEntry {
  std::uint32_t stream_id = 0;
  std::uint64_t through_sequence = 0;  // every frame <= this one is settled
  bool operator==(const AckEntry&) const = default;
};

struct Ack {
  std::vector<AckEntry> entries;  // 1..kMaxAckEntries
  bool operator==(const Ack&) const = default;
};

// The `code` of FRAME_REJECTED and ERROR is the wire's code, not framewire's
// public ErrorCode: what a peer sent, kept as received even when this build
// does not know the number (wire_error.hpp converts both ways).
struct FrameRejected {
  std::uint32_t stream_id = 0;
  std::uint64_t sequence = 0;
  WireError code = WireError::kOk;
  std::string message;
  bool operator==(const FrameRejected&) const = default;
};

struct ErrorMessage {
  WireError code = WireError::kOk;
  std::string message;
  bool operator==(const ErrorMessage&) const = default;
};

struct Goodbye {
  bool operator==(const Goodbye&) const = default;
};

using Message = std::variant<Hello, HelloOk, OpenStream, StreamOpened, FrameHeader, Ack,
                             FrameRejected, ErrorMessage, Goodbye>;

MessageType type_of(const Message& message);

}  // namespace framewire::protocol
