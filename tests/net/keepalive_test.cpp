// enable_keepalive on a real loopback socket: the options read back as set.
// Test-only; the test's thread.
#include "net/keepalive.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

namespace framewire::net {
namespace {

int int_option(asio::ip::tcp::socket& socket, int level, int name) {
  int value = -1;
  socklen_t length = sizeof value;
  if (::getsockopt(socket.native_handle(), level, name, &value, &length) != 0) return -1;
  return value;
}

class Keepalive : public ::testing::Test {
 protected:
  void SetUp() override {
    asio::ip::tcp::acceptor acceptor(io_, {asio::ip::address_v4::loopback(), 0});
    client_.connect(acceptor.local_endpoint());
    acceptor.accept(server_);
  }

  asio::io_context io_;
  asio::ip::tcp::socket client_{io_};
  asio::ip::tcp::socket server_{io_};
};

TEST_F(Keepalive, DefaultsDetectADeadPeerWithinAMinute) {
  ASSERT_EQ(int_option(server_, SOL_SOCKET, SO_KEEPALIVE), 0) << "the kernel default changed";
  enable_keepalive(server_);
  EXPECT_NE(int_option(server_, SOL_SOCKET, SO_KEEPALIVE), 0);
  const KeepaliveSettings defaults;
  EXPECT_EQ(int_option(server_, IPPROTO_TCP, TCP_KEEPIDLE), defaults.idle.count());
  EXPECT_EQ(int_option(server_, IPPROTO_TCP, TCP_KEEPINTVL), defaults.interval.count());
  EXPECT_EQ(int_option(server_, IPPROTO_TCP, TCP_KEEPCNT), defaults.probes);
  EXPECT_LE(defaults.idle + defaults.interval * defaults.probes, std::chrono::seconds(60));
}

TEST_F(Keepalive, SettingsAreApplied) {
  enable_keepalive(
      client_,
      {.idle = std::chrono::seconds(45), .interval = std::chrono::seconds(7), .probes = 4});
  EXPECT_NE(int_option(client_, SOL_SOCKET, SO_KEEPALIVE), 0);
  EXPECT_EQ(int_option(client_, IPPROTO_TCP, TCP_KEEPIDLE), 45);
  EXPECT_EQ(int_option(client_, IPPROTO_TCP, TCP_KEEPINTVL), 7);
  EXPECT_EQ(int_option(client_, IPPROTO_TCP, TCP_KEEPCNT), 4);
}

TEST_F(Keepalive, ARefusedOptionIsIgnored) {
  // 0 s is out of range for TCP_KEEPIDLE: the kernel refuses it, the rest
  // still applies and nothing is thrown.
  enable_keepalive(server_, {.idle = std::chrono::seconds(0)});
  EXPECT_NE(int_option(server_, SOL_SOCKET, SO_KEEPALIVE), 0);
  EXPECT_EQ(int_option(server_, IPPROTO_TCP, TCP_KEEPCNT), KeepaliveSettings{}.probes);
}

TEST_F(Keepalive, AClosedSocketIsLeftAlone) {
  server_.close();
  enable_keepalive(server_);  // no throw, no crash
  EXPECT_FALSE(server_.is_open());
}

}  // namespace
}  // namespace framewire::net
