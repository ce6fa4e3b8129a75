// Durable storage of one stream's frames under ROOT/<stream name>/.
//
// Life of a frame: begin_frame() creates a temporary file (".fwtmp-*", a name
// no valid frame can have); write() appends; finish_frame() checks the
// checksum and queues the frame; commit() makes every queued frame durable per
// the sync policy and visible under its final name, and appends its manifest
// line. A final name that is already taken is found by the no-replace rename:
// identical content is settled without rewriting, anything else is a conflict.
//
//   write temp -> [fsync temp] -> renameat2(NOREPLACE) -> [fsync dir]
//              -> append manifest lines -> [fsync manifest] -> caller acks
//
// (bracketed steps: sync=each does them per frame, sync=batch once per
// commit() for the whole group, sync=none never).
//
// Every path is resolved relative to directory descriptors opened with
// O_NOFOLLOW from the root, so a symlink planted under the root cannot
// redirect a write outside it.
//
// Threading: a StreamStore and its IncomingFrames are used by one thread at a
// time (the receiver runs them on its storage pool, never on the network loop).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "framewire/status.hpp"

namespace framewire::storage {

enum class SyncPolicy { kNone, kBatch, kEach };

// One line of ROOT/<stream>/manifest.jsonl.
struct FrameRecord {
  std::uint64_t sequence = 0;
  std::string file_name;
  std::uint64_t bytes = 0;
  std::uint64_t checksum = 0;  // XXH3-64 of the bytes; hex in the manifest
  std::string source_kind;
  std::int64_t capture_time_ns = 0;
  std::int64_t receive_time_ns = 0;
};

class StreamStore;

// A frame being received. Move-only; destroying one that was not finished
// removes its temporary file.
class IncomingFrame {
 public:
  IncomingFrame(IncomingFrame&&) noexcept;
  IncomingFrame& operator=(IncomingFrame&&) noexcept;
  IncomingFrame(const IncomingFrame&) = delete;
  IncomingFrame& operator=(const IncomingFrame&) = delete;
  ~IncomingFrame();

  // Appends bytes (hashing them). kStorageError on an I/O error, kMalformed
  // if more bytes arrive than were declared.
  Status write(std::span<const std::uint8_t> bytes);

  const FrameRecord& record() const;

 private:
  friend class StreamStore;
  struct State;
  explicit IncomingFrame(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

enum class FinishOutcome {
  kQueued,  // verified; settled (stored, or a conflict) at the next commit()
};

class StreamStore {
 public:
  ~StreamStore();
  StreamStore(const StreamStore&) = delete;
  StreamStore& operator=(const StreamStore&) = delete;

  // Starts a frame. `file_name` must already satisfy validate_file_name().
  // kStorageError if the temporary file cannot be created; kBadSequence for
  // sequence 2^64-1, which is reserved.
  Result<IncomingFrame> begin_frame(std::uint64_t sequence, std::string_view file_name,
                                    std::uint64_t bytes, std::int64_t capture_time_ns);

  // Verifies the frame against `checksum`. Errors (nothing stays on disk):
  // kMalformed when fewer bytes were written than declared,
  // kChecksumMismatch, kStorageError.
  Result<FinishOutcome> finish_frame(IncomingFrame frame, std::uint64_t checksum);

  // Makes the queued frames durable and visible (see the file comment) and
  // returns their records in order. The stream is stored in sequence order:
  // * a sequence above the highest stored one is new: its file is renamed
  //   into place and gets a manifest line; if its final name is taken, the
  //   stored file is compared: identical -> in `stored`, not rewritten, with
  //   its line; different, or not a regular file -> `rejected` (kConflict);
  // * a sequence at or below the highest stored one is accepted only as the
  //   very frame stored under it (same file name and checksum): in `stored`,
  //   nothing written; otherwise `rejected` (kStaleSequence). It never
  //   moves next_sequence() or last_file_name().
  // Sequences must increase within one group (the receiver session enforces
  // it per connection). kStorageError stops the commit: frames not yet
  // renamed are dropped and must not be acknowledged.
  struct CommitResult {
    std::vector<FrameRecord> stored;
    std::vector<std::pair<FrameRecord, Status>> rejected;
  };
  Result<CommitResult> commit();

  // Number of frames waiting for commit().
  std::size_t queued() const;

  // One past the highest sequence in the manifest, whatever the order of its
  // lines (0 if none).
  std::uint64_t next_sequence() const;
  // File name of the frame with the highest stored sequence ("" if none).
  const std::string& last_file_name() const;

  const std::string& name() const;

 private:
  friend class StorageRoot;
  struct State;
  explicit StreamStore(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The receiver's storage folder. Thread-safe: open_stream may be called from
// several threads at once (directory creation races are tolerated).
class StorageRoot {
 public:
  // Opens (creating if missing) the root directory and removes temporary
  // leftovers (".fwtmp-*") of an earlier run anywhere below it.
  static Result<std::unique_ptr<StorageRoot>> open(const std::string& path, SyncPolicy policy);
  ~StorageRoot();
  StorageRoot(const StorageRoot&) = delete;
  StorageRoot& operator=(const StorageRoot&) = delete;

  // Opens ROOT/<name>/ (creating each segment with mkdirat, refusing any
  // segment that is a symlink or not a directory) and its manifest.
  // `name` and `source_kind` must already be valid (safe_name.hpp).
  Result<std::unique_ptr<StreamStore>> open_stream(std::string_view name,
                                                   std::string_view source_kind);

  const std::string& path() const;
  SyncPolicy policy() const;

 private:
  struct State;
  explicit StorageRoot(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace framewire::storage
