// Reads a receiver's ROOT/<stream>/manifest.jsonl and checks it against the
// source folder: one line per frame, in frame order (numbers as numbers:
// 2.png before 10.png), each with the right seq, file, bytes, xxh3 (16
// lowercase hex of XXH3-64), source kind and capture time (the source file's
// mtime). The expected order is computed here, independently of
// src/source/folder_listing. Test-only; no shared state.
#pragma once

#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "support/file_tree.hpp"

namespace framewire::test {

struct ManifestLine {
  std::uint64_t seq = 0;
  std::string file;
  std::uint64_t bytes = 0;
  std::string xxh3;
  std::string source;
  std::int64_t capture_time_ns = 0;
  std::int64_t receive_time_ns = 0;
};

inline std::string xxh3_hex(const std::vector<std::uint8_t>& bytes) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(bytes.data(), bytes.size())));
  return text;
}

// The complete ('\n'-terminated) lines of STREAM_DIR/manifest.jsonl now: a
// torn last line does not count; 0 when there is no manifest yet.
inline std::size_t manifest_lines(const std::string& stream_dir) {
  std::ifstream in(stream_dir + "/manifest.jsonl", std::ios::binary);
  return static_cast<std::size_t>(
      std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n'));
}

// Polls every `poll` until the manifests of `stream_dirs` hold `count`
// lines together; a failure saying how many there are after `timeout`.
inline testing::AssertionResult wait_for_manifest_lines(
    const std::vector<std::string>& stream_dirs, std::size_t count,
    std::chrono::milliseconds timeout,
    std::chrono::microseconds poll = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::size_t lines = 0;
    for (const std::string& dir : stream_dirs) lines += manifest_lines(dir);
    if (lines >= count) return testing::AssertionSuccess();
    if (std::chrono::steady_clock::now() > deadline) {
      return testing::AssertionFailure() << lines << " manifest lines, expected " << count;
    }
    std::this_thread::sleep_for(poll);
  }
}

// The lines of a manifest; a line that does not parse makes the result empty
// and sets `error`.
inline std::vector<ManifestLine> read_manifest(const std::string& path, std::string* error) {
  std::vector<ManifestLine> lines;
  std::ifstream in(path);
  if (!in) {
    *error = "cannot open " + path;
    return {};
  }
  std::string text;
  std::size_t number = 0;
  while (std::getline(in, text)) {
    ++number;
    const auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
      *error = path + ":" + std::to_string(number) + " is not a JSON object: " + text;
      return {};
    }
    try {
      lines.push_back({.seq = json.at("seq").get<std::uint64_t>(),
                       .file = json.at("file").get<std::string>(),
                       .bytes = json.at("bytes").get<std::uint64_t>(),
                       .xxh3 = json.at("xxh3").get<std::string>(),
                       .source = json.at("source").get<std::string>(),
                       .capture_time_ns = json.at("capture_time_ns").get<std::int64_t>(),
                       .receive_time_ns = json.at("receive_time_ns").get<std::int64_t>()});
    } catch (const nlohmann::json::exception& e) {
      *error = path + ":" + std::to_string(number) + ": " + e.what() + ": " + text;
      return {};
    }
  }
  return lines;
}

// Frame order: a name starting with digits sorts by that number (then by
// name); names without a leading number come after, by name.
inline bool natural_less(const std::string& a, const std::string& b) {
  auto key = [](const std::string& name) {
    std::size_t digits = 0;
    while (digits < name.size() && name[digits] >= '0' && name[digits] <= '9') ++digits;
    std::string number = name.substr(0, digits);
    number.erase(0, std::min(number.find_first_not_of('0'), number.size()));
    return std::make_tuple(digits == 0, number.size(), number, name);
  };
  return key(a) < key(b);
}

inline std::vector<std::string> names_in_frame_order(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& [name, path] : frame_files(folder)) names.push_back(name);
  std::sort(names.begin(), names.end(), natural_less);
  return names;
}

// The manifest of `stream_dir` describes exactly the files of `source_dir`,
// sent once by `framewire send` (seq = position in frame order).
inline testing::AssertionResult manifest_matches(const std::string& stream_dir,
                                                 const std::string& source_dir,
                                                 const std::string& source_kind) {
  std::string error;
  const auto lines = read_manifest(stream_dir + "/" + kManifestName, &error);
  if (!error.empty()) return testing::AssertionFailure() << error;
  const auto names = names_in_frame_order(source_dir);
  if (lines.size() != names.size()) {
    return testing::AssertionFailure() << stream_dir << "/manifest.jsonl has " << lines.size()
                                       << " lines for " << names.size() << " frames";
  }
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const ManifestLine& line = lines[i];
    const std::string where = "line " + std::to_string(i + 1) + " (" + line.file + "): ";
    const std::string path = source_dir + "/" + names[i];
    const auto bytes = read_bytes(path);
    if (line.seq != i) problems.push_back(where + "seq " + std::to_string(line.seq));
    if (line.file != names[i]) problems.push_back(where + "expected file " + names[i]);
    if (line.bytes != bytes.size())
      problems.push_back(where + "bytes " + std::to_string(line.bytes));
    if (line.xxh3 != xxh3_hex(bytes)) {
      problems.push_back(where + "xxh3 " + line.xxh3 + ", expected " + xxh3_hex(bytes));
    }
    if (line.source != source_kind) problems.push_back(where + "source " + line.source);
    if (line.capture_time_ns != mtime_ns_of(path)) {
      problems.push_back(where + "capture_time_ns " + std::to_string(line.capture_time_ns) +
                         ", source mtime " + std::to_string(mtime_ns_of(path)));
    }
    if (line.receive_time_ns <= 0) problems.push_back(where + "receive_time_ns not set");
  }
  if (problems.empty()) return testing::AssertionSuccess();
  auto failure = testing::AssertionFailure();
  failure << stream_dir << "/manifest.jsonl:";
  for (std::size_t i = 0; i < problems.size() && i < 20; ++i) failure << "\n  " << problems[i];
  return failure;
}

// Every manifest line names a stored file whose bytes match it (used after
// an interrupted transfer, where the manifest covers a prefix).
inline testing::AssertionResult manifest_consistent(const std::string& stream_dir,
                                                    std::size_t* line_count = nullptr) {
  std::string error;
  const auto lines = read_manifest(stream_dir + "/" + kManifestName, &error);
  if (!error.empty()) return testing::AssertionFailure() << error;
  if (line_count != nullptr) *line_count = lines.size();
  for (const auto& line : lines) {
    const auto bytes = read_bytes(stream_dir + "/" + line.file);
    if (bytes.size() != line.bytes || xxh3_hex(bytes) != line.xxh3) {
      return testing::AssertionFailure()
             << stream_dir << ": manifest line seq " << line.seq << " says " << line.file << " has "
             << line.bytes << " bytes, xxh3 " << line.xxh3 << "; on disk " << bytes.size()
             << " bytes, xxh3 " << xxh3_hex(bytes);
    }
  }
  return testing::AssertionSuccess();
}

}  // namespace framewire::test
