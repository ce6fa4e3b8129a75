// Leases in a key-value bucket (lease_table.hpp). The renewer thread owns the
// renewals; every Lease field it writes is under mutex_ (held_ is atomic for
// the holder's quick check).
#include "jetstream/lease_table.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace framewire::jetstream {

namespace {

constexpr std::chrono::seconds kStartPatience{15};

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool is_wrong_last_sequence() {
  natsStatus ignored = NATS_OK;
  const char* detail = nats_GetLastError(&ignored);
  return detail != nullptr &&
         std::string_view(detail).find("wrong last sequence") != std::string_view::npos;
}

}  // namespace

Lease::Lease(LeaseTable& table, std::string key, std::uint64_t revision)
    : table_(table), key_(std::move(key)), renewed_at_ns_(steady_ns()), revision_(revision) {}

bool Lease::held() const {
  const auto half_life = std::chrono::duration_cast<std::chrono::nanoseconds>(table_.ttl() / 2);
  return held_.load() && steady_ns() - renewed_at_ns_.load() < half_life.count();
}

Lease::~Lease() {
  table_.release(*this);
}

Result<std::unique_ptr<LeaseTable>> LeaseTable::open(NatsClient& client, const std::string& bucket,
                                                     int replicas, std::chrono::milliseconds ttl,
                                                     std::string owner) {
  kvConfig config;
  kvConfig_Init(&config);
  config.Bucket = bucket.c_str();
  config.Description = "framewire leases (docs/SCALE.md)";
  config.History = 1;
  config.TTL = std::chrono::duration_cast<std::chrono::nanoseconds>(ttl).count();
  config.StorageType = js_FileStorage;
  config.Replicas = replicas;
  kvStore* raw = nullptr;
  // A cluster electing a leader (a node just died) answers nothing for a few
  // seconds: waited out rather than failing a receiver or sink at start.
  const auto patience = std::chrono::steady_clock::now() + kStartPatience;
  natsStatus s = js_CreateKeyValue(&raw, client.js(), &config);
  while (s != NATS_OK && is_transient(s) && std::chrono::steady_clock::now() < patience) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    s = js_CreateKeyValue(&raw, client.js(), &config);
  }
  if (s != NATS_OK) {
    Status created = nats_status(s, fmt::format("cannot create the key-value bucket {}", bucket));
    // It exists already (perhaps with other settings): bind to it.
    s = js_KeyValue(&raw, client.js(), bucket.c_str());
    if (s != NATS_OK) return created;
    // Leases expire by the bucket's TTL, whatever this process was told, so
    // they are renewed by it too.
    jsStreamInfo* info = nullptr;
    const std::string kv_stream = "KV_" + bucket;
    if (js_GetStreamInfo(&info, client.js(), kv_stream.c_str(), nullptr, nullptr) == NATS_OK) {
      StreamInfoHandle held(info);
      if (info->Config != nullptr && info->Config->MaxAge > 0) {
        const auto existing = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::nanoseconds(info->Config->MaxAge));
        ttl = existing;
      }
    }
  }
  std::unique_ptr<LeaseTable> table(
      new LeaseTable(client, KvHandle(raw), bucket, ttl, std::move(owner)));
  table->renewer_ = std::thread([t = table.get()] { t->renew_loop(); });
  return table;
}

LeaseTable::LeaseTable(NatsClient& client, KvHandle kv, std::string bucket,
                       std::chrono::milliseconds ttl, std::string owner)
    : client_(client),
      kv_(std::move(kv)),
      bucket_(std::move(bucket)),
      ttl_(ttl),
      owner_(std::move(owner)) {}

LeaseTable::~LeaseTable() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (renewer_.joinable()) renewer_.join();
}

Result<std::unique_ptr<Lease>> LeaseTable::acquire(const std::string& key, std::string_view what) {
  uint64_t revision = 0;
  natsStatus s = kvStore_Create(&revision, kv_.get(), key.c_str(), owner_.data(),
                                static_cast<int>(owner_.size()));
  if (s != NATS_OK) {
    if (!is_wrong_last_sequence())
      return nats_status(s, fmt::format("cannot take the lease on {}", what));
    std::string holder = "another process";
    kvEntry* entry = nullptr;
    if (kvStore_Get(&entry, kv_.get(), key.c_str()) == NATS_OK) {
      KvEntryHandle held(entry);
      holder = std::string(static_cast<const char*>(kvEntry_Value(entry)),
                           static_cast<std::size_t>(kvEntry_ValueLen(entry)));
    }
    return Status(ErrorCode::kStreamBusy,
                  fmt::format("{} is being written by {} (its lease expires {} s after it stops "
                              "renewing it)",
                              what, holder, std::chrono::duration<double>(ttl_).count()));
  }
  std::unique_ptr<Lease> lease(new Lease(*this, key, revision));
  std::lock_guard lock(mutex_);
  leases_.push_back(lease.get());
  return lease;
}

Result<bool> LeaseTable::taken(const std::string& key) {
  kvEntry* entry = nullptr;
  natsStatus s = kvStore_Get(&entry, kv_.get(), key.c_str());
  KvEntryHandle held(entry);
  if (s == NATS_NOT_FOUND) return false;
  if (s != NATS_OK) return nats_status(s, fmt::format("cannot read lease {}", key));
  return kvEntry_Operation(entry) == kvOp_Put;
}

void LeaseTable::release(Lease& lease) {
  std::uint64_t revision = 0;
  {
    std::lock_guard lock(mutex_);
    leases_.erase(std::remove(leases_.begin(), leases_.end(), &lease), leases_.end());
    revision = lease.revision_;
  }
  if (!lease.held()) return;
  // A delete marker, only if the key is still at our revision (what
  // kvStore_Delete does, made conditional).
  const std::string subject = fmt::format("$KV.{}.{}", bucket_, lease.key());
  natsMsg* raw = nullptr;
  if (natsMsg_Create(&raw, subject.c_str(), nullptr, nullptr, 0) != NATS_OK) return;
  MsgHandle msg(raw);
  natsMsgHeader_Set(raw, "KV-Operation", "DEL");
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.ExpectLastSubjectSeq = revision;
  jsPubAck* ack = nullptr;
  jsErrCode js_error{};
  // Failure is harmless: the lease then expires with the bucket's TTL.
  if (js_PublishMsg(&ack, client_.js(), raw, &options, &js_error) == NATS_OK) {
    jsPubAck_Destroy(ack);
  }
}

void LeaseTable::renew_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, ttl_ / 4, [&] { return stopping_; });
    if (stopping_) break;
    // Renew one at a time, releasing the lock around the network call (a
    // holder releasing its lease meanwhile is taken out of leases_ first).
    const std::vector<Lease*> leases = leases_;
    for (Lease* lease : leases) {
      if (std::find(leases_.begin(), leases_.end(), lease) == leases_.end()) continue;
      if (!lease->held()) continue;
      const std::string key = lease->key();
      const std::uint64_t revision = lease->revision_;
      lock.unlock();
      std::uint64_t renewed = 0;
      const natsStatus s = kvStore_Update(&renewed, kv_.get(), key.c_str(), owner_.data(),
                                          static_cast<int>(owner_.size()), revision);
      const bool taken = s != NATS_OK && is_wrong_last_sequence();
      lock.lock();
      if (std::find(leases_.begin(), leases_.end(), lease) == leases_.end()) continue;
      if (s == NATS_OK) {
        lease->revision_ = renewed;
        lease->renewed_at_ns_ = steady_ns();
      } else if (taken) {
        // Expired and taken by another, or expired: stop writing. (A renewal
        // that merely failed leaves the lease to held()'s half-life rule.)
        lease->held_ = false;
      }
    }
  }
}

}  // namespace framewire::jetstream
