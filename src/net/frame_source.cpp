#include "net/frame_source.hpp"

#include "source/folder_listing.hpp"

namespace framewire::net {

std::string sent_file_name(const OutgoingFrame& frame, std::uint64_t sequence) {
  if (!frame.file_name.empty()) return frame.file_name;
  return source::frame_file_name(sequence, frame.extension);
}

}  // namespace framewire::net
