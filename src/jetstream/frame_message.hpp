// A stored frame as JetStream messages (docs/SCALE.md, "Data model"): the
// frame message on <NAME>.frame.<tokens> with its Framewire-* headers, and
// for a frame larger than one message, its parts on <NAME>.part.<tokens>,
// listed by JetStream sequence in the frame message (Framewire-Part-Seqs).
// The frame message is published only after every part is stored, so a
// frame is visible exactly when it is complete. Builders and readers; no
// state; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "framewire/status.hpp"
#include "jetstream/nats_handles.hpp"
#include "storage/storage.hpp"

namespace framewire::jetstream {

// What a frame message says.
struct FrameMessage {
  std::string stream;  // framewire stream name
  storage::FrameRecord record;
  std::vector<std::uint64_t> part_sequences;  // empty: the payload is the frame
};

// The frame message of `record` in stream `stream` of JetStream stream
// `jetstream`, with `payload` (the whole frame, or nothing when there are
// parts).
Result<MsgHandle> make_frame_message(std::string_view jetstream, std::string_view stream,
                                     const storage::FrameRecord& record,
                                     std::span<const std::uint8_t> payload,
                                     const std::vector<std::uint64_t>& part_sequences);
Result<MsgHandle> make_part_message(std::string_view jetstream, std::string_view stream,
                                    std::uint64_t sequence, std::uint32_t index,
                                    std::span<const std::uint8_t> chunk);

// Reads the headers of a frame message (kMalformed when one is missing or
// broken: not written by framewire). `stream` is taken from the headers and
// checked against the subject when the message has one.
Result<FrameMessage> parse_frame_message(natsMsg* msg, std::string_view jetstream);

// The frame's bytes: the payload, or its parts fetched by sequence (direct
// get), each checked to belong to this frame; then the size and the XXH3-64
// against the headers (kChecksumMismatch, never a silently wrong frame).
// kFrameTooLarge above `max_bytes`.
Result<std::vector<std::uint8_t>> load_frame_bytes(jsCtx* js, std::string_view jetstream,
                                                   natsMsg* msg, const FrameMessage& frame,
                                                   std::uint64_t max_bytes);

// The message stored under JetStream sequence `sequence`, by direct get;
// with `next_on_subject`, the first message on that subject at or after it.
// Null (no error) when there is none.
Result<MsgHandle> direct_get(jsCtx* js, std::string_view jetstream, std::uint64_t sequence,
                             const std::string& next_on_subject = {});
// The last message on `subject` (through the stream leader, so it is the
// latest); null when the subject is empty.
Result<MsgHandle> last_on_subject(jsCtx* js, std::string_view jetstream,
                                  const std::string& subject);

}  // namespace framewire::jetstream
