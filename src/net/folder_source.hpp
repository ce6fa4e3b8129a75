// A folder's regular files as a stream, in frame order. Resume is by name
// (PROTOCOL.md 5.9): on every connection the files that sort after the
// receiver's last stored file are sent, numbered from its next_sequence, so
// that files deleted locally since an earlier run cannot make the sender skip
// new ones. Files are read while they are sent, never held in memory. Network
// thread only.
#pragma once

#include <vector>

#include "net/frame_source.hpp"
#include "source/folder_listing.hpp"

namespace framewire::net {

class FolderSource final : public FrameSource {
 public:
  explicit FolderSource(std::vector<source::FrameFile> files);

  void opened(const ResumePoint& at, bool first) override;
  const OutgoingFrame* peek() override;
  FrameToken take(std::uint64_t sequence, std::uint64_t bytes) override;
  bool exhausted() override { return next_ >= files_.size(); }
  void stored(FrameToken token, std::uint64_t bytes) override;
  std::string rejected(FrameToken token) override;

 private:
  void settle(FrameToken token);
  // Counts file `index` as stored by this run, once: a receiver whose
  // resume point went back (a JetStream leader that had not yet applied
  // its last frames) makes the sender send frames it had already counted,
  // which the store recognises as duplicates.
  void count_stored(std::size_t index, std::uint64_t bytes);

  std::vector<source::FrameFile> files_;
  std::vector<std::uint64_t> prefix_bytes_;  // [i]: bytes of files [0, i)
  std::size_t next_ = 0;                     // the next file to send
  std::size_t settled_ = 0;                  // files [0, settled_) are stored or rejected
  std::vector<bool> rejected_;               // by file index
  std::vector<bool> counted_;                // by file index: in tally_.frames_stored
  OutgoingFrame peeked_;
  std::size_t peeked_index_ = static_cast<std::size_t>(-1);
};

}  // namespace framewire::net
