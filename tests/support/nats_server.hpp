// Real nats-server processes for the JetStream tests: one server, or a
// cluster of three with JetStream, each on free loopback ports with its
// store in a folder the test owns; stopped (SIGTERM) or killed (SIGKILL) on
// demand, and killed when the fixture goes away. The binary is Debian's
// nats-server (scripts/deps); NATS_SERVER_BINARY overrides the path.
// Test-only; one thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.hpp"

namespace framewire::test {

inline std::string nats_server_binary() {
  const char* path = std::getenv("NATS_SERVER_BINARY");
  return path != nullptr ? path : "/usr/sbin/nats-server";
}

// A loopback TCP port nobody listens on right now.
inline std::uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t size = sizeof(address);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    if (fd >= 0) ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

inline bool port_accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

class NatsServerProcess {
 public:
  // `store_dir`: JetStream's folder (created by the server); logs go beside
  // it. `extra`: more nats-server arguments (a cluster's).
  NatsServerProcess(std::string store_dir, std::uint16_t port, std::vector<std::string> extra = {})
      : store_dir_(std::move(store_dir)), port_(port), extra_(std::move(extra)) {}

  testing::AssertionResult start() {
    std::vector<std::string> argv{nats_server_binary(),  "-a",  "127.0.0.1", "-p",
                                  std::to_string(port_), "-js", "-sd",       store_dir_};
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    child_ = std::make_unique<ChildProcess>();
    if (std::string error = child_->start(argv, store_dir_ + ".out", store_dir_ + ".log");
        !error.empty()) {
      return testing::AssertionFailure() << "cannot start nats-server: " << error;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!port_accepts(port_)) {
      if (!child_->running()) {
        return testing::AssertionFailure() << "nats-server ended: " << child_->stderr_text();
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return testing::AssertionFailure() << "nats-server not listening within 20 s";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return testing::AssertionSuccess();
  }

  void kill9() {
    if (!child_) return;
    child_->send_signal(SIGKILL);
    child_->wait_for(std::chrono::seconds(10));
  }
  void stop() {
    if (!child_) return;
    child_->send_signal(SIGTERM);
    child_->wait_for(std::chrono::seconds(10));
  }
  bool running() { return child_ && child_->running(); }
  std::uint16_t port() const { return port_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return child_ ? child_->stderr_text() : std::string(); }

 private:
  std::string store_dir_;
  std::uint16_t port_;
  std::vector<std::string> extra_;
  std::unique_ptr<ChildProcess> child_;
};

// One server with JetStream. `extra`: e.g. {"--max_payload", "..."} or a
// config file.
class NatsServer {
 public:
  explicit NatsServer(const std::string& dir, std::vector<std::string> extra = {})
      : server_(dir + "/nats-1", free_loopback_port(), std::move(extra)) {}
  testing::AssertionResult start() { return server_.start(); }
  std::string url() const { return server_.url(); }
  NatsServerProcess& process() { return server_; }

 private:
  NatsServerProcess server_;
};

// Three servers in one cluster ("framewire-test"), each with JetStream.
class NatsCluster {
 public:
  explicit NatsCluster(const std::string& dir) {
    std::vector<std::uint16_t> client_ports;
    std::vector<std::uint16_t> route_ports;
    for (int i = 0; i < 3; ++i) {
      client_ports.push_back(free_loopback_port());
      route_ports.push_back(free_loopback_port());
    }
    for (int i = 0; i < 3; ++i) {
      std::string routes;
      for (int j = 0; j < 3; ++j) {
        if (j == i) continue;
        if (!routes.empty()) routes += ",";
        routes += "nats://127.0.0.1:" + std::to_string(route_ports[static_cast<std::size_t>(j)]);
      }
      const std::string name = "n" + std::to_string(i + 1);
      servers_.push_back(std::make_unique<NatsServerProcess>(
          dir + "/nats-" + name, client_ports[static_cast<std::size_t>(i)],
          std::vector<std::string>{
              "-n", name, "--cluster_name", "framewire-test", "--cluster",
              "nats://127.0.0.1:" + std::to_string(route_ports[static_cast<std::size_t>(i)]),
              "--routes", routes}));
    }
  }

  testing::AssertionResult start() {
    for (auto& server : servers_) {
      if (auto started = server->start(); !started) return started;
    }
    return testing::AssertionSuccess();
  }
  // Every server, comma-separated, for --store / --from.
  std::string url() const {
    std::string all;
    for (const auto& server : servers_) all += (all.empty() ? "" : ",") + server->url();
    return all;
  }
  NatsServerProcess& node(std::size_t index) { return *servers_.at(index); }

 private:
  std::vector<std::unique_ptr<NatsServerProcess>> servers_;
};

}  // namespace framewire::test
