// What the library itself (tests, the coming /metrics) may read of a
// Receiver that its public API does not show. Not installed, not public.
//
// Threads: any thread, while the Receiver exists (the figures are atomics).
#pragma once

#include <asio/thread_pool.hpp>

#include "framewire/receiver.hpp"
#include "net/buffer_pool.hpp"

namespace framewire {

struct ReceiverInternals {
  // Read buffers queued for storage, and the buffer pool's bytes in use and
  // bound, summed over every connection.
  static net::PipelineGauges pipeline_gauges(const Receiver& receiver);
  // The storage thread pool, for tests that occupy it to play a slow disk.
  static asio::thread_pool& storage_pool(Receiver& receiver);
};

}  // namespace framewire
