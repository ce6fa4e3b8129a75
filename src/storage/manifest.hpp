// ROOT/<stream>/manifest.jsonl: one JSON object per stored frame, one per
// line, appended only. This file knows the line format and how to find where
// a stream stands after a crash; StreamStore does the appending and syncing.
// Internal to src/storage; stateless, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "framewire/status.hpp"
#include "storage/stream_store.hpp"

namespace framewire::storage {

// Appends `record` as one manifest line (with its '\n') to `out`:
// {"seq":N,"file":"17.png","bytes":N,"xxh3":"<16 lowercase hex>",
//  "source":"visible","capture_time_ns":N,"receive_time_ns":N}
void append_manifest_line(const FrameRecord& record, std::string& out);

struct ManifestTail {
  std::uint64_t next_sequence = 0;  // one past the last record's "seq", 0 if none
  std::uint64_t size = 0;           // bytes in the file after repair
  std::string last_file_name;       // the last record's "file", "" if none
};

// Reads the end of the manifest open for reading and writing on `fd` (never
// the whole file). A torn last line (no '\n': the writer died mid-append) is
// cut off with ftruncate, and fsync'ed when `sync` is set. The last complete
// line that parses gives next_sequence; complete lines that do not parse
// (a crash with sync=none can leave zeros) are skipped. kStorageError on I/O
// errors, or when no record parses in the last MiB of a non-empty manifest.
// `path` is only used in messages.
Result<ManifestTail> recover_manifest(int fd, std::string_view path, bool sync);

}  // namespace framewire::storage
