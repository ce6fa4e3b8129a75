// Result of writing one generated file: its size on success, or a message saying what failed.
// Returned by the PNG and JPEG writers of framewire-gen.
#pragma once

#include <cstdint>
#include <string>

namespace framewire::gen {

struct WriteOutcome {
  std::uint64_t bytes = 0;  // size of the file written, when ok()
  std::string error;        // empty on success

  bool ok() const { return error.empty(); }
};

}  // namespace framewire::gen
