// The fault proxy itself, against a plain TCP sink on loopback: a cut after N
// bytes delivers exactly N bytes, fragmented and delayed bytes arrive whole
// and in order, a stall holds bytes back and then lets them through, a
// connection the upstream refuses is closed, in half-close mode the loss
// of the upstream reaches the client as a FIN on a socket that is then never
// read again, and a bandwidth limit slows each direction (and several
// connections together) to about its rate, in many small steps rather than
// in bursts. Without these the transfer tests
// could pass because the proxy injected nothing.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <future>
#include <random>
#include <thread>
#include <vector>

#include "fault/fault_proxy.hpp"

namespace framewire::test {
namespace {

constexpr auto kDeadline = std::chrono::seconds(30);

// A listening socket on 127.0.0.1:0 that accepts one connection.
class Sink {
 public:
  Sink() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address);
    ::listen(fd_, 8);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~Sink() {
    if (fd_ >= 0) ::close(fd_);
  }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  std::uint16_t port() const { return port_; }

  // Accepts one connection and reads it to its end (or the deadline);
  // `reads` counts the recv() calls that returned data.
  std::vector<std::uint8_t> read_all(std::size_t* reads = nullptr) const {
    std::vector<std::uint8_t> bytes;
    pollfd listening{.fd = fd_, .events = POLLIN, .revents = 0};
    if (::poll(&listening, 1, 30'000) <= 0) return bytes;
    const int fd = ::accept(fd_, nullptr, nullptr);
    if (fd < 0) return bytes;
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    std::uint8_t buffer[65536];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd readable{.fd = fd, .events = POLLIN, .revents = 0};
      if (::poll(&readable, 1, 1000) <= 0) continue;
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      if (reads != nullptr) ++*reads;
      bytes.insert(bytes.end(), buffer, buffer + n);
    }
    ::close(fd);
    return bytes;
  }

  // Accepts one connection, writes `bytes` to it and closes it.
  void write_all_then_close(const std::vector<std::uint8_t>& bytes) const {
    pollfd listening{.fd = fd_, .events = POLLIN, .revents = 0};
    if (::poll(&listening, 1, 30'000) <= 0) return;
    const int fd = ::accept(fd_, nullptr, nullptr);
    if (fd < 0) return;
    std::size_t at = 0;
    while (at < bytes.size()) {
      const ssize_t n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
      if (n <= 0) break;
      at += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }

  // Accepts one connection, reads `count` bytes (or to its end) and closes it.
  void read_then_close(std::size_t count) const {
    pollfd listening{.fd = fd_, .events = POLLIN, .revents = 0};
    if (::poll(&listening, 1, 30'000) <= 0) return;
    const int fd = ::accept(fd_, nullptr, nullptr);
    if (fd < 0) return;
    std::size_t got = 0;
    std::uint8_t buffer[4096];
    while (got < count) {
      pollfd readable{.fd = fd, .events = POLLIN, .revents = 0};
      if (::poll(&readable, 1, 30'000) <= 0) break;
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::vector<std::uint8_t> random_bytes(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<std::uint8_t> bytes(count);
  for (auto& byte : bytes) byte = static_cast<std::uint8_t>(random() >> 56);
  return bytes;
}

// Sends `bytes` (stopping quietly when the proxy cuts), then closes.
void send_and_close(int fd, const std::vector<std::uint8_t>& bytes) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n <= 0) break;
    at += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

// Sends `bytes` through a proxy with `plan` to a sink; returns what arrived.
std::vector<std::uint8_t> through(const FaultPlan& plan, const std::vector<std::uint8_t>& bytes,
                                  ProxyStats* stats = nullptr, std::size_t* reads = nullptr) {
  Sink sink;
  FaultProxy proxy(sink.port(), plan);
  EXPECT_EQ(proxy.start(), "");
  auto received = std::async(std::launch::async, [&] { return sink.read_all(reads); });
  const int fd = connect_to(proxy.port());
  EXPECT_GE(fd, 0);
  if (fd >= 0) send_and_close(fd, bytes);
  auto result = received.get();
  if (stats != nullptr) *stats = proxy.stats();
  return result;
}

using Seconds = std::chrono::duration<double>;

// Sends `bytes` through a proxy with `plan` and times it from the first
// send() until the sink has read everything.
std::vector<std::uint8_t> timed_through(const FaultPlan& plan,
                                        const std::vector<std::uint8_t>& bytes, double* seconds,
                                        std::size_t* reads, ProxyStats* stats) {
  Sink sink;
  FaultProxy proxy(sink.port(), plan);
  EXPECT_EQ(proxy.start(), "");
  const auto started = std::chrono::steady_clock::now();
  auto received = std::async(std::launch::async, [&] {
    auto result = sink.read_all(reads);
    *seconds = Seconds(std::chrono::steady_clock::now() - started).count();
    return result;
  });
  const int fd = connect_to(proxy.port());
  EXPECT_GE(fd, 0);
  if (fd >= 0) send_and_close(fd, bytes);
  auto result = received.get();
  *stats = proxy.stats();
  return result;
}

TEST(FaultProxySelf, ForwardsEverythingWithoutFaults) {
  const auto bytes = random_bytes(3 << 20, 1);
  ProxyStats stats;
  EXPECT_EQ(through(FaultPlan{}, bytes, &stats), bytes);
  EXPECT_EQ(stats.connections, 1U);
  EXPECT_EQ(stats.cuts, 0U);
  EXPECT_EQ(stats.bytes_to_receiver, bytes.size());
}

TEST(FaultProxySelf, CutAfterNBytesDeliversExactlyNBytes) {
  const auto bytes = random_bytes(500'000, 2);
  for (const std::uint64_t n : {1ULL, 4096ULL, 65'537ULL, 333'333ULL}) {
    for (const bool reset : {false, true}) {
      FaultPlan plan{.cut_after = {n}, .cut_with_reset = reset};
      ProxyStats stats;
      const auto received = through(plan, bytes, &stats);
      // With a reset, bytes the sink had not read yet may be discarded by
      // its kernel; never more than N arrive, and those are the first N.
      if (reset) {
        ASSERT_LE(received.size(), n);
      } else {
        ASSERT_EQ(received.size(), n) << "reset " << reset;
      }
      EXPECT_TRUE(std::equal(received.begin(), received.end(), bytes.begin()));
      EXPECT_EQ(stats.cuts, 1U);
    }
  }
}

TEST(FaultProxySelf, RandomCutPointsStayInTheirRange) {
  const auto bytes = random_bytes(200'000, 3);
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    FaultPlan plan{
        .random_cuts = 1, .random_cut_min = 1000, .random_cut_max = 100'000, .seed = seed};
    const auto received = through(plan, bytes);
    EXPECT_GE(received.size(), 1000U);
    EXPECT_LE(received.size(), 100'000U);
    EXPECT_TRUE(std::equal(received.begin(), received.end(), bytes.begin()));
  }
}

TEST(FaultProxySelf, FragmentedBytesArriveWholeAndInOrderInManyReads) {
  const auto bytes = random_bytes(100'000, 4);
  std::size_t reads = 0;
  const auto received = through(FaultPlan{.max_piece = 7}, bytes, nullptr, &reads);
  EXPECT_EQ(received, bytes);
  // Not a timing claim: one send() per piece of at most 7 bytes cannot all be
  // merged into the few reads an unfragmented transfer needs.
  EXPECT_GT(reads, 16U);
}

TEST(FaultProxySelf, DelayedChunksArriveWholeAndInOrder) {
  const auto bytes = random_bytes(1 << 20, 5);
  EXPECT_EQ(through(FaultPlan{.chunk_delay = std::chrono::milliseconds(2)}, bytes), bytes);
}

TEST(FaultProxySelf, StallHoldsBytesBackThenForwardsThem) {
  const auto bytes = random_bytes(300'000, 6);
  ProxyStats stats;
  FaultPlan plan{.stall_after = 100'000, .stall_for = std::chrono::milliseconds(300)};
  EXPECT_EQ(through(plan, bytes, &stats), bytes);
  EXPECT_EQ(stats.stalls, 1U);
}

TEST(FaultProxySelf, RefusedUpstreamClosesTheConnection) {
  std::uint16_t dead_port = 0;
  {
    Sink gone;  // bound, then closed: nothing listens there any more
    dead_port = gone.port();
  }
  FaultProxy proxy(dead_port, FaultPlan{});
  ASSERT_EQ(proxy.start(), "");
  const int fd = connect_to(proxy.port());
  ASSERT_GE(fd, 0);
  pollfd readable{.fd = fd, .events = POLLIN, .revents = 0};
  ASSERT_EQ(::poll(&readable, 1, 30'000), 1);
  std::uint8_t byte = 0;
  EXPECT_LE(::recv(fd, &byte, 1, 0), 0);
  ::close(fd);
  EXPECT_EQ(proxy.stats().refused, 1U);
}

TEST(FaultProxySelf, CutAllClosesOpenConnections) {
  Sink sink;
  FaultProxy proxy(sink.port(), FaultPlan{});
  ASSERT_EQ(proxy.start(), "");
  auto received = std::async(std::launch::async, [&] { return sink.read_all(); });
  const int fd = connect_to(proxy.port());
  ASSERT_GE(fd, 0);
  const auto bytes = random_bytes(1000, 7);
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), 1000);
  while (proxy.stats().bytes_to_receiver < 1000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  proxy.cut_all();
  pollfd readable{.fd = fd, .events = POLLIN, .revents = 0};
  ASSERT_EQ(::poll(&readable, 1, 30'000), 1);
  std::uint8_t byte = 0;
  EXPECT_LE(::recv(fd, &byte, 1, 0), 0);
  ::close(fd);
  EXPECT_EQ(received.get(), bytes);
  EXPECT_EQ(proxy.stats().cuts, 1U);
}

TEST(FaultProxySelf, HalfCloseAnswersUpstreamLossWithAFinAndStopsReading) {
  Sink sink;
  FaultProxy proxy(sink.port(), FaultPlan{.half_close = true});
  ASSERT_EQ(proxy.start(), "");
  auto upstream = std::async(std::launch::async, [&] { sink.read_then_close(1000); });
  const int fd = connect_to(proxy.port());
  ASSERT_GE(fd, 0);
  const auto bytes = random_bytes(1000, 8);
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), 1000);
  upstream.get();

  // The upstream closed: the client reads an orderly end of stream.
  pollfd readable{.fd = fd, .events = POLLIN, .revents = 0};
  ASSERT_EQ(::poll(&readable, 1, 30'000), 1);
  std::uint8_t byte = 0;
  EXPECT_EQ(::recv(fd, &byte, 1, 0), 0);

  // Its socket stays open but unread: writes are accepted until the buffers
  // are full, then block, and never fail.
  const auto chunk = random_bytes(64 * 1024, 9);
  std::uint64_t written = 0;
  bool blocked = false;
  while (written < (std::uint64_t{256} << 20)) {
    pollfd writable{.fd = fd, .events = POLLOUT, .revents = 0};
    if (::poll(&writable, 1, 1000) == 0) {
      blocked = true;
      break;
    }
    const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    ASSERT_GT(n, 0) << "send failed: " << std::strerror(errno);
    written += static_cast<std::uint64_t>(n);
  }
  EXPECT_TRUE(blocked) << written << " bytes written and still not blocked";
  ::close(fd);
  EXPECT_EQ(proxy.stats().half_closes, 1U);
  EXPECT_EQ(proxy.stats().bytes_to_receiver, 1000U);
}

// Loose bounds only: 2 MB at 1 MB/s cannot arrive in less than 1.5 s (the
// bucket holds 20 KB at the start and the proxy reads ahead 100 KB, so the
// floor is ~1.9 s), and a loaded machine may take longer, never 10 s.
TEST(FaultProxySelf, RateLimitToReceiverSlowsTheTransferToAboutTheRate) {
  const auto bytes = random_bytes(2'000'000, 10);
  double seconds = 0;
  std::size_t reads = 0;
  ProxyStats stats;
  const auto received =
      timed_through(FaultPlan{.rate_to_receiver = 1'000'000}, bytes, &seconds, &reads, &stats);
  EXPECT_EQ(received, bytes);
  EXPECT_GE(seconds, 1.5) << "2 MB at 1 MB/s";
  EXPECT_LT(seconds, 10.0) << "2 MB at 1 MB/s";
  RecordProperty("seconds", std::to_string(seconds));
  // A slow link, not stalls and bursts: a 5 KB step every 5 ms, so the sink
  // reads many times (a burst after each stall would arrive in few 64 KB reads).
  EXPECT_GT(reads, 100U);
  EXPECT_GT(stats.throttle_waits, 100U);
  EXPECT_EQ(stats.bytes_to_receiver, bytes.size());
}

TEST(FaultProxySelf, RateLimitIsSharedByConcurrentConnections) {
  // Two connections of 1 MB each at 1 MB/s together: at least 1.5 s.
  Sink first;
  const auto bytes_a = random_bytes(1'000'000, 11);
  const auto bytes_b = random_bytes(1'000'000, 12);
  // One proxy forwards to one upstream port, so both connections go to the
  // same sink, accepted one after the other on two threads.
  FaultProxy proxy(first.port(), FaultPlan{.rate_to_receiver = 1'000'000});
  ASSERT_EQ(proxy.start(), "");
  const auto started = std::chrono::steady_clock::now();
  auto received_a = std::async(std::launch::async, [&] { return first.read_all(); });
  auto received_b = std::async(std::launch::async, [&] { return first.read_all(); });
  const int fd_a = connect_to(proxy.port());
  const int fd_b = connect_to(proxy.port());
  ASSERT_GE(fd_a, 0);
  ASSERT_GE(fd_b, 0);
  auto sent_a = std::async(std::launch::async, [&] { send_and_close(fd_a, bytes_a); });
  send_and_close(fd_b, bytes_b);
  sent_a.get();
  auto a = received_a.get();
  auto b = received_b.get();
  const double seconds = Seconds(std::chrono::steady_clock::now() - started).count();
  // Which accept got which connection is not known: compare as a set.
  if (a != bytes_a) std::swap(a, b);
  EXPECT_EQ(a, bytes_a);
  EXPECT_EQ(b, bytes_b);
  EXPECT_GE(seconds, 1.5) << "2 x 1 MB at 1 MB/s shared";
  EXPECT_LT(seconds, 15.0);
  EXPECT_EQ(proxy.stats().bytes_to_receiver, 2'000'000U);
}

TEST(FaultProxySelf, RateLimitToSenderSlowsOnlyTheReplies) {
  // The upstream writes 300 KB back at 150 KB/s: at least 1.5 s.
  Sink sink;
  FaultProxy proxy(sink.port(), FaultPlan{.rate_to_sender = 150'000});
  ASSERT_EQ(proxy.start(), "");
  const auto reply = random_bytes(300'000, 13);
  auto upstream = std::async(std::launch::async, [&] { sink.write_all_then_close(reply); });
  const int fd = connect_to(proxy.port());
  ASSERT_GE(fd, 0);
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::uint8_t> got;
  std::uint8_t buffer[65536];
  while (true) {
    pollfd readable{.fd = fd, .events = POLLIN, .revents = 0};
    if (::poll(&readable, 1, 30'000) <= 0) break;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    got.insert(got.end(), buffer, buffer + n);
  }
  const double seconds = Seconds(std::chrono::steady_clock::now() - started).count();
  ::close(fd);
  upstream.get();
  EXPECT_EQ(got, reply);
  EXPECT_GE(seconds, 1.5) << "300 KB at 150 KB/s";
  EXPECT_LT(seconds, 15.0);
  EXPECT_EQ(proxy.stats().bytes_to_sender, reply.size());
}

}  // namespace
}  // namespace framewire::test
