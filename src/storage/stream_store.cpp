// StorageRoot (stream_store.hpp), its streams and frames: the file store's
// durable write path, written once over a FileSystem. Every file operation is
// relative to a Directory opened without following symlinks, so nothing
// planted under the root can redirect a write outside it. A stream is used by
// one thread at a time; StorageRoot::open_stream and read_frame by any number
// of threads at once.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>
// (xxhash.h first: the static-linking state type must be visible everywhere.)

#include "storage/stream_store.hpp"

#include <errno.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "storage/file_io.hpp"
#include "storage/manifest.hpp"
#include "storage/safe_name.hpp"
#include "storage/temp_files.hpp"

namespace framewire::storage {
namespace {

constexpr int kTempCreateAttempts = 8;
// Never a frame's sequence: next_sequence (one past the highest) must fit.
constexpr std::uint64_t kNoSequence = ~std::uint64_t{0};

// A stream's directory handle, shared by the stream and its frames in flight,
// so that a frame outliving its stream can still remove its temporary file.
struct SharedDir {
  std::unique_ptr<Directory> dir;
  std::string path;  // for messages only; never used to reach the files
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string join(std::string_view dir, std::string_view name) {
  std::string path(dir);
  path += '/';
  path += name;
  return path;
}

// splitmix64: temporary names only need to be unlikely to collide (O_EXCL
// catches the rest), and this costs no syscall per frame.
std::uint64_t next_random(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t random_seed() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device() ^
         static_cast<std::uint64_t>(now_ns());
}

// Opens `segment` below `parent` as a directory, creating it if missing.
// Refuses symlinks and non-directories. `created` is set when this call made
// the directory.
Result<std::unique_ptr<Directory>> open_or_create_dir(Directory& parent, const char* segment,
                                                      const std::string& path, bool& created) {
  // Two attempts suffice for a create race (another thread's mkdirat wins,
  // ours sees EEXIST, the second openat finds its directory); a third covers
  // a directory removed by hand in between.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::unique_ptr<Directory> dir;
    const int error = parent.open_dir(segment, dir);
    if (error == 0) return dir;
    if (error == ENOENT) {
      if (const int made = parent.make_dir(segment); made == 0) {
        created = true;
      } else if (made != EEXIST) {
        return errno_status("cannot create directory", path, made);
      }
      continue;
    }
    if (error == ELOOP || error == ENOTDIR) {
      EntryKind kind = EntryKind::kOther;
      if (parent.kind_of(segment, kind) == 0 && kind == EntryKind::kSymlink) {
        return Status(ErrorCode::kStorageError,
                      path + " is a symlink; stream directories are never reached through one");
      }
      // A name clash between streams (stream "a/x" where stream "a" stored
      // a frame "x"), not a storage failure: the stream cannot be opened.
      return Status(ErrorCode::kConflict,
                    path + " exists and is not a directory (a frame file of a parent stream?)");
    }
    return errno_status("cannot open directory", path, error);
  }
  return Status(ErrorCode::kStorageError, path + " disappeared repeatedly while being opened");
}

// The segments of a valid stream name: "rig1/visible" -> {"rig1", "visible"}.
std::vector<std::string> segments_of(std::string_view name) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    segments.emplace_back(name.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

// Opens the existing directory ROOT/<name> for reading, creating nothing.
// kBadStream when a segment is missing, kConflict when one is a symlink or
// not a directory. Messages name the stream, not the receiver's folders.
Result<std::unique_ptr<Directory>> open_existing_stream(Directory& root, std::string_view name) {
  std::unique_ptr<Directory> current;
  std::string path;
  for (const std::string& segment : segments_of(name)) {
    path += path.empty() ? segment : "/" + segment;
    std::unique_ptr<Directory> next;
    Directory& parent = current ? *current : root;
    if (const int error = parent.open_dir(segment.c_str(), next); error != 0) {
      if (error == ENOENT) return Status(ErrorCode::kBadStream, path + " is not stored");
      if (error == ELOOP || error == ENOTDIR) {
        return Status(ErrorCode::kConflict, path + " is not a stream directory");
      }
      return errno_status("cannot open directory", path, error);
    }
    current = std::move(next);
  }
  return current;
}

}  // namespace

// ---------------------------------------------------------------------------
// A frame in flight: its temporary file and running hash.

struct FileFrame final : IncomingFrame::Backend {
  // XXH3_state_t wants 64-byte alignment; it is first so that the padding
  // stays small.
  XXH3_state_t hash;
  std::shared_ptr<SharedDir> dir;
  FrameRecord frame_record;
  std::uint64_t written = 0;
  std::unique_ptr<File> file;
  TempName temp_name{};
  bool temp_on_disk = false;  // temp_name exists and is ours to remove

  FileFrame() = default;
  FileFrame(const FileFrame&) = delete;
  FileFrame& operator=(const FileFrame&) = delete;
  ~FileFrame() override { discard_temp(); }

  const char* temp() const { return temp_name.data(); }

  // Removes the temporary file; a frame that is not stored leaves nothing.
  void discard_temp() {
    file.reset();
    if (temp_on_disk) {
      // An unlink failure leaves an invisible ".fwtmp-*" that the next
      // StorageRoot::open sweeps away; there is nobody to report it to here.
      static_cast<void>(dir->dir->unlink(temp()));
      temp_on_disk = false;
    }
  }

  const FrameRecord& record() const override { return frame_record; }

  void set_receive_time_ns(std::int64_t ns) override { frame_record.receive_time_ns = ns; }

  Status write(std::span<const std::uint8_t> bytes) override {
    if (bytes.size() > frame_record.bytes - written) {
      return {ErrorCode::kMalformed, "frame " + frame_record.file_name + " declared " +
                                         std::to_string(frame_record.bytes) +
                                         " bytes and more arrived"};
    }
    XXH3_64bits_update(&hash, bytes.data(), bytes.size());
    if (const int error = file->write(bytes); error != 0) {
      return errno_status("cannot write frame", join(dir->path, frame_record.file_name), error);
    }
    written += bytes.size();
    return Status::ok();
  }
};

// ---------------------------------------------------------------------------
// StreamStore: one stream of the file store. Its state and rules live in
// StreamState; StreamStore is the StreamStorage face of it.

struct StreamState {
  std::string name;
  std::string source_kind;
  SyncPolicy policy = SyncPolicy::kBatch;
  std::shared_ptr<SharedDir> dir;
  std::unique_ptr<File> manifest;
  std::string manifest_path;
  std::uint64_t manifest_size = 0;
  std::uint64_t next_sequence = 0;
  std::string last_file_name;  // of the record with sequence next_sequence - 1
  // What the manifest holds under each sequence, read on first need: only a
  // frame sent again under an old sequence needs it (a sender that numbers
  // from 0 again instead of resuming). Kept up to date by commit() once read.
  std::optional<std::unordered_map<std::uint64_t, ManifestEntry>> index;
  std::uint64_t random_state = 0;
  std::vector<std::unique_ptr<FileFrame>> queue;
  std::string lines;                  // manifest lines of one commit, reused
  std::vector<std::uint8_t> scratch;  // read buffer for hashing stored files
  Status poisoned;                    // not ok once an fsync failed: no further work

  std::string path_of(std::string_view file_name) const { return join(dir->path, file_name); }

  Status poison(Status status) {
    poisoned = Status(ErrorCode::kStorageError,
                      "stream " + name + " refuses further work after: " + status.message());
    return status;
  }

  template <typename Syncable>
  Status sync(Syncable& target, std::string_view what) {
    if (const int error = target.sync(); error != 0) {
      // Never retried: after a failed fsync the kernel may have dropped the
      // dirty pages and a second fsync could report success for lost data.
      return poison(errno_status("cannot fsync", what, error));
    }
    return Status::ok();
  }

  // Compares the stored file record.file_name with the frame `record`: ok
  // when identical, kConflict when different or not a regular file.
  Status compare_with_stored(const FrameRecord& record) {
    const std::string path = path_of(record.file_name);
    auto digest = hash_file_at(*dir->dir, record.file_name.c_str(), path, record.bytes, scratch);
    if (!digest) return digest.status();
    if (digest->hashed && digest->bytes == record.bytes && digest->xxh3 == record.checksum) {
      return Status::ok();
    }
    // Stream-relative: the message goes to the sender, who has no business
    // learning the receiver's folder layout.
    std::string message =
        name + "/" + record.file_name + " is already stored with different content (";
    if (!digest->hashed) {
      message += std::to_string(digest->bytes) + " bytes; the frame has " +
                 std::to_string(record.bytes) + ")";
    } else {
      message += "xxh3 " + hex64(digest->xxh3) + "; the frame has " + hex64(record.checksum) + ")";
    }
    return {ErrorCode::kConflict, std::move(message)};
  }

  enum class Publish { kRenamed, kAlreadyStored, kConflict, kFailed };

  // Moves the frame's temporary file to its final name without ever
  // replacing an existing file. `status` is set for kConflict and kFailed.
  Publish publish(FileFrame& frame, Status& status) {
    const int error =
        dir->dir->rename_no_replace(frame.temp(), frame.frame_record.file_name.c_str());
    if (error == 0) {
      frame.temp_on_disk = false;
      return Publish::kRenamed;
    }
    if (error != EEXIST) {
      status = errno_status("cannot rename a temporary file to",
                            path_of(frame.frame_record.file_name), error);
      return Publish::kFailed;
    }
    // The name was taken after begin_frame (the same file twice in one
    // group, or a writer outside framewire): settle it like finish_frame.
    frame.discard_temp();
    status = compare_with_stored(frame.frame_record);
    if (status) return Publish::kAlreadyStored;
    return status.code() == ErrorCode::kConflict ? Publish::kConflict : Publish::kFailed;
  }

  Status append_lines() {
    if (lines.empty()) return Status::ok();
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(lines.data()),
                                              lines.size());
    if (const int error = manifest->write(bytes); error != 0) {
      // A partial append would glue the next line onto a torn one: cut it
      // back, and stop using this store either way (a reopen repairs).
      static_cast<void>(manifest->truncate(manifest_size));
      return poison(errno_status("cannot append to", manifest_path, error));
    }
    manifest_size += lines.size();
    lines.clear();
    return Status::ok();
  }

  Result<const std::unordered_map<std::uint64_t, ManifestEntry>*> manifest_index() {
    if (!index) {
      std::unordered_map<std::uint64_t, ManifestEntry> entries;
      Status scanned =
          scan_manifest(*manifest, manifest_size, manifest_path, [&](ManifestEntry&& entry) {
            // The first line of a sequence is the one that counts.
            entries.try_emplace(entry.sequence, std::move(entry));
          });
      if (!scanned) return scanned;
      index = std::move(entries);
    }
    return &*index;
  }

  // A frame whose sequence is at or below the highest stored one is only
  // accepted as the very frame stored under that sequence (a resend: settled,
  // not rewritten, no second manifest line); anything else would store the
  // stream out of order and move its resume point, so it is refused.
  // ok: already stored; kStaleSequence: refused; kStorageError: I/O failed.
  Status settle_old_sequence(const FrameRecord& record, std::uint64_t group_start) {
    const auto refuse = [&](const std::string& why) {
      return Status(ErrorCode::kStaleSequence,
                    "stream " + name + ": sequence " + std::to_string(record.sequence) +
                        " is at or below the highest stored sequence " +
                        std::to_string(next_sequence - 1) + ", and " + why +
                        "; a stream is stored in sequence order, so continue from "
                        "STREAM_OPENED's next_sequence");
    };
    if (record.sequence >= group_start) {
      return refuse("its group sent sequences out of order");
    }
    auto entries = manifest_index();
    if (!entries) return entries.status();
    const auto found = (*entries)->find(record.sequence);
    if (found == (*entries)->end()) return refuse("no frame is stored under it");
    const ManifestEntry& stored = found->second;
    if (stored.file_name != record.file_name) {
      return refuse("the frame stored under it is " + stored.file_name + ", not " +
                    record.file_name);
    }
    if (stored.checksum) {
      if (*stored.checksum == record.checksum) return Status::ok();
      return refuse(stored.file_name + " is stored under it with xxh3 " + hex64(*stored.checksum) +
                    ", not " + hex64(record.checksum));
    }
    // A line without a checksum (not written by framewire): the file decides.
    Status same = compare_with_stored(record);
    if (same.code() == ErrorCode::kConflict) return refuse(same.message());
    return same;
  }

  Result<CommitResult> commit_queue() {
    CommitResult result;
    result.stored.reserve(queue.size());
    lines.clear();
    bool renamed_any = false;
    const std::uint64_t group_start = next_sequence;
    std::uint64_t next = next_sequence;
    std::string last = last_file_name;
    auto advance = [&](const FrameRecord& record) {
      append_manifest_line(record, lines);
      if (index) {
        index->try_emplace(record.sequence, ManifestEntry{.sequence = record.sequence,
                                                          .file_name = record.file_name,
                                                          .checksum = record.checksum});
      }
      next = record.sequence + 1;
      last = record.file_name;
    };
    for (auto& slot : queue) {
      FileFrame& frame = *slot;
      FrameRecord& record = frame.frame_record;
      if (record.sequence < next) {
        frame.discard_temp();
        Status settled = settle_old_sequence(record, group_start);
        if (settled) {
          result.stored.push_back(std::move(record));
        } else if (settled.code() == ErrorCode::kStaleSequence) {
          result.rejected.emplace_back(std::move(record), std::move(settled));
        } else {
          return settled;
        }
        continue;
      }
      if (policy != SyncPolicy::kNone) {
        if (Status status = sync(*frame.file, path_of(record.file_name)); !status) {
          return status;
        }
      }
      frame.file.reset();
      Status status;
      switch (publish(frame, status)) {
        case Publish::kRenamed:
        case Publish::kAlreadyStored:
          // kAlreadyStored: identical content is already there under the
          // final name and is not rewritten. Its sequence is new to the
          // stream (the receiver stopped between a rename and its manifest
          // line, or the same file comes under a new sequence), so it gets
          // its line, and its rename may not have been synced either.
          renamed_any = true;
          advance(record);
          if (policy == SyncPolicy::kEach) {
            if (Status synced = sync(*dir->dir, dir->path); !synced) return synced;
            if (Status appended = append_lines(); !appended) return appended;
            if (Status synced = sync(*manifest, manifest_path); !synced) return synced;
          }
          result.stored.push_back(std::move(record));
          break;
        case Publish::kConflict:
          result.rejected.emplace_back(std::move(record), std::move(status));
          break;
        case Publish::kFailed:
          return status;
      }
    }
    if (policy == SyncPolicy::kBatch && renamed_any) {
      if (Status synced = sync(*dir->dir, dir->path); !synced) return synced;
    }
    if (Status appended = append_lines(); !appended) return appended;
    if (policy == SyncPolicy::kBatch && renamed_any) {
      if (Status synced = sync(*manifest, manifest_path); !synced) return synced;
    }
    next_sequence = next;
    last_file_name = std::move(last);
    return result;
  }
};

class StreamStore final : public StreamStorage {
 public:
  Result<IncomingFrame> begin_frame(std::uint64_t sequence, std::string_view file_name,
                                    std::uint64_t bytes, std::int64_t capture_time_ns) override;
  Result<FinishOutcome> finish_frame(IncomingFrame incoming, std::uint64_t checksum) override;
  Result<CommitResult> commit() override;
  std::size_t queued() const override { return state_.queue.size(); }
  std::uint64_t next_sequence() const override { return state_.next_sequence; }
  const std::string& last_file_name() const override { return state_.last_file_name; }
  Result<bool> is_stored(std::uint64_t sequence, std::string_view file_name,
                         std::uint64_t checksum) override;
  const std::string& name() const override { return state_.name; }

 private:
  friend class StorageRoot;
  StreamState state_;
};

Result<IncomingFrame> StreamStore::begin_frame(std::uint64_t sequence, std::string_view file_name,
                                               std::uint64_t bytes, std::int64_t capture_time_ns) {
  StreamState& store = state_;
  if (!store.poisoned) return store.poisoned;
  if (sequence == kNoSequence) {
    return Status(ErrorCode::kBadSequence,
                  "sequence 2^64-1 is reserved (one past it must still be a sequence)");
  }
  // The caller validated already; checking again is cheap and keeps a
  // traversal out even if a caller forgets.
  if (Status status = validate_file_name(file_name); !status) return status;

  auto frame = std::make_unique<FileFrame>();
  XXH3_64bits_reset(&frame->hash);
  frame->dir = store.dir;
  frame->frame_record.sequence = sequence;
  frame->frame_record.file_name = file_name;
  frame->frame_record.bytes = bytes;
  frame->frame_record.source_kind = store.source_kind;
  frame->frame_record.capture_time_ns = capture_time_ns;

  // No stat of the final name first: a name that is taken is found by the
  // no-replace rename at commit time, and a lookup per frame is measurably
  // slow in a folder of thousands of frames.
  int error = 0;
  for (int attempt = 0; attempt < kTempCreateAttempts; ++attempt) {
    frame->temp_name = make_temp_name(next_random(store.random_state));
    error = store.dir->dir->create_new(frame->temp(), frame->file);
    if (error == 0) {
      frame->temp_on_disk = true;
      return IncomingFrame(std::move(frame));
    }
    if (error != EEXIST) break;
  }
  return errno_status("cannot create a temporary file in", store.dir->path, error);
}

Result<FinishOutcome> StreamStore::finish_frame(IncomingFrame incoming, std::uint64_t checksum) {
  StreamState& store = state_;
  std::unique_ptr<IncomingFrame::Backend> backend = incoming.release();
  if (!backend) return Status(ErrorCode::kInternal, "finish_frame got a moved-from frame");
  // Only this store's begin_frame makes frames for it; anything else is a
  // caller mixing up its streams.
  auto* raw = dynamic_cast<FileFrame*>(backend.get());
  if (raw == nullptr || raw->dir != store.dir) {
    return Status(ErrorCode::kInternal, "finish_frame got a frame of another stream");
  }
  std::unique_ptr<FileFrame> frame(static_cast<FileFrame*>(backend.release()));
  if (!store.poisoned) return store.poisoned;
  FrameRecord& record = frame->frame_record;
  if (record.receive_time_ns == 0) record.receive_time_ns = now_ns();  // not given by the caller
  if (frame->written != record.bytes) {
    return Status(ErrorCode::kMalformed, "frame " + record.file_name + " ended after " +
                                             std::to_string(frame->written) + " of " +
                                             std::to_string(record.bytes) + " declared bytes");
  }
  const std::uint64_t actual = XXH3_64bits_digest(&frame->hash);
  if (actual != checksum) {
    return Status(ErrorCode::kChecksumMismatch, "frame " + record.file_name + " hashes to " +
                                                    hex64(actual) + ", the sender said " +
                                                    hex64(checksum));
  }
  record.checksum = checksum;
  store.queue.push_back(std::move(frame));
  return FinishOutcome::kQueued;
}

Result<CommitResult> StreamStore::commit() {
  StreamState& store = state_;
  if (!store.poisoned) {
    store.queue.clear();
    return store.poisoned;
  }
  auto result = store.commit_queue();
  // Whatever was not renamed (all of it on success) is dropped here; the
  // frame destructors remove leftover temporary files.
  store.queue.clear();
  return result;
}

Result<bool> StreamStore::is_stored(std::uint64_t sequence, std::string_view file_name,
                                    std::uint64_t checksum) {
  StreamState& store = state_;
  if (!store.poisoned) return store.poisoned;
  if (Status status = validate_file_name(file_name); !status) return status;
  if (sequence >= store.next_sequence) return false;
  auto entries = store.manifest_index();
  if (!entries) return entries.status();
  const auto found = (*entries)->find(sequence);
  if (found == (*entries)->end() || found->second.file_name != file_name) return false;
  if (found->second.checksum) return *found->second.checksum == checksum;
  // A line without a checksum (not written by framewire): the file decides,
  // whatever its size.
  auto digest = hash_file_at(*store.dir->dir, found->second.file_name.c_str(),
                             store.path_of(file_name), kAnySize, store.scratch);
  if (!digest) {
    if (digest.status().code() == ErrorCode::kConflict) return false;
    return digest.status();
  }
  return digest->hashed && digest->xxh3 == checksum;
}

// ---------------------------------------------------------------------------
// StorageRoot

struct StorageRoot::State {
  std::string path;
  SyncPolicy policy = SyncPolicy::kBatch;
  bool shared = false;  // open_shared: leftovers are swept per stream
  FileSystem* fs = nullptr;
  std::unique_ptr<Directory> dir;
};

StorageRoot::StorageRoot(std::unique_ptr<State> state) : state_(std::move(state)) {}
StorageRoot::~StorageRoot() = default;

Result<std::unique_ptr<StorageRoot>> StorageRoot::open(const std::string& path, SyncPolicy policy,
                                                       FileSystem& fs) {
  return open_root(path, policy, fs, /*shared=*/false);
}

Result<std::unique_ptr<StorageRoot>> StorageRoot::open_shared(const std::string& path,
                                                              SyncPolicy policy, FileSystem& fs) {
  return open_root(path, policy, fs, /*shared=*/true);
}

Result<std::unique_ptr<StorageRoot>> StorageRoot::open_root(const std::string& path,
                                                            SyncPolicy policy, FileSystem& fs,
                                                            bool shared) {
  if (path.empty()) return Status(ErrorCode::kStorageError, "the storage root path is empty");
  auto state = std::make_unique<State>();
  state->path = path;
  while (state->path.size() > 1 && state->path.back() == '/') state->path.pop_back();
  state->policy = policy;
  state->shared = shared;
  state->fs = &fs;
  // The operator chose this path, so it is resolved normally (symlinks
  // included); nothing below it is.
  std::string failed_at;
  if (const int error = fs.open_root(path, state->dir, failed_at); error != 0) {
    return errno_status("cannot open storage root", failed_at, error);
  }
  if (!shared) {
    if (Status status = remove_temp_leftovers(*state->dir, state->path); !status) return status;
  }
  return std::unique_ptr<StorageRoot>(new StorageRoot(std::move(state)));
}

Result<std::unique_ptr<StreamStorage>> StorageRoot::open_stream(std::string_view name,
                                                                std::string_view source_kind) {
  if (Status status = validate_stream_name(name); !status) return status;
  if (Status status = validate_source_kind(source_kind); !status) return status;
  const bool sync = state_->policy != SyncPolicy::kNone;

  auto dir = std::make_shared<SharedDir>();
  dir->path = state_->path;
  std::unique_ptr<Directory> current;
  for (const std::string& segment : segments_of(name)) {
    dir->path += '/';
    dir->path += segment;
    Directory& parent = current ? *current : *state_->dir;
    bool created = false;
    auto opened = open_or_create_dir(parent, segment.c_str(), dir->path, created);
    if (!opened) return opened.status();
    // A new directory's entry lives in its parent: sync the parent so the
    // stream's directory survives a crash along with the frames in it.
    if (created && sync) {
      if (const int error = parent.sync(); error != 0) {
        return errno_status("cannot fsync the parent of", dir->path, error);
      }
    }
    current = std::move(*opened);
  }
  dir->dir = std::move(current);
  if (state_->shared) {
    if (Status status = remove_temp_files_in(*dir->dir, dir->path); !status) return status;
  }

  auto store = std::unique_ptr<StreamStore>(new StreamStore());
  StreamState& state = store->state_;
  state.name = name;
  state.source_kind = source_kind;
  state.policy = state_->policy;
  state.manifest_path = join(dir->path, kManifestFileName);
  if (const int error =
          dir->dir->open_append(std::string(kManifestFileName).c_str(), state.manifest);
      error != 0) {
    if (error == ELOOP) {
      return Status(ErrorCode::kStorageError,
                    state.manifest_path + " is a symlink; refusing to follow it");
    }
    return errno_status("cannot open", state.manifest_path, error);
  }
  std::uint64_t size = 0;
  EntryKind kind = EntryKind::kOther;
  if (const int error = state.manifest->stat(size, kind); error != 0) {
    return errno_status("cannot stat", state.manifest_path, error);
  }
  if (kind != EntryKind::kRegular) {
    return Status(ErrorCode::kStorageError, state.manifest_path + " is not a regular file");
  }
  auto summary = recover_manifest(*state.manifest, state.manifest_path, sync);
  if (!summary) return summary.status();
  state.manifest_size = summary->size;
  if (summary->highest) {
    state.next_sequence = summary->highest->sequence + 1;
    state.last_file_name = std::move(summary->highest->file_name);
  }
  state.dir = std::move(dir);
  state.random_state = random_seed();
  return std::unique_ptr<StreamStorage>(std::move(store));
}

Result<std::vector<std::uint8_t>> StorageRoot::read_frame(std::string_view stream,
                                                          std::string_view file_name,
                                                          std::uint64_t max_bytes) {
  if (Status status = validate_stream_name(stream); !status) return status;
  if (Status status = validate_file_name(file_name); !status) return status;
  auto dir = open_existing_stream(*state_->dir, stream);
  if (!dir) return dir.status();
  const std::string name(file_name);
  // Messages name the frame stream-relative: a reader has no business
  // learning the receiver's folder layout.
  std::string shown(stream);
  shown += '/';
  shown += name;
  return read_file_at(**dir, name.c_str(), shown, max_bytes);
}

const std::string& StorageRoot::path() const {
  return state_->path;
}
SyncPolicy StorageRoot::policy() const {
  return state_->policy;
}

}  // namespace framewire::storage
