// SenderSession without sockets: scripted caller actions (open a stream,
// send a frame, say goodbye) alternate with scripted receiver bytes built by
// the encoder. Each script is run with the receiver's bytes in one piece and
// then cut in every way (every single cut, every chunk size down to one
// byte, and every two cuts for the longest script) and must give the same
// events, the same bytes to send and the same counts every time (nghttp2's
// scripted_data_feed). A cut never crosses from one step's replies into the
// next: a receiver cannot answer what has not been sent yet. Also: the
// window, resume, settlement, local misuse, one test per protocol violation,
// and a whole conversation with a real ReceiverSession.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "net/sender_session.hpp"
#include "protocol/codec_test_support.hpp"
#include "support/session_rig.hpp"

namespace framewire::test {
namespace {

using net::SenderEvent;
using net::SenderSession;
using State = net::SenderSession::State;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// --- building receiver bytes and expected events -----------------------------

Bytes pattern(std::size_t size, std::uint8_t seed) {
  Bytes data(size);
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<std::uint8_t>(seed * 11 + i * 7);
  return data;
}

std::uint64_t xxh3(const Bytes& data) {
  return XXH3_64bits(data.data(), data.size());
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) append(out, part);
  return out;
}

protocol::HelloOk hello_ok(std::uint64_t window_bytes = 1 << 20, std::uint32_t window_frames = 64,
                           std::uint64_t max_frame_bytes = 1 << 20) {
  return protocol::HelloOk{.version = protocol::kVersion,
                           .features = protocol::kFeaturesNone,
                           .max_frame_bytes = max_frame_bytes,
                           .window_bytes = window_bytes,
                           .window_frames = window_frames,
                           .agent = "test-receiver"};
}

Bytes opened(std::uint32_t id, std::uint64_t next_sequence = 0, std::string last = "") {
  return encode(protocol::StreamOpened{
      .stream_id = id, .next_sequence = next_sequence, .last_file_name = std::move(last)});
}

Bytes ack(std::vector<protocol::AckEntry> entries) {
  return encode(protocol::Ack{.entries = std::move(entries)});
}

Bytes rejected(std::uint32_t id, std::uint64_t sequence,
               protocol::WireError code = protocol::WireError::kConflict) {
  return encode(protocol::FrameRejected{
      .stream_id = id, .sequence = sequence, .code = code, .message = "no"});
}

net::HelloAccepted accepted(std::uint64_t window_bytes = 1 << 20, std::uint32_t window_frames = 64,
                            std::uint64_t max_frame_bytes = 1 << 20) {
  return net::HelloAccepted{.max_frame_bytes = max_frame_bytes,
                            .window_bytes = window_bytes,
                            .window_frames = window_frames,
                            .agent = "test-receiver"};
}

net::StreamOpened stream_opened(std::uint32_t id, std::uint64_t next = 0, std::string last = "") {
  return net::StreamOpened{.stream_id = id, .next_sequence = next, .last_file_name = last};
}

net::Acked acked(std::uint32_t id, std::uint64_t through,
                 std::vector<net::SettledFrame> stored = {}) {
  return net::Acked{.stream_id = id, .through_sequence = through, .stored = std::move(stored)};
}

std::string describe(const SenderEvent& event) {
  return std::visit(
      Overloaded{
          [](const net::HelloAccepted& e) {
            return "HelloAccepted(max " + std::to_string(e.max_frame_bytes) + ", window " +
                   std::to_string(e.window_frames) + "/" + std::to_string(e.window_bytes) + ")";
          },
          [](const net::StreamOpened& e) {
            return "StreamOpened(" + std::to_string(e.stream_id) + ", " +
                   std::to_string(e.next_sequence) + ", \"" + e.last_file_name + "\")";
          },
          [](const net::Acked& e) {
            std::string text = "Acked(" + std::to_string(e.stream_id) + " through " +
                               std::to_string(e.through_sequence) + ":";
            for (const auto& f : e.stored) {
              text += " " + std::to_string(f.sequence) + "/" + std::to_string(f.bytes) + "/t" +
                      std::to_string(f.token);
            }
            return text + ")";
          },
          [](const net::Rejected& e) {
            return "Rejected(" + std::to_string(e.stream_id) + " seq " +
                   std::to_string(e.sequence) + " t" + std::to_string(e.token) + " " +
                   code_name(e.code) + ")";
          },
          [](const net::ReceiverError& e) {
            return "ReceiverError(" + code_name(e.code) + ": " + e.message + ")";
          },
          [](const net::ReceiverGoodbye&) { return std::string("ReceiverGoodbye"); },
          [](const net::ProtocolViolation& e) {
            return "ProtocolViolation(" + code_name(e.code) + ": " + e.message + ")";
          },
      },
      event);
}

std::string describe(const std::vector<SenderEvent>& events) {
  std::string text;
  for (const auto& event : events) text += "\n  " + describe(event);
  return text;
}

// --- scripts -------------------------------------------------------------------

// What the caller does before the receiver's next bytes arrive.
using Action = std::function<void(SenderSession&, Bytes&)>;

struct Step {
  Action act;     // may be empty
  Bytes replies;  // the receiver's answer to everything sent so far
};

Action start() {
  return [](SenderSession& s, Bytes& out) { ASSERT_TRUE(s.start(out)); };
}

Action open(std::uint32_t id, std::string name) {
  return [=](SenderSession& s, Bytes& out) {
    const Status status = s.open_stream(id, name, "visible", out);
    ASSERT_TRUE(status) << status.to_string();
  };
}

// A whole frame: header, the data (written by the caller), checksum.
Action send(std::uint32_t id, std::string name, Bytes data, net::FrameToken token) {
  return [=](SenderSession& s, Bytes& out) {
    auto sequence = s.begin_frame(id, name, data.size(), 1'700'000'000'000'000'000, token, out);
    ASSERT_TRUE(sequence) << sequence.status().to_string();
    append(out, data);
    const Status status = s.end_frame(xxh3(data), out);
    ASSERT_TRUE(status) << status.to_string();
  };
}

// Only the header and half the data: the frame stays open.
Action begin_only(std::uint32_t id, std::string name, std::size_t bytes, net::FrameToken token) {
  return [=](SenderSession& s, Bytes& out) {
    auto sequence = s.begin_frame(id, name, bytes, 1, token, out);
    ASSERT_TRUE(sequence) << sequence.status().to_string();
    append(out, pattern(bytes / 2, 9));
  };
}

Action bye() {
  return [](SenderSession& s, Bytes& out) {
    const Status status = s.goodbye(out);
    ASSERT_TRUE(status) << status.to_string();
  };
}

Action all(std::vector<Action> actions) {
  return [=](SenderSession& s, Bytes& out) {
    for (const Action& action : actions) action(s, out);
  };
}

// HELLO answered by HELLO_OK, stream 1 "cam/a" opened from scratch.
std::vector<Step> opening(Bytes hello_reply = encode(hello_ok())) {
  return {{start(), std::move(hello_reply)}, {open(1, "cam/a"), opened(1)}};
}

std::vector<Step> operator+(std::vector<Step> a, const std::vector<Step>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Everything a run produced, comparable across splits.
struct ScriptRun {
  std::vector<SenderEvent> events;
  Bytes sent;
  State state = State::kNew;
  std::string failure;
  std::uint64_t in_flight_frames = 0;
  std::uint64_t in_flight_bytes = 0;
  std::uint64_t frames_stored = 0;
  std::uint64_t frames_rejected = 0;
  bool operator==(const ScriptRun&) const = default;
};

std::size_t reply_bytes(const std::vector<Step>& steps) {
  std::size_t n = 0;
  for (const Step& step : steps) n += step.replies.size();
  return n;
}

// Runs the script, feeding the replies cut at the absolute positions `cuts`
// (sorted) as well as at every step's end.
ScriptRun run_script(const std::vector<Step>& steps, const std::vector<std::size_t>& cuts,
                     net::SenderSessionOptions options = {}) {
  SenderSession session(std::move(options));
  ScriptRun run;
  std::size_t base = 0;
  auto cut = cuts.begin();
  for (const Step& step : steps) {
    if (step.act) step.act(session, run.sent);
    const std::size_t n = step.replies.size();
    std::size_t at = 0;
    while (at < n) {
      while (cut != cuts.end() && *cut <= base + at) ++cut;
      const std::size_t end = cut != cuts.end() && *cut < base + n ? *cut - base : n;
      session.consume(std::span<const std::uint8_t>(step.replies.data() + at, end - at),
                      run.events);
      at = end;
    }
    base += n;
  }
  run.state = session.state();
  run.failure = session.failure().to_string();
  run.in_flight_frames = session.in_flight_frames();
  run.in_flight_bytes = session.in_flight_bytes();
  run.frames_stored = session.frames_stored();
  run.frames_rejected = session.frames_rejected();
  return run;
}

// Every single cut, every uniform chunk size down to 1 byte, and with
// `two_cuts` every pair of cuts.
std::vector<std::vector<std::size_t>> all_cuts(std::size_t n, bool two_cuts) {
  std::vector<std::vector<std::size_t>> splits;
  for (std::size_t i = 1; i < n; ++i) splits.push_back({i});
  for (std::size_t k = 1; k < n; ++k) {
    std::vector<std::size_t> cuts;
    for (std::size_t at = k; at < n; at += k) cuts.push_back(at);
    splits.push_back(std::move(cuts));
  }
  if (two_cuts) {
    for (std::size_t i = 1; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j) splits.push_back({i, j});
    }
  }
  return splits;
}

std::string describe_cuts(const std::vector<std::size_t>& cuts) {
  std::string text = "cuts at:";
  for (std::size_t i = 0; i < cuts.size() && i < 10; ++i) text += " " + std::to_string(cuts[i]);
  if (cuts.size() > 10) text += " ... (" + std::to_string(cuts.size()) + " cuts)";
  return text;
}

// Runs the script whole, checks its events, then in every split.
ScriptRun expect_every_split(const std::vector<Step>& steps,
                             const std::vector<SenderEvent>& expected, bool two_cuts = false,
                             net::SenderSessionOptions options = {}) {
  const ScriptRun whole = run_script(steps, {}, options);
  EXPECT_TRUE(whole.events == expected)
      << "got:" << describe(whole.events) << "\nexpected:" << describe(expected);
  int failures = 0;
  for (const auto& cuts : all_cuts(reply_bytes(steps), two_cuts)) {
    const ScriptRun run = run_script(steps, cuts, options);
    if (run == whole) continue;
    ADD_FAILURE() << describe_cuts(cuts) << " gave:" << describe(run.events) << "\nstate "
                  << to_string(run.state) << ", " << run.failure;
    if (++failures >= 5) break;
  }
  return whole;
}

// --- whole sessions in every split --------------------------------------------

// Two streams, one resumed; an ACK covering several frames; a rejection
// before the ACK that covers it; an empty frame; GOODBYE both ways.
std::vector<Step> full_session() {
  return {
      {start(), encode(hello_ok())},
      {all({open(1, "cam/visible"), open(2, "cam/infrared")}),
       cat({opened(1), opened(2, 17, "16.raw")})},
      {all({send(1, "0.png", pattern(40, 1), 100), send(2, "17.raw", pattern(13, 2), 200),
            send(1, "1.png", pattern(9, 3), 101), send(1, "2.png", pattern(20, 4), 102),
            send(2, "18.raw", pattern(5, 5), 201)}),
       cat({rejected(1, 1), ack({{1, 2}, {2, 17}})})},
      {all({send(1, "3.png", Bytes{}, 103), bye()}),
       cat({ack({{2, 18}, {1, 3}}), encode(protocol::Goodbye{})})},
  };
}

TEST(SenderSession, WholeSessionGivesTheSameEventsInEverySplit) {
  const ScriptRun run = expect_every_split(
      full_session(),
      {accepted(), stream_opened(1), stream_opened(2, 17, "16.raw"),
       net::Rejected{.stream_id = 1,
                     .sequence = 1,
                     .bytes = 9,
                     .token = 101,
                     .code = ErrorCode::kConflict,
                     .message = "no"},
       acked(1, 2, {{0, 40, 100}, {2, 20, 102}}), acked(2, 17, {{17, 13, 200}}),
       acked(2, 18, {{18, 5, 201}}), acked(1, 3, {{3, 0, 103}}), net::ReceiverGoodbye{}},
      true);
  EXPECT_EQ(run.state, State::kDone);
  EXPECT_EQ(run.in_flight_frames, 0U);
  EXPECT_EQ(run.in_flight_bytes, 0U);
  EXPECT_EQ(run.frames_stored, 5U);
  EXPECT_EQ(run.frames_rejected, 1U);
}

// What the session wrote, plus the caller's frame data, is a client stream
// the receiver's own decoder reads back message for message.
TEST(SenderSession, WhatItSendsDecodesWithTheReceiversDecoder) {
  const ScriptRun run = run_script(full_session(), {});
  const protocol::test::Decoded decoded =
      protocol::test::decode_whole(protocol::Peer::kClient, run.sent);
  ASSERT_FALSE(decoded.error) << decoded.error->message;
  using protocol::test::Checksum;
  using protocol::test::Item;
  auto frame = [](std::uint32_t id, std::uint64_t sequence, std::string name, std::size_t bytes) {
    return Item(
        protocol::Message(protocol::FrameHeader{.stream_id = id,
                                                .sequence = sequence,
                                                .capture_time_ns = 1'700'000'000'000'000'000,
                                                .data_bytes = bytes,
                                                .file_name = std::move(name)}));
  };
  const std::vector<Item> expected = {
      Item(protocol::Message(protocol::Hello{.agent = "framewire/0.1.0"})),
      Item(protocol::Message(
          protocol::OpenStream{.stream_id = 1, .name = "cam/visible", .source_kind = "visible"})),
      Item(protocol::Message(
          protocol::OpenStream{.stream_id = 2, .name = "cam/infrared", .source_kind = "visible"})),
      frame(1, 0, "0.png", 40),
      Item(pattern(40, 1)),
      Item(Checksum{xxh3(pattern(40, 1))}),
      frame(2, 17, "17.raw", 13),
      Item(pattern(13, 2)),
      Item(Checksum{xxh3(pattern(13, 2))}),
      frame(1, 1, "1.png", 9),
      Item(pattern(9, 3)),
      Item(Checksum{xxh3(pattern(9, 3))}),
      frame(1, 2, "2.png", 20),
      Item(pattern(20, 4)),
      Item(Checksum{xxh3(pattern(20, 4))}),
      frame(2, 18, "18.raw", 5),
      Item(pattern(5, 5)),
      Item(Checksum{xxh3(pattern(5, 5))}),
      frame(1, 3, "3.png", 0),
      Item(Checksum{xxh3(Bytes{})}),
      Item(protocol::Message(protocol::Goodbye{})),
  };
  EXPECT_TRUE(decoded.items == expected);
  ASSERT_EQ(decoded.items.size(), expected.size());
}

TEST(SenderSession, HelloCarriesAgentAndSenderIdAndOffersVersionOne) {
  net::SenderSessionOptions options;
  options.agent = std::string(100, 'a');  // over the cap: cut, never malformed
  for (std::size_t i = 0; i < options.sender_id.size(); ++i) {
    options.sender_id[i] = static_cast<std::uint8_t>(0x30 + i);
  }
  SenderSession session(options);
  EXPECT_EQ(session.state(), State::kNew);
  Bytes out;
  ASSERT_TRUE(session.start(out));
  EXPECT_EQ(session.state(), State::kAwaitingHelloOk);
  const protocol::test::Decoded decoded =
      protocol::test::decode_whole(protocol::Peer::kClient, out);
  ASSERT_FALSE(decoded.error) << decoded.error->message;
  ASSERT_EQ(decoded.items.size(), 1U);
  const auto& hello = std::get<protocol::Hello>(std::get<protocol::Message>(decoded.items[0]));
  EXPECT_EQ(hello.min_version, 1);
  EXPECT_EQ(hello.max_version, 1);
  EXPECT_EQ(hello.features, protocol::kFeaturesNone);
  EXPECT_EQ(hello.agent, std::string(protocol::kMaxAgentBytes, 'a'));
  EXPECT_EQ(hello.sender_id, options.sender_id);
  EXPECT_EQ(session.start(out).code(), ErrorCode::kInternal);  // only once
}

TEST(SenderSession, ReceiverErrorMidSessionInEverySplit) {
  const ScriptRun run = expect_every_split(
      opening() +
          std::vector<Step>{
              {all({send(1, "0.png", pattern(10, 1), 7), send(1, "1.png", pattern(10, 2), 8)}),
               cat({ack({{1, 0}}),
                    encode(protocol::ErrorMessage{.code = protocol::WireError::kShuttingDown,
                                                  .message = "stopping"}),
                    // Ignored: the receiver closes after ERROR.
                    Bytes{0xff, 0xff}})}},
      {accepted(), stream_opened(1), acked(1, 0, {{0, 10, 7}}),
       net::ReceiverError{.code = ErrorCode::kShuttingDown, .message = "stopping"}});
  EXPECT_EQ(run.state, State::kFailed);
  EXPECT_EQ(run.failure, "shutting_down: receiver: stopping");
  EXPECT_EQ(run.in_flight_frames, 1U);
}

TEST(SenderSession, ErrorInsteadOfHelloOkInEverySplit) {
  const ScriptRun run = expect_every_split(
      {{start(), encode(protocol::ErrorMessage{.code = protocol::WireError::kUnsupportedVersion,
                                               .message = "speaks 2 only"})}},
      {net::ReceiverError{.code = ErrorCode::kUnsupportedVersion, .message = "speaks 2 only"}});
  EXPECT_EQ(run.state, State::kFailed);
  EXPECT_EQ(run.failure, "unsupported_version: receiver: speaks 2 only");
}

TEST(SenderSession, ReceiverErrorWithCodeZeroIsStillAFailure) {
  SenderSession session;
  Bytes out;
  ASSERT_TRUE(session.start(out));
  std::vector<SenderEvent> events;
  session.consume(
      encode(protocol::ErrorMessage{.code = protocol::WireError::kOk, .message = "odd"}), events);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(std::get<net::ReceiverError>(events[0]).code, ErrorCode::kOk);  // as sent
  EXPECT_FALSE(session.failure());
  EXPECT_EQ(session.failure().code(), ErrorCode::kUnexpectedMessage);
}

// --- window -----------------------------------------------------------------------

// A session with stream 1 open, fed by hand.
struct Opened {
  explicit Opened(protocol::HelloOk hello = hello_ok(), net::SenderSessionOptions options = {},
                  std::uint64_t next_sequence = 0, std::string last = "")
      : session(std::move(options)) {
    EXPECT_TRUE(session.start(out));
    feed(encode(hello));
    EXPECT_TRUE(session.open_stream(1, "cam/a", "visible", out));
    feed(opened(1, next_sequence, std::move(last)));
    events.clear();
  }
  void feed(const Bytes& bytes) { session.consume(bytes, events); }
  Result<std::uint64_t> send(std::size_t bytes, net::FrameToken token = 0,
                             std::uint32_t stream = 1) {
    auto sequence = session.begin_frame(stream, "f.png", bytes, 0, token, out);
    if (!sequence) return sequence;
    append(out, pattern(bytes, 1));
    EXPECT_TRUE(session.end_frame(xxh3(pattern(bytes, 1)), out));
    return sequence;
  }

  SenderSession session;
  Bytes out;
  std::vector<SenderEvent> events;
};

TEST(SenderSession, WindowCountsFramesAndBytesInFlight) {
  Opened s(hello_ok(100, 3));
  EXPECT_TRUE(s.session.can_send(1, 40));
  ASSERT_TRUE(s.send(40));
  ASSERT_TRUE(s.send(40));
  EXPECT_EQ(s.session.in_flight_frames(), 2U);
  EXPECT_EQ(s.session.in_flight_bytes(), 80U);
  EXPECT_EQ(s.session.check_send(1, 21).code(), ErrorCode::kWindowExceeded);  // 101 bytes
  EXPECT_TRUE(s.session.can_send(1, 20));                                     // exactly 100
  ASSERT_TRUE(s.send(20));
  EXPECT_EQ(s.session.check_send(1, 0).code(), ErrorCode::kWindowExceeded);  // a 4th frame
  const Bytes before = s.out;
  EXPECT_EQ(s.send(0).status().code(), ErrorCode::kWindowExceeded);
  EXPECT_EQ(s.out, before);  // refused: nothing written
  EXPECT_EQ(s.session.frames_started(), 3U);

  s.feed(ack({{1, 0}}));  // the first 40 bytes leave the window
  EXPECT_EQ(s.session.in_flight_frames(), 2U);
  EXPECT_EQ(s.session.in_flight_bytes(), 60U);
  EXPECT_TRUE(s.session.can_send(1, 40));
  EXPECT_FALSE(s.session.can_send(1, 41));
}

TEST(SenderSession, FrameLargerThanTheWindowTravelsAlone) {
  Opened s(hello_ok(100, 8));
  EXPECT_TRUE(s.session.can_send(1, 500));
  ASSERT_TRUE(s.send(500));
  EXPECT_EQ(s.session.in_flight_bytes(), 500U);
  // Nothing joins it, not even an empty frame, until its ACK.
  EXPECT_EQ(s.session.check_send(1, 0).code(), ErrorCode::kWindowExceeded);
  s.feed(ack({{1, 0}}));
  EXPECT_EQ(s.session.in_flight_frames(), 0U);
  EXPECT_TRUE(s.session.can_send(1, 100));
}

TEST(SenderSession, TheSmallerOfBothWindowsIsKept) {
  Opened s(hello_ok(1000, 64), net::SenderSessionOptions{.window_bytes = 5000, .window_frames = 2});
  EXPECT_EQ(s.session.window_bytes(), 1000U);
  EXPECT_EQ(s.session.window_frames(), 2U);
  ASSERT_TRUE(s.send(1));
  ASSERT_TRUE(s.send(1));
  EXPECT_FALSE(s.session.can_send(1, 1));

  // The receiver's HELLO_OK reports the window in force.
  SenderSession session(net::SenderSessionOptions{.window_bytes = 10, .window_frames = 100});
  Bytes out;
  ASSERT_TRUE(session.start(out));
  std::vector<SenderEvent> events;
  session.consume(encode(hello_ok(1000, 64, 77)), events);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_TRUE(events[0] == SenderEvent(accepted(10, 64, 77))) << describe(events);
}

TEST(SenderSession, MaxFrameBytesIsTheReceiversAndNeverAboveTheProtocolLimit) {
  Opened s(hello_ok(1 << 20, 64, 10));
  EXPECT_TRUE(s.session.can_send(1, 10));
  EXPECT_EQ(s.session.check_send(1, 11).code(), ErrorCode::kFrameTooLarge);

  Opened huge(hello_ok(1 << 20, 64, std::numeric_limits<std::uint64_t>::max()));
  EXPECT_EQ(huge.session.max_frame_bytes(), protocol::kMaxFrameBytesLimit);
  EXPECT_EQ(huge.session.check_send(1, protocol::kMaxFrameBytesLimit + 1).code(),
            ErrorCode::kFrameTooLarge);
}

// --- resume and settlement ----------------------------------------------------------

TEST(SenderSession, FramesAreNumberedFromTheReceiversNextSequence) {
  Opened s(hello_ok(), {}, 41, "40.png");
  EXPECT_EQ(s.session.next_sequence(1), 41U);
  EXPECT_EQ(s.send(3).value(), 41U);
  EXPECT_EQ(s.send(3).value(), 42U);
  EXPECT_EQ(s.session.next_sequence(1), 43U);
  EXPECT_EQ(s.session.next_sequence(2), std::nullopt);  // never opened

  // Streams are numbered independently.
  ASSERT_TRUE(s.session.open_stream(2, "cam/b", "infrared", s.out));
  EXPECT_FALSE(s.session.stream_ready(2));
  s.feed(opened(2));
  ASSERT_TRUE(s.session.stream_ready(2));
  EXPECT_EQ(s.send(3, 0, 2).value(), 0U);
  EXPECT_EQ(s.send(3).value(), 43U);
}

TEST(SenderSession, ResumePositionIsReportedAsSent) {
  Opened s(hello_ok());
  ASSERT_TRUE(s.session.open_stream(2, "cam/b", "infrared", s.out));
  s.feed(opened(2, 1000, "999.png"));
  ASSERT_EQ(s.events.size(), 1U);
  EXPECT_TRUE(s.events[0] == SenderEvent(stream_opened(2, 1000, "999.png"))) << describe(s.events);
}

TEST(SenderSession, OneAckCoveringSeveralFramesNamesEveryToken) {
  Opened s;
  for (net::FrameToken token = 10; token < 15; ++token) ASSERT_TRUE(s.send(token, token));
  s.feed(ack({{1, 3}}));
  ASSERT_EQ(s.events.size(), 1U);
  EXPECT_TRUE(s.events[0] ==
              SenderEvent(acked(1, 3, {{0, 10, 10}, {1, 11, 11}, {2, 12, 12}, {3, 13, 13}})))
      << describe(s.events);
  EXPECT_EQ(s.session.in_flight_frames(), 1U);
  EXPECT_EQ(s.session.in_flight_bytes(), 14U);
  EXPECT_EQ(s.session.frames_stored(), 4U);
  EXPECT_EQ(s.session.bytes_stored(), 46U);

  // The same value again settles nothing new and is no violation.
  s.events.clear();
  s.feed(ack({{1, 3}}));
  ASSERT_EQ(s.events.size(), 1U);
  EXPECT_TRUE(s.events[0] == SenderEvent(acked(1, 3))) << describe(s.events);
  EXPECT_EQ(s.session.state(), State::kReady);
}

TEST(SenderSession, RejectedFrameLeavesTheWindowOnlyWithTheAckCoveringIt) {
  Opened s(hello_ok(100, 2));
  ASSERT_TRUE(s.send(30, 7));
  ASSERT_TRUE(s.send(30, 8));
  s.feed(rejected(1, 0, protocol::WireError::kChecksumMismatch));
  ASSERT_EQ(s.events.size(), 1U);
  EXPECT_TRUE(s.events[0] == SenderEvent(net::Rejected{.stream_id = 1,
                                                       .sequence = 0,
                                                       .bytes = 30,
                                                       .token = 7,
                                                       .code = ErrorCode::kChecksumMismatch,
                                                       .message = "no"}))
      << describe(s.events);
  // Still in flight for the window (PROTOCOL.md 5.4).
  EXPECT_EQ(s.session.in_flight_frames(), 2U);
  EXPECT_FALSE(s.session.can_send(1, 1));
  s.feed(ack({{1, 1}}));
  ASSERT_EQ(s.events.size(), 2U);
  EXPECT_TRUE(s.events[1] == SenderEvent(acked(1, 1, {{1, 30, 8}}))) << describe(s.events);
  EXPECT_EQ(s.session.in_flight_frames(), 0U);
  EXPECT_EQ(s.session.frames_stored(), 1U);
  EXPECT_EQ(s.session.frames_rejected(), 1U);
}

// A code of a later protocol version is accepted (PROTOCOL.md 4.8) and shown
// as its number; its public code is kInternal (protocol::from_wire).
TEST(SenderSession, RejectionCodesOfLaterVersionsAreInternalWithTheirNumber) {
  Opened s;
  ASSERT_TRUE(s.send(1, 5));
  s.feed(rejected(1, 0, protocol::WireError{999}));
  ASSERT_EQ(s.events.size(), 1U);
  EXPECT_EQ(std::get<net::Rejected>(s.events[0]).code, ErrorCode::kInternal);
  EXPECT_EQ(std::get<net::Rejected>(s.events[0]).message, "unknown error code 999: no");
  EXPECT_EQ(s.session.state(), State::kReady);
}

TEST(SenderSession, ReceiverErrorWithAnUnknownCodeIsFatalAndShowsTheNumber) {
  Opened s;
  // 23 is kCancelled's public number; on the wire it is nobody's code yet.
  s.feed(encode(protocol::ErrorMessage{.code = protocol::WireError{23}, .message = "new"}));
  ASSERT_EQ(s.events.size(), 1U);
  EXPECT_TRUE(s.events[0] ==
              SenderEvent(net::ReceiverError{.code = ErrorCode::kInternal,
                                             .message = "unknown error code 23: new"}))
      << describe(s.events);
  EXPECT_EQ(s.session.state(), State::kFailed);
  EXPECT_EQ(s.session.failure().to_string(), "internal: receiver: unknown error code 23: new");
  EXPECT_FALSE(s.session.failure().retryable());
}

TEST(SenderSession, AbortWithCancelledSendsTheWiresInternalCode) {
  Opened s;
  Bytes out;
  ASSERT_TRUE(s.session.abort(Status(ErrorCode::kCancelled, "cancelled by the user"), out));
  EXPECT_EQ(s.session.failure().code(), ErrorCode::kCancelled);  // locally, what happened
  // After the HELLO and OPEN_STREAM already written, as the receiver reads it.
  const protocol::test::Decoded decoded =
      protocol::test::decode_whole(protocol::Peer::kClient, cat({s.out, out}));
  ASSERT_FALSE(decoded.error);
  EXPECT_TRUE(decoded.items.back() ==
              protocol::test::Item(protocol::Message(protocol::ErrorMessage{
                  .code = protocol::WireError::kInternal, .message = "cancelled by the user"})));
}

TEST(SenderSession, StreamsMayOpenBetweenFramesAndAnswersMayComeAfterGoodbye) {
  Opened s;
  ASSERT_TRUE(s.send(5, 1));
  ASSERT_TRUE(s.session.open_stream(2, "cam/b", "visible", s.out));
  ASSERT_TRUE(s.session.goodbye(s.out));
  EXPECT_EQ(s.session.state(), State::kDraining);
  s.feed(cat({ack({{1, 0}}), opened(2), encode(protocol::Goodbye{})}));
  EXPECT_EQ(s.session.state(), State::kDone) << s.session.failure().to_string();
  EXPECT_TRUE(s.events.back() == SenderEvent(net::ReceiverGoodbye{})) << describe(s.events);
}

// --- local misuse: refused, and nothing written -------------------------------------

TEST(SenderSession, CallsOutOfOrderAreRefusedWithoutWritingAnything) {
  SenderSession session;
  Bytes out;
  EXPECT_EQ(session.open_stream(1, "a", "visible", out).code(), ErrorCode::kInternal);
  EXPECT_EQ(session.goodbye(out).code(), ErrorCode::kInternal);
  EXPECT_FALSE(session.abort(Status(ErrorCode::kInternal, "x"), out));  // no ERROR before HELLO
  EXPECT_TRUE(out.empty());

  Opened s;
  const std::size_t sent = s.out.size();
  EXPECT_EQ(s.session.end_frame(0, s.out).code(), ErrorCode::kInternal);  // no frame open
  EXPECT_EQ(s.session.begin_frame(9, "a", 1, 0, 0, s.out).status().code(), ErrorCode::kBadStream);
  EXPECT_EQ(s.session.begin_frame(1, "", 1, 0, 0, s.out).status().code(), ErrorCode::kBadName);
  EXPECT_EQ(s.session.begin_frame(1, std::string(256, 'a'), 1, 0, 0, s.out).status().code(),
            ErrorCode::kBadName);
  ASSERT_TRUE(s.session.open_stream(2, "cam/b", "visible", s.out));
  const std::size_t after_open = s.out.size();
  EXPECT_EQ(s.session.begin_frame(2, "a", 1, 0, 0, s.out).status().code(),
            ErrorCode::kBadStream);  // no STREAM_OPENED yet
  EXPECT_EQ(s.session.open_stream(2, "cam/c", "visible", s.out).code(), ErrorCode::kBadStream);
  EXPECT_EQ(s.session.open_stream(3, "cam/a", "visible", s.out).code(), ErrorCode::kStreamBusy);
  EXPECT_EQ(s.session.open_stream(3, "", "visible", s.out).code(), ErrorCode::kBadName);
  EXPECT_EQ(s.session.open_stream(3, std::string(1025, 'n'), "visible", s.out).code(),
            ErrorCode::kBadName);
  EXPECT_EQ(s.session.open_stream(3, "cam/c", "", s.out).code(), ErrorCode::kBadName);
  EXPECT_EQ(s.session.open_stream(3, "cam/c", std::string(33, 'k'), s.out).code(),
            ErrorCode::kBadName);
  EXPECT_EQ(s.out.size(), after_open);
  EXPECT_GT(after_open, sent);

  ASSERT_TRUE(s.session.begin_frame(1, "a", 4, 0, 0, s.out));
  const std::size_t inside = s.out.size();
  EXPECT_EQ(s.session.begin_frame(1, "b", 4, 0, 0, s.out).status().code(), ErrorCode::kInternal);
  EXPECT_EQ(s.session.goodbye(s.out).code(), ErrorCode::kInternal);
  EXPECT_EQ(s.session.open_stream(3, "cam/c", "visible", s.out).code(), ErrorCode::kInternal);
  EXPECT_EQ(s.out.size(), inside);
  EXPECT_TRUE(s.session.inside_frame());
  append(s.out, Bytes{1, 2, 3, 4});
  ASSERT_TRUE(s.session.end_frame(0, s.out));
  ASSERT_TRUE(s.session.goodbye(s.out));
  EXPECT_EQ(s.session.begin_frame(1, "c", 0, 0, 0, s.out).status().code(), ErrorCode::kInternal);
  EXPECT_EQ(s.session.goodbye(s.out).code(), ErrorCode::kInternal);
}

TEST(SenderSession, SixtyFifthStreamIsRefused) {
  Opened s;  // stream 1 is the first
  for (std::uint32_t id = 2; id <= net::kMaxStreamsPerConnection; ++id) {
    ASSERT_TRUE(s.session.open_stream(id, "s" + std::to_string(id), "visible", s.out));
  }
  EXPECT_EQ(s.session.open_stream(100, "one-more", "visible", s.out).code(),
            ErrorCode::kTooManyStreams);
}

TEST(SenderSession, SequencesStopBelowTwoToTheSixtyFour) {
  Opened last(hello_ok(), {}, net::kMaxFrameSequence, "x.png");
  EXPECT_EQ(last.send(1).value(), net::kMaxFrameSequence);
  EXPECT_EQ(last.send(1).status().code(), ErrorCode::kBadSequence);
  last.feed(ack({{1, net::kMaxFrameSequence}}));
  EXPECT_EQ(last.session.in_flight_frames(), 0U);
  EXPECT_EQ(last.session.check_send(1, 0).code(), ErrorCode::kBadSequence);

  Opened none(hello_ok(), {}, std::numeric_limits<std::uint64_t>::max(), "y.png");
  EXPECT_EQ(none.session.check_send(1, 0).code(), ErrorCode::kBadSequence);
}

// --- ending from this side ------------------------------------------------------------

TEST(SenderSession, AbortWritesErrorOnlyOutsideAFrame) {
  Opened s;
  Bytes out;
  EXPECT_TRUE(s.session.abort(Status(ErrorCode::kStorageError, "cannot read 3.png"), out));
  EXPECT_EQ(s.session.state(), State::kFailed);
  EXPECT_EQ(s.session.failure().code(), ErrorCode::kStorageError);
  protocol::test::Decoded decoded =
      protocol::test::decode_whole(protocol::Peer::kClient, cat({s.out, out}));
  ASSERT_FALSE(decoded.error);
  EXPECT_TRUE(decoded.items.back() ==
              protocol::test::Item(protocol::Message(protocol::ErrorMessage{
                  .code = protocol::WireError::kStorageError, .message = "cannot read 3.png"})));
  EXPECT_FALSE(s.session.abort(Status(ErrorCode::kInternal, "again"), out));  // once
  EXPECT_EQ(s.session.failure().code(), ErrorCode::kStorageError);            // the first reason
  // Calls after the end return the failure.
  EXPECT_EQ(s.session.begin_frame(1, "a", 0, 0, 0, out).status().code(), ErrorCode::kStorageError);

  Opened inside;
  ASSERT_TRUE(inside.session.begin_frame(1, "a", 100, 0, 0, inside.out));
  Bytes nothing;
  EXPECT_FALSE(inside.session.abort(Status(ErrorCode::kStorageError, "file shrank"), nothing));
  EXPECT_TRUE(nothing.empty());  // it would be read as frame data: just close
  EXPECT_EQ(inside.session.state(), State::kFailed);
  EXPECT_EQ(inside.session.end_frame(0, nothing).code(), ErrorCode::kStorageError);
  EXPECT_TRUE(nothing.empty());
}

// The receiver breaks the protocol while a frame's data is being written:
// the caller finishes writing the data it had, end_frame() refuses, and no
// ERROR may follow, since the receiver would read it as the checksum.
TEST(SenderSession, ViolationInsideAFrameIsNeverAnsweredIntoTheFrame) {
  Opened s;
  ASSERT_TRUE(s.session.begin_frame(1, "a", 8, 0, 0, s.out));
  s.feed(encode(hello_ok()));  // a second HELLO_OK
  ASSERT_EQ(s.session.state(), State::kFailed);
  append(s.out, pattern(8, 1));
  const std::size_t sent = s.out.size();
  EXPECT_EQ(s.session.end_frame(0, s.out).code(), ErrorCode::kUnexpectedMessage);
  EXPECT_TRUE(s.session.inside_frame());
  EXPECT_FALSE(s.session.abort(s.session.failure(), s.out));
  EXPECT_EQ(s.out.size(), sent);
}

// Found by sender_session_fuzz: a receiver that broke the protocol after
// our GOODBYE got an ERROR behind it, which the receiver reads as bytes
// after GOODBYE.
TEST(SenderSession, NothingIsWrittenAfterOurGoodbye) {
  Opened s;
  ASSERT_TRUE(s.send(3));
  ASSERT_TRUE(s.session.goodbye(s.out));
  s.feed(encode(protocol::Goodbye{}));  // with a frame unacknowledged
  ASSERT_EQ(s.session.state(), State::kFailed);
  const std::size_t sent = s.out.size();
  EXPECT_FALSE(s.session.abort(s.session.failure(), s.out));
  EXPECT_EQ(s.out.size(), sent);

  Opened local;
  ASSERT_TRUE(local.session.goodbye(local.out));
  EXPECT_FALSE(local.session.abort(Status(ErrorCode::kInternal, "giving up"), local.out));
  EXPECT_EQ(local.session.state(), State::kFailed);
}

TEST(SenderSession, NoErrorIsWrittenAfterTheReceiversErrorOrGoodbye) {
  Opened error;
  error.feed(
      encode(protocol::ErrorMessage{.code = protocol::WireError::kTimeout, .message = "idle"}));
  Bytes out;
  EXPECT_FALSE(error.session.abort(Status(ErrorCode::kInternal, "x"), out));
  EXPECT_EQ(error.session.failure().code(), ErrorCode::kTimeout);

  Opened done;
  ASSERT_TRUE(done.session.goodbye(done.out));
  done.feed(encode(protocol::Goodbye{}));
  ASSERT_EQ(done.session.state(), State::kDone);
  EXPECT_FALSE(done.session.abort(Status(ErrorCode::kInternal, "x"), out));
  EXPECT_EQ(done.session.state(), State::kDone);
  EXPECT_TRUE(out.empty());
}

// --- protocol violations: one test each ------------------------------------------------

// Runs the script in every split; its events must be `before` and then one
// ProtocolViolation with `code` and a message containing `text`. After it the
// session is failed, ignores further bytes, and abort() answers with an
// ERROR of that code that the receiver's decoder reads.
void expect_violation(const std::vector<Step>& steps, std::vector<SenderEvent> before,
                      ErrorCode code, const std::string& text) {
  const ScriptRun whole = run_script(steps, {});
  ASSERT_FALSE(whole.events.empty());
  const auto* violation = std::get_if<net::ProtocolViolation>(&whole.events.back());
  ASSERT_NE(violation, nullptr) << "no violation; got:" << describe(whole.events);
  EXPECT_EQ(violation->code, code) << violation->message;
  EXPECT_NE(violation->message.find(text), std::string::npos) << violation->message;
  before.push_back(*violation);
  expect_every_split(steps, before);

  // Replay and end the session the way the Asio sender would.
  SenderSession session;
  Bytes sent;
  std::vector<SenderEvent> events;
  for (const Step& step : steps) {
    if (step.act) step.act(session, sent);
    session.consume(step.replies, events);
  }
  ASSERT_EQ(session.state(), State::kFailed);
  EXPECT_EQ(session.failure().code(), code);
  const std::size_t count = events.size();
  session.consume(encode(protocol::Goodbye{}), events);
  EXPECT_EQ(events.size(), count) << "events after a violation";
  Bytes error;
  // No ERROR inside a frame (it would be frame data), after our GOODBYE, to
  // a receiver that has said GOODBYE and closed, nor before HELLO (the
  // receiver would take us for a stranger).
  const protocol::test::Decoded ours = protocol::test::decode_whole(protocol::Peer::kClient, sent);
  const bool said_goodbye =
      std::any_of(ours.items.begin(), ours.items.end(), [](const protocol::test::Item& item) {
        const auto* message = std::get_if<protocol::Message>(&item);
        return message != nullptr && std::holds_alternative<protocol::Goodbye>(*message);
      });
  const bool receiver_left = std::any_of(events.begin(), events.end(), [](const auto& event) {
    return std::holds_alternative<net::ReceiverGoodbye>(event);
  });
  if (session.inside_frame() || said_goodbye || receiver_left || sent.empty()) {
    EXPECT_FALSE(session.abort(session.failure(), error));
    EXPECT_TRUE(error.empty());
    return;
  }
  ASSERT_TRUE(session.abort(session.failure(), error));
  protocol::MessageDecoder decoder(protocol::Peer::kClient, {});
  Bytes stream = cat({sent, error});
  std::span<const std::uint8_t> input(stream);
  std::optional<protocol::Message> last;
  for (;;) {
    auto event = decoder.next(input);
    if (std::holds_alternative<protocol::NeedMore>(event)) break;
    ASSERT_FALSE(std::holds_alternative<protocol::DecodeError>(event));
    if (auto* message = std::get_if<protocol::Message>(&event)) last = *message;
  }
  ASSERT_TRUE(last.has_value());
  const auto* sent_error = std::get_if<protocol::ErrorMessage>(&*last);
  ASSERT_NE(sent_error, nullptr);
  EXPECT_EQ(sent_error->code, protocol::to_wire(code));
}

const std::vector<SenderEvent> kOpened = {accepted(), stream_opened(1)};

TEST(SenderSessionViolation, BytesBeforeHello) {
  expect_violation({{nullptr, encode(hello_ok())}}, {}, ErrorCode::kUnexpectedMessage,
                   "before our HELLO");
}

TEST(SenderSessionViolation, FirstReplyIsNotHelloOkOrError) {
  expect_violation({{start(), opened(1)}}, {}, ErrorCode::kBadMagic, "not a framewire peer");
}

TEST(SenderSessionViolation, HelloOkWithWrongMagic) {
  Bytes reply = encode(hello_ok());
  reply[8] = 'X';
  expect_violation({{start(), reply}}, {}, ErrorCode::kBadMagic, "magic");
}

TEST(SenderSessionViolation, ClientMessageFromTheReceiver) {
  expect_violation(
      opening() +
          std::vector<Step>{{nullptr, encode(protocol::OpenStream{
                                          .stream_id = 1, .name = "x", .source_kind = "visible"})}},
      kOpened, ErrorCode::kUnknownType, "may not be sent by a server");
}

TEST(SenderSessionViolation, MalformedAck) {
  Bytes bad = protocol::test::raw_message(static_cast<std::uint8_t>(protocol::MessageType::kAck),
                                          Bytes{0, 0});  // count 0
  expect_violation(opening() + std::vector<Step>{{send(1, "0.png", pattern(3, 1), 0), bad}},
                   kOpened, ErrorCode::kMalformed, "count is 0");
}

TEST(SenderSessionViolation, SecondHelloOk) {
  expect_violation(opening() + std::vector<Step>{{nullptr, encode(hello_ok())}}, kOpened,
                   ErrorCode::kUnexpectedMessage, "HELLO_OK sent twice");
}

TEST(SenderSessionViolation, HelloOkChoosesAVersionNotOffered) {
  protocol::HelloOk reply = hello_ok();
  reply.version = 2;
  expect_violation({{start(), encode(reply)}}, {}, ErrorCode::kUnsupportedVersion,
                   "protocol version 2");
}

TEST(SenderSessionViolation, HelloOkGrantsFeaturesNotOffered) {
  protocol::HelloOk reply = hello_ok();
  reply.features = 0x4;
  expect_violation({{start(), encode(reply)}}, {}, ErrorCode::kMalformed, "feature bits 0x4");
}

TEST(SenderSessionViolation, StreamOpenedForAStreamNotOpened) {
  expect_violation(opening() + std::vector<Step>{{nullptr, opened(2)}}, kOpened,
                   ErrorCode::kBadStream, "did not open");
}

TEST(SenderSessionViolation, StreamOpenedTwice) {
  expect_violation(opening() + std::vector<Step>{{nullptr, opened(1)}}, kOpened,
                   ErrorCode::kUnexpectedMessage, "STREAM_OPENED twice");
}

TEST(SenderSessionViolation, StreamOpenedWithNameButNothingStored) {
  expect_violation({{start(), encode(hello_ok())}, {open(1, "cam/a"), opened(1, 0, "7.png")}},
                   {accepted()}, ErrorCode::kMalformed, "next_sequence 0");
}

TEST(SenderSessionViolation, StreamOpenedWithSequenceButNoName) {
  expect_violation({{start(), encode(hello_ok())}, {open(1, "cam/a"), opened(1, 8, "")}},
                   {accepted()}, ErrorCode::kMalformed, "next_sequence 8");
}

TEST(SenderSessionViolation, AckForAStreamNeverOpened) {
  expect_violation(
      opening() + std::vector<Step>{{send(1, "0.png", pattern(3, 1), 0), ack({{1, 0}, {5, 0}})}},
      {accepted(), stream_opened(1), acked(1, 0, {{0, 3, 0}})}, ErrorCode::kBadStream,
      "ACK for stream id 5");
}

TEST(SenderSessionViolation, AckForAStreamNotAnsweredYet) {
  expect_violation({{start(), encode(hello_ok())}, {open(1, "cam/a"), ack({{1, 0}})}}, {accepted()},
                   ErrorCode::kBadStream, "not open");
}

TEST(SenderSessionViolation, AckWhenNothingWasSent) {
  expect_violation(opening() + std::vector<Step>{{nullptr, ack({{1, 0}})}}, kOpened,
                   ErrorCode::kBadSequence, "no frame was sent");
}

TEST(SenderSessionViolation, AckBeyondTheLastFrameSent) {
  expect_violation(opening() + std::vector<Step>{{all({send(1, "0.png", pattern(3, 1), 0),
                                                       send(1, "1.png", pattern(3, 2), 0)}),
                                                  ack({{1, 2}})}},
                   kOpened, ErrorCode::kBadSequence, "beyond the last frame sent (1)");
}

TEST(SenderSessionViolation, AckCoveringTheFrameStillBeingWritten) {
  expect_violation(opening() + std::vector<Step>{{all({send(1, "0.png", pattern(3, 1), 0),
                                                       begin_only(1, "1.png", 10, 0)}),
                                                  ack({{1, 1}})}},
                   kOpened, ErrorCode::kBadSequence, "beyond the last frame sent (0)");
}

TEST(SenderSessionViolation, AckGoesBack) {
  expect_violation(opening() + std::vector<Step>{{all({send(1, "0.png", pattern(3, 1), 4),
                                                       send(1, "1.png", pattern(3, 2), 5)}),
                                                  cat({ack({{1, 1}}), ack({{1, 0}})})}},
                   {accepted(), stream_opened(1), acked(1, 1, {{0, 3, 4}, {1, 3, 5}})},
                   ErrorCode::kBadSequence, "goes back below 1");
}

TEST(SenderSessionViolation, AckBelowTheFirstFrameOfThisConnection) {
  expect_violation({{start(), encode(hello_ok())},
                    {open(1, "cam/a"), opened(1, 10, "9.png")},
                    {send(1, "10.png", pattern(3, 1), 0), ack({{1, 9}})}},
                   {accepted(), stream_opened(1, 10, "9.png")}, ErrorCode::kBadSequence,
                   "goes back below 10");
}

TEST(SenderSessionViolation, RejectionOnAStreamNeverOpened) {
  expect_violation(
      opening() + std::vector<Step>{{send(1, "0.png", pattern(3, 1), 0), rejected(3, 0)}}, kOpened,
      ErrorCode::kBadStream, "FRAME_REJECTED for stream id 3");
}

TEST(SenderSessionViolation, RejectionOfASequenceNeverSent) {
  expect_violation(opening() + std::vector<Step>{{all({send(1, "0.png", pattern(3, 1), 0),
                                                       send(1, "1.png", pattern(3, 2), 0)}),
                                                  rejected(1, 2)}},
                   kOpened, ErrorCode::kBadSequence, "not a sent frame awaiting its ACK");
}

TEST(SenderSessionViolation, RejectionAfterTheAckCoveringTheFrame) {
  expect_violation(opening() + std::vector<Step>{{send(1, "0.png", pattern(3, 1), 6),
                                                  cat({ack({{1, 0}}), rejected(1, 0)})}},
                   {accepted(), stream_opened(1), acked(1, 0, {{0, 3, 6}})},
                   ErrorCode::kBadSequence, "not a sent frame awaiting its ACK");
}

TEST(SenderSessionViolation, RejectionTwice) {
  expect_violation(
      opening() +
          std::vector<Step>{{send(1, "0.png", pattern(3, 1), 6),
                             cat({rejected(1, 0, protocol::WireError::kConflict),
                                  rejected(1, 0, protocol::WireError::kChecksumMismatch)})}},
      {accepted(), stream_opened(1),
       net::Rejected{.stream_id = 1,
                     .sequence = 0,
                     .bytes = 3,
                     .token = 6,
                     .code = ErrorCode::kConflict,
                     .message = "no"}},
      ErrorCode::kUnexpectedMessage, "FRAME_REJECTED twice");
}

TEST(SenderSessionViolation, RejectionOfTheFrameStillBeingWritten) {
  expect_violation(opening() + std::vector<Step>{{begin_only(1, "0.png", 10, 0), rejected(1, 0)}},
                   kOpened, ErrorCode::kBadSequence, "not a sent frame awaiting its ACK");
}

TEST(SenderSessionViolation, RejectionWithCodeOk) {
  expect_violation(opening() + std::vector<Step>{{send(1, "0.png", pattern(3, 1), 0),
                                                  rejected(1, 0, protocol::WireError::kOk)}},
                   kOpened, ErrorCode::kMalformed, "code 0 (ok)");
}

TEST(SenderSessionViolation, GoodbyeBeforeOurs) {
  expect_violation(opening() + std::vector<Step>{{nullptr, encode(protocol::Goodbye{})}}, kOpened,
                   ErrorCode::kUnexpectedMessage, "before this sender did");
}

TEST(SenderSessionViolation, GoodbyeWithFramesNotAcknowledged) {
  expect_violation(
      opening() + std::vector<Step>{{all({send(1, "0.png", pattern(3, 1), 0),
                                          send(1, "1.png", pattern(3, 1), 1), bye()}),
                                     cat({ack({{1, 0}}), encode(protocol::Goodbye{})})}},
      {accepted(), stream_opened(1), acked(1, 0, {{0, 3, 0}})}, ErrorCode::kUnexpectedMessage,
      "1 frames not acknowledged");
}

TEST(SenderSessionViolation, GoodbyeWithAStreamUnanswered) {
  expect_violation(
      opening() + std::vector<Step>{{all({open(2, "cam/b"), bye()}), encode(protocol::Goodbye{})}},
      kOpened, ErrorCode::kUnexpectedMessage, "without answering OPEN_STREAM for stream \"cam/b\"");
}

TEST(SenderSessionViolation, BytesAfterTheReceiversGoodbye) {
  expect_violation(
      opening() + std::vector<Step>{{bye(), cat({encode(protocol::Goodbye{}), Bytes{0x06}})}},
      {accepted(), stream_opened(1), net::ReceiverGoodbye{}}, ErrorCode::kUnexpectedMessage,
      "1 bytes after the receiver's GOODBYE");
}

// --- against the real receiver --------------------------------------------------------------

// Shuttles bytes between a SenderSession and a ReceiverSession (on real
// storage in a temp dir) until neither has anything to say.
struct Conversation {
  Conversation(SessionRig& rig, net::SenderSessionOptions options = {})
      : receiver(rig.session()), sender(std::move(options)) {}

  void exchange(Bytes& to_receiver) {
    while (!to_receiver.empty()) {
      Bytes replies;
      receiver->consume(to_receiver, replies);
      to_receiver.clear();
      sender.consume(replies, events);
    }
  }

  std::unique_ptr<net::ReceiverSession> receiver;
  SenderSession sender;
  std::vector<SenderEvent> events;
};

TEST(SenderSession, TalksToARealReceiverSessionAndResumesOnTheNextConnection) {
  SessionRig rig(
      {.max_frame_bytes = 1 << 16, .window_bytes = 100, .window_frames = 3, .max_streams = 8});
  ASSERT_TRUE(rig.ok());
  std::vector<net::FrameToken> stored;
  std::vector<net::FrameToken> refused;
  auto tally = [&](const std::vector<SenderEvent>& events) {
    for (const auto& event : events) {
      if (const auto* a = std::get_if<net::Acked>(&event)) {
        for (const auto& frame : a->stored) stored.push_back(frame.token);
      } else if (const auto* r = std::get_if<net::Rejected>(&event)) {
        refused.push_back(r->token);
      }
    }
  };
  {
    Conversation c(rig);
    Bytes out;
    ASSERT_TRUE(c.sender.start(out));
    c.exchange(out);
    ASSERT_EQ(c.sender.state(), State::kReady);
    EXPECT_EQ(c.sender.window_frames(), 3U);
    ASSERT_TRUE(c.sender.open_stream(1, "cam/visible", "visible", out));
    c.exchange(out);
    ASSERT_TRUE(c.sender.stream_ready(1));
    // Ten frames of 30 bytes through a window of 3 frames / 100 bytes: the
    // sender waits for ACKs, the receiver never sees the window exceeded.
    // Frame 4 has a wrong checksum.
    for (net::FrameToken i = 0; i < 10; ++i) {
      if (!c.sender.can_send(1, 30)) c.exchange(out);
      ASSERT_TRUE(c.sender.can_send(1, 30)) << c.sender.check_send(1, 30).to_string();
      ASSERT_EQ(c.sender.begin_frame(1, std::to_string(i) + ".png", 30, 0, i, out).value(), i);
      append(out, pattern(30, static_cast<std::uint8_t>(i)));
      ASSERT_TRUE(c.sender.end_frame(
          xxh3(pattern(30, static_cast<std::uint8_t>(i))) ^ (i == 4 ? 1U : 0U), out));
    }
    ASSERT_TRUE(c.sender.goodbye(out));
    c.exchange(out);
    EXPECT_EQ(c.sender.state(), State::kDone) << c.sender.failure().to_string();
    EXPECT_EQ(c.receiver->close_reason(), "goodbye");
    tally(c.events);
    EXPECT_EQ(c.sender.frames_stored(), 9U);
  }
  EXPECT_EQ(stored, (std::vector<net::FrameToken>{0, 1, 2, 3, 5, 6, 7, 8, 9}));
  EXPECT_EQ(refused, std::vector<net::FrameToken>{4});
  {
    Conversation c(rig);
    Bytes out;
    ASSERT_TRUE(c.sender.start(out));
    c.exchange(out);
    ASSERT_TRUE(c.sender.open_stream(1, "cam/visible", "visible", out));
    c.exchange(out);
    EXPECT_TRUE(c.events.back() == SenderEvent(stream_opened(1, 10, "9.png")))
        << describe(c.events);
    ASSERT_EQ(c.sender.begin_frame(1, "10.png", 1, 0, 10, out).value(), 10U);
    append(out, Bytes{42});
    ASSERT_TRUE(c.sender.end_frame(xxh3(Bytes{42}), out));
    ASSERT_TRUE(c.sender.goodbye(out));
    c.exchange(out);
    EXPECT_EQ(c.sender.state(), State::kDone) << c.sender.failure().to_string();
  }
}

TEST(SenderSession, RealReceiversRefusalIsAReceiverError) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  Conversation c(rig);
  Bytes out;
  ASSERT_TRUE(c.sender.start(out));
  c.exchange(out);
  ASSERT_TRUE(c.sender.open_stream(1, "../escape", "visible", out));
  c.exchange(out);
  EXPECT_EQ(c.sender.state(), State::kFailed);
  EXPECT_EQ(c.sender.failure().code(), ErrorCode::kBadName);
  ASSERT_FALSE(c.events.empty());
  EXPECT_TRUE(std::holds_alternative<net::ReceiverError>(c.events.back())) << describe(c.events);
}

}  // namespace
}  // namespace framewire::test
