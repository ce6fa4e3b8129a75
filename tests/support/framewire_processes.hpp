// The built programs as child processes: `framewire serve` (started, its
// port read from the "listening on" line, stopped with SIGTERM),
// `framewire send` (run to the end or in the background) and
// `framewire-gen`. Paths come from FRAMEWIRE_BINARY / FRAMEWIRE_GEN_BINARY,
// which tests/CMakeLists.txt defines for every suite. Logs go to a folder the
// test chooses (never inside a receiver's root). Test-only; one thread.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.hpp"

namespace framewire::test {

inline constexpr std::chrono::seconds kServeStartTimeout{30};
inline constexpr std::chrono::seconds kServeStopTimeout{60};
inline constexpr std::chrono::seconds kSendTimeout{120};

inline std::string framewire_binary() {
  return FRAMEWIRE_BINARY;
}
inline std::string framewire_gen_binary() {
  return FRAMEWIRE_GEN_BINARY;
}

// Counts occurrences of `needle` in `text`.
inline std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// Unique log file names within a test process.
inline std::string next_log_name(const std::string& what) {
  static std::atomic<int> counter{0};
  return what + "-" + std::to_string(counter++);
}

// framewire-gen --kind KIND --count N --out DIR [extra...]; runs to the end.
inline testing::AssertionResult generate_frames(const std::string& kind, std::uint64_t count,
                                                const std::string& out_dir,
                                                const std::string& log_dir,
                                                const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{framewire_gen_binary(), "--kind", kind,   "--count",
                                std::to_string(count),  "--out",  out_dir};
  argv.insert(argv.end(), extra.begin(), extra.end());
  ChildProcess gen;
  const std::string name = log_dir + "/" + next_log_name("gen");
  if (std::string error = gen.start(argv, name + ".out", name + ".err"); !error.empty()) {
    return testing::AssertionFailure() << error;
  }
  const ExitStatus status = gen.wait_for(std::chrono::seconds(120));
  if (!status.exited_with(0)) {
    return testing::AssertionFailure()
           << "framewire-gen " << kind << ": " << status.describe() << "\n"
           << gen.stderr_text();
  }
  return testing::AssertionSuccess();
}

// `framewire serve` on 127.0.0.1 with an ephemeral port.
class ServeProcess {
 public:
  // `log_dir` receives serve.out / serve.err; it must exist.
  explicit ServeProcess(std::string log_dir) : log_dir_(std::move(log_dir)) {}
  ~ServeProcess() = default;  // a server still running is killed by ChildProcess
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // Starts the server on `root` with extra arguments (e.g. "--idle-timeout",
  // "1") and waits until it prints its "listening on" line. An empty `root`
  // gives no --root (the store is then in `extra`: --store nats://...).
  testing::AssertionResult start(const std::string& root,
                                 const std::vector<std::string>& extra = {}) {
    root_ = root;
    // No root: the store is in `extra` (--store nats://...).
    std::vector<std::string> argv{framewire_binary(), "serve", "--listen", "127.0.0.1:0"};
    if (!root.empty()) argv.insert(argv.end(), {"--root", root});
    argv.insert(argv.end(), extra.begin(), extra.end());
    const std::string name = log_dir_ + "/" + next_log_name("serve");
    if (std::string error = child_.start(argv, name + ".out", name + ".err"); !error.empty()) {
      return testing::AssertionFailure() << error;
    }
    const auto deadline = std::chrono::steady_clock::now() + kServeStartTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string out = child_.stdout_text();
      const std::string marker = "listening on 127.0.0.1:";
      if (const auto at = out.find(marker); at != std::string::npos) {
        std::size_t end = at + marker.size();
        unsigned value = 0;
        bool digits = false;
        while (end < out.size() && out[end] >= '0' && out[end] <= '9') {
          value = value * 10 + static_cast<unsigned>(out[end] - '0');
          digits = true;
          ++end;
        }
        // The line is printed with one printf: wait for its end too.
        if (digits && end < out.size() && value > 0 && value < 65536) {
          port_ = static_cast<std::uint16_t>(value);
          return testing::AssertionSuccess();
        }
      }
      if (!child_.running()) {
        return testing::AssertionFailure()
               << "framewire serve ended before listening: " << child_.wait_for({}).describe()
               << "\nstdout: " << child_.stdout_text() << "\nstderr: " << child_.stderr_text();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return testing::AssertionFailure()
           << "no 'listening on' line within " << kServeStartTimeout.count() << " s";
  }

  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& root() const { return root_; }
  bool running() { return child_.running(); }
  void send_signal(int signal_number) { child_.send_signal(signal_number); }

  // SIGTERM, then waits for the exit; success only for exit code 0.
  testing::AssertionResult stop() {
    if (!child_.started()) return testing::AssertionFailure() << "server never started";
    child_.send_signal(SIGTERM);
    return wait_exit_zero(kServeStopTimeout);
  }

  testing::AssertionResult wait_exit_zero(std::chrono::milliseconds timeout) {
    const ExitStatus status = child_.wait_for(timeout);
    if (status.exited_with(0)) return testing::AssertionSuccess();
    return testing::AssertionFailure() << "framewire serve: " << status.describe() << "\nstderr:\n"
                                       << child_.stderr_text();
  }

  std::string log() const { return child_.stderr_text(); }
  std::size_t log_count(const std::string& needle) const { return count_of(log(), needle); }

  // Waits until the log mentions `needle` at least `count` times.
  testing::AssertionResult wait_for_log(
      const std::string& needle, std::size_t count = 1,
      std::chrono::milliseconds timeout = std::chrono::seconds(30)) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (log_count(needle) < count) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return testing::AssertionFailure() << "the server log has " << log_count(needle) << " x \""
                                           << needle << "\", expected " << count << "\n"
                                           << log();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return testing::AssertionSuccess();
  }

 private:
  std::string log_dir_;
  std::string root_;
  std::uint16_t port_ = 0;
  ChildProcess child_;
};

// One --stream of a `framewire send` command line.
struct StreamArg {
  std::string name;
  std::string folder;
  std::string source;  // empty: no --source
};

struct SendResult {
  ExitStatus exit;
  std::string out;
  std::string err;
  std::string describe() const { return exit.describe() + "\nstdout: " + out + "\nstderr: " + err; }
};

// `framewire send` running in the background.
class SendProcess {
 public:
  explicit SendProcess(std::string log_dir) : log_dir_(std::move(log_dir)) {}

  // `extra`: more options, e.g. {"--retry-for", "0"} to fail at the first
  // refusal instead of retrying.
  testing::AssertionResult start(const std::string& to, const std::vector<StreamArg>& streams,
                                 bool json = false, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{framewire_binary(), "send", "--to", to, "--no-progress"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    for (const auto& stream : streams) {
      argv.insert(argv.end(), {"--stream", stream.name});
      if (!stream.source.empty()) argv.insert(argv.end(), {"--source", stream.source});
      argv.push_back(stream.folder);
    }
    if (json) argv.push_back("--json");
    const std::string name = log_dir_ + "/" + next_log_name("send");
    if (std::string error = child_.start(argv, name + ".out", name + ".err"); !error.empty()) {
      return testing::AssertionFailure() << error;
    }
    return testing::AssertionSuccess();
  }

  bool running() { return child_.running(); }

  SendResult wait(std::chrono::milliseconds timeout = kSendTimeout) {
    SendResult result;
    result.exit = child_.wait_for(timeout);
    result.out = child_.stdout_text();
    result.err = child_.stderr_text();
    return result;
  }

 private:
  std::string log_dir_;
  ChildProcess child_;
};

// Runs `framewire send` to the end.
inline SendResult run_send(const std::string& to, const std::vector<StreamArg>& streams,
                           const std::string& log_dir, bool json = false,
                           const std::vector<std::string>& extra = {}) {
  SendProcess sender(log_dir);
  if (auto started = sender.start(to, streams, json, extra); !started) {
    SendResult failed;
    failed.err = started.message();
    return failed;
  }
  return sender.wait();
}

}  // namespace framewire::test
