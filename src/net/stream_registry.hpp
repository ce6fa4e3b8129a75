// Which stream names are open on a live connection, so that two senders can
// never write into the same folder at once. Thread-safe (sessions run on the
// storage pool's threads).
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace framewire::net {

class StreamRegistry {
 public:
  // False when `name` is already held by another connection.
  bool try_acquire(std::string_view name);
  void release(std::string_view name);

 private:
  std::mutex mutex_;
  std::set<std::string, std::less<>> open_;
};

}  // namespace framewire::net
