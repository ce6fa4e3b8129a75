// Small POSIX helpers for the storage layer: complete writes that survive
// EINTR and short writes, errno-to-Status conversion, and hashing a stored
// file found relative to a directory descriptor without following symlinks.
// Internal to src/storage; stateless, any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "framewire/status.hpp"

namespace framewire::storage {

// kStorageError "<what> <path>: <strerror(error)>".
Status errno_status(std::string_view what, std::string_view path, int error);

// Writes all of `bytes` to `fd`, retrying on EINTR and short writes.
// Returns 0 or the errno of the failing write(2).
int write_all(int fd, std::span<const std::uint8_t> bytes);

// Reads at most `size` bytes at `offset`, retrying on EINTR. Returns the
// number read (short only at end of file) or -errno.
long pread_full(int fd, void* buffer, std::size_t size, std::uint64_t offset);

// fsync(2), retrying only on EINTR (a real failure is never retried: after a
// failed fsync the kernel may already have dropped the dirty pages).
int fsync_fd(int fd);

// 16 lowercase hex digits, as checksums appear in the manifest and in messages.
std::string hex64(std::uint64_t value);

struct FileDigest {
  std::uint64_t bytes = 0;
  std::uint64_t xxh3 = 0;
  bool hashed = false;  // false when the size alone already differed
};

// XXH3-64 (seed 0) of the regular file `name` in `dir_fd`, opened with
// O_NOFOLLOW|O_NONBLOCK so that neither a symlink nor a FIFO can be
// substituted. When the file's size is not `expected_bytes` it is not read
// at all (hashed = false): a size difference already decides a comparison.
// `scratch` is a reusable read buffer (grown on first use). kConflict if
// `name` is not a regular file, kStorageError on I/O errors; `path` is only
// used in messages.
Result<FileDigest> hash_file_at(int dir_fd, const char* name, std::string_view path,
                                std::uint64_t expected_bytes, std::vector<std::uint8_t>& scratch);

}  // namespace framewire::storage
