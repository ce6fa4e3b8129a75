// FrameFeedRegistry: the receiver's observer that hands each newly stored
// frame (FrameStored without already_stored) to every subscribed FrameFeed.
// It sits in the receiver's Fanout, which is fixed once built; feeds come and
// go behind its own lock, so subscribing while the receiver runs is safe.
//
// Threads: on_event() from the receiver's network and storage threads;
// subscribe(), release_all() and close_all() from any thread. The list of
// feeds is behind `mutex_`; feeds are held weakly (a feed its consumer let go
// of is pruned) and are offered frames outside that lock, so a storing thread
// waiting on a full lossless feed never holds up subscribe() or stop().
//
// The one exception to the Observer contract (observer.hpp, on_event never
// waits): a lossless feed, whose consumer asked for storage to wait for it.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "framewire/frame_feed.hpp"
#include "observe/observer.hpp"

namespace framewire::net {

class FrameFeedRegistry final : public observe::Observer {
 public:
  // `root`: the storage root, made absolute here (against the current
  // directory) for the frames' paths.
  explicit FrameFeedRegistry(const std::string& root);

  void on_event(const observe::Event& event) override;

  // A new feed of the frames stored from now on. Once close_all() was called
  // it is closed at once; after release_all(), it is released at once.
  std::shared_ptr<FrameFeed> subscribe(const FrameFeedOptions& options);
  // The receiver is stopping: no storing thread waits on a feed any more.
  // Called before the receiver waits for its in-flight storage jobs.
  void release_all();
  // The receiver has ended: every feed is closed (its queued frames can
  // still be taken), and so is every later one.
  void close_all();

 private:
  std::vector<std::shared_ptr<FrameFeed>> live_feeds();

  const std::string root_;
  std::mutex mutex_;
  std::vector<std::weak_ptr<FrameFeed>> feeds_;  // guarded by mutex_
  bool released_ = false;                        // guarded by mutex_
  bool closed_ = false;                          // guarded by mutex_
};

}  // namespace framewire::net
