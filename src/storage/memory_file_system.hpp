// A FileSystem (file_system.hpp) that keeps its tree in memory, for tests and
// fuzzing: no disk, no /dev/shm, and faults on demand. It reports the errno a
// Linux file system would for everything the file store does (EEXIST from a
// no-replace rename or an exclusive create, ELOOP for a symlink opened
// without following, ENOTDIR, ENOENT, EISDIR), keeps an open file usable after
// its name is unlinked or renamed (a handle holds the node, like an inode),
// and never follows a symlink (it only stores them, so that tests can plant
// them). Paths of the helpers are '/'-separated and absolute ("/root/cam").
//
// Faults: inject() makes matching calls fail with a chosen errno (EIO,
// ENOSPC...): the next call of a kind, or the Nth, optionally only when the
// path contains a string, once or several times. A failed write writes
// nothing; a failed sync changes nothing (data is never lost in memory).
//
// Threading: every member may be called from any thread; one mutex guards
// the whole tree (contention is not a concern in tests).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/file_system.hpp"

namespace framewire::storage {

class MemoryFileSystem final : public FileSystem {
 public:
  // The calls a fault can match.
  enum class Op {
    kWrite,     // File::write
    kSync,      // File::sync and Directory::sync
    kRename,    // Directory::rename_no_replace
    kCreate,    // Directory::create_new
    kOpen,      // open_dir, open_append, open_read, open_root
    kMakeDir,   // Directory::make_dir
    kUnlink,    // Directory::unlink
    kTruncate,  // File::truncate
    kRead,      // File::read_at
    kList,      // Directory::list
  };
  static constexpr std::uint64_t kForever = ~std::uint64_t{0};

  struct Fault {
    Op op = Op::kWrite;
    int error = 5;  // EIO
    // Matching calls that still succeed before the first failure: 0 fails
    // the next one, 2 the third.
    std::uint64_t skip = 0;
    // Matching calls that fail once failing has begun (kForever: all).
    std::uint64_t times = 1;
    // Only calls whose path (the file's or directory's, as "/root/cam/x")
    // contains this; empty matches every path.
    std::string path_contains;
  };

  MemoryFileSystem();
  ~MemoryFileSystem() override;
  MemoryFileSystem(const MemoryFileSystem&) = delete;
  MemoryFileSystem& operator=(const MemoryFileSystem&) = delete;

  int open_root(const std::string& path, std::unique_ptr<Directory>& out,
                std::string& failed_at) override;

  // --- faults ---
  void inject(Fault fault);
  void clear_faults();
  // How many calls failed because of an injected fault.
  std::uint64_t faults_hit() const;
  // How many calls of a kind were made (failed ones included).
  std::uint64_t calls(Op op) const;

  // --- test helpers (never fail by injection; never follow symlinks) ---
  // The bytes of the regular file at `path`, or nothing.
  std::optional<std::vector<std::uint8_t>> read(const std::string& path) const;
  std::optional<std::string> read_text(const std::string& path) const;
  std::optional<EntryKind> kind(const std::string& path) const;
  bool exists(const std::string& path) const { return kind(path).has_value(); }
  // Creates or replaces the regular file at `path`, creating missing parent
  // directories. False if a parent is not a directory.
  bool write_file(const std::string& path, std::string_view bytes);
  bool make_dirs(const std::string& path);
  bool make_symlink(const std::string& path, const std::string& target);
  // Removes `path` and everything below it; false if it does not exist.
  bool remove_all(const std::string& path);
  // Sorted names in the directory `path` (empty if it is none).
  std::vector<std::string> list(const std::string& path) const;
  // Every entry below the directory `path`, depth first, as full paths.
  void walk(const std::string& path,
            const std::function<void(const std::string& path, EntryKind kind)>& visit) const;

  struct Node;  // the tree; internal

 private:
  friend class MemoryDirectory;
  friend class MemoryFile;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace framewire::storage
