// libFuzzer target for the receiver's per-connection state machine
// (net/ReceiverSession) on the real file store over a MemoryFileSystem (no
// disk, no /dev/shm): a StorageRoot per sync policy under "/fuzz" (made once
// per process) and one StreamRegistry. Each input becomes the byte stream of one connection, fed
// to consume() in chunks; then the session is destroyed and checked:
//   - every reply decodes cleanly with MessageDecoder(Peer::kServer) and ends
//     on a message boundary; nothing follows ERROR or GOODBYE; a closed session
//     said ERROR or GOODBYE last (unless the sender said ERROR);
//     FRAME_REJECTED codes are checksum_mismatch, conflict or storage_error;
//     ACKs name only opened streams and never go backwards;
//   - nothing appears next to the storage roots; below a root there are only
//     directories with valid segment names and regular files with valid file
//     names or manifest.jsonl, no symlink and no ".fwtmp-*" left over;
//   - the session released its stream names in the registry;
//   - in "ops" mode, where the harness writes well-formed frames itself: a
//     frame with a good checksum that is ACKed and not rejected is on disk
//     with exactly its bytes, and one with a bad checksum is never ACKed
//     without a FRAME_REJECTED.
// The roots are emptied between inputs.
//
// Input layout: byte 0 = options. Bits 0-1: 0 raw stream; 1-2 a valid HELLO +
// OPEN_STREAM(id 1, "fz/s") and then the raw stream; 3 the same prefix and
// then ops (see append_ops). Bits 2-3: how raw bytes are split into consume()
// calls. Bits 4-5: sync policy (none/batch/each). Bit 6: tiny flow-control
// window. Bit 7: call shut_down() at the end. Single-threaded, as libFuzzer
// calls it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <xxhash.h>

#include "net/receiver_session.hpp"
#include "net/stream_registry.hpp"
#include "protocol/message_decoder.hpp"
#include "protocol/message_encoder.hpp"
#include "protocol/messages.hpp"
#include "storage/memory_file_system.hpp"
#include "storage/safe_name.hpp"
#include "storage/stream_store.hpp"
#include "storage/temp_files.hpp"

namespace {

namespace net = framewire::net;
namespace protocol = framewire::protocol;
namespace storage = framewire::storage;
using framewire::ErrorCode;
using protocol::ByteBuffer;

constexpr std::uint64_t kMaxFrameBytes = 1 << 20;
constexpr std::string_view kPrefixStream = "fz/s";
constexpr std::uint32_t kPrefixStreamId = 1;
// Held in the registry for the whole run, as if another connection of another
// sender wrote it. A HELLO carrying kBusySender may try to take it over.
constexpr std::string_view kBusyStream = "fz/busy";
constexpr net::SenderId kBusySender = {0xb5, 0x5b, 0xb5, 0x5b, 0xb5, 0x5b, 0xb5, 0x5b,
                                       0xb5, 0x5b, 0xb5, 0x5b, 0xb5, 0x5b, 0xb5, 0x5b};
// The names ops mode opens; each must be free again after every input.
constexpr std::string_view kOpsStreams[] = {"fz/s", "fz/t", "fz/s/deeper", "other", "fz/busy"};
constexpr std::string_view kOpsFiles[] = {"0.png", "1.png", "a", "b.raw", "0.png", "c"};

[[noreturn]] void violated(const std::string& what) {
  std::fprintf(stderr, "receiver_session_fuzz: invariant violated: %s\n", what.c_str());
  std::abort();
}

void require(bool ok, const std::string& what) {
  if (!ok) violated(what);
}

// The process-wide fixture: a parent folder holding exactly the roots, in
// memory. Never destroyed (libFuzzer exits without unwinding).
struct World {
  storage::MemoryFileSystem files;
  std::string parent = "/fuzz";
  std::vector<std::string> roots;  // index = sync policy
  std::vector<std::unique_ptr<storage::StorageRoot>> stores;
  net::StreamRegistry registry;
};

World* world = nullptr;

World& get_world() {
  if (world != nullptr) return *world;
  world = new World;
  const storage::SyncPolicy policies[] = {storage::SyncPolicy::kNone, storage::SyncPolicy::kBatch,
                                          storage::SyncPolicy::kEach};
  for (std::size_t i = 0; i < std::size(policies); ++i) {
    world->roots.push_back(world->parent + "/root" + std::to_string(i));
    auto root = storage::StorageRoot::open(world->roots.back(), policies[i], world->files);
    if (!root) violated("cannot open a storage root: " + root.status().to_string());
    world->stores.push_back(std::move(root).value());
  }
  // Evicting the "other connection" is a no-op: it keeps the name, as a
  // connection that has not closed yet would.
  require(world->registry.try_acquire(kBusyStream, kBusySender, [] {}) ==
              net::StreamRegistry::Acquire::kAcquired,
          "cannot hold the busy stream");
  return *world;
}

// --- building the input stream ---------------------------------------------

struct SentFrame {
  std::uint32_t stream_id = 0;
  std::uint64_t sequence = 0;
  std::string file_name;
  ByteBuffer data;
  bool good_checksum = true;
};

struct Plan {
  std::vector<ByteBuffer> chunks;                     // one consume() call each
  std::map<std::uint32_t, std::string> opened_names;  // OPEN_STREAMs the harness sent
  std::vector<SentFrame> frames;                      // frames the harness wrote (ops mode)
  bool well_formed = true;  // the stream holds only what the harness wrote
};

void append_prefix(ByteBuffer& out, Plan& plan) {
  protocol::encode_message(protocol::Hello{.agent = "fuzz"}, out);
  protocol::encode_message(protocol::OpenStream{.stream_id = kPrefixStreamId,
                                                .name = std::string(kPrefixStream),
                                                .source_kind = "visible"},
                           out);
  plan.opened_names[kPrefixStreamId] = std::string(kPrefixStream);
}

// Splits raw bytes into consume() calls, deterministically from the input.
void append_raw(std::span<const std::uint8_t> raw, unsigned how, Plan& plan) {
  if (raw.empty()) return;
  if (how == 0) {
    plan.chunks.emplace_back(raw.begin(), raw.end());
    return;
  }
  std::uint32_t state = 0x2545f491u ^ static_cast<std::uint32_t>(raw.size() * 2654435761u);
  const std::size_t max_len = how == 1 ? 3 : how == 2 ? 64 : 4096;
  while (!raw.empty()) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    const std::size_t len = std::min<std::size_t>(raw.size(), 1 + state % max_len);
    plan.chunks.emplace_back(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(len));
    raw = raw.subspan(len);
  }
}

// Reads ops from `in` until it runs out. Each op is one byte (low 3 bits: the
// op) and its arguments:
//   0 FRAME good checksum: stream byte, file byte, length byte, data
//   1 FRAME bad checksum:  same
//   2 OPEN_STREAM: id byte, name byte
//   3 GOODBYE
//   4 end the current consume() call
//   5 raw bytes: length byte, bytes (anything may follow)
//   6 FRAME header and only part of its data (framing ends here)
//   7 ERROR from the sender
// The op byte's high bits pick the sequence: mostly the next one, sometimes a
// jump or a repeat.
void append_ops(std::span<const std::uint8_t> in, Plan& plan) {
  ByteBuffer current;
  std::map<std::uint32_t, std::uint64_t> next_seq;
  bool record_frames = true;
  auto take = [&in]() -> std::uint8_t {
    if (in.empty()) return 0;
    const std::uint8_t b = in.front();
    in = in.subspan(1);
    return b;
  };
  auto flush = [&]() {
    if (!current.empty()) plan.chunks.push_back(std::move(current));
    current.clear();
  };
  append_prefix(current, plan);
  while (!in.empty()) {
    const std::uint8_t op = take();
    switch (op & 7) {
      case 0:
      case 1:
      case 6: {
        SentFrame frame;
        frame.stream_id = 1 + take() % 3;
        frame.file_name = std::string(kOpsFiles[take() % std::size(kOpsFiles)]);
        const std::size_t length = std::min<std::size_t>(take(), in.size());
        frame.data.assign(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(length));
        in = in.subspan(length);
        std::uint64_t& seq = next_seq[frame.stream_id];
        switch (op >> 6) {
          case 1:
            seq += 1000;  // a gap is fine
            break;
          case 2:
            if (seq > 0) {
              seq -= 1;  // a repeat: kBadSequence, and the session ends
              // (stream, sequence) no longer names one frame, so the frames
              // from here on are not checked against the ACKs.
              record_frames = false;
            }
            break;
          default:
            break;
        }
        frame.sequence = seq++;
        frame.good_checksum = (op & 7) != 1;
        protocol::encode_message(protocol::FrameHeader{.stream_id = frame.stream_id,
                                                       .sequence = frame.sequence,
                                                       .capture_time_ns = 1,
                                                       .data_bytes = frame.data.size(),
                                                       .file_name = frame.file_name},
                                 current);
        if ((op & 7) == 6) {
          current.insert(current.end(), frame.data.begin(),
                         frame.data.begin() + static_cast<std::ptrdiff_t>(frame.data.size() / 2));
          plan.well_formed = false;
          flush();
          return;
        }
        current.insert(current.end(), frame.data.begin(), frame.data.end());
        std::uint64_t checksum = XXH3_64bits(frame.data.data(), frame.data.size());
        if (!frame.good_checksum) checksum ^= 1;
        protocol::encode_frame_checksum(checksum, current);
        if (record_frames) plan.frames.push_back(std::move(frame));
        break;
      }
      case 2: {
        const std::uint32_t id = 1 + take() % 3;
        const std::string name(kOpsStreams[take() % std::size(kOpsStreams)]);
        protocol::encode_message(
            protocol::OpenStream{.stream_id = id, .name = name, .source_kind = "infrared"},
            current);
        if (!plan.opened_names.contains(id)) plan.opened_names[id] = name;
        break;
      }
      case 3:
        protocol::encode_message(protocol::Goodbye{}, current);
        break;
      case 4:
        flush();
        break;
      case 5: {
        const std::size_t length = std::min<std::size_t>(take(), in.size());
        current.insert(current.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(length));
        in = in.subspan(length);
        plan.well_formed = false;
        break;
      }
      case 7:
        protocol::encode_message(protocol::ErrorMessage{.code = protocol::WireError::kInternal,
                                                        .message = "sender gives up"},
                                 current);
        break;
    }
  }
  flush();
}

// --- checking the replies ----------------------------------------------------

// Whether the sender's stream holds an ERROR (after which the receiver closes
// without a word), judged by decoding it as the session's own decoder would.
bool sender_may_have_said_error(const Plan& plan) {
  protocol::MessageDecoder decoder(protocol::Peer::kClient, {.max_frame_bytes = kMaxFrameBytes});
  for (const ByteBuffer& chunk : plan.chunks) {
    std::span<const std::uint8_t> input(chunk);
    for (;;) {
      protocol::DecodeEvent event = decoder.next(input);
      if (std::holds_alternative<protocol::NeedMore>(event)) break;
      if (std::holds_alternative<protocol::DecodeError>(event)) return false;
      const auto* message = std::get_if<protocol::Message>(&event);
      if (message != nullptr && std::holds_alternative<protocol::ErrorMessage>(*message)) {
        return true;
      }
    }
  }
  return false;
}

struct Replies {
  std::vector<protocol::Message> messages;
  std::set<std::uint32_t> opened;                // STREAM_OPENED ids
  std::map<std::uint32_t, std::uint64_t> acked;  // highest through_sequence
  std::set<std::pair<std::uint32_t, std::uint64_t>> rejected;
};

Replies check_replies(const ByteBuffer& out, bool closed, bool sender_said_error) {
  Replies replies;
  protocol::MessageDecoder decoder(protocol::Peer::kServer, {});
  std::span<const std::uint8_t> input(out);
  bool ended = false;  // an ERROR or GOODBYE was seen
  std::size_t boundary = 0;
  for (;;) {
    protocol::DecodeEvent event = decoder.next(input);
    if (const auto* error = std::get_if<protocol::DecodeError>(&event)) {
      violated("a reply does not decode: " + std::string(framewire::to_string(error->code)) + ": " +
               error->message);
    }
    if (std::holds_alternative<protocol::NeedMore>(event)) break;
    const auto* message = std::get_if<protocol::Message>(&event);
    require(message != nullptr, "replies hold frame data");
    boundary = out.size() - input.size();
    require(!ended, "a reply follows ERROR or GOODBYE");
    if (std::holds_alternative<protocol::ErrorMessage>(*message) ||
        std::holds_alternative<protocol::Goodbye>(*message)) {
      ended = true;
    }
    if (const auto* opened = std::get_if<protocol::StreamOpened>(message)) {
      require(replies.opened.insert(opened->stream_id).second, "STREAM_OPENED twice for an id");
    }
    if (const auto* rejected = std::get_if<protocol::FrameRejected>(message)) {
      require(rejected->code == protocol::WireError::kChecksumMismatch ||
                  rejected->code == protocol::WireError::kConflict ||
                  rejected->code == protocol::WireError::kStorageError,
              "FRAME_REJECTED with code " + protocol::to_string(rejected->code));
      require(replies.opened.contains(rejected->stream_id),
              "FRAME_REJECTED for a stream not opened");
      replies.rejected.emplace(rejected->stream_id, rejected->sequence);
    }
    if (const auto* ack = std::get_if<protocol::Ack>(message)) {
      for (const auto& entry : ack->entries) {
        require(replies.opened.contains(entry.stream_id), "ACK for a stream not opened");
        auto [it, first] = replies.acked.emplace(entry.stream_id, entry.through_sequence);
        require(first || entry.through_sequence >= it->second, "ACK goes backwards");
        it->second = entry.through_sequence;
      }
    }
    replies.messages.push_back(*message);
  }
  require(boundary == out.size(), "replies end inside a message");
  if (closed && !sender_said_error) require(ended, "closed without ERROR or GOODBYE");
  return replies;
}

// --- checking the disk -------------------------------------------------------

std::string base_name(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

void check_tree(const World& w) {
  std::vector<std::string> expected;
  for (const auto& root : w.roots) expected.push_back(base_name(root));
  require(w.files.list(w.parent) == expected,
          "something appeared next to the storage roots, or a root is gone");
  for (const auto& root : w.roots) {
    require(w.files.kind(root) == storage::EntryKind::kDirectory, "a root is not a directory");
    w.files.walk(root, [](const std::string& path, storage::EntryKind kind) {
      const std::string name = base_name(path);
      require(!name.starts_with(std::string(storage::kTempPrefix)),
              "temporary file left behind: " + path);
      if (kind == storage::EntryKind::kDirectory) {
        require(storage::validate_segment(name).is_ok(), "directory with a bad name: " + name);
      } else if (kind == storage::EntryKind::kRegular) {
        require(name == storage::kManifestFileName || storage::validate_file_name(name).is_ok(),
                "file with a bad name: " + path);
      } else {
        violated("neither file nor directory below the root: " + path);
      }
    });
  }
}

void empty_roots(World& w) {
  for (const auto& root : w.roots) {
    for (const auto& name : w.files.list(root)) w.files.remove_all(root + "/" + name);
  }
}

// Ops mode only: what the ACKs promise must be on disk.
void check_stored(const World& w, const Plan& plan, const Replies& replies,
                  const std::string& root) {
  for (const SentFrame& frame : plan.frames) {
    const auto acked = replies.acked.find(frame.stream_id);
    if (acked == replies.acked.end() || acked->second < frame.sequence) continue;
    const bool rejected = replies.rejected.contains({frame.stream_id, frame.sequence});
    if (!frame.good_checksum) {
      require(rejected, "a frame with a bad checksum was ACKed without FRAME_REJECTED");
      continue;
    }
    if (rejected) continue;
    const auto name = plan.opened_names.find(frame.stream_id);
    require(name != plan.opened_names.end(), "ACK for a stream the harness did not open");
    const auto on_disk = w.files.read(root + "/" + name->second + "/" + frame.file_name);
    require(on_disk.has_value(),
            "ACKed frame is not on disk: " + name->second + "/" + frame.file_name);
    require(*on_disk == frame.data,
            "ACKed frame on disk differs: " + name->second + "/" + frame.file_name);
  }
}

// FRAMEWIRE_FUZZ_VERBOSE=1 prints what an input did, for reading a reproducer.
bool verbose() {
  static const bool on = std::getenv("FRAMEWIRE_FUZZ_VERBOSE") != nullptr;
  return on;
}

void describe(const World& w, const Plan& plan, const Replies& replies, const std::string& root) {
  std::fprintf(stderr, "input: %zu consume() calls, %zu harness frames, well formed: %d\n",
               plan.chunks.size(), plan.frames.size(), plan.well_formed ? 1 : 0);
  for (const auto& message : replies.messages) {
    std::string line = "reply type " + std::to_string(static_cast<int>(protocol::type_of(message)));
    if (const auto* error = std::get_if<protocol::ErrorMessage>(&message)) {
      line += " ERROR " + protocol::to_string(error->code) + ": " + error->message;
    } else if (const auto* rejected = std::get_if<protocol::FrameRejected>(&message)) {
      line += " FRAME_REJECTED " + std::to_string(rejected->sequence) + " " +
              protocol::to_string(rejected->code);
    } else if (const auto* ack = std::get_if<protocol::Ack>(&message)) {
      for (const auto& entry : ack->entries) {
        line += " ACK " + std::to_string(entry.stream_id) + ":" +
                std::to_string(entry.through_sequence);
      }
    }
    std::fprintf(stderr, "  %s\n", line.c_str());
  }
  w.files.walk(root, [&](const std::string& path, storage::EntryKind) {
    std::fprintf(stderr, "  stored: %s\n", path.substr(root.size() + 1).c_str());
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  World& w = get_world();
  const std::uint8_t options = data[0];
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  const unsigned mode = options & 3;
  const std::size_t policy = ((options >> 4) & 3) % 3;
  const bool tiny_window = (options & 0x40) != 0;
  const bool shut_down = (options & 0x80) != 0;

  Plan plan;
  if (mode == 3) {
    append_ops(rest, plan);
  } else {
    plan.well_formed = false;
    if (mode != 0) {
      ByteBuffer prefix;
      append_prefix(prefix, plan);
      plan.chunks.push_back(std::move(prefix));
    }
    append_raw(rest, (options >> 2) & 3, plan);
  }

  net::SessionContext context{.storage = w.stores[policy].get(),
                              .registry = &w.registry,
                              .limits = {.max_frame_bytes = kMaxFrameBytes,
                                         .window_bytes = tiny_window ? 100u : 8u << 20,
                                         .window_frames = tiny_window ? 2u : 64u,
                                         .max_streams = 2}};
  ByteBuffer out;
  bool closed = false;
  {
    net::ReceiverSession session(context, "fuzz");
    for (const ByteBuffer& chunk : plan.chunks) {
      // Each call gets a buffer of its own size, so ASan sees overreads.
      const std::vector<std::uint8_t> copy(chunk);
      session.consume(copy, out);
      if (session.closed()) break;
    }
    if (shut_down) session.shut_down(out);
    closed = session.closed();
  }

  const Replies replies = check_replies(out, closed, sender_may_have_said_error(plan));
  check_tree(w);
  if (verbose()) describe(w, plan, replies, w.roots[policy]);
  if (mode == 3 && plan.well_formed) check_stored(w, plan, replies, w.roots[policy]);
  for (const std::string_view name : kOpsStreams) {
    if (name == kBusyStream) continue;
    // An anonymous probe never evicts anybody.
    require(w.registry.try_acquire(name, net::SenderId{}, {}) ==
                net::StreamRegistry::Acquire::kAcquired,
            "stream name still held after the session: " + std::string(name));
    w.registry.release(name);
  }
  require(w.registry.try_acquire(kBusyStream, net::SenderId{}, {}) ==
              net::StreamRegistry::Acquire::kBusy,
          "another connection's stream was released");
  empty_roots(w);
  return 0;
}
