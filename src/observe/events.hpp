// What a receiver tells its observers: a connection opened or closed, a
// stream opened or closed, a frame stored or rejected, a group committed.
// Plain values, safe to copy between threads.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "framewire/status.hpp"

namespace framewire::observe {

// Receiver-wide number of a connection, from 1, in accept order.
using ConnectionId = std::uint64_t;

struct ConnectionOpened {
  ConnectionId connection = 0;
  std::string peer;  // "127.0.0.1:50412"
};

struct ConnectionClosed {
  ConnectionId connection = 0;
  std::string peer;
  std::uint64_t frames = 0;  // stored over this connection
  std::uint64_t bytes = 0;
  double seconds = 0;
  std::string reason;  // "goodbye", "peer closed the connection", an error
  // kOk for a goodbye or a peer that left; otherwise the error that closed it
  // (sent to the peer as ERROR, or a deadline: kTimeout).
  ErrorCode error = ErrorCode::kOk;
};

// The handshake finished: the connection counts as active from here on.
struct ConnectionHandshaken {
  ConnectionId connection = 0;
};

struct StreamOpened {
  ConnectionId connection = 0;
  std::string peer;
  std::string stream;       // "rig1/visible"
  std::string source_kind;  // "visible", "infrared", ...
  std::uint64_t next_sequence = 0;
};

struct StreamClosed {
  ConnectionId connection = 0;
  std::string stream;
};

struct FrameStored {
  ConnectionId connection = 0;
  std::string stream;
  std::string source_kind;
  std::string file_name;  // as stored, under ROOT/<stream>/
  std::uint64_t sequence = 0;
  std::uint64_t bytes = 0;
  std::int64_t capture_time_ns = 0;  // the sender's CLOCK_REALTIME at capture; 0: unknown
  std::int64_t stored_time_ns = 0;   // the receiver's CLOCK_REALTIME when it was acknowledged
  // Sequences skipped since the stream's previous stored frame (a live
  // sender's frames lost in a cut): counted as dropped.
  std::uint64_t skipped_before = 0;
  bool already_stored = false;  // a resend of a frame stored earlier; nothing was written
};

struct FrameRejected {
  ConnectionId connection = 0;
  std::string stream;
  std::uint64_t sequence = 0;
  ErrorCode code = ErrorCode::kOk;
  std::string message;
};

// One group commit (write, fsync, rename, manifest) of a connection.
struct GroupCommitted {
  ConnectionId connection = 0;
  std::uint64_t frames = 0;
  double seconds = 0;
  bool ok = true;  // false: a storage error, nothing in it was acknowledged
};

using Event = std::variant<ConnectionOpened, ConnectionHandshaken, ConnectionClosed, StreamOpened,
                           StreamClosed, FrameStored, FrameRejected, GroupCommitted>;

}  // namespace framewire::observe
