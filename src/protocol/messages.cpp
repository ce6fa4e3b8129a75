// The one function messages.hpp declares beside its structs: which wire type
// a Message alternative travels as. Pure; any thread.
#include "protocol/messages.hpp"

namespace framewire::protocol {

MessageType type_of(const Message& message) {
  struct Visitor {
    MessageType operator()(const Hello&) const { return MessageType::kHello; }
    MessageType operator()(const HelloOk&) const { return MessageType::kHelloOk; }
    MessageType operator()(const OpenStream&) const { return MessageType::kOpenStream; }
    MessageType operator()(const StreamOpened&) const { return MessageType::kStreamOpened; }
    MessageType operator()(const FrameHeader&) const { return MessageType::kFrame; }
    MessageType operator()(const Ack&) const { return MessageType::kAck; }
    MessageType operator()(const FrameRejected&) const { return MessageType::kFrameRejected; }
    MessageType operator()(const ErrorMessage&) const { return MessageType::kError; }
    MessageType operator()(const Goodbye&) const { return MessageType::kGoodbye; }
  };
  return std::visit(Visitor{}, message);
}

}  // namespace framewire::protocol
