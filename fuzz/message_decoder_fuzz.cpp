// libFuzzer target for protocol::MessageDecoder: arbitrary bytes, read as a
// client's or a server's stream, are fed in chunks split at points derived
// from the input, each chunk in a heap buffer of its own so that ASan catches
// a read past it or a view kept after it is gone. Checked on every input:
//   - the event sequence is well formed: NeedMore only with the input used up,
//     every other event consumes input, FrameData only inside a frame and
//     never past its declared size, exactly one FrameEnd per frame, and
//     inside_frame() agrees;
//   - FrameData views lie within the chunk just given and hold exactly the
//     bytes at that position of the stream;
//   - every decoded message re-encodes (encode_message) to exactly the bytes
//     it was decoded from, and a fresh decoder reads the re-encoding back as
//     the same message;
//   - after an error, next() keeps returning that error, with or without input;
//   - the events do not depend on the split: the same bytes fed whole give the
//     same messages, frame data, checksums and error.
//
// Input layout: byte 0 = options (bit 0: Peer::kServer instead of kClient;
// bits 1-2: the receiver's max_frame_bytes; bits 3-7: how to split), then the
// stream. Single-threaded, as libFuzzer calls it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "protocol/message_decoder.hpp"
#include "protocol/message_encoder.hpp"
#include "protocol/messages.hpp"

namespace {

namespace protocol = framewire::protocol;
using protocol::ByteBuffer;
using protocol::Peer;

[[noreturn]] void violated(const char* what) {
  std::fprintf(stderr, "message_decoder_fuzz: invariant violated: %s\n", what);
  std::abort();
}

void require(bool ok, const char* what) {
  if (!ok) violated(what);
}

// What a decoder made of a stream, independent of how it was split.
struct Trace {
  std::vector<ByteBuffer> messages;  // re-encoded
  std::vector<ByteBuffer> frame_data;
  std::vector<std::uint64_t> checksums;
  std::optional<protocol::DecodeError> error;
};

// Chunk lengths from a small PRNG seeded by the options byte and the input, so
// a crashing input always replays the same split.
std::vector<std::size_t> chunk_lengths(std::uint8_t how, std::span<const std::uint8_t> stream) {
  std::vector<std::size_t> lengths;
  const unsigned mode = how & 3;
  if (mode == 0 || stream.empty()) {
    lengths.push_back(stream.size());
    return lengths;
  }
  if (mode == 1) {
    lengths.assign(stream.size(), 1);
    return lengths;
  }
  std::uint32_t state =
      0x9e3779b9u ^ (std::uint32_t{how} << 16) ^ static_cast<std::uint32_t>(stream.size());
  for (std::size_t i = 0; i < stream.size() && i < 16; ++i) state = state * 31 + stream[i];
  const std::size_t max_len = mode == 2 ? 9 : 300;  // around envelope size / body size
  std::size_t left = stream.size();
  while (left > 0) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    const std::size_t len = std::min<std::size_t>(left, 1 + state % max_len);
    lengths.push_back(len);
    left -= len;
  }
  return lengths;
}

// The re-encoding of `message`, read back by a fresh decoder, must be the
// same message. A fresh decoder insists on the opening message first, so one
// is put in front when `message` cannot open a stream.
void check_round_trip(const protocol::Message& message, Peer peer, protocol::DecoderLimits limits) {
  ByteBuffer bytes;
  bool opener = false;
  if (peer == Peer::kClient) {
    opener = std::holds_alternative<protocol::Hello>(message);
    if (!opener) protocol::encode_message(protocol::Hello{}, bytes);
  } else {
    opener = std::holds_alternative<protocol::HelloOk>(message) ||
             std::holds_alternative<protocol::ErrorMessage>(message);
    if (!opener) protocol::encode_message(protocol::HelloOk{}, bytes);
  }
  protocol::encode_message(message, bytes);

  protocol::MessageDecoder decoder(peer, limits);
  std::span<const std::uint8_t> input(bytes);
  bool skipped_opener = opener;
  for (;;) {
    protocol::DecodeEvent event = decoder.next(input);
    const auto* got = std::get_if<protocol::Message>(&event);
    require(got != nullptr, "re-encoded message does not decode to a message");
    if (!skipped_opener) {
      skipped_opener = true;
      continue;
    }
    require(*got == message, "re-encoded message decodes to a different message");
    require(input.empty(), "re-encoded message has bytes left over");
    return;
  }
}

// Decodes `stream` split into `lengths`; with `checks`, verifies every
// per-event invariant on the way.
Trace decode(Peer peer, protocol::DecoderLimits limits, std::span<const std::uint8_t> stream,
             const std::vector<std::size_t>& lengths, bool checks) {
  Trace trace;
  protocol::MessageDecoder decoder(peer, limits);
  std::size_t offset = 0;                   // of the next unread byte of `stream`
  std::size_t unit_start = 0;               // where the message being decoded began
  std::optional<std::uint64_t> frame_left;  // set inside a frame

  for (const std::size_t length : lengths) {
    // A buffer of exactly this chunk's size, freed before the next chunk.
    const std::vector<std::uint8_t> chunk(
        stream.begin() + static_cast<std::ptrdiff_t>(offset),
        stream.begin() + static_cast<std::ptrdiff_t>(offset + length));
    std::span<const std::uint8_t> input(chunk);
    for (;;) {
      const std::size_t before = input.size();
      const std::uint8_t* const before_data = input.data();
      protocol::DecodeEvent event = decoder.next(input);
      const std::size_t used = before - input.size();
      offset += used;

      if (auto* error = std::get_if<protocol::DecodeError>(&event)) {
        if (checks) {
          require(decoder.failed(), "failed() is false after an error");
          require(error->code != framewire::ErrorCode::kOk, "error event with code ok");
          std::span<const std::uint8_t> empty;
          protocol::DecodeEvent again = decoder.next(empty);
          const auto* e2 = std::get_if<protocol::DecodeError>(&again);
          require(e2 != nullptr && e2->code == error->code && e2->message == error->message,
                  "next() after an error (no input) does not repeat the error");
          const std::uint8_t more[3] = {0x01, 0x00, 0x00};
          std::span<const std::uint8_t> some(more);
          again = decoder.next(some);
          e2 = std::get_if<protocol::DecodeError>(&again);
          require(e2 != nullptr && e2->code == error->code && e2->message == error->message,
                  "next() after an error (with input) does not repeat the error");
          if (input.size() > 0) {
            again = decoder.next(input);
            e2 = std::get_if<protocol::DecodeError>(&again);
            require(e2 != nullptr && e2->code == error->code,
                    "next() after an error (rest of chunk) does not repeat the error");
          }
        }
        trace.error = std::move(*error);
        return trace;
      }
      if (checks) require(!decoder.failed(), "failed() is true without an error");

      if (std::holds_alternative<protocol::NeedMore>(event)) {
        if (checks) require(input.empty(), "NeedMore while input is left");
        break;
      }
      if (checks) require(used > 0, "an event consumed no input");

      if (auto* message = std::get_if<protocol::Message>(&event)) {
        if (checks) {
          require(!frame_left, "a message inside a frame");
          ByteBuffer encoded;
          protocol::encode_message(*message, encoded);
          require(encoded.size() == offset - unit_start &&
                      std::equal(encoded.begin(), encoded.end(),
                                 stream.begin() + static_cast<std::ptrdiff_t>(unit_start)),
                  "re-encoded message differs from the bytes it was decoded from");
          check_round_trip(*message, peer, limits);
        }
        ByteBuffer encoded;
        protocol::encode_message(*message, encoded);
        trace.messages.push_back(std::move(encoded));
        if (const auto* header = std::get_if<protocol::FrameHeader>(message)) {
          if (checks) {
            require(header->data_bytes <= limits.max_frame_bytes,
                    "FRAME over max_frame_bytes accepted");
          }
          frame_left = header->data_bytes;
          trace.frame_data.emplace_back();
        }
        unit_start = offset;
      } else if (auto* data = std::get_if<protocol::FrameData>(&event)) {
        if (checks) {
          require(frame_left.has_value(), "FrameData outside a frame");
          require(!data->bytes.empty(), "empty FrameData");
          require(data->bytes.size() <= *frame_left, "FrameData past the declared size");
          const std::uint8_t* chunk_begin = chunk.data();
          const std::uint8_t* chunk_end = chunk.data() + chunk.size();
          require(data->bytes.data() >= chunk_begin &&
                      data->bytes.data() + data->bytes.size() <= chunk_end,
                  "FrameData view outside the input given");
          require(data->bytes.data() == before_data, "FrameData does not start at the input");
          require(
              std::equal(data->bytes.begin(), data->bytes.end(),
                         stream.begin() + static_cast<std::ptrdiff_t>(offset - data->bytes.size())),
              "FrameData bytes differ from the stream");
        }
        if (frame_left) *frame_left -= data->bytes.size();
        trace.frame_data.back().insert(trace.frame_data.back().end(), data->bytes.begin(),
                                       data->bytes.end());
        unit_start = offset;
      } else if (auto* end = std::get_if<protocol::FrameEnd>(&event)) {
        if (checks) {
          require(frame_left.has_value() && *frame_left == 0,
                  "FrameEnd outside a frame or before all its data");
          require(
              protocol::get_u64(stream.data() + offset - protocol::kChecksumBytes) == end->checksum,
              "FrameEnd checksum differs from the stream");
        }
        frame_left.reset();
        trace.checksums.push_back(end->checksum);
        unit_start = offset;
      }
      if (checks) {
        require(decoder.inside_frame() == frame_left.has_value(),
                "inside_frame() disagrees with the events");
      }
    }
  }
  return trace;
}

bool same(const Trace& a, const Trace& b) {
  if (a.messages != b.messages || a.frame_data != b.frame_data || a.checksums != b.checksums) {
    return false;
  }
  if (a.error.has_value() != b.error.has_value()) return false;
  return !a.error || (a.error->code == b.error->code && a.error->message == b.error->message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t options = data[0];
  const Peer peer = (options & 1) != 0 ? Peer::kServer : Peer::kClient;
  static constexpr std::uint64_t kFrameLimits[] = {protocol::kMaxFrameBytesLimit, 1 << 20, 16, 0};
  const protocol::DecoderLimits limits{kFrameLimits[(options >> 1) & 3]};
  const std::span<const std::uint8_t> stream(data + 1, size - 1);

  const std::vector<std::size_t> lengths =
      chunk_lengths(static_cast<std::uint8_t>(options >> 3), stream);
  const Trace split = decode(peer, limits, stream, lengths, /*checks=*/true);
  const std::vector<std::size_t> whole{stream.size()};
  const Trace one_piece = decode(peer, limits, stream, whole, /*checks=*/false);
  require(same(split, one_piece), "events depend on how the input was split");
  return 0;
}
