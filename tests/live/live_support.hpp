// Helpers of the live capture tests: `framewire send` with any arguments in the background
// (the receiver fixture's helpers know only folders), its JSON summary, waiting for a stream's
// manifest to reach a number of lines, and reading back what a receiver stored: the manifest,
// each frame decoded, and the frame number a test pattern drew into it (capture/frame_tag.hpp).
// Test-only; the test's thread.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "capture/frame_tag.hpp"
#include "capture/image_decode.hpp"
#include "support/child_process.hpp"
#include "support/file_tree.hpp"
#include "support/framewire_processes.hpp"
#include "support/manifest_check.hpp"

namespace framewire::test {

// `framewire send --to TO --no-progress --json ARGS...`, running in the background.
class LiveSend {
 public:
  explicit LiveSend(std::string log_dir) : log_dir_(std::move(log_dir)) {}

  testing::AssertionResult start(const std::string& to, const std::vector<std::string>& args) {
    std::vector<std::string> argv{framewire_binary(), "send",  "--to", to,
                                  "--no-progress",    "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string name = log_dir_ + "/" + next_log_name("live-send");
    if (std::string error = child_.start(argv, name + ".out", name + ".err"); !error.empty()) {
      return testing::AssertionFailure() << error;
    }
    return testing::AssertionSuccess();
  }

  bool running() { return child_.running(); }
  // Waits until the sender has written `text` on stderr (it is up and doing something, e.g.
  // "retrying"), so a signal sent next finds its handling in place however slow the start.
  bool wait_for_stderr(const std::string& text,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (child_.stderr_text().find(text) != std::string::npos) return true;
      if (!child_.running()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  void send_signal(int signal_number) { child_.send_signal(signal_number); }

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

// The JSON summary: the last line of stdout; discarded when there is none.
inline nlohmann::json json_summary(const SendResult& result) {
  const auto end = result.out.find_last_not_of('\n');
  if (end == std::string::npos) return nlohmann::json(nlohmann::json::value_t::discarded);
  const auto begin = result.out.rfind('\n', end);
  const std::string line =
      result.out.substr(begin == std::string::npos ? 0 : begin + 1, end + 1 - (begin + 1));
  return nlohmann::json::parse(line, nullptr, false);
}

// The summary's object for stream `name` (null when there is none).
inline nlohmann::json stream_summary(const nlohmann::json& summary, const std::string& name) {
  if (!summary.is_object() || !summary.contains("streams") || !summary["streams"].is_array()) {
    return nullptr;
  }
  for (const auto& stream : summary["streams"]) {
    if (stream.value("name", "") == name) return stream;
  }
  return nullptr;
}

// Lines of a manifest that parse; an unreadable one counts as none.
inline std::vector<ManifestLine> manifest_of(const std::string& stream_dir) {
  std::string error;
  return read_manifest(stream_dir + "/" + kManifestName, &error);
}

// Waits until the stream's manifest has at least `lines` lines.
inline testing::AssertionResult wait_for_manifest(
    const std::string& stream_dir, std::size_t lines,
    std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (manifest_of(stream_dir).size() < lines) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return testing::AssertionFailure()
             << stream_dir << "/manifest.jsonl has " << manifest_of(stream_dir).size()
             << " lines, waited for " << lines;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return testing::AssertionSuccess();
}

// The frame number a test pattern drew into a stored .jpg or .png, or nullopt when the file does
// not decode or carries no readable tag.
inline std::optional<std::uint32_t> stored_frame_tag(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_bytes(path);
  std::optional<capture::Image> image =
      path.ends_with(".png") ? capture::test::decode_png(bytes) : capture::test::decode_jpeg(bytes);
  if (!image) return std::nullopt;
  return capture::read_frame_tag(image->view());
}

// "000017.jpg" for (17, ".jpg"): how the Sender names captured frames.
inline std::string sequence_name(std::uint64_t sequence, const std::string& extension) {
  std::string digits = std::to_string(sequence);
  if (digits.size() < 6) digits.insert(0, 6 - digits.size(), '0');
  return digits + extension;
}

}  // namespace framewire::test
