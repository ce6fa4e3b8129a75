// fw_fault_proxy: the test tree's FaultProxy as a program, for scripts
// (bench/live.sh): a slow link in front of a receiver on this machine.
//
//   fw_fault_proxy --upstream PORT --rate BYTES_PER_S [--rate-to-sender BYTES_PER_S]
//                  [--burst BYTES] [--queue BYTES]
//
// Listens on 127.0.0.1 on an ephemeral port, prints that port alone on a line
// on stdout (flushed), forwards every connection to 127.0.0.1:PORT with the
// given bandwidth limits (FaultPlan::rate_*; 0 means unlimited) and runs until
// SIGINT or SIGTERM, then prints what it forwarded on stderr and exits 0.
// Exit 2 on a usage error, 1 when it cannot listen. Test-only; one thread
// here plus the proxy's own.
#include <signal.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fault/fault_proxy.hpp"

namespace {

int usage(const char* why) {
  std::fprintf(stderr,
               "fw_fault_proxy: %s\n"
               "usage: fw_fault_proxy --upstream PORT --rate BYTES_PER_S "
               "[--rate-to-sender BYTES_PER_S] [--burst BYTES] [--queue BYTES]\n",
               why);
  return 2;
}

bool parse_number(std::string_view text, std::uint64_t& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t upstream = 0;
  bool have_rate = false;
  framewire::test::FaultPlan plan;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "-h" || flag == "--help") {
      usage("a bandwidth-limited TCP proxy on 127.0.0.1");
      return 0;
    }
    if (i + 1 >= argc) return usage(("missing value after " + std::string(flag)).c_str());
    std::uint64_t value = 0;
    if (!parse_number(argv[i + 1], value)) {
      return usage(("not a number: " + std::string(flag) + " " + argv[i + 1]).c_str());
    }
    ++i;
    if (flag == "--upstream") {
      upstream = value;
    } else if (flag == "--rate") {
      plan.rate_to_receiver = value;
      have_rate = true;
    } else if (flag == "--rate-to-sender") {
      plan.rate_to_sender = value;
    } else if (flag == "--burst") {
      plan.rate_burst = value;
    } else if (flag == "--queue") {
      plan.rate_queue = value;
    } else {
      return usage(("unknown option " + std::string(flag)).c_str());
    }
  }
  if (upstream == 0 || upstream > 65535) return usage("--upstream PORT (1..65535) is required");
  if (!have_rate) return usage("--rate BYTES_PER_S is required (0: unlimited)");

  // Block the signals before the proxy thread starts, so that only sigwait()
  // below takes them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  framewire::test::FaultProxy proxy(static_cast<std::uint16_t>(upstream), plan);
  if (std::string error = proxy.start(); !error.empty()) {
    std::fprintf(stderr, "fw_fault_proxy: %s\n", error.c_str());
    return 1;
  }
  std::printf("%u\n", static_cast<unsigned>(proxy.port()));
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  proxy.stop();
  const framewire::test::ProxyStats stats = proxy.stats();
  std::fprintf(stderr,
               "fw_fault_proxy: %llu connection(s), %llu bytes to the receiver, %llu to the "
               "sender, %llu throttle waits\n",
               static_cast<unsigned long long>(stats.connections),
               static_cast<unsigned long long>(stats.bytes_to_receiver),
               static_cast<unsigned long long>(stats.bytes_to_sender),
               static_cast<unsigned long long>(stats.throttle_waits));
  return 0;
}
