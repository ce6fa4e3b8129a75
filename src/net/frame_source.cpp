#include "net/frame_source.hpp"

#include <fmt/format.h>

namespace framewire::net {

std::string sent_file_name(const OutgoingFrame& frame, std::uint64_t sequence) {
  if (!frame.file_name.empty()) return frame.file_name;
  return fmt::format("{:06}{}", sequence, frame.extension);
}

}  // namespace framewire::net
