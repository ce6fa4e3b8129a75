// send_folders(): the sender's connection. One coroutine writes frames
// (reading each file in chunks straight into the batch it is about to write,
// hashing as it goes), another reads ACK / FRAME_REJECTED / ERROR / GOODBYE;
// both run on one io_context thread and meet through a timer used as an event.
#include "framewire/sender.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <optional>

#include "net/address.hpp"
#include "net/inflight_frames.hpp"
#include "protocol/message_decoder.hpp"
#include "protocol/message_encoder.hpp"
#include "source/folder_listing.hpp"

namespace framewire {

namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
// Writes are batched up to this size: many small frames go out in one
// syscall, large ones in chunks, and memory stays bounded.
constexpr std::size_t kBatchBytes = 512 * 1024;
constexpr std::size_t kReadBufferBytes = 64 * 1024;
constexpr std::string_view kAgent = "framewire/0.1.0";

struct StreamState {
  StreamSpec spec;
  std::vector<source::FrameFile> files;
};

class FileReader {
 public:
  explicit FileReader(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~FileReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;
  bool ok() const { return fd_ >= 0; }
  std::optional<std::uint64_t> size() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return std::nullopt;
    return static_cast<std::uint64_t>(st.st_size);
  }
  // Reads up to `count` bytes; 0 at end of file, -1 on error (errno set).
  ssize_t read(std::uint8_t* into, std::size_t count) {
    ssize_t n;
    do {
      n = ::read(fd_, into, count);
    } while (n < 0 && errno == EINTR);
    return n;
  }

 private:
  int fd_;
};

class SenderClient {
 public:
  SenderClient(asio::io_context& io, const SenderOptions& options, std::vector<StreamState> streams)
      : io_(io),
        options_(options),
        streams_(std::move(streams)),
        socket_(io),
        wake_(io),
        decoder_(protocol::Peer::kServer, {}),
        read_buffer_(kReadBufferBytes),
        hash_(XXH3_createState()) {
    for (const auto& stream : streams_) {
      progress_.frames_total += stream.files.size();
      for (const auto& file : stream.files) progress_.bytes_total += file.bytes;
    }
  }
  ~SenderClient() { XXH3_freeState(hash_); }
  SenderClient(const SenderClient&) = delete;
  SenderClient& operator=(const SenderClient&) = delete;

  asio::awaitable<void> run() {
    started_ = std::chrono::steady_clock::now();
    result_ = co_await transfer();
    asio::error_code ignored;
    socket_.close(ignored);
  }

  Result<SendSummary> result() const {
    if (!result_) return result_;
    SendSummary summary{.frames = progress_.frames_stored,
                        .bytes = progress_.bytes_stored,
                        .streams = streams_.size(),
                        .seconds = elapsed(),
                        .rejected = rejected_};
    return summary;
  }

 private:
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }

  asio::awaitable<Status> transfer() {
    if (Status status = co_await connect(); !status) co_return status;
    if (Status status = co_await handshake(); !status) co_return status;
    asio::co_spawn(io_, read_replies(), asio::detached);
    Status sent = co_await send_frames();
    if (!sent && sent.code() != ErrorCode::kConnectionFailed) {
      // A local problem (unreadable file): stop the session now rather than
      // leave the receiver waiting for the rest of a frame.
      asio::error_code ignored;
      socket_.close(ignored);
    }
    while (!reader_done_) co_await wait_for_event();
    // A receiver's ERROR explains more than a broken pipe does.
    if (!reader_status_ && reader_status_.code() != ErrorCode::kConnectionFailed) {
      co_return reader_status_;
    }
    if (!sent) co_return sent;
    if (!reader_status_) co_return reader_status_;
    if (inflight_.frames() != 0) {
      co_return Status(ErrorCode::kConnectionFailed,
                       fmt::format("the receiver said goodbye with {} frames unacknowledged",
                                   inflight_.frames()));
    }
    report_progress(true);
    co_return Status::ok();
  }

  asio::awaitable<Status> connect() {
    auto address = net::parse_host_port(options_.to);
    if (!address) co_return address.status();
    asio::ip::tcp::resolver resolver(io_);
    auto [resolve_error, endpoints] =
        co_await resolver.async_resolve(address->host, address->port, kNoThrow);
    if (resolve_error) {
      co_return Status(
          ErrorCode::kConnectionFailed,
          fmt::format("cannot resolve {}: {}", address->host, resolve_error.message()));
    }
    asio::steady_timer deadline(io_, options_.connect_timeout);
    bool timed_out = false;
    deadline.async_wait([&](asio::error_code ec) {
      if (ec) return;
      timed_out = true;
      asio::error_code ignored;
      socket_.close(ignored);
    });
    // Tries every resolved address in turn (IPv6 and IPv4 alike).
    auto [connect_error, endpoint] = co_await asio::async_connect(socket_, endpoints, kNoThrow);
    deadline.cancel();
    if (connect_error || timed_out) {
      co_return Status(ErrorCode::kConnectionFailed,
                       fmt::format("cannot connect to {}: {}", options_.to,
                                   timed_out ? "timed out" : connect_error.message()));
    }
    asio::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    co_return Status::ok();
  }

  asio::awaitable<Status> handshake() {
    protocol::ByteBuffer out;
    protocol::encode_message(protocol::Hello{.agent = std::string(kAgent)}, out);
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
      if (!std::holds_alternative<protocol::StreamOpened>(*answer)) {
        co_return unexpected_reply(*answer, "STREAM_OPENED");
      }
    }
    co_return Status::ok();
  }

  static Status unexpected_reply(const protocol::Message& message, std::string_view expected) {
    if (const auto* error = std::get_if<protocol::ErrorMessage>(&message)) {
      return Status(error->code, "receiver: " + error->message);
    }
    return Status(ErrorCode::kUnexpectedMessage,
                  fmt::format("receiver sent message type {} where {} was expected",
                              static_cast<int>(protocol::type_of(message)), expected));
  }

  // Reads until one whole control message is decoded (handshake and replies;
  // a server never sends frame data).
  asio::awaitable<Result<protocol::Message>> read_message() {
    while (true) {
      auto event = decoder_.next(pending_);
      if (auto* message = std::get_if<protocol::Message>(&event)) co_return std::move(*message);
      if (auto* error = std::get_if<protocol::DecodeError>(&event)) {
        co_return Status(error->code, "bad reply from receiver: " + error->message);
      }
      if (!std::holds_alternative<protocol::NeedMore>(event)) {
        co_return Status(ErrorCode::kUnknownType, "receiver sent frame data");
      }
      auto [ec, n] = co_await socket_.async_read_some(asio::buffer(read_buffer_), kNoThrow);
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
        for (const auto& entry : ack->entries) {
          const auto settled = inflight_.settle(entry.stream_id, entry.through_sequence);
          progress_.frames_stored += settled.frames;
          progress_.bytes_stored += settled.bytes;
        }
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
    wake_.cancel();
  }

  void note_rejection(const protocol::FrameRejected& rejected) {
    const long index = inflight_.mark_rejected(rejected.stream_id, rejected.sequence);
    std::string stream = rejected.stream_id < streams_.size()
                             ? streams_[rejected.stream_id].spec.name
                             : fmt::format("#{}", rejected.stream_id);
    std::string file = index >= 0 ? streams_[rejected.stream_id].files[index].file_name
                                  : fmt::format("sequence {}", rejected.sequence);
    rejected_.push_back({.stream = std::move(stream),
                         .file_name = std::move(file),
                         .reason = Status(rejected.code, rejected.message)});
  }

  asio::awaitable<void> wait_for_event() {
    wake_.expires_at(asio::steady_timer::time_point::max());
    co_await wake_.async_wait(kNoThrow);
  }

  asio::awaitable<Status> write(protocol::ByteBuffer& bytes) {
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes), kNoThrow);
    bytes.clear();
    if (ec) {
      co_return Status(ErrorCode::kConnectionFailed, "connection lost: " + ec.message());
    }
    co_return Status::ok();
  }

  // Round-robin over the streams, so a visible and an infrared folder advance
  // together.
  asio::awaitable<Status> send_frames() {
    protocol::ByteBuffer batch;
    batch.reserve(kBatchBytes + 64 * 1024);
    std::size_t longest = 0;
    for (const auto& stream : streams_) longest = std::max(longest, stream.files.size());
    for (std::size_t index = 0; index < longest; ++index) {
      for (std::uint32_t id = 0; id < streams_.size(); ++id) {
        if (index >= streams_[id].files.size()) continue;
        if (Status status = co_await send_frame(id, index, batch); !status) co_return status;
      }
    }
    protocol::encode_message(protocol::Goodbye{}, batch);
    co_return co_await write(batch);
  }

  asio::awaitable<Status> send_frame(std::uint32_t stream_id, std::size_t index,
                                     protocol::ByteBuffer& batch) {
    const source::FrameFile& file = streams_[stream_id].files[index];
    FileReader reader(file.path);
    auto size = reader.ok() ? reader.size() : std::nullopt;
    if (!size) {
      co_return Status(ErrorCode::kStorageError,
                       fmt::format("cannot read {}: {}", file.path, std::strerror(errno)));
    }
    if (*size > max_frame_bytes_) {
      co_return Status(ErrorCode::kFrameTooLarge,
                       fmt::format("{} is {} bytes; the receiver accepts at most {}", file.path,
                                   *size, max_frame_bytes_));
    }
    while (!inflight_.fits(*size, window_bytes_, window_frames_)) {
      // Unsent bytes must go out before waiting, or the ACKs never come.
      if (!batch.empty()) {
        if (Status status = co_await write(batch); !status) co_return status;
        continue;
      }
      if (reader_done_) co_return reader_status_ ? connection_ended() : reader_status_;
      co_await wait_for_event();
    }
    if (reader_done_) co_return reader_status_ ? connection_ended() : reader_status_;

    protocol::encode_message(protocol::FrameHeader{.stream_id = stream_id,
                                                   .sequence = index,
                                                   .capture_time_ns = file.mtime_ns,
                                                   .data_bytes = *size,
                                                   .file_name = file.file_name},
                             batch);
    inflight_.add(stream_id, {.sequence = index, .bytes = *size, .file_index = index});
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
        co_return Status(
            ErrorCode::kStorageError,
            fmt::format("{} shrank or became unreadable while being sent{}", file.path,
                        got < 0 ? fmt::format(": {}", std::strerror(errno)) : std::string()));
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

  Status connection_ended() const {
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
  asio::ip::tcp::socket socket_;
  asio::steady_timer wake_;
  protocol::MessageDecoder decoder_;
  std::vector<std::uint8_t> read_buffer_;
  std::span<const std::uint8_t> pending_;
  XXH3_state_t* hash_;
  net::InflightFrames inflight_;
  std::uint64_t window_bytes_ = 0;
  std::uint32_t window_frames_ = 0;
  std::uint64_t max_frame_bytes_ = 0;
  bool reader_done_ = false;
  Status reader_status_;
  Status result_;
  std::vector<RejectedFrame> rejected_;
  SendProgress progress_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_report_;
};

}  // namespace

Result<SendSummary> send_folders(const SenderOptions& options) {
  if (options.streams.empty()) return Status(ErrorCode::kMalformed, "no stream to send");
  std::vector<StreamState> streams;
  for (const auto& spec : options.streams) {
    auto files = source::list_frames(spec.folder);
    if (!files) return files.status();
    streams.push_back({.spec = spec, .files = std::move(files).value()});
  }
  asio::io_context io(1);
  SenderClient client(io, options, std::move(streams));
  asio::co_spawn(io, client.run(), asio::detached);
  io.run();
  return client.result();
}

}  // namespace framewire
