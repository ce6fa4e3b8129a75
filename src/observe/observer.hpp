// The receiver's observer: every event of events.hpp is handed to it as it
// happens, from the receiver's network thread or from a storage thread.
//
// The contract that keeps storage fast: on_event() must return at once. It
// may take a short lock to update counters or to put the event in a bounded
// queue (dropping the oldest), never wait for a consumer, a socket or a disk.
// A slow consumer (a browser) loses old events and is told how many; it
// never holds back a sender.
//
// One documented exception: a lossless FrameFeed (net/frame_feed_registry.hpp),
// whose consumer asked for storage to wait for it; the receiver's stop()
// releases it before waiting for its storage threads.
#pragma once

#include <memory>
#include <vector>

#include "observe/events.hpp"

namespace framewire::observe {

class Observer {
 public:
  virtual ~Observer() = default;
  // Thread-safe; called concurrently from several threads.
  virtual void on_event(const Event& event) = 0;
};

// Hands each event to several observers in turn. Fixed once built, so the
// list itself needs no lock.
class Fanout final : public Observer {
 public:
  explicit Fanout(std::vector<Observer*> observers) : observers_(std::move(observers)) {}
  void on_event(const Event& event) override {
    for (Observer* observer : observers_) observer->on_event(event);
  }

 private:
  std::vector<Observer*> observers_;
};

}  // namespace framewire::observe
