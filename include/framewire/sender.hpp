// The sending end. A `Sender` keeps one connection to a receiver (and makes
// a new one after a cut, to the same receiver or to the next one it was
// given, resuming where the receiver's storage ends) and carries any number
// of streams over it, each fed by one source:
//   * a folder (add_folder): its files, sorted in frame order, read when sent;
//   * frames the caller pushes (add_stream + push): a camera, a video, frames
//     made in memory, files a capture found. Each push stream has a policy:
//     live (a bounded queue that drops its oldest frame when the link cannot
//     keep up) or archive (push() waits for room; nothing is dropped).
// Frames are pipelined inside the receiver's flow-control window and a frame
// counts as stored only when the receiver acknowledged it as stored.
//
// Threads: the Sender runs its connection on a network thread of its own,
// started by start() and joined by finish() or the destructor. add_*(),
// start() and finish() belong to the thread that owns the Sender; push(),
// end_stream() and count_source_drops() may be called from any one thread
// per stream; cancel(), progress(), flush(), summary() and resume_point()
// from any thread but the network thread. The
// on_progress and on_notice callbacks run on the network thread: they must
// return quickly (a slow one holds back the connection, never the pushers).
//
// send_folders() is the one-call form: a Sender with one folder per stream.
// This header names no Asio or OpenSSL type.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "framewire/status.hpp"

namespace framewire {

// A stream whose frames are the regular files of a local folder.
struct StreamSpec {
  std::string name;                     // receiver folder, e.g. "rig1/visible"
  std::string source_kind = "visible";  // "visible", "infrared", ...
  std::string folder;                   // local folder whose regular files are the frames
};

enum class StreamPolicy {
  // Never drops: push() waits while the queue is full. Frames not yet
  // acknowledged when a connection is cut are sent again on the next one.
  kArchive,
  // Bounded latency: a push onto a full queue drops the oldest queued frame,
  // at most 4 frames are unacknowledged at a time (so a slow link's socket
  // buffers never hold seconds of video), and frames in flight when a
  // connection is cut are lost (and counted); the stream goes on with new
  // frames.
  kLive,
};

// A stream fed by push().
struct PushStreamSpec {
  std::string name;
  std::string source_kind = "visible";
  StreamPolicy policy = StreamPolicy::kLive;
  // Frames pushed and not yet handed to the connection. Memory held by the
  // stream is at most queue_frames + 1 frames plus those in flight: 4 for a
  // live stream; for an archive stream what the window lets be in flight
  // (SenderOptions::window_bytes at most).
  std::size_t queue_frames = 4;
};

// One frame handed to push().
struct Frame {
  // The name it is stored under: one segment of [A-Za-z0-9._-]. Empty: the
  // frame's sequence number in the stream, zero-padded to six digits, plus
  // `extension` ("000017.jpg"), so that numbering continues across runs and
  // the stored folder sorts and resumes like a folder transfer.
  std::string file_name;
  std::string extension;  // with its dot, used when file_name is empty
  // The frame's bytes; or, when `path` is set, the file to send instead (read
  // when the frame is sent, so a large file is never held in memory).
  std::vector<std::uint8_t> data;
  std::string path;
  // CLOCK_REALTIME at capture, Unix nanoseconds; 0: the time of push().
  std::int64_t capture_time_ns = 0;
  // When it was captured on this machine's steady clock, for the
  // capture_to_handed latency; left at its default, that latency is not
  // measured for the frame.
  std::chrono::steady_clock::time_point captured_at{};
  // When the caller handed the frame over, if that was before push() (an encoder in front of
  // the Sender: ImagePusher stamps the caller's send()), so that handed_to_stored covers the
  // encoding too; left at its default, push()'s own time.
  std::chrono::steady_clock::time_point handed_at{};
};

// Where the receiver's copy of a stream ends, as it said when the stream was
// first opened: its frames are numbered from next_sequence, and a resuming
// source sends what sorts after last_file_name ("" when it has nothing).
struct ResumePoint {
  std::uint64_t next_sequence = 0;
  std::string last_file_name;
};

struct SendProgress {
  std::uint64_t frames_total = 0;  // known frames (folders; pushed frames as they come)
  std::uint64_t bytes_total = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t frames_stored = 0;  // acknowledged by the receiver
  std::uint64_t bytes_stored = 0;
  std::uint64_t frames_dropped = 0;  // every drop of every stream (StreamSummary)
  bool open_ended = false;           // some stream is pushed: the total is not known ahead
  double seconds = 0;
};

struct RejectedFrame {
  std::string stream;
  std::string file_name;
  Status reason;
};

// Percentiles of one latency over a stream's frames, in milliseconds; all 0
// when count is 0. Recorded in logarithmic buckets 1% wide, so a figure is
// within 1% of the exact one (and memory stays fixed however long the run).
struct LatencySummary {
  std::uint64_t count = 0;
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

struct StreamSummary {
  std::string name;
  std::string source_kind;
  std::uint64_t frames = 0;  // stored (acknowledged) by this run
  std::uint64_t bytes = 0;
  std::uint64_t already_stored_frames = 0;  // folders: the receiver had them already
  std::uint64_t already_stored_bytes = 0;
  // Push streams: frames pushed. Folders: files found.
  std::uint64_t frames_captured = 0;
  // Every frame that will never be stored, whatever lost it:
  // dropped_queue + dropped_cut + dropped_source.
  std::uint64_t frames_dropped = 0;
  std::uint64_t dropped_queue = 0;   // live: pushed onto a full queue, oldest dropped
  std::uint64_t dropped_cut = 0;     // live: in flight when a connection was cut
  std::uint64_t dropped_source = 0;  // told by count_source_drops() (a camera's own queue)
  std::uint64_t frames_rejected = 0;
  // capture -> push() (capture and encode), and push() -> acknowledged as
  // stored (queue, network, the receiver's write and sync), both on this
  // machine's steady clock.
  LatencySummary capture_to_handed;
  LatencySummary handed_to_stored;
};

struct SendSummary {
  std::uint64_t frames = 0;  // stored (acknowledged) by this run, all streams
  std::uint64_t bytes = 0;
  std::vector<StreamSummary> streams;  // in the order they were added
  double seconds = 0;
  // Frames the receiver side already had when this run first reached a
  // receiver (resume); not counted again after a reconnection or a move to
  // another receiver.
  std::uint64_t already_stored_frames = 0;
  std::uint64_t already_stored_bytes = 0;
  std::uint64_t frames_dropped = 0;  // sum over the streams
  std::uint64_t reconnects = 0;      // connections tried after the first, to any receiver
  std::vector<RejectedFrame> rejected;
};

struct SenderOptions {
  // The receiver, HOST:PORT; every address HOST resolves to is tried in turn,
  // all of them one receiver.
  std::string to;
  // Further receivers, HOST:PORT each, tried in order after `to`: gateways to
  // the same storage as `to` (so that any of them can say where a stream
  // ends). A connection that cannot be made or is lost (an error retried as
  // below) moves the sender to the next receiver of `to`, also_to[0],
  // also_to[1]..., round robin, where it resumes after the last frame that
  // receiver reports stored. It moves at once while the next receiver has not
  // failed since the last pause or the last stored frame; once every receiver
  // has failed in a row it pauses with the backoff below first. A connection
  // the receiver ended for idleness (nothing to send) is made again to the
  // same receiver. An address that is not HOST:PORT ends the send before the
  // first connection.
  std::vector<std::string> also_to;
  // send_folders() only: the streams to send. A Sender takes its streams
  // from add_folder() and add_stream().
  std::vector<StreamSpec> streams;
  std::chrono::milliseconds connect_timeout{10'000};
  // Upper bounds on what this sender keeps in flight; the receiver's
  // advertised window lowers them further.
  std::uint64_t window_bytes = std::uint64_t{64} << 20;
  std::uint32_t window_frames = 16384;
  std::function<void(const SendProgress&)> on_progress;  // may be empty
  std::chrono::milliseconds progress_interval{100};

  // Reconnecting: after a cut, a refused connection or a receiver restart the
  // sender connects again with capped exponential backoff (to the next
  // receiver, see also_to) and resumes after the last frame the receiver
  // reports stored. It gives up when no frame has been stored, by any
  // receiver, for `retry_for` (0: never retry, not even on another receiver).
  std::chrono::milliseconds retry_for{60'000};
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5'000};
  // A receiver that cannot store (disk full, I/O error) ends the send unless
  // this is set, in which case it is retried like a cut.
  bool retry_storage_errors = false;
  // Acknowledgement-progress deadline: while the sender waits for the
  // receiver (its handshake replies, or ACKs of frames in flight), a
  // connection on which for this long no reply arrives and not one byte can
  // be written is taken for dead (a half-open connection, a middlebox that
  // stopped forwarding): it is dropped and the sender reconnects. Bytes still
  // being written count as progress, so a large frame on a slow link is not
  // cut. The default matches the receiver's idle deadline. 0: no deadline.
  std::chrono::milliseconds ack_timeout{30'000};
  // Told about each retry, naming the receiver ("connection to 10.0.0.1:7878
  // lost: ...; retrying in 0.4 s"; with also_to: "...; trying 10.0.0.2:7878").
  std::function<void(const std::string&)> on_notice;
  // Told once, when the sender has ended (before finish() returns): ok when
  // everything was sent, else the failure that ended it. Lets a source that
  // waits for frames (a followed folder) stop when nothing can be sent any
  // more. Runs on the network thread; may be empty.
  std::function<void(const Status&)> on_end;

  // TLS: verify the receiver against `tls_ca` (and present `tls_cert` /
  // `tls_key` as this sender's identity). Without `tls_ca` the connection is
  // plain TCP, which is allowed only to a loopback address or with `insecure`.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  bool insecure = false;
};

// Stream handles are small integers in the order streams were added.
using StreamId = std::uint32_t;

class Sender {
 public:
  explicit Sender(SenderOptions options);
  // Cancels (as cancel()) if still running, and joins the network thread.
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // Streams are added before start(). Errors: kBadName (a name or kind breaks
  // the receiver's name rules, or the name is given twice), kStorageError (a
  // folder that does not exist or cannot be listed), kTooManyStreams (the
  // 65th), kInternal (after start()).
  Result<StreamId> add_folder(const StreamSpec& spec);
  Result<StreamId> add_stream(const PushStreamSpec& spec);

  // Sets up TLS and starts the network thread, which connects (retrying as
  // SenderOptions says). Errors: bad TLS files or options; no stream added.
  Status start();

  // Waits until the receiver has opened the stream for the first time and
  // returns where its copy ends; fails with the sender's error if the sender
  // ends first. A source that resumes by name (a followed folder) asks this
  // before it pushes.
  Result<ResumePoint> resume_point(StreamId stream);

  // Queues a frame of a push stream. Live: never waits; a full queue drops
  // its oldest frame. Archive: waits while the queue is full. Errors: the
  // sender's failure once it has failed (kCancelled after cancel()),
  // kBadName (an invalid file_name or extension), kInternal (not a push
  // stream, stream ended, not started).
  Status push(StreamId stream, Frame frame);

  // Frames the source itself lost before they reached push() (a camera
  // driver's queue), counted in dropped_source.
  void count_source_drops(StreamId stream, std::uint64_t frames);

  // Waits until every frame pushed (on any stream) before the call is
  // settled: stored, dropped or rejected; streams stay open. Returns the
  // sender's failure if it ends first. Folders are not waited for. Any
  // thread but the network thread (not from the callbacks), after start().
  Status flush();
  // As flush(), waiting at most `timeout`: kTimeout when frames are still
  // unsettled then (the Sender goes on; call again or cancel()).
  Status flush(std::chrono::milliseconds timeout);

  // No more frames will be pushed on the stream; finish() ends it anyway.
  void end_stream(StreamId stream);

  // Ends every stream, waits until everything pushed (and every folder) is
  // stored or settled, says goodbye and stops the network thread. Returns
  // the summary, or the Status that ended the send: kConnectionFailed or
  // kTimeout (retrying gave up), kStorageError (local read), kForbidden
  // (TLS), kCancelled, or the receiver's error.
  Result<SendSummary> finish();

  // Stops at once from any thread: the connection is closed, waiting pushes
  // return kCancelled, and finish() returns kCancelled.
  void cancel();

  // A snapshot, from any thread.
  SendProgress progress() const;

  // The summary so far, as finish() would return it now (per stream: stored,
  // dropped, latency percentiles), from any thread but the network thread:
  // the network thread computes it when asked. After the end, the final one;
  // before start(), an empty one.
  SendSummary summary() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What can be checked before connecting, so a mistake is reported at once
// instead of after a connection (and its retries): every stream name and
// source kind follows the receiver's name rules (docs/PROTOCOL.md section 6),
// no stream name is given twice, and every folder exists and is a directory.
// Returns kBadName (a name) or kStorageError (a folder) with a sentence
// naming the stream and the rule it breaks. send_folders() checks this first.
Status check_streams(const std::vector<StreamSpec>& streams);

// Sends every folder of options.streams and returns once every frame is
// acknowledged (or on error): a Sender with one folder per stream. The
// summary is returned also when some frames were rejected by the receiver
// (summary.rejected non-empty).
Result<SendSummary> send_folders(const SenderOptions& options);

}  // namespace framewire
