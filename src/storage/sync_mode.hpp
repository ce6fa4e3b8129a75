// The public SyncMode (receiver.hpp, sink.hpp) as the file store's
// SyncPolicy: one mapping for every program that opens a StorageRoot.
// Pure; any thread.
#pragma once

#include "framewire/receiver.hpp"
#include "storage/storage.hpp"

namespace framewire::storage {

inline SyncPolicy to_sync_policy(SyncMode mode) {
  switch (mode) {
    case SyncMode::kNone:
      return SyncPolicy::kNone;
    case SyncMode::kEach:
      return SyncPolicy::kEach;
    case SyncMode::kBatch:
      break;
  }
  return SyncPolicy::kBatch;
}

}  // namespace framewire::storage
