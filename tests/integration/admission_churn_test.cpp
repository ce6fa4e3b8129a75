// Connections that end while others are being admitted (issue 6, part 2):
// the receiver's loop asked every connection "handshaken?" on each accept
// while a storage thread could be destroying that connection's session.
// Here three clients at once say HELLO, open a stream, send half a frame (so
// the session holds a temporary file its destruction must remove) and drop
// the connection, round after round, while each also keeps a few silent
// connections open so that the handshaking cap is full and admission evicts
// on most accepts. Under ThreadSanitizer (scripts/test --tsan) the old race
// stops the server with a report; in every build the test checks that each
// connection was closed and logged, nothing is left behind, and the good
// sender finishes. Test-only; the test's thread plus its client threads.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/hostile_fixture.hpp"

namespace framewire::test {
namespace {

class AdmissionChurn : public HostileFixture {
 protected:
  static constexpr int kClients = 3;
  static constexpr int kRounds = 40;
  static constexpr std::size_t kSilentPerClient = 4;  // 12 in all, above the cap of 8

  std::vector<std::string> serve_arguments() const override {
    return {"--sync", "none", "--max-handshaking", "8"};
  }

  static std::string stream_name(int client, int round) {
    return "churn-" + std::to_string(client) + "-" + std::to_string(round);
  }
};

TEST_F(AdmissionChurn, ConnectionsEndingWhileOthersAreAdmittedAreAllClosedCleanly) {
  const std::uint16_t port = serve_->port();
  std::atomic<int> completed = 0;  // rounds that got as far as the half frame
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::deque<std::unique_ptr<RawClient>> silent;
      for (int round = 0; round < kRounds; ++round) {
        silent.push_back(std::make_unique<RawClient>());
        EXPECT_TRUE(silent.back()->connect(port));
        if (silent.size() > kSilentPerClient) silent.pop_front();

        // Admission may evict this one too while it is still in its
        // handshake (it is then the oldest): that is allowed, not counted.
        RawClient client;
        if (!client.connect(port) || !client.handshake() ||
            !client.open_stream(1, stream_name(c, round))) {
          continue;
        }
        const Bytes frame = encode_frame(
            {.stream_id = 1, .sequence = 0, .capture_time_ns = 1, .file_name = "0.png"},
            Bytes(4000, 0x5a));
        if (client.send(std::span<const std::uint8_t>(frame.data(), frame.size() / 2))) {
          ++completed;
        }
        client.close();
      }
    });
  }
  for (auto& thread : clients) thread.join();
  finish_good_sender();

  EXPECT_GT(completed.load(), 0) << "no client got through admission";
  // Admission did evict: the test ran the path it is about.
  EXPECT_GT(serve_->log_count("dropped to make room"), 0U);
  // Every admitted connection ends and is logged, the silent ones included
  // (their clients are gone; the server notices the close or its deadline).
  const std::size_t opened = serve_->log_count(" opened");
  EXPECT_TRUE(serve_->wait_for_log(" closed: ", opened));
  for (int c = 0; c < kClients; ++c) {
    for (int round = 0; round < kRounds; ++round) {
      EXPECT_TRUE(holds_no_frame(stored(stream_name(c, round))));
    }
  }
  // TearDown: no temporary file left, exit code 0 on SIGTERM.
}

}  // namespace
}  // namespace framewire::test
