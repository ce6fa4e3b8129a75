// Encoders for wire protocol v1 (layouts: docs/PROTOCOL.md and the table in
// messages.hpp). Each encoder appends one envelope and its body to the
// caller's buffer and patches body_bytes in afterwards, so a message is built
// in one pass with no temporary. Pure functions; callable from any thread.
#include "protocol/message_encoder.hpp"

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace framewire::protocol {

void put_u16(ByteBuffer& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put_u32(ByteBuffer& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put_u64(ByteBuffer& out, std::uint64_t v) {
  put_u32(out, static_cast<std::uint32_t>(v >> 32));
  put_u32(out, static_cast<std::uint32_t>(v));
}

std::uint16_t get_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((std::uint32_t{p[0]} << 8) | std::uint32_t{p[1]});
}

std::uint32_t get_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

std::uint64_t get_u64(const std::uint8_t* p) {
  return (std::uint64_t{get_u32(p)} << 32) | std::uint64_t{get_u32(p + 4)};
}

namespace {

// Strings longer than their length prefix can express are cut at the
// prefix's maximum so that the framing stays self-consistent; the caps of
// messages.hpp are the peer decoder's business (see the header's contract).
void put_str8(ByteBuffer& out, std::string_view s) {
  const std::size_t n = std::min<std::size_t>(s.size(), 0xff);
  out.push_back(static_cast<std::uint8_t>(n));
  out.insert(out.end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n));
}

void put_str16(ByteBuffer& out, std::string_view s) {
  const std::size_t n = std::min<std::size_t>(s.size(), 0xffff);
  put_u16(out, static_cast<std::uint16_t>(n));
  out.insert(out.end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n));
}

// Error texts come from anywhere (exception messages, OS errors), so they
// are cut to the cap rather than trusted; the cut backs up to a UTF-8
// character boundary so the peer never sees half a character.
std::string_view error_text(std::string_view s) {
  if (s.size() <= kMaxErrorTextBytes) return s;
  std::size_t n = kMaxErrorTextBytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  return s.substr(0, n);
}

void put_magic(ByteBuffer& out) {
  out.insert(out.end(), kMagic.begin(), kMagic.end());
}

struct BodyWriter {
  ByteBuffer& out;

  void operator()(const Hello& m) const {
    put_magic(out);
    put_u16(out, m.min_version);
    put_u16(out, m.max_version);
    put_u32(out, m.features);
    put_str8(out, m.agent);
    out.insert(out.end(), m.sender_id.begin(), m.sender_id.end());
  }
  void operator()(const HelloOk& m) const {
    put_magic(out);
    put_u16(out, m.version);
    put_u32(out, m.features);
    put_u64(out, m.max_frame_bytes);
    put_u64(out, m.window_bytes);
    put_u32(out, m.window_frames);
    put_str8(out, m.agent);
  }
  void operator()(const OpenStream& m) const {
    put_u32(out, m.stream_id);
    put_str8(out, m.source_kind);
    put_str16(out, m.name);
  }
  void operator()(const StreamOpened& m) const {
    put_u32(out, m.stream_id);
    put_u64(out, m.next_sequence);
    put_str8(out, m.last_file_name);
  }
  void operator()(const FrameHeader& m) const {
    put_u32(out, m.stream_id);
    put_u64(out, m.sequence);
    put_u64(out, static_cast<std::uint64_t>(m.capture_time_ns));
    put_u64(out, m.data_bytes);
    put_str8(out, m.file_name);
  }
  void operator()(const Ack& m) const {
    put_u16(out, static_cast<std::uint16_t>(m.entries.size()));
    for (const AckEntry& e : m.entries) {
      put_u32(out, e.stream_id);
      put_u64(out, e.through_sequence);
    }
  }
  void operator()(const FrameRejected& m) const {
    put_u32(out, m.stream_id);
    put_u64(out, m.sequence);
    put_u16(out, static_cast<std::uint16_t>(m.code));
    put_str16(out, error_text(m.message));
  }
  void operator()(const ErrorMessage& m) const {
    put_u16(out, static_cast<std::uint16_t>(m.code));
    put_str16(out, error_text(m.message));
  }
  void operator()(const Goodbye&) const {}
};

}  // namespace

void encode_message(const Message& message, ByteBuffer& out) {
  const std::size_t start = out.size();
  out.push_back(static_cast<std::uint8_t>(type_of(message)));
  out.push_back(0);  // flags
  put_u16(out, 0);   // reserved
  put_u32(out, 0);   // body_bytes, patched below once the body is written
  std::visit(BodyWriter{out}, message);

  const auto body = static_cast<std::uint32_t>(out.size() - start - kEnvelopeBytes);
  std::uint8_t* length = out.data() + start + 4;
  length[0] = static_cast<std::uint8_t>(body >> 24);
  length[1] = static_cast<std::uint8_t>(body >> 16);
  length[2] = static_cast<std::uint8_t>(body >> 8);
  length[3] = static_cast<std::uint8_t>(body);
}

void encode_frame_checksum(std::uint64_t checksum, ByteBuffer& out) {
  put_u64(out, checksum);
}

}  // namespace framewire::protocol
