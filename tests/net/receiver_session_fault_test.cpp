// ReceiverSession over a MemoryFileSystem told to fail: a write, a sync or a
// rename fails while a group of frames is being stored. The sender must get
// ERROR storage_error and no ACK covering those frames; nothing half-written
// may be visible under a frame's name; frames acknowledged earlier stay
// stored; and a new connection resumes and stores the frames again.
#include <errno.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "storage/memory_file_system.hpp"
#include "storage/stream_store.hpp"
#include "support/session_rig.hpp"

namespace framewire::test {
namespace {

using Op = storage::MemoryFileSystem::Op;

Bytes pattern(std::size_t size, std::uint8_t seed) {
  Bytes data(size);
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<std::uint8_t>(seed * 7 + i * 13);
  return data;
}

// A SessionRig whose storage root lives in memory.
struct MemoryRig {
  explicit MemoryRig(storage::SyncPolicy policy) {
    auto opened = storage::StorageRoot::open("/root", policy, fs);
    if (opened) root = std::move(opened).value();
    context = net::SessionContext{.storage = root.get(),
                                  .registry = &registry,
                                  .limits = {.max_frame_bytes = 1 << 20,
                                             .window_bytes = 1 << 20,
                                             .window_frames = 64,
                                             .max_streams = 4}};
  }
  std::unique_ptr<net::ReceiverSession> session() {
    return std::make_unique<net::ReceiverSession>(context, "fault-peer");
  }
  bool has_temp_files() const {
    bool found = false;
    fs.walk("/root", [&](const std::string& path, storage::EntryKind) {
      found = found || path.find("/.fwtmp-") != std::string::npos;
    });
    return found;
  }
  std::size_t manifest_lines() const {
    const auto text = fs.read_text("/root/cam/manifest.jsonl");
    return text ? static_cast<std::size_t>(std::count(text->begin(), text->end(), '\n')) : 0;
  }

  storage::MemoryFileSystem fs;  // first: outlives the root and its streams
  std::unique_ptr<storage::StorageRoot> root;
  net::StreamRegistry registry;
  net::SessionContext context;
};

Bytes frame_bytes(std::uint64_t sequence) {
  return encode_frame(
      {.stream_id = 1, .sequence = sequence, .file_name = std::to_string(sequence) + ".png"},
      pattern(3000, static_cast<std::uint8_t>(sequence + 1)));
}

std::optional<std::uint64_t> acked_through(const std::vector<protocol::Message>& replies) {
  std::optional<std::uint64_t> through;
  for (const auto& reply : replies) {
    if (const auto* ack = std::get_if<protocol::Ack>(&reply)) {
      for (const auto& entry : ack->entries) through = entry.through_sequence;
    }
  }
  return through;
}

struct FaultCase {
  std::string name;
  storage::SyncPolicy policy;
  storage::MemoryFileSystem::Fault fault;
  // Whether the group's frames may already be under their final names (the
  // failure came after their renames: still not acknowledged, and a resend
  // settles them without rewriting).
  bool renamed_before_failure;
};

void PrintTo(const FaultCase& fault, std::ostream* out) {
  *out << fault.name;
}

class SessionStorageFault : public ::testing::TestWithParam<FaultCase> {};

TEST_P(SessionStorageFault, SenderGetsStorageErrorAndNoAckAndNothingHalfWrittenIsVisible) {
  const FaultCase& fault = GetParam();
  MemoryRig rig(fault.policy);
  ASSERT_TRUE(rig.root);
  {
    auto session = rig.session();
    ReplyReader reader;
    Bytes first = hello_bytes();
    append(first, open_bytes(1, "cam"));
    append(first, frame_bytes(0));
    EXPECT_EQ(acked_through(reader.consume(*session, first)), std::optional<std::uint64_t>(0));

    rig.fs.inject(fault.fault);
    Bytes group = frame_bytes(1);
    append(group, frame_bytes(2));
    const auto replies = reader.consume(*session, group);
    EXPECT_EQ(rig.fs.faults_hit(), 1u) << "the fault never fired";
    EXPECT_EQ(acked_through(replies), std::nullopt) << "an ACK covers a frame that failed";
    ASSERT_FALSE(replies.empty());
    const auto* error = std::get_if<protocol::ErrorMessage>(&replies.back());
    ASSERT_NE(error, nullptr) << "the last reply is not ERROR";
    EXPECT_EQ(error->code, protocol::WireError::kStorageError) << error->message;
    EXPECT_TRUE(session->closed());
  }
  // What was acknowledged before stays; nothing half-written is visible.
  EXPECT_EQ(rig.fs.read("/root/cam/0.png"), pattern(3000, 1));
  EXPECT_GE(rig.manifest_lines(), 1u);
  EXPECT_FALSE(rig.has_temp_files());
  if (!fault.renamed_before_failure) {
    EXPECT_FALSE(rig.fs.exists("/root/cam/1.png"));
    EXPECT_FALSE(rig.fs.exists("/root/cam/2.png"));
  }

  // The disk is healthy again: a new connection resumes and is acknowledged.
  rig.fs.clear_faults();
  auto session = rig.session();
  ReplyReader reader;
  Bytes again = hello_bytes();
  append(again, open_bytes(1, "cam"));
  const auto opened = reader.consume(*session, again);
  ASSERT_EQ(opened.size(), 2u);
  const auto* stream = std::get_if<protocol::StreamOpened>(&opened[1]);
  ASSERT_NE(stream, nullptr);
  EXPECT_GE(stream->next_sequence, 1u);
  Bytes resend = frame_bytes(1);
  append(resend, frame_bytes(2));
  const auto replies = reader.consume(*session, resend);
  EXPECT_EQ(acked_through(replies), std::optional<std::uint64_t>(2));
  for (const auto& reply : replies) {
    EXPECT_FALSE(std::holds_alternative<protocol::FrameRejected>(reply));
  }
  EXPECT_EQ(rig.fs.read("/root/cam/1.png"), pattern(3000, 2));
  EXPECT_EQ(rig.fs.read("/root/cam/2.png"), pattern(3000, 3));
  EXPECT_EQ(rig.manifest_lines(), 3u);
}

using storage::SyncPolicy;
INSTANTIATE_TEST_SUITE_P(
    Faults, SessionStorageFault,
    ::testing::Values(
        FaultCase{"FrameDataWrite",
                  SyncPolicy::kNone,
                  {.op = Op::kWrite, .error = EIO, .path_contains = "/.fwtmp-"},
                  false},
        FaultCase{"DiskFullOnTheSecondFrame",
                  SyncPolicy::kBatch,
                  {.op = Op::kWrite, .error = ENOSPC, .skip = 1, .path_contains = "/.fwtmp-"},
                  false},
        FaultCase{
            "TemporaryFileCreate", SyncPolicy::kBatch, {.op = Op::kCreate, .error = ENOSPC}, false},
        FaultCase{"FrameFileSync",
                  SyncPolicy::kBatch,
                  {.op = Op::kSync, .error = EIO, .path_contains = "/.fwtmp-"},
                  false},
        FaultCase{"Rename", SyncPolicy::kNone, {.op = Op::kRename, .error = EIO}, false},
        FaultCase{"RenameOfTheSecondFrame",
                  SyncPolicy::kEach,
                  {.op = Op::kRename, .error = EIO, .skip = 1},
                  true},
        // Batch: the group's directory sync comes after both renames.
        FaultCase{"DirectorySync",
                  SyncPolicy::kBatch,
                  {.op = Op::kSync, .error = EIO, .skip = 2, .path_contains = "/root/cam"},
                  true},
        FaultCase{"ManifestAppend",
                  SyncPolicy::kBatch,
                  {.op = Op::kWrite, .error = ENOSPC, .path_contains = "manifest.jsonl"},
                  true},
        FaultCase{"ManifestSync",
                  SyncPolicy::kEach,
                  {.op = Op::kSync, .error = EIO, .path_contains = "manifest.jsonl"},
                  true}),
    [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace framewire::test
