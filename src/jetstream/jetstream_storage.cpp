// The JetStream store (jetstream_storage.hpp).
#include "jetstream/jetstream_storage.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <algorithm>
#include <thread>

#include "jetstream/frame_message.hpp"
#include "jetstream/lease_table.hpp"
#include "storage/file_io.hpp"
#include "storage/safe_name.hpp"

namespace framewire::jetstream {

using storage::CommitResult;
using storage::FinishOutcome;
using storage::FrameRecord;
using storage::IncomingFrame;

struct JetStreamStorage::Shared {
  JetStreamOptions options;
  std::unique_ptr<NatsClient> client;
  std::unique_ptr<LeaseTable> writers;
  // Bytes of frame per message: the server's max_payload less room for the
  // headers. A larger frame goes in parts of this size.
  std::size_t chunk_bytes = 0;
};

namespace {

constexpr std::size_t kHeaderRoom = 16 * 1024;
constexpr std::uint64_t kNoSequence = ~std::uint64_t{0};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A publish JetStream refused or never answered, as the sender should see it.
Status publish_failure(const PublishResult& result, std::string_view stream) {
  if (result.js_error == kJsErrWrongLastSequence) {
    return Status(ErrorCode::kStreamBusy,
                  fmt::format("stream \"{}\" was written through another receiver meanwhile; "
                              "reconnect to resume after its frames",
                              stream));
  }
  if (result.js_error != 0) {
    return Status(ErrorCode::kStorageError,
                  fmt::format("stream \"{}\": {}", stream, result.status.message()));
  }
  // No JetStream verdict: no responders, a timeout, a lost connection. A
  // new connection may well succeed (a cluster electing a leader).
  return Status(ErrorCode::kTimeout,
                fmt::format("stream \"{}\": {}", stream, result.status.message()));
}

class JetStreamStream;

// What a frame's bytes are for.
enum class FrameBytes {
  kMessage,  // kept, to be the frame message's payload (it fits in one)
  kParts,    // published in parts as they arrive
  kHashOnly  // a resend of a stored frame: only compared, never published
};

// A frame being received: hashed, and its bytes kept or published as
// `mode` says.
class JetStreamFrame final : public IncomingFrame::Backend {
 public:
  JetStreamFrame(JetStreamStream& stream, FrameRecord record, FrameBytes mode)
      : stream_(&stream), record_(std::move(record)), mode_(mode) {
    XXH3_64bits_reset(&hash_);
    if (mode_ == FrameBytes::kMessage) buffer_.reserve(record_.bytes);
  }

  Status write(std::span<const std::uint8_t> bytes) override;
  const FrameRecord& record() const override { return record_; }
  void set_receive_time_ns(std::int64_t ns) override { record_.receive_time_ns = ns; }

  JetStreamStream* stream_;
  FrameRecord record_;
  const FrameBytes mode_;
  XXH3_state_t hash_{};
  std::uint64_t written_ = 0;
  std::vector<std::uint8_t> buffer_;
  std::vector<std::shared_ptr<PublishResult>> parts_;
};

class JetStreamStream final : public storage::StreamStorage {
 public:
  JetStreamStream(JetStreamStorage::Shared& shared, std::string name, std::string source_kind,
                  std::unique_ptr<Lease> lease)
      : shared_(shared),
        name_(std::move(name)),
        source_kind_(std::move(source_kind)),
        subject_(frame_subject(shared.options.stream, name_)),
        lease_(std::move(lease)),
        disconnections_(shared.client->disconnections()) {}

  ~JetStreamStream() override { forget_group(); }

  // Reads where the stream stands from its last frame message.
  Status load_position() {
    auto last = last_on_subject(shared_.client->js(), shared_.options.stream, subject_);
    if (!last) return last.status();
    if (*last == nullptr) return Status::ok();
    auto frame = parse_frame_message(last->get(), shared_.options.stream);
    if (!frame) {
      return Status(ErrorCode::kStorageError,
                    fmt::format("stream \"{}\": its last JetStream message: {}", name_,
                                frame.status().message()));
    }
    next_sequence_ = frame->record.sequence + 1;
    last_file_name_ = frame->record.file_name;
    last_subject_sequence_ = natsMsg_GetSequence(last->get());
    return Status::ok();
  }

  Result<IncomingFrame> begin_frame(std::uint64_t sequence, std::string_view file_name,
                                    std::uint64_t bytes, std::int64_t capture_time_ns) override {
    if (!poisoned_) return poisoned_;
    if (sequence == kNoSequence) {
      return Status(ErrorCode::kBadSequence,
                    "sequence 2^64-1 is reserved (one past it must still be a sequence)");
    }
    if (Status status = storage::validate_file_name(file_name); !status) return status;
    FrameRecord record{.sequence = sequence,
                       .file_name = std::string(file_name),
                       .bytes = bytes,
                       .source_kind = source_kind_,
                       .capture_time_ns = capture_time_ns};
    // A resend of a stored frame is only compared, never published again.
    const FrameBytes mode = sequence < next_sequence_     ? FrameBytes::kHashOnly
                            : bytes > shared_.chunk_bytes ? FrameBytes::kParts
                                                          : FrameBytes::kMessage;
    return IncomingFrame(std::make_unique<JetStreamFrame>(*this, std::move(record), mode));
  }

  Result<FinishOutcome> finish_frame(IncomingFrame incoming, std::uint64_t checksum) override {
    std::unique_ptr<IncomingFrame::Backend> backend = incoming.release();
    auto* frame = dynamic_cast<JetStreamFrame*>(backend.get());
    if (frame == nullptr || frame->stream_ != this) {
      return Status(ErrorCode::kInternal, "finish_frame got a frame of another stream");
    }
    if (!poisoned_) return poisoned_;
    FrameRecord& record = frame->record_;
    if (record.receive_time_ns == 0) record.receive_time_ns = now_ns();  // not given by the caller
    if (frame->written_ != record.bytes) {
      return Status(ErrorCode::kMalformed,
                    fmt::format("frame {} ended after {} of {} declared bytes", record.file_name,
                                frame->written_, record.bytes));
    }
    const std::uint64_t actual = XXH3_64bits_digest(&frame->hash_);
    if (actual != checksum) {
      return Status(ErrorCode::kChecksumMismatch,
                    fmt::format("frame {} hashes to {}, the sender said {}", record.file_name,
                                storage::hex64(actual), storage::hex64(checksum)));
    }
    record.checksum = checksum;
    if (record.sequence < next_sequence_) {
      // At or below the highest stored sequence: only the very frame stored
      // there is accepted (storage.hpp), and nothing is published.
      auto stored = is_stored(record.sequence, record.file_name, checksum);
      if (!stored) return poison(stored.status());
      Status verdict =
          *stored ? Status::ok()
                  : Status(ErrorCode::kStaleSequence,
                           fmt::format("sequence {} is at or below the highest stored ({}) and is "
                                       "not the frame stored there",
                                       record.sequence, next_sequence_ - 1));
      queue_.push_back(Queued{.record = record, .verdict = std::move(verdict)});
      return FinishOutcome::kQueued;
    }
    auto published = publish_frame(*frame);
    if (!published) return poison(published.status());
    queue_.push_back(Queued{.record = record, .result = std::move(published).value()});
    return FinishOutcome::kQueued;
  }

  Result<CommitResult> commit() override {
    if (!poisoned_) {
      forget_group();
      return poisoned_;
    }
    std::vector<std::shared_ptr<PublishResult>> results;
    for (const Queued& queued : queue_) {
      if (queued.result) results.push_back(queued.result);
    }
    const auto deadline = std::chrono::steady_clock::now() + shared_.options.publish_timeout;
    if (!shared_.client->wait(results, deadline)) {
      const auto unanswered =
          std::count_if(results.begin(), results.end(), [](const auto& r) { return !r->done; });
      forget_group();
      return poison(Status(
          ErrorCode::kTimeout,
          fmt::format("stream \"{}\": JetStream did not confirm {} frames within "
                      "{} s (is a quorum of the NATS cluster up?)",
                      name_, unanswered,
                      std::chrono::duration<double>(shared_.options.publish_timeout).count())));
    }
    CommitResult committed;
    for (Queued& queued : queue_) {
      if (!queued.result) {
        if (queued.verdict) {
          committed.stored.push_back(queued.record);
        } else {
          committed.rejected.emplace_back(queued.record, queued.verdict);
        }
        continue;
      }
      const PublishResult& result = *queued.result;
      if (!result.status.is_ok()) {
        queue_.clear();
        group_published_ = false;
        return poison(publish_failure(result, name_));
      }
      committed.stored.push_back(queued.record);
      next_sequence_ = std::max(next_sequence_, queued.record.sequence + 1);
      if (queued.record.sequence + 1 == next_sequence_) last_file_name_ = queued.record.file_name;
      last_subject_sequence_ = std::max(last_subject_sequence_, result.stream_sequence);
    }
    queue_.clear();
    group_published_ = false;
    return committed;
  }

  std::size_t queued() const override { return queue_.size(); }
  std::uint64_t next_sequence() const override { return next_sequence_; }
  const std::string& last_file_name() const override { return last_file_name_; }
  const std::string& name() const override { return name_; }

  // The frame messages of a stream are in increasing sequence order in the
  // JetStream stream (one writer at a time, publishing in order), so the
  // one with framewire sequence `sequence` is found by bisecting JetStream
  // sequences with "next message on the subject" direct gets.
  Result<bool> is_stored(std::uint64_t sequence, std::string_view file_name,
                         std::uint64_t checksum) override {
    if (sequence >= next_sequence_) return false;
    std::uint64_t low = 1;
    std::uint64_t high = last_subject_sequence_;
    while (low <= high) {
      const std::uint64_t middle = low + (high - low) / 2;
      auto found = direct_get(shared_.client->js(), shared_.options.stream, middle, subject_);
      if (!found) return found.status();
      const std::uint64_t at = *found ? natsMsg_GetSequence(found->get()) : 0;
      if (*found == nullptr || at > high) {
        high = middle - 1;
        continue;
      }
      auto frame = parse_frame_message(found->get(), shared_.options.stream);
      if (!frame) return Status(ErrorCode::kStorageError, frame.status().message());
      if (frame->record.sequence == sequence) {
        return frame->record.file_name == file_name && frame->record.checksum == checksum;
      }
      if (frame->record.sequence < sequence) {
        low = at + 1;
      } else {
        high = middle - 1;
      }
    }
    return false;
  }

  Status publish_part(JetStreamFrame& frame, std::span<const std::uint8_t> chunk) {
    if (Status status = check_can_publish(); !status) return status;
    auto msg = make_part_message(shared_.options.stream, name_, frame.record_.sequence,
                                 static_cast<std::uint32_t>(frame.parts_.size()), chunk);
    if (!msg) return msg.status();
    auto result = shared_.client->publish(std::move(msg).value());
    if (!result) return result.status();
    frame.parts_.push_back(std::move(result).value());
    return Status::ok();
  }

  std::size_t chunk_bytes() const { return shared_.chunk_bytes; }

 private:
  struct Queued {
    FrameRecord record;
    std::shared_ptr<PublishResult> result;  // null: settled without publishing
    Status verdict;                         // for those: ok (stored already) or a rejection
  };

  Status check_can_publish() {
    if (!lease_->held()) {
      return Status(ErrorCode::kStreamBusy,
                    fmt::format("stream \"{}\": this receiver's writer lease lapsed (NATS "
                                "unreachable for too long?); reconnect to resume",
                                name_));
    }
    // A publish made after the connection to NATS dropped could be stored
    // while one made before was lost with the old socket: never publish
    // across a disconnection within a group.
    const std::uint64_t now = shared_.client->disconnections();
    if (now != disconnections_) {
      if (group_published_) {
        return Status(ErrorCode::kTimeout,
                      fmt::format("stream \"{}\": the connection to NATS was lost with frames "
                                  "in flight; reconnect to resume",
                                  name_));
      }
      disconnections_ = now;
    }
    return Status::ok();
  }

  Result<std::shared_ptr<PublishResult>> publish_frame(JetStreamFrame& frame) {
    if (Status status = check_can_publish(); !status) return status;
    std::vector<std::uint64_t> part_sequences;
    std::span<const std::uint8_t> payload = frame.buffer_;
    if (frame.mode_ == FrameBytes::kParts) {
      if (!frame.buffer_.empty()) {
        if (Status status = publish_part(frame, frame.buffer_); !status) return status;
        frame.buffer_.clear();
      }
      // The frame message lists its parts by JetStream sequence, so they
      // must be stored (and answered) first.
      const auto deadline = std::chrono::steady_clock::now() + shared_.options.publish_timeout;
      if (!shared_.client->wait(frame.parts_, deadline)) {
        shared_.client->forget(frame.parts_);
        return Status(
            ErrorCode::kTimeout,
            fmt::format("stream \"{}\": JetStream did not confirm the parts of frame "
                        "{} within {} s",
                        name_, frame.record_.file_name,
                        std::chrono::duration<double>(shared_.options.publish_timeout).count()));
      }
      for (const auto& part : frame.parts_) {
        if (!part->status.is_ok()) return publish_failure(*part, name_);
        part_sequences.push_back(part->stream_sequence);
      }
      payload = {};
    }
    auto msg =
        make_frame_message(shared_.options.stream, name_, frame.record_, payload, part_sequences);
    if (!msg) return msg.status();
    if (!group_published_) {
      // The fence: this group follows exactly the frame we know is last.
      const std::string expected = std::to_string(last_subject_sequence_);
      natsMsgHeader_Set(msg->get(), kHeaderExpectedLastSubjectSequence, expected.c_str());
    }
    auto result = shared_.client->publish(std::move(msg).value());
    if (!result) return result.status();
    group_published_ = true;
    return result;
  }

  Status poison(Status status) {
    poisoned_ = status;
    return status;
  }

  void forget_group() {
    std::vector<std::shared_ptr<PublishResult>> results;
    for (const Queued& queued : queue_) {
      if (queued.result) results.push_back(queued.result);
    }
    shared_.client->forget(results);
    queue_.clear();
  }

  JetStreamStorage::Shared& shared_;
  const std::string name_;
  const std::string source_kind_;
  const std::string subject_;
  std::unique_ptr<Lease> lease_;
  std::uint64_t disconnections_;

  std::uint64_t next_sequence_ = 0;
  std::string last_file_name_;
  std::uint64_t last_subject_sequence_ = 0;  // JetStream sequence of the last frame message
  std::vector<Queued> queue_;
  bool group_published_ = false;  // a frame of the current group was published
  Status poisoned_;
};

Status JetStreamFrame::write(std::span<const std::uint8_t> bytes) {
  if (written_ + bytes.size() > record_.bytes) {
    return Status(ErrorCode::kMalformed, fmt::format("frame {} has more than its {} declared bytes",
                                                     record_.file_name, record_.bytes));
  }
  XXH3_64bits_update(&hash_, bytes.data(), bytes.size());
  written_ += bytes.size();
  if (mode_ == FrameBytes::kHashOnly) return Status::ok();
  if (mode_ == FrameBytes::kMessage) {
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    return Status::ok();
  }
  const std::size_t chunk = stream_->chunk_bytes();
  while (!bytes.empty()) {
    const std::size_t take = std::min(bytes.size(), chunk - buffer_.size());
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
    bytes = bytes.subspan(take);
    // Keep the last part for finish: a frame never ends on an empty part.
    const bool more_to_come = !bytes.empty() || written_ < record_.bytes;
    if (buffer_.size() == chunk && more_to_come) {
      if (Status status = stream_->publish_part(*this, buffer_); !status) return status;
      buffer_.clear();
    }
  }
  return Status::ok();
}

}  // namespace

JetStreamOptions jetstream_options(const NatsOptions& nats, const std::string& role) {
  JetStreamOptions options;
  options.endpoint = NatsEndpoint{.url = nats.url,
                                  .creds_file = nats.creds_file,
                                  .tls_ca = nats.tls_ca,
                                  .tls_cert = nats.tls_cert,
                                  .tls_key = nats.tls_key,
                                  .client_name = role};
  options.stream = nats.stream;
  options.replicas = nats.replicas;
  options.lease_ttl = nats.lease_ttl;
  options.publish_timeout = nats.publish_timeout;
  options.owner = role;
  return options;
}

namespace {

// At start-up nothing is retried: NATS not answering is the storage failing.
Status as_storage_error(const Status& status) {
  if (status.code() != ErrorCode::kTimeout) return status;
  return Status(ErrorCode::kStorageError, status.message());
}

}  // namespace

Result<std::unique_ptr<JetStreamStorage>> JetStreamStorage::open(const JetStreamOptions& options) {
  if (Status status = validate_jetstream_name(options.stream); !status) return status;
  if (options.replicas < 1 || options.replicas > 5) {
    return Status(ErrorCode::kBadName, "--nats-replicas is 1 to 5");
  }
  auto shared = std::make_unique<Shared>();
  shared->options = options;
  auto client = NatsClient::connect(options.endpoint);
  if (!client) return as_storage_error(client.status());
  shared->client = std::move(client).value();
  const std::int64_t max_payload = shared->client->max_payload();
  if (max_payload < static_cast<std::int64_t>(4 * kHeaderRoom)) {
    return Status(ErrorCode::kStorageError,
                  fmt::format("the NATS server takes messages of {} bytes at most; framewire "
                              "needs at least {}",
                              max_payload, 4 * kHeaderRoom));
  }
  shared->chunk_bytes = static_cast<std::size_t>(max_payload) - kHeaderRoom;
  if (Status status =
          shared->client->ensure_stream(options.stream, options.replicas, options.duplicate_window);
      !status) {
    return as_storage_error(status);
  }
  auto writers = LeaseTable::open(*shared->client, options.stream + "_writers", options.replicas,
                                  options.lease_ttl, options.owner);
  if (!writers) return as_storage_error(writers.status());
  shared->writers = std::move(writers).value();
  if (shared->writers->ttl() != options.lease_ttl) {
    spdlog::warn(
        "the lease bucket {}_writers expires leases after {:.1f} s (it was made so by an "
        "earlier receiver); this receiver uses that, not {:.1f} s",
        options.stream, std::chrono::duration<double>(shared->writers->ttl()).count(),
        std::chrono::duration<double>(options.lease_ttl).count());
  }
  return std::unique_ptr<JetStreamStorage>(new JetStreamStorage(std::move(shared)));
}

JetStreamStorage::JetStreamStorage(std::unique_ptr<Shared> shared) : shared_(std::move(shared)) {}

JetStreamStorage::~JetStreamStorage() {
  // Leases before the client they renew through.
  shared_->writers.reset();
  shared_->client.reset();
}

Result<std::unique_ptr<storage::StreamStorage>> JetStreamStorage::open_stream(
    std::string_view name, std::string_view source_kind) {
  if (Status status = storage::validate_stream_name(name); !status) return status;
  if (Status status = storage::validate_source_kind(source_kind); !status) return status;
  // NATS not answering for a moment (a cluster electing a leader, our
  // connection moving to another node) is waited out for up to
  // --nats-timeout; past that the sender hears storage_error, not a retry.
  const auto deadline = std::chrono::steady_clock::now() + shared_->options.publish_timeout;
  while (true) {
    auto opened = try_open_stream(name, source_kind);
    if (opened || opened.status().code() != ErrorCode::kTimeout) return opened;
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status(
          ErrorCode::kStorageError,
          fmt::format("NATS did not answer for {} s: {}",
                      std::chrono::duration<double>(shared_->options.publish_timeout).count(),
                      opened.status().message()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Result<std::unique_ptr<storage::StreamStorage>> JetStreamStorage::try_open_stream(
    std::string_view name, std::string_view source_kind) {
  auto lease = shared_->writers->acquire(stream_tokens(name), fmt::format("stream \"{}\"", name));
  if (!lease) return lease.status();
  auto stream = std::make_unique<JetStreamStream>(
      *shared_, std::string(name), std::string(source_kind), std::move(lease).value());
  if (Status status = stream->load_position(); !status) return status;
  return std::unique_ptr<storage::StreamStorage>(std::move(stream));
}

Result<std::vector<std::uint8_t>> JetStreamStorage::read_frame(std::string_view stream,
                                                               std::string_view file_name,
                                                               std::uint64_t max_bytes) {
  if (Status status = storage::validate_stream_name(stream); !status) return status;
  if (Status status = storage::validate_file_name(file_name); !status) return status;
  auto last = last_on_subject(shared_->client->js(), shared_->options.stream,
                              frame_subject(shared_->options.stream, stream));
  if (!last) return last.status();
  if (*last == nullptr) {
    return Status(ErrorCode::kBadStream, fmt::format("no frame of stream \"{}\"", stream));
  }
  auto frame = parse_frame_message(last->get(), shared_->options.stream);
  if (!frame) return Status(ErrorCode::kStorageError, frame.status().message());
  if (frame->record.file_name != file_name) {
    return Status(ErrorCode::kBadStream,
                  fmt::format("{}/{} is not the latest frame of its stream (only that one is read "
                              "back from JetStream by name)",
                              stream, file_name));
  }
  return load_frame_bytes(shared_->client->js(), shared_->options.stream, last->get(), *frame,
                          max_bytes);
}

}  // namespace framewire::jetstream
