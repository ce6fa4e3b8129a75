#include "net/folder_source.hpp"

#include <algorithm>

namespace framewire::net {

FolderSource::FolderSource(std::vector<source::FrameFile> files)
    : files_(std::move(files)), rejected_(files_.size(), false), counted_(files_.size(), false) {
  prefix_bytes_.reserve(files_.size() + 1);
  prefix_bytes_.push_back(0);
  for (const auto& file : files_) prefix_bytes_.push_back(prefix_bytes_.back() + file.bytes);
  tally_.frames_known = files_.size();
  tally_.bytes_known = prefix_bytes_.back();
}

void FolderSource::opened(const ResumePoint& at, bool first) {
  std::size_t start = 0;
  if (!at.last_file_name.empty()) {
    const auto after = std::upper_bound(files_.begin(), files_.end(), at.last_file_name,
                                        [](const std::string& name, const source::FrameFile& file) {
                                          return source::frame_order_less(name, file.file_name);
                                        });
    start = static_cast<std::size_t>(after - files_.begin());
  }
  if (first) {
    tally_.already_stored_frames = start;
    tally_.already_stored_bytes = prefix_bytes_[start];
  } else {
    // Sent on a connection that was cut before their ACK came: the receiver
    // has them all the same.
    for (std::size_t i = settled_; i < start; ++i) {
      if (!rejected_[i]) count_stored(i, files_[i].bytes);
    }
  }
  settled_ = std::max(settled_, start);
  next_ = start;
  // What is sent again is judged again.
  std::fill(rejected_.begin() + static_cast<std::ptrdiff_t>(start), rejected_.end(), false);
}

const OutgoingFrame* FolderSource::peek() {
  if (next_ >= files_.size()) return nullptr;
  if (peeked_index_ != next_) {
    const source::FrameFile& file = files_[next_];
    peeked_ = OutgoingFrame{
        .file_name = file.file_name, .capture_time_ns = file.mtime_ns, .path = file.path};
    peeked_index_ = next_;
  }
  return &peeked_;
}

FrameToken FolderSource::take(std::uint64_t /*sequence*/, std::uint64_t /*bytes*/) {
  return next_++;
}

void FolderSource::settle(FrameToken token) {
  if (token < files_.size()) settled_ = std::max<std::size_t>(settled_, token + 1);
}

void FolderSource::stored(FrameToken token, std::uint64_t bytes) {
  settle(token);
  if (token < files_.size()) count_stored(token, bytes);
}

void FolderSource::count_stored(std::size_t index, std::uint64_t bytes) {
  if (counted_[index]) return;
  counted_[index] = true;
  ++tally_.frames_stored;
  tally_.bytes_stored += bytes;
}

std::string FolderSource::rejected(FrameToken token) {
  if (token >= files_.size()) return {};
  settle(token);
  rejected_[token] = true;
  return files_[token].file_name;
}

}  // namespace framewire::net
