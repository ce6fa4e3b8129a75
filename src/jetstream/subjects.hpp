// How framewire's names map onto NATS JetStream (docs/SCALE.md, "Data
// model"): the subjects of one JetStream stream, the headers of a frame's
// messages, its Nats-Msg-Id, and the key of a stream in a key-value bucket.
// Pure functions; any thread.
//
//   <NAME>.frame.<tokens>   one message per stored frame (its "commit")
//   <NAME>.part.<tokens>    the chunks of a frame too large for one message
//
// <NAME> is the JetStream stream (--nats-stream, default FRAMEWIRE) and
// <tokens> the framewire stream name, one token per '/'-separated segment.
// A segment is [A-Za-z0-9._-] (safe_name.hpp); '.' separates NATS tokens,
// so it is written '=', a byte no segment can hold: the mapping is a
// bijection, "rig1/cam.v" <-> "rig1.cam=v". The same tokens are the key of
// the stream in the writer and sink lease buckets (KV keys allow '=').
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framewire/status.hpp"

namespace framewire::jetstream {

inline constexpr std::string_view kDefaultStreamName = "FRAMEWIRE";

// Message headers (NATS headers, HTTP-like). Every frame message carries the
// Framewire-* ones; a part carries Framewire-Sequence and Framewire-Part.
inline constexpr const char* kHeaderMsgId = "Nats-Msg-Id";
inline constexpr const char* kHeaderExpectedLastSubjectSequence =
    "Nats-Expected-Last-Subject-Sequence";
inline constexpr const char* kHeaderStream = "Framewire-Stream";
inline constexpr const char* kHeaderSequence = "Framewire-Sequence";
inline constexpr const char* kHeaderFile = "Framewire-File";
inline constexpr const char* kHeaderBytes = "Framewire-Bytes";
inline constexpr const char* kHeaderChecksum = "Framewire-Checksum";  // XXH3-64, 16 hex digits
inline constexpr const char* kHeaderSource = "Framewire-Source";
inline constexpr const char* kHeaderCaptureTime = "Framewire-Capture-Time";  // Unix ns
inline constexpr const char* kHeaderReceiveTime = "Framewire-Receive-Time";  // Unix ns
inline constexpr const char* kHeaderParts = "Framewire-Parts";  // 0: the payload is the frame
inline constexpr const char* kHeaderPartSequences = "Framewire-Part-Seqs";
inline constexpr const char* kHeaderPart = "Framewire-Part";  // a part's index, from 0

// Checks a JetStream stream name as framewire uses it (a subject token too):
// 1..64 bytes of [A-Za-z0-9_-]. kBadName otherwise.
Status validate_jetstream_name(std::string_view name);

// "rig1/cam.v" -> "rig1.cam=v". `stream` must satisfy validate_stream_name().
std::string stream_tokens(std::string_view stream);
// The inverse; nullopt for tokens no valid stream name maps to.
std::optional<std::string> stream_from_tokens(std::string_view tokens);

std::string frame_subject(std::string_view jetstream, std::string_view stream);
std::string part_subject(std::string_view jetstream, std::string_view stream);
// The subjects a JetStream stream for framewire is created with.
std::vector<std::string> stream_subjects(std::string_view jetstream);
// The framewire stream a frame subject of `jetstream` names; nullopt for
// anything else.
std::optional<std::string> stream_of_frame_subject(std::string_view jetstream,
                                                   std::string_view subject);

// A sink's --filter, as a frame subject filter: segments as in a stream
// name, or '*' (any one segment), or '>' as the last (one or more). Empty
// means every stream. kBadName for anything else.
Result<std::string> frame_filter_subject(std::string_view jetstream, std::string_view filter);

// Nats-Msg-Id of a frame: "<stream>:<sequence>:<checksum hex>", so that a
// resent frame is a JetStream duplicate while a different frame under the
// same sequence is not. A part: the frame's id is not known before its last
// byte, so "<stream>:<sequence>:part<index>:<XXH3-64 of the chunk>".
std::string frame_msg_id(std::string_view stream, std::uint64_t sequence, std::uint64_t checksum);
std::string part_msg_id(std::string_view stream, std::uint64_t sequence, std::uint32_t index,
                        std::uint64_t chunk_checksum);

// A list of JetStream sequences as Framewire-Part-Seqs: ascending runs as
// "a-b", others as single numbers, comma-separated ("7-9,12"). The parts of
// a frame published by one writer are usually one run.
std::string encode_sequence_list(const std::vector<std::uint64_t>& sequences);
// The inverse; nullopt for anything malformed or longer than `max_count`.
std::optional<std::vector<std::uint64_t>> decode_sequence_list(std::string_view text,
                                                               std::size_t max_count);

// A whole decimal header value (no sign for unsigned, nothing around it).
template <typename Integer>
std::optional<Integer> parse_integer(std::string_view text);
inline std::optional<std::uint64_t> parse_u64(std::string_view text) {
  return parse_integer<std::uint64_t>(text);
}
inline std::optional<std::int64_t> parse_i64(std::string_view text) {
  return parse_integer<std::int64_t>(text);
}

}  // namespace framewire::jetstream
