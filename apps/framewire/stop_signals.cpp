// The signal watcher thread of `framewire send`, `serve` and `sink` (stop_signals.hpp).
#include "stop_signals.hpp"

#include <pthread.h>
#include <signal.h>

#include <cstdlib>

namespace framewire::cli {
namespace {

sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);  // only ever sent by ~StopSignals, to wake the watcher
  return set;
}

}  // namespace

void StopSignals::block() {
  const sigset_t set = watched_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

StopSignals::StopSignals(std::function<void(int, int)> on_signal)
    : on_signal_(std::move(on_signal)) {
  thread_ = std::thread([this] { watch(); });
}

StopSignals::~StopSignals() {
  done_.store(true, std::memory_order_release);
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
}

void StopSignals::terminate_by(int signal_number) {
  // Default action, unblocked in this thread, then raised in it: the process ends "killed by
  // SIGINT", as a shell expects of an interrupted program.
  ::signal(signal_number, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal_number);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  ::raise(signal_number);
  std::_Exit(128 + signal_number);  // not reached
}

void StopSignals::watch() {
  const sigset_t set = watched_signals();
  int count = 0;
  while (!done_.load(std::memory_order_acquire)) {
    int signal_number = 0;
    if (sigwait(&set, &signal_number) != 0) break;
    if (done_.load(std::memory_order_acquire)) break;
    if (signal_number == SIGINT || signal_number == SIGTERM) on_signal_(signal_number, ++count);
  }
}

}  // namespace framewire::cli
