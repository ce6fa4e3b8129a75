// Encoders for wire protocol v1: each appends one whole message (envelope and
// body) to `out`. Pure functions; callable from any thread.
//
// Preconditions: string fields are within the caps of messages.hpp (the
// encoders truncate error texts to kMaxErrorTextBytes and otherwise trust the
// caller; the decoder on the other side enforces every cap).
#pragma once

#include <cstdint>
#include <vector>

#include "protocol/messages.hpp"

namespace framewire::protocol {

using ByteBuffer = std::vector<std::uint8_t>;

void encode_message(const Message& message, ByteBuffer& out);

// A FRAME on the wire is encode_message(FrameHeader), then header.data_bytes
// bytes of data, then encode_frame_checksum(xxh3_64 of the data).
void encode_frame_checksum(std::uint64_t checksum, ByteBuffer& out);

// Big-endian helpers, also used by the decoder and tests.
void put_u16(ByteBuffer& out, std::uint16_t v);
void put_u32(ByteBuffer& out, std::uint32_t v);
void put_u64(ByteBuffer& out, std::uint64_t v);
std::uint16_t get_u16(const std::uint8_t* p);
std::uint32_t get_u32(const std::uint8_t* p);
std::uint64_t get_u64(const std::uint8_t* p);

}  // namespace framewire::protocol
