// The FileSystem contract (file_system.hpp), checked the same way against the
// POSIX file system on a fresh temp dir and against MemoryFileSystem: the
// memory one must answer what Linux answers for every call the file store
// makes. Then the memory file system's fault injection.
#include "storage/file_system.hpp"

#include <errno.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "storage/memory_file_system.hpp"
#include "storage/posix_file_system.hpp"
#include "support/temp_dir.hpp"

namespace framewire::storage {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytes_of(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

std::string read_all(File& file) {
  std::string text(1024, '\0');
  const long got = file.read_at(text.data(), text.size(), 0);
  EXPECT_GE(got, 0);
  text.resize(static_cast<std::size_t>(std::max(got, 0L)));
  return text;
}

// A root directory on a real disk, with a way to plant a symlink.
class PosixWorld {
 public:
  FileSystem& fs() { return posix_file_system(); }
  std::string root() const { return dir_.path() + "/root"; }
  void symlink(const std::string& name, const std::string& target) {
    std::filesystem::create_symlink(target, root() + "/" + name);
  }

 private:
  test::TempDir dir_{"fs"};
};

class MemoryWorld {
 public:
  FileSystem& fs() { return fs_; }
  std::string root() const { return "/tmp/root"; }
  void symlink(const std::string& name, const std::string& target) {
    ASSERT_TRUE(fs_.make_symlink(root() + "/" + name, target));
  }

 private:
  MemoryFileSystem fs_;
};

template <typename World>
class FileSystemContract : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string failed_at;
    ASSERT_EQ(world_.fs().open_root(world_.root(), root_, failed_at), 0) << failed_at;
  }
  Directory& root() { return *root_; }

  std::vector<std::string> names() {
    std::vector<std::string> names;
    EXPECT_EQ(root_->list([&](const char* name, EntryKind) { names.emplace_back(name); }), 0);
    std::sort(names.begin(), names.end());
    return names;
  }

  std::unique_ptr<File> create(const char* name, std::string_view text) {
    std::unique_ptr<File> file;
    EXPECT_EQ(root_->create_new(name, file), 0) << name;
    if (file) {
      EXPECT_EQ(file->write(bytes_of(text)), 0);
    }
    return file;
  }

  World world_;
  std::unique_ptr<Directory> root_;
};

using Worlds = ::testing::Types<PosixWorld, MemoryWorld>;
class WorldNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, PosixWorld> ? "Posix" : "Memory";
  }
};
TYPED_TEST_SUITE(FileSystemContract, Worlds, WorldNames);

TYPED_TEST(FileSystemContract, OpenRootCreatesItAndItsParentsAndStartsEmpty) {
  EXPECT_TRUE(this->names().empty());
  std::unique_ptr<Directory> again;
  std::string failed_at;
  EXPECT_EQ(this->world_.fs().open_root(this->world_.root() + "/", again, failed_at), 0);
}

TYPED_TEST(FileSystemContract, CreateNewRefusesAnyTakenName) {
  auto file = this->create("a", "x");
  ASSERT_TRUE(file);
  ASSERT_EQ(this->root().make_dir("d"), 0);
  this->world_.symlink("l", "/nowhere");
  for (const char* name : {"a", "d", "l"}) {
    std::unique_ptr<File> again;
    EXPECT_EQ(this->root().create_new(name, again), EEXIST) << name;
    EXPECT_FALSE(again);
  }
}

TYPED_TEST(FileSystemContract, RenameNoReplaceNeverReplacesAndMovesOtherwise) {
  this->create("from", "new");
  this->create("taken", "old");
  EXPECT_EQ(this->root().rename_no_replace("from", "taken"), EEXIST);
  std::unique_ptr<File> taken;
  ASSERT_EQ(this->root().open_read("taken", taken), 0);
  EXPECT_EQ(read_all(*taken), "old");
  ASSERT_EQ(this->root().make_dir("dir"), 0);
  EXPECT_EQ(this->root().rename_no_replace("from", "dir"), EEXIST);
  this->world_.symlink("link", "/nowhere");
  EXPECT_EQ(this->root().rename_no_replace("from", "link"), EEXIST);

  EXPECT_EQ(this->root().rename_no_replace("from", "free"), 0);
  EXPECT_EQ(this->names(), (std::vector<std::string>{"dir", "free", "link", "taken"}));
  std::unique_ptr<File> moved;
  ASSERT_EQ(this->root().open_read("free", moved), 0);
  EXPECT_EQ(read_all(*moved), "new");
  EXPECT_EQ(this->root().rename_no_replace("missing", "other"), ENOENT);
}

TYPED_TEST(FileSystemContract, AnOpenFileOutlivesItsNameLikeAnInode) {
  auto file = this->create("temp", "abc");
  ASSERT_EQ(this->root().rename_no_replace("temp", "final"), 0);
  EXPECT_EQ(file->write(bytes_of("def")), 0);
  EXPECT_EQ(this->root().unlink("final"), 0);
  EXPECT_EQ(this->root().unlink("final"), ENOENT);
  std::uint64_t size = 0;
  EntryKind kind = EntryKind::kOther;
  ASSERT_EQ(file->stat(size, kind), 0);
  EXPECT_EQ(size, 6u);
  EXPECT_EQ(kind, EntryKind::kRegular);
  EXPECT_TRUE(this->names().empty());
}

TYPED_TEST(FileSystemContract, OpenDirRefusesSymlinksAndFiles) {
  ASSERT_EQ(this->root().make_dir("d"), 0);
  EXPECT_EQ(this->root().make_dir("d"), EEXIST);
  this->create("f", "");
  this->world_.symlink("l", this->world_.root() + "/d");
  std::unique_ptr<Directory> dir;
  EXPECT_EQ(this->root().open_dir("l", dir), ENOTDIR);  // Linux: not ELOOP
  EXPECT_EQ(this->root().open_dir("f", dir), ENOTDIR);
  EXPECT_EQ(this->root().open_dir("missing", dir), ENOENT);
  EXPECT_FALSE(dir);
  ASSERT_EQ(this->root().open_dir("d", dir), 0);
  EXPECT_EQ(dir->sync(), 0);
  EntryKind kind = EntryKind::kOther;
  ASSERT_EQ(this->root().kind_of("l", kind), 0);
  EXPECT_EQ(kind, EntryKind::kSymlink);
  ASSERT_EQ(this->root().kind_of("d", kind), 0);
  EXPECT_EQ(kind, EntryKind::kDirectory);
  EXPECT_EQ(this->root().kind_of("missing", kind), ENOENT);
}

TYPED_TEST(FileSystemContract, OpenReadAndOpenAppendRefuseSymlinks) {
  this->create("target", "secret");
  this->world_.symlink("link", this->world_.root() + "/target");
  std::unique_ptr<File> file;
  EXPECT_EQ(this->root().open_read("link", file), ELOOP);
  EXPECT_EQ(this->root().open_append("link", file), ELOOP);
  EXPECT_EQ(this->root().open_read("missing", file), ENOENT);
  // A directory opens for reading; stat says what it is.
  ASSERT_EQ(this->root().make_dir("d"), 0);
  ASSERT_EQ(this->root().open_read("d", file), 0);
  std::uint64_t size = 0;
  EntryKind kind = EntryKind::kOther;
  ASSERT_EQ(file->stat(size, kind), 0);
  EXPECT_EQ(kind, EntryKind::kDirectory);
}

TYPED_TEST(FileSystemContract, AppendWritesAtTheEndAndTruncateCuts) {
  std::unique_ptr<File> log;
  ASSERT_EQ(this->root().open_append("log", log), 0);
  EXPECT_EQ(log->write(bytes_of("one\n")), 0);
  EXPECT_EQ(read_all(*log), "one\n");  // reading moves nothing
  EXPECT_EQ(log->write(bytes_of("two\n")), 0);
  EXPECT_EQ(read_all(*log), "one\ntwo\n");
  ASSERT_EQ(log->truncate(4), 0);
  EXPECT_EQ(log->write(bytes_of("3\n")), 0);
  EXPECT_EQ(log->sync(), 0);
  std::unique_ptr<File> again;
  ASSERT_EQ(this->root().open_append("log", again), 0);
  EXPECT_EQ(read_all(*again), "one\n3\n");
  char tail[8] = {};
  EXPECT_EQ(again->read_at(tail, sizeof tail, 4), 2);
  EXPECT_EQ(again->read_at(tail, sizeof tail, 100), 0);
}

TYPED_TEST(FileSystemContract, ListShowsEveryEntryAndAllowsUnlinkingDuringIt) {
  this->create(".fwtmp-1", "");
  this->create("a.png", "");
  ASSERT_EQ(this->root().make_dir("sub"), 0);
  std::vector<std::string> seen;
  ASSERT_EQ(this->root().list([&](const char* name, EntryKind kind) {
    seen.emplace_back(name);
    if (kind == EntryKind::kUnknown) {
      ASSERT_EQ(this->root().kind_of(name, kind), 0);
    }
    if (std::string_view(name).starts_with(".fwtmp-")) {
      EXPECT_EQ(kind, EntryKind::kRegular);
      EXPECT_EQ(this->root().unlink(name), 0);
    }
    if (std::string_view(name) == "sub") {
      EXPECT_EQ(kind, EntryKind::kDirectory);
    }
  }),
            0);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{".fwtmp-1", "a.png", "sub"}));
  EXPECT_EQ(this->names(), (std::vector<std::string>{"a.png", "sub"}));
  EXPECT_EQ(this->root().unlink("sub"), EISDIR);
}

// ---------------------------------------------------------------------------
// MemoryFileSystem's faults and helpers

using Op = MemoryFileSystem::Op;

class MemoryFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string failed_at;
    ASSERT_EQ(fs_.open_root("/r", root_, failed_at), 0);
  }
  MemoryFileSystem fs_;
  std::unique_ptr<Directory> root_;
};

TEST_F(MemoryFaults, TheNthMatchingSyncFailsOnceWithTheChosenErrno) {
  std::unique_ptr<File> a;
  std::unique_ptr<File> b;
  ASSERT_EQ(root_->create_new("a", a), 0);
  ASSERT_EQ(root_->create_new("b", b), 0);
  fs_.inject({.op = Op::kSync, .error = ENOSPC, .skip = 1, .path_contains = "/r/b"});
  EXPECT_EQ(a->sync(), 0);  // another path: not counted
  EXPECT_EQ(b->sync(), 0);  // skipped
  EXPECT_EQ(b->sync(), ENOSPC);
  EXPECT_EQ(b->sync(), 0);  // once only
  EXPECT_EQ(fs_.faults_hit(), 1u);
  EXPECT_EQ(fs_.calls(Op::kSync), 4u);
}

TEST_F(MemoryFaults, AFailedWriteWritesNothingAndForeverLastsUntilCleared) {
  std::unique_ptr<File> file;
  ASSERT_EQ(root_->create_new("f", file), 0);
  fs_.inject({.op = Op::kWrite, .error = EIO, .times = MemoryFileSystem::kForever});
  EXPECT_EQ(file->write(bytes_of("abc")), EIO);
  EXPECT_EQ(file->write(bytes_of("abc")), EIO);
  EXPECT_EQ(fs_.read_text("/r/f"), std::optional<std::string>(""));
  fs_.clear_faults();
  EXPECT_EQ(file->write(bytes_of("abc")), 0);
  EXPECT_EQ(fs_.read_text("/r/f"), std::optional<std::string>("abc"));
}

TEST_F(MemoryFaults, AFailedRenameMovesNothing) {
  std::unique_ptr<File> file;
  ASSERT_EQ(root_->create_new(".fwtmp-x", file), 0);
  fs_.inject({.op = Op::kRename, .error = EIO});
  EXPECT_EQ(root_->rename_no_replace(".fwtmp-x", "0.png"), EIO);
  EXPECT_EQ(fs_.list("/r"), std::vector<std::string>{".fwtmp-x"});
  EXPECT_EQ(root_->rename_no_replace(".fwtmp-x", "0.png"), 0);
  EXPECT_EQ(fs_.list("/r"), std::vector<std::string>{"0.png"});
}

TEST_F(MemoryFaults, HelpersSeeAndPlantWhatTheHandlesDo) {
  ASSERT_TRUE(fs_.write_file("/r/a/b/c.png", "xyz"));
  EXPECT_EQ(fs_.kind("/r/a/b"), std::optional<EntryKind>(EntryKind::kDirectory));
  std::unique_ptr<Directory> a;
  ASSERT_EQ(root_->open_dir("a", a), 0);
  EXPECT_TRUE(fs_.make_symlink("/r/a/link", "/r"));
  EXPECT_FALSE(fs_.make_symlink("/r/a/link", "/r"));
  std::vector<std::string> walked;
  fs_.walk("/r", [&](const std::string& path, EntryKind) { walked.push_back(path); });
  EXPECT_EQ(walked, (std::vector<std::string>{"/r/a", "/r/a/b", "/r/a/b/c.png", "/r/a/link"}));
  EXPECT_TRUE(fs_.remove_all("/r/a"));
  EXPECT_FALSE(fs_.exists("/r/a/b/c.png"));
  // A directory whose name is gone takes nothing new, as on Linux.
  EXPECT_EQ(a->make_dir("new"), ENOENT);
  std::unique_ptr<File> file;
  EXPECT_EQ(a->create_new("new", file), ENOENT);
}

}  // namespace
}  // namespace framewire::storage
