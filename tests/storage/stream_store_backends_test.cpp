// The file store's rules, run over both file systems it may sit on: the POSIX
// one on a fresh temp dir and MemoryFileSystem (the one logic, two
// environments; stream_store_test.cpp has the POSIX-only details such as
// inode and mtime checks). Then read_frame, is_stored, and what the store
// does when the memory file system fails a write, a sync or a rename.
#include <errno.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "storage/memory_file_system.hpp"
#include "storage/stream_store.hpp"
#include "support/pattern_bytes.hpp"
#include "support/temp_dir.hpp"

namespace framewire::storage {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Bytes = std::vector<std::uint8_t>;

using test::pattern_bytes;
using test::xxh3_of;

// What a test needs to see and plant below the root, on either file system.
class PosixDisk {
 public:
  FileSystem& fs() { return posix_file_system(); }
  std::string root() const { return dir_.path() + "/root"; }
  std::string outside() const { return dir_.path() + "/outside"; }
  std::optional<Bytes> read(const std::string& path) const {
    std::error_code ec;
    if (!fs::is_regular_file(fs::symlink_status(path, ec))) return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  void write(const std::string& path, std::string_view text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }
  void mkdirs(const std::string& path) { fs::create_directories(path); }
  void symlink(const std::string& target, const std::string& path) {
    fs::create_symlink(target, path);
  }
  bool exists(const std::string& path) const {
    std::error_code ec;
    return fs::exists(fs::symlink_status(path, ec));
  }
  std::vector<std::string> names(const std::string& dir) const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  bool has_temp_files() const {
    for (const auto& entry : fs::recursive_directory_iterator(root())) {
      if (entry.path().filename().string().starts_with(".fwtmp-")) return true;
    }
    return false;
  }

 private:
  test::TempDir dir_{"backends"};
};

class MemoryDisk {
 public:
  MemoryFileSystem& fs() { return fs_; }
  std::string root() const { return "/data/root"; }
  std::string outside() const { return "/data/outside"; }
  std::optional<Bytes> read(const std::string& path) const { return fs_.read(path); }
  void write(const std::string& path, std::string_view text) {
    ASSERT_TRUE(fs_.write_file(path, text));
  }
  void mkdirs(const std::string& path) { ASSERT_TRUE(fs_.make_dirs(path)); }
  void symlink(const std::string& target, const std::string& path) {
    ASSERT_TRUE(fs_.make_symlink(path, target));
  }
  bool exists(const std::string& path) const { return fs_.exists(path); }
  std::vector<std::string> names(const std::string& dir) const { return fs_.list(dir); }
  bool has_temp_files() const {
    bool found = false;
    fs_.walk(root(), [&](const std::string& path, EntryKind) {
      found = found || path.find("/.fwtmp-") != std::string::npos;
    });
    return found;
  }

 private:
  MemoryFileSystem fs_;
};

template <typename Disk>
class StoreOnEither : public ::testing::Test {
 protected:
  std::unique_ptr<StorageRoot> open_root(SyncPolicy policy = SyncPolicy::kBatch) {
    auto root = StorageRoot::open(disk_.root(), policy, disk_.fs());
    EXPECT_TRUE(root) << root.status().to_string();
    return root ? std::move(root).value() : nullptr;
  }
  std::unique_ptr<StreamStorage> open_stream(Storage& root, std::string_view name = "cam") {
    auto store = root.open_stream(name, "visible");
    EXPECT_TRUE(store) << store.status().to_string();
    return store ? std::move(store).value() : nullptr;
  }
  static Result<FinishOutcome> send(StreamStorage& store, std::uint64_t seq, std::string_view name,
                                    const Bytes& bytes) {
    auto frame = store.begin_frame(seq, name, bytes.size(), 0);
    if (!frame) return frame.status();
    for (std::size_t at = 0; at < bytes.size(); at += 1000) {
      const std::size_t n = std::min<std::size_t>(1000, bytes.size() - at);
      if (Status status = frame->write(std::span(bytes).subspan(at, n)); !status) return status;
    }
    return store.finish_frame(std::move(frame).value(), xxh3_of(bytes));
  }
  std::string at(const std::string& relative) const { return disk_.root() + "/" + relative; }
  std::size_t manifest_lines(const std::string& stream = "cam") const {
    auto text = disk_.read(at(stream + "/manifest.jsonl"));
    return text ? static_cast<std::size_t>(std::count(text->begin(), text->end(), '\n')) : 0;
  }

  Disk disk_;
};

using Disks = ::testing::Types<PosixDisk, MemoryDisk>;
class DiskNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, PosixDisk> ? "Posix" : "Memory";
  }
};
TYPED_TEST_SUITE(StoreOnEither, Disks, DiskNames);

TYPED_TEST(StoreOnEither, RoundTripUnderEveryPolicy) {
  for (SyncPolicy policy : {SyncPolicy::kNone, SyncPolicy::kBatch, SyncPolicy::kEach}) {
    const std::string stream = "rig/p" + std::to_string(static_cast<int>(policy));
    auto root = this->open_root(policy);
    auto store = this->open_stream(*root, stream);
    const std::vector<Bytes> frames = {pattern_bytes(0, 1), pattern_bytes(3072, 2),
                                       pattern_bytes(70000, 3)};
    for (std::size_t i = 0; i < frames.size(); ++i) {
      ASSERT_TRUE(this->send(*store, i, std::to_string(i) + ".png", frames[i]));
    }
    auto result = store->commit();
    ASSERT_TRUE(result) << result.status().to_string();
    ASSERT_EQ(result->stored.size(), frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i) {
      EXPECT_EQ(this->disk_.read(this->at(stream + "/" + std::to_string(i) + ".png")), frames[i]);
    }
    EXPECT_EQ(this->manifest_lines(stream), frames.size());
    EXPECT_EQ(store->next_sequence(), frames.size());
    EXPECT_FALSE(this->disk_.has_temp_files());
  }
}

TYPED_TEST(StoreOnEither, ResumePointSurvivesReopenAndATornLineIsCut) {
  {
    auto root = this->open_root();
    auto store = this->open_stream(*root);
    ASSERT_TRUE(this->send(*store, 3, "a.png", pattern_bytes(10, 1)));
    ASSERT_TRUE(this->send(*store, 7, "b.png", pattern_bytes(10, 2)));
    ASSERT_TRUE(store->commit());
  }
  const std::string manifest = this->at("cam/manifest.jsonl");
  auto good = this->disk_.read(manifest);
  ASSERT_TRUE(good);
  this->disk_.write(manifest, std::string(good->begin(), good->end()) + "{\"seq\":8,\"fi");
  auto root = this->open_root();
  auto store = this->open_stream(*root);
  EXPECT_EQ(store->next_sequence(), 8u);
  EXPECT_EQ(store->last_file_name(), "b.png");
  EXPECT_EQ(this->disk_.read(manifest), good);
}

TYPED_TEST(StoreOnEither, OldSequencesAreTheStoredFrameOrStale) {
  auto root = this->open_root();
  auto store = this->open_stream(*root);
  ASSERT_TRUE(this->send(*store, 0, "0.png", pattern_bytes(10, 1)));
  ASSERT_TRUE(this->send(*store, 1, "1.png", pattern_bytes(10, 2)));
  ASSERT_TRUE(store->commit());
  EXPECT_EQ(store->is_stored(0, "0.png", xxh3_of(pattern_bytes(10, 1))).value(), true);
  EXPECT_EQ(store->is_stored(0, "0.png", xxh3_of(pattern_bytes(10, 9))).value(), false);
  EXPECT_EQ(store->is_stored(0, "1.png", xxh3_of(pattern_bytes(10, 2))).value(), false);
  EXPECT_EQ(store->is_stored(2, "2.png", 0).value(), false);  // not stored yet
  EXPECT_EQ(store->is_stored(0, "../x", 0).status().code(), ErrorCode::kBadName);

  ASSERT_TRUE(this->send(*store, 0, "0.png", pattern_bytes(10, 1)));    // a resend
  ASSERT_TRUE(this->send(*store, 1, "new.png", pattern_bytes(10, 3)));  // stale
  auto result = store->commit();
  ASSERT_TRUE(result) << result.status().to_string();
  ASSERT_EQ(result->stored.size(), 1u);
  ASSERT_EQ(result->rejected.size(), 1u);
  EXPECT_EQ(result->rejected[0].second.code(), ErrorCode::kStaleSequence);
  EXPECT_EQ(store->next_sequence(), 2u);
  EXPECT_EQ(this->manifest_lines(), 2u);
  EXPECT_FALSE(this->disk_.exists(this->at("cam/new.png")));
}

TYPED_TEST(StoreOnEither, ATakenFinalNameIsSettledOrAConflict) {
  auto root = this->open_root();
  auto store = this->open_stream(*root);
  const Bytes a = pattern_bytes(100, 1);
  ASSERT_TRUE(this->send(*store, 0, "0.png", a));
  ASSERT_TRUE(this->send(*store, 1, "0.png", a));
  ASSERT_TRUE(this->send(*store, 2, "0.png", pattern_bytes(100, 2)));
  this->disk_.mkdirs(this->at("cam/dir.png"));
  ASSERT_TRUE(this->send(*store, 3, "dir.png", a));
  this->disk_.symlink(this->disk_.outside(), this->at("cam/link.png"));
  ASSERT_TRUE(this->send(*store, 4, "link.png", a));
  auto result = store->commit();
  ASSERT_TRUE(result) << result.status().to_string();
  ASSERT_EQ(result->stored.size(), 2u);
  ASSERT_EQ(result->rejected.size(), 3u);
  for (const auto& [record, why] : result->rejected) {
    EXPECT_EQ(why.code(), ErrorCode::kConflict) << record.sequence << ": " << why.to_string();
  }
  EXPECT_EQ(this->disk_.read(this->at("cam/0.png")), a);
  EXPECT_FALSE(this->disk_.exists(this->disk_.outside()));
  EXPECT_EQ(this->manifest_lines(), 2u);
  EXPECT_FALSE(this->disk_.has_temp_files());
}

TYPED_TEST(StoreOnEither, LeftoversAreSweptAndAnUnfinishedFrameLeavesNothing) {
  this->disk_.write(this->at("a/b/.fwtmp-1234"), "partial");
  this->disk_.write(this->at("a/b/7.png"), "kept");
  this->disk_.write(this->disk_.outside() + "/.fwtmp-victim", "not ours");
  this->disk_.symlink(this->disk_.outside(), this->at("link"));
  auto root = this->open_root();
  EXPECT_FALSE(this->disk_.has_temp_files());
  EXPECT_TRUE(this->disk_.exists(this->at("a/b/7.png")));
  EXPECT_TRUE(this->disk_.exists(this->disk_.outside() + "/.fwtmp-victim"));
  auto store = this->open_stream(*root);
  {
    auto frame = store->begin_frame(0, "0.png", 100, 0);
    ASSERT_TRUE(frame);
    ASSERT_TRUE(frame->write(pattern_bytes(50, 1)));
    EXPECT_TRUE(this->disk_.has_temp_files());
  }
  EXPECT_FALSE(this->disk_.has_temp_files());
  EXPECT_EQ(this->disk_.names(this->at("cam")), std::vector<std::string>{"manifest.jsonl"});
}

TYPED_TEST(StoreOnEither, StreamDirectoriesAreNeverReachedThroughSymlinksOrFiles) {
  auto root = this->open_root();
  this->disk_.mkdirs(this->disk_.outside());
  this->disk_.symlink(this->disk_.outside(), this->at("evil"));
  auto store = root->open_stream("evil/cam", "visible");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.status().code(), ErrorCode::kStorageError);
  EXPECT_THAT(store.status().message(), HasSubstr("is a symlink"));
  this->disk_.write(this->at("file"), "x");
  EXPECT_EQ(root->open_stream("file/cam", "visible").status().code(), ErrorCode::kConflict);
  EXPECT_TRUE(this->disk_.names(this->disk_.outside()).empty());
}

TYPED_TEST(StoreOnEither, ConcurrentOpensAndReadsOfTheSameNewStream) {
  auto root = this->open_root();
  std::vector<Status> results(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = root->open_stream("x/y/z", "visible").status();
      // A reader (an HTTP route) may look at the same time.
      const auto read = root->read_frame("x/y/z", "0.png", 10);
      if (read.status().code() != ErrorCode::kBadStream) results[i] = read.status();
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& status : results) EXPECT_TRUE(status) << status.to_string();
}

// ---------------------------------------------------------------------------
// read_frame

TYPED_TEST(StoreOnEither, ReadFrameGivesTheStoredBytes) {
  auto root = this->open_root();
  auto store = this->open_stream(*root, "rig/cam");
  const Bytes bytes = pattern_bytes(5000, 4);
  ASSERT_TRUE(this->send(*store, 0, "0.png", bytes));
  ASSERT_TRUE(store->commit());
  auto read = root->read_frame("rig/cam", "0.png", 1 << 20);
  ASSERT_TRUE(read) << read.status().to_string();
  EXPECT_EQ(*read, bytes);
  EXPECT_EQ(root->read_frame("rig/cam", "0.png", 4999).status().code(), ErrorCode::kFrameTooLarge);
}

TYPED_TEST(StoreOnEither, ReadFrameRefusesBadNamesAndMissingFrames) {
  auto root = this->open_root();
  auto store = this->open_stream(*root);
  ASSERT_TRUE(this->send(*store, 0, "0.png", pattern_bytes(10, 1)));
  ASSERT_TRUE(store->commit());
  for (const auto& [stream, file] :
       std::vector<std::pair<std::string, std::string>>{{"cam", "../cam/0.png"},
                                                        {"../root/cam", "0.png"},
                                                        {"/cam", "0.png"},
                                                        {"cam", "manifest.jsonl"},
                                                        {"cam", ".fwtmp-0"},
                                                        {"cam", ""},
                                                        {"cam/", "0.png"}}) {
    EXPECT_EQ(root->read_frame(stream, file, 1 << 20).status().code(), ErrorCode::kBadName)
        << stream << " " << file;
  }
  EXPECT_EQ(root->read_frame("cam", "1.png", 1 << 20).status().code(), ErrorCode::kBadStream);
  EXPECT_EQ(root->read_frame("other", "0.png", 1 << 20).status().code(), ErrorCode::kBadStream);
  // Nothing is created by reading.
  EXPECT_FALSE(this->disk_.exists(this->at("other")));
}

TYPED_TEST(StoreOnEither, ReadFrameNeverFollowsASymlink) {
  this->disk_.write(this->disk_.outside() + "/secret.png", "secret");
  auto root = this->open_root();
  auto store = this->open_stream(*root);
  this->disk_.symlink(this->disk_.outside() + "/secret.png", this->at("cam/link.png"));
  this->disk_.symlink(this->disk_.outside(), this->at("evil"));
  this->disk_.mkdirs(this->at("cam/dir.png"));
  const auto link = root->read_frame("cam", "link.png", 1 << 20);
  EXPECT_EQ(link.status().code(), ErrorCode::kConflict) << link.status().to_string();
  EXPECT_EQ(root->read_frame("evil", "secret.png", 1 << 20).status().code(), ErrorCode::kConflict);
  EXPECT_EQ(root->read_frame("cam", "dir.png", 1 << 20).status().code(), ErrorCode::kConflict);
}

// ---------------------------------------------------------------------------
// Faults (memory file system only)

using Op = MemoryFileSystem::Op;

class StoreFaults : public StoreOnEither<MemoryDisk> {
 protected:
  MemoryFileSystem& fs() { return disk_.fs(); }
};

TEST_F(StoreFaults, AFailedWriteIsAStorageErrorAndLeavesNothing) {
  auto root = open_root();
  auto store = open_stream(*root);
  fs().inject({.op = Op::kWrite, .error = ENOSPC, .path_contains = "/.fwtmp-"});
  const auto outcome = send(*store, 0, "0.png", pattern_bytes(3000, 1));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.status().code(), ErrorCode::kStorageError);
  EXPECT_THAT(outcome.status().message(), HasSubstr("No space left on device"));
  EXPECT_EQ(disk_.names(at("cam")), std::vector<std::string>{"manifest.jsonl"});
}

TEST_F(StoreFaults, AFailedFrameSyncStopsTheCommitAndPoisonsTheStream) {
  auto root = open_root(SyncPolicy::kBatch);
  auto store = open_stream(*root);
  ASSERT_TRUE(send(*store, 0, "0.png", pattern_bytes(10, 1)));
  ASSERT_TRUE(store->commit());
  fs().inject({.op = Op::kSync, .error = EIO, .path_contains = "/.fwtmp-"});
  ASSERT_TRUE(send(*store, 1, "1.png", pattern_bytes(10, 2)));
  const auto result = store->commit();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.status().code(), ErrorCode::kStorageError);
  EXPECT_FALSE(disk_.exists(at("cam/1.png")));
  EXPECT_FALSE(disk_.has_temp_files());
  EXPECT_EQ(store->next_sequence(), 1u);
  // Never retried: the stream refuses work until it is reopened.
  EXPECT_EQ(store->begin_frame(2, "2.png", 1, 0).status().code(), ErrorCode::kStorageError);
  store.reset();
  auto reopened = open_stream(*root);
  EXPECT_EQ(reopened->next_sequence(), 1u);
  ASSERT_TRUE(send(*reopened, 1, "1.png", pattern_bytes(10, 2)));
  ASSERT_TRUE(reopened->commit());
  EXPECT_EQ(disk_.read(at("cam/1.png")), pattern_bytes(10, 2));
}

TEST_F(StoreFaults, AFailedRenameDropsTheRestOfTheGroup) {
  auto root = open_root(SyncPolicy::kNone);
  auto store = open_stream(*root);
  fs().inject({.op = Op::kRename, .error = EIO, .skip = 1});
  ASSERT_TRUE(send(*store, 0, "0.png", pattern_bytes(10, 1)));
  ASSERT_TRUE(send(*store, 1, "1.png", pattern_bytes(10, 2)));
  ASSERT_TRUE(send(*store, 2, "2.png", pattern_bytes(10, 3)));
  const auto result = store->commit();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.status().code(), ErrorCode::kStorageError);
  EXPECT_THAT(result.status().message(), HasSubstr("cannot rename"));
  // 0.png was renamed before the failure, but its line was never written:
  // not acknowledged, and settled as identical when it comes again.
  EXPECT_FALSE(disk_.exists(at("cam/1.png")));
  EXPECT_FALSE(disk_.exists(at("cam/2.png")));
  EXPECT_FALSE(disk_.has_temp_files());
  EXPECT_EQ(manifest_lines(), 0u);
  EXPECT_EQ(store->next_sequence(), 0u);
  ASSERT_TRUE(send(*store, 0, "0.png", pattern_bytes(10, 1)));
  const auto again = store->commit();
  ASSERT_TRUE(again) << again.status().to_string();
  EXPECT_EQ(again->stored.size(), 1u);
  EXPECT_EQ(manifest_lines(), 1u);
}

TEST_F(StoreFaults, AFailedManifestAppendIsCutBackAndRepairedOnReopen) {
  auto root = open_root(SyncPolicy::kEach);
  auto store = open_stream(*root);
  ASSERT_TRUE(send(*store, 0, "0.png", pattern_bytes(10, 1)));
  ASSERT_TRUE(store->commit());
  fs().inject({.op = Op::kWrite, .error = EIO, .path_contains = "manifest.jsonl"});
  ASSERT_TRUE(send(*store, 1, "1.png", pattern_bytes(10, 2)));
  EXPECT_EQ(store->commit().status().code(), ErrorCode::kStorageError);
  EXPECT_EQ(manifest_lines(), 1u);
  store.reset();
  auto reopened = open_stream(*root);
  EXPECT_EQ(reopened->next_sequence(), 1u);
  ASSERT_TRUE(send(*reopened, 1, "1.png", pattern_bytes(10, 2)));  // settled, not rewritten
  ASSERT_TRUE(reopened->commit());
  EXPECT_EQ(manifest_lines(), 2u);
}

TEST(StoreSyncFaults, EachOfTheThreeSyncsOfAFrameCanFailAndItIsNeverStored) {
  // sync=each syncs, per frame: its file, then the directory, then the
  // manifest. A failure at any of them is a storage error, the frame is in
  // no result, and its sequence is not the resume point.
  for (std::uint64_t skip = 0; skip < 3; ++skip) {
    MemoryFileSystem fs;
    auto root = StorageRoot::open("/root", SyncPolicy::kEach, fs);
    ASSERT_TRUE(root);
    auto store = (*root)->open_stream("cam", "visible");
    ASSERT_TRUE(store);
    const std::uint64_t syncs_before = fs.calls(Op::kSync);  // the new directory's parent
    fs.inject({.op = Op::kSync, .error = EIO, .skip = skip});
    const Bytes bytes = pattern_bytes(10, 1);
    auto frame = (*store)->begin_frame(0, "0.png", bytes.size(), 0);
    ASSERT_TRUE(frame);
    ASSERT_TRUE(frame->write(bytes));
    ASSERT_TRUE((*store)->finish_frame(std::move(frame).value(), xxh3_of(bytes)));
    const auto result = (*store)->commit();
    EXPECT_EQ(result.status().code(), ErrorCode::kStorageError) << skip;
    EXPECT_THAT(result.status().message(), HasSubstr("cannot fsync"));
    EXPECT_EQ(fs.faults_hit(), 1u);
    EXPECT_EQ(fs.calls(Op::kSync) - syncs_before, skip + 1);
    EXPECT_EQ((*store)->next_sequence(), 0u);
    // The file itself is visible once renamed (skip 1, 2), never before.
    EXPECT_EQ(fs.exists("/root/cam/0.png"), skip > 0) << skip;
  }
}

}  // namespace
}  // namespace framewire::storage
