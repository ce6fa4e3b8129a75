// Shared helpers for the protocol tests: building wire bytes (well-formed via
// the encoder, or raw and deliberately broken), and feeding a MessageDecoder
// a byte string cut into chunks of any sizes (nghttp2's scripted_data_feed),
// collecting what it reports in a form that compares equal across splits.
// Test-only; single-threaded.
#pragma once

#include <xxhash.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/message_decoder.hpp"
#include "protocol/message_encoder.hpp"
#include "protocol/messages.hpp"

namespace framewire::protocol::test {

using Bytes = std::vector<std::uint8_t>;

inline Bytes to_bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

inline std::uint64_t xxh3(std::span<const std::uint8_t> data) {
  return XXH3_64bits(data.data(), data.size());
}

inline Bytes encode(const Message& m) {
  Bytes out;
  encode_message(m, out);
  return out;
}

// A whole FRAME: header (data_bytes taken from `data`), data, checksum.
inline Bytes encode_frame(FrameHeader header, std::span<const std::uint8_t> data) {
  header.data_bytes = data.size();
  Bytes out;
  encode_message(header, out);
  out.insert(out.end(), data.begin(), data.end());
  encode_frame_checksum(xxh3(data), out);
  return out;
}

inline void append(Bytes& to, const Bytes& more) {
  to.insert(to.end(), more.begin(), more.end());
}

// An envelope with every field chosen by the test, valid or not.
inline Bytes raw_envelope(std::uint8_t type, std::uint32_t body_bytes, std::uint8_t flags = 0,
                          std::uint16_t reserved = 0) {
  Bytes out{type, flags};
  put_u16(out, reserved);
  put_u32(out, body_bytes);
  return out;
}

// An envelope whose body_bytes is the true length of `body`.
inline Bytes raw_message(std::uint8_t type, const Bytes& body) {
  Bytes out = raw_envelope(type, static_cast<std::uint32_t>(body.size()));
  append(out, body);
  return out;
}

// A sender identity with every byte different, so that a field read from
// the wrong offset or in the wrong order shows.
inline std::array<std::uint8_t, 16> sample_sender_id() {
  std::array<std::uint8_t, 16> id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(0xa0 + i);
  return id;
}

inline Hello sample_hello() {
  return Hello{1, 1, kFeaturesNone, "framewire/0.1", sample_sender_id()};
}
inline HelloOk sample_hello_ok() {
  return HelloOk{1, kFeaturesNone, 256ull << 20, 32ull << 20, 8192, "framewire/0.1"};
}

// The first message each side must send, so that later bytes reach the part
// of the decoder under test.
inline Bytes client_prefix() {
  return encode(sample_hello());
}
inline Bytes server_prefix() {
  return encode(sample_hello_ok());
}

struct Checksum {
  std::uint64_t value = 0;
  bool operator==(const Checksum&) const = default;
};
// Consecutive FrameData events are merged into one Bytes item, so the same
// input gives the same items however it was split.
using Item = std::variant<Message, Bytes, Checksum>;

struct Decoded {
  std::vector<Item> items;
  std::optional<DecodeError> error;
  // Every FrameData view pointed into the fed buffer (nothing was copied).
  bool data_were_views = true;
  bool input_consumed_on_need_more = true;
  // Input was left over after many events without NeedMore: a decoder loop.
  bool stalled = false;
};

// Feeds `bytes` to a fresh decoder in chunks of the given sizes (they must
// add up to bytes.size(); zero-sized chunks are allowed) and collects every
// event until an error or until the input is exhausted.
inline Decoded decode_chunks(Peer from, const Bytes& bytes, const std::vector<std::size_t>& chunks,
                             DecoderLimits limits = {}) {
  MessageDecoder decoder(from, limits);
  Decoded out;
  const std::uint8_t* begin = bytes.data();
  const std::uint8_t* end = bytes.data() + bytes.size();
  std::size_t pos = 0;
  for (std::size_t chunk : chunks) {
    std::span<const std::uint8_t> input(bytes.data() + pos, chunk);
    pos += chunk;
    // Every event but NeedMore consumes input or ends a frame, so this bound
    // only trips on a decoder that loops without progress.
    for (std::size_t guard = 0;; ++guard) {
      if (guard > 2 * bytes.size() + 16) {
        out.stalled = true;
        return out;
      }
      DecodeEvent event = decoder.next(input);
      if (std::holds_alternative<NeedMore>(event)) {
        if (!input.empty()) out.input_consumed_on_need_more = false;
        break;
      }
      if (auto* e = std::get_if<DecodeError>(&event)) {
        out.error = std::move(*e);
        return out;
      }
      if (auto* m = std::get_if<Message>(&event)) {
        out.items.emplace_back(std::move(*m));
      } else if (auto* d = std::get_if<FrameData>(&event)) {
        if (d->bytes.empty() || d->bytes.data() < begin ||
            d->bytes.data() + d->bytes.size() > end) {
          out.data_were_views = false;
        }
        if (out.items.empty() || !std::holds_alternative<Bytes>(out.items.back())) {
          out.items.emplace_back(Bytes{});
        }
        auto& data = std::get<Bytes>(out.items.back());
        data.insert(data.end(), d->bytes.begin(), d->bytes.end());
      } else if (auto* f = std::get_if<FrameEnd>(&event)) {
        out.items.emplace_back(Checksum{f->checksum});
      }
    }
  }
  return out;
}

inline Decoded decode_whole(Peer from, const Bytes& bytes, DecoderLimits limits = {}) {
  return decode_chunks(from, bytes, {bytes.size()}, limits);
}

// Chunkings worth trying for `n` bytes: every cut into two pieces (including
// empty ones), every uniform chunk size down to 1 byte at a time, and, when
// `three_way` is set, every cut into three pieces.
inline std::vector<std::vector<std::size_t>> all_splits(std::size_t n, bool three_way) {
  std::vector<std::vector<std::size_t>> splits;
  for (std::size_t i = 0; i <= n; ++i) splits.push_back({i, n - i});
  for (std::size_t k = 1; k <= n; ++k) {
    std::vector<std::size_t> chunks(n / k, k);
    if (n % k != 0) chunks.push_back(n % k);
    splits.push_back(std::move(chunks));
  }
  if (three_way) {
    for (std::size_t i = 0; i <= n; ++i) {
      for (std::size_t j = i; j <= n; ++j) splits.push_back({i, j - i, n - j});
    }
  }
  return splits;
}

inline std::string describe(const std::vector<std::size_t>& chunks) {
  std::string s = "chunks:";
  for (std::size_t c : chunks) s += " " + std::to_string(c);
  return s;
}

}  // namespace framewire::protocol::test

namespace framewire::protocol {

// GoogleTest finds this by ADL and prints a WireError in failures as
// "conflict (11)" instead of its raw bytes.
inline void PrintTo(WireError code, std::ostream* os) {
  *os << to_string(code) << " (" << static_cast<std::uint16_t>(code) << ")";
}

}  // namespace framewire::protocol
