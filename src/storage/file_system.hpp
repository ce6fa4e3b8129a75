// The file system under the file store (leveldb's Env): exactly the
// operations StreamStore, the manifest code and the leftover sweep perform,
// each relative to an opened Directory and never following a symlink below
// the root. PosixFileSystem is the real one; MemoryFileSystem keeps a tree in
// memory and can be told to fail (tests, fuzzing). The store's logic (sequence
// order, manifest, sync order) is written once, against this interface.
//
// Errors are errno values (0 = success), as POSIX reports them, because the
// store decides on them (EEXIST from a no-replace rename, ELOOP for a
// symlink, ENOENT for a missing directory): every implementation reports the
// errno a Linux file system would.
//
// Threading: a FileSystem may be used from any number of threads at once; a
// Directory or File handle by one thread at a time, except that a Directory
// shared by a stream and its frames in flight is only used by the thread that
// uses the stream.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace framewire::storage {

enum class EntryKind { kRegular, kDirectory, kSymlink, kOther, kUnknown };

// An open regular file. Closed on destruction (close errors are ignored: data
// that matters is synced first, or knowingly not with sync=none).
class File {
 public:
  virtual ~File() = default;

  // Writes all of `bytes` at the file's offset (the end, for a file opened
  // for appending). Returns 0 or the errno; a partial write may have
  // happened before an error.
  virtual int write(std::span<const std::uint8_t> bytes) = 0;

  // Reads at most `size` bytes at `offset`. Returns the number read (short
  // only at end of file) or -errno.
  virtual long read_at(void* buffer, std::size_t size, std::uint64_t offset) = 0;

  // fsync(2). Returns 0 or the errno. Never retried by callers on failure.
  virtual int sync() = 0;

  // ftruncate(2) to `size` bytes. Returns 0 or the errno.
  virtual int truncate(std::uint64_t size) = 0;

  // fstat(2): size and kind. Returns 0 or the errno.
  virtual int stat(std::uint64_t& size, EntryKind& kind) = 0;
};

// An open directory; every name is one path segment relative to it.
class Directory {
 public:
  virtual ~Directory() = default;

  // Opens the directory `name` without following a symlink: ENOTDIR for a
  // symlink (what Linux says for O_DIRECTORY|O_NOFOLLOW; some systems say
  // ELOOP, so callers treat both alike and ask kind_of()) or any other kind
  // of file, ENOENT if missing.
  virtual int open_dir(const char* name, std::unique_ptr<Directory>& out) = 0;

  // mkdirat(2) with mode 0755: EEXIST if the name is taken.
  virtual int make_dir(const char* name) = 0;

  // fstatat(2) without following a symlink.
  virtual int kind_of(const char* name, EntryKind& kind) = 0;

  // Creates a new regular file for writing: fails with EEXIST if the name is
  // taken, whatever it is (O_CREAT|O_EXCL|O_NOFOLLOW).
  virtual int create_new(const char* name, std::unique_ptr<File>& out) = 0;

  // Opens (creating if missing) a regular file for reading and appending:
  // every write lands at the end. ELOOP for a symlink.
  virtual int open_append(const char* name, std::unique_ptr<File>& out) = 0;

  // Opens an existing file for reading without following a symlink (ELOOP)
  // and without blocking on a FIFO; the caller checks the kind with stat().
  virtual int open_read(const char* name, std::unique_ptr<File>& out) = 0;

  // Renames `from` to `to` in this directory unless `to` exists (EEXIST):
  // never replaces anything, whatever `to` is.
  virtual int rename_no_replace(const char* from, const char* to) = 0;

  // unlinkat(2) of a non-directory.
  virtual int unlink(const char* name) = 0;

  // fsync(2) of the directory: makes its entries (renames, new files) durable.
  virtual int sync() = 0;

  // Calls `visit` for each entry but "." and "..", in no particular order;
  // kind is kUnknown when the file system does not say (then kind_of()
  // tells). Entries may be unlinked from within `visit`. Returns 0 or errno.
  virtual int list(const std::function<void(const char* name, EntryKind kind)>& visit) = 0;

  // A second handle on this directory (for a sweep that keeps its own).
  virtual int reopen(std::unique_ptr<Directory>& out) = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Opens the root directory at `path`, creating it and its parents if
  // missing. The operator chose this path, so it is resolved normally
  // (symlinks included); nothing below it is. Returns 0 or the errno;
  // `failed_at` names the path that failed.
  virtual int open_root(const std::string& path, std::unique_ptr<Directory>& out,
                        std::string& failed_at) = 0;
};

}  // namespace framewire::storage
