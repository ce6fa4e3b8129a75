// Writes an encoded frame to its file for framewire-gen's PNG and JPEG writers, turning the
// encoder's Status or a write error into a WriteOutcome. Any thread; one file per call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framewire/status.hpp"
#include "write_outcome.hpp"

namespace framewire::gen {

// `encoded` is the encoder's result for `bytes`; when it failed nothing is written.
WriteOutcome WriteEncoded(const std::string& path, const Status& encoded,
                          const std::vector<std::uint8_t>& bytes);

}  // namespace framewire::gen
