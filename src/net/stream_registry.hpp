// Which stream names are open on a live connection, so that two senders can
// never write into the same folder at once, while a sender that reconnects can
// take its stream back from its own old, half-open connection at once.
// Thread-safe (sessions run on the storage pool's threads).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace framewire::net {

// HELLO.sender_id: random per sender run; all zero is anonymous.
using SenderId = std::array<std::uint8_t, 16>;

class StreamRegistry {
 public:
  enum class Acquire {
    kAcquired,
    kBusy,        // held by another sender
    kTakingOver,  // held by an earlier connection of the same sender, now being closed
  };

  // `evict` closes the acquiring connection if a newer connection of the
  // same sender claims the name later; it must be callable from any thread.
  Acquire try_acquire(std::string_view name, const SenderId& sender, std::function<void()> evict);
  void release(std::string_view name);

 private:
  struct Holder {
    SenderId sender{};
    std::function<void()> evict;
  };
  std::mutex mutex_;
  std::map<std::string, Holder, std::less<>> open_;
};

}  // namespace framewire::net
