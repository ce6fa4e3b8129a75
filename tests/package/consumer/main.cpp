// A program using framewire as an installed package (find_package or pkg-config; see
// CMakeLists.txt): starts a Receiver on 127.0.0.1:0 in a temporary folder on a thread of its own,
// pushes a few frames made in memory through a Sender push stream, and checks that each is
// stored byte for byte. Exit code 0 when all is well, 1 otherwise (with the reason on stderr).
#include <framewire/receiver.hpp>
#include <framewire/sender.hpp>
#include <framewire/version.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kFrames = 5;

int fail(const std::string& what) {
  std::fprintf(stderr, "framewire_consumer: %s\n", what.c_str());
  return 1;
}

std::vector<std::uint8_t> frame_bytes(int index) {
  std::vector<std::uint8_t> bytes(1000 + static_cast<std::size_t>(index) * 4096);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::uint8_t>((i * 31 + static_cast<std::size_t>(index)) & 0xff);
  }
  return bytes;
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int run(const std::filesystem::path& root) {
  framewire::ReceiverOptions receiver_options;
  receiver_options.root = root.string();
  receiver_options.listen = "127.0.0.1:0";
  auto receiver = framewire::Receiver::create(receiver_options);
  if (!receiver) return fail("receiver: " + receiver.status().to_string());
  std::thread serving([&] { (*receiver)->run(); });

  framewire::SenderOptions sender_options;
  sender_options.to = (*receiver)->local_address();
  framewire::Sender sender(sender_options);
  framewire::PushStreamSpec spec;
  spec.name = "consumer/memory";
  spec.policy = framewire::StreamPolicy::kArchive;  // nothing dropped: every frame is checked
  auto stream = sender.add_stream(spec);
  int status = 0;
  if (!stream) {
    status = fail("add_stream: " + stream.status().to_string());
  } else if (framewire::Status started = sender.start(); !started.is_ok()) {
    status = fail("start: " + started.to_string());
  } else {
    for (int i = 0; i < kFrames && status == 0; ++i) {
      framewire::Frame frame;
      frame.file_name = std::to_string(i) + ".bin";
      frame.data = frame_bytes(i);
      if (framewire::Status pushed = sender.push(*stream, std::move(frame)); !pushed.is_ok()) {
        status = fail("push: " + pushed.to_string());
      }
    }
    auto summary = sender.finish();
    if (status == 0 && !summary) status = fail("finish: " + summary.status().to_string());
    if (status == 0 && summary->frames != kFrames) {
      status = fail("stored " + std::to_string(summary->frames) + " frames, expected " +
                    std::to_string(kFrames));
    }
  }
  (*receiver)->stop();
  serving.join();
  if (status != 0) return status;

  for (int i = 0; i < kFrames; ++i) {
    const auto path = root / "consumer" / "memory" / (std::to_string(i) + ".bin");
    if (read_file(path) != frame_bytes(i)) return fail(path.string() + " differs from frame sent");
  }
  std::printf("framewire %s: %d frames sent and stored byte for byte\n",
              std::string(framewire::kVersion).c_str(), kFrames);
  return 0;
}

}  // namespace

int main() {
  std::string pattern = (std::filesystem::temp_directory_path() / "framewire-consumer.XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) return fail("cannot make a temporary folder");
  const std::filesystem::path root = pattern;
  const int status = run(root);
  std::filesystem::remove_all(root);
  return status;
}
