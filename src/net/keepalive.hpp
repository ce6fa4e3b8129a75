// TCP keepalive for a connected socket, so that a peer which vanished without
// a FIN or RST (host powered off, cable pulled, NAT entry dropped) is noticed
// by the kernel even while our side has nothing to send. Used by the receiver
// on every accepted socket and by the sender on its connection; call it on
// the thread that owns the socket, once it is connected.
#pragma once

#include <chrono>

#include <asio/ip/tcp.hpp>

namespace framewire::net {

struct KeepaliveSettings {
  // Silence before the first probe (TCP_KEEPIDLE).
  std::chrono::seconds idle{30};
  // Time between unanswered probes (TCP_KEEPINTVL).
  std::chrono::seconds interval{10};
  // Unanswered probes before the kernel reports the connection dead
  // (TCP_KEEPCNT); the socket's pending and next reads then fail with
  // ETIMEDOUT. With the defaults: about 60 s after the peer went silent.
  int probes = 3;
};

// Turns on SO_KEEPALIVE with `settings` on `socket`. Best effort: an option
// the socket or platform refuses is left as it was and nothing is reported
// (see keepalive.cpp).
void enable_keepalive(asio::ip::tcp::socket& socket, const KeepaliveSettings& settings = {});

}  // namespace framewire::net
