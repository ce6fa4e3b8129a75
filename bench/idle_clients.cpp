// fw_idle_clients: opens N connections to a framewire receiver, says HELLO on
// each, waits for every HELLO_OK, prints "ready N" and then holds the
// connections open, sending nothing, until its standard input closes (or it is
// killed). bench/idle_connections.sh uses it to measure what an idle sender
// costs the receiver. Sources are spread over 127.0.0.1..127.0.0.<A> (--addresses)
// so that the receiver's per-address cap needs no change.
//
// Usage: fw_idle_clients --port P [--count N] [--addresses A]
// One thread; plain blocking POSIX sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/message_encoder.hpp"
#include "protocol/messages.hpp"

namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "fw_idle_clients: %s\n", what.c_str());
  return 1;
}

// Reads until at least one byte came back (the HELLO_OK, or an ERROR the
// caller treats the same way: the receiver answered), within `timeout_ms`.
bool await_reply(int fd, int timeout_ms) {
  pollfd readable{.fd = fd, .events = POLLIN, .revents = 0};
  if (::poll(&readable, 1, timeout_ms) <= 0) return false;
  std::uint8_t reply[512];
  return ::recv(fd, reply, sizeof reply, 0) > 0;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  int count = 1000;
  int addresses = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--port") {
      port = value;
    } else if (flag == "--count") {
      count = value;
    } else if (flag == "--addresses") {
      addresses = value;
    } else {
      return fail("unknown argument " + std::string(flag));
    }
  }
  if (port <= 0 || port > 65535 || count <= 0 || addresses <= 0 || addresses > 254) {
    return fail("usage: fw_idle_clients --port P [--count N] [--addresses A (1..254)]");
  }
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_cur < static_cast<rlim_t>(count) + 64) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, static_cast<rlim_t>(count) + 64);
    ::setrlimit(RLIMIT_NOFILE, &files);
  }

  framewire::protocol::ByteBuffer hello;
  framewire::protocol::encode_message(
      framewire::protocol::Hello{.agent = "fw_idle_clients", .sender_id = {}}, hello);

  std::vector<int> fds;
  fds.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(std::string("socket: ") + std::strerror(errno));
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK + static_cast<std::uint32_t>(i % addresses));
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
      return fail(std::string("bind: ") + std::strerror(errno));
    }
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(static_cast<std::uint16_t>(port));
    server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0) {
      return fail("connect " + std::to_string(i) + ": " + std::strerror(errno));
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(hello.size())) {
      return fail("send HELLO " + std::to_string(i) + ": " + std::strerror(errno));
    }
    // One at a time: the receiver admits at most --max-handshaking
    // connections without a HELLO, and drops the oldest beyond that.
    if (!await_reply(fd, 15'000)) return fail("no HELLO_OK on connection " + std::to_string(i));
    fds.push_back(fd);
  }
  std::printf("ready %d\n", count);
  std::fflush(stdout);
  // Hold until told: standard input closes.
  char ignored[64];
  while (::read(STDIN_FILENO, ignored, sizeof ignored) > 0) {
  }
  for (const int fd : fds) ::close(fd);
  return 0;
}
