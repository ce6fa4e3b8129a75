#include "net/receiver_session.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

#include "protocol/wire_error.hpp"
#include "storage/safe_name.hpp"

namespace framewire::net {

namespace {

constexpr std::uint64_t kProgressDataBytes = 64 * 1024;
constexpr std::string_view kAgent = "framewire/0.1.0";
// Never a frame's sequence, so that next_sequence (one past the highest
// stored) always fits in 64 bits.
constexpr std::uint64_t kReservedSequence = ~std::uint64_t{0};

std::int64_t realtime_ns() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

ReceiverSession::ReceiverSession(SessionContext& context, std::string peer,
                                 std::optional<std::string> identity, std::function<void()> evict,
                                 observe::ConnectionId connection)
    : context_(context),
      peer_(std::move(peer)),
      identity_(std::move(identity)),
      evict_(std::move(evict)),
      connection_(connection),
      decoder_(protocol::Peer::kClient, {context.limits.max_frame_bytes}) {
  note_progress();
}

ReceiverSession::~ReceiverSession() {
  release_streams();
}

void ReceiverSession::release_streams() {
  current_.reset();  // removes the temporary file of an unfinished frame
  for (auto& [id, stream] : streams_) {
    context_.registry->release(stream.name);
    tell(observe::StreamClosed{.connection = connection_, .stream = stream.name});
  }
  streams_.clear();
}

void ReceiverSession::note_progress() {
  last_progress_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                       std::memory_order_relaxed);
}

void ReceiverSession::consume(std::span<const std::uint8_t> input, protocol::ByteBuffer& out) {
  const std::span<const std::uint8_t> inputs[] = {input};
  consume(inputs, out);
}

void ReceiverSession::consume(std::span<const std::span<const std::uint8_t>> inputs,
                              protocol::ByteBuffer& out) {
  for (const auto& input : inputs) {
    if (closed_) return;
    decode(input, out);
  }
  if (closed_) return;
  // Group commit: everything completed in these reads is made durable
  // together and acknowledged with one ACK.
  if (Status status = commit_and_acknowledge(out); !status) fail(status, out);
}

void ReceiverSession::decode(std::span<const std::uint8_t> input, protocol::ByteBuffer& out) {
  while (!closed_) {
    auto event = decoder_.next(input);
    if (std::holds_alternative<protocol::NeedMore>(event)) break;
    std::visit(Overloaded{
                   [](protocol::NeedMore) {},
                   [&](const protocol::DecodeError& error) {
                     fail(Status(error.code, error.message), out);
                   },
                   [&](const protocol::Message& message) {
                     note_progress();
                     // After its GOODBYE a sender sends nothing more (5.6):
                     // bytes behind it in the same read are a violation, not
                     // something to drop silently.
                     if (std::holds_alternative<protocol::Goodbye>(message) && !input.empty()) {
                       return fail(Status(ErrorCode::kUnexpectedMessage,
                                          fmt::format("{} bytes after GOODBYE", input.size())),
                                   out);
                     }
                     handle(message, out);
                   },
                   [&](const protocol::FrameData& data) { on_frame_data(data.bytes, out); },
                   [&](const protocol::FrameEnd& end) {
                     note_progress();
                     on_frame_end(end.checksum, out);
                   },
               },
               event);
  }
}

void ReceiverSession::handle(const protocol::Message& message, protocol::ByteBuffer& out) {
  std::visit(Overloaded{
                 [&](const protocol::Hello& hello) { on_hello(hello, out); },
                 [&](const protocol::OpenStream& open) { on_open_stream(open, out); },
                 [&](const protocol::FrameHeader& header) { on_frame_header(header, out); },
                 [&](const protocol::Goodbye&) { on_goodbye(out); },
                 [&](const protocol::ErrorMessage& error) {
                   // The peer gives up. What it sent completely is still stored.
                   (void)commit_and_acknowledge(out);
                   close(fmt::format("sender error: {}: {}", protocol::to_string(error.code),
                                     error.message));
                 },
                 [&](const auto&) {
                   fail(Status(ErrorCode::kUnknownType, "message not valid from a sender"), out);
                 },
             },
             message);
}

void ReceiverSession::on_hello(const protocol::Hello& hello, protocol::ByteBuffer& out) {
  if (handshake_done()) {
    return fail(Status(ErrorCode::kUnexpectedMessage, "HELLO sent twice"), out);
  }
  if (hello.min_version > protocol::kVersion || hello.max_version < protocol::kVersion) {
    return fail(Status(ErrorCode::kUnsupportedVersion,
                       fmt::format("this receiver speaks protocol version {}; the sender offers "
                                   "versions {} to {}",
                                   protocol::kVersion, hello.min_version, hello.max_version)),
                out);
  }
  sender_id_ = hello.sender_id;
  handshake_done_.store(true, std::memory_order_relaxed);
  tell(observe::ConnectionHandshaken{.connection = connection_});
  const SessionLimits& limits = context_.limits;
  protocol::encode_message(protocol::HelloOk{.version = protocol::kVersion,
                                             .features = protocol::kFeaturesNone,
                                             .max_frame_bytes = limits.max_frame_bytes,
                                             .window_bytes = limits.window_bytes,
                                             .window_frames = limits.window_frames,
                                             .agent = std::string(kAgent)},
                           out);
}

void ReceiverSession::on_open_stream(const protocol::OpenStream& open, protocol::ByteBuffer& out) {
  if (streams_.size() >= context_.limits.max_streams) {
    return fail(Status(ErrorCode::kTooManyStreams,
                       fmt::format("at most {} streams per connection", streams_.size())),
                out);
  }
  if (streams_.contains(open.stream_id)) {
    return fail(
        Status(ErrorCode::kBadStream,
               fmt::format("stream id {} is already open on this connection", open.stream_id)),
        out);
  }
  if (Status status = storage::validate_stream_name(open.name); !status) return fail(status, out);
  if (Status status = storage::validate_source_kind(open.source_kind); !status) {
    return fail(status, out);
  }
  if (identity_ && open.name != *identity_ && !open.name.starts_with(*identity_ + "/")) {
    return fail(Status(ErrorCode::kForbidden,
                       fmt::format("client certificate \"{}\" may not write stream \"{}\" (only "
                                   "\"{}\" and streams below it)",
                                   *identity_, open.name, *identity_)),
                out);
  }
  for (const auto& [id, stream] : streams_) {
    if (stream.name == open.name) {
      return fail(Status(ErrorCode::kStreamBusy,
                         fmt::format("stream \"{}\" is already open on this connection as id {}",
                                     open.name, id)),
                  out);
    }
  }
  switch (context_.registry->try_acquire(open.name, sender_id_, evict_)) {
    case StreamRegistry::Acquire::kAcquired:
      break;
    case StreamRegistry::Acquire::kBusy:
      return fail(
          Status(ErrorCode::kStreamBusy,
                 fmt::format("stream \"{}\" is being written by another connection", open.name)),
          out);
    case StreamRegistry::Acquire::kTakingOver:
      return fail(Status(ErrorCode::kStreamBusy,
                         fmt::format("stream \"{}\" is held by an earlier connection of this "
                                     "sender, which is being closed; retry",
                                     open.name)),
                  out);
  }
  auto store = context_.storage->open_stream(open.name, open.source_kind);
  if (!store) {
    context_.registry->release(open.name);
    return fail(store.status(), out);
  }
  const std::uint64_t next_sequence = (*store)->next_sequence();
  std::string last_file_name = (*store)->last_file_name();
  streams_.emplace(open.stream_id, Stream{.name = open.name,
                                          .store = std::move(store).value(),
                                          .source_kind = open.source_kind,
                                          .expected_sequence = next_sequence});
  tell(observe::StreamOpened{.connection = connection_,
                             .peer = peer_,
                             .stream = open.name,
                             .source_kind = open.source_kind,
                             .next_sequence = next_sequence});
  protocol::encode_message(protocol::StreamOpened{.stream_id = open.stream_id,
                                                  .next_sequence = next_sequence,
                                                  .last_file_name = std::move(last_file_name)},
                           out);
}

void ReceiverSession::on_frame_header(const protocol::FrameHeader& header,
                                      protocol::ByteBuffer& out) {
  auto it = streams_.find(header.stream_id);
  if (it == streams_.end()) {
    return fail(Status(ErrorCode::kBadStream,
                       fmt::format("FRAME for stream id {}, which is not open", header.stream_id)),
                out);
  }
  Stream& stream = it->second;
  if (header.sequence == kReservedSequence) {
    return fail(Status(ErrorCode::kBadSequence,
                       fmt::format("stream \"{}\": sequence 2^64-1 is reserved", stream.name)),
                out);
  }
  if (stream.last_sequence && header.sequence <= *stream.last_sequence) {
    return fail(Status(ErrorCode::kBadSequence,
                       fmt::format("stream \"{}\": sequence {} after {}", stream.name,
                                   header.sequence, *stream.last_sequence)),
                out);
  }
  if (Status status = storage::validate_file_name(header.file_name); !status) {
    return fail(status, out);
  }
  const SessionLimits& limits = context_.limits;
  if (inflight_frames_ > 0 && (inflight_frames_ + 1 > limits.window_frames ||
                               inflight_bytes_ + header.data_bytes > limits.window_bytes)) {
    return fail(Status(ErrorCode::kWindowExceeded,
                       fmt::format("{} frames / {} bytes unacknowledged; the window is {} frames "
                                   "/ {} bytes",
                                   inflight_frames_ + 1, inflight_bytes_ + header.data_bytes,
                                   limits.window_frames, limits.window_bytes)),
                out);
  }
  ++inflight_frames_;
  inflight_bytes_ += header.data_bytes;
  stream.last_sequence = header.sequence;

  auto incoming = stream.store->begin_frame(header.sequence, header.file_name, header.data_bytes,
                                            header.capture_time_ns);
  if (!incoming) return fail(incoming.status(), out);
  current_.emplace(CurrentFrame{.stream = &stream,
                                .stream_id = header.stream_id,
                                .sequence = header.sequence,
                                .bytes = header.data_bytes,
                                .file = std::move(incoming).value()});
}

void ReceiverSession::on_frame_data(std::span<const std::uint8_t> bytes,
                                    protocol::ByteBuffer& out) {
  data_since_progress_ += bytes.size();
  if (data_since_progress_ >= kProgressDataBytes) {
    data_since_progress_ = 0;
    note_progress();
  }
  if (!current_) return;
  if (Status status = current_->file.write(bytes); !status) fail(status, out);
}

void ReceiverSession::on_frame_end(std::uint64_t checksum, protocol::ByteBuffer& out) {
  if (!current_) return;
  CurrentFrame frame = std::move(*current_);
  current_.reset();
  ++finished_frames_;
  finished_bytes_ += frame.bytes;
  frame.stream->settled_through = frame.sequence;
  frame.stream->dirty = true;
  auto outcome = frame.stream->store->finish_frame(std::move(frame.file), checksum);
  if (!outcome) {
    if (outcome.status().code() == ErrorCode::kStorageError) return fail(outcome.status(), out);
    return reject(frame.stream_id, frame.sequence, outcome.status(), out);
  }
}

void ReceiverSession::on_goodbye(protocol::ByteBuffer& out) {
  if (Status status = commit_and_acknowledge(out); !status) return fail(status, out);
  // The streams are free before the peer reads our GOODBYE: a sender that reconnects at once
  // (or another one taking over) must not find them still held by this closing connection
  // (stream_busy), as it could while they were released only when the session was destroyed.
  release_streams();
  protocol::encode_message(protocol::Goodbye{}, out);
  close("goodbye");
}

Status ReceiverSession::commit_and_acknowledge(protocol::ByteBuffer& out) {
  protocol::Ack ack;
  for (auto& [id, stream] : streams_) {
    if (stream.store->queued() > 0) {
      const std::uint64_t frames = stream.store->queued();
      const std::uint64_t next_before = stream.store->next_sequence();
      const auto started = std::chrono::steady_clock::now();
      auto committed = stream.store->commit();
      tell(observe::GroupCommitted{
          .connection = connection_,
          .frames = frames,
          .seconds =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
          .ok = committed.is_ok()});
      if (!committed) return committed.status();
      for (const auto& record : committed->stored) {
        ++frames_stored_;
        bytes_stored_ += record.bytes;
      }
      tell_stored(stream, *committed, next_before);
      for (const auto& [record, why] : committed->rejected) reject(id, record.sequence, why, out);
    }
    if (stream.dirty) {
      ack.entries.push_back({.stream_id = id, .through_sequence = *stream.settled_through});
      stream.dirty = false;
    }
  }
  if (!ack.entries.empty()) protocol::encode_message(ack, out);
  inflight_frames_ -= finished_frames_;
  inflight_bytes_ -= finished_bytes_;
  finished_frames_ = 0;
  finished_bytes_ = 0;
  return Status::ok();
}

void ReceiverSession::tell_stored(Stream& stream, const storage::CommitResult& committed,
                                  std::uint64_t next_before) {
  if (!context_.observer) return;
  const std::int64_t now_ns = realtime_ns();
  for (const auto& record : committed.stored) {
    // A sequence below what was stored before this group is a resend of a
    // stored frame: acknowledged, nothing written.
    const bool resend = record.sequence < next_before;
    std::uint64_t skipped = 0;
    if (!resend) {
      if (record.sequence > stream.expected_sequence) {
        skipped = record.sequence - stream.expected_sequence;
      }
      stream.expected_sequence = record.sequence + 1;
    }
    tell(observe::FrameStored{.connection = connection_,
                              .stream = stream.name,
                              .source_kind = stream.source_kind,
                              .file_name = record.file_name,
                              .sequence = record.sequence,
                              .bytes = record.bytes,
                              .capture_time_ns = record.capture_time_ns,
                              .stored_time_ns = now_ns,
                              .skipped_before = skipped,
                              .already_stored = resend});
  }
}

void ReceiverSession::reject(std::uint32_t stream_id, std::uint64_t sequence, const Status& why,
                             protocol::ByteBuffer& out) {
  if (const auto it = streams_.find(stream_id); it != streams_.end()) {
    tell(observe::FrameRejected{.connection = connection_,
                                .stream = it->second.name,
                                .sequence = sequence,
                                .code = why.code(),
                                .message = why.message()});
  }
  protocol::encode_message(protocol::FrameRejected{.stream_id = stream_id,
                                                   .sequence = sequence,
                                                   .code = protocol::to_wire(why.code()),
                                                   .message = why.message()},
                           out);
}

void ReceiverSession::fail(const Status& why, protocol::ByteBuffer& out) {
  if (closed_) return;
  Status reported = why;
  // Frames that arrived whole before the fault are still stored and
  // acknowledged, so the sender knows exactly what it must not resend.
  if (why.code() != ErrorCode::kStorageError) {
    if (Status status = commit_and_acknowledge(out); !status) reported = status;
  }
  protocol::encode_message(protocol::ErrorMessage{.code = protocol::to_wire(reported.code()),
                                                  .message = reported.message()},
                           out);
  close(reported.to_string(), reported.code());
}

void ReceiverSession::shut_down(protocol::ByteBuffer& out) {
  if (closed_) return;
  fail(Status(ErrorCode::kShuttingDown,
              "the receiver is shutting down; every acknowledged frame is stored"),
       out);
}

void ReceiverSession::close(std::string reason, ErrorCode error) {
  closed_ = true;
  close_reason_ = std::move(reason);
  close_error_ = error;
  current_.reset();
}

}  // namespace framewire::net
