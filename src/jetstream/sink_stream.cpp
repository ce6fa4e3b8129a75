// One stream of a sink (sink_stream.hpp). Everything below run() happens on
// the stream's own thread; stop_ and finished_ are the only state shared
// with the sink's thread.
#include "jetstream/sink_stream.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "jetstream/frame_message.hpp"
#include "jetstream/sink_consumer.hpp"

namespace framewire::jetstream {
namespace {

// How long one fetch waits for frames: also how long a stop or a lost lease
// may go unnoticed by an idle stream.
constexpr std::chrono::milliseconds kFetchWait{500};
// How long a frame fetched may stay unacknowledged before JetStream would
// hand it out again. A session never relies on that (a redelivery ends it,
// and the next starts from the ack floor): it is only a bound on a batch.
constexpr std::chrono::minutes kAckWait{5};
constexpr std::chrono::seconds kMaxRetryDelay{30};

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

SinkStream::SinkStream(SinkContext& context, std::string stream, std::unique_ptr<Lease> lease)
    : context_(context),
      stream_(std::move(stream)),
      jetstream_(context.options.nats.stream),
      lease_(std::move(lease)),
      logged_at_(std::chrono::steady_clock::now()) {
  thread_ = std::thread([this] { run(); });
}

SinkStream::~SinkStream() {
  request_stop();
  if (thread_.joinable()) thread_.join();
}

void SinkStream::request_stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
}

void SinkStream::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, delay, [&] { return stop_.load(); });
}

void SinkStream::run() {
  std::chrono::milliseconds delay = context_.options.retry_delay;
  while (!stop_) {
    if (!lease_->held()) {
      spdlog::warn(
          "sink: stream {}: lost its lease (NATS unreachable for too long?); another "
          "sink may take it over",
          stream_);
      break;
    }
    Status status = subscription_ ? Status::ok() : begin_session();
    if (status) status = read_batch();
    if (status) {
      delay = context_.options.retry_delay;
      log_progress(false);
      continue;
    }
    ++context_.counters.failures;
    end_session();
    spdlog::error(
        "sink: stream {}: {}; nothing after its last acknowledged frame is skipped: "
        "reading on from there in {:.1f} s",
        stream_, status.to_string(), std::chrono::duration<double>(delay).count());
    pause(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, kMaxRetryDelay);
  }
  end_session();
  log_progress(true);
  // Released here, on the stream's thread, once nothing is in hand.
  lease_.reset();
  finished_ = true;
}

Status SinkStream::begin_session() {
  auto consumer =
      open_sink_consumer(*context_.client, jetstream_, context_.options.durable, stream_, kAckWait);
  if (!consumer) return consumer.status();
  subscription_ = std::move(consumer->subscription);
  consumer_name_ = consumer->name;
  last_sequence_ = consumer->ack_floor;
  spdlog::info(
      "sink: stream {}: reading through JetStream consumer {} after JetStream sequence "
      "{}{}",
      stream_, consumer_name_, last_sequence_,
      consumer->was_reset ? " (its unacknowledged frames are read again)" : "");
  return Status::ok();
}

void SinkStream::end_session() {
  // Messages before their subscription (an ack goes through it); queued
  // frames with the store, which removes their temporary files.
  in_hand_.clear();
  store_.reset();
  store_kind_.clear();
  subscription_.reset();
}

Status SinkStream::read_batch() {
  natsMsgList list{};
  jsErrCode js_error{};
  const natsStatus s = natsSubscription_Fetch(&list, subscription_.get(),
                                              static_cast<int>(context_.options.batch_frames),
                                              kFetchWait.count(), &js_error);
  if (s == NATS_TIMEOUT) return Status::ok();  // nothing new
  if (s != NATS_OK) return nats_status(s, "cannot fetch frames from JetStream", js_error);
  std::vector<MsgHandle> messages;
  messages.reserve(static_cast<std::size_t>(list.Count));
  for (int i = 0; i < list.Count; ++i) {
    messages.emplace_back(list.Msgs[i]);
    list.Msgs[i] = nullptr;
  }
  natsMsgList_Destroy(&list);
  for (MsgHandle& msg : messages) {
    if (Status status = take(std::move(msg)); !status) return status;
  }
  return commit_batch();
}

Status SinkStream::take(MsgHandle msg) {
  jsMsgMetaData* raw_meta = nullptr;
  if (natsStatus s = natsMsg_GetMetaData(&raw_meta, msg.get()); s != NATS_OK) {
    return nats_status(s, "a fetched message has no JetStream metadata");
  }
  MetaDataHandle meta(raw_meta);
  const std::uint64_t sequence = meta->Sequence.Stream;
  if (sequence <= last_sequence_) {
    // Handed out again (its ack wait passed): order is no longer certain.
    return Status(
        ErrorCode::kStorageError,
        fmt::format("JetStream delivered sequence {} again after {}", sequence, last_sequence_));
  }
  last_sequence_ = sequence;
  waiting_ = meta->NumPending;

  auto frame = parse_frame_message(msg.get(), jetstream_);
  if (!frame || frame->stream != stream_) {
    ++rejected_;
    ++context_.counters.frames_rejected;
    spdlog::warn(
        "sink: stream {}: JetStream sequence {} is not a frame of it ({}); "
        "acknowledged and left out",
        stream_, sequence,
        frame ? fmt::format("it names stream \"{}\"", frame->stream) : frame.status().message());
    in_hand_.push_back(std::move(msg));
    return Status::ok();
  }
  const storage::FrameRecord& record = frame->record;
  if (!store_ || store_kind_ != record.source_kind) {
    if (Status status = open_store(record.source_kind); !status) return status;
  }
  if (record.sequence < store_->next_sequence()) {
    // Delivered again after a restart or a takeover: recognised without
    // loading it. Anything else under an old sequence goes on to commit(),
    // which refuses it.
    auto stored = store_->is_stored(record.sequence, record.file_name, record.checksum);
    if (!stored) return stored.status();
    if (*stored) {
      ++already_;
      ++context_.counters.frames_already_stored;
      in_hand_.push_back(std::move(msg));
      return Status::ok();
    }
  }
  auto bytes = load_frame_bytes(context_.client->js(), jetstream_, msg.get(), *frame,
                                context_.options.max_frame_bytes);
  if (!bytes) {
    return Status(
        bytes.status().code(),
        fmt::format("frame {} (sequence {}, JetStream sequence {}) cannot be loaded: {}",
                    record.file_name, record.sequence, sequence, bytes.status().message()));
  }
  auto incoming =
      store_->begin_frame(record.sequence, record.file_name, bytes->size(), record.capture_time_ns);
  if (!incoming) return incoming.status();
  if (Status status = incoming->write(*bytes); !status) return status;
  incoming->set_receive_time_ns(record.receive_time_ns);
  auto finished = store_->finish_frame(std::move(incoming).value(), record.checksum);
  if (!finished) return finished.status();
  in_hand_.push_back(std::move(msg));
  return Status::ok();
}

Status SinkStream::open_store(const std::string& source_kind) {
  // The folder store keeps one source kind per opened stream, as a
  // receiver's connection does: a frame of another kind (the stream was
  // written by several senders) commits the frames before it first.
  if (store_ && store_->queued() > 0) {
    if (Status status = commit_batch(); !status) return status;
  }
  store_.reset();
  auto opened = context_.root->open_stream(stream_, source_kind);
  if (!opened) return opened.status();
  store_ = std::move(opened).value();
  store_kind_ = source_kind;
  return Status::ok();
}

Status SinkStream::commit_batch() {
  if (in_hand_.empty()) return Status::ok();
  // Another sink may own the stream once the lease lapsed: write nothing
  // more (the frames in hand are read again by whoever holds it).
  if (!lease_->held()) {
    return Status(ErrorCode::kStreamBusy, "its sink lease lapsed before the frames were stored");
  }
  if (store_ && store_->queued() > 0) {
    auto committed = store_->commit();
    if (!committed) return committed.status();
    for (const storage::FrameRecord& record : committed->stored) {
      ++stored_;
      bytes_ += record.bytes;
      ++context_.counters.frames_stored;
      context_.counters.bytes_stored += record.bytes;
    }
    for (const auto& [record, why] : committed->rejected) {
      ++rejected_;
      ++context_.counters.frames_rejected;
      spdlog::warn(
          "sink: stream {}: frame {} (sequence {}) is not stored: {}; acknowledged, "
          "not tried again",
          stream_, record.file_name, record.sequence, why.to_string());
    }
  }
  // Acknowledged in order; the last one waits for JetStream's answer, which
  // comes after the ones before it on this connection were processed: when
  // it returns, the consumer's ack floor covers the whole batch.
  for (std::size_t i = 0; i < in_hand_.size(); ++i) {
    natsMsg* msg = in_hand_[i].get();
    jsErrCode js_error{};
    const natsStatus s = i + 1 < in_hand_.size() ? natsMsg_Ack(msg, nullptr)
                                                 : natsMsg_AckSync(msg, nullptr, &js_error);
    if (s != NATS_OK) return nats_status(s, "cannot acknowledge frames to JetStream", js_error);
  }
  in_hand_.clear();
  return Status::ok();
}

void SinkStream::log_progress(bool final) {
  const auto interval = context_.options.log_interval;
  const auto now = std::chrono::steady_clock::now();
  if (interval.count() <= 0 || (!final && now - logged_at_ < interval)) return;
  // An idle stream stays quiet: its last line still says where it stands.
  if (stored_ == logged_stored_ && already_ == logged_already_ && rejected_ == logged_rejected_) {
    logged_at_ = now;
    return;
  }
  const double elapsed = std::max(seconds(now - logged_at_), 1e-3);
  spdlog::info(
      "sink: stream {}: {:.1f} fps, {:.2f} MB/s, {} frames stored, {} already stored, {} "
      "rejected, at JetStream sequence {}, {} waiting",
      stream_, static_cast<double>(stored_ - logged_stored_) / elapsed,
      static_cast<double>(bytes_ - logged_bytes_) / elapsed / 1e6, stored_, already_, rejected_,
      last_sequence_, waiting_);
  logged_stored_ = stored_;
  logged_bytes_ = bytes_;
  logged_already_ = already_;
  logged_rejected_ = rejected_;
  logged_at_ = now;
}

}  // namespace framewire::jetstream
