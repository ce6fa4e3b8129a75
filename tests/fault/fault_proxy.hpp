// A TCP fault proxy for the fault tests: listens on 127.0.0.1:0 and forwards
// every accepted connection to 127.0.0.1:<upstream port> (the receiver),
// injecting the faults of its FaultPlan on the way: cuts after N bytes or at
// random points (both sockets closed, by FIN or RST), a stall (nothing
// forwarded either way for a while), a delay on every chunk, and
// fragmentation into 1..k byte pieces (one send() each, TCP_NODELAY), a
// bandwidth limit per direction (a token bucket shared by every connection, so
// a throttled proxy behaves like one slow link, not like stalls), and a
// half-close mode in which the loss of the receiver's side is answered, as
// some middleboxes do, by a FIN to the sender while the sender's socket is
// held open and never read again. A connection the receiver refuses is
// closed on the sender's side, which the sender sees as a cut during its
// handshake.
//
// The proxy runs a poll() loop on a thread of its own, started by start() and
// joined by stop() or the destructor. start(), stop() and the accessors belong
// to the thread that owns the proxy; cut_all() and stats() may be called from
// any thread. Test-only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace framewire::test {

inline constexpr std::uint64_t kNeverBytes = std::numeric_limits<std::uint64_t>::max();

enum class Direction {
  kToReceiver,  // bytes the sender wrote
  kToSender,    // bytes the receiver wrote (HELLO_OK, STREAM_OPENED, ACKs...)
};

struct FaultPlan {
  // Cuts, handed to connections in accept order: first the points of
  // `cut_after`, then `random_cuts` points drawn uniformly from
  // [random_cut_min, random_cut_max]; a connection is cut once that many
  // bytes went in `cut_direction` (0: at once). A connection that ends before
  // its cut point (refused, stream_busy, done) hands the cut to the next one,
  // so every planned cut happens if enough bytes keep coming.
  std::vector<std::uint64_t> cut_after;
  int random_cuts = 0;
  std::uint64_t random_cut_min = 0;
  std::uint64_t random_cut_max = 0;
  Direction cut_direction = Direction::kToReceiver;
  bool cut_with_reset = false;  // RST (SO_LINGER 0) instead of an orderly FIN

  // Half-close mode: when a connection's receiver side is lost (the receiver
  // closed or reset it, or a write to it failed), or a planned cut happens
  // (which then closes only the receiver's side), the proxy forwards what it
  // still holds for the sender, then shuts the sender's side down with a FIN
  // and stops reading from it, keeping its socket open until stop(): the
  // sender's writes fill the socket buffers and block.
  bool half_close = false;

  // On the first `stall_connections` connections, once `stall_after` bytes
  // went to the receiver, nothing is read or forwarded either way for `stall_for`.
  std::uint64_t stall_after = kNeverBytes;
  std::chrono::milliseconds stall_for{0};
  int stall_connections = 1;

  // Every chunk read is forwarded no earlier than this after it was read.
  std::chrono::milliseconds chunk_delay{0};
  // > 0: forward in pieces of 1..max_piece bytes, one send() per piece.
  std::size_t max_piece = 0;

  // Bandwidth limits in bytes per second (0: unlimited), one token bucket per
  // direction shared by all connections, as one slow link carries them all.
  // The bucket holds at most `rate_burst` bytes (0: 20 ms worth, at least
  // 1 byte): a throttled direction forwards steadily in pieces of a few
  // milliseconds' worth, never in long bursts after idle time. A throttled
  // direction also reads ahead at most `rate_queue` bytes (0: 100 ms worth,
  // at least 16 KiB), and its source socket's receive buffer is set to about
  // as much: together the buffer of the slow link's bottleneck; beyond it the
  // peer's send buffer fills, as it would in front of a real slow link.
  std::uint64_t rate_to_receiver = 0;
  std::uint64_t rate_to_sender = 0;
  std::uint64_t rate_burst = 0;
  std::uint64_t rate_queue = 0;

  std::uint64_t seed = 1;
};

struct ProxyStats {
  std::uint64_t connections = 0;  // accepted
  std::uint64_t refused = 0;      // accepted, but the receiver did not answer
  std::uint64_t cuts = 0;         // connections cut by the plan or by cut_all()
  std::uint64_t stalls = 0;
  std::uint64_t half_closes = 0;  // sender sides half-closed and held (half_close mode)
  std::uint64_t bytes_to_receiver = 0;
  std::uint64_t bytes_to_sender = 0;
  // Times a throttled direction had bytes to forward and waited for tokens.
  std::uint64_t throttle_waits = 0;
};

class FaultProxy {
 public:
  FaultProxy(std::uint16_t upstream_port, FaultPlan plan);
  ~FaultProxy();  // stop()
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // Listens and starts the proxy thread. Returns an empty string, else why not.
  std::string start();
  // Ends the thread and closes every socket. Idempotent.
  void stop();

  std::uint16_t port() const;
  std::string address() const { return "127.0.0.1:" + std::to_string(port()); }

  // Cuts every connection open now (any thread; takes effect on the proxy
  // thread's next turn, within milliseconds).
  void cut_all();
  ProxyStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace framewire::test
