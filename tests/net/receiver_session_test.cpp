// ReceiverSession without sockets: bytes built by the encoder go in, the
// replies are decoded, and what lands in a real StorageRoot on a temp dir is
// checked. The same session fed in every split down to one byte at a time
// must store the same files and acknowledge the same frames.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/file_tree.hpp"
#include "support/manifest_check.hpp"
#include "support/session_rig.hpp"

namespace framewire::test {
namespace {

namespace fs = std::filesystem;

Bytes pattern(std::size_t size, std::uint8_t seed) {
  Bytes data(size);
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<std::uint8_t>(seed * 7 + i * 13);
  return data;
}

struct ScriptedFrame {
  std::uint32_t stream_id;
  std::uint64_t sequence;
  std::string file;
  Bytes data;
};

// Two streams, frames interleaved, sequences with gaps, then GOODBYE.
struct Script {
  std::vector<ScriptedFrame> frames{
      {1, 0, "0.png", pattern(40, 1)}, {2, 0, "0.png", pattern(13, 2)},
      {1, 1, "1.png", pattern(9, 3)},  {2, 3, "3.png", pattern(20, 4)},
      {1, 2, "2.png", pattern(1, 5)},  {1, 7, "7.png", pattern(17, 6)},
  };
  std::map<std::uint32_t, std::string> names{{1, "cam/visible"}, {2, "cam/infrared"}};
  std::map<std::uint32_t, std::string> kinds{{1, "visible"}, {2, "infrared"}};
  std::map<std::uint32_t, std::uint64_t> last{{1, 7}, {2, 3}};

  Bytes bytes() const {
    Bytes out = hello_bytes();
    for (const auto& [id, name] : names) append(out, open_bytes(id, name, kinds.at(id)));
    for (const auto& frame : frames) {
      append(out, encode_frame({.stream_id = frame.stream_id,
                                .sequence = frame.sequence,
                                .capture_time_ns = 1000 + static_cast<std::int64_t>(frame.sequence),
                                .file_name = frame.file},
                               frame.data));
    }
    append(out, encode(protocol::Goodbye{}));
    return out;
  }
};

// What a run of the script produced, in a form that compares across splits.
struct Outcome {
  std::vector<protocol::Message> control;  // every reply but ACKs
  std::map<std::uint32_t, std::uint64_t> acked_through;
  bool acks_monotonic = true;
  std::map<std::string, Bytes> files;  // "stream/file" -> bytes
  std::vector<std::string> manifest;   // lines without receive_time_ns
  bool closed = false;
  std::string close_reason;
  std::uint64_t frames_stored = 0;
  bool operator==(const Outcome&) const = default;
};

Outcome run_split(const Script& script, const Bytes& bytes,
                  const std::vector<std::size_t>& chunks) {
  SessionRig rig;
  EXPECT_TRUE(rig.ok());
  Outcome outcome;
  {
    auto session = rig.session();
    ReplyReader reader;
    std::size_t at = 0;
    for (std::size_t chunk : chunks) {
      for (auto& message :
           reader.consume(*session, std::span<const std::uint8_t>(bytes.data() + at, chunk))) {
        if (const auto* ack = std::get_if<protocol::Ack>(&message)) {
          for (const auto& entry : ack->entries) {
            auto [it, fresh] =
                outcome.acked_through.try_emplace(entry.stream_id, entry.through_sequence);
            if (!fresh) {
              if (entry.through_sequence <= it->second) outcome.acks_monotonic = false;
              it->second = entry.through_sequence;
            }
          }
        } else {
          outcome.control.push_back(std::move(message));
        }
      }
      at += chunk;
    }
    outcome.closed = session->closed();
    outcome.close_reason = session->close_reason();
    outcome.frames_stored = session->frames_stored();
  }
  for (const auto& [id, name] : script.names) {
    for (const auto& [file, path] : frame_files(rig.stored(name))) {
      outcome.files[name + "/" + file] = read_bytes(path);
    }
    std::string error;
    for (const auto& line : read_manifest(rig.stored(name) + "/manifest.jsonl", &error)) {
      outcome.manifest.push_back(name + " " + std::to_string(line.seq) + " " + line.file + " " +
                                 std::to_string(line.bytes) + " " + line.xxh3 + " " + line.source +
                                 " " + std::to_string(line.capture_time_ns));
    }
    EXPECT_TRUE(error.empty()) << error;
  }
  return outcome;
}

std::string describe_chunks(const std::vector<std::size_t>& chunks) {
  std::string text = "chunks:";
  for (std::size_t i = 0; i < chunks.size() && i < 8; ++i) text += " " + std::to_string(chunks[i]);
  if (chunks.size() > 8) text += " ... (" + std::to_string(chunks.size()) + " chunks)";
  return text;
}

TEST(ReceiverSession, EverySplitStoresTheSameFramesAndAcknowledgesThemAll) {
  const Script script;
  const Bytes bytes = script.bytes();
  const Outcome whole = run_split(script, bytes, {bytes.size()});

  // The reference run itself is right.
  ASSERT_TRUE(whole.closed);
  EXPECT_EQ(whole.close_reason, "goodbye");
  EXPECT_EQ(whole.frames_stored, script.frames.size());
  EXPECT_EQ(whole.acked_through, script.last);
  ASSERT_EQ(whole.control.size(), 4U);  // HELLO_OK, 2 x STREAM_OPENED, GOODBYE
  EXPECT_TRUE(std::holds_alternative<protocol::HelloOk>(whole.control[0]));
  EXPECT_TRUE(std::holds_alternative<protocol::StreamOpened>(whole.control[1]));
  EXPECT_TRUE(std::holds_alternative<protocol::StreamOpened>(whole.control[2]));
  EXPECT_TRUE(std::holds_alternative<protocol::Goodbye>(whole.control[3]));
  ASSERT_EQ(whole.files.size(), script.frames.size());
  for (const auto& frame : script.frames) {
    EXPECT_EQ(whole.files.at(script.names.at(frame.stream_id) + "/" + frame.file), frame.data);
  }
  EXPECT_EQ(whole.manifest.size(), script.frames.size());

  std::vector<std::vector<std::size_t>> splits;
  for (std::size_t i = 0; i <= bytes.size(); ++i) splits.push_back({i, bytes.size() - i});
  // Every chunk size up to 64 bytes (down to one byte at a time), then every
  // 16th: each run creates real files, so the count is kept in check.
  for (std::size_t k = 1; k < bytes.size(); k += k < 64 ? 1 : 16) {
    std::vector<std::size_t> chunks(bytes.size() / k, k);
    if (bytes.size() % k != 0) chunks.push_back(bytes.size() % k);
    splits.push_back(std::move(chunks));
  }
  int failures = 0;
  for (const auto& chunks : splits) {
    const Outcome outcome = run_split(script, bytes, chunks);
    EXPECT_TRUE(outcome.acks_monotonic) << describe_chunks(chunks);
    EXPECT_TRUE(outcome == whole) << describe_chunks(chunks);
    if (!(outcome == whole) && ++failures > 5) break;
  }
}

TEST(ReceiverSession, GroupCommitSendsOneAckPerConsumeCoveringEveryFrame) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  auto session = rig.session();
  ReplyReader reader;
  Bytes setup = hello_bytes();
  append(setup, open_bytes(1, "a"));
  append(setup, open_bytes(2, "b", "infrared"));
  ASSERT_EQ(reader.consume(*session, setup).size(), 3U);

  std::uint64_t next_a = 0;
  std::uint64_t next_b = 0;
  for (int round = 0; round < 3; ++round) {
    Bytes batch;
    for (int i = 0; i < 10; ++i, ++next_a) {
      append(batch, encode_frame({.stream_id = 1,
                                  .sequence = next_a,
                                  .capture_time_ns = 1,
                                  .file_name = std::to_string(next_a) + ".png"},
                                 pattern(50 + next_a, 1)));
      if (i % 2 == 0) {
        append(batch, encode_frame({.stream_id = 2,
                                    .sequence = next_b,
                                    .capture_time_ns = 1,
                                    .file_name = std::to_string(next_b) + ".png"},
                                   pattern(20 + next_b, 2)));
        ++next_b;
      }
    }
    const auto replies = reader.consume(*session, batch);
    ASSERT_EQ(replies.size(), 1U) << "round " << round;
    const auto* ack = std::get_if<protocol::Ack>(&replies[0]);
    ASSERT_NE(ack, nullptr);
    ASSERT_EQ(ack->entries.size(), 2U);
    std::map<std::uint32_t, std::uint64_t> through;
    for (const auto& entry : ack->entries) through[entry.stream_id] = entry.through_sequence;
    EXPECT_EQ(through, (std::map<std::uint32_t, std::uint64_t>{{1, next_a - 1}, {2, next_b - 1}}));
    // ACK means stored: the files are there when the ACK is.
    EXPECT_EQ(frame_files(rig.stored("a")).size(), next_a);
    EXPECT_EQ(frame_files(rig.stored("b")).size(), next_b);
  }
  // A consume() that completes no frame says nothing.
  const Bytes header_only = encode(protocol::FrameHeader{
      .stream_id = 1, .sequence = next_a, .data_bytes = 10, .file_name = "x.png"});
  EXPECT_TRUE(reader.consume(*session, header_only).empty());
}

TEST(ReceiverSession, StreamNameOpenInAnotherSessionIsBusyUntilThatSessionEnds) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  Bytes open_cam = hello_bytes();
  append(open_cam, open_bytes(1, "cam"));

  auto first = rig.session("first");
  ReplyReader first_reader;
  const auto first_replies = first_reader.consume(*first, open_cam);
  ASSERT_EQ(first_replies.size(), 2U);
  ASSERT_TRUE(std::holds_alternative<protocol::StreamOpened>(first_replies[1]));

  {
    auto second = rig.session("second");
    ReplyReader second_reader;
    const auto replies = second_reader.consume(*second, open_cam);
    ASSERT_EQ(replies.size(), 2U);
    const auto* error = std::get_if<protocol::ErrorMessage>(&replies[1]);
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->code, protocol::WireError::kStreamBusy);
    EXPECT_TRUE(second->closed());
  }
  // The refused session must not have released the first one's name.
  {
    auto third = rig.session("third");
    ReplyReader third_reader;
    const auto replies = third_reader.consume(*third, open_cam);
    ASSERT_EQ(replies.size(), 2U);
    const auto* error = std::get_if<protocol::ErrorMessage>(&replies[1]);
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->code, protocol::WireError::kStreamBusy);
  }

  first.reset();
  auto fourth = rig.session("fourth");
  ReplyReader fourth_reader;
  const auto replies = fourth_reader.consume(*fourth, open_cam);
  ASSERT_EQ(replies.size(), 2U);
  EXPECT_TRUE(std::holds_alternative<protocol::StreamOpened>(replies[1]));
}

TEST(ReceiverSession, SameStreamNameTwiceOnOneSessionIsBusy) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  auto session = rig.session();
  ReplyReader reader;
  Bytes bytes = hello_bytes();
  append(bytes, open_bytes(1, "cam"));
  append(bytes, open_bytes(2, "cam"));
  const auto replies = reader.consume(*session, bytes);
  ASSERT_EQ(replies.size(), 3U);
  const auto* error = std::get_if<protocol::ErrorMessage>(&replies[2]);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, protocol::WireError::kStreamBusy);
  session.reset();
  // Everything was released: a new session gets the name.
  auto again = rig.session();
  ReplyReader again_reader;
  Bytes reopen = hello_bytes();
  append(reopen, open_bytes(1, "cam"));
  const auto reopened = again_reader.consume(*again, reopen);
  ASSERT_EQ(reopened.size(), 2U);
  EXPECT_TRUE(std::holds_alternative<protocol::StreamOpened>(reopened[1]));
}

TEST(ReceiverSession, NextSequenceContinuesAfterWhatIsStored) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  {
    auto session = rig.session();
    ReplyReader reader;
    Bytes bytes = hello_bytes();
    append(bytes, open_bytes(1, "cam"));
    append(bytes,
           encode_frame({.stream_id = 1, .sequence = 41, .file_name = "41.png"}, pattern(10, 1)));
    append(bytes, encode(protocol::Goodbye{}));
    (void)reader.consume(*session, bytes);
    ASSERT_TRUE(session->closed());
  }
  auto session = rig.session();
  ReplyReader reader;
  Bytes bytes = hello_bytes();
  append(bytes, open_bytes(1, "cam"));
  const auto replies = reader.consume(*session, bytes);
  ASSERT_EQ(replies.size(), 2U);
  const auto* opened = std::get_if<protocol::StreamOpened>(&replies[1]);
  ASSERT_NE(opened, nullptr);
  EXPECT_EQ(opened->next_sequence, 42U);
}

TEST(ReceiverSession, WindowExceededIsAnErrorAfterTheCompleteFramesAreStored) {
  SessionRig rig(
      {.max_frame_bytes = 1 << 20, .window_bytes = 1000, .window_frames = 2, .max_streams = 8});
  ASSERT_TRUE(rig.ok());
  auto session = rig.session();
  ReplyReader reader;
  Bytes setup = hello_bytes();
  append(setup, open_bytes(1, "cam"));
  (void)reader.consume(*session, setup);

  // Two frames fill the window; a third in the same read exceeds it.
  Bytes bytes;
  for (std::uint64_t seq = 0; seq < 3; ++seq) {
    append(bytes, encode_frame(
                      {.stream_id = 1, .sequence = seq, .file_name = std::to_string(seq) + ".png"},
                      pattern(100, 1)));
  }
  const auto replies = reader.consume(*session, bytes);
  ASSERT_EQ(replies.size(), 2U);
  const auto* ack = std::get_if<protocol::Ack>(&replies[0]);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->entries.at(0).through_sequence, 1U);
  const auto* error = std::get_if<protocol::ErrorMessage>(&replies[1]);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, protocol::WireError::kWindowExceeded);
  EXPECT_TRUE(session->closed());
  EXPECT_EQ(frame_files(rig.stored("cam")).size(), 2U);
  EXPECT_FALSE(fs::exists(rig.stored("cam") + "/2.png"));
}

TEST(ReceiverSession, AFrameBiggerThanTheWindowIsAllowedAlone) {
  SessionRig rig(
      {.max_frame_bytes = 1 << 20, .window_bytes = 1000, .window_frames = 2, .max_streams = 8});
  ASSERT_TRUE(rig.ok());
  auto session = rig.session();
  ReplyReader reader;
  Bytes bytes = hello_bytes();
  append(bytes, open_bytes(1, "cam"));
  append(bytes,
         encode_frame({.stream_id = 1, .sequence = 0, .file_name = "big.png"}, pattern(5000, 1)));
  append(bytes, encode(protocol::Goodbye{}));
  const auto replies = reader.consume(*session, bytes);
  ASSERT_FALSE(replies.empty());
  EXPECT_TRUE(std::holds_alternative<protocol::Goodbye>(replies.back()));
  EXPECT_TRUE(read_bytes(rig.stored("cam") + "/big.png") == pattern(5000, 1));
}

TEST(ReceiverSession, UnfinishedFrameLeavesNoTemporaryFileWhenTheSessionEnds) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  auto session = rig.session();
  ReplyReader reader;
  Bytes bytes = hello_bytes();
  append(bytes, open_bytes(1, "cam"));
  Bytes frame =
      encode_frame({.stream_id = 1, .sequence = 0, .file_name = "0.png"}, pattern(4000, 3));
  frame.resize(frame.size() - 2000);
  append(bytes, frame);
  (void)reader.consume(*session, bytes);
  bool temp_seen = false;
  for (const auto& entry : list_tree(rig.stored("cam"))) {
    if (entry.starts_with(kTempPrefix)) temp_seen = true;
  }
  EXPECT_TRUE(temp_seen) << "the frame in progress should live in a temporary file";
  session.reset();
  EXPECT_TRUE(tree_is_clean(rig.root_path));
  EXPECT_TRUE(frame_files(rig.stored("cam")).empty());
}

TEST(ReceiverSession, ShutDownStoresCompleteFramesThenSaysShuttingDown) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  auto session = rig.session();
  ReplyReader reader;
  Bytes bytes = hello_bytes();
  append(bytes, open_bytes(1, "cam"));
  (void)reader.consume(*session, bytes);
  Bytes frames =
      encode_frame({.stream_id = 1, .sequence = 0, .file_name = "0.png"}, pattern(300, 1));
  Bytes partial =
      encode_frame({.stream_id = 1, .sequence = 1, .file_name = "1.png"}, pattern(300, 2));
  partial.resize(100);
  append(frames, partial);
  const auto acked = reader.consume(*session, frames);
  ASSERT_EQ(acked.size(), 1U);
  const auto replies = reader.shut_down(*session);
  ASSERT_FALSE(replies.empty());
  const auto* error = std::get_if<protocol::ErrorMessage>(&replies.back());
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, protocol::WireError::kShuttingDown);
  EXPECT_TRUE(session->closed());
  session.reset();
  EXPECT_TRUE(read_bytes(rig.stored("cam") + "/0.png") == pattern(300, 1));
  EXPECT_FALSE(fs::exists(rig.stored("cam") + "/1.png"));
  EXPECT_TRUE(tree_is_clean(rig.root_path));
}

TEST(ReceiverSession, ChecksumMismatchAndConflictAreRejectedBeforeTheAckCoveringThem) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  auto session = rig.session();
  ReplyReader reader;
  Bytes bytes = hello_bytes();
  append(bytes, open_bytes(1, "cam"));
  append(bytes,
         encode_frame({.stream_id = 1, .sequence = 0, .file_name = "a.png"}, pattern(200, 1)));
  append(bytes, encode_frame({.stream_id = 1, .sequence = 1, .file_name = "b.png"}, pattern(200, 2),
                             /*checksum_xor=*/0x100));
  // Same name as frame 0, different bytes.
  append(bytes,
         encode_frame({.stream_id = 1, .sequence = 2, .file_name = "a.png"}, pattern(200, 3)));
  // Same name and bytes as frame 0: settled, not rewritten; sequence 3 is new
  // to the stream, so it is listed (PROTOCOL.md 5.5).
  append(bytes,
         encode_frame({.stream_id = 1, .sequence = 3, .file_name = "a.png"}, pattern(200, 1)));
  append(bytes, encode(protocol::Goodbye{}));
  std::map<std::uint64_t, protocol::WireError> rejected;
  std::optional<std::uint64_t> through;
  for (const auto& reply : reader.consume(*session, bytes)) {
    if (const auto* frame = std::get_if<protocol::FrameRejected>(&reply)) {
      EXPECT_FALSE(through && *through >= frame->sequence)
          << "FRAME_REJECTED for " << frame->sequence << " after the ACK through " << *through;
      rejected[frame->sequence] = frame->code;
    } else if (const auto* ack = std::get_if<protocol::Ack>(&reply)) {
      through = ack->entries.at(0).through_sequence;
    }
  }
  EXPECT_EQ(rejected,
            (std::map<std::uint64_t, protocol::WireError>{
                {1, protocol::WireError::kChecksumMismatch}, {2, protocol::WireError::kConflict}}));
  EXPECT_EQ(through, std::optional<std::uint64_t>(3));
  EXPECT_TRUE(read_bytes(rig.stored("cam") + "/a.png") == pattern(200, 1));
  EXPECT_FALSE(fs::exists(rig.stored("cam") + "/b.png"));
  std::string error;
  EXPECT_EQ(read_manifest(rig.stored("cam") + "/manifest.jsonl", &error).size(), 2U) << error;
  EXPECT_TRUE(tree_is_clean(rig.root_path));
}

TEST(ReceiverSession, EmptyFrameIsStoredAsAnEmptyFile) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  auto session = rig.session();
  ReplyReader reader;
  Bytes bytes = hello_bytes();
  append(bytes, open_bytes(1, "cam"));
  append(bytes, encode_frame({.stream_id = 1, .sequence = 0, .file_name = "empty.png"}, Bytes{}));
  append(bytes, encode(protocol::Goodbye{}));
  const auto replies = reader.consume(*session, bytes);
  ASSERT_FALSE(replies.empty());
  EXPECT_TRUE(std::holds_alternative<protocol::Goodbye>(replies.back()));
  for (const auto& reply : replies) {
    EXPECT_FALSE(std::holds_alternative<protocol::FrameRejected>(reply)) << describe(reply);
  }
  ASSERT_TRUE(fs::exists(rig.stored("cam") + "/empty.png"));
  EXPECT_EQ(fs::file_size(rig.stored("cam") + "/empty.png"), 0U);
}

TEST(ReceiverSession, TooManyStreamsOnOneSession) {
  SessionRig rig(
      {.max_frame_bytes = 1 << 20, .window_bytes = 1 << 20, .window_frames = 64, .max_streams = 2});
  ASSERT_TRUE(rig.ok());
  auto session = rig.session();
  ReplyReader reader;
  Bytes bytes = hello_bytes();
  for (std::uint32_t id = 0; id < 3; ++id) append(bytes, open_bytes(id, "s" + std::to_string(id)));
  const auto replies = reader.consume(*session, bytes);
  ASSERT_EQ(replies.size(), 4U);
  const auto* error = std::get_if<protocol::ErrorMessage>(&replies[3]);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, protocol::WireError::kTooManyStreams);
}

// The same file and content under another sequence (docs/PROTOCOL.md):
// below the stream's next_sequence it is acknowledged and nothing is
// written; at or above it the stored file is acknowledged as that
// sequence's frame and only its manifest line is added. The file itself is
// never rewritten.
// A sender that does not resume numbers from 0 again: sequences above the
// highest stored one are new (the identical file gets a line, not a rewrite);
// one below it is accepted only as the frame stored under that sequence.
TEST(ReceiverSession, IdenticalFrameResentUnderAnotherSequenceIsNeverRewritten) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  const Bytes data = pattern(300, 8);
  FileIdentity first_identity;
  std::vector<std::size_t> manifest_lines;
  for (std::uint64_t sequence : {3, 1, 3, 5}) {
    auto session = rig.session();
    ReplyReader reader;
    Bytes bytes = hello_bytes();
    append(bytes, open_bytes(1, "cam"));
    append(bytes, encode_frame({.stream_id = 1, .sequence = sequence, .file_name = "a.png"}, data));
    append(bytes, encode(protocol::Goodbye{}));
    std::optional<std::uint64_t> through;
    std::optional<protocol::WireError> rejected;
    for (const auto& reply : reader.consume(*session, bytes)) {
      if (const auto* frame_rejected = std::get_if<protocol::FrameRejected>(&reply)) {
        rejected = frame_rejected->code;
      }
      if (const auto* ack = std::get_if<protocol::Ack>(&reply)) {
        through = ack->entries.at(0).through_sequence;
      }
    }
    EXPECT_EQ(through, std::optional<std::uint64_t>(sequence));
    // 1 is below the highest stored sequence 3 and nothing is stored under it.
    EXPECT_EQ(rejected,
              sequence == 1 ? std::optional(protocol::WireError::kStaleSequence) : std::nullopt)
        << "sequence " << sequence;
    if (manifest_lines.empty()) first_identity = identity_of(rig.stored("cam") + "/a.png");
    EXPECT_EQ(identity_of(rig.stored("cam") + "/a.png"), first_identity) << "sequence " << sequence;
    std::string error;
    manifest_lines.push_back(read_manifest(rig.stored("cam") + "/manifest.jsonl", &error).size());
    EXPECT_TRUE(error.empty()) << error;
  }
  // 3: stored; 1: refused; 3 again: the stored frame, nothing; 5: a line for 5.
  EXPECT_EQ(manifest_lines, (std::vector<std::size_t>{1, 1, 1, 2}));
}

// Runs one connection: HELLO, OPEN_STREAM "s", `frames`, GOODBYE; returns
// the replies.
std::vector<protocol::Message> run_connection(SessionRig& rig, const std::vector<Bytes>& frames) {
  auto session = rig.session();
  ReplyReader reader;
  Bytes bytes = hello_bytes();
  append(bytes, open_bytes(1, "s"));
  for (const auto& frame : frames) append(bytes, frame);
  append(bytes, encode(protocol::Goodbye{}));
  auto replies = reader.consume(*session, bytes);
  EXPECT_TRUE(session->closed());
  return replies;
}

const protocol::StreamOpened* stream_opened(const std::vector<protocol::Message>& replies) {
  for (const auto& reply : replies) {
    if (const auto* opened = std::get_if<protocol::StreamOpened>(&reply)) return opened;
  }
  return nullptr;
}

// Issue 6: a lower sequence with a new name used to be stored and to move the
// resume point back, so a later resuming send skipped frames silently.
TEST(ReceiverSession, LowerSequenceWithANewNameIsRefusedAndTheResumePointStays) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  const auto frame = [](std::uint64_t sequence, const std::string& name, const std::string& text) {
    return encode_frame({.stream_id = 1, .sequence = sequence, .file_name = name}, bytes_of(text));
  };
  (void)run_connection(rig, {frame(0, "0.png", "A"), frame(1, "1.png", "B")});

  const auto replies = run_connection(rig, {frame(0, "zz.png", "Z")});
  const auto* opened = stream_opened(replies);
  ASSERT_NE(opened, nullptr);
  EXPECT_EQ(opened->next_sequence, 2U);
  EXPECT_EQ(opened->last_file_name, "1.png");
  bool refused = false;
  for (const auto& reply : replies) {
    if (const auto* rejected = std::get_if<protocol::FrameRejected>(&reply)) {
      refused = rejected->code == protocol::WireError::kStaleSequence && rejected->sequence == 0;
      EXPECT_NE(rejected->message.find("0.png"), std::string::npos) << rejected->message;
    }
  }
  EXPECT_TRUE(refused);
  EXPECT_FALSE(fs::exists(rig.stored("s") + "/zz.png"));

  // The same frame under its own sequence is a resend: acknowledged, and the
  // same name with other bytes is refused.
  const auto again = run_connection(rig, {frame(0, "0.png", "A"), frame(1, "1.png", "other")});
  std::vector<std::uint64_t> refused_sequences;
  for (const auto& reply : again) {
    if (const auto* rejected = std::get_if<protocol::FrameRejected>(&reply)) {
      EXPECT_EQ(rejected->code, protocol::WireError::kStaleSequence);
      refused_sequences.push_back(rejected->sequence);
    }
  }
  EXPECT_EQ(refused_sequences, (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(read_bytes(rig.stored("s") + "/1.png"), bytes_of("B"));

  const auto last = run_connection(rig, {});
  opened = stream_opened(last);
  ASSERT_NE(opened, nullptr);
  EXPECT_EQ(opened->next_sequence, 2U);
  EXPECT_EQ(opened->last_file_name, "1.png");
  std::string error;
  EXPECT_EQ(read_manifest(rig.stored("s") + "/manifest.jsonl", &error).size(), 2U);
}

TEST(ReceiverSession, SequenceTwoToTheSixtyFourMinusOneIsReserved) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  auto session = rig.session();
  ReplyReader reader;
  Bytes bytes = hello_bytes();
  append(bytes, open_bytes(1, "cam"));
  append(bytes, encode_frame({.stream_id = 1, .sequence = ~std::uint64_t{0}, .file_name = "x.png"},
                             pattern(10, 1)));
  const auto replies = reader.consume(*session, bytes);
  ASSERT_FALSE(replies.empty());
  const auto* error = std::get_if<protocol::ErrorMessage>(&replies.back());
  ASSERT_NE(error, nullptr) << describe(replies.back());
  EXPECT_EQ(error->code, protocol::WireError::kBadSequence);
  EXPECT_TRUE(session->closed());
  EXPECT_FALSE(fs::exists(rig.stored("cam") + "/x.png"));
}

// PROTOCOL.md 5.6: nothing follows a sender's GOODBYE. Frames before it are
// still stored and acknowledged; the answer is ERROR, not GOODBYE.
TEST(ReceiverSession, BytesAfterGoodbyeAreUnexpectedMessage) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  auto session = rig.session();
  ReplyReader reader;
  Bytes bytes = hello_bytes();
  append(bytes, open_bytes(1, "cam"));
  append(bytes, encode_frame({.stream_id = 1, .sequence = 0, .file_name = "0.png"}, pattern(5, 1)));
  append(bytes, encode(protocol::Goodbye{}));
  append(bytes, encode_frame({.stream_id = 1, .sequence = 1, .file_name = "1.png"}, pattern(5, 2)));
  const auto replies = reader.consume(*session, bytes);
  ASSERT_GE(replies.size(), 2U);
  const auto* ack = std::get_if<protocol::Ack>(&replies[replies.size() - 2]);
  ASSERT_NE(ack, nullptr) << describe(replies[replies.size() - 2]);
  EXPECT_EQ(ack->entries.at(0).through_sequence, 0U);
  const auto* error = std::get_if<protocol::ErrorMessage>(&replies.back());
  ASSERT_NE(error, nullptr) << describe(replies.back());
  EXPECT_EQ(error->code, protocol::WireError::kUnexpectedMessage);
  EXPECT_TRUE(fs::exists(rig.stored("cam") + "/0.png"));
  EXPECT_FALSE(fs::exists(rig.stored("cam") + "/1.png"));
}

// A GOODBYE gives the streams back at once, not when the session is destroyed (on a storage
// thread, after the connection closed): a sender reconnecting as soon as it read our GOODBYE
// used to be told stream_busy now and then (StaleSequence flaked on a loaded machine).
TEST(ReceiverSession, GoodbyeFreesItsStreamsBeforeTheSessionIsGone) {
  SessionRig rig;
  ASSERT_TRUE(rig.ok());
  auto first = rig.session("first");
  ReplyReader first_reader;
  Bytes bytes = hello_bytes();
  append(bytes, open_bytes(1, "cam"));
  append(bytes, encode_frame({.stream_id = 1, .sequence = 0, .file_name = "0.png"}, pattern(5, 1)));
  append(bytes, encode(protocol::Goodbye{}));
  const auto replies = first_reader.consume(*first, bytes);
  ASSERT_FALSE(replies.empty());
  EXPECT_TRUE(std::holds_alternative<protocol::Goodbye>(replies.back()));

  auto second = rig.session("second");  // `first` still exists
  ReplyReader second_reader;
  Bytes again = hello_bytes();
  append(again, open_bytes(1, "cam"));
  const auto opened = second_reader.consume(*second, again);
  ASSERT_FALSE(opened.empty());
  const auto* stream = std::get_if<protocol::StreamOpened>(&opened.back());
  ASSERT_NE(stream, nullptr) << describe(opened.back());
  EXPECT_EQ(stream->next_sequence, 1U);
}

}  // namespace
}  // namespace framewire::test
