// Helpers of the file store (file_io.hpp).
#include "storage/file_io.hpp"

#include <charconv>

#define XXH_STATIC_LINKING_ONLY
#include <errno.h>
#include <string.h>
#include <xxhash.h>

#include <memory>

namespace framewire::storage {
namespace {

constexpr std::size_t kHashChunkBytes = 256 * 1024;

// Opens `name` for reading and checks that it is a regular file.
Result<std::unique_ptr<File>> open_regular(Directory& dir, const char* name, std::string_view path,
                                           std::uint64_t& size) {
  std::unique_ptr<File> file;
  if (const int error = dir.open_read(name, file); error != 0) {
    if (error == ELOOP) {
      return Status(ErrorCode::kConflict, std::string(path) + " is a symlink, not a stored frame");
    }
    return errno_status("cannot open", path, error);
  }
  EntryKind kind = EntryKind::kOther;
  if (const int error = file->stat(size, kind); error != 0) {
    return errno_status("cannot stat", path, error);
  }
  if (kind != EntryKind::kRegular) {
    return Status(ErrorCode::kConflict, std::string(path) + " is not a regular file");
  }
  return file;
}

}  // namespace

Status errno_status(std::string_view what, std::string_view path, int error) {
  std::string message(what);
  message += ' ';
  message += path;
  message += ": ";
  message += ::strerror(error);
  return {ErrorCode::kStorageError, std::move(message)};
}

Result<FileDigest> hash_file_at(Directory& dir, const char* name, std::string_view path,
                                std::uint64_t expected_bytes, std::vector<std::uint8_t>& scratch) {
  std::uint64_t size = 0;
  auto file = open_regular(dir, name, path, size);
  if (!file) return file.status();
  FileDigest digest;
  if (expected_bytes != kAnySize && size != expected_bytes) {
    digest.bytes = size;
    return digest;
  }
  if (scratch.size() < kHashChunkBytes) scratch.resize(kHashChunkBytes);
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  for (;;) {
    const long got = (*file)->read_at(scratch.data(), scratch.size(), digest.bytes);
    if (got < 0) return errno_status("cannot read", path, static_cast<int>(-got));
    if (got == 0) break;
    XXH3_64bits_update(&state, scratch.data(), static_cast<std::size_t>(got));
    digest.bytes += static_cast<std::uint64_t>(got);
  }
  digest.xxh3 = XXH3_64bits_digest(&state);
  digest.hashed = true;
  return digest;
}

Result<std::vector<std::uint8_t>> read_file_at(Directory& dir, const char* name,
                                               std::string_view path, std::uint64_t max_bytes) {
  std::uint64_t size = 0;
  auto file = open_regular(dir, name, path, size);
  if (!file) {
    if (file.status().code() == ErrorCode::kStorageError) {
      EntryKind kind = EntryKind::kOther;
      if (dir.kind_of(name, kind) == ENOENT) {
        return Status(ErrorCode::kBadStream, std::string(path) + " is not stored");
      }
    }
    return file.status();
  }
  if (size > max_bytes) {
    return Status(ErrorCode::kFrameTooLarge, std::string(path) + " has " + std::to_string(size) +
                                                 " bytes, more than the " +
                                                 std::to_string(max_bytes) + " allowed");
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  const long got = (*file)->read_at(bytes.data(), bytes.size(), 0);
  if (got < 0) return errno_status("cannot read", path, static_cast<int>(-got));
  // A file that shrank under us is returned as it is now; one that grew is
  // cut at the size it had when it was opened.
  bytes.resize(static_cast<std::size_t>(got));
  return bytes;
}

std::string hex64(std::uint64_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i) {
    text[static_cast<std::size_t>(i)] = kHex[value & 0xf];
    value >>= 4;
  }
  return text;
}

std::optional<std::uint64_t> parse_hex64(std::string_view text) {
  if (text.size() != 16) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace framewire::storage
