// Small helpers of the file store over a FileSystem: errno-to-Status
// conversion, hex checksums, and hashing a stored file found relative to a
// Directory without following symlinks. Internal to src/storage; stateless,
// any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framewire/status.hpp"
#include "storage/file_system.hpp"

namespace framewire::storage {

// kStorageError "<what> <path>: <strerror(error)>".
Status errno_status(std::string_view what, std::string_view path, int error);

// 16 lowercase hex digits, as checksums appear in the manifest and in messages.
std::string hex64(std::uint64_t value);
// The inverse: exactly 16 hex digits, else nothing.
std::optional<std::uint64_t> parse_hex64(std::string_view text);

struct FileDigest {
  std::uint64_t bytes = 0;
  std::uint64_t xxh3 = 0;
  bool hashed = false;  // false when the size alone already differed
};

// `expected_bytes` of hash_file_at when any size will do.
inline constexpr std::uint64_t kAnySize = ~std::uint64_t{0};

// XXH3-64 (seed 0) of the regular file `name` in `dir`, opened without
// following a symlink or blocking on a FIFO. When the file's size is not
// `expected_bytes` (and that is not kAnySize) it is not read at all
// (hashed = false): a size difference already decides a comparison. `scratch` is a reusable read
// buffer (grown on first use). kConflict if `name` is not a regular file, kStorageError on I/O
// errors; `path` is only used in messages.
Result<FileDigest> hash_file_at(Directory& dir, const char* name, std::string_view path,
                                std::uint64_t expected_bytes, std::vector<std::uint8_t>& scratch);

// The whole regular file `name` in `dir` (not a symlink: kConflict), at most
// `max_bytes` of it (kFrameTooLarge above). kBadStream when it does not
// exist, kStorageError on I/O errors; `path` is only used in messages.
Result<std::vector<std::uint8_t>> read_file_at(Directory& dir, const char* name,
                                               std::string_view path, std::uint64_t max_bytes);

}  // namespace framewire::storage
