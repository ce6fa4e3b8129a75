#include "net/stream_registry.hpp"

namespace framewire::net {

bool StreamRegistry::try_acquire(std::string_view name) {
  std::lock_guard lock(mutex_);
  return open_.emplace(name).second;
}

void StreamRegistry::release(std::string_view name) {
  std::lock_guard lock(mutex_);
  if (auto it = open_.find(name); it != open_.end()) open_.erase(it);
}

}  // namespace framewire::net
