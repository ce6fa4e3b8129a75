// Frames as JetStream messages (frame_message.hpp). Stateless; any thread.
#include "jetstream/frame_message.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include "jetstream/subjects.hpp"
#include "storage/file_io.hpp"
#include "storage/safe_name.hpp"

namespace framewire::jetstream {
namespace {

// More parts than a frame of 256 GiB in 64 KiB messages would need means the
// header is not ours.
constexpr std::size_t kMaxParts = std::size_t{1} << 22;

using Header = std::pair<const char*, std::string>;

// A message on `subject` with a copy of `payload` and `headers`.
Result<MsgHandle> make_message(const std::string& subject, std::span<const std::uint8_t> payload,
                               const std::vector<Header>& headers) {
  natsMsg* raw = nullptr;
  natsStatus s =
      natsMsg_Create(&raw, subject.c_str(), nullptr, reinterpret_cast<const char*>(payload.data()),
                     static_cast<int>(payload.size()));
  MsgHandle msg(raw);
  for (auto header = headers.begin(); s == NATS_OK && header != headers.end(); ++header) {
    s = natsMsgHeader_Set(raw, header->first, header->second.c_str());
  }
  if (s != NATS_OK) {
    return nats_status(s, "cannot build a JetStream message", 0, ErrorCode::kInternal);
  }
  return msg;
}

Status malformed(std::string_view what) {
  return Status(ErrorCode::kMalformed,
                fmt::format("a JetStream frame message without a valid {} header: not written "
                            "by framewire",
                            what));
}

}  // namespace

Result<MsgHandle> make_frame_message(std::string_view jetstream, std::string_view stream,
                                     const storage::FrameRecord& record,
                                     std::span<const std::uint8_t> payload,
                                     const std::vector<std::uint64_t>& part_sequences) {
  std::vector<Header> headers{
      {kHeaderMsgId, frame_msg_id(stream, record.sequence, record.checksum)},
      {kHeaderStream, std::string(stream)},
      {kHeaderSequence, std::to_string(record.sequence)},
      {kHeaderFile, record.file_name},
      {kHeaderBytes, std::to_string(record.bytes)},
      {kHeaderChecksum, storage::hex64(record.checksum)},
      {kHeaderSource, record.source_kind},
      {kHeaderCaptureTime, std::to_string(record.capture_time_ns)},
      {kHeaderReceiveTime, std::to_string(record.receive_time_ns)},
      {kHeaderParts, std::to_string(part_sequences.size())},
  };
  if (!part_sequences.empty()) {
    headers.emplace_back(kHeaderPartSequences, encode_sequence_list(part_sequences));
  }
  return make_message(frame_subject(jetstream, stream), payload, headers);
}

Result<MsgHandle> make_part_message(std::string_view jetstream, std::string_view stream,
                                    std::uint64_t sequence, std::uint32_t index,
                                    std::span<const std::uint8_t> chunk) {
  const std::uint64_t chunk_hash = XXH3_64bits(chunk.data(), chunk.size());
  return make_message(part_subject(jetstream, stream), chunk,
                      {{kHeaderMsgId, part_msg_id(stream, sequence, index, chunk_hash)},
                       {kHeaderStream, std::string(stream)},
                       {kHeaderSequence, std::to_string(sequence)},
                       {kHeaderPart, std::to_string(index)}});
}

Result<FrameMessage> parse_frame_message(natsMsg* msg, std::string_view jetstream) {
  FrameMessage frame;
  frame.stream = std::string(header(msg, kHeaderStream));
  if (!storage::validate_stream_name(frame.stream)) return malformed(kHeaderStream);
  // A direct get answers on an inbox: its subject is in Nats-Subject.
  std::string_view subject = natsMsg_GetSubject(msg) != nullptr ? natsMsg_GetSubject(msg) : "";
  if (std::string_view stored = header(msg, "Nats-Subject"); !stored.empty()) subject = stored;
  if (subject.starts_with(std::string(jetstream) + ".") &&
      subject != frame_subject(jetstream, frame.stream)) {
    return Status(ErrorCode::kMalformed,
                  fmt::format("frame message on {} names stream \"{}\"", subject, frame.stream));
  }
  storage::FrameRecord& record = frame.record;
  const auto sequence = parse_u64(header(msg, kHeaderSequence));
  if (!sequence) return malformed(kHeaderSequence);
  record.sequence = *sequence;
  record.file_name = std::string(header(msg, kHeaderFile));
  if (!storage::validate_file_name(record.file_name)) return malformed(kHeaderFile);
  const auto bytes = parse_u64(header(msg, kHeaderBytes));
  if (!bytes) return malformed(kHeaderBytes);
  record.bytes = *bytes;
  const auto checksum = storage::parse_hex64(header(msg, kHeaderChecksum));
  if (!checksum) return malformed(kHeaderChecksum);
  record.checksum = *checksum;
  record.source_kind = std::string(header(msg, kHeaderSource));
  if (!storage::validate_source_kind(record.source_kind)) return malformed(kHeaderSource);
  const auto capture = parse_i64(header(msg, kHeaderCaptureTime));
  const auto receive = parse_i64(header(msg, kHeaderReceiveTime));
  if (!capture) return malformed(kHeaderCaptureTime);
  if (!receive) return malformed(kHeaderReceiveTime);
  record.capture_time_ns = *capture;
  record.receive_time_ns = *receive;
  const auto parts = parse_u64(header(msg, kHeaderParts));
  if (!parts || *parts > kMaxParts) return malformed(kHeaderParts);
  if (*parts > 0) {
    auto sequences = decode_sequence_list(header(msg, kHeaderPartSequences), kMaxParts);
    if (!sequences || sequences->size() != *parts) return malformed(kHeaderPartSequences);
    frame.part_sequences = std::move(*sequences);
  }
  return frame;
}

Result<std::vector<std::uint8_t>> load_frame_bytes(jsCtx* js, std::string_view jetstream,
                                                   natsMsg* msg, const FrameMessage& frame,
                                                   std::uint64_t max_bytes) {
  const storage::FrameRecord& record = frame.record;
  const std::string name = frame.stream + "/" + record.file_name;
  if (record.bytes > max_bytes) {
    return Status(ErrorCode::kFrameTooLarge, fmt::format("frame {} has {} bytes, more than {}",
                                                         name, record.bytes, max_bytes));
  }
  std::vector<std::uint8_t> bytes;
  bytes.reserve(record.bytes);
  auto append = [&](natsMsg* from) -> Status {
    const auto* data = reinterpret_cast<const std::uint8_t*>(natsMsg_GetData(from));
    const auto size = static_cast<std::size_t>(natsMsg_GetDataLength(from));
    if (bytes.size() + size > record.bytes) {
      return Status(ErrorCode::kChecksumMismatch,
                    fmt::format("frame {} holds more than its {} bytes", name, record.bytes));
    }
    bytes.insert(bytes.end(), data, data + size);
    return Status::ok();
  };
  if (frame.part_sequences.empty()) {
    if (Status status = append(msg); !status) return status;
  }
  const std::string parts_subject = part_subject(jetstream, frame.stream);
  for (std::size_t index = 0; index < frame.part_sequences.size(); ++index) {
    auto part = direct_get(js, jetstream, frame.part_sequences[index]);
    if (!part) return part.status();
    if (*part == nullptr) {
      return Status(ErrorCode::kStorageError,
                    fmt::format("part {} of frame {} (JetStream sequence {}) is gone", index, name,
                                frame.part_sequences[index]));
    }
    natsMsg* p = part->get();
    if (header(p, "Nats-Subject") != parts_subject ||
        parse_u64(header(p, kHeaderSequence)) != record.sequence ||
        parse_u64(header(p, kHeaderPart)) != index) {
      return Status(ErrorCode::kMalformed,
                    fmt::format("JetStream sequence {} is not part {} of frame {}",
                                frame.part_sequences[index], index, name));
    }
    if (Status status = append(p); !status) return status;
  }
  if (bytes.size() != record.bytes) {
    return Status(ErrorCode::kChecksumMismatch,
                  fmt::format("frame {} has {} of its {} bytes", name, bytes.size(), record.bytes));
  }
  if (XXH3_64bits(bytes.data(), bytes.size()) != record.checksum) {
    return Status(ErrorCode::kChecksumMismatch,
                  fmt::format("frame {} does not hash to its checksum {}", name,
                              storage::hex64(record.checksum)));
  }
  return bytes;
}

Result<MsgHandle> direct_get(jsCtx* js, std::string_view jetstream, std::uint64_t sequence,
                             const std::string& next_on_subject) {
  jsDirectGetMsgOptions options;
  jsDirectGetMsgOptions_Init(&options);
  options.Sequence = sequence;
  if (!next_on_subject.empty()) options.NextBySubject = next_on_subject.c_str();
  natsMsg* raw = nullptr;
  const std::string stream(jetstream);
  natsStatus s = js_DirectGetMsg(&raw, js, stream.c_str(), nullptr, &options);
  if (s == NATS_NOT_FOUND) return MsgHandle();
  if (s != NATS_OK) {
    return nats_status(s, fmt::format("cannot read JetStream sequence {} of {}", sequence, stream));
  }
  return MsgHandle(raw);
}

Result<MsgHandle> last_on_subject(jsCtx* js, std::string_view jetstream,
                                  const std::string& subject) {
  natsMsg* raw = nullptr;
  jsErrCode js_error{};
  const std::string stream(jetstream);
  natsStatus s = js_GetLastMsg(&raw, js, stream.c_str(), subject.c_str(), nullptr, &js_error);
  if (s == NATS_NOT_FOUND || js_error == kJsErrNoMessageFound) return MsgHandle();
  if (s != NATS_OK) {
    return nats_status(s, fmt::format("cannot read the last frame on {}", subject), js_error);
  }
  return MsgHandle(raw);
}

}  // namespace framewire::jetstream
