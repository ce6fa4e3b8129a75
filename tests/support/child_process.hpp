// Runs a program as a child process with posix_spawn, its stdout and stderr
// captured to files, and waits for it with a deadline (a test never waits
// forever). A child still running when its ChildProcess is destroyed is
// killed and reaped. Test-only; use one ChildProcess from one thread.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;  // NOLINT: POSIX declares it nowhere else

namespace framewire::test {

// How a child ended.
struct ExitStatus {
  bool timed_out = false;  // still running at the deadline (it was killed)
  int code = -1;           // exit code, when it exited
  int signal = 0;          // terminating signal, when a signal ended it

  bool exited_with(int expected) const { return !timed_out && signal == 0 && code == expected; }
  std::string describe() const {
    if (timed_out) return "still running at the deadline";
    if (signal != 0) return "killed by signal " + std::to_string(signal);
    return "exit code " + std::to_string(code);
  }
};

inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess() { kill_and_reap(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts argv[0] (a path) with argv, stdin from /dev/null and stdout/stderr
  // written to the given files. Returns an empty string on success, else why.
  std::string start(const std::vector<std::string>& argv, const std::string& stdout_path,
                    const std::string& stderr_path) {
    stdout_path_ = stdout_path;
    stderr_path_ = stderr_path;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdout_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    // The child starts with default dispositions and nothing blocked, whatever
    // the test runner did to its own signals.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> raw;
    for (const auto& arg : argv) raw.push_back(const_cast<char*>(arg.c_str()));
    raw.push_back(nullptr);
    const int error = ::posix_spawn(&pid_, raw[0], &actions, &attributes, raw.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (error != 0) {
      pid_ = -1;
      return "cannot start " + argv[0] + ": " + std::strerror(error);
    }
    return {};
  }

  pid_t pid() const { return pid_; }
  bool started() const { return pid_ > 0; }

  // True while the child has not ended (reaps it when it has).
  bool running() {
    if (pid_ <= 0 || finished_) return false;
    return !reap(WNOHANG);
  }

  // Waits up to `timeout` for the child to end; kills it when the deadline
  // passes (the result then says timed_out).
  ExitStatus wait_for(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0 && !finished_) {
      if (reap(WNOHANG)) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        kill_and_reap();
        status_ = ExitStatus{.timed_out = true};
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return status_;
  }

  void send_signal(int signal_number) {
    if (pid_ > 0 && !finished_) ::kill(pid_, signal_number);
  }

  std::string stdout_text() const { return read_text_file(stdout_path_); }
  std::string stderr_text() const { return read_text_file(stderr_path_); }
  const std::string& stdout_path() const { return stdout_path_; }
  const std::string& stderr_path() const { return stderr_path_; }

 private:
  // True once the child is reaped.
  bool reap(int options) {
    int raw = 0;
    pid_t got;
    do {
      got = ::waitpid(pid_, &raw, options);
    } while (got < 0 && errno == EINTR);
    if (got == 0) return false;
    finished_ = true;
    if (got < 0) {
      status_ = ExitStatus{};
    } else if (WIFEXITED(raw)) {
      status_ = ExitStatus{.code = WEXITSTATUS(raw)};
    } else if (WIFSIGNALED(raw)) {
      status_ = ExitStatus{.signal = WTERMSIG(raw)};
    }
    return true;
  }

  void kill_and_reap() {
    if (pid_ <= 0 || finished_) return;
    ::kill(pid_, SIGKILL);
    reap(0);
  }

  pid_t pid_ = -1;
  bool finished_ = false;
  ExitStatus status_;
  std::string stdout_path_;
  std::string stderr_path_;
};

}  // namespace framewire::test
