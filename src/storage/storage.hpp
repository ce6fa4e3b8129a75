// What the receiver asks of its storage, and nothing of how it is done: open
// a stream, store its frames in sequence order, say where a sender resumes,
// read a stored frame back. ReceiverSession depends on this interface only;
// the files under a root folder (stream_store.hpp, over a FileSystem) are one
// implementation, a NATS JetStream store is meant to be another.
//
// Threading: a Storage is shared by every connection (open_stream and
// read_frame may be called from several threads at once); a StreamStorage and
// its IncomingFrames are used by one thread at a time (the receiver runs them
// on its storage pool, never on the network loop).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "framewire/status.hpp"

namespace framewire::storage {

// When a frame is made durable: never (kNone), once per commit() for the
// whole group (kBatch), or per frame (kEach).
enum class SyncPolicy { kNone, kBatch, kEach };

// One stored frame: a line of the file store's manifest.jsonl.
struct FrameRecord {
  std::uint64_t sequence = 0;
  std::string file_name;
  std::uint64_t bytes = 0;
  std::uint64_t checksum = 0;  // XXH3-64 of the bytes; hex in the manifest
  std::string source_kind;
  std::int64_t capture_time_ns = 0;
  std::int64_t receive_time_ns = 0;
};

// A frame being received: a move-only handle on the backend's state.
// Destroying one that was not finished leaves nothing stored (the file store
// removes its temporary file).
class IncomingFrame {
 public:
  // What a backend keeps per frame in flight.
  class Backend {
   public:
    virtual ~Backend() = default;
    // Appends bytes (hashing them). kStorageError on an I/O error,
    // kMalformed if more bytes arrive than were declared.
    virtual Status write(std::span<const std::uint8_t> bytes) = 0;
    virtual const FrameRecord& record() const = 0;
    // Records `ns` (Unix nanoseconds) as the frame's receive_time_ns instead
    // of the time finish_frame runs: for a caller storing a frame that was
    // received earlier, elsewhere (a sink materialising JetStream frames).
    virtual void set_receive_time_ns(std::int64_t ns) = 0;
  };

  explicit IncomingFrame(std::unique_ptr<Backend> backend) : backend_(std::move(backend)) {}
  IncomingFrame(IncomingFrame&&) noexcept = default;
  IncomingFrame& operator=(IncomingFrame&&) noexcept = default;
  IncomingFrame(const IncomingFrame&) = delete;
  IncomingFrame& operator=(const IncomingFrame&) = delete;
  ~IncomingFrame() = default;

  Status write(std::span<const std::uint8_t> bytes) { return backend_->write(bytes); }
  const FrameRecord& record() const { return backend_->record(); }
  // See Backend::set_receive_time_ns; call before finish_frame.
  void set_receive_time_ns(std::int64_t ns) { backend_->set_receive_time_ns(ns); }

  // For the StreamStorage that made the frame: takes its state back (null
  // for a moved-from frame).
  std::unique_ptr<Backend> release() { return std::move(backend_); }

 private:
  std::unique_ptr<Backend> backend_;
};

enum class FinishOutcome {
  kQueued,  // verified; settled (stored, or a conflict) at the next commit()
};

// What commit() settled, in queue order.
struct CommitResult {
  std::vector<FrameRecord> stored;
  std::vector<std::pair<FrameRecord, Status>> rejected;
};

// One stream of one storage, opened by one connection at a time (the
// receiver's StreamRegistry sees to that).
class StreamStorage {
 public:
  using CommitResult = storage::CommitResult;

  virtual ~StreamStorage() = default;

  // Starts a frame. `file_name` must already satisfy validate_file_name().
  // kStorageError if the storage cannot take it; kBadSequence for sequence
  // 2^64-1, which is reserved; kBadName for a name that breaks the rules.
  virtual Result<IncomingFrame> begin_frame(std::uint64_t sequence, std::string_view file_name,
                                            std::uint64_t bytes, std::int64_t capture_time_ns) = 0;

  // Verifies the frame (which begin_frame of this stream made) against
  // `checksum`. Errors (nothing stays stored): kMalformed when fewer bytes
  // were written than declared, kChecksumMismatch, kStorageError.
  virtual Result<FinishOutcome> finish_frame(IncomingFrame frame, std::uint64_t checksum) = 0;

  // Makes the queued frames durable (per the sync policy) and visible, and
  // returns their records in order. The stream is stored in sequence order:
  // * a sequence above the highest stored one is new: it is stored and gets
  //   a manifest line; if its file name is taken, the stored frame is
  //   compared: identical -> in `stored`, not rewritten, with its line;
  //   different, or not a regular file -> `rejected` (kConflict);
  // * a sequence at or below the highest stored one is accepted only as the
  //   very frame stored under it (same file name and checksum): in `stored`,
  //   nothing written; otherwise `rejected` (kStaleSequence). It never
  //   moves next_sequence() or last_file_name().
  // Sequences must increase within one group (the receiver session enforces
  // it per connection). kStorageError stops the commit: frames not yet
  // stored are dropped and must not be acknowledged; after a failed sync the
  // stream refuses all further work (kStorageError) until it is reopened.
  virtual Result<CommitResult> commit() = 0;

  // Number of frames waiting for commit().
  virtual std::size_t queued() const = 0;

  // One past the highest stored sequence (0 if none): where a sender resumes.
  virtual std::uint64_t next_sequence() const = 0;
  // File name of the frame with the highest stored sequence ("" if none).
  virtual const std::string& last_file_name() const = 0;

  // True when exactly this frame (sequence, file name and checksum) is
  // stored under `sequence`, which must be below next_sequence(): the rule
  // commit() applies to an old sequence, asked ahead of time (a sender that
  // resends after a lost ACK). False for anything else; kStorageError if
  // the storage cannot tell.
  virtual Result<bool> is_stored(std::uint64_t sequence, std::string_view file_name,
                                 std::uint64_t checksum) = 0;

  virtual const std::string& name() const = 0;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Opens (creating if missing) stream `name` and finds where it stands.
  // `name` and `source_kind` are checked against the name rules
  // (safe_name.hpp; kBadName). kConflict when the name clashes with what is
  // stored (a frame of a parent stream in the way), kStorageError otherwise.
  virtual Result<std::unique_ptr<StreamStorage>> open_stream(std::string_view name,
                                                             std::string_view source_kind) = 0;

  // The bytes of the stored frame `file_name` of stream `stream`, for
  // readers such as an HTTP route (which may run on any thread). Both names
  // are checked against the name rules first (kBadName; the manifest is not
  // a frame); nothing outside the storage is ever reached (the file store
  // follows no symlink below its root) and nothing is created. Errors:
  // kBadStream when the stream or the frame does not exist (a route's 404),
  // kConflict when the name is a symlink or not a regular file,
  // kFrameTooLarge above `max_bytes`, kStorageError on I/O errors. Messages
  // name the frame stream-relative, never the storage's own layout.
  virtual Result<std::vector<std::uint8_t>> read_frame(std::string_view stream,
                                                       std::string_view file_name,
                                                       std::uint64_t max_bytes) = 0;
};

}  // namespace framewire::storage
