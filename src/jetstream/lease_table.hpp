// Exclusive, expiring leases on keys of a JetStream key-value bucket: how
// framewire keeps ONE writer per framewire stream across any number of
// receivers (bucket <NAME>_writers), and one sink per stream across sink
// instances (<NAME>_sinks). A lease is created only where none exists
// (kvStore_Create), kept alive by a compare-and-set on its revision every
// ttl/4 (kvStore_Update), and expires with the bucket's TTL when its holder
// dies; released, it gets a delete marker that is itself conditional on our
// revision, so a holder that already lost its lease never deletes another's.
//
// Threading: acquire() from any thread; a Lease is held by one owner but
// held() may be asked from any thread; the table's own thread refreshes.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "framewire/status.hpp"
#include "jetstream/nats_client.hpp"

namespace framewire::jetstream {

class LeaseTable;

class Lease {
 public:
  ~Lease();  // releases the key if it is still ours
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  // False once the lease could not be renewed in time or was taken: the
  // holder must stop writing at once.
  bool held() const;
  const std::string& key() const { return key_; }

 private:
  friend class LeaseTable;
  Lease(LeaseTable& table, std::string key, std::uint64_t revision);

  LeaseTable& table_;
  const std::string key_;
  // Set false by the table's thread when the lease is lost for certain.
  std::atomic<bool> held_ = true;
  // The last renewal, steady clock nanoseconds: past half the TTL the holder
  // stops by itself, even while a renewal is still hanging.
  std::atomic<std::int64_t> renewed_at_ns_;
  // Written by the table's thread (renewals) and read at release, under the
  // table's mutex.
  std::uint64_t revision_ = 0;
};

class LeaseTable {
 public:
  // Opens (creating if missing) bucket `bucket` with `ttl` and `replicas`.
  // Leases expire by the TTL of the bucket as it exists, so a bucket made
  // earlier with another TTL is renewed by that one: ttl() says which.
  // `owner` is stored as each lease's value, for the message a refused
  // acquirer gets. The client must outlive the table.
  static Result<std::unique_ptr<LeaseTable>> open(NatsClient& client, const std::string& bucket,
                                                  int replicas, std::chrono::milliseconds ttl,
                                                  std::string owner);
  ~LeaseTable();  // every Lease must be gone
  LeaseTable(const LeaseTable&) = delete;
  LeaseTable& operator=(const LeaseTable&) = delete;

  // Takes `key` (a KV key: subjects.hpp stream_tokens()). kStreamBusy with
  // the holder's description when another holds it; kStorageError when NATS
  // cannot say.
  Result<std::unique_ptr<Lease>> acquire(const std::string& key, std::string_view what);

  // Whether anybody holds `key` now (a sink asks before it takes work).
  Result<bool> taken(const std::string& key);

  std::chrono::milliseconds ttl() const { return ttl_; }

 private:
  friend class Lease;
  LeaseTable(NatsClient& client, KvHandle kv, std::string bucket, std::chrono::milliseconds ttl,
             std::string owner);
  void renew_loop();
  void release(Lease& lease);

  NatsClient& client_;
  KvHandle kv_;
  const std::string bucket_;
  const std::chrono::milliseconds ttl_;
  const std::string owner_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<Lease*> leases_;  // held, not yet released
  std::thread renewer_;
};

}  // namespace framewire::jetstream
