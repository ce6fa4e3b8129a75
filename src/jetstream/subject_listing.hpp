// The subjects of a JetStream stream that hold messages, by filter: how a
// sink finds the framewire streams to read (<NAME>.frame.<tokens>) and the
// sinks alive beside it (their keys in the lease bucket's stream). One
// stream-info request; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framewire/status.hpp"
#include "jetstream/nats_handles.hpp"

namespace framewire::jetstream {

struct SubjectCount {
  std::string subject;
  std::uint64_t messages = 0;
};

// The subjects of JetStream stream `jetstream` matching `filter` (wildcards
// allowed), each with its number of messages, in no particular order.
// kBadStream when the JetStream stream does not exist (yet), kStorageError
// when JetStream cannot say.
Result<std::vector<SubjectCount>> list_subjects(jsCtx* js, const std::string& jetstream,
                                                const std::string& filter);

}  // namespace framewire::jetstream
