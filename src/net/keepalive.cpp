#include "net/keepalive.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace framewire::net {

namespace {

void set_int_option(int fd, int level, int name, int value) {
  // The result is ignored on purpose: keepalive is a safety net under the
  // receiver's own handshake and idle deadlines and the sender's ACK wait,
  // not something a transfer depends on. Failing a connection because the
  // kernel refused a tuning knob would turn a nicety into an outage.
  (void)::setsockopt(fd, level, name, &value, sizeof value);
}

}  // namespace

void enable_keepalive(asio::ip::tcp::socket& socket, const KeepaliveSettings& settings) {
  if (!socket.is_open()) return;
  const int fd = socket.native_handle();
  set_int_option(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
  // Linux's defaults (2 h idle, then 9 probes 75 s apart) would leave a dead
  // peer's connection open for over two hours wherever no deadline of ours
  // covers it.
  set_int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(settings.idle.count()));
  set_int_option(fd, IPPROTO_TCP, TCP_KEEPINTVL, static_cast<int>(settings.interval.count()));
  set_int_option(fd, IPPROTO_TCP, TCP_KEEPCNT, settings.probes);
}

}  // namespace framewire::net
