// StorageRoot / StreamStore / IncomingFrame against real files in a fresh
// temporary directory: the round trip per sync policy, the manifest and its
// crash repair, every way a frame can fail, and symlinks planted to escape the
// root.
#include "storage/stream_store.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/pattern_bytes.hpp"
#include "support/temp_dir.hpp"

namespace framewire::storage {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using Bytes = std::vector<std::uint8_t>;

using test::pattern_bytes;
using test::xxh3_of;

Bytes read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool has_temp_files(const fs::path& dir) {
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.path().filename().string().starts_with(".fwtmp-")) return true;
  }
  return false;
}

std::vector<std::string> manifest_lines(const fs::path& stream_dir) {
  std::ifstream in(stream_dir / "manifest.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// tests/support/temp_dir.hpp, seen as a std::filesystem::path.
class TempDir {
 public:
  fs::path path() const { return dir_.path(); }

 private:
  test::TempDir dir_{"storage"};
};

class StreamStoreTest : public ::testing::Test {
 protected:
  fs::path root_path() const { return tmp_.path() / "root"; }

  std::unique_ptr<StorageRoot> open_root(SyncPolicy policy = SyncPolicy::kBatch) {
    auto root = StorageRoot::open(root_path().string(), policy);
    EXPECT_TRUE(root) << root.status().to_string();
    return std::move(root).value();
  }

  std::unique_ptr<StreamStorage> open_stream(StorageRoot& root, std::string_view name = "cam") {
    auto store = root.open_stream(name, "visible");
    EXPECT_TRUE(store) << store.status().to_string();
    return std::move(store).value();
  }

  // Streams `bytes` into a frame in `chunk`-sized writes and finishes it.
  static Result<FinishOutcome> send(StreamStorage& store, std::uint64_t seq, std::string_view name,
                                    const Bytes& bytes, std::size_t chunk = 3000,
                                    std::int64_t capture_time_ns = 0) {
    auto frame = store.begin_frame(seq, name, bytes.size(), capture_time_ns);
    if (!frame) return frame.status();
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
      const std::size_t n = std::min(chunk, bytes.size() - at);
      if (Status status = frame->write(std::span(bytes).subspan(at, n)); !status) return status;
    }
    return store.finish_frame(std::move(frame).value(), xxh3_of(bytes));
  }

  TempDir tmp_;
};

// ---------------------------------------------------------------------------
// Round trip

class RoundTripTest : public StreamStoreTest, public ::testing::WithParamInterface<SyncPolicy> {};

TEST_P(RoundTripTest, StoredFilesAreByteIdentical) {
  auto root = open_root(GetParam());
  auto store = open_stream(*root, "rig1/visible");
  EXPECT_EQ(store->name(), "rig1/visible");
  EXPECT_EQ(store->next_sequence(), 0u);
  const std::vector<Bytes> frames = {pattern_bytes(0, 1), pattern_bytes(1, 2),
                                     pattern_bytes(3072, 3), pattern_bytes(1 << 20, 4),
                                     pattern_bytes(65537, 5)};
  for (std::size_t i = 0; i < frames.size(); ++i) {
    auto outcome = send(*store, i, std::to_string(i) + ".png", frames[i]);
    ASSERT_TRUE(outcome) << outcome.status().to_string();
    EXPECT_EQ(*outcome, FinishOutcome::kQueued);
  }
  EXPECT_EQ(store->queued(), frames.size());
  auto result = store->commit();
  ASSERT_TRUE(result) << result.status().to_string();
  EXPECT_EQ(store->queued(), 0u);
  EXPECT_TRUE(result->rejected.empty());
  ASSERT_EQ(result->stored.size(), frames.size());
  const fs::path dir = root_path() / "rig1" / "visible";
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(result->stored[i].sequence, i);
    EXPECT_EQ(result->stored[i].file_name, std::to_string(i) + ".png");
    EXPECT_EQ(result->stored[i].checksum, xxh3_of(frames[i]));
    EXPECT_EQ(read_file(dir / (std::to_string(i) + ".png")), frames[i]) << i;
  }
  EXPECT_EQ(manifest_lines(dir).size(), frames.size());
  EXPECT_EQ(store->next_sequence(), frames.size());
  EXPECT_FALSE(has_temp_files(root_path()));
}

INSTANTIATE_TEST_SUITE_P(AllPolicies, RoundTripTest,
                         ::testing::Values(SyncPolicy::kNone, SyncPolicy::kBatch,
                                           SyncPolicy::kEach),
                         [](const auto& param_info) {
                           switch (param_info.param) {
                             case SyncPolicy::kNone:
                               return std::string("None");
                             case SyncPolicy::kBatch:
                               return std::string("Batch");
                             case SyncPolicy::kEach:
                               return std::string("Each");
                           }
                           return std::string("Unknown");
                         });

TEST_F(StreamStoreTest, ThousandsOfSmallFramesInGroups) {
  auto root = open_root(SyncPolicy::kNone);
  auto store = open_stream(*root);
  const Bytes bytes = pattern_bytes(3072, 9);
  constexpr std::uint64_t kFrames = 3000;
  std::size_t stored = 0;
  for (std::uint64_t seq = 0; seq < kFrames; ++seq) {
    ASSERT_TRUE(send(*store, seq, std::to_string(seq) + ".raw", bytes));
    if (store->queued() == 256 || seq + 1 == kFrames) {
      auto result = store->commit();
      ASSERT_TRUE(result) << result.status().to_string();
      stored += result->stored.size();
    }
  }
  EXPECT_EQ(stored, kFrames);
  EXPECT_EQ(store->next_sequence(), kFrames);
  EXPECT_EQ(manifest_lines(root_path() / "cam").size(), kFrames);
  EXPECT_EQ(names_in(root_path() / "cam").size(), kFrames + 1);
}

TEST_F(StreamStoreTest, RootIsCreatedWithParents) {
  const fs::path nested = tmp_.path() / "a" / "b" / "c";
  auto root = StorageRoot::open(nested.string() + "/", SyncPolicy::kNone);
  ASSERT_TRUE(root) << root.status().to_string();
  EXPECT_TRUE(fs::is_directory(nested));
  EXPECT_EQ((*root)->path(), nested.string());
  EXPECT_EQ((*root)->policy(), SyncPolicy::kNone);
}

TEST_F(StreamStoreTest, ConcurrentOpenOfTheSameNewStream) {
  auto root = open_root();
  std::vector<Status> results(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = root->open_stream("x/y/z", "visible").status(); });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& status : results) EXPECT_TRUE(status) << status.to_string();
}

// ---------------------------------------------------------------------------
// Manifest

TEST_F(StreamStoreTest, ManifestLineFormat) {
  auto root = open_root();
  auto store = open_stream(*root);
  const Bytes bytes = pattern_bytes(100, 7);
  const auto before = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  ASSERT_TRUE(send(*store, 17, "17.png", bytes, 3000, 123456789));
  ASSERT_TRUE(store->commit());
  const auto lines = manifest_lines(root_path() / "cam");
  ASSERT_EQ(lines.size(), 1u);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(xxh3_of(bytes)));
  // Key order and compactness are part of the format.
  EXPECT_THAT(lines[0], ::testing::StartsWith("{\"seq\":17,\"file\":\"17.png\",\"bytes\":100,"
                                              "\"xxh3\":\"" +
                                              std::string(hex) +
                                              "\",\"source\":\"visible\","
                                              "\"capture_time_ns\":123456789,"
                                              "\"receive_time_ns\":"));
  const auto json = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(json.size(), 7u);
  EXPECT_GE(json["receive_time_ns"].get<std::int64_t>(), before);
}

TEST_F(StreamStoreTest, AGivenReceiveTimeIsTheOneInTheManifest) {
  auto root = open_root();
  auto store = open_stream(*root);
  const Bytes bytes = pattern_bytes(100, 7);
  auto frame = store->begin_frame(4, "4.png", bytes.size(), 111);
  ASSERT_TRUE(frame);
  ASSERT_TRUE(frame->write(bytes));
  frame->set_receive_time_ns(1'700'000'000'123'456'789);
  ASSERT_TRUE(store->finish_frame(std::move(frame).value(), xxh3_of(bytes)));
  auto committed = store->commit();
  ASSERT_TRUE(committed) << committed.status().to_string();
  ASSERT_EQ(committed->stored.size(), 1u);
  EXPECT_EQ(committed->stored[0].receive_time_ns, 1'700'000'000'123'456'789);
  const auto lines = manifest_lines(root_path() / "cam");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], ::testing::EndsWith(
                            ",\"capture_time_ns\":111,\"receive_time_ns\":1700000000123456789}"));
}

TEST_F(StreamStoreTest, NextSequenceSurvivesReopen) {
  {
    auto root = open_root();
    auto store = open_stream(*root);
    ASSERT_TRUE(send(*store, 3, "a.png", pattern_bytes(10, 1)));
    ASSERT_TRUE(send(*store, 7, "b.png", pattern_bytes(10, 2)));
    ASSERT_TRUE(store->commit());
    EXPECT_EQ(store->next_sequence(), 8u);
    EXPECT_EQ(store->last_file_name(), "b.png");
  }
  auto root = open_root();
  auto reopened = open_stream(*root);
  EXPECT_EQ(reopened->next_sequence(), 8u);
  EXPECT_EQ(reopened->last_file_name(), "b.png");
  reopened.reset();
  auto other = open_stream(*root, "other");
  EXPECT_EQ(other->next_sequence(), 0u);
  EXPECT_EQ(other->last_file_name(), "");
}

TEST_F(StreamStoreTest, TornManifestLineIsRepaired) {
  {
    auto root = open_root();
    auto store = open_stream(*root);
    ASSERT_TRUE(send(*store, 4, "4.png", pattern_bytes(10, 1)));
    ASSERT_TRUE(store->commit());
  }
  const fs::path manifest = root_path() / "cam" / "manifest.jsonl";
  const std::string good = read_text(manifest);
  write_text(manifest, good + "{\"seq\":5,\"file\":\"5.pn");  // writer died mid-line
  auto root = open_root();
  auto store = open_stream(*root);
  EXPECT_EQ(store->next_sequence(), 5u);
  EXPECT_EQ(read_text(manifest), good);
  // Appending after the repair yields well-formed lines only.
  ASSERT_TRUE(send(*store, 5, "5.png", pattern_bytes(10, 2)));
  ASSERT_TRUE(store->commit());
  const auto lines = manifest_lines(root_path() / "cam");
  ASSERT_EQ(lines.size(), 2u);
  for (const auto& line : lines) EXPECT_TRUE(nlohmann::json::accept(line)) << line;
  EXPECT_EQ(store->next_sequence(), 6u);
}

TEST_F(StreamStoreTest, ManifestWithOnlyATornLineIsEmptied) {
  static_cast<void>(open_stream(*open_root()));
  const fs::path manifest = root_path() / "cam" / "manifest.jsonl";
  write_text(manifest, "{\"seq\":9");
  auto root = open_root();
  EXPECT_EQ(open_stream(*root)->next_sequence(), 0u);
  EXPECT_EQ(fs::file_size(manifest), 0u);
}

TEST_F(StreamStoreTest, UnreadableLastLineFallsBackToThePreviousRecord) {
  static_cast<void>(open_stream(*open_root()));
  const fs::path manifest = root_path() / "cam" / "manifest.jsonl";
  // What a crash with sync=none can leave: a complete line of zeros.
  write_text(manifest, "{\"seq\":41,\"file\":\"41.png\"}\n" + std::string(20, '\0') + "\n");
  auto root = open_root();
  auto store = open_stream(*root);
  EXPECT_EQ(store->next_sequence(), 42u);
  EXPECT_EQ(store->last_file_name(), "41.png");
}

TEST_F(StreamStoreTest, LongManifestGivesItsHighestSequence) {
  static_cast<void>(open_stream(*open_root()));
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "{\"seq\":" + std::to_string(i) + ",\"file\":\"x\"}\n";
  write_text(root_path() / "cam" / "manifest.jsonl", text);
  auto root = open_root();
  EXPECT_EQ(open_stream(*root)->next_sequence(), 20000u);
}

// A manifest written before sequences were enforced per stored stream could
// list a lower sequence after a higher one (issue 6): the stream still stands
// at its highest sequence.
TEST_F(StreamStoreTest, ResumePointIsTheHighestSequenceWhateverTheLineOrder) {
  static_cast<void>(open_stream(*open_root()));
  write_text(root_path() / "cam" / "manifest.jsonl",
             "{\"seq\":0,\"file\":\"0.png\",\"bytes\":1,\"xxh3\":\"0123456789abcdef\"}\n"
             "{\"seq\":1,\"file\":\"1.png\",\"bytes\":1,\"xxh3\":\"0123456789abcdef\"}\n"
             "{\"seq\":0,\"file\":\"zz.png\",\"bytes\":1,\"xxh3\":\"0123456789abcdef\"}\n"
             "{ \"file\": \"x.png\", \"seq\": 0 }\n");
  auto root = open_root();
  auto store = open_stream(*root);
  EXPECT_EQ(store->next_sequence(), 2u);
  EXPECT_EQ(store->last_file_name(), "1.png");
}

// ---------------------------------------------------------------------------
// Sequences at or below the highest stored one

TEST_F(StreamStoreTest, LowerSequenceWithAnotherNameIsStaleAndNothingMoves) {
  auto root = open_root();
  auto store = open_stream(*root);
  ASSERT_TRUE(send(*store, 0, "0.png", pattern_bytes(10, 1)));
  ASSERT_TRUE(send(*store, 1, "1.png", pattern_bytes(10, 2)));
  ASSERT_TRUE(store->commit());

  ASSERT_TRUE(send(*store, 0, "zz.png", pattern_bytes(1, 3)));
  auto committed = store->commit();
  ASSERT_TRUE(committed) << committed.status().to_string();
  EXPECT_TRUE(committed->stored.empty());
  ASSERT_EQ(committed->rejected.size(), 1u);
  EXPECT_EQ(committed->rejected[0].second.code(), ErrorCode::kStaleSequence);
  EXPECT_THAT(committed->rejected[0].second.message(), HasSubstr("0.png"));
  EXPECT_EQ(store->next_sequence(), 2u);
  EXPECT_EQ(store->last_file_name(), "1.png");
  EXPECT_FALSE(fs::exists(root_path() / "cam" / "zz.png"));
  EXPECT_EQ(manifest_lines(root_path() / "cam").size(), 2u);
  EXPECT_FALSE(has_temp_files(root_path()));

  // Still so after a reopen, which reads the manifest again.
  auto reopened = open_stream(*root);
  EXPECT_EQ(reopened->next_sequence(), 2u);
  EXPECT_EQ(reopened->last_file_name(), "1.png");
}

TEST_F(StreamStoreTest, LowerSequenceWithTheSameNameAndOtherBytesIsStale) {
  auto root = open_root();
  auto store = open_stream(*root);
  const Bytes original = pattern_bytes(100, 1);
  ASSERT_TRUE(send(*store, 0, "0.png", original));
  ASSERT_TRUE(send(*store, 1, "1.png", pattern_bytes(100, 2)));
  ASSERT_TRUE(store->commit());
  ASSERT_TRUE(send(*store, 0, "0.png", pattern_bytes(100, 9)));
  auto committed = store->commit();
  ASSERT_TRUE(committed);
  ASSERT_EQ(committed->rejected.size(), 1u);
  EXPECT_EQ(committed->rejected[0].second.code(), ErrorCode::kStaleSequence);
  EXPECT_EQ(read_file(root_path() / "cam" / "0.png"), original);
}

TEST_F(StreamStoreTest, SequenceInAGapBelowTheHighestIsStale) {
  auto root = open_root();
  auto store = open_stream(*root);
  ASSERT_TRUE(send(*store, 0, "0.png", pattern_bytes(10, 1)));
  ASSERT_TRUE(send(*store, 5, "5.png", pattern_bytes(10, 2)));
  ASSERT_TRUE(store->commit());
  ASSERT_TRUE(send(*store, 3, "3.png", pattern_bytes(10, 3)));
  auto committed = store->commit();
  ASSERT_TRUE(committed);
  ASSERT_EQ(committed->rejected.size(), 1u);
  EXPECT_EQ(committed->rejected[0].second.code(), ErrorCode::kStaleSequence);
  EXPECT_THAT(committed->rejected[0].second.message(), HasSubstr("no frame is stored under it"));
  EXPECT_FALSE(fs::exists(root_path() / "cam" / "3.png"));
  EXPECT_EQ(store->next_sequence(), 6u);
}

// The store learns what an old sequence holds from the manifest once, then
// keeps that index current as it commits.
TEST_F(StreamStoreTest, ResendsOfOldSequencesAfterMoreCommitsAreRecognised) {
  auto root = open_root();
  auto store = open_stream(*root);
  ASSERT_TRUE(send(*store, 0, "0.png", pattern_bytes(10, 1)));
  ASSERT_TRUE(send(*store, 1, "1.png", pattern_bytes(10, 2)));
  ASSERT_TRUE(store->commit());
  ASSERT_TRUE(send(*store, 0, "0.png", pattern_bytes(10, 1)));  // reads the manifest
  ASSERT_TRUE(send(*store, 2, "2.png", pattern_bytes(10, 3)));
  auto first = store->commit();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->stored.size(), 2u);
  ASSERT_TRUE(send(*store, 2, "2.png", pattern_bytes(10, 3)));  // known from the index
  ASSERT_TRUE(send(*store, 1, "1.png", pattern_bytes(10, 2)));  // out of order in one group
  auto second = store->commit();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->stored.size(), 2u);
  EXPECT_TRUE(second->rejected.empty());
  EXPECT_EQ(manifest_lines(root_path() / "cam").size(), 3u);
}

TEST_F(StreamStoreTest, SequenceTwoToTheSixtyFourMinusOneIsRefused) {
  auto root = open_root();
  auto store = open_stream(*root);
  EXPECT_EQ(store->begin_frame(~std::uint64_t{0}, "x.png", 1, 0).status().code(),
            ErrorCode::kBadSequence);
}

// ---------------------------------------------------------------------------
// Temporary files

TEST_F(StreamStoreTest, TemporaryLeftoversAreRemovedAtOpen) {
  fs::create_directories(root_path() / "a" / "b");
  write_text(root_path() / ".fwtmp-00000000000000aa", "x");
  write_text(root_path() / "a" / "b" / ".fwtmp-1234", "partial frame");
  write_text(root_path() / "a" / "b" / "7.png", "kept");
  write_text(root_path() / "a" / ".other", "kept");
  static_cast<void>(open_root());
  EXPECT_FALSE(has_temp_files(root_path()));
  EXPECT_EQ(read_text(root_path() / "a" / "b" / "7.png"), "kept");
  EXPECT_TRUE(fs::exists(root_path() / "a" / ".other"));
}

TEST_F(StreamStoreTest, ASharedRootSweepsOnlyTheFolderOfTheStreamOpened) {
  fs::create_directories(root_path() / "a" / "b");
  fs::create_directories(root_path() / "other");
  write_text(root_path() / ".fwtmp-00000000000000aa", "x");
  write_text(root_path() / "a" / ".fwtmp-00000000000000bb", "a's leftover");
  write_text(root_path() / "a" / "b" / ".fwtmp-00000000000000cc", "in flight in a/b");
  write_text(root_path() / "other" / ".fwtmp-00000000000000dd", "in flight elsewhere");
  auto root = StorageRoot::open_shared(root_path().string(), SyncPolicy::kBatch);
  ASSERT_TRUE(root) << root.status().to_string();
  // Another process's frames in flight survive the open...
  EXPECT_TRUE(fs::exists(root_path() / "a" / ".fwtmp-00000000000000bb"));
  EXPECT_TRUE(fs::exists(root_path() / "other" / ".fwtmp-00000000000000dd"));
  // ...and opening stream "a" removes its own leftovers, not its child stream's.
  auto store = (*root)->open_stream("a", "visible");
  ASSERT_TRUE(store) << store.status().to_string();
  EXPECT_FALSE(fs::exists(root_path() / "a" / ".fwtmp-00000000000000bb"));
  EXPECT_TRUE(fs::exists(root_path() / "a" / "b" / ".fwtmp-00000000000000cc"));
  EXPECT_TRUE(fs::exists(root_path() / "other" / ".fwtmp-00000000000000dd"));
  EXPECT_TRUE(fs::exists(root_path() / ".fwtmp-00000000000000aa"));
  ASSERT_TRUE(send(**store, 0, "0.png", pattern_bytes(10, 1)));
  ASSERT_TRUE((*store)->commit());
  EXPECT_EQ(manifest_lines(root_path() / "a").size(), 1u);
}

TEST_F(StreamStoreTest, SweepDoesNotFollowSymlinks) {
  TempDir outside;
  write_text(outside.path() / ".fwtmp-victim", "not ours");
  fs::create_directories(root_path());
  fs::create_directory_symlink(outside.path(), root_path() / "link");
  static_cast<void>(open_root());
  EXPECT_TRUE(fs::exists(outside.path() / ".fwtmp-victim"));
}

TEST_F(StreamStoreTest, DestroyingAnUnfinishedFrameRemovesItsTemporaryFile) {
  auto root = open_root();
  auto store = open_stream(*root);
  {
    auto frame = store->begin_frame(0, "0.png", 100, 0);
    ASSERT_TRUE(frame);
    const Bytes half = pattern_bytes(50, 1);
    ASSERT_TRUE(frame->write(half));
    EXPECT_TRUE(has_temp_files(root_path()));
  }
  EXPECT_FALSE(has_temp_files(root_path()));
  EXPECT_EQ(names_in(root_path() / "cam"), std::vector<std::string>{"manifest.jsonl"});
}

TEST_F(StreamStoreTest, FrameOutlivingItsStoreStillCleansUp) {
  auto root = open_root();
  auto store = open_stream(*root);
  auto frame = store->begin_frame(0, "0.png", 100, 0);
  ASSERT_TRUE(frame);
  store.reset();
  { auto dropped = std::move(frame).value(); }
  EXPECT_FALSE(has_temp_files(root_path()));
}

TEST_F(StreamStoreTest, PartialFrameIsNeverVisibleUnderItsFinalName) {
  auto root = open_root();
  auto store = open_stream(*root);
  const Bytes bytes = pattern_bytes(10000, 3);
  const fs::path final_path = root_path() / "cam" / "0.png";
  auto frame = store->begin_frame(0, "0.png", bytes.size(), 0);
  ASSERT_TRUE(frame);
  for (std::size_t at = 0; at < bytes.size(); at += 1000) {
    ASSERT_TRUE(frame->write(std::span(bytes).subspan(at, 1000)));
    EXPECT_FALSE(fs::exists(final_path));
  }
  ASSERT_EQ(store->finish_frame(std::move(frame).value(), xxh3_of(bytes)).value(),
            FinishOutcome::kQueued);
  EXPECT_FALSE(fs::exists(final_path));  // visible only once committed
  ASSERT_TRUE(store->commit());
  EXPECT_EQ(read_file(final_path), bytes);
}

TEST_F(StreamStoreTest, QueuedFramesDroppedWithTheStoreLeaveNothing) {
  auto root = open_root();
  auto store = open_stream(*root);
  ASSERT_TRUE(send(*store, 0, "0.png", pattern_bytes(10, 1)));
  store.reset();
  EXPECT_EQ(names_in(root_path() / "cam"), std::vector<std::string>{"manifest.jsonl"});
}

// ---------------------------------------------------------------------------
// Failing frames

TEST_F(StreamStoreTest, ChecksumMismatchLeavesNothing) {
  auto root = open_root();
  auto store = open_stream(*root);
  const Bytes bytes = pattern_bytes(5000, 1);
  auto frame = store->begin_frame(0, "0.png", bytes.size(), 0);
  ASSERT_TRUE(frame);
  ASSERT_TRUE(frame->write(bytes));
  auto outcome = store->finish_frame(std::move(frame).value(), xxh3_of(bytes) ^ 1);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.status().code(), ErrorCode::kChecksumMismatch);
  EXPECT_EQ(store->queued(), 0u);
  auto result = store->commit();
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->stored.empty());
  EXPECT_EQ(names_in(root_path() / "cam"), std::vector<std::string>{"manifest.jsonl"});
  EXPECT_EQ(fs::file_size(root_path() / "cam" / "manifest.jsonl"), 0u);
}

TEST_F(StreamStoreTest, FewerBytesThanDeclaredIsMalformed) {
  auto root = open_root();
  auto store = open_stream(*root);
  const Bytes bytes = pattern_bytes(10, 1);
  auto frame = store->begin_frame(0, "0.png", 11, 0);
  ASSERT_TRUE(frame);
  ASSERT_TRUE(frame->write(bytes));
  auto outcome = store->finish_frame(std::move(frame).value(), xxh3_of(bytes));
  EXPECT_EQ(outcome.status().code(), ErrorCode::kMalformed);
  EXPECT_THAT(outcome.status().message(), HasSubstr("10 of 11"));
  EXPECT_EQ(names_in(root_path() / "cam"), std::vector<std::string>{"manifest.jsonl"});
}

TEST_F(StreamStoreTest, MoreBytesThanDeclaredIsMalformed) {
  auto root = open_root();
  auto store = open_stream(*root);
  auto frame = store->begin_frame(0, "0.png", 4, 0);
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->write(pattern_bytes(5, 1)).code(), ErrorCode::kMalformed);
}

TEST_F(StreamStoreTest, IdenticalResendIsDuplicateAndLeavesTheFileUntouched) {
  auto root = open_root();
  auto store = open_stream(*root);
  const Bytes bytes = pattern_bytes(4000, 1);
  ASSERT_TRUE(send(*store, 0, "0.png", bytes));
  ASSERT_TRUE(store->commit());
  const fs::path path = root_path() / "cam" / "0.png";
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);

  // Same sequence, same bytes: a resend after a lost ACK.
  ASSERT_TRUE(send(*store, 0, "0.png", bytes));
  auto committed = store->commit();
  ASSERT_TRUE(committed) << committed.status().to_string();
  EXPECT_EQ(committed->stored.size(), 1u);
  EXPECT_TRUE(committed->rejected.empty());
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  EXPECT_EQ(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
  EXPECT_EQ(manifest_lines(root_path() / "cam").size(), 1u);
  EXPECT_FALSE(has_temp_files(root_path()));
}

// The receiver stopped after renaming a frame into place but before its
// manifest line was written: the resent frame completes the manifest without
// rewriting the file.
TEST_F(StreamStoreTest, ResendOfAStoredFileMissingFromTheManifestAddsItsLine) {
  auto root = open_root();
  auto store = open_stream(*root);
  const Bytes bytes = pattern_bytes(4000, 1);
  ASSERT_TRUE(send(*store, 0, "0.png", bytes));
  ASSERT_TRUE(store->commit());
  // The file of sequence 1 is on disk, its manifest line is not.
  const fs::path path = root_path() / "cam" / "1.png";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);

  auto outcome = send(*store, 1, "1.png", bytes);
  ASSERT_TRUE(outcome) << outcome.status().to_string();
  EXPECT_EQ(*outcome, FinishOutcome::kQueued);
  auto committed = store->commit();
  ASSERT_TRUE(committed) << committed.status().to_string();
  EXPECT_EQ(committed->stored.size(), 1u);
  EXPECT_EQ(store->next_sequence(), 2u);
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  const auto lines = manifest_lines(root_path() / "cam");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[1].find("\"file\":\"1.png\""), std::string::npos);
  EXPECT_FALSE(has_temp_files(root_path()));
}

TEST_F(StreamStoreTest, DifferentContentUnderAStoredNameIsConflict) {
  auto root = open_root();
  auto store = open_stream(*root);
  const Bytes original = pattern_bytes(4000, 1);
  ASSERT_TRUE(send(*store, 0, "0.png", original));
  ASSERT_TRUE(store->commit());
  for (const Bytes& other : {pattern_bytes(4000, 2), pattern_bytes(10, 2)}) {
    ASSERT_TRUE(send(*store, 1, "0.png", other));
    auto committed = store->commit();
    ASSERT_TRUE(committed) << committed.status().to_string();
    EXPECT_TRUE(committed->stored.empty());
    ASSERT_EQ(committed->rejected.size(), 1u);
    EXPECT_EQ(committed->rejected[0].second.code(), ErrorCode::kConflict);
    EXPECT_THAT(committed->rejected[0].second.message(), HasSubstr("different content"));
  }
  EXPECT_EQ(read_file(root_path() / "cam" / "0.png"), original);
  EXPECT_FALSE(has_temp_files(root_path()));
}

TEST_F(StreamStoreTest, CorruptResendOfAStoredNameIsChecksumMismatch) {
  auto root = open_root();
  auto store = open_stream(*root);
  const Bytes bytes = pattern_bytes(100, 1);
  ASSERT_TRUE(send(*store, 0, "0.png", bytes));
  ASSERT_TRUE(store->commit());
  auto frame = store->begin_frame(1, "0.png", bytes.size(), 0);
  ASSERT_TRUE(frame);
  ASSERT_TRUE(frame->write(bytes));
  auto outcome = store->finish_frame(std::move(frame).value(), 42);
  EXPECT_EQ(outcome.status().code(), ErrorCode::kChecksumMismatch);
}

TEST_F(StreamStoreTest, SameNameTwiceInOneGroup) {
  auto root = open_root();
  auto store = open_stream(*root);
  const Bytes a = pattern_bytes(100, 1);
  ASSERT_EQ(send(*store, 0, "0.png", a).value(), FinishOutcome::kQueued);
  ASSERT_EQ(send(*store, 1, "0.png", a).value(), FinishOutcome::kQueued);
  ASSERT_EQ(send(*store, 2, "0.png", pattern_bytes(100, 2)).value(), FinishOutcome::kQueued);
  auto result = store->commit();
  ASSERT_TRUE(result) << result.status().to_string();
  ASSERT_EQ(result->stored.size(), 2u);  // the identical copy is settled as stored
  ASSERT_EQ(result->rejected.size(), 1u);
  EXPECT_EQ(result->rejected[0].first.sequence, 2u);
  EXPECT_EQ(result->rejected[0].second.code(), ErrorCode::kConflict);
  EXPECT_EQ(read_file(root_path() / "cam" / "0.png"), a);
  // Sequence 1 is new to the stream, so the identical file is listed for it
  // too (PROTOCOL.md 5.5); the conflicting sequence 2 is not.
  EXPECT_EQ(manifest_lines(root_path() / "cam").size(), 2u);
  EXPECT_FALSE(has_temp_files(root_path()));
}

TEST_F(StreamStoreTest, InvalidNamesAreRefusedEvenIfTheCallerForgot) {
  auto root = open_root();
  EXPECT_EQ(root->open_stream("../escape", "visible").status().code(), ErrorCode::kBadName);
  EXPECT_EQ(root->open_stream("/etc", "visible").status().code(), ErrorCode::kBadName);
  EXPECT_EQ(root->open_stream("cam", "Bad Kind").status().code(), ErrorCode::kBadName);
  auto store = open_stream(*root);
  EXPECT_EQ(store->begin_frame(0, "../x", 1, 0).status().code(), ErrorCode::kBadName);
  EXPECT_EQ(store->begin_frame(0, "manifest.jsonl", 1, 0).status().code(), ErrorCode::kBadName);
  EXPECT_FALSE(fs::exists(tmp_.path() / "escape"));
}

// ---------------------------------------------------------------------------
// Planted symlinks

TEST_F(StreamStoreTest, SymlinkedStreamSegmentIsRefused) {
  TempDir outside;
  auto root = open_root();
  fs::create_directory_symlink(outside.path(), root_path() / "evil");
  for (const char* name : {"evil", "evil/cam"}) {
    auto store = root->open_stream(name, "visible");
    ASSERT_FALSE(store) << name;
    EXPECT_EQ(store.status().code(), ErrorCode::kStorageError);
    EXPECT_THAT(store.status().message(), HasSubstr("is a symlink"));
  }
  EXPECT_TRUE(fs::is_empty(outside.path()));
}

TEST_F(StreamStoreTest, FileInPlaceOfAStreamDirectoryIsRefused) {
  auto root = open_root();
  write_text(root_path() / "cam", "a file");
  auto store = root->open_stream("cam/x", "visible");
  ASSERT_FALSE(store);
  // A clash of names between streams, not a failing disk.
  EXPECT_EQ(store.status().code(), ErrorCode::kConflict);
  EXPECT_THAT(store.status().message(), HasSubstr("is not a directory"));
}

TEST_F(StreamStoreTest, SymlinkedManifestIsRefused) {
  TempDir outside;
  auto root = open_root();
  fs::create_directories(root_path() / "cam");
  fs::create_symlink(outside.path() / "m.jsonl", root_path() / "cam" / "manifest.jsonl");
  auto store = root->open_stream("cam", "visible");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.status().code(), ErrorCode::kStorageError);
  EXPECT_TRUE(fs::is_empty(outside.path()));
}

TEST_F(StreamStoreTest, SymlinkAsFinalNameIsConflictAndTargetUntouched) {
  TempDir outside;
  const fs::path target = outside.path() / "target.png";
  write_text(target, "secret");
  auto root = open_root();
  auto store = open_stream(*root);
  const fs::path link = root_path() / "cam" / "0.png";
  fs::create_symlink(target, link);
  for (const Bytes& bytes : {pattern_bytes(100, 1), Bytes{'s', 'e', 'c', 'r', 'e', 't'}}) {
    ASSERT_TRUE(send(*store, 0, "0.png", bytes));
    auto committed = store->commit();
    ASSERT_TRUE(committed) << committed.status().to_string();
    EXPECT_TRUE(committed->stored.empty());
    ASSERT_EQ(committed->rejected.size(), 1u);
    EXPECT_EQ(committed->rejected[0].second.code(), ErrorCode::kConflict);
  }
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(read_text(target), "secret");
  EXPECT_FALSE(has_temp_files(root_path()));
}

TEST_F(StreamStoreTest, SymlinkPlantedBeforeCommitIsConflictAndTargetUntouched) {
  TempDir outside;
  const fs::path target = outside.path() / "target.png";
  write_text(target, "secret");
  auto root = open_root();
  auto store = open_stream(*root);
  ASSERT_EQ(send(*store, 0, "0.png", pattern_bytes(100, 1)).value(), FinishOutcome::kQueued);
  fs::create_symlink(target, root_path() / "cam" / "0.png");
  auto result = store->commit();
  ASSERT_TRUE(result) << result.status().to_string();
  EXPECT_TRUE(result->stored.empty());
  ASSERT_EQ(result->rejected.size(), 1u);
  EXPECT_EQ(result->rejected[0].second.code(), ErrorCode::kConflict);
  EXPECT_EQ(read_text(target), "secret");
  EXPECT_FALSE(has_temp_files(root_path()));
}

TEST_F(StreamStoreTest, DirectoryAsFinalNameIsConflict) {
  auto root = open_root();
  auto store = open_stream(*root);
  fs::create_directory(root_path() / "cam" / "0.png");
  ASSERT_TRUE(send(*store, 0, "0.png", pattern_bytes(10, 1)));
  auto committed = store->commit();
  ASSERT_TRUE(committed) << committed.status().to_string();
  EXPECT_TRUE(committed->stored.empty());
  ASSERT_EQ(committed->rejected.size(), 1u);
  EXPECT_EQ(committed->rejected[0].second.code(), ErrorCode::kConflict);
  EXPECT_TRUE(fs::is_directory(root_path() / "cam" / "0.png"));
  EXPECT_FALSE(has_temp_files(root_path()));
}

}  // namespace
}  // namespace framewire::storage
