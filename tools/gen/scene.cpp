// Scene renderers for framewire-gen; see scene.hpp. Each frame is drawn one row at a time into a
// small floating-point buffer (background, then shapes), then quantized with noise, so memory is
// one output image plus one row.
#include "scene.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "rng.hpp"

namespace framewire::gen {
namespace {

constexpr int kShapeCount = 9;
constexpr int kBlobCount = 6;
// Thermal sensor noise in counts; puts a 640x512 16-bit frame at ~370 KB.
constexpr int kInfraredNoise = 24;

// Reflects a coordinate moving at constant speed into [0, length], so shapes bounce off the
// edges instead of wrapping (wrapping would make them jump between frames).
double Bounce(double position, double length) {
  const double period = 2.0 * length;
  double m = std::fmod(position, period);
  if (m < 0) m += period;
  return m < length ? m : period - m;
}

// Triangle wave in [0, 1] with the given period in frames; a sine without libm.
double Triangle(double t, double period) {
  return Bounce(t, period / 2.0) / (period / 2.0);
}

// Rounds to nearest after clamping to [0, limit]; truncating a non-negative value is exact and
// much cheaper than std::lround, which is a libm call per sample.
int RoundClamped(double value, double limit) {
  return static_cast<int>(std::clamp(value, 0.0, limit) + 0.5);
}

std::uint8_t Quantize8(double value, int noise) {
  return static_cast<std::uint8_t>(std::clamp(RoundClamped(value, 255.0) + noise, 0, 255));
}

// Sensor noise: with probability density/256 a sample is disturbed by a triangular-distributed
// amount in [-amplitude, amplitude], otherwise left alone. Full density is white sensor noise;
// lower densities let the caller choose how well frames compress. One 64-bit draw serves two
// samples.
class NoiseSource {
 public:
  NoiseSource(std::uint64_t seed, int amplitude, int density)
      : rng_(seed), amplitude_(amplitude), density_(density) {}

  int Next() {
    if (amplitude_ == 0) return 0;
    if (left_ == 0) {
      bits_ = rng_.Next();
      left_ = 2;
    }
    const int gate = static_cast<int>(bits_ & 0xff);
    const int a = static_cast<int>((bits_ >> 8) & 0xff);
    const int b = static_cast<int>((bits_ >> 16) & 0xff);
    const bool negative = ((bits_ >> 24) & 1) != 0;
    bits_ >>= 32;
    --left_;
    if (gate >= density_) return 0;
    const int magnitude = ((a + b) * (amplitude_ + 1)) / 511;
    return negative ? -magnitude : magnitude;
  }

 private:
  Rng rng_;
  int amplitude_;
  int density_;  // out of 256
  std::uint64_t bits_ = 0;
  int left_ = 0;
};

struct Shape {
  bool disc = true;
  double x = 0, y = 0;    // centre at frame 0, pixels
  double vx = 0, vy = 0;  // pixels per frame
  double rx = 0, ry = 0;  // half extents, pixels
  double color[3] = {0, 0, 0};
};

struct VisibleLayout {
  double sky_top[3], horizon[3], ground[3], ground_far[3];
  double horizon_y;  // fraction of height
  double light_period;
  Shape shapes[kShapeCount];
};

VisibleLayout MakeVisibleLayout(std::uint64_t seed, int width, int height) {
  Rng rng(seed ^ 0x56495349424c45ULL);  // "VISIBLE"
  VisibleLayout l{};
  const double sky_hue = rng.Range(0.0, 1.0);
  l.sky_top[0] = 40 + 40 * sky_hue;
  l.sky_top[1] = 80 + 40 * sky_hue;
  l.sky_top[2] = rng.Range(150, 220);
  l.horizon[0] = rng.Range(170, 230);
  l.horizon[1] = rng.Range(180, 230);
  l.horizon[2] = rng.Range(200, 240);
  l.ground_far[0] = rng.Range(90, 140);
  l.ground_far[1] = rng.Range(100, 150);
  l.ground_far[2] = rng.Range(60, 100);
  l.ground[0] = rng.Range(40, 80);
  l.ground[1] = rng.Range(50, 90);
  l.ground[2] = rng.Range(20, 50);
  l.horizon_y = rng.Range(0.4, 0.6);
  l.light_period = rng.Range(300, 600);
  for (Shape& s : l.shapes) {
    s.disc = rng.Unit() < 0.5;
    s.x = rng.Range(0, width);
    s.y = rng.Range(0, height);
    s.vx = rng.Range(-6, 6);
    s.vy = rng.Range(-3, 3);
    s.rx = rng.Range(0.04, 0.14) * height;
    s.ry = s.rx * rng.Range(0.6, 1.4);
    for (double& c : s.color) c = rng.Range(20, 250);
  }
  return l;
}

}  // namespace

Image8 RenderVisible(std::uint64_t seed, std::uint64_t frame, int width, int height, int noise,
                     int density) {
  const VisibleLayout l = MakeVisibleLayout(seed, width, height);
  const double t = static_cast<double>(frame);
  const double light = 0.85 + 0.15 * Triangle(t, l.light_period);

  // Shape positions for this frame.
  double cx[kShapeCount], cy[kShapeCount];
  for (int i = 0; i < kShapeCount; ++i) {
    cx[i] = Bounce(l.shapes[i].x + l.shapes[i].vx * t, width);
    cy[i] = Bounce(l.shapes[i].y + l.shapes[i].vy * t, height);
  }

  Image8 image(width, height, 3);
  NoiseSource noise_source(Mix64(seed) ^ Mix64(frame + 1), noise, density);
  std::vector<double> row(static_cast<std::size_t>(width) * 3);
  const double horizon = l.horizon_y * height;
  for (int y = 0; y < height; ++y) {
    // Background: sky above the horizon, ground below, each a vertical blend plus a gentle
    // left-to-right tilt so neighbouring rows differ.
    double base[3], tilt[3];
    for (int c = 0; c < 3; ++c) {
      if (y < horizon) {
        const double f = y / horizon;
        base[c] = l.sky_top[c] + (l.horizon[c] - l.sky_top[c]) * f * f;
        tilt[c] = 20.0 * (1.0 - f);
      } else {
        const double f = (y - horizon) / (height - horizon);
        base[c] = l.ground_far[c] + (l.ground[c] - l.ground_far[c]) * f;
        tilt[c] = -25.0 * f;
      }
    }
    for (int x = 0; x < width; ++x) {
      const double u = static_cast<double>(x) / width - 0.5;
      for (int c = 0; c < 3; ++c) row[x * 3 + c] = base[c] + tilt[c] * u;
    }
    // Shapes, painted in order; discs are dome-shaded, boxes lit from above.
    for (int i = 0; i < kShapeCount; ++i) {
      const Shape& s = l.shapes[i];
      const double dy = (y - cy[i]) / s.ry;
      if (dy < -1.0 || dy > 1.0) continue;
      double half = s.rx;
      if (s.disc) half = s.rx * std::sqrt(1.0 - dy * dy);
      const int x0 = std::max(0, static_cast<int>(cx[i] - half));
      const int x1 = std::min(width - 1, static_cast<int>(cx[i] + half));
      for (int x = x0; x <= x1; ++x) {
        double shade;
        if (s.disc) {
          const double dx = (x - cx[i]) / s.rx;
          shade = 0.55 + 0.45 * (1.0 - dx * dx - dy * dy) - 0.15 * dx;
        } else {
          shade = 0.95 - 0.3 * (dy + 1.0) / 2.0;
        }
        for (int c = 0; c < 3; ++c) row[x * 3 + c] = s.color[c] * shade;
      }
    }
    std::uint8_t* out = image.Row(y);
    for (int x = 0; x < width; ++x) {
      // Luminance noise, shared by the three channels, like a sensor after demosaicing.
      const int n = noise_source.Next();
      for (int c = 0; c < 3; ++c) out[x * 3 + c] = Quantize8(row[x * 3 + c] * light, n);
    }
  }
  return image;
}

Image16 RenderInfrared(std::uint64_t seed, std::uint64_t frame, int width, int height) {
  Rng rng(seed ^ 0x494e4652415245ULL);  // "INFRARE"
  const double ambient = rng.Range(7000, 8500);
  const double sky_delta = rng.Range(-1500, -600);  // the sky is colder than the ground
  Shape blobs[kBlobCount];
  double heat[kBlobCount];
  for (int i = 0; i < kBlobCount; ++i) {
    Shape& b = blobs[i];
    b.x = rng.Range(0, width);
    b.y = rng.Range(0, height);
    b.vx = rng.Range(-3, 3);
    b.vy = rng.Range(-1.5, 1.5);
    b.rx = rng.Range(0.05, 0.18) * height;
    b.ry = b.rx * rng.Range(0.8, 2.0);  // people and engines are taller than wide
    heat[i] = rng.Range(2000, 12000);
  }
  const double t = static_cast<double>(frame);
  // Slow drift of the whole image, like a thermal camera between flat-field corrections.
  const double drift = 60.0 * Triangle(t, 240.0);

  double cx[kBlobCount], cy[kBlobCount];
  for (int i = 0; i < kBlobCount; ++i) {
    cx[i] = Bounce(blobs[i].x + blobs[i].vx * t, width);
    cy[i] = Bounce(blobs[i].y + blobs[i].vy * t, height);
  }

  Image16 image(width, height);
  NoiseSource noise_source(Mix64(seed ^ 0x4952) ^ Mix64(frame + 1), kInfraredNoise, 256);
  std::vector<double> row(static_cast<std::size_t>(width));
  for (int y = 0; y < height; ++y) {
    const double fy = static_cast<double>(y) / height;
    const double base = ambient + drift + sky_delta * (1.0 - fy) * (1.0 - fy);
    for (int x = 0; x < width; ++x) row[x] = base + 300.0 * (static_cast<double>(x) / width);
    for (int i = 0; i < kBlobCount; ++i) {
      const double dy = (y - cy[i]) / blobs[i].ry;
      if (dy <= -1.0 || dy >= 1.0) continue;
      const double half = blobs[i].rx * std::sqrt(1.0 - dy * dy);
      const int x0 = std::max(0, static_cast<int>(cx[i] - half));
      const int x1 = std::min(width - 1, static_cast<int>(cx[i] + half));
      for (int x = x0; x <= x1; ++x) {
        const double dx = (x - cx[i]) / blobs[i].rx;
        const double falloff = std::max(0.0, 1.0 - dx * dx - dy * dy);
        row[x] += heat[i] * falloff * falloff;  // smooth edge: heat fades into the air
      }
    }
    std::uint16_t* out = image.Row(y);
    for (int x = 0; x < width; ++x) {
      const int v = RoundClamped(row[x], 65535.0) + noise_source.Next();
      out[x] = static_cast<std::uint16_t>(std::clamp(v, 0, 65535));
    }
  }
  return image;
}

Image8 RenderTiny(std::uint64_t seed, std::uint64_t frame, int width, int height) {
  Image8 image(width, height, 1);
  Rng rng(Mix64(seed ^ 0x54494e59) ^ Mix64(frame + 1));  // "TINY"
  std::uint64_t bits = 0;
  int left = 0;
  for (std::uint8_t& p : image.pixels) {
    if (left == 0) {
      bits = rng.Next();
      left = 8;
    }
    p = static_cast<std::uint8_t>(bits & 0xff);
    bits >>= 8;
    --left;
  }
  return image;
}

}  // namespace framewire::gen
