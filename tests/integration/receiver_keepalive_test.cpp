// The receiver turns TCP keepalive on for every accepted connection (issue 6,
// part 5): seen from outside the process in /proc/net/tcp, where the
// server's end of an idle connection must show the keepalive timer (timer
// kind 2) due within the configured 30 s idle time, not the kernel's 2 h.
// Linux only, like the rest of the suite. Test-only; the test's thread.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "support/raw_client.hpp"
#include "support/receiver_fixture.hpp"

namespace framewire::test {
namespace {

struct TcpTimer {
  int kind = 0;        // 0 none, 1 retransmit, 2 keepalive, 4 zero window probe
  long due_ticks = 0;  // clock ticks (USER_HZ) until it fires
};

// The timer of the IPv4 socket whose local port is `local` and remote port
// `remote`, from /proc/net/tcp ("sl local rem st queues tr:when ...").
std::optional<TcpTimer> tcp_timer(std::uint16_t local, std::uint16_t remote) {
  char local_suffix[8];
  char remote_suffix[8];
  std::snprintf(local_suffix, sizeof local_suffix, ":%04X", local);
  std::snprintf(remote_suffix, sizeof remote_suffix, ":%04X", remote);
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local_address, remote_address, state, queues, timer;
    fields >> slot >> local_address >> remote_address >> state >> queues >> timer;
    if (!local_address.ends_with(local_suffix) || !remote_address.ends_with(remote_suffix)) {
      continue;
    }
    const auto colon = timer.find(':');
    if (colon == std::string::npos) return std::nullopt;
    return TcpTimer{.kind = std::stoi(timer.substr(0, colon), nullptr, 16),
                    .due_ticks = std::stol(timer.substr(colon + 1), nullptr, 16)};
  }
  return std::nullopt;
}

using ReceiverKeepalive = ReceiverFixture;

TEST_F(ReceiverKeepalive, AcceptedConnectionsHaveKeepaliveOn) {
  ASSERT_TRUE(start_serve({"--sync", "none"}));
  RawClient client;
  ASSERT_TRUE(client.connect(serve_->port()));
  // Handshaken, then quiet: nothing in flight, so the only timer the
  // kernel can have for the receiver's end is keepalive.
  ASSERT_TRUE(client.handshake());
  const long ticks_per_second = sysconf(_SC_CLK_TCK);
  std::optional<TcpTimer> timer;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    timer = tcp_timer(serve_->port(), client.local_port());
    if (timer && timer->kind == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(timer) << "the receiver's end of the connection is not in /proc/net/tcp";
  EXPECT_EQ(timer->kind, 2) << "no keepalive timer on the receiver's end";
  EXPECT_LE(timer->due_ticks, 30 * ticks_per_second) << "keepalive idle time is not 30 s";
}

}  // namespace
}  // namespace framewire::test
