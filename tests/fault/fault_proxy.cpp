// FaultProxy (fault_proxy.hpp): one poll() loop on the proxy thread owns the
// listening socket and every link; other threads reach it only through
// atomics and an eventfd that wakes the loop.
#include "fault/fault_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <limits>
#include <random>
#include <thread>

namespace framewire::test {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadBytes = 64 * 1024;
// A direction stops reading once this much waits to be forwarded, so a slow
// (delayed, fragmented, stalled) side pushes back on the fast one.
constexpr std::size_t kMaxQueuedBytes = 1024 * 1024;
// Defaults of a throttled direction (FaultPlan::rate_*): the bucket holds
// 1/50 s of the rate, the proxy wakes for at least 1/200 s of it, and reads
// ahead 1/10 s of it (at least kMinRateQueue).
constexpr std::uint64_t kBurstPerSecond = 50;
constexpr std::uint64_t kQuantumPerSecond = 200;
constexpr std::uint64_t kQueuePerSecond = 10;
constexpr std::uint64_t kMinRateQueue = 16 * 1024;
constexpr int kIdlePollMs = 200;

void close_fd(int& fd, bool reset) {
  if (fd < 0) return;
  if (reset) {
    // SO_LINGER with a zero timeout turns close() into an RST.
    linger option{.l_onoff = 1, .l_linger = 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof option);
  }
  ::close(fd);
  fd = -1;
}

// A throttled direction's source socket gets a receive buffer of about its
// read-ahead, so the kernel does not add a large hidden queue in front of the
// token bucket: the slow link's buffer is this plus the read-ahead, and the
// rest waits in the peer's send buffer, where a real slow link keeps it too.
// Linux doubles the value asked for (the other half is its bookkeeping), so
// half is asked. Set before listen()/connect() so that the window is scaled
// to it.
void limit_receive_buffer(int fd, std::size_t bytes) {
  const int size = static_cast<int>(bytes / 2);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

void set_nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// A token bucket: `rate` bytes per second, at most `capacity` bytes held.
// Starts full. Rate 0: unlimited (every method then lets everything through).
class Bucket {
 public:
  Bucket() = default;
  Bucket(std::uint64_t rate, std::uint64_t burst) : rate_(static_cast<double>(rate)) {
    if (rate == 0) return;
    const std::uint64_t capacity =
        burst > 0 ? burst : std::max<std::uint64_t>(rate / kBurstPerSecond, 1);
    capacity_ = static_cast<double>(capacity);
    quantum_ = std::clamp<std::uint64_t>(rate / kQuantumPerSecond, 1, capacity);
    tokens_ = capacity_;
    refilled_ = Clock::now();
  }

  bool limited() const { return rate_ > 0; }

  // Whole bytes that may go now.
  std::size_t available(Clock::time_point now) {
    if (!limited()) return std::numeric_limits<std::size_t>::max();
    refill(now);
    return static_cast<std::size_t>(tokens_);
  }

  // Bytes worth waking up for when `pending` bytes wait: a quantum, or all
  // of them when fewer.
  std::size_t wanted(std::size_t pending) const { return std::min(pending, quantum_); }

  // When `bytes` (<= the capacity) will be available.
  Clock::time_point ready_at(std::size_t bytes, Clock::time_point now) {
    refill(now);
    const double missing = static_cast<double>(bytes) - tokens_;
    if (missing <= 0) return now;
    return now + std::chrono::duration_cast<Clock::duration>(
                     std::chrono::duration<double>(missing / rate_));
  }

  void take(std::size_t bytes) {
    if (limited()) tokens_ = std::max(0.0, tokens_ - static_cast<double>(bytes));
  }

 private:
  void refill(Clock::time_point now) {
    const double seconds = std::chrono::duration<double>(now - refilled_).count();
    if (seconds > 0) {
      tokens_ = std::min(capacity_, tokens_ + rate_ * seconds);
      refilled_ = now;
    }
  }

  double rate_ = 0;
  double capacity_ = 0;
  std::size_t quantum_ = 1;
  double tokens_ = 0;
  Clock::time_point refilled_{};
};

struct Chunk {
  Clock::time_point release;
  std::vector<std::uint8_t> bytes;
  std::size_t offset = 0;
};

// One direction of a link: bytes read from `from` wait here until written to `to`.
struct Pipe {
  std::deque<Chunk> queue;
  std::size_t queued = 0;
  std::uint64_t forwarded = 0;
  std::uint64_t cut_at = kNeverBytes;
  bool eof = false;        // the source said FIN
  bool shut = false;       // the FIN was passed on
  bool throttled = false;  // waiting for tokens (counted once per wait)
  bool released() const { return !queue.empty() && queue.front().release <= Clock::now(); }
};

struct Link {
  int fds[2] = {-1, -1};  // [0] the sender's side, [1] the receiver's side
  Pipe pipes[2];          // [0] sender -> receiver, [1] receiver -> sender
  std::uint64_t stall_at = kNeverBytes;
  Clock::time_point stall_until{};
  bool has_planned_cut = false;  // holds a cut from the plan, not executed yet
  bool upstream_lost = false;    // the receiver's side ended or failed
  bool held = false;             // half-closed towards the sender, never read again
  bool dead = false;

  bool stalled(Clock::time_point now) const { return now < stall_until; }
};

}  // namespace

struct FaultProxy::Impl {
  std::uint16_t upstream_port;
  FaultPlan plan;
  std::mt19937_64 random;
  int listen_fd = -1;
  int wake_fd = -1;
  std::uint16_t port = 0;
  std::thread thread;
  std::atomic<bool> stopping = false;
  std::atomic<std::uint64_t> cut_requests = 0;
  std::uint64_t cut_requests_seen = 0;
  std::vector<std::unique_ptr<Link>> links;
  // [0] towards the receiver, [1] towards the sender; shared by every link.
  Bucket buckets[2];
  std::size_t read_ahead[2] = {kMaxQueuedBytes, kMaxQueuedBytes};
  std::uint64_t accepted = 0;
  // Cut points not handed out yet, next first; a connection that ends before
  // reaching its cut point gives it back, so every planned cut happens.
  std::deque<std::uint64_t> pending_cuts;

  std::atomic<std::uint64_t> connections = 0;
  std::atomic<std::uint64_t> refused = 0;
  std::atomic<std::uint64_t> cuts = 0;
  std::atomic<std::uint64_t> stalls = 0;
  std::atomic<std::uint64_t> half_closes = 0;
  std::atomic<std::uint64_t> bytes_to_receiver = 0;
  std::atomic<std::uint64_t> bytes_to_sender = 0;
  std::atomic<std::uint64_t> throttle_waits = 0;

  Impl(std::uint16_t upstream, FaultPlan fault_plan)
      : upstream_port(upstream), plan(std::move(fault_plan)), random(plan.seed) {
    pending_cuts.assign(plan.cut_after.begin(), plan.cut_after.end());
    for (int i = 0; i < plan.random_cuts; ++i) {
      pending_cuts.push_back(draw(plan.random_cut_min, plan.random_cut_max));
    }
    const std::uint64_t rates[2] = {plan.rate_to_receiver, plan.rate_to_sender};
    for (int d = 0; d < 2; ++d) {
      if (rates[d] == 0) continue;
      buckets[d] = Bucket(rates[d], plan.rate_burst);
      const std::uint64_t queue = plan.rate_queue > 0
                                      ? plan.rate_queue
                                      : std::max(rates[d] / kQueuePerSecond, kMinRateQueue);
      read_ahead[d] = static_cast<std::size_t>(std::min<std::uint64_t>(queue, kMaxQueuedBytes));
    }
  }

  void wake() const {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(wake_fd, &one, sizeof one);
  }

  std::uint64_t draw(std::uint64_t low, std::uint64_t high) {
    if (high <= low) return low;
    return std::uniform_int_distribution<std::uint64_t>(low, high)(random);
  }

  int connect_upstream() const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (buckets[1].limited()) limit_receive_buffer(fd, read_ahead[1]);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(upstream_port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // Blocking is fine on loopback: it connects or is refused at once.
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd);
      return -1;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    set_nodelay(fd);
    return fd;
  }

  void accept_one() {
    int client = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) return;
    ++connections;
    const std::uint64_t index = accepted++;
    int upstream = connect_upstream();
    if (upstream < 0) {
      // The receiver is down: the sender sees its connection closed at once.
      ++refused;
      close_fd(client, false);
      return;
    }
    set_nodelay(client);
    auto link = std::make_unique<Link>();
    link->fds[0] = client;
    link->fds[1] = upstream;
    std::uint64_t cut_at = kNeverBytes;
    if (!pending_cuts.empty()) {
      cut_at = pending_cuts.front();
      pending_cuts.pop_front();
      link->has_planned_cut = true;
    }
    link->pipes[cut_pipe()].cut_at = cut_at;
    if (index < static_cast<std::uint64_t>(std::max(plan.stall_connections, 0))) {
      link->stall_at = plan.stall_after;
    }
    // A dead link is erased on the loop's next turn; a held one is kept.
    if (cut_at == 0) cut(*link);
    links.push_back(std::move(link));
  }

  int cut_pipe() const { return plan.cut_direction == Direction::kToReceiver ? 0 : 1; }

  void cut(Link& link) {
    if (link.dead) return;
    ++cuts;
    link.has_planned_cut = false;
    if (plan.half_close && !link.held) {
      // A planned cut stands for the loss of the receiver: only its side is
      // closed here, the sender's side is held (see hold()).
      close_fd(link.fds[1], plan.cut_with_reset);
      link.upstream_lost = true;
      hold(link);
      return;
    }
    close_fd(link.fds[0], plan.cut_with_reset);
    close_fd(link.fds[1], plan.cut_with_reset);
    link.dead = true;
  }

  // Closes a link that ended by itself (or broke); its unused cut goes back.
  void drop(Link& link) {
    if (link.dead) return;
    if (link.has_planned_cut) pending_cuts.push_front(link.pipes[cut_pipe()].cut_at);
    link.has_planned_cut = false;
    close_fd(link.fds[0], false);
    close_fd(link.fds[1], false);
    link.dead = true;
  }

  // Half-close mode, once the receiver's side is lost: nothing more goes to
  // the receiver and nothing more is read from the sender; what is queued for
  // the sender still goes out, then a FIN (settle()). The sender's socket
  // stays open, unread, until stop().
  void hold(Link& link) {
    if (link.held) return;
    link.held = true;
    ++half_closes;
    close_fd(link.fds[1], false);
    break_pipe(link.pipes[0]);
    link.pipes[1].eof = true;
  }

  // Reads what `from` has into pipe `d`.
  void read_into(Link& link, int d) {
    Pipe& pipe = link.pipes[d];
    Chunk chunk{.release = Clock::now() + plan.chunk_delay, .bytes = {}, .offset = 0};
    // A throttled direction reads no further ahead than its bottleneck buffer.
    chunk.bytes.resize(std::min(kReadBytes, read_ahead[d] - std::min(read_ahead[d], pipe.queued)));
    if (chunk.bytes.empty()) return;
    const ssize_t got = ::recv(link.fds[d], chunk.bytes.data(), chunk.bytes.size(), 0);
    if (got > 0) {
      chunk.bytes.resize(static_cast<std::size_t>(got));
      pipe.queued += chunk.bytes.size();
      pipe.queue.push_back(std::move(chunk));
    } else if (got == 0) {
      pipe.eof = true;
      if (d == 1) link.upstream_lost = true;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      // A reset: what was read before still goes out (it may be the
      // receiver's ERROR), but nothing more can reach this side.
      pipe.eof = true;
      break_pipe(link.pipes[1 - d]);
      if (d == 1) link.upstream_lost = true;
    }
  }

  // The destination of `pipe` is gone: its queued bytes are dropped.
  static void break_pipe(Pipe& pipe) {
    pipe.queue.clear();
    pipe.queued = 0;
    pipe.eof = true;
    pipe.shut = true;
  }

  // Writes one piece (or one chunk) of pipe `d` to its destination.
  void write_from(Link& link, int d) {
    Pipe& pipe = link.pipes[d];
    Chunk& chunk = pipe.queue.front();
    std::size_t n = chunk.bytes.size() - chunk.offset;
    if (plan.max_piece > 0) n = std::min<std::size_t>(n, draw(1, plan.max_piece));
    if (pipe.cut_at != kNeverBytes) {
      n = static_cast<std::size_t>(std::min<std::uint64_t>(n, pipe.cut_at - pipe.forwarded));
    }
    if (d == 0 && link.stall_at != kNeverBytes) {
      n = static_cast<std::size_t>(std::min<std::uint64_t>(n, link.stall_at - pipe.forwarded));
    }
    n = std::min(n, buckets[d].available(Clock::now()));
    if (n == 0) return;
    const int to = link.fds[1 - d];
    const ssize_t sent = ::send(to, chunk.bytes.data() + chunk.offset, n, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        break_pipe(pipe);
        if (d == 0) link.upstream_lost = true;
      }
      return;
    }
    const auto count = static_cast<std::size_t>(sent);
    buckets[d].take(count);
    chunk.offset += count;
    pipe.queued -= count;
    pipe.forwarded += count;
    (d == 0 ? bytes_to_receiver : bytes_to_sender) += count;
    if (chunk.offset == chunk.bytes.size()) pipe.queue.pop_front();
    if (pipe.forwarded == pipe.cut_at) return cut(link);
    if (d == 0 && pipe.forwarded == link.stall_at) {
      link.stall_at = kNeverBytes;
      link.stall_until = Clock::now() + plan.stall_for;
      ++stalls;
    }
  }

  // Passes a FIN on once everything before it is forwarded; a link whose
  // both directions ended is closed.
  void settle(Link& link) {
    if (plan.half_close && link.upstream_lost && !link.dead) hold(link);
    for (int d = 0; d < 2 && !link.dead; ++d) {
      Pipe& pipe = link.pipes[d];
      if (pipe.eof && pipe.queue.empty() && !pipe.shut) {
        ::shutdown(link.fds[1 - d], SHUT_WR);
        pipe.shut = true;
      }
    }
    // A held link keeps the sender's socket open until stop().
    if (!link.dead && !link.held && link.pipes[0].shut && link.pipes[1].shut) drop(link);
  }

  // A throttled pipe with bytes to forward and too few tokens: true, and
  // `next_event` brought forward to when it may write again.
  bool wait_for_tokens(Pipe& pipe, int d, Clock::time_point now, Clock::time_point& next_event) {
    Bucket& bucket = buckets[d];
    if (!bucket.limited()) return false;
    const Chunk& front = pipe.queue.front();
    const std::size_t want = bucket.wanted(front.bytes.size() - front.offset);
    if (bucket.available(now) >= want) {
      pipe.throttled = false;
      return false;
    }
    if (!pipe.throttled) ++throttle_waits;
    pipe.throttled = true;
    next_event = std::min(next_event, bucket.ready_at(want, now));
    return true;
  }

  void loop() {
    std::vector<pollfd> fds;
    // fds index -> (link, direction, readable side?)
    struct Slot {
      Link* link;
      int d;
      bool read;
    };
    std::vector<Slot> slots;
    while (!stopping) {
      const std::uint64_t requested = cut_requests.load();
      if (requested != cut_requests_seen) {
        cut_requests_seen = requested;
        for (auto& link : links) cut(*link);
      }
      std::erase_if(links, [](const auto& link) { return link->dead; });

      const auto now = Clock::now();
      fds.clear();
      slots.clear();
      fds.push_back({.fd = listen_fd, .events = POLLIN, .revents = 0});
      fds.push_back({.fd = wake_fd, .events = POLLIN, .revents = 0});
      auto next_event = Clock::time_point::max();
      for (auto& link : links) {
        if (link->stalled(now)) {
          next_event = std::min(next_event, link->stall_until);
          continue;
        }
        for (int d = 0; d < 2; ++d) {
          Pipe& pipe = link->pipes[d];
          if (!pipe.eof && pipe.queued < read_ahead[d]) {
            fds.push_back({.fd = link->fds[d], .events = POLLIN, .revents = 0});
            slots.push_back({link.get(), d, true});
          }
          if (!pipe.queue.empty()) {
            if (!pipe.released()) {
              next_event = std::min(next_event, pipe.queue.front().release);
            } else if (!wait_for_tokens(pipe, d, now, next_event)) {
              fds.push_back({.fd = link->fds[1 - d], .events = POLLOUT, .revents = 0});
              slots.push_back({link.get(), d, false});
            }
          }
        }
      }
      int timeout = kIdlePollMs;
      if (next_event != Clock::time_point::max()) {
        const auto wait =
            std::chrono::ceil<std::chrono::milliseconds>(next_event - Clock::now()).count();
        timeout = static_cast<int>(std::clamp<long long>(wait, 0, kIdlePollMs));
      }
      const int ready = ::poll(fds.data(), fds.size(), timeout);
      if (ready < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[1].revents & POLLIN) {
        std::uint64_t ignored = 0;
        [[maybe_unused]] const auto got = ::read(wake_fd, &ignored, sizeof ignored);
      }
      for (std::size_t i = 2; i < fds.size(); ++i) {
        const Slot& slot = slots[i - 2];
        if (slot.link->dead || fds[i].revents == 0) continue;
        if (slot.read) {
          read_into(*slot.link, slot.d);
        } else if (slot.link->pipes[slot.d].released()) {
          write_from(*slot.link, slot.d);
        }
      }
      for (auto& link : links) settle(*link);
      if (fds[0].revents & POLLIN) accept_one();
    }
    for (auto& link : links) drop(*link);
    links.clear();
  }
};

FaultProxy::FaultProxy(std::uint16_t upstream_port, FaultPlan plan)
    : impl_(std::make_unique<Impl>(upstream_port, std::move(plan))) {}

FaultProxy::~FaultProxy() {
  stop();
}

std::string FaultProxy::start() {
  Impl& impl = *impl_;
  impl.listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (impl.listen_fd < 0) return std::string("socket: ") + std::strerror(errno);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // Accepted sockets inherit it.
  if (impl.buckets[0].limited()) limit_receive_buffer(impl.listen_fd, impl.read_ahead[0]);
  if (::bind(impl.listen_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(impl.listen_fd, 128) != 0) {
    return std::string("bind/listen: ") + std::strerror(errno);
  }
  socklen_t length = sizeof address;
  ::getsockname(impl.listen_fd, reinterpret_cast<sockaddr*>(&address), &length);
  impl.port = ntohs(address.sin_port);
  impl.wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl.wake_fd < 0) return std::string("eventfd: ") + std::strerror(errno);
  impl.thread = std::thread([&impl] { impl.loop(); });
  return {};
}

void FaultProxy::stop() {
  Impl& impl = *impl_;
  if (impl.thread.joinable()) {
    impl.stopping = true;
    impl.wake();
    impl.thread.join();
  }
  close_fd(impl.listen_fd, false);
  close_fd(impl.wake_fd, false);
}

std::uint16_t FaultProxy::port() const {
  return impl_->port;
}

void FaultProxy::cut_all() {
  ++impl_->cut_requests;
  impl_->wake();
}

ProxyStats FaultProxy::stats() const {
  const Impl& impl = *impl_;
  return {.connections = impl.connections.load(),
          .refused = impl.refused.load(),
          .cuts = impl.cuts.load(),
          .stalls = impl.stalls.load(),
          .half_closes = impl.half_closes.load(),
          .bytes_to_receiver = impl.bytes_to_receiver.load(),
          .bytes_to_sender = impl.bytes_to_sender.load(),
          .throttle_waits = impl.throttle_waits.load()};
}

}  // namespace framewire::test
