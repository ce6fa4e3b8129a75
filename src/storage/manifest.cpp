// Manifest line format and crash recovery (manifest.hpp).
#include "storage/manifest.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>

#include "storage/file_io.hpp"

namespace framewire::storage {
namespace {

constexpr std::uint64_t kFirstWindowBytes = 4096;
constexpr std::uint64_t kMaxWindowBytes = 1024 * 1024;

// Reads bytes [end - window, end) of the file.
Result<std::string> read_window(int fd, std::uint64_t end, std::uint64_t window,
                                std::string_view path) {
  std::string buffer(static_cast<std::size_t>(window), '\0');
  const long got = pread_full(fd, buffer.data(), buffer.size(), end - window);
  if (got < 0) return errno_status("cannot read", path, static_cast<int>(-got));
  if (static_cast<std::uint64_t>(got) != window) {
    return Status(ErrorCode::kStorageError, std::string(path) + " shrank while it was being read");
  }
  return buffer;
}

// Offset just past the last '\n' at or before `size`, 0 if there is none.
Result<std::uint64_t> complete_end(int fd, std::uint64_t size, std::string_view path) {
  std::uint64_t end = size;
  while (end > 0) {
    const std::uint64_t window = std::min(end, kFirstWindowBytes * 16);
    auto chunk = read_window(fd, end, window, path);
    if (!chunk) return chunk.status();
    const std::size_t newline = chunk->rfind('\n');
    if (newline != std::string::npos) return end - window + newline + 1;
    end -= window;
  }
  return std::uint64_t{0};
}

struct RecordKey {
  std::uint64_t sequence = 0;
  std::string file_name;
};

// The "seq" and "file" of a manifest line, or nothing if the line is not a record.
std::optional<RecordKey> parse_record_key(std::string_view line) {
  const auto json = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  const auto seq = json.find("seq");
  const auto file = json.find("file");
  if (seq == json.end() || !seq->is_number_unsigned()) return std::nullopt;
  if (file == json.end() || !file->is_string()) return std::nullopt;
  return RecordKey{seq->get<std::uint64_t>(), file->get<std::string>()};
}

}  // namespace

namespace {

// Names that passed the name rules need no JSON escaping.
bool needs_no_escaping(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

template <typename Integer>
void append_number(std::string& out, Integer value) {
  char digits[24];
  const auto end = std::to_chars(std::begin(digits), std::end(digits), value).ptr;
  out.append(digits, end);
}

}  // namespace

void append_manifest_line(const FrameRecord& record, std::string& out) {
  if (!needs_no_escaping(record.file_name) || !needs_no_escaping(record.source_kind)) {
    // Not reachable through the receiver (names are validated first); kept
    // so the function is correct for any input. ordered_json keeps the
    // documented key order.
    const nlohmann::ordered_json line = {
        {"seq", record.sequence},
        {"file", record.file_name},
        {"bytes", record.bytes},
        {"xxh3", hex64(record.checksum)},
        {"source", record.source_kind},
        {"capture_time_ns", record.capture_time_ns},
        {"receive_time_ns", record.receive_time_ns},
    };
    out += line.dump();
    out += '\n';
    return;
  }
  // The hot path, once per stored frame: the same line, without building a
  // JSON object first.
  out += "{\"seq\":";
  append_number(out, record.sequence);
  out += ",\"file\":\"";
  out += record.file_name;
  out += "\",\"bytes\":";
  append_number(out, record.bytes);
  out += ",\"xxh3\":\"";
  out += hex64(record.checksum);
  out += "\",\"source\":\"";
  out += record.source_kind;
  out += "\",\"capture_time_ns\":";
  append_number(out, record.capture_time_ns);
  out += ",\"receive_time_ns\":";
  append_number(out, record.receive_time_ns);
  out += "}\n";
}

Result<ManifestTail> recover_manifest(int fd, std::string_view path, bool sync) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_status("cannot stat", path, errno);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  auto end = complete_end(fd, size, path);
  if (!end) return end.status();

  ManifestTail tail;
  tail.size = *end;
  if (tail.size < size) {
    // A torn last line is end-of-input, not corruption: the frame it
    // described was never acknowledged, so dropping it loses nothing.
    if (::ftruncate(fd, static_cast<off_t>(tail.size)) != 0) {
      return errno_status("cannot cut the torn last line of", path, errno);
    }
    if (sync) {
      if (const int error = fsync_fd(fd); error != 0) {
        return errno_status("cannot fsync", path, error);
      }
    }
  }
  if (tail.size == 0) return tail;

  // Walk complete lines backwards from the end, reading a growing window.
  std::uint64_t window = std::min(tail.size, kFirstWindowBytes);
  for (;;) {
    auto chunk = read_window(fd, tail.size, window, path);
    if (!chunk) return chunk.status();
    const std::string_view text(*chunk);
    // text ends with '\n'; line_end indexes the '\n' closing the line.
    std::size_t line_end = text.size() - 1;
    for (;;) {
      const std::size_t newline =
          line_end == 0 ? std::string_view::npos : text.rfind('\n', line_end - 1);
      if (newline == std::string_view::npos && window < tail.size) break;  // line cut by window
      const std::size_t begin = newline == std::string_view::npos ? 0 : newline + 1;
      if (auto key = parse_record_key(text.substr(begin, line_end - begin))) {
        tail.next_sequence = key->sequence + 1;
        tail.last_file_name = std::move(key->file_name);
        return tail;
      }
      if (newline == std::string_view::npos) break;  // start of file
      line_end = newline;
    }
    if (window == tail.size || window >= kMaxWindowBytes) break;
    window = std::min(tail.size, window * 4);
  }
  return Status(ErrorCode::kStorageError,
                std::string(path) + ": no readable record near the end; the manifest is corrupt");
}

}  // namespace framewire::storage
