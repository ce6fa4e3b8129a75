// framewire-gen: writes deterministic synthetic frame sets (K.png .. K+N-1.png, or .jpg) for the
// demo, the CLI tests and the end-to-end benchmark. The same --kind/--seed/size always gives the
// same bytes, and frame K is the same whatever --start/--count produced it, so sets can be grown
// or split. Frames are rendered and encoded on a few worker threads; each worker owns its frame.
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "jpeg_writer.hpp"
#include "png_writer.hpp"
#include "scene.hpp"

namespace {

namespace gen = framewire::gen;

enum class Kind { kVisible, kInfrared, kJpeg, kTiny };

struct Options {
  Kind kind = Kind::kVisible;
  std::uint64_t count = 0;
  std::string out;
  int width = 0;  // 0: the kind's default
  int height = 0;
  std::uint64_t seed = 1;
  std::uint64_t start = 0;
  unsigned jobs = 0;  // 0: one per core, at most kMaxDefaultJobs
};

constexpr unsigned kMaxDefaultJobs = 4;
// Sensor noise of visible frames (amplitude in 8-bit levels, and how many pixels get it): puts a
// 1280x720 frame at ~370 KB, a few hundred KB like a PNG from a real camera. Full-density noise
// would make every frame ~700 KB+, no noise ~150 KB.
constexpr int kVisibleNoise = 2;
constexpr int kVisibleNoiseDensity = 32;  // out of 256: one pixel in eight
// Noise and quality for JPEG frames: ~460 KB at 1920x1080, a typical high-quality camera JPEG.
constexpr int kJpegNoise = 8;
constexpr int kJpegQuality = 90;
constexpr int kFullDensity = 256;

struct KindInfo {
  const char* name;
  const char* extension;
  int default_width;
  int default_height;
};

KindInfo Info(Kind kind) {
  switch (kind) {
    case Kind::kVisible:
      return {"visible", ".png", 1280, 720};
    case Kind::kInfrared:
      return {"infrared", ".png", 640, 512};
    case Kind::kJpeg:
      return {"jpeg", ".jpg", 1920, 1080};
    case Kind::kTiny:
      // 54x54 bytes of noise: a ~3 KB PNG (2916 bytes of pixels plus headers).
      return {"tiny", ".png", 54, 54};
  }
  return {"?", "", 0, 0};
}

gen::WriteOutcome WriteFrame(const Options& options, std::uint64_t frame, const std::string& path) {
  switch (options.kind) {
    case Kind::kVisible:
      return gen::WritePng(path,
                           gen::RenderVisible(options.seed, frame, options.width, options.height,
                                              kVisibleNoise, kVisibleNoiseDensity));
    case Kind::kInfrared:
      return gen::WritePng(path,
                           gen::RenderInfrared(options.seed, frame, options.width, options.height));
    case Kind::kJpeg:
      return gen::WriteJpeg(path,
                            gen::RenderVisible(options.seed, frame, options.width, options.height,
                                               kJpegNoise, kFullDensity),
                            kJpegQuality);
    case Kind::kTiny:
      return gen::WritePng(path,
                           gen::RenderTiny(options.seed, frame, options.width, options.height));
  }
  return {0, "unknown kind"};
}

int Run(Options options) {
  const KindInfo info = Info(options.kind);
  if (options.width == 0) options.width = info.default_width;
  if (options.height == 0) options.height = info.default_height;

  std::error_code ec;
  std::filesystem::create_directories(options.out, ec);
  if (ec) {
    fmt::print(stderr, "framewire-gen: cannot create {}: {}\n", options.out, ec.message());
    return 1;
  }

  unsigned jobs = options.jobs;
  if (jobs == 0) jobs = std::clamp(std::thread::hardware_concurrency(), 1U, kMaxDefaultJobs);
  jobs = static_cast<unsigned>(
      std::min<std::uint64_t>(jobs, std::max<std::uint64_t>(options.count, 1)));

  const auto started = std::chrono::steady_clock::now();
  std::atomic<std::uint64_t> next{0};
  std::atomic<std::uint64_t> total_bytes{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::string first_error;
  {
    std::vector<std::jthread> workers;
    for (unsigned j = 0; j < jobs; ++j) {
      workers.emplace_back([&] {
        for (;;) {
          const std::uint64_t i = next.fetch_add(1);
          if (i >= options.count || failed.load()) return;
          const std::uint64_t frame = options.start + i;
          const std::string path =
              (std::filesystem::path(options.out) / (std::to_string(frame) + info.extension))
                  .string();
          gen::WriteOutcome outcome = WriteFrame(options, frame, path);
          if (!outcome.ok()) {
            std::lock_guard lock(error_mutex);
            if (!failed.exchange(true)) first_error = outcome.error;
            return;
          }
          total_bytes.fetch_add(outcome.bytes);
        }
      });
    }
  }  // jthreads join here
  if (failed.load()) {
    fmt::print(stderr, "framewire-gen: {}\n", first_error);
    return 1;
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::uint64_t bytes = total_bytes.load();
  const double average_kb =
      options.count ? static_cast<double>(bytes) / 1000.0 / static_cast<double>(options.count)
                    : 0.0;
  const std::string names = options.count
                                ? fmt::format("{}{}..{}{}", options.start, info.extension,
                                              options.start + options.count - 1, info.extension)
                                : std::string("no names");
  fmt::print(
      "framewire-gen: wrote {} files, {} bytes ({:.1f} MB, {:.1f} KB avg), {} {}x{} {}, "
      "to {} in {:.2f} s\n",
      options.count, bytes, static_cast<double>(bytes) / 1e6, average_kb, info.name, options.width,
      options.height, names, options.out, seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"framewire-gen: writes deterministic synthetic frame sets"};
  Options options;
  const std::map<std::string, Kind> kinds{{"visible", Kind::kVisible},
                                          {"infrared", Kind::kInfrared},
                                          {"jpeg", Kind::kJpeg},
                                          {"tiny", Kind::kTiny}};
  std::string kind_name;
  app.add_option("--kind", kind_name,
                 "visible: RGB 8-bit PNG 1280x720; infrared: 16-bit gray PNG 640x512; "
                 "jpeg: 1920x1080 JPEG ~450 KB; tiny: ~3 KB gray PNG")
      ->required()
      ->check(CLI::IsMember({"visible", "infrared", "jpeg", "tiny"}));
  app.add_option("--count", options.count, "Number of frames to write")->required();
  app.add_option("--out", options.out,
                 "Output folder, created if missing; files of the same names are replaced")
      ->required();
  app.add_option("--width", options.width, "Frame width (default depends on --kind)")
      ->check(CLI::Range(1, 16384));
  app.add_option("--height", options.height, "Frame height (default depends on --kind)")
      ->check(CLI::Range(1, 16384));
  app.add_option("--seed", options.seed, "Seed; the same seed gives the same bytes")
      ->capture_default_str();
  app.add_option("--start", options.start, "Number of the first frame (file K.png)")
      ->capture_default_str();
  app.add_option("--jobs", options.jobs, "Worker threads (default: cores, at most 4)");
  CLI11_PARSE(app, argc, argv);
  options.kind = kinds.at(kind_name);
  return Run(options);
}
