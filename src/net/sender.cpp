// send_folders(): the sender. Each connection attempt has a writer coroutine
// that reads every file in chunks straight into the batch it is about to
// write (hashing as it goes) and a reader coroutine for ACK / FRAME_REJECTED /
// ERROR / GOODBYE; both run on one io_context thread and meet through a timer
// used as an event. A third coroutine, the progress watchdog, drops a
// connection on which the receiver stops answering and nothing more can be
// written (SenderOptions::ack_timeout). When the reader sees the connection end
// (EOF, an error, the receiver's ERROR), it closes the socket, which releases a
// writer blocked on a full send buffer at once. Between attempts the sender
// backs off and, on the next connection, resumes after the last frame the
// receiver reports stored.
#include "framewire/sender.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/error.hpp>
#include <asio/steady_timer.hpp>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <system_error>
#include <tuple>

#include "net/address.hpp"
#include "net/file_reader.hpp"
#include "net/inflight_frames.hpp"
#include "net/keepalive.hpp"
#include "net/tls_context.hpp"
#include "net/transport.hpp"
#include "protocol/message_decoder.hpp"
#include "protocol/message_encoder.hpp"
#include "source/folder_listing.hpp"
#include "storage/safe_name.hpp"

namespace framewire {

namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
// Writes are batched up to this size: many small frames go out in one
// syscall, large ones in chunks, and memory stays bounded.
constexpr std::size_t kBatchBytes = 512 * 1024;
constexpr std::size_t kReadBufferBytes = 64 * 1024;
constexpr std::string_view kAgent = "framewire/0.1.0";

// The first bytes a plaintext sender got back are a TLS record header (alert
// 0x15 or handshake 0x16, version 3.x), where a framewire receiver starts with
// HELLO_OK (0x02) or ERROR (0x08): the receiver speaks only TLS. Judged on
// what arrived, which may be fewer than three bytes.
bool looks_like_tls_record(std::span<const std::uint8_t> first) {
  if (first.empty() || (first[0] != 0x15 && first[0] != 0x16)) return false;
  if (first.size() >= 2 && first[1] != 0x03) return false;
  return first.size() < 3 || first[2] <= 0x04;
}

struct StreamState {
  StreamSpec spec;
  std::vector<source::FrameFile> files;
  std::vector<std::uint64_t> prefix_bytes;  // [i]: bytes of files [0, i)
  std::uint64_t settled = 0;                // files [0, settled) are stored or rejected
  // On the current connection, file `base_index` is sent as `base_sequence`,
  // the next one as base_sequence + 1, and so on.
  std::uint64_t base_index = 0;
  std::uint64_t base_sequence = 0;

  std::uint64_t sequence_of(std::uint64_t index) const {
    return base_sequence + (index - base_index);
  }
  // Index of a sequence sent on this connection, or files.size() if none.
  std::uint64_t index_of(std::uint64_t sequence) const {
    if (sequence < base_sequence) return files.size();
    return std::min<std::uint64_t>(base_index + (sequence - base_sequence), files.size());
  }
  bool reached = false;  // opened on some connection already
};

struct AttemptResult {
  Status status;
  bool retryable = false;
};

bool retryable_code(ErrorCode code, bool retry_storage_errors) {
  switch (code) {
    case ErrorCode::kConnectionFailed:
    case ErrorCode::kTimeout:
    case ErrorCode::kShuttingDown:
    case ErrorCode::kStreamBusy:  // an earlier connection of ours may still hold it
      return true;
    case ErrorCode::kStorageError:
      return retry_storage_errors;
    default:
      return false;
  }
}

class SenderClient {
 public:
  SenderClient(asio::io_context& io, const SenderOptions& options, std::vector<StreamState> streams,
               std::unique_ptr<asio::ssl::context> tls)
      : io_(io),
        options_(options),
        streams_(std::move(streams)),
        tls_(std::move(tls)),
        wake_(io),
        progress_timer_(io),
        read_buffer_(kReadBufferBytes),
        hash_(XXH3_createState()) {
    std::random_device random;
    for (auto& byte : sender_id_) byte = static_cast<std::uint8_t>(random());
    for (const auto& stream : streams_) {
      progress_.frames_total += stream.files.size();
      progress_.bytes_total += stream.prefix_bytes.back();
    }
  }
  ~SenderClient() { XXH3_freeState(hash_); }
  SenderClient(const SenderClient&) = delete;
  SenderClient& operator=(const SenderClient&) = delete;

  asio::awaitable<void> run() {
    started_ = std::chrono::steady_clock::now();
    auto last_stored = started_;
    auto backoff = options_.backoff_initial;
    while (true) {
      const std::uint64_t stored_before = progress_.frames_stored;
      AttemptResult attempt = co_await run_attempt();
      if (attempt.status) break;
      const auto now = std::chrono::steady_clock::now();
      if (progress_.frames_stored > stored_before) {
        last_stored = now;
        backoff = options_.backoff_initial;
      }
      if (!attempt.retryable || options_.retry_for.count() <= 0 ||
          now - last_stored + backoff > options_.retry_for) {
        result_ = attempt.status;
        break;
      }
      if (options_.on_notice) {
        options_.on_notice(fmt::format("{}; retrying in {:.1f} s", attempt.status.to_string(),
                                       std::chrono::duration<double>(backoff).count()));
      }
      asio::steady_timer pause(io_, backoff);
      co_await pause.async_wait(kNoThrow);
      backoff = std::min(backoff * 2, options_.backoff_max);
      ++reconnects_;
    }
    report_progress(true);
  }

  Result<SendSummary> result() const {
    if (!result_) return result_;
    SendSummary summary{.frames = progress_.frames_stored - already_frames_,
                        .bytes = progress_.bytes_stored - already_bytes_,
                        .streams = streams_.size(),
                        .seconds = elapsed(),
                        .already_stored_frames = already_frames_,
                        .already_stored_bytes = already_bytes_,
                        .reconnects = reconnects_};
    for (const auto& [key, frame] : rejected_) summary.rejected.push_back(frame);
    return summary;
  }

 private:
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }

  // One connection: connect, handshake, send what is not stored yet, wait for
  // the receiver's GOODBYE; the progress watchdog runs alongside.
  asio::awaitable<AttemptResult> run_attempt() {
    const std::uint64_t attempt = ++attempt_id_;
    transport_.reset();
    decoder_.emplace(protocol::Peer::kServer, protocol::DecoderLimits{});
    pending_ = {};
    inflight_ = net::InflightFrames{};
    reader_done_ = false;
    reader_status_ = Status::ok();
    local_failure_ = false;
    writer_done_ = false;
    handshake_done_ = false;
    reply_bytes_seen_ = false;
    stalled_ = false;
    last_progress_ = std::chrono::steady_clock::now();

    if (options_.ack_timeout.count() > 0) {
      asio::co_spawn(io_, watch_progress(attempt), asio::detached);
    }
    AttemptResult result = co_await converse();
    ++attempt_id_;  // ends this attempt's watchdog
    progress_timer_.cancel();
    if (transport_) transport_->close();
    // Whatever failed after the watchdog closed the socket failed because of
    // it (the watchdog acts only on an open socket, so nothing failed before).
    if (stalled_) result = AttemptResult{stall_status_, /*retryable=*/true};
    co_return result;
  }

  asio::awaitable<AttemptResult> converse() {
    if (Status status = co_await connect(); !status) co_return classify(status);
    if (Status status = co_await handshake(); !status) co_return classify(status);
    asio::co_spawn(io_, read_replies(), asio::detached);
    Status sent = co_await send_frames();
    writer_done_ = true;
    if (!sent && local_failure_) {
      // A local problem (unreadable file): stop the session now rather than
      // leave the receiver waiting for the rest of a frame.
      transport_->close();
    }
    while (!reader_done_) co_await wait_for_event();
    transport_->close();
    // A receiver's ERROR explains more than a broken pipe does.
    if (!reader_status_ && reader_status_.code() != ErrorCode::kConnectionFailed) {
      co_return classify(reader_status_);
    }
    if (!sent) co_return classify(sent);
    if (!reader_status_) co_return classify(reader_status_);
    if (inflight_.frames() != 0) {
      co_return classify(Status(ErrorCode::kConnectionFailed,
                                fmt::format("the receiver said goodbye with {} frames "
                                            "unacknowledged",
                                            inflight_.frames())));
    }
    co_return AttemptResult{};
  }

  AttemptResult classify(Status status) const {
    const bool retryable =
        !local_failure_ && retryable_code(status.code(), options_.retry_storage_errors);
    return {std::move(status), retryable};
  }

  asio::awaitable<Status> connect() {
    auto address = net::parse_host_port(options_.to);
    if (!address) {
      local_failure_ = true;
      co_return address.status();
    }
    asio::ip::tcp::resolver resolver(io_);
    auto [resolve_error, endpoints] =
        co_await resolver.async_resolve(address->host, address->port, kNoThrow);
    if (resolve_error) {
      co_return Status(
          ErrorCode::kConnectionFailed,
          fmt::format("cannot resolve {}: {}", address->host, resolve_error.message()));
    }
    asio::ip::tcp::socket socket(io_);
    asio::steady_timer deadline(io_, options_.connect_timeout);
    bool timed_out = false;
    deadline.async_wait([&](asio::error_code ec) {
      if (ec) return;
      timed_out = true;
      asio::error_code ignored;
      socket.close(ignored);
    });
    // Tries every resolved address in turn (IPv6 and IPv4 alike).
    auto [connect_error, endpoint] = co_await asio::async_connect(socket, endpoints, kNoThrow);
    deadline.cancel();
    if (connect_error || timed_out) {
      co_return Status(ErrorCode::kConnectionFailed,
                       fmt::format("cannot connect to {}: {}", options_.to,
                                   timed_out ? "timed out" : connect_error.message()));
    }
    if (!tls_ && !options_.insecure && !endpoint.address().is_loopback()) {
      local_failure_ = true;
      co_return Status(ErrorCode::kForbidden,
                       fmt::format("refusing to send in plain text to {}, which is not a loopback "
                                   "address: give --tls-ca (and --tls-cert/--tls-key), or "
                                   "--insecure",
                                   endpoint.address().to_string()));
    }
    asio::error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    // A receiver that vanishes while nothing is in flight is found by the
    // kernel too (and NAT state stays alive).
    net::enable_keepalive(socket);
    // From here on the receiver owes us an answer: the watchdog's clock runs.
    last_progress_ = std::chrono::steady_clock::now();
    if (!tls_) {
      transport_.emplace(std::move(socket));
      co_return Status::ok();
    }
    transport_.emplace(std::move(socket), *tls_);
    auto ec = co_await transport_->handshake(asio::ssl::stream_base::client, address->host);
    if (!ec) co_return Status::ok();
    if (net::peer_is_not_tls(ec)) {
      // It answered our ClientHello in the clear (a framewire ERROR): the
      // same will happen on every retry.
      local_failure_ = true;
      co_return Status(ErrorCode::kForbidden,
                       fmt::format("the receiver at {} does not speak TLS (it is plain TCP): drop "
                                   "--tls-ca/--tls-cert/--tls-key (plain TCP is allowed to a "
                                   "loopback address, elsewhere with --insecure on both ends)",
                                   options_.to));
    }
    if (ec.category() == asio::error::get_ssl_category()) {
      local_failure_ = true;  // a certificate problem does not heal by retrying
      co_return Status(ErrorCode::kForbidden,
                       fmt::format("TLS handshake with {} failed: {}", options_.to, ec.message()));
    }
    // The connection ended during the handshake (EOF, reset): a receiver
    // restarting, a proxy whose upstream is down. That is a lost connection.
    co_return Status(ErrorCode::kConnectionFailed,
                     fmt::format("connection to {} lost during the TLS handshake: {}", options_.to,
                                 ec.message()));
  }

  asio::awaitable<Status> handshake() {
    protocol::ByteBuffer out;
    protocol::encode_message(protocol::Hello{.agent = std::string(kAgent), .sender_id = sender_id_},
                             out);
    if (Status status = co_await write(out); !status) co_return status;

    auto reply = co_await read_message();
    if (!reply) co_return reply.status();
    auto* hello_ok = std::get_if<protocol::HelloOk>(&*reply);
    if (!hello_ok) co_return unexpected_reply(*reply, "HELLO_OK");
    window_bytes_ = std::min(options_.window_bytes, hello_ok->window_bytes);
    window_frames_ = std::min(options_.window_frames, hello_ok->window_frames);
    max_frame_bytes_ = hello_ok->max_frame_bytes;

    // Open every stream in one write, then collect the answers.
    out.clear();
    for (std::uint32_t id = 0; id < streams_.size(); ++id) {
      protocol::encode_message(protocol::OpenStream{.stream_id = id,
                                                    .name = streams_[id].spec.name,
                                                    .source_kind = streams_[id].spec.source_kind},
                               out);
    }
    if (Status status = co_await write(out); !status) co_return status;
    for (std::size_t opened = 0; opened < streams_.size(); ++opened) {
      auto answer = co_await read_message();
      if (!answer) co_return answer.status();
      const auto* stream_opened = std::get_if<protocol::StreamOpened>(&*answer);
      if (!stream_opened || stream_opened->stream_id >= streams_.size()) {
        co_return unexpected_reply(*answer, "STREAM_OPENED");
      }
      resume_from(stream_opened->stream_id, *stream_opened);
    }
    recompute_progress();
    handshake_done_ = true;
    co_return Status::ok();
  }

  // The receiver's stream is append-only in frame order: send the files that
  // sort after the last one it stored, numbered after its last sequence.
  // Going by name, not position, means files deleted locally since an earlier
  // run cannot make the sender skip new ones.
  void resume_from(std::uint32_t stream_id, const protocol::StreamOpened& opened) {
    StreamState& stream = streams_[stream_id];
    std::uint64_t start = 0;
    if (!opened.last_file_name.empty()) {
      const auto after =
          std::upper_bound(stream.files.begin(), stream.files.end(), opened.last_file_name,
                           [](const std::string& name, const source::FrameFile& file) {
                             return source::frame_order_less(name, file.file_name);
                           });
      start = static_cast<std::uint64_t>(after - stream.files.begin());
    }
    stream.settled = start;
    stream.base_index = start;
    stream.base_sequence = opened.next_sequence;
    // Rejections past that point are decided again when the frames are resent.
    std::erase_if(rejected_, [&](const auto& entry) {
      return entry.first.first == stream_id && entry.first.second >= start;
    });
    if (!stream.reached) {
      stream.reached = true;
      already_frames_ += start;
      already_bytes_ += stream.prefix_bytes[start];
    }
  }

  void recompute_progress() {
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;
    for (const auto& stream : streams_) {
      frames += stream.settled;
      bytes += stream.prefix_bytes[stream.settled];
    }
    for (const auto& [key, frame] : rejected_) {
      const StreamState& stream = streams_[key.first];
      if (key.second < stream.settled) {
        --frames;
        bytes -= stream.files[key.second].bytes;
      }
    }
    progress_.frames_stored = frames;
    progress_.bytes_stored = bytes;
  }

  static Status unexpected_reply(const protocol::Message& message, std::string_view expected) {
    if (const auto* error = std::get_if<protocol::ErrorMessage>(&message)) {
      return Status(error->code, "receiver: " + error->message);
    }
    return Status(ErrorCode::kUnexpectedMessage,
                  fmt::format("receiver sent message type {} where {} was expected",
                              static_cast<int>(protocol::type_of(message)), expected));
  }

  // Reads until one whole control message is decoded (a receiver never sends
  // frame data).
  asio::awaitable<Result<protocol::Message>> read_message() {
    while (true) {
      auto event = decoder_->next(pending_);
      if (auto* message = std::get_if<protocol::Message>(&event)) co_return std::move(*message);
      if (auto* error = std::get_if<protocol::DecodeError>(&event)) {
        co_return Status(error->code, "bad reply from receiver: " + error->message);
      }
      if (!std::holds_alternative<protocol::NeedMore>(event)) {
        co_return Status(ErrorCode::kUnknownType, "receiver sent frame data");
      }
      auto [ec, n] = co_await transport_->read_some(asio::buffer(read_buffer_));
      if (!ec && n > 0) {
        last_progress_ = std::chrono::steady_clock::now();
        if (!reply_bytes_seen_ && !transport_->is_tls() &&
            looks_like_tls_record(std::span<const std::uint8_t>(read_buffer_.data(), n))) {
          local_failure_ = true;  // it will answer the same on every retry
          co_return Status(ErrorCode::kForbidden,
                           fmt::format("the receiver at {} requires TLS: give --tls-ca (and "
                                       "--tls-cert/--tls-key)",
                                       options_.to));
        }
        reply_bytes_seen_ = true;
      }
      if (ec && ec.category() == asio::error::get_ssl_category()) {
        // With TLS 1.3 the receiver's verdict on our certificate arrives as an
        // alert on the first read; it will not change on a retry.
        local_failure_ = true;
        co_return Status(ErrorCode::kForbidden,
                         fmt::format("the receiver refused the TLS session: {}", ec.message()));
      }
      if (ec) {
        co_return Status(ErrorCode::kConnectionFailed,
                         fmt::format("receiver closed the connection ({}) with {} of {} frames "
                                     "stored",
                                     ec == asio::error::eof ? "end of stream" : ec.message(),
                                     progress_.frames_stored, progress_.frames_total));
      }
      pending_ = std::span<const std::uint8_t>(read_buffer_.data(), n);
    }
  }

  asio::awaitable<void> read_replies() {
    while (true) {
      auto reply = co_await read_message();
      if (!reply) {
        reader_status_ = reply.status();
        break;
      }
      if (auto* ack = std::get_if<protocol::Ack>(&*reply)) {
        for (const auto& entry : ack->entries) settle(entry.stream_id, entry.through_sequence);
        recompute_progress();
        report_progress(false);
      } else if (auto* rejected = std::get_if<protocol::FrameRejected>(&*reply)) {
        note_rejection(*rejected);
      } else if (std::holds_alternative<protocol::Goodbye>(*reply)) {
        break;
      } else {
        reader_status_ = unexpected_reply(*reply, "ACK");
        break;
      }
      wake_.cancel();
    }
    reader_done_ = true;
    // The connection is over (EOF, a reset, the receiver's ERROR or GOODBYE).
    // A writer blocked on a full send buffer would wait forever when the peer
    // half-closed and stopped reading: closing the socket releases it now.
    if (!writer_done_ && transport_) transport_->close();
    wake_.cancel();
  }

  // The receiver owes us something: replies to the handshake, ACKs of the
  // frames in flight, or its GOODBYE after ours.
  bool awaiting_reply() const { return !handshake_done_ || inflight_.frames() > 0 || writer_done_; }

  // Drops the connection when, while awaiting_reply(), neither a byte arrived
  // nor a byte could be written for ack_timeout: a half-open connection or a
  // middlebox that stopped forwarding, which TCP alone may not notice for
  // many minutes. Ends when attempt_id_ moves on.
  asio::awaitable<void> watch_progress(std::uint64_t attempt) {
    while (attempt == attempt_id_) {
      const auto now = std::chrono::steady_clock::now();
      const bool live = transport_ && transport_->is_open();
      const bool waiting = live && awaiting_reply();
      const auto due = last_progress_ + options_.ack_timeout;
      if (waiting && now >= due) {
        stalled_ = true;
        const double seconds = std::chrono::duration<double>(options_.ack_timeout).count();
        stall_status_ =
            handshake_done_
                ? Status(ErrorCode::kTimeout,
                         fmt::format("no reply from the receiver for {:.1f} s with {} frame(s) "
                                     "unacknowledged, and nothing could be written "
                                     "(--ack-timeout); dropping the connection",
                                     seconds, inflight_.frames()))
                : Status(ErrorCode::kTimeout,
                         fmt::format("no reply from the receiver for {:.1f} s during the "
                                     "handshake (--ack-timeout); dropping the connection",
                                     seconds));
        transport_->close();  // releases the reader and a blocked writer
        wake_.cancel();
        co_return;
      }
      progress_timer_.expires_at(waiting ? due : now + options_.ack_timeout);
      co_await progress_timer_.async_wait(kNoThrow);
    }
  }

  void settle(std::uint32_t stream_id, std::uint64_t through) {
    if (stream_id >= streams_.size()) return;
    inflight_.settle(stream_id, through);
    StreamState& stream = streams_[stream_id];
    const std::uint64_t index = stream.index_of(through);
    if (index < stream.files.size()) stream.settled = std::max(stream.settled, index + 1);
  }

  void note_rejection(const protocol::FrameRejected& rejected) {
    if (rejected.stream_id >= streams_.size()) return;
    const StreamState& stream = streams_[rejected.stream_id];
    const std::uint64_t index = stream.index_of(rejected.sequence);
    if (index >= stream.files.size()) return;
    rejected_[{rejected.stream_id, index}] =
        RejectedFrame{.stream = stream.spec.name,
                      .file_name = stream.files[index].file_name,
                      .reason = Status(rejected.code, rejected.message)};
  }

  asio::awaitable<void> wait_for_event() {
    wake_.expires_at(asio::steady_timer::time_point::max());
    co_await wake_.async_wait(kNoThrow);
  }

  // Writes all of `bytes` piece by piece: each piece the socket takes is
  // progress for the watchdog.
  asio::awaitable<Status> write(protocol::ByteBuffer& bytes) {
    std::size_t done = 0;
    asio::error_code ec;
    while (done < bytes.size() && !ec) {
      std::size_t n = 0;
      std::tie(ec, n) =
          co_await transport_->write_some(asio::buffer(bytes.data() + done, bytes.size() - done));
      done += n;
      if (n > 0) last_progress_ = std::chrono::steady_clock::now();
    }
    bytes.clear();
    if (!ec) co_return Status::ok();
    // Closed under us by the reader (the connection ended) or the watchdog:
    // their reason is the one to report.
    if (stalled_) co_return stall_status_;
    if (reader_done_) co_return ended_early();
    co_return Status(ErrorCode::kConnectionFailed, "connection lost: " + ec.message());
  }

  // Round-robin over the streams, so a visible and an infrared folder advance
  // together; each stream starts after what the receiver already has.
  asio::awaitable<Status> send_frames() {
    protocol::ByteBuffer batch;
    batch.reserve(kBatchBytes + 64 * 1024);
    std::vector<std::uint64_t> next(streams_.size());
    for (std::size_t id = 0; id < streams_.size(); ++id) next[id] = streams_[id].settled;
    for (bool more = true; more;) {
      more = false;
      for (std::uint32_t id = 0; id < streams_.size(); ++id) {
        if (next[id] >= streams_[id].files.size()) continue;
        if (Status status = co_await send_frame(id, next[id]++, batch); !status) co_return status;
        more = true;
      }
    }
    protocol::encode_message(protocol::Goodbye{}, batch);
    co_return co_await write(batch);
  }

  Status local_error(Status status) {
    local_failure_ = true;
    return status;
  }

  asio::awaitable<Status> send_frame(std::uint32_t stream_id, std::uint64_t index,
                                     protocol::ByteBuffer& batch) {
    const source::FrameFile& file = streams_[stream_id].files[index];
    net::FileReader reader(file.path);
    auto size = reader.ok() ? reader.size() : std::nullopt;
    if (!size) {
      co_return local_error(
          Status(ErrorCode::kStorageError,
                 fmt::format("cannot read {}: {}", file.path, std::strerror(errno))));
    }
    if (*size > max_frame_bytes_) {
      co_return local_error(Status(ErrorCode::kFrameTooLarge,
                                   fmt::format("{} is {} bytes; the receiver accepts at most {}",
                                               file.path, *size, max_frame_bytes_)));
    }
    while (!inflight_.fits(*size, window_bytes_, window_frames_)) {
      // Unsent bytes must go out before waiting, or the ACKs never come.
      if (!batch.empty()) {
        if (Status status = co_await write(batch); !status) co_return status;
        continue;
      }
      if (reader_done_) co_return ended_early();
      co_await wait_for_event();
    }
    if (reader_done_) co_return ended_early();

    protocol::encode_message(
        protocol::FrameHeader{.stream_id = stream_id,
                              .sequence = streams_[stream_id].sequence_of(index),
                              .capture_time_ns = file.mtime_ns,
                              .data_bytes = *size,
                              .file_name = file.file_name},
        batch);
    // The wait for an ACK starts now, not at the last ACK of a while ago.
    if (inflight_.frames() == 0) last_progress_ = std::chrono::steady_clock::now();
    inflight_.add(stream_id, streams_[stream_id].sequence_of(index), *size);
    XXH3_64bits_reset(hash_);
    std::uint64_t left = *size;
    while (left > 0) {
      if (batch.size() >= kBatchBytes) {
        if (Status status = co_await write(batch); !status) co_return status;
      }
      const std::size_t room = std::max<std::size_t>(kBatchBytes - batch.size(), 4096);
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, room));
      const std::size_t at = batch.size();
      batch.resize(at + want);
      const ssize_t got = reader.read(batch.data() + at, want);
      if (got <= 0) {
        // The declared size can no longer be honoured: the only way out of
        // the frame is to drop the connection.
        co_return local_error(Status(
            ErrorCode::kStorageError,
            fmt::format("{} shrank or became unreadable while being sent{}", file.path,
                        got < 0 ? fmt::format(": {}", std::strerror(errno)) : std::string())));
      }
      batch.resize(at + static_cast<std::size_t>(got));
      XXH3_64bits_update(hash_, batch.data() + at, static_cast<std::size_t>(got));
      left -= static_cast<std::uint64_t>(got);
    }
    protocol::encode_frame_checksum(XXH3_64bits_digest(hash_), batch);
    ++progress_.frames_sent;
    progress_.bytes_sent += *size;
    if (batch.size() >= kBatchBytes) {
      if (Status status = co_await write(batch); !status) co_return status;
    }
    report_progress(false);
    co_return Status::ok();
  }

  Status ended_early() const {
    if (!reader_status_) return reader_status_;
    return Status(ErrorCode::kConnectionFailed, "the receiver ended the session early");
  }

  void report_progress(bool final) {
    if (!options_.on_progress) return;
    const auto now = std::chrono::steady_clock::now();
    if (!final && now - last_report_ < options_.progress_interval) return;
    last_report_ = now;
    progress_.seconds = elapsed();
    options_.on_progress(progress_);
  }

  asio::io_context& io_;
  const SenderOptions& options_;
  std::vector<StreamState> streams_;
  std::unique_ptr<asio::ssl::context> tls_;
  asio::steady_timer wake_;
  asio::steady_timer progress_timer_;  // the watchdog's
  std::vector<std::uint8_t> read_buffer_;
  XXH3_state_t* hash_;
  // Same on every reconnection of this run, so the receiver lets us take our
  // streams back from a half-open connection.
  std::array<std::uint8_t, 16> sender_id_{};

  // Per connection attempt.
  std::optional<net::Transport> transport_;
  std::optional<protocol::MessageDecoder> decoder_;
  std::span<const std::uint8_t> pending_;
  net::InflightFrames inflight_;
  std::uint64_t window_bytes_ = 0;
  std::uint32_t window_frames_ = 0;
  std::uint64_t max_frame_bytes_ = 0;
  bool reader_done_ = false;
  Status reader_status_;
  bool local_failure_ = false;
  bool writer_done_ = false;                             // send_frames() returned
  bool handshake_done_ = false;                          // every STREAM_OPENED arrived
  bool reply_bytes_seen_ = false;                        // the receiver sent at least one byte
  std::uint64_t attempt_id_ = 0;                         // a watchdog serves only its own attempt
  std::chrono::steady_clock::time_point last_progress_;  // last byte read or written
  bool stalled_ = false;                                 // the watchdog dropped this connection
  Status stall_status_;

  // Across attempts.
  Status result_;
  std::map<std::pair<std::uint32_t, std::uint64_t>, RejectedFrame> rejected_;
  SendProgress progress_;
  std::uint64_t already_frames_ = 0;
  std::uint64_t already_bytes_ = 0;
  std::uint64_t reconnects_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_report_;
};

}  // namespace

Status check_streams(const std::vector<StreamSpec>& streams) {
  for (std::size_t i = 0; i < streams.size(); ++i) {
    const StreamSpec& spec = streams[i];
    if (Status status = storage::validate_stream_name(spec.name); !status) {
      return Status(ErrorCode::kBadName,
                    fmt::format("stream name \"{}\": {} (a stream name is 1 to {} segments "
                                "joined by '/', each 1 to {} bytes of [A-Za-z0-9._-] not "
                                "starting with '.')",
                                spec.name, status.message(), storage::kMaxStreamSegments,
                                storage::kMaxSegmentBytes));
    }
    if (Status status = storage::validate_source_kind(spec.source_kind); !status) {
      return Status(ErrorCode::kBadName,
                    fmt::format("source kind \"{}\" of stream \"{}\": {}", spec.source_kind,
                                spec.name, status.message()));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (streams[j].name == spec.name) {
        // The receiver would answer stream_busy, which reads as "retry".
        return Status(ErrorCode::kBadName,
                      fmt::format("stream name \"{}\" is given twice; each stream can be sent "
                                  "once per connection",
                                  spec.name));
      }
    }
    std::error_code ec;
    const auto type = std::filesystem::status(spec.folder, ec).type();
    if (type == std::filesystem::file_type::not_found) {
      return Status(ErrorCode::kStorageError, fmt::format("folder \"{}\" of stream \"{}\" does "
                                                          "not exist",
                                                          spec.folder, spec.name));
    }
    if (ec) {
      return Status(ErrorCode::kStorageError, fmt::format("folder \"{}\" of stream \"{}\": {}",
                                                          spec.folder, spec.name, ec.message()));
    }
    if (type != std::filesystem::file_type::directory) {
      return Status(ErrorCode::kStorageError,
                    fmt::format("\"{}\" (stream \"{}\") is not a folder", spec.folder, spec.name));
    }
  }
  return Status::ok();
}

Result<SendSummary> send_folders(const SenderOptions& options) {
  if (options.streams.empty()) return Status(ErrorCode::kMalformed, "no stream to send");
  if (Status status = check_streams(options.streams); !status) return status;
  std::unique_ptr<asio::ssl::context> tls;
  if (!options.tls_ca.empty()) {
    auto context = net::make_client_tls(options.tls_ca, options.tls_cert, options.tls_key);
    if (!context) return context.status();
    tls = std::move(context).value();
  } else if (!options.tls_cert.empty() || !options.tls_key.empty()) {
    return Status(ErrorCode::kMalformed, "--tls-cert and --tls-key need --tls-ca as well");
  }
  std::vector<StreamState> streams;
  for (const auto& spec : options.streams) {
    auto files = source::list_frames(spec.folder);
    if (!files) return files.status();
    StreamState stream{.spec = spec, .files = std::move(files).value()};
    stream.prefix_bytes.reserve(stream.files.size() + 1);
    stream.prefix_bytes.push_back(0);
    for (const auto& file : stream.files) {
      stream.prefix_bytes.push_back(stream.prefix_bytes.back() + file.bytes);
    }
    streams.push_back(std::move(stream));
  }
  asio::io_context io(1);
  SenderClient client(io, options, std::move(streams), std::move(tls));
  asio::co_spawn(io, client.run(), asio::detached);
  io.run();
  return client.result();
}

}  // namespace framewire
