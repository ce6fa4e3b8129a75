#include "net/sender_loop.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/ssl/error.hpp>
#include <asio/use_awaitable.hpp>
#include <cstring>
#include <random>
#include <tuple>

#include "net/address.hpp"
#include "net/keepalive.hpp"
#include "net/tls_context.hpp"
#include "source/folder_listing.hpp"

namespace framewire::net {

namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
// Writes are batched up to this size: many small frames go out in one
// syscall, large ones in chunks, and memory stays bounded.
constexpr std::size_t kBatchBytes = 512 * 1024;
constexpr std::size_t kReadBufferBytes = 64 * 1024;
// An in-memory frame at least this large is written from its own memory
// rather than copied into the batch.
constexpr std::size_t kDirectWriteBytes = 64 * 1024;
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

}  // namespace

SenderLoop::SenderLoop(asio::io_context& io, const SenderOptions& options,
                       std::vector<LoopStream> streams, asio::ssl::context* tls,
                       SenderLoopHooks hooks)
    : io_(io),
      options_(options),
      streams_(std::move(streams)),
      tls_(tls),
      hooks_(std::move(hooks)),
      receivers_(1, options.to),
      wake_(io),
      progress_timer_(io),
      backoff_timer_(io),
      read_buffer_(kReadBufferBytes),
      hash_(XXH3_createState()),
      opened_before_(streams_.size(), false) {
  receivers_.insert(receivers_.end(), options.also_to.begin(), options.also_to.end());
  std::random_device random;
  for (auto& byte : sender_id_) byte = static_cast<std::uint8_t>(random());
  started_ = std::chrono::steady_clock::now();
}

SenderLoop::~SenderLoop() = default;

void SenderLoop::FreeHash::operator()(XXH3_state_t* state) const {
  XXH3_freeState(state);
}

double SenderLoop::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

std::uint64_t SenderLoop::frames_stored() const {
  std::uint64_t frames = 0;
  for (const auto& stream : streams_) frames += stream.source->tally().frames_stored;
  return frames;
}

void SenderLoop::wake() {
  wake_.cancel();
}

void SenderLoop::cancel() {
  cancelled_ = true;
  if (transport_) transport_->close();
  wake_.cancel();
  backoff_timer_.cancel();
  progress_timer_.cancel();
}

asio::awaitable<void> SenderLoop::run() {
  started_ = std::chrono::steady_clock::now();
  // Every address is checked before the first connection: a typo in the last
  // one would otherwise show only when the others have failed.
  for (const std::string& text : receivers_) {
    auto address = parse_host_port(text);
    if (!address) {
      result_ = address.status().fatal();
      if (hooks_.on_change) hooks_.on_change(true);
      co_return;
    }
    addresses_.push_back(std::move(address).value());
  }
  auto last_stored = started_;
  auto backoff = options_.backoff_initial;
  // Attempts that failed since the last pause or the last stored frame. The
  // receivers are tried in order, so the next one has failed too once this
  // reaches their number: then every receiver has failed in a row.
  std::size_t failed_in_a_row = 0;
  while (true) {
    if (cancelled_) {
      result_ = Status(ErrorCode::kCancelled, "the send was cancelled");
      break;
    }
    const std::uint64_t stored_before = frames_stored();
    Status attempt = co_await run_attempt();
    if (cancelled_) {
      result_ = Status(ErrorCode::kCancelled, "the send was cancelled");
      break;
    }
    if (attempt) break;
    const auto now = std::chrono::steady_clock::now();
    // A connection that stored frames, or that had nothing to send until
    // the receiver's idle deadline ended it (a followed folder with no new
    // file), is not a failing one: the retry budget starts again.
    const bool ended_idle = handshake_done_ && !had_work_ && attempt.code() == ErrorCode::kTimeout;
    if (frames_stored() > stored_before || ended_idle) {
      last_stored = now;
      backoff = options_.backoff_initial;
      failed_in_a_row = 0;
    }
    // A receiver that ended an idle connection is alive: it gets the next one
    // too, after a pause as before. A failed one hands over to the next.
    if (!ended_idle) ++failed_in_a_row;
    const bool pause = ended_idle || failed_in_a_row >= receivers_.size();
    const auto wait = pause ? backoff : std::chrono::milliseconds(0);
    if (!attempt.retryable() || options_.retry_for.count() <= 0 ||
        now - last_stored + wait > options_.retry_for) {
      result_ = attempt;
      break;
    }
    if (!ended_idle) receiver_ = (receiver_ + 1) % receivers_.size();
    if (options_.on_notice) {
      const double seconds = std::chrono::duration<double>(wait).count();
      if (receivers_.size() == 1) {
        options_.on_notice(fmt::format("{}; retrying in {:.1f} s", attempt.to_string(), seconds));
      } else if (pause) {
        options_.on_notice(
            fmt::format("{}; trying {} in {:.1f} s", attempt.to_string(), receiver(), seconds));
      } else {
        options_.on_notice(fmt::format("{}; trying {}", attempt.to_string(), receiver()));
      }
    }
    if (pause) {
      backoff_timer_.expires_after(wait);
      co_await backoff_timer_.async_wait(kNoThrow);
      if (cancelled_) {
        result_ = Status(ErrorCode::kCancelled, "the send was cancelled");
        break;
      }
      backoff = std::min(backoff * 2, options_.backoff_max);
      failed_in_a_row = 0;
    }
    ++reconnects_;
  }
  if (hooks_.on_change) hooks_.on_change(true);
}

// One connection: connect, handshake, send what is not stored yet, wait for
// the receiver's GOODBYE; the progress watchdog runs alongside.
asio::awaitable<Status> SenderLoop::run_attempt() {
  const std::uint64_t attempt = ++attempt_id_;
  transport_.reset();
  session_.reset();
  streams_opened_ = 0;
  hello_accepted_ = false;
  reader_done_ = false;
  reader_status_ = Status::ok();
  writer_done_ = false;
  handshake_done_ = false;
  reply_bytes_seen_ = false;
  stalled_ = false;
  had_work_ = false;
  last_progress_ = std::chrono::steady_clock::now();

  if (options_.ack_timeout.count() > 0) {
    asio::co_spawn(io_, watch_progress(attempt), asio::detached);
  }
  Status result = co_await converse();
  ++attempt_id_;  // ends this attempt's watchdog
  progress_timer_.cancel();
  if (transport_) transport_->close();
  // Whatever failed after the watchdog closed the socket failed because of
  // it (the watchdog acts only on an open socket, so nothing failed before).
  if (stalled_) result = stall_status_;
  co_return result;
}

asio::awaitable<Status> SenderLoop::converse() {
  if (Status status = co_await connect(); !status) co_return status;
  if (Status status = co_await open_session(); !status) {
    transport_->close();
    while (!reader_done_) co_await wait_for_event();
    co_return status;
  }
  Status sent = co_await send_frames();
  writer_done_ = true;
  // A local problem (an unreadable file) or a cancel: stop the session now
  // rather than leave the receiver waiting for the rest of a frame.
  if (!sent && (!sent.retryable() || cancelled_)) transport_->close();
  while (!reader_done_) co_await wait_for_event();
  transport_->close();
  // A receiver's ERROR explains more than a broken pipe does.
  if (!reader_status_ && reader_status_.code() != ErrorCode::kConnectionFailed) {
    co_return reader_status_;
  }
  if (!sent) co_return sent;
  if (!reader_status_) co_return reader_status_;
  if (session_->state() != SenderSession::State::kDone) {
    co_return Status(ErrorCode::kConnectionFailed,
                     fmt::format("receiver {} said goodbye with {} frames unacknowledged",
                                 receiver(), session_->in_flight_frames()));
  }
  co_return Status::ok();
}

asio::awaitable<Status> SenderLoop::connect() {
  const HostPort& address = addresses_[receiver_];
  asio::ip::tcp::resolver resolver(io_);
  auto [resolve_error, endpoints] =
      co_await resolver.async_resolve(address.host, address.port, kNoThrow);
  if (resolve_error) {
    co_return Status(ErrorCode::kConnectionFailed,
                     fmt::format("cannot resolve {} ({}): {}", address.host, receiver(),
                                 resolve_error.message()));
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
  if (cancelled_) co_return Status(ErrorCode::kCancelled, "the send was cancelled");
  if (connect_error || timed_out) {
    co_return Status(ErrorCode::kConnectionFailed,
                     fmt::format("cannot connect to {}: {}", receiver(),
                                 timed_out ? "timed out" : connect_error.message()));
  }
  if (tls_ == nullptr && !options_.insecure && !endpoint.address().is_loopback()) {
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
  enable_keepalive(socket);
  // From here on the receiver owes us an answer: the watchdog's clock runs.
  last_progress_ = std::chrono::steady_clock::now();
  if (tls_ == nullptr) {
    transport_.emplace(std::move(socket));
    co_return Status::ok();
  }
  transport_.emplace(std::move(socket), *tls_);
  auto ec = co_await transport_->handshake(asio::ssl::stream_base::client, address.host);
  if (!ec) co_return Status::ok();
  if (peer_is_not_tls(ec)) {
    // It answered our ClientHello in the clear (a framewire ERROR): the
    // same will happen on every retry.
    co_return Status(ErrorCode::kForbidden,
                     fmt::format("the receiver at {} does not speak TLS (it is plain TCP): drop "
                                 "--tls-ca/--tls-cert/--tls-key (plain TCP is allowed to a "
                                 "loopback address, elsewhere with --insecure on both ends)",
                                 receiver()));
  }
  if (ec.category() == asio::error::get_ssl_category()) {
    // A certificate problem does not heal by retrying.
    co_return Status(ErrorCode::kForbidden,
                     fmt::format("TLS handshake with {} failed: {}", receiver(), ec.message()));
  }
  // The connection ended during the handshake (EOF, reset): a receiver
  // restarting, a proxy whose upstream is down. That is a lost connection.
  co_return Status(
      ErrorCode::kConnectionFailed,
      fmt::format("connection to {} lost during the TLS handshake: {}", receiver(), ec.message()));
}

template <typename Ready>
asio::awaitable<Status> SenderLoop::wait_until(Ready ready) {
  while (!ready()) {
    if (reader_done_) co_return ended_early();
    if (cancelled_) co_return Status(ErrorCode::kCancelled, "the send was cancelled");
    co_await wait_for_event();
  }
  co_return Status::ok();
}

// HELLO, then every stream's OPEN_STREAM in one write once HELLO_OK came;
// returns when every STREAM_OPENED arrived (the sources know where the
// receiver's copies end).
asio::awaitable<Status> SenderLoop::open_session() {
  session_.emplace(SenderSessionOptions{.agent = std::string(kAgent),
                                        .sender_id = sender_id_,
                                        .window_bytes = options_.window_bytes,
                                        .window_frames = options_.window_frames});
  protocol::ByteBuffer out;
  if (Status status = session_->start(out); !status) co_return status;
  asio::co_spawn(io_, read_replies(), asio::detached);
  if (Status status = co_await write(out); !status) co_return status;
  if (Status status = co_await wait_until([&] { return hello_accepted_; }); !status) {
    co_return status;
  }
  for (StreamId id = 0; id < streams_.size(); ++id) {
    const LoopStream& stream = streams_[id];
    if (Status status = session_->open_stream(id, stream.name, stream.source_kind, out); !status) {
      co_return status.fatal();
    }
  }
  if (Status status = co_await write(out); !status) co_return status;
  if (Status status = co_await wait_until([&] { return streams_opened_ == streams_.size(); });
      !status) {
    co_return status;
  }
  handshake_done_ = true;
  co_return Status::ok();
}

// Feeds the receiver's bytes to the session and acts on its events until the
// connection ends (EOF, an error, the receiver's ERROR or GOODBYE).
asio::awaitable<void> SenderLoop::read_replies() {
  std::vector<SenderEvent> events;
  while (!reader_done_) {
    auto [ec, n] = co_await transport_->read_some(asio::buffer(read_buffer_));
    if (!ec && n > 0) {
      last_progress_ = std::chrono::steady_clock::now();
      const std::span<const std::uint8_t> bytes(read_buffer_.data(), n);
      if (!reply_bytes_seen_ && !transport_->is_tls() && looks_like_tls_record(bytes)) {
        // It will answer the same on every retry.
        reader_status_ = Status(ErrorCode::kForbidden,
                                fmt::format("the receiver at {} requires TLS: give --tls-ca (and "
                                            "--tls-cert/--tls-key)",
                                            receiver()));
        break;
      }
      reply_bytes_seen_ = true;
      events.clear();
      session_->consume(bytes, events);
      for (auto& event : events) handle(event);
      if (hooks_.on_change) hooks_.on_change(false);
      wake_.cancel();
      continue;
    }
    if (ec && ec.category() == asio::error::get_ssl_category()) {
      // With TLS 1.3 the receiver's verdict on our certificate arrives as an
      // alert on the first read; it will not change on a retry.
      reader_status_ = Status(
          ErrorCode::kForbidden,
          fmt::format("the receiver at {} refused the TLS session: {}", receiver(), ec.message()));
    } else if (cancelled_) {
      reader_status_ = Status(ErrorCode::kCancelled, "the send was cancelled");
    } else {
      reader_status_ =
          Status(ErrorCode::kConnectionFailed,
                 fmt::format("connection to {} lost ({}) with {} frame(s) unacknowledged",
                             receiver(), ec == asio::error::eof ? "end of stream" : ec.message(),
                             session_->in_flight_frames()));
    }
    break;
  }
  reader_done_ = true;
  // A writer blocked on a full send buffer would wait forever when the peer
  // half-closed and stopped reading: closing the socket releases it now.
  if (!writer_done_ && transport_) transport_->close();
  wake_.cancel();
}

void SenderLoop::handle(SenderEvent& event) {
  if (auto* hello = std::get_if<HelloAccepted>(&event)) {
    (void)hello;
    hello_accepted_ = true;
  } else if (auto* opened = std::get_if<StreamOpened>(&event)) {
    const StreamId id = opened->stream_id;
    const ResumePoint at{.next_sequence = opened->next_sequence,
                         .last_file_name = opened->last_file_name};
    const bool first = !opened_before_[id];
    opened_before_[id] = true;
    // Frames after the receiver's last one are sent again and judged again;
    // refusals of earlier ones stand.
    std::erase_if(rejected_, [&](const auto& entry) {
      return entry.first.first == id &&
             source::frame_order_less(at.last_file_name, entry.first.second);
    });
    streams_[id].source->opened(at, first);
    ++streams_opened_;
    if (first && hooks_.on_first_open) hooks_.on_first_open(id, at);
  } else if (auto* acked = std::get_if<Acked>(&event)) {
    FrameSource& source = *streams_[acked->stream_id].source;
    for (const SettledFrame& frame : acked->stored) source.stored(frame.token, frame.bytes);
  } else if (auto* rejected = std::get_if<Rejected>(&event)) {
    const StreamId id = rejected->stream_id;
    std::string name = streams_[id].source->rejected(rejected->token);
    rejected_[{id, name}] = RejectedFrame{.stream = streams_[id].name,
                                          .file_name = name,
                                          .reason = Status(rejected->code, rejected->message)};
  } else if (auto* error = std::get_if<ReceiverError>(&event)) {
    Status status(error->code, fmt::format("receiver {}: {}", receiver(), error->message));
    if (error->code == ErrorCode::kStorageError && options_.retry_storage_errors) {
      status = status.retryable_anyway();
    }
    reader_status_ = status;
    reader_done_ = true;
  } else if (std::holds_alternative<ReceiverGoodbye>(event)) {
    reader_done_ = true;
  } else if (auto* violation = std::get_if<ProtocolViolation>(&event)) {
    // The writer may be in the middle of a frame: no ERROR can be written
    // safely from here; closing tells the receiver enough.
    reader_status_ = Status(violation->code, fmt::format("bad reply from receiver {}: {}",
                                                         receiver(), violation->message))
                         .fatal();
    reader_done_ = true;
  }
}

// The receiver owes us something: replies to the handshake, ACKs of the
// frames in flight, or its GOODBYE after ours.
bool SenderLoop::awaiting_reply() const {
  return !handshake_done_ || (session_ && session_->in_flight_frames() > 0) || writer_done_;
}

// Drops the connection when, while awaiting_reply(), neither a byte arrived
// nor a byte could be written for ack_timeout: a half-open connection or a
// middlebox that stopped forwarding, which TCP alone may not notice for many
// minutes. Ends when attempt_id_ moves on.
asio::awaitable<void> SenderLoop::watch_progress(std::uint64_t attempt) {
  while (attempt == attempt_id_ && !cancelled_) {
    const auto now = std::chrono::steady_clock::now();
    const bool live = transport_ && transport_->is_open();
    const bool waiting = live && awaiting_reply();
    const auto due = last_progress_ + options_.ack_timeout;
    if (waiting && now >= due) {
      stalled_ = true;
      const double seconds = std::chrono::duration<double>(options_.ack_timeout).count();
      stall_status_ = handshake_done_
                          ? Status(ErrorCode::kTimeout,
                                   fmt::format("no reply from {} for {:.1f} s with {} frame(s) "
                                               "unacknowledged, and nothing could be written "
                                               "(--ack-timeout); dropping the connection",
                                               receiver(), seconds,
                                               session_ ? session_->in_flight_frames() : 0))
                          : Status(ErrorCode::kTimeout,
                                   fmt::format("no reply from {} for {:.1f} s during the "
                                               "handshake (--ack-timeout); dropping the connection",
                                               receiver(), seconds));
      transport_->close();  // releases the reader and a blocked writer
      wake_.cancel();
      co_return;
    }
    progress_timer_.expires_at(waiting ? due : now + options_.ack_timeout);
    co_await progress_timer_.async_wait(kNoThrow);
  }
}

asio::awaitable<void> SenderLoop::wait_for_event() {
  wake_.expires_at(asio::steady_timer::time_point::max());
  co_await wake_.async_wait(kNoThrow);
}

// Writes all of `bytes` piece by piece: each piece the socket takes is
// progress for the watchdog.
asio::awaitable<Status> SenderLoop::write(protocol::ByteBuffer& bytes) {
  Status status = co_await write_bytes(bytes);
  bytes.clear();
  co_return status;
}

asio::awaitable<Status> SenderLoop::write_bytes(std::span<const std::uint8_t> bytes) {
  std::size_t done = 0;
  asio::error_code ec;
  while (done < bytes.size() && !ec) {
    std::size_t n = 0;
    std::tie(ec, n) =
        co_await transport_->write_some(asio::buffer(bytes.data() + done, bytes.size() - done));
    done += n;
    if (n > 0) last_progress_ = std::chrono::steady_clock::now();
  }
  if (!ec) co_return Status::ok();
  // Closed under us by the reader (the connection ended), the watchdog or
  // cancel(): their reason is the one to report.
  if (cancelled_) co_return Status(ErrorCode::kCancelled, "the send was cancelled");
  if (stalled_) co_return stall_status_;
  if (reader_done_) co_return ended_early();
  co_return Status(ErrorCode::kConnectionFailed,
                   fmt::format("connection to {} lost: {}", receiver(), ec.message()));
}

Status SenderLoop::ended_early() const {
  if (!reader_status_) return reader_status_;
  return Status(ErrorCode::kConnectionFailed,
                fmt::format("receiver {} ended the session early", receiver()));
}

Status SenderLoop::local_error(const Status& status) {
  return status.fatal();
}

// Round-robin over the streams, a frame at a time, so a visible and an
// infrared stream advance together; a stream whose next frame does not fit
// the window, or that has nothing yet, is passed over. Ends with GOODBYE
// once every source is exhausted.
asio::awaitable<Status> SenderLoop::send_frames() {
  protocol::ByteBuffer batch;
  batch.reserve(kBatchBytes + 64 * 1024);
  // A frame file is opened once, when its stream's turn comes, and kept open
  // while the frame waits for room in the window.
  std::vector<std::unique_ptr<FileReader>> files(streams_.size());
  std::vector<const OutgoingFrame*> opened_for(streams_.size(), nullptr);
  while (true) {
    if (reader_done_) co_return ended_early();
    if (cancelled_) co_return Status(ErrorCode::kCancelled, "the send was cancelled");
    bool sent = false;
    bool all_exhausted = true;
    for (std::size_t k = 0; k < streams_.size() && !sent; ++k) {
      const auto id = static_cast<StreamId>((next_stream_ + k) % streams_.size());
      FrameSource& source = *streams_[id].source;
      const OutgoingFrame* frame = source.peek();
      if (frame == nullptr) {
        if (!source.exhausted()) all_exhausted = false;
        continue;
      }
      all_exhausted = false;
      std::uint64_t size = 0;
      if (frame->data != nullptr) {
        size = frame->data->size();
      } else {
        if (opened_for[id] != frame || !files[id]) {
          files[id] = std::make_unique<FileReader>(frame->path);
          opened_for[id] = frame;
        }
        auto file_size = files[id]->ok() ? files[id]->size() : std::nullopt;
        if (!file_size) {
          co_return local_error(
              Status(ErrorCode::kStorageError,
                     fmt::format("cannot read {}: {}", frame->path, std::strerror(errno))));
        }
        size = *file_size;
      }
      if (size > session_->max_frame_bytes()) {
        co_return local_error(
            Status(ErrorCode::kFrameTooLarge,
                   fmt::format("{} is {} bytes; the receiver accepts at most {}",
                               frame->path.empty() ? sent_file_name(*frame, 0) : frame->path, size,
                               session_->max_frame_bytes())));
      }
      const Status room = session_->check_send(id, size);
      if (room.code() == ErrorCode::kWindowExceeded) continue;
      if (!room) co_return local_error(room);
      std::unique_ptr<FileReader> file = std::move(files[id]);
      opened_for[id] = nullptr;
      if (Status status = co_await send_frame(id, *frame, size, std::move(file), batch); !status) {
        co_return status;
      }
      next_stream_ = id + 1;
      sent = true;
    }
    if (sent) continue;
    if (all_exhausted) break;
    // Nothing can go now: what is batched must leave before waiting, or the
    // ACKs that would make room never come.
    if (!batch.empty()) {
      if (Status status = co_await write(batch); !status) co_return status;
      continue;
    }
    co_await wait_for_event();
  }
  if (Status status = session_->goodbye(batch); !status) co_return local_error(status);
  co_return co_await write(batch);
}

asio::awaitable<Status> SenderLoop::send_frame(StreamId id, const OutgoingFrame& frame,
                                               std::uint64_t size, std::unique_ptr<FileReader> file,
                                               protocol::ByteBuffer& batch) {
  FrameSource& source = *streams_[id].source;
  if (frame.skipped_before > 0) session_->skip_sequences(id, frame.skipped_before);
  const std::uint64_t sequence = session_->next_sequence(id).value_or(0);
  const std::string name = sent_file_name(frame, sequence);
  const FrameToken token = source.take(sequence, size);
  auto started = session_->begin_frame(id, name, size, frame.capture_time_ns, token, batch);
  if (!started) co_return local_error(started.status());
  had_work_ = true;
  // The wait for an ACK starts now, not at the last ACK of a while ago.
  if (session_->in_flight_frames() == 1) last_progress_ = std::chrono::steady_clock::now();

  std::uint64_t checksum = 0;
  if (frame.data != nullptr) {
    // In memory: hashed at once. A large frame goes from its own memory
    // to the socket after the batch (no copy); a small one joins the batch.
    checksum = XXH3_64bits(frame.data->data(), frame.data->size());
    std::size_t done = 0;
    if (frame.data->size() >= kDirectWriteBytes) {
      if (Status status = co_await write(batch); !status) co_return status;
      if (Status status = co_await write_bytes(*frame.data); !status) co_return status;
      done = frame.data->size();
    }
    while (done < frame.data->size()) {
      if (batch.size() >= kBatchBytes) {
        if (Status status = co_await write(batch); !status) co_return status;
      }
      const std::size_t room = std::max<std::size_t>(kBatchBytes - batch.size(), 4096);
      const std::size_t n = std::min(room, frame.data->size() - done);
      batch.insert(batch.end(), frame.data->begin() + static_cast<std::ptrdiff_t>(done),
                   frame.data->begin() + static_cast<std::ptrdiff_t>(done + n));
      done += n;
    }
  } else {
    XXH3_state_t* hash = hash_.get();
    XXH3_64bits_reset(hash);
    std::uint64_t left = size;
    while (left > 0) {
      if (batch.size() >= kBatchBytes) {
        if (Status status = co_await write(batch); !status) co_return status;
      }
      const std::size_t room = std::max<std::size_t>(kBatchBytes - batch.size(), 4096);
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, room));
      const std::size_t at = batch.size();
      batch.resize(at + want);
      const ssize_t got = file->read(batch.data() + at, want);
      if (got <= 0) {
        // The declared size can no longer be honoured: the only way out of
        // the frame is to drop the connection.
        co_return local_error(Status(
            ErrorCode::kStorageError,
            fmt::format("{} shrank or became unreadable while being sent{}", frame.path,
                        got < 0 ? fmt::format(": {}", std::strerror(errno)) : std::string())));
      }
      batch.resize(at + static_cast<std::size_t>(got));
      XXH3_64bits_update(hash, batch.data() + at, static_cast<std::size_t>(got));
      left -= static_cast<std::uint64_t>(got);
    }
    checksum = XXH3_64bits_digest(hash);
  }
  if (Status status = session_->end_frame(checksum, batch); !status) co_return status;
  ++frames_sent_;
  bytes_sent_ += size;
  // A frame of a live stream should not wait in our batch for the next one.
  if (batch.size() >= kBatchBytes || source.peek() == nullptr) {
    if (Status status = co_await write(batch); !status) co_return status;
  }
  if (hooks_.on_change) hooks_.on_change(false);
  co_return Status::ok();
}

}  // namespace framewire::net
