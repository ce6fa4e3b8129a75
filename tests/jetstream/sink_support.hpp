// For the sink tests: `framewire sink` as a child process (started, its
// start line awaited, stopped with SIGTERM or killed with SIGKILL), a
// nats-server with a small max_payload (so that frames come in parts), a
// look into the JetStream stream (messages per frame subject, the headers
// of every frame message), and checks on what sinks stored: manifests read
// by sequence, waited for with a deadline. Test-only; one thread.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "jetstream/frame_message.hpp"
#include "jetstream/nats_client.hpp"
#include "jetstream/sink_consumer.hpp"
#include "jetstream/subject_listing.hpp"
#include "jetstream/subjects.hpp"
#include "support/child_process.hpp"
#include "support/file_tree.hpp"
#include "support/framewire_processes.hpp"
#include "support/manifest_check.hpp"
#include "support/nats_server.hpp"

namespace framewire::test {

inline constexpr std::chrono::seconds kSinkStartTimeout{20};
inline constexpr std::chrono::seconds kSinkStopTimeout{30};
// The longest a test waits for sinks to store what was sent.
inline constexpr std::chrono::seconds kSinkDoneTimeout{40};

// A nats-server whose max_payload is 64 KiB (the smallest JetStreamStorage
// takes), so that a frame above 48 KiB is stored in parts. nats-server reads
// max_payload from a configuration file only.
inline std::vector<std::string> small_payload_config(const std::string& dir) {
  const std::string path = dir + "/nats.conf";
  std::ofstream(path) << "max_payload: 65536\n";
  return {"-c", path};
}

// `framewire sink` in the background.
class SinkProcess {
 public:
  explicit SinkProcess(std::string log_dir) : log_dir_(std::move(log_dir)) {}

  testing::AssertionResult start(const std::string& url, const std::string& root,
                                 const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{framewire_binary(), "sink", "--from",         url,
                                  "--root",           root,   "--log-interval", "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const std::string name = log_dir_ + "/" + next_log_name("sink");
    child_ = std::make_unique<ChildProcess>();
    if (std::string error = child_->start(argv, name + ".out", name + ".err"); !error.empty()) {
      return testing::AssertionFailure() << error;
    }
    const auto deadline = std::chrono::steady_clock::now() + kSinkStartTimeout;
    while (child_->stdout_text().find(" into ") == std::string::npos) {
      if (!child_->running()) {
        return testing::AssertionFailure()
               << "framewire sink ended before starting: " << child_->wait_for({}).describe()
               << "\nstderr: " << child_->stderr_text();
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return testing::AssertionFailure() << "framewire sink printed no start line";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return testing::AssertionSuccess();
  }

  // SIGTERM, then its exit code must be 0.
  testing::AssertionResult stop() {
    child_->send_signal(SIGTERM);
    const ExitStatus status = child_->wait_for(kSinkStopTimeout);
    if (status.exited_with(0)) return testing::AssertionSuccess();
    return testing::AssertionFailure() << "framewire sink: " << status.describe() << "\n" << log();
  }
  void kill9() {
    child_->send_signal(SIGKILL);
    static_cast<void>(child_->wait_for(kSinkStopTimeout));
  }
  bool running() { return child_ && child_->running(); }
  std::string log() const { return child_ ? child_->stderr_text() : std::string(); }
  std::string out() const { return child_ ? child_->stdout_text() : std::string(); }
  ChildProcess& child() { return *child_; }

 private:
  std::string log_dir_;
  std::unique_ptr<ChildProcess> child_;
};

// `framewire sink ARGS` run to its end (for usage errors).
inline SendResult run_sink_command(const std::vector<std::string>& args,
                                   const std::string& log_dir) {
  std::vector<std::string> argv{framewire_binary(), "sink"};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess child;
  const std::string name = log_dir + "/" + next_log_name("sink-run");
  SendResult result;
  if (std::string error = child.start(argv, name + ".out", name + ".err"); !error.empty()) {
    result.err = error;
    return result;
  }
  result.exit = child.wait_for(std::chrono::seconds(30));
  result.out = child.stdout_text();
  result.err = child.stderr_text();
  return result;
}

// The frame messages of one framewire stream in JetStream, in order.
inline std::vector<jetstream::FrameMessage> frame_messages(jetstream::NatsClient& client,
                                                           const std::string& stream) {
  std::vector<jetstream::FrameMessage> frames;
  const std::string subject = jetstream::frame_subject("FRAMEWIRE", stream);
  std::uint64_t next = 1;
  while (true) {
    auto msg = jetstream::direct_get(client.js(), "FRAMEWIRE", next, subject);
    if (!msg || *msg == nullptr) break;
    auto frame = jetstream::parse_frame_message(msg->get(), "FRAMEWIRE");
    if (!frame) break;
    frames.push_back(std::move(frame).value());
    next = natsMsg_GetSequence(msg->get()) + 1;
  }
  return frames;
}

// Messages on each frame subject (every framewire stream's frames).
inline std::map<std::string, std::uint64_t> frame_message_counts(jetstream::NatsClient& client) {
  std::map<std::string, std::uint64_t> counts;
  auto subjects = jetstream::list_subjects(client.js(), "FRAMEWIRE", "FRAMEWIRE.frame.>");
  if (!subjects) return counts;
  for (const auto& entry : *subjects) counts[entry.subject] = entry.messages;
  return counts;
}

// Waits until the consumer of every stream in `streams` for sinks named
// `durable` has nothing unacknowledged and nothing left to hand out: the
// sinks acknowledged everything they stored.
inline testing::AssertionResult wait_for_acks(jetstream::NatsClient& client,
                                              const std::string& durable,
                                              const std::vector<std::string>& streams) {
  const auto deadline = std::chrono::steady_clock::now() + kSinkDoneTimeout;
  std::string waiting;
  while (std::chrono::steady_clock::now() < deadline) {
    waiting.clear();
    for (const std::string& stream : streams) {
      bool settled = false;
      for (const char* suffix : {"-a", "-b"}) {
        const std::string name = jetstream::sink_consumer_base(durable, stream) + suffix;
        jsConsumerInfo* info = nullptr;
        if (js_GetConsumerInfo(&info, client.js(), "FRAMEWIRE", name.c_str(), nullptr, nullptr) ==
            NATS_OK) {
          settled = settled || (info->NumAckPending == 0 && info->NumPending == 0);
        }
        jsConsumerInfo_Destroy(info);
      }
      if (!settled) waiting += " " + stream;
    }
    if (waiting.empty()) return testing::AssertionSuccess();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return testing::AssertionFailure() << "not all acknowledged:" << waiting;
}

// Sequences stored for `stream` over all `roots`, each as often as it is
// in a manifest.
inline std::map<std::uint64_t, int> sequences_over(const std::vector<std::string>& roots,
                                                   const std::string& stream) {
  std::map<std::uint64_t, int> seen;
  for (const std::string& root : roots) {
    std::string error;
    for (const auto& line : read_manifest(root + "/" + stream + "/" + kManifestName, &error)) {
      ++seen[line.seq];
    }
  }
  return seen;
}

// Every sequence 0..count-1 exactly once over `roots`, and nothing else.
inline testing::AssertionResult exactly_once(const std::vector<std::string>& roots,
                                             const std::string& stream, std::uint64_t count) {
  const auto seen = sequences_over(roots, stream);
  std::vector<std::string> problems;
  for (std::uint64_t seq = 0; seq < count; ++seq) {
    const auto it = seen.find(seq);
    if (it == seen.end()) {
      problems.push_back("missing " + std::to_string(seq));
    } else if (it->second != 1) {
      problems.push_back(std::to_string(seq) + " stored " + std::to_string(it->second) + " times");
    }
  }
  for (const auto& [seq, times] : seen) {
    if (seq >= count) problems.push_back("unexpected " + std::to_string(seq));
  }
  if (problems.empty()) return testing::AssertionSuccess();
  auto failure = testing::AssertionFailure();
  failure << stream << ":";
  for (std::size_t i = 0; i < problems.size() && i < 20; ++i) failure << " " << problems[i] << ";";
  return failure;
}

// Waits until `stream` has `count` manifest lines over `roots`.
inline testing::AssertionResult wait_for_lines(
    const std::vector<std::string>& roots, const std::string& stream, std::size_t count,
    std::chrono::milliseconds timeout = kSinkDoneTimeout) {
  std::vector<std::string> dirs;
  for (const std::string& root : roots) dirs.push_back(root + "/" + stream);
  return wait_for_manifest_lines(dirs, count, timeout) << " (" << stream << ")";
}

// The first `count` frames of `from` (in frame order), copied into `to`
// with their mtimes (capture times).
inline void copy_first_frames(const std::string& from, const std::string& to, std::size_t count) {
  std::filesystem::create_directories(to);
  const auto names = names_in_frame_order(from);
  for (std::size_t i = 0; i < count && i < names.size(); ++i) {
    std::filesystem::copy_file(from + "/" + names[i], to + "/" + names[i]);
    std::filesystem::last_write_time(to + "/" + names[i],
                                     std::filesystem::last_write_time(from + "/" + names[i]));
  }
}

}  // namespace framewire::test
