// See file_writer.hpp.
#include "file_writer.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace framewire::gen {

WriteOutcome WriteEncoded(const std::string& path, const Status& encoded,
                          const std::vector<std::uint8_t>& bytes) {
  WriteOutcome outcome;
  if (!encoded) {
    outcome.error = path + ": " + encoded.message();
    return outcome;
  }
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    outcome.error = path + ": " + std::strerror(errno);
    return outcome;
  }
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed) {
    outcome.error = path + ": write failed: " + std::strerror(errno);
    return outcome;
  }
  outcome.bytes = bytes.size();
  return outcome;
}

}  // namespace framewire::gen
