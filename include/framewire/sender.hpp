// The sending end: streams the frames of one or more folders to a receiver
// over one connection, pipelined inside the receiver's flow-control window,
// and returns only when every frame is acknowledged as stored (or on error).
//
// send_folders() runs its own event loop on the calling thread; the progress
// callback is invoked on that thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "framewire/status.hpp"

namespace framewire {

struct StreamSpec {
  std::string name;                     // receiver folder, e.g. "rig1/visible"
  std::string source_kind = "visible";  // "visible", "infrared", ...
  std::string folder;                   // local folder whose regular files are the frames
};

struct SendProgress {
  std::uint64_t frames_total = 0;
  std::uint64_t bytes_total = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t frames_stored = 0;  // acknowledged by the receiver
  std::uint64_t bytes_stored = 0;
  double seconds = 0;
};

struct RejectedFrame {
  std::string stream;
  std::string file_name;
  Status reason;
};

struct SendSummary {
  std::uint64_t frames = 0;  // stored (acknowledged) by this run
  std::uint64_t bytes = 0;
  std::uint64_t streams = 0;
  double seconds = 0;
  // Frames the receiver already had when this run first reached it (resume).
  std::uint64_t already_stored_frames = 0;
  std::uint64_t already_stored_bytes = 0;
  std::uint64_t reconnects = 0;
  std::vector<RejectedFrame> rejected;
};

struct SenderOptions {
  std::string to;  // HOST:PORT; every resolved address is tried in turn
  std::vector<StreamSpec> streams;
  std::chrono::milliseconds connect_timeout{10'000};
  // Upper bounds on what this sender keeps in flight; the receiver's
  // advertised window lowers them further.
  std::uint64_t window_bytes = std::uint64_t{64} << 20;
  std::uint32_t window_frames = 16384;
  std::function<void(const SendProgress&)> on_progress;  // may be empty
  std::chrono::milliseconds progress_interval{100};

  // Reconnecting: after a cut, a refused connection or a receiver restart the
  // sender connects again with capped exponential backoff and resumes after
  // the last frame the receiver reports stored. It gives up when no frame
  // has been stored for `retry_for` (0: never retry).
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
  // Told about each retry ("connection lost: ...; retrying in 0.4 s").
  std::function<void(const std::string&)> on_notice;

  // TLS: verify the receiver against `tls_ca` (and present `tls_cert` /
  // `tls_key` as this sender's identity). Without `tls_ca` the connection is
  // plain TCP, which is allowed only to a loopback address or with `insecure`.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  bool insecure = false;
};

// What can be checked before connecting, so a mistake is reported at once
// instead of after a connection (and its retries): every stream name and
// source kind follows the receiver's name rules (docs/PROTOCOL.md section 6),
// no stream name is given twice, and every folder exists and is a directory.
// Returns kBadName (a name) or kStorageError (a folder) with a sentence
// naming the stream and the rule it breaks. send_folders() checks this first.
Status check_streams(const std::vector<StreamSpec>& streams);

// Sends everything. The summary is returned also when some frames were
// rejected by the receiver (summary.rejected non-empty); a Status is returned
// when the transfer could not complete: what check_streams() returns (before
// any connection), kConnectionFailed or kTimeout (the last attempt's, once
// retrying gave up), kStorageError (local read), kForbidden (TLS refused, or
// TLS on one end only), or the receiver's error code with its message.
Result<SendSummary> send_folders(const SenderOptions& options);

}  // namespace framewire
