// Parsing of "HOST:PORT" as users type it: "localhost:7000",
// "127.0.0.1:0", "[::1]:7000". Pure; any thread.
#pragma once

#include <string>
#include <string_view>

#include <asio/ip/tcp.hpp>

#include "framewire/status.hpp"

namespace framewire::net {

struct HostPort {
  std::string host;
  std::string port;
};

// kMalformed with a sentence when there is no ':', an empty host or a port
// that is not a number in 0..65535.
Result<HostPort> parse_host_port(std::string_view text);

// "127.0.0.1:7000" or "[::1]:7000": the form parse_host_port reads back.
std::string format_endpoint(const asio::ip::tcp::endpoint& endpoint);

}  // namespace framewire::net
