// Synthetic scene renderers for framewire-gen. Each function draws frame number `frame` of the
// set identified by `seed`: the layout (colours, shapes, their speeds) depends only on the seed,
// the frame number moves the shapes and redraws the sensor noise, so consecutive frames look like
// a camera watching moving objects and compress like one. Only IEEE-exact arithmetic (+ - * /,
// sqrt, fmod) is used, so the output is identical on every conforming platform.
// Pure functions; safe to call from several threads at once.
#pragma once

#include <cstdint>

#include "image.hpp"

namespace framewire::gen {

// RGB daylight scene: sky/ground gradient, shaded moving discs and boxes, sensor noise.
// A pixel gets luminance noise of up to `noise` 8-bit levels with probability density/256.
Image8 RenderVisible(std::uint64_t seed, std::uint64_t frame, int width, int height, int noise,
                     int density);

// Thermal scene in 16-bit counts: cool background gradient, warm moving blobs, sensor noise.
Image16 RenderInfrared(std::uint64_t seed, std::uint64_t frame, int width, int height);

// Small 8-bit gray frame of pure noise: incompressible, so its PNG is about width*height bytes.
Image8 RenderTiny(std::uint64_t seed, std::uint64_t frame, int width, int height);

}  // namespace framewire::gen
