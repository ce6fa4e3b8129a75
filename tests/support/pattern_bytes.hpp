// Deterministic pseudo-random frame bytes and their XXH3, for the storage
// tests that run the same checks over POSIX and the memory file system.
// Test-only; no state.
#pragma once

#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace framewire::test {

// `size` bytes from a linear congruential generator seeded by `seed`.
inline std::vector<std::uint8_t> pattern_bytes(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> bytes(size);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& b : bytes) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  return bytes;
}

inline std::uint64_t xxh3_of(const std::vector<std::uint8_t>& bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

}  // namespace framewire::test
