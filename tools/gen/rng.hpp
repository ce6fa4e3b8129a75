// Deterministic pseudo-random numbers for framewire-gen. The generated frame sets must be
// byte-identical for the same seed on every machine and standard library, so this avoids
// <random> distributions (whose output is implementation-defined) and uses SplitMix64 for
// seeding plus xoshiro-style mixing with explicit integer arithmetic only.
// Plain value type; each thread owns its own instance.
#pragma once

#include <cstdint>

namespace framewire::gen {

// SplitMix64 step: turns any 64-bit value into a well-mixed one. Used to derive independent
// per-frame and per-shape seeds from (seed, frame index) without correlation between them.
constexpr std::uint64_t Mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(Mix64(seed)) {}

  std::uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1) with 53 random bits; exact, so identical everywhere.
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Uniform in [lo, hi).
  double Range(double lo, double hi) { return lo + (hi - lo) * Unit(); }

 private:
  std::uint64_t state_;
};

}  // namespace framewire::gen
