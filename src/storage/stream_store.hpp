// The file store: the Storage of storage.hpp as files under a root folder,
// ROOT/<stream name>/<frame file> plus ROOT/<stream name>/manifest.jsonl,
// over a FileSystem (the POSIX one, or a MemoryFileSystem in tests).
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
// Every path is resolved relative to directories opened without following
// symlinks from the root, so a symlink planted under the root cannot redirect
// a write (or a read_frame) outside it.
//
// Threading: StorageRoot::open_stream and read_frame may be called from
// several threads at once (directory creation races are tolerated); a stream
// and its IncomingFrames are used by one thread at a time (the receiver runs
// them on its storage pool, never on the network loop).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "framewire/status.hpp"
#include "storage/file_system.hpp"
#include "storage/posix_file_system.hpp"
#include "storage/storage.hpp"

namespace framewire::storage {

// The receiver's storage folder.
class StorageRoot final : public Storage {
 public:
  // Opens (creating if missing) the root directory on `fs` and removes
  // temporary leftovers (".fwtmp-*") of an earlier run anywhere below it.
  // `fs` must outlive the root and every stream and frame it hands out.
  static Result<std::unique_ptr<StorageRoot>> open(const std::string& path, SyncPolicy policy,
                                                   FileSystem& fs = posix_file_system());
  // The same for a root that several processes write at once, each holding
  // other streams (sink instances sharing a folder): open sweeps nothing,
  // since a ".fwtmp-*" may be another process's frame in flight; instead
  // open_stream removes the leftovers in that stream's own folder (not below
  // it: subfolders are other streams), whose caller is its only writer.
  static Result<std::unique_ptr<StorageRoot>> open_shared(const std::string& path,
                                                          SyncPolicy policy,
                                                          FileSystem& fs = posix_file_system());
  ~StorageRoot() override;
  StorageRoot(const StorageRoot&) = delete;
  StorageRoot& operator=(const StorageRoot&) = delete;

  // Opens ROOT/<name>/ (creating each segment, refusing any segment that is
  // a symlink or not a directory) and its manifest, repairing a torn last
  // line (and, for a shared root, removing its temporary leftovers).
  // kConflict when a segment is a file (a frame of a parent stream).
  Result<std::unique_ptr<StreamStorage>> open_stream(std::string_view name,
                                                     std::string_view source_kind) override;

  // ROOT/<stream>/<file_name>, reached without creating or following
  // anything; the manifest itself is not a frame (kBadName).
  Result<std::vector<std::uint8_t>> read_frame(std::string_view stream, std::string_view file_name,
                                               std::uint64_t max_bytes) override;

  const std::string& path() const;
  SyncPolicy policy() const;

 private:
  struct State;
  explicit StorageRoot(std::unique_ptr<State> state);
  static Result<std::unique_ptr<StorageRoot>> open_root(const std::string& path, SyncPolicy policy,
                                                        FileSystem& fs, bool shared);
  std::unique_ptr<State> state_;
};

}  // namespace framewire::storage
