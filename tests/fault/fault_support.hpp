// Helpers shared by the fault tests: frames of chosen sizes written straight
// from a seeded generator (no PNG encoding, so hundreds of runs stay cheap),
// a `framewire serve` that can be restarted on the SAME port after a kill -9
// (ServeProcess in tests/support always picks a new one), the reading of
// `framewire send --json`, and the checks a receiver's stream folder must pass
// after a crash (before the receiver restarts) and after the transfer
// finished. Test-only; the test's thread.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.hpp"
#include "support/file_tree.hpp"
#include "support/framewire_processes.hpp"
#include "support/manifest_check.hpp"

namespace framewire::test {

// Writes frames FIRST.bin .. (FIRST+COUNT-1).bin into `dir` (created), frame
// i of `bytes_of(i)` bytes drawn from `seed`; the same arguments always give
// the same bytes.
template <class BytesOf>
void write_frames(const std::string& dir, std::uint64_t first, std::uint64_t count,
                  std::uint64_t seed, BytesOf bytes_of) {
  std::filesystem::create_directories(dir);
  for (std::uint64_t i = first; i < first + count; ++i) {
    std::mt19937_64 random(seed * 1'000'003 + i);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(bytes_of(i)));
    for (auto& byte : bytes) byte = static_cast<std::uint8_t>(random() >> 56);
    write_bytes(dir + "/" + std::to_string(i) + ".bin", bytes);
  }
}

// The usual mix of the fault tests: 3 KB frames with a 100 KB one every 60th.
inline std::uint64_t mixed_frame_bytes(std::uint64_t i) {
  return i % 60 == 59 ? 100 * 1024 : 3 * 1024;
}

// Total bytes of the regular files of `dir`.
inline std::uint64_t folder_bytes(const std::string& dir) {
  std::uint64_t total = 0;
  for (const auto& [name, path] : frame_files(dir)) total += std::filesystem::file_size(path);
  return total;
}

// `framewire serve` on 127.0.0.1:PORT, restartable on the same port.
class RestartableServe {
 public:
  RestartableServe(std::string root, std::string log_dir, std::vector<std::string> extra = {})
      : root_(std::move(root)), log_dir_(std::move(log_dir)), extra_(std::move(extra)) {}

  // Runs `prefix` before the program (e.g. a shell that sets a ulimit).
  void set_prefix(std::vector<std::string> prefix) { prefix_ = std::move(prefix); }

  // Starts on `port_` (0 the first time: an ephemeral port, kept afterwards).
  testing::AssertionResult start() {
    // A port freed by a kill -9 can be taken for a moment by an outgoing
    // connection; a few attempts ride that out.
    testing::AssertionResult last = testing::AssertionFailure();
    for (int attempt = 0; attempt < 20; ++attempt) {
      last = start_once();
      if (last) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return last;
  }

  void kill9() {
    child_->send_signal(SIGKILL);
    last_exit_ = child_->wait_for(kServeStopTimeout);
  }

  testing::AssertionResult stop() {
    child_->send_signal(SIGTERM);
    last_exit_ = child_->wait_for(kServeStopTimeout);
    if (last_exit_.exited_with(0)) return testing::AssertionSuccess();
    return testing::AssertionFailure()
           << "framewire serve: " << last_exit_.describe() << "\nstderr tail:\n"
           << tail(child_->stderr_text());
  }

  bool running() { return child_->running(); }
  ExitStatus wait_exit(std::chrono::milliseconds timeout) {
    last_exit_ = child_->wait_for(timeout);
    return last_exit_;
  }
  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return child_->stderr_text(); }

  // Waits until this run's log mentions `needle`.
  testing::AssertionResult wait_for_log(const std::string& needle,
                                        std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (log().find(needle) == std::string::npos) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return testing::AssertionFailure() << "the server log never said \"" << needle << "\"\n"
                                           << tail(log());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return testing::AssertionSuccess();
  }

  static std::string tail(const std::string& text) {
    return text.size() > 4000 ? "..." + text.substr(text.size() - 4000) : text;
  }

 private:
  testing::AssertionResult start_once() {
    std::vector<std::string> argv = prefix_;
    argv.insert(argv.end(), {framewire_binary(), "serve", "--root", root_, "--listen",
                             "127.0.0.1:" + std::to_string(port_)});
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    const std::string name = log_dir_ + "/" + next_log_name("serve");
    child_ = std::make_unique<ChildProcess>();
    if (std::string error = child_->start(argv, name + ".out", name + ".err"); !error.empty()) {
      return testing::AssertionFailure() << error;
    }
    const std::string marker = "listening on 127.0.0.1:";
    const auto deadline = std::chrono::steady_clock::now() + kServeStartTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string out = child_->stdout_text();
      if (const auto at = out.find(marker); at != std::string::npos) {
        std::size_t end = at + marker.size();
        unsigned value = 0;
        while (end < out.size() && out[end] >= '0' && out[end] <= '9') {
          value = value * 10 + static_cast<unsigned>(out[end] - '0');
          ++end;
        }
        if (end < out.size() && value > 0 && value < 65536) {
          if (port_ != 0 && value != port_) {
            return testing::AssertionFailure()
                   << "restarted on port " << value << ", not " << port_;
          }
          port_ = static_cast<std::uint16_t>(value);
          return testing::AssertionSuccess();
        }
      }
      if (!child_->running()) {
        return testing::AssertionFailure()
               << "framewire serve ended before listening: " << child_->wait_for({}).describe()
               << "\n"
               << child_->stderr_text();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return testing::AssertionFailure() << "no 'listening on' line";
  }

  std::string root_;
  std::string log_dir_;
  std::vector<std::string> extra_;
  std::vector<std::string> prefix_;
  std::uint16_t port_ = 0;
  // A ChildProcess runs one child: each start gets a fresh one.
  std::unique_ptr<ChildProcess> child_ = std::make_unique<ChildProcess>();
  ExitStatus last_exit_;
};

// The JSON summary of `framewire send --json` (the last line of stdout);
// discarded when there is none.
inline nlohmann::json send_summary(const SendResult& result) {
  const auto end = result.out.find_last_not_of('\n');
  if (end == std::string::npos) return nlohmann::json(nlohmann::json::value_t::discarded);
  const auto begin = result.out.rfind('\n', end);
  const std::string line =
      result.out.substr(begin == std::string::npos ? 0 : begin + 1, end + 1 - (begin + 1));
  return nlohmann::json::parse(line, nullptr, false);
}

// What a crash left in a stream folder (see check_crash_state).
struct CrashState {
  std::size_t manifest_lines = 0;  // complete lines
  bool torn_last_line = false;
  std::size_t temp_files = 0;              // ".fwtmp-*"
  std::size_t stored_not_in_manifest = 0;  // renamed, manifest line not yet written
};

// A stream folder right after the receiver was killed, before it restarts:
// every complete manifest line parses and is seq i for the i-th source frame
// (so no sequence twice), and names a file that is byte-identical to the
// source; every file under a final name is byte-identical to the source (no
// partial file is ever visible); ".fwtmp-*" files may remain (the restart
// sweeps them). A torn last line is allowed: a write can be cut short by
// SIGKILL, and the restart repairs it.
inline testing::AssertionResult check_crash_state(const std::string& stream_dir,
                                                  const std::string& source_dir,
                                                  CrashState* state) {
  *state = CrashState{};
  if (!std::filesystem::exists(stream_dir)) return testing::AssertionSuccess();
  const auto names = names_in_frame_order(source_dir);
  std::vector<std::string> problems;
  const std::string manifest = read_text_file(stream_dir + "/" + kManifestName);
  std::set<std::string> in_manifest;
  std::size_t start = 0;
  while (start < manifest.size()) {
    const auto newline = manifest.find('\n', start);
    if (newline == std::string::npos) {
      state->torn_last_line = true;
      break;
    }
    const std::string line = manifest.substr(start, newline - start);
    start = newline + 1;
    const std::size_t index = state->manifest_lines++;
    const auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_discarded() || !json.is_object() || !json.contains("seq") ||
        !json.contains("file") || !json.contains("xxh3")) {
      problems.push_back("manifest line " + std::to_string(index + 1) + " does not parse: " + line);
      continue;
    }
    const auto seq = json["seq"].get<std::uint64_t>();
    const auto file = json["file"].get<std::string>();
    if (seq != index || index >= names.size() || file != names[index]) {
      problems.push_back("manifest line " + std::to_string(index + 1) + " is seq " +
                         std::to_string(seq) + " file " + file);
      continue;
    }
    in_manifest.insert(file);
    const auto bytes = read_bytes(stream_dir + "/" + file);
    if (xxh3_hex(bytes) != json["xxh3"].get<std::string>() ||
        bytes != read_bytes(source_dir + "/" + file)) {
      problems.push_back("manifest line " + std::to_string(index + 1) + ": " + file +
                         " on disk is not the frame (" + std::to_string(bytes.size()) + " bytes)");
    }
  }
  for (const auto& entry : std::filesystem::directory_iterator(stream_dir)) {
    const std::string name = entry.path().filename().string();
    if (name == kManifestName) continue;
    if (name.starts_with(kTempPrefix)) {
      ++state->temp_files;
      continue;
    }
    if (!in_manifest.contains(name)) ++state->stored_not_in_manifest;
    const std::string source = source_dir + "/" + name;
    if (!std::filesystem::exists(source)) {
      problems.push_back("unexpected file " + name);
    } else if (read_bytes(entry.path().string()) != read_bytes(source)) {
      problems.push_back("partial or wrong file under a final name: " + name + " (" +
                         std::to_string(std::filesystem::file_size(entry.path())) + " of " +
                         std::to_string(std::filesystem::file_size(source)) + " bytes)");
    }
  }
  if (problems.empty()) return testing::AssertionSuccess();
  auto failure = testing::AssertionFailure() << stream_dir << " after the crash:";
  for (std::size_t i = 0; i < problems.size() && i < 20; ++i) failure << "\n  " << problems[i];
  return failure;
}

// A stream folder after a transfer finished: exactly the source's files,
// byte-identical, one manifest line per frame in frame order (so none twice).
inline testing::AssertionResult check_complete(const std::string& stream_dir,
                                               const std::string& source_dir) {
  if (auto same = same_files(source_dir, stream_dir); !same) return same;
  return manifest_matches(stream_dir, source_dir, "visible");
}

}  // namespace framewire::test
