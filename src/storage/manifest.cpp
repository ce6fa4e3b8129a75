// Manifest line format and crash recovery (manifest.hpp).
#include "storage/manifest.hpp"

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

// How much of the end is read at a time when looking for the last newline.
constexpr std::uint64_t kTailWindowBytes = 64 * 1024;

// Reads bytes [end - window, end) of the file.
Result<std::string> read_window(File& file, std::uint64_t end, std::uint64_t window,
                                std::string_view path) {
  std::string buffer(static_cast<std::size_t>(window), '\0');
  const long got = file.read_at(buffer.data(), buffer.size(), end - window);
  if (got < 0) return errno_status("cannot read", path, static_cast<int>(-got));
  if (static_cast<std::uint64_t>(got) != window) {
    return Status(ErrorCode::kStorageError, std::string(path) + " shrank while it was being read");
  }
  return buffer;
}

// Offset just past the last '\n' at or before `size`, 0 if there is none.
Result<std::uint64_t> complete_end(File& file, std::uint64_t size, std::string_view path) {
  std::uint64_t end = size;
  while (end > 0) {
    const std::uint64_t window = std::min(end, kTailWindowBytes);
    auto chunk = read_window(file, end, window, path);
    if (!chunk) return chunk.status();
    const std::size_t newline = chunk->rfind('\n');
    if (newline != std::string::npos) return end - window + newline + 1;
    end -= window;
  }
  return std::uint64_t{0};
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

namespace {

constexpr std::size_t kScanChunkBytes = 1024 * 1024;

// The line exactly as append_manifest_line writes it: {"seq":N,"file":"NAME",...
// with "xxh3" later on. Anything else goes to the JSON parser.
std::optional<ManifestEntry> parse_own_format(std::string_view line) {
  constexpr std::string_view kSeq = "{\"seq\":";
  constexpr std::string_view kFile = ",\"file\":\"";
  constexpr std::string_view kXxh3 = "\"xxh3\":\"";
  if (!line.starts_with(kSeq)) return std::nullopt;
  ManifestEntry entry;
  const char* at = line.data() + kSeq.size();
  const char* end = line.data() + line.size();
  const auto [after_seq, error] = std::from_chars(at, end, entry.sequence);
  if (error != std::errc()) return std::nullopt;
  std::string_view rest(after_seq, static_cast<std::size_t>(end - after_seq));
  if (!rest.starts_with(kFile)) return std::nullopt;
  rest.remove_prefix(kFile.size());
  const std::size_t quote = rest.find('"');
  if (quote == std::string_view::npos || !needs_no_escaping(rest.substr(0, quote))) {
    return std::nullopt;
  }
  entry.file_name = rest.substr(0, quote);
  rest.remove_prefix(quote + 1);
  if (const std::size_t key = rest.find(kXxh3); key != std::string_view::npos) {
    entry.checksum = parse_hex64(rest.substr(key + kXxh3.size(), 16));
    if (!entry.checksum) return std::nullopt;
  }
  if (!rest.ends_with('}')) return std::nullopt;
  return entry;
}

std::optional<ManifestEntry> parse_any_json(std::string_view line) {
  const auto json = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  const auto seq = json.find("seq");
  const auto file = json.find("file");
  if (seq == json.end() || !seq->is_number_unsigned()) return std::nullopt;
  if (file == json.end() || !file->is_string()) return std::nullopt;
  ManifestEntry entry{.sequence = seq->get<std::uint64_t>(), .file_name = file->get<std::string>()};
  if (const auto xxh3 = json.find("xxh3"); xxh3 != json.end() && xxh3->is_string()) {
    entry.checksum = parse_hex64(xxh3->get<std::string>());
  }
  return entry;
}

}  // namespace

std::optional<ManifestEntry> parse_manifest_entry(std::string_view line) {
  auto entry = parse_own_format(line);
  if (!entry) entry = parse_any_json(line);
  // 2^64-1 is never a sequence (one past the highest must fit); a line with
  // it could only come from a receiver that did not refuse it yet.
  if (entry && entry->sequence == ~std::uint64_t{0}) return std::nullopt;
  return entry;
}

Status scan_manifest(File& file, std::uint64_t size, std::string_view path,
                     const std::function<void(ManifestEntry&&)>& visit) {
  std::string buffer;
  std::uint64_t offset = 0;
  std::size_t carried = 0;  // bytes of an unfinished line at the front of `buffer`
  while (offset < size) {
    const auto want =
        static_cast<std::size_t>(std::min<std::uint64_t>(kScanChunkBytes, size - offset));
    buffer.resize(carried + want);
    const long got = file.read_at(buffer.data() + carried, want, offset);
    if (got < 0) return errno_status("cannot read", path, static_cast<int>(-got));
    if (static_cast<std::size_t>(got) != want) {
      return Status(ErrorCode::kStorageError,
                    std::string(path) + " shrank while it was being read");
    }
    offset += want;
    const std::string_view text(buffer);
    std::size_t begin = 0;
    for (std::size_t newline = text.find('\n'); newline != std::string_view::npos;
         newline = text.find('\n', begin)) {
      if (auto entry = parse_manifest_entry(text.substr(begin, newline - begin))) {
        visit(std::move(*entry));
      }
      begin = newline + 1;
    }
    buffer.erase(0, begin);
    carried = buffer.size();
  }
  // `size` ends at a newline (recover_manifest cut any torn line), so nothing
  // is left over; a remainder would be a line still being written.
  return Status::ok();
}

Result<ManifestSummary> recover_manifest(File& file, std::string_view path, bool sync) {
  std::uint64_t size = 0;
  EntryKind kind = EntryKind::kOther;
  if (const int error = file.stat(size, kind); error != 0) {
    return errno_status("cannot stat", path, error);
  }
  auto end = complete_end(file, size, path);
  if (!end) return end.status();

  ManifestSummary summary;
  summary.size = *end;
  if (summary.size < size) {
    // A torn last line is end-of-input, not corruption: the frame it
    // described was never acknowledged, so dropping it loses nothing.
    if (const int error = file.truncate(summary.size); error != 0) {
      return errno_status("cannot cut the torn last line of", path, error);
    }
    if (sync) {
      if (const int error = file.sync(); error != 0) {
        return errno_status("cannot fsync", path, error);
      }
    }
  }
  if (summary.size == 0) return summary;

  Status scanned = scan_manifest(file, summary.size, path, [&](ManifestEntry&& entry) {
    if (!summary.highest || entry.sequence > summary.highest->sequence) {
      summary.highest = std::move(entry);
    }
  });
  if (!scanned) return scanned;
  if (!summary.highest) {
    return Status(ErrorCode::kStorageError,
                  std::string(path) + ": no line is a readable record; the manifest is corrupt");
  }
  return summary;
}

}  // namespace framewire::storage
