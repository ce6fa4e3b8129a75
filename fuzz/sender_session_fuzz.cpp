// libFuzzer target for the sender's protocol half (net/SenderSession): each
// input is the receiver's side of one connection, arbitrary bytes or replies
// the harness builds, interleaved with what a sender does (open streams,
// start, write and end frames, say goodbye, give up). The harness keeps its
// own model of what was sent and checks after every step:
//   - the session's counts (in flight, started, stored, rejected) agree
//     with the model, and check_send() agrees with the window rule of
//     PROTOCOL.md 5.4 both ways; begin_frame() fails exactly when check_send
//     says so, and then writes nothing;
//   - sequences continue from the StreamOpened event, strictly increase and
//     never reach 2^64-1;
//   - an Acked event lists exactly the unsettled, unrejected frames of its
//     stream up to through_sequence, all of them sent whole; nothing is
//     acked or rejected that was not sent, nor settled twice;
//   - nothing follows a ReceiverError or a ProtocolViolation, and only a
//     violation follows a ReceiverGoodbye;
//   - everything written to the connection (the session's bytes plus the
//     harness's frame data) decodes cleanly with the receiver's decoder,
//     MessageDecoder(Peer::kClient) limited to the max_frame_bytes the
//     session accepted, into exactly the messages the model expects, and no
//     ERROR is ever written inside a frame;
//   - in the raw modes, the events do not depend on how the receiver's bytes
//     were cut: the same input fed in one piece gives the same events.
//
// Input layout: byte 0 = options. Bits 0-1 the mode: 0 HELLO, then the rest
// is raw receiver bytes; 1 a scripted opening (HELLO_OK, streams 1 and 2
// opened, stream 2 resumed at 1000, frames started within the window), then
// raw receiver bytes; 2 the scripted opening, then ops (see run_ops); 3 only
// HELLO, then ops. Bits 2-3: how receiver bytes are cut into consume() calls
// (whole, 1 byte, 1-9 or 1-64 bytes). Bit 4: a tiny receiver window (100
// bytes / 2 frames). Bit 5: mode 1 leaves a frame open before the raw bytes.
// Bit 6: this sender's own window is 3 frames. Bit 7: max_frame_bytes 64.
// Single-threaded, as libFuzzer calls it.
#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "net/sender_session.hpp"
#include "protocol/message_decoder.hpp"
#include "protocol/message_encoder.hpp"
#include "protocol/messages.hpp"

namespace {

namespace net = framewire::net;
namespace protocol = framewire::protocol;
using framewire::ErrorCode;
using framewire::Status;
using protocol::ByteBuffer;

constexpr std::uint64_t kNoSequence = ~std::uint64_t{0};
constexpr std::string_view kNames[] = {"fz/a", "fz/b", "fz/c", "fz/a/deeper", "other"};

[[noreturn]] void violated(const std::string& what) {
  std::fprintf(stderr, "sender_session_fuzz: invariant violated: %s\n", what.c_str());
  std::abort();
}

// The checks run after every byte in some modes: a message that must be
// built is passed as a function, so it is built only when the check fails.
void require(bool ok, const char* what) {
  if (!ok) violated(what);
}
template <class Message>
requires std::invocable<const Message&>
void require(bool ok, const Message& what) {
  if (!ok) violated(what());
}

bool verbose() {
  static const bool on = std::getenv("FRAMEWIRE_FUZZ_VERBOSE") != nullptr;
  return on;
}

// Reads the input front to back; past the end it reads zeros.
class Input {
 public:
  explicit Input(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool empty() const { return bytes_.empty(); }
  std::uint8_t byte() {
    if (bytes_.empty()) return 0;
    const std::uint8_t b = bytes_.front();
    bytes_ = bytes_.subspan(1);
    return b;
  }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | byte();
    return v;
  }
  std::span<const std::uint8_t> take(std::size_t n) {
    n = std::min(n, bytes_.size());
    auto part = bytes_.first(n);
    bytes_ = bytes_.subspan(n);
    return part;
  }
  std::span<const std::uint8_t> rest() { return take(bytes_.size()); }

 private:
  std::span<const std::uint8_t> bytes_;
};

std::string event_name(const net::SenderEvent& event) {
  static constexpr const char* kNamesOfEvents[] = {
      "HelloAccepted",   "StreamOpened",     "Acked", "Rejected", "ReceiverError",
      "ReceiverGoodbye", "ProtocolViolation"};
  std::string text = kNamesOfEvents[event.index()];
  if (const auto* v = std::get_if<net::ProtocolViolation>(&event)) text += ": " + v->message;
  if (const auto* e = std::get_if<net::ReceiverError>(&event)) text += ": " + e->message;
  return text;
}

// What the connection should carry, in order, as the receiver's decoder
// reports it (frame data is counted, not compared).
struct DataBytes {
  std::uint64_t count = 0;
};
struct Checksum {
  std::uint64_t value = 0;
};
using Expected = std::variant<protocol::Message, DataBytes, Checksum>;

class Harness {
 public:
  Harness(const net::SenderSessionOptions& options, unsigned split)
      : options_(options), session_(options), split_(split) {}

  // --- the sender's side -----------------------------------------------------

  void start() {
    require(session_.start(client_).is_ok(), "start failed on a new session");
    expected_.emplace_back(protocol::Message(
        protocol::Hello{.agent = options_.agent, .sender_id = options_.sender_id}));
    started_ = true;
    check();
  }

  void open_stream(std::uint32_t id, std::string_view name) {
    const std::size_t before = client_.size();
    const Status status = session_.open_stream(id, name, "visible", client_);
    bool name_taken = false;
    for (const auto& entry : streams_) name_taken |= entry.second.name == name;
    const bool should = ready() && !open_ && streams_.size() < net::kMaxStreamsPerConnection &&
                        !streams_.contains(id) && !name_taken && !name.empty();
    require(status.is_ok() == should, [&] {
      return "open_stream said " + status.to_string() + " in state " +
             std::string(net::to_string(session_.state()));
    });
    if (!status.is_ok()) {
      require(client_.size() == before, "a refused open_stream wrote bytes");
      return;
    }
    streams_[id] = StreamModel{.name = std::string(name)};
    expected_.emplace_back(protocol::Message(protocol::OpenStream{
        .stream_id = id, .name = std::string(name), .source_kind = "visible"}));
    check();
  }

  // Starts a frame of `bytes`; writes all of its data and ends it unless
  // `leave_open`, in which case half the data is written.
  void frame(std::uint32_t id, std::uint64_t bytes, bool leave_open) {
    const Status probe = session_.check_send(id, bytes);
    require(probe.is_ok() == model_admits(id, bytes),
            [&] { return "check_send says " + probe.to_string() + " against the model's window"; });
    const std::uint64_t in_flight_before = in_flight_frames();
    const std::size_t before = client_.size();
    const net::FrameToken token = next_token_++;
    const std::string name = std::to_string(token) + ".png";
    auto sequence = session_.begin_frame(id, name, bytes, 7, token, client_);
    if (!sequence) {
      require(!probe.is_ok() && sequence.status().code() == probe.code(), [&] {
        return "begin_frame said " + sequence.status().to_string() + ", check_send " +
               probe.to_string();
      });
      require(client_.size() == before, "a refused begin_frame wrote bytes");
      return;
    }
    StreamModel& stream = streams_.at(id);
    require(*sequence == stream.next, [&] {
      return "sequence " + std::to_string(*sequence) + " where " + std::to_string(stream.next) +
             " was due";
    });
    require(*sequence <= net::kMaxFrameSequence, "sequence 2^64-1 was given out");
    require(in_flight_before == 0 || in_flight_before + 1 <= window_frames_,
            "a frame started with the frame window full");
    stream.next = *sequence + 1;
    frames_[{id, *sequence}] = FrameModel{.bytes = bytes, .token = token};
    expected_.emplace_back(protocol::Message(protocol::FrameHeader{.stream_id = id,
                                                                   .sequence = *sequence,
                                                                   .capture_time_ns = 7,
                                                                   .data_bytes = bytes,
                                                                   .file_name = name}));
    open_ = OpenFrame{.stream_id = id, .sequence = *sequence, .written = 0};
    write_data(leave_open ? bytes / 2 : bytes);
    if (!leave_open) end_frame();
    check();
  }

  // Writes the rest of the open frame's data and ends it.
  void end_frame() {
    if (!open_) {
      const ErrorCode want = failed() ? failure_code() : ErrorCode::kInternal;
      require(session_.end_frame(0, client_).code() == want, "end_frame without a frame");
      return;
    }
    FrameModel& model = frames_.at({open_->stream_id, open_->sequence});
    write_data(model.bytes - open_->written);
    const std::uint64_t checksum = model.token * 0x9e3779b97f4a7c15ULL;
    const std::size_t before = client_.size();
    const Status status = session_.end_frame(checksum, client_);
    if (failed()) {
      // Nobody reads any more; the frame stays open on the wire.
      require(!status.is_ok() && client_.size() == before, "end_frame wrote after a failure");
      require(session_.inside_frame(), "the frame was closed without its checksum");
      return;
    }
    require(status.is_ok(), [&] { return "end_frame refused: " + status.to_string(); });
    model.complete = true;
    expected_.emplace_back(Checksum{checksum});
    open_.reset();
    check();
  }

  void goodbye() {
    const Status status = session_.goodbye(client_);
    require(status.is_ok() == (ready() && !open_),
            [&] { return "goodbye said " + status.to_string(); });
    if (!status.is_ok()) return;
    said_goodbye_ = true;
    expected_.emplace_back(protocol::Message(protocol::Goodbye{}));
    check();
  }

  // Gives up; with `use_failure` for the reason the session failed, if it did.
  void abort(bool use_failure) {
    const Status why = use_failure && failed() ? session_.failure()
                                               : Status(ErrorCode::kInternal, "harness gives up");
    const bool may = started_ && !open_ && !error_written_ && !said_goodbye_ && !receiver_left_ &&
                     session_.state() != net::SenderSession::State::kDone;
    const bool wrote = session_.abort(why, client_);
    require(wrote == may, wrote ? "abort wrote an ERROR the model forbids"
                                : "abort wrote no ERROR where the model expects one");
    if (wrote) {
      error_written_ = true;
      expected_.emplace_back(protocol::Message(
          protocol::ErrorMessage{.code = protocol::to_wire(why.code()), .message = why.message()}));
    }
    require(session_.state() == net::SenderSession::State::kDone || failed(),
            "abort left the session running");
    check();
  }

  // --- the receiver's side ----------------------------------------------------

  void feed(std::span<const std::uint8_t> bytes) {
    if (bytes.empty()) return;
    if (split_ == 0) return consume(bytes);
    std::uint32_t state = 0x9e3779b9u ^ static_cast<std::uint32_t>(bytes.size() * 2654435761u) ^
                          static_cast<std::uint32_t>(chunks_ * 40503u);
    const std::size_t max_len = split_ == 1 ? 1 : split_ == 2 ? 9 : 64;
    while (!bytes.empty()) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      const std::size_t len = std::min<std::size_t>(bytes.size(), 1 + state % max_len);
      consume(bytes.first(len));
      bytes = bytes.subspan(len);
    }
  }

  // --- queries for building replies ---------------------------------------------

  bool ready() const {
    return hello_accepted_ && !said_goodbye_ && !failed() && !error_written_ && !receiver_left_;
  }
  bool failed() const { return session_.state() == net::SenderSession::State::kFailed; }
  ErrorCode failure_code() const { return session_.failure().code(); }
  bool frame_open() const { return open_.has_value(); }
  const net::SenderSession& session() const { return session_; }
  const std::vector<net::SenderEvent>& events() const { return events_; }
  const ByteBuffer& client() const { return client_; }

  // A sequence on `id` picked by `how` relative to what was sent.
  std::uint64_t pick_sequence(std::uint32_t id, std::uint8_t how, Input& in) const {
    std::vector<std::uint64_t> sent;
    std::uint64_t last_complete = 0;
    for (const auto& [key, model] : frames_) {
      if (key.first != id) continue;
      sent.push_back(key.second);
      if (model.complete) last_complete = key.second;
    }
    const auto stream = streams_.find(id);
    switch (how % 8) {
      case 0:
        return last_complete;
      case 1:
        return sent.empty() ? 0 : sent[in.byte() % sent.size()];
      case 2:
        return stream != streams_.end() && stream->second.acked ? *stream->second.acked : 0;
      case 3:
        return last_complete + 1;
      case 4:
        return sent.empty() ? 0 : sent.front() - 1;
      case 5:
        return stream != streams_.end() ? stream->second.next : 0;
      case 6:
        return in.u64();
      default:
        return in.byte() % 2 == 0 ? net::kMaxFrameSequence : kNoSequence;
    }
  }

  // What a correct receiver would acknowledge now: each stream through its
  // last frame sent whole, where that settles something new.
  std::vector<protocol::AckEntry> settling_ack() const {
    std::map<std::uint32_t, std::uint64_t> through;
    for (const auto& [key, model] : frames_) {
      if (model.complete && !model.acked) through[key.first] = key.second;
    }
    std::vector<protocol::AckEntry> entries;
    for (const auto& [id, sequence] : through) entries.push_back({id, sequence});
    return entries;
  }

  // --- the end ----------------------------------------------------------------

  // The whole client stream must decode with the receiver's decoder into the
  // expected messages.
  void check_client_stream() const {
    protocol::MessageDecoder decoder(
        protocol::Peer::kClient,
        {.max_frame_bytes = hello_accepted_ ? max_frame_bytes_ : protocol::kMaxFrameBytesLimit});
    std::vector<Expected> expected = expected_;  // data counts are used up below
    std::span<const std::uint8_t> input(client_);
    std::size_t next = 0;
    bool ended = false;  // GOODBYE or ERROR seen
    for (;;) {
      protocol::DecodeEvent event = decoder.next(input);
      if (std::holds_alternative<protocol::NeedMore>(event)) break;
      if (const auto* error = std::get_if<protocol::DecodeError>(&event)) {
        violated("what the sender wrote does not decode: " +
                 std::string(framewire::to_string(error->code)) + ": " + error->message);
      }
      require(!ended, "the sender wrote after its GOODBYE or ERROR");
      if (const auto* message = std::get_if<protocol::Message>(&event)) {
        require(next < expected.size(), "the sender wrote a message it was not asked to");
        const auto* want = std::get_if<protocol::Message>(&expected[next]);
        require(want != nullptr && *want == *message, [&] {
          return "message " + std::to_string(next) + " on the wire is not the one expected";
        });
        ended = std::holds_alternative<protocol::Goodbye>(*message) ||
                std::holds_alternative<protocol::ErrorMessage>(*message);
        ++next;
      } else if (const auto* data = std::get_if<protocol::FrameData>(&event)) {
        // One FrameData may span several writes of the harness, and the
        // other way round.
        std::uint64_t left = data->bytes.size();
        while (left > 0) {
          require(next < expected.size(), "frame data where none was written");
          auto* want = std::get_if<DataBytes>(&expected[next]);
          require(want != nullptr, "frame data where a message or checksum was expected");
          const std::uint64_t n = std::min(left, want->count);
          want->count -= n;
          left -= n;
          if (want->count == 0) ++next;
        }
      } else if (const auto* end = std::get_if<protocol::FrameEnd>(&event)) {
        require(next < expected.size(), "a checksum where none was written");
        const auto* want = std::get_if<Checksum>(&expected[next]);
        require(want != nullptr && want->value == end->checksum, "unexpected checksum");
        ++next;
      }
    }
    // What is left may only be data of the open frame, cut off with it.
    for (; next < expected.size(); ++next) {
      require(std::holds_alternative<DataBytes>(expected[next]) && open_.has_value(),
              "expected messages are missing on the wire");
    }
  }

 private:
  struct StreamModel {
    std::string name;
    bool ready = false;
    std::uint64_t next = 0;
    std::optional<std::uint64_t> acked;
  };
  struct FrameModel {
    std::uint64_t bytes = 0;
    net::FrameToken token = 0;
    bool complete = false;
    bool rejected = false;
    bool acked = false;
  };
  struct OpenFrame {
    std::uint32_t stream_id = 0;
    std::uint64_t sequence = 0;
    std::uint64_t written = 0;
  };

  void write_data(std::uint64_t n) {
    if (n == 0) return;
    client_.insert(client_.end(), static_cast<std::size_t>(n), static_cast<std::uint8_t>(n));
    open_->written += n;
    expected_.emplace_back(DataBytes{n});
  }

  bool model_admits(std::uint32_t id, std::uint64_t bytes) const {
    const auto stream = streams_.find(id);
    if (!ready() || open_ || stream == streams_.end() || !stream->second.ready) return false;
    if (bytes > max_frame_bytes_ || stream->second.next > net::kMaxFrameSequence) return false;
    const std::uint64_t frames = in_flight_frames();
    if (frames == 0) return true;
    // Written differently from the session's test on purpose (both avoid
    // overflow): in_flight + bytes <= window.
    return frames + 1 <= window_frames_ && bytes <= window_bytes_ &&
           in_flight_bytes() <= window_bytes_ - bytes;
  }

  std::uint64_t in_flight_frames() const {
    std::uint64_t n = 0;
    for (const auto& [key, model] : frames_) n += model.acked ? 0 : 1;
    return n;
  }
  std::uint64_t in_flight_bytes() const {
    std::uint64_t n = 0;
    for (const auto& [key, model] : frames_) n += model.acked ? 0 : model.bytes;
    return n;
  }

  void consume(std::span<const std::uint8_t> bytes) {
    ++chunks_;
    // A buffer of exactly this size, so ASan sees a read past it.
    const std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
    const std::size_t first_new = events_.size();
    const bool was_failed = failed();
    session_.consume(copy, events_);
    if (was_failed) require(events_.size() == first_new, "events after the session failed");
    for (std::size_t i = first_new; i < events_.size(); ++i) absorb(events_[i]);
    check();
  }

  void absorb(const net::SenderEvent& event) {
    if (verbose()) std::fprintf(stderr, "  event %s\n", event_name(event).c_str());
    const bool is_violation = std::holds_alternative<net::ProtocolViolation>(event);
    // Only bytes after the receiver's GOODBYE give an event after the end.
    require(!ended_ || (goodbye_received_ && is_violation && !violation_seen_),
            [&] { return "event after the end: " + event_name(event); });
    std::visit(
        [&](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, net::HelloAccepted>) {
            require(!hello_accepted_, "HelloAccepted twice");
            hello_accepted_ = true;
            require(e.window_bytes <= options_.window_bytes &&
                        e.window_frames <= options_.window_frames,
                    "the window is wider than this sender's own");
            require(e.max_frame_bytes <= protocol::kMaxFrameBytesLimit,
                    "max_frame_bytes over 2^40");
            require(e.window_bytes == session_.window_bytes() &&
                        e.window_frames == session_.window_frames() &&
                        e.max_frame_bytes == session_.max_frame_bytes(),
                    "HelloAccepted differs from the session's window");
            window_bytes_ = e.window_bytes;
            window_frames_ = e.window_frames;
            max_frame_bytes_ = e.max_frame_bytes;
          } else if constexpr (std::is_same_v<T, net::StreamOpened>) {
            const auto it = streams_.find(e.stream_id);
            require(it != streams_.end(), "StreamOpened for a stream never opened");
            require(!it->second.ready, "StreamOpened twice");
            require((e.next_sequence == 0) == e.last_file_name.empty(),
                    "StreamOpened with an inconsistent resume position");
            it->second.ready = true;
            it->second.next = e.next_sequence;
          } else if constexpr (std::is_same_v<T, net::Acked>) {
            const auto it = streams_.find(e.stream_id);
            require(it != streams_.end() && it->second.ready, "Acked for a stream not open");
            StreamModel& stream = it->second;
            require(!stream.acked || e.through_sequence >= *stream.acked, "Acked goes back");
            std::optional<std::uint64_t> first;
            std::optional<std::uint64_t> last_complete;
            for (const auto& [key, model] : frames_) {
              if (key.first != e.stream_id) continue;
              if (!first) first = key.second;
              if (model.complete) last_complete = key.second;
            }
            require(first && last_complete && *first <= e.through_sequence &&
                        e.through_sequence <= *last_complete,
                    "Acked outside the frames sent whole");
            std::vector<net::SettledFrame> expect;
            for (auto& [key, model] : frames_) {
              if (key.first != e.stream_id || key.second > e.through_sequence || model.acked) {
                continue;
              }
              require(model.complete, "Acked covers a frame whose checksum was not written");
              if (!model.rejected) {
                expect.push_back(
                    {.sequence = key.second, .bytes = model.bytes, .token = model.token});
              }
              model.acked = true;
            }
            require(e.stored == expect, "Acked does not list exactly the frames it settled");
            stream.acked = e.through_sequence;
          } else if constexpr (std::is_same_v<T, net::Rejected>) {
            const auto it = frames_.find({e.stream_id, e.sequence});
            require(it != frames_.end(), "Rejected names a frame never sent");
            FrameModel& model = it->second;
            require(model.complete && !model.acked && !model.rejected,
                    "Rejected for a frame not awaiting settlement");
            require(model.token == e.token && model.bytes == e.bytes, "Rejected with wrong token");
            require(e.code != ErrorCode::kOk, "Rejected with code ok");
            model.rejected = true;
          } else if constexpr (std::is_same_v<T, net::ReceiverError>) {
            ended_ = true;
            require(failed(), "ReceiverError without failing the session");
            // A peer cannot make this side believe it cancelled (local only).
            require(e.code != ErrorCode::kCancelled, "ReceiverError with a local-only code");
            require(!session_.failure().is_ok(), "failed with an ok status");
          } else if constexpr (std::is_same_v<T, net::ReceiverGoodbye>) {
            ended_ = true;
            receiver_left_ = true;
            goodbye_received_ = true;
            require(said_goodbye_, "ReceiverGoodbye before ours");
            require(in_flight_frames() == 0, "ReceiverGoodbye with frames in flight");
            for (const auto& [id, stream] : streams_) {
              require(stream.ready, "ReceiverGoodbye with a stream unanswered");
            }
          } else {
            ended_ = true;
            violation_seen_ = true;
            require(e.code != ErrorCode::kOk && !e.message.empty(), "empty violation");
          }
        },
        event);
    if (std::holds_alternative<net::ReceiverError>(event)) receiver_left_ = true;
  }

  // The session's counts against the model.
  void check() const {
    std::uint64_t stored = 0;
    std::uint64_t rejected = 0;
    for (const auto& [key, model] : frames_) {
      stored += model.acked && !model.rejected ? 1 : 0;
      rejected += model.rejected ? 1 : 0;
    }
    require(session_.in_flight_frames() == in_flight_frames(), "in_flight_frames differs");
    require(session_.in_flight_bytes() == in_flight_bytes(), "in_flight_bytes differs");
    require(session_.frames_started() == frames_.size(), "frames_started differs");
    require(session_.frames_stored() == stored, "frames_stored differs");
    require(session_.frames_rejected() == rejected, "frames_rejected differs");
    require(session_.inside_frame() == open_.has_value(), "inside_frame differs");
    if (failed()) require(!session_.failure().is_ok(), "failed with an ok status");
    for (const auto& [id, stream] : streams_) {
      const auto next = session_.next_sequence(id);
      require(next.has_value() == stream.ready, "stream readiness differs");
      require(!next || *next == stream.next, "next_sequence differs");
    }
  }

  net::SenderSessionOptions options_;
  net::SenderSession session_;
  unsigned split_;
  std::vector<net::SenderEvent> events_;
  ByteBuffer client_;
  std::vector<Expected> expected_;
  std::map<std::uint32_t, StreamModel> streams_;
  std::map<std::pair<std::uint32_t, std::uint64_t>, FrameModel> frames_;
  std::optional<OpenFrame> open_;
  net::FrameToken next_token_ = 1;
  std::uint64_t chunks_ = 0;
  bool started_ = false;
  bool hello_accepted_ = false;
  bool said_goodbye_ = false;
  bool error_written_ = false;
  bool receiver_left_ = false;  // its ERROR or GOODBYE came
  bool goodbye_received_ = false;
  bool ended_ = false;  // a terminal event came
  bool violation_seen_ = false;
  std::uint64_t window_bytes_ = 0;
  std::uint32_t window_frames_ = 0;
  std::uint64_t max_frame_bytes_ = 0;
};

// --- building receiver bytes ---------------------------------------------------

struct Config {
  bool tiny_window = false;
  bool leave_open = false;
  bool small_frames = false;
};

ByteBuffer encoded(const protocol::Message& message) {
  ByteBuffer out;
  protocol::encode_message(message, out);
  return out;
}

protocol::HelloOk good_hello_ok(const Config& config) {
  return protocol::HelloOk{.version = protocol::kVersion,
                           .features = protocol::kFeaturesNone,
                           .max_frame_bytes = config.small_frames ? 64u : 1u << 20,
                           .window_bytes = config.tiny_window ? 100u : 1u << 20,
                           .window_frames = config.tiny_window ? 2u : 64u,
                           .agent = "fuzz-receiver"};
}

// HELLO_OK, streams 1 and 2 opened (2 resumed at 1000), frames started
// while the window allows.
void scripted_opening(Harness& h, const Config& config) {
  h.start();
  h.feed(encoded(good_hello_ok(config)));
  h.open_stream(1, kNames[0]);
  h.open_stream(2, kNames[1]);
  ByteBuffer answers = encoded(protocol::StreamOpened{.stream_id = 1});
  protocol::encode_message(
      protocol::StreamOpened{.stream_id = 2, .next_sequence = 1000, .last_file_name = "999.png"},
      answers);
  h.feed(answers);
  const std::uint64_t sizes[] = {10, 20, 0, 30, 5};
  for (std::size_t i = 0; i < std::size(sizes); ++i) {
    const std::uint32_t id = i % 2 == 0 ? 1 : 2;
    if (h.session().can_send(id, sizes[i])) h.frame(id, sizes[i], false);
  }
  if (config.leave_open && h.session().can_send(1, 40)) h.frame(1, 40, true);
}

// Ends the run the way a sender would: finishes its frame, says goodbye, or
// gives up after a failure.
void wind_up(Harness& h) {
  if (h.frame_open()) h.end_frame();
  if (h.ready()) h.goodbye();
  if (h.failed()) h.abort(true);
}

std::uint32_t pick_stream(std::uint8_t b) {
  switch (b % 6) {
    case 0:
      return 0;
    case 5:
      return 0xffffffffu;
    default:
      return b % 6;  // 1..4
  }
}

const protocol::WireError kRejectCodes[] = {
    protocol::WireError::kChecksumMismatch, protocol::WireError::kConflict,
    protocol::WireError::kStorageError,     protocol::WireError::kOk,
    protocol::WireError::kStaleSequence,    protocol::WireError{999}};

// Ops: one byte each (low 4 bits the op, high 4 bits its variant), then its
// arguments. Sender ops act at once; receiver ops add to the bytes pending
// for the session, which are fed on op 13 and at the end.
//   0 frame (stream, length)        1 frame left open (stream, length)
//   2 end the open frame            3 OPEN_STREAM (id, name)
//   4 GOODBYE                       5 give up (abort)
//   6 ACK (entries: stream, how)    7 FRAME_REJECTED (stream, how, code)
//   8 STREAM_OPENED (id, resume)    9 HELLO_OK (variants)
//  10 ERROR                        11 GOODBYE from the receiver
//  12 raw bytes (length, bytes)    13 feed the pending bytes
//  14 check_send probe (stream, length)
//  15 a correct ACK: every stream through its last complete frame
void run_ops(Harness& h, Input& in, const Config& config) {
  ByteBuffer pending;
  auto deliver = [&] {
    h.feed(pending);
    pending.clear();
  };
  while (!in.empty()) {
    const std::uint8_t op = in.byte();
    const std::uint8_t variant = op >> 4;
    switch (op & 15) {
      case 0:
      case 1: {
        const std::uint32_t id = 1 + variant % 4;
        std::uint64_t length = in.byte();
        if (variant & 8) length *= 64;  // over the tiny window, or max_frame_bytes
        if (h.frame_open()) h.end_frame();
        h.frame(id, length, (op & 15) == 1);
        break;
      }
      case 2:
        h.end_frame();
        break;
      case 3:
        h.open_stream(1 + variant % 5, variant & 8 ? std::string_view() : kNames[in.byte() % 5]);
        break;
      case 4:
        h.goodbye();
        break;
      case 5:
        h.abort((variant & 1) != 0);
        break;
      case 6: {
        protocol::Ack ack;
        const std::size_t count = 1 + variant % 4;
        for (std::size_t i = 0; i < count; ++i) {
          const std::uint32_t id = pick_stream(in.byte());
          ack.entries.push_back(
              {.stream_id = id, .through_sequence = h.pick_sequence(id, in.byte(), in)});
        }
        protocol::encode_message(ack, pending);
        break;
      }
      case 7: {
        const std::uint32_t id = pick_stream(in.byte());
        const std::uint64_t sequence = h.pick_sequence(id, in.byte(), in);
        protocol::encode_message(
            protocol::FrameRejected{.stream_id = id,
                                    .sequence = sequence,
                                    .code = kRejectCodes[variant % std::size(kRejectCodes)],
                                    .message = "rejected"},
            pending);
        break;
      }
      case 8: {
        protocol::StreamOpened opened{.stream_id = pick_stream(in.byte())};
        switch (variant % 6) {
          case 0:
            break;
          case 1: {
            const std::uint8_t n = in.byte();
            opened.next_sequence = n + 1;
            opened.last_file_name = std::to_string(n) + ".png";
            break;
          }
          case 2:
            opened.next_sequence = net::kMaxFrameSequence;
            opened.last_file_name = "x.png";
            break;
          case 3:
            opened.next_sequence = kNoSequence;
            opened.last_file_name = "y.png";
            break;
          case 4:
            opened.last_file_name = "z.png";  // nothing stored, yet a name
            break;
          default:
            opened.next_sequence = 5;  // something stored, yet no name
            break;
        }
        protocol::encode_message(opened, pending);
        break;
      }
      case 9: {
        protocol::HelloOk hello_ok = good_hello_ok(config);
        if (variant & 1) {
          hello_ok.window_bytes = std::uint64_t{in.byte()} * 16;
          hello_ok.window_frames = in.byte() % 8;
          hello_ok.max_frame_bytes = in.byte() % 2 == 0 ? std::uint64_t{in.byte()} * 4 : in.u64();
        }
        if (variant & 2) hello_ok.version = 2;
        if (variant & 4) hello_ok.features = 1;
        protocol::encode_message(hello_ok, pending);
        break;
      }
      case 10: {
        // Codes 0-14 by variant; variant 15 is a code of a later protocol
        // version (23, kCancelled's public number, and up).
        const auto code = static_cast<std::uint16_t>(variant < 15 ? variant : 23 + in.byte());
        protocol::encode_message(
            protocol::ErrorMessage{.code = protocol::WireError{code}, .message = "error"}, pending);
        break;
      }
      case 11:
        protocol::encode_message(protocol::Goodbye{}, pending);
        break;
      case 12: {
        const auto raw = in.take(in.byte());
        pending.insert(pending.end(), raw.begin(), raw.end());
        break;
      }
      case 13:
        deliver();
        break;
      case 14: {
        // check_send is compared with the model inside frame(); here only
        // that a probe changes nothing.
        const std::size_t before = h.client().size();
        const std::uint64_t in_flight = h.session().in_flight_frames();
        (void)h.session().check_send(pick_stream(in.byte()), std::uint64_t{in.byte()} << variant);
        require(h.client().size() == before && h.session().in_flight_frames() == in_flight,
                "check_send changed something");
        break;
      }
      default: {
        const protocol::Ack ack{.entries = h.settling_ack()};
        if (!ack.entries.empty()) protocol::encode_message(ack, pending);
        break;
      }
    }
  }
  deliver();
}

struct Outcome {
  std::vector<net::SenderEvent> events;
  ByteBuffer client;
};

// Modes 0 and 1: the receiver's bytes are raw; run with the given split.
Outcome run_raw(const net::SenderSessionOptions& options, const Config& config, unsigned mode,
                unsigned split, std::span<const std::uint8_t> raw) {
  Harness h(options, split);
  if (mode == 0) {
    h.start();
  } else {
    scripted_opening(h, config);
  }
  h.feed(raw);
  wind_up(h);
  h.check_client_stream();
  return {h.events(), h.client()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t options_byte = data[0];
  Input in(std::span<const std::uint8_t>(data + 1, size - 1));
  const unsigned mode = options_byte & 3;
  const unsigned split = (options_byte >> 2) & 3;
  const Config config{.tiny_window = (options_byte & 0x10) != 0,
                      .leave_open = (options_byte & 0x20) != 0,
                      .small_frames = (options_byte & 0x80) != 0};
  net::SenderSessionOptions options;
  options.agent = "fuzz-sender";
  options.sender_id.fill(0x5a);
  if (options_byte & 0x40) options.window_frames = 3;

  if (mode <= 1) {
    const auto raw = in.rest();
    const Outcome cut = run_raw(options, config, mode, split, raw);
    if (split != 0) {
      const Outcome whole = run_raw(options, config, mode, 0, raw);
      require(cut.events == whole.events, "the events depend on how the bytes were cut");
      require(cut.client == whole.client, "what was sent depends on how the bytes were cut");
    }
    return 0;
  }
  Harness h(options, split);
  if (mode == 2) {
    scripted_opening(h, config);
  } else {
    h.start();
  }
  run_ops(h, in, config);
  wind_up(h);
  h.check_client_stream();
  return 0;
}
