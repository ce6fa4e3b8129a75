// HttpServer on its own, over real loopback sockets: the loopback rule, the
// client cap, the keep-alive idle timeout, /streams/NAME/latest through
// read_frame (bytes as read, the Content-Type; 404 when nothing was stored or
// the frame is gone, 500 on an I/O error), and stop() with clients connected.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "observe/receiver_metrics.hpp"
#include "view/http_server.hpp"
#include "view/live_feed.hpp"

namespace framewire::view {
namespace {

constexpr int kTimeoutMs = 15'000;

int connect_to(const std::string& address) {
  const auto colon = address.rfind(':');
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &sa.sin_addr);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Everything the peer sends until it closes (or the timeout; then "TIMEOUT").
std::string read_to_end(int fd) {
  std::string out;
  char buffer[4096];
  for (;;) {
    pollfd p{.fd = fd, .events = POLLIN};
    if (::poll(&p, 1, kTimeoutMs) <= 0) return out + "TIMEOUT";
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

std::string get(const std::string& address, const std::string& path) {
  const int fd = connect_to(address);
  if (fd < 0) return "CONNECT FAILED";
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer = read_to_end(fd);
  ::close(fd);
  return answer;
}

std::string body_of(const std::string& response) {
  const auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : response.substr(end + 4);
}

TEST(HttpServer, NonLoopbackAddressIsRefusedWithoutAllowPublic) {
  auto server = HttpServer::start({.listen = "0.0.0.0:0"}, {});
  ASSERT_FALSE(server);
  EXPECT_EQ(server.status().code(), ErrorCode::kForbidden);
  EXPECT_NE(server.status().message().find("--http-public"), std::string::npos);
  auto allowed = HttpServer::start({.listen = "0.0.0.0:0", .allow_public = true}, {});
  EXPECT_TRUE(allowed) << allowed.status().to_string();
}

TEST(HttpServer, NotHostPortIsMalformed) {
  auto server = HttpServer::start({.listen = "localhost"}, {});
  ASSERT_FALSE(server);
  EXPECT_EQ(server.status().code(), ErrorCode::kMalformed);
}

TEST(HttpServer, ClientsBeyondTheCapAreClosed) {
  auto server = HttpServer::start({.listen = "127.0.0.1:0", .max_clients = 2}, {});
  ASSERT_TRUE(server) << server.status().to_string();
  const std::string address = (*server)->local_address();
  const int a = connect_to(address);
  const int b = connect_to(address);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  // The third is accepted after the first two and closed at once: EOF, no answer.
  const int c = connect_to(address);
  ASSERT_GE(c, 0);
  EXPECT_EQ(read_to_end(c), "");
  ::close(c);
  ::close(a);
  ::close(b);
  // Room again once they left (the server notices the close on its next read).
  std::string answer;
  for (int attempt = 0; attempt < 100; ++attempt) {
    answer = get(address, "/nothing");
    if (answer.starts_with("HTTP/1.1 404")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 404")) << answer;
}

TEST(HttpServer, IdleKeepAliveClientsAreClosed) {
  auto server = HttpServer::start(
      {.listen = "127.0.0.1:0", .idle_timeout = std::chrono::milliseconds(300)}, {});
  ASSERT_TRUE(server) << server.status().to_string();
  const int fd = connect_to((*server)->local_address());
  ASSERT_GE(fd, 0);
  const std::string request = "GET /nothing HTTP/1.1\r\nHost: t\r\n\r\n";  // keep-alive
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  // The answer, then silence from us: the server closes after its idle timeout
  // (read_to_end gives up after 15 s, which would show as "TIMEOUT").
  const std::string answer = read_to_end(fd);
  ::close(fd);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 404")) << answer;
  EXPECT_EQ(answer.find("TIMEOUT"), std::string::npos) << answer;
}

TEST(HttpServer, LatestIsTheNewestFrameAsReadFromStorage) {
  LiveFeed feed;
  std::vector<std::string> reads;
  Sources sources{
      .feed = &feed,
      .read_frame = [&reads](std::string_view stream,
                             std::string_view file) -> Result<std::vector<std::uint8_t>> {
        reads.push_back(std::string(stream) + "/" + std::string(file));
        if (file == "000002.jpg") return Status(ErrorCode::kBadStream, "no such frame");
        if (file == "000003.jpg") {
          return Status(ErrorCode::kStorageError, "cannot read it");
        }
        return std::vector<std::uint8_t>{0xFF, 0xD8, 0x00, 0x01, 0xFF, 0xD9};
      }};
  auto server = HttpServer::start({.listen = "127.0.0.1:0"}, std::move(sources));
  ASSERT_TRUE(server) << server.status().to_string();
  const std::string address = (*server)->local_address();

  EXPECT_TRUE(get(address, "/streams/rig1/visible/latest").starts_with("HTTP/1.1 404"));
  feed.on_event(observe::FrameStored{
      .stream = "rig1/visible", .file_name = "000001.jpg", .sequence = 1, .bytes = 6});
  const std::string answer = get(address, "/streams/rig1/visible/latest");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  EXPECT_NE(answer.find("Content-Type: image/jpeg"), std::string::npos) << answer;
  EXPECT_EQ(body_of(answer), std::string("\xFF\xD8\x00\x01\xFF\xD9", 6));

  feed.on_event(observe::FrameStored{
      .stream = "rig1/visible", .file_name = "000002.jpg", .sequence = 2, .bytes = 6});
  // Gone since it was stored: 404; an I/O error: 500.
  EXPECT_TRUE(get(address, "/streams/rig1/visible/latest").starts_with("HTTP/1.1 404"));
  feed.on_event(observe::FrameStored{
      .stream = "rig1/visible", .file_name = "000003.jpg", .sequence = 3, .bytes = 6});
  EXPECT_TRUE(get(address, "/streams/rig1/visible/latest").starts_with("HTTP/1.1 500"));
  (*server)->stop();
  EXPECT_EQ(reads, (std::vector<std::string>{"rig1/visible/000001.jpg", "rig1/visible/000002.jpg",
                                             "rig1/visible/000003.jpg"}));
}

TEST(HttpServer, StopsWithClientsConnected) {
  observe::ReceiverMetrics metrics;
  auto server = HttpServer::start({.listen = "127.0.0.1:0"}, {.metrics = &metrics});
  ASSERT_TRUE(server) << server.status().to_string();
  const std::string address = (*server)->local_address();
  std::vector<int> idle;
  for (int i = 0; i < 20; ++i) idle.push_back(connect_to(address));
  EXPECT_TRUE(get(address, "/metrics").starts_with("HTTP/1.1 200"));
  (*server)->stop();
  for (const int fd : idle) {
    EXPECT_EQ(read_to_end(fd), "");  // closed by stop(), not left hanging
    ::close(fd);
  }
}

}  // namespace
}  // namespace framewire::view
