#include "net/stream_registry.hpp"

#include <algorithm>

namespace framewire::net {

StreamRegistry::Acquire StreamRegistry::try_acquire(std::string_view name, const SenderId& sender,
                                                    std::function<void()> evict) {
  std::lock_guard lock(mutex_);
  auto it = open_.find(name);
  if (it == open_.end()) {
    open_.emplace(std::string(name), Holder{sender, std::move(evict)});
    return Acquire::kAcquired;
  }
  const bool anonymous = std::all_of(sender.begin(), sender.end(), [](auto b) { return b == 0; });
  if (anonymous || it->second.sender != sender) return Acquire::kBusy;
  // Our own earlier connection: it is gone in all but name. Close it; the
  // name is free once its session has released it.
  if (it->second.evict) it->second.evict();
  return Acquire::kTakingOver;
}

void StreamRegistry::release(std::string_view name) {
  std::lock_guard lock(mutex_);
  if (auto it = open_.find(name); it != open_.end()) open_.erase(it);
}

}  // namespace framewire::net
