// Owning handles on libnats objects (a C library: every object has its own
// destroy function), and the translation of its errors into Status. Holds no
// state of its own; a handle belongs to whoever holds it.
#pragma once

#include <nats/nats.h>

#include <memory>
#include <string>
#include <string_view>

#include "framewire/status.hpp"

namespace framewire::jetstream {

template <typename T, void (*Destroy)(T*)>
struct NatsDeleter {
  void operator()(T* object) const {
    if (object != nullptr) Destroy(object);
  }
};

using ConnectionHandle =
    std::unique_ptr<natsConnection, NatsDeleter<natsConnection, natsConnection_Destroy>>;
using OptionsHandle = std::unique_ptr<natsOptions, NatsDeleter<natsOptions, natsOptions_Destroy>>;
using JsHandle = std::unique_ptr<jsCtx, NatsDeleter<jsCtx, jsCtx_Destroy>>;
using MsgHandle = std::unique_ptr<natsMsg, NatsDeleter<natsMsg, natsMsg_Destroy>>;
using KvHandle = std::unique_ptr<kvStore, NatsDeleter<kvStore, kvStore_Destroy>>;
using KvEntryHandle = std::unique_ptr<kvEntry, NatsDeleter<kvEntry, kvEntry_Destroy>>;
using StreamInfoHandle =
    std::unique_ptr<jsStreamInfo, NatsDeleter<jsStreamInfo, jsStreamInfo_Destroy>>;
using SubscriptionHandle =
    std::unique_ptr<natsSubscription, NatsDeleter<natsSubscription, natsSubscription_Destroy>>;
using MetaDataHandle =
    std::unique_ptr<jsMsgMetaData, NatsDeleter<jsMsgMetaData, jsMsgMetaData_Destroy>>;

// JetStream API error codes framewire tells apart (the server's "err_code").
inline constexpr int kJsErrWrongLastSequence = 10071;  // an expected-last-* header did not hold
inline constexpr int kJsErrNoMessageFound = 10037;
inline constexpr int kJsErrStreamNotFound = 10059;
inline constexpr int kJsErrInsufficientResources = 10023;
inline constexpr int kJsErrStorageResourcesExceeded = 10047;
inline constexpr int kJsErrMaximumBytes = 10054;  // unused by 2.9 for messages; kept for clarity

// A failed libnats call as a Status: `what` says what framewire was doing,
// then libnats' own words (its thread-local last error when it has one) and
// the JetStream error code when the server gave one. A failure that goes
// away by itself (no answer in time, no responders while a cluster elects a
// leader, a connection being re-established) is kTimeout, which callers may
// retry; anything else is kStorageError unless `code` says otherwise.
Status nats_status(natsStatus status, std::string_view what, int js_error = 0,
                   ErrorCode code = ErrorCode::kStorageError);

bool is_transient(natsStatus status);

// A header of `msg`, or "" when absent.
std::string_view header(natsMsg* msg, const char* key);

}  // namespace framewire::jetstream
