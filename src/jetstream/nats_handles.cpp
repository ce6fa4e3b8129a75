// libnats errors as Status (nats_handles.hpp). Any thread.
#include "jetstream/nats_handles.hpp"

#include <fmt/format.h>

namespace framewire::jetstream {

bool is_transient(natsStatus status) {
  switch (status) {
    case NATS_TIMEOUT:
    case NATS_NO_RESPONDERS:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION:
    case NATS_INSUFFICIENT_BUFFER:
    case NATS_IO_ERROR:
    case NATS_NO_SERVER:
      return true;
    default:
      return false;
  }
}

Status nats_status(natsStatus status, std::string_view what, int js_error, ErrorCode code) {
  std::string message = fmt::format("{}: {}", what, natsStatus_GetText(status));
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  if (detail != nullptr && *detail != '\0' && last == status) {
    message += fmt::format(" ({})", detail);
  }
  if (js_error != 0) message += fmt::format(" [JetStream error {}]", js_error);
  if (code == ErrorCode::kStorageError && js_error == 0 && is_transient(status)) {
    code = ErrorCode::kTimeout;
  }
  return Status(code, std::move(message));
}

std::string_view header(natsMsg* msg, const char* key) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, key, &value) != NATS_OK || value == nullptr) return {};
  return value;
}

}  // namespace framewire::jetstream
