// ROOT/<stream>/manifest.jsonl: one JSON object per stored frame, one per
// line, appended only. This file knows the line format and how to find where
// a stream stands after a crash; StreamStore does the appending and syncing.
// Internal to src/storage; stateless, any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "framewire/status.hpp"
#include "storage/file_system.hpp"
#include "storage/storage.hpp"

namespace framewire::storage {

// Appends `record` as one manifest line (with its '\n') to `out`:
// {"seq":N,"file":"17.png","bytes":N,"xxh3":"<16 lowercase hex>",
//  "source":"visible","capture_time_ns":N,"receive_time_ns":N}
void append_manifest_line(const FrameRecord& record, std::string& out);

// What one manifest line says about a frame.
struct ManifestEntry {
  std::uint64_t sequence = 0;
  std::string file_name;
  std::optional<std::uint64_t> checksum;  // "xxh3"; absent only in lines not written by framewire
};

// The "seq", "file" and "xxh3" of a manifest line, or nothing if the line is
// not a record. Lines in framewire's own format are read without building a
// JSON object; any other JSON object with those keys is parsed properly.
std::optional<ManifestEntry> parse_manifest_entry(std::string_view line);

struct ManifestSummary {
  std::uint64_t size = 0;                // bytes in the file after repair
  std::optional<ManifestEntry> highest;  // the record with the highest "seq"; none if empty
};

// Reads the manifest open for reading and appending as `file`. A torn last line
// (no '\n': the writer died mid-append) is cut off (truncate), and synced
// when `sync` is set. Then every complete line is read, because the
// stream stands at its HIGHEST sequence whatever the order of the lines (a
// manifest written before sequences were enforced per stored stream may list
// a lower sequence after a higher one). Complete lines that do not parse (a
// crash with sync=none can leave zeros) are skipped. kStorageError on I/O
// errors, or when no line of a non-empty manifest is a record. `path` is only
// used in messages.
Result<ManifestSummary> recover_manifest(File& file, std::string_view path, bool sync);

// Calls `visit` with every record in the first `size` bytes of the manifest
// `file`, in file order. kStorageError on I/O errors.
Status scan_manifest(File& file, std::uint64_t size, std::string_view path,
                     const std::function<void(ManifestEntry&&)>& visit);

}  // namespace framewire::storage
