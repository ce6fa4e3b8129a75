// Parsing of "HOST:PORT" as users type it: "localhost:7000",
// "127.0.0.1:0", "[::1]:7000". Pure; any thread.
#pragma once

#include <string>
#include <string_view>

#include "framewire/status.hpp"

namespace framewire::net {

struct HostPort {
  std::string host;
  std::string port;
};

// kMalformed with a sentence when there is no ':', an empty host or a port
// that is not a number in 0..65535.
Result<HostPort> parse_host_port(std::string_view text);

}  // namespace framewire::net
