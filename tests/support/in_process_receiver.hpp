// GoogleTest fixture for tests that drive a real framewire::Sender against a
// framewire::Receiver in the same process: the receiver listens on 127.0.0.1
// (a free port), stores under a fresh temp folder's root/, and runs on a
// thread of its own from SetUp() to TearDown(). Test-only; the test's thread.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "framewire/receiver.hpp"
#include "framewire/sender.hpp"
#include "support/temp_dir.hpp"

namespace framewire::test {

class InProcessReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.valid());
    auto receiver = Receiver::create(
        ReceiverOptions{.root = root_, .log_interval = std::chrono::milliseconds(0)});
    ASSERT_TRUE(receiver) << receiver.status().to_string();
    receiver_ = std::move(receiver).value();
    thread_ = std::thread([this] { receiver_->run(); });
  }
  void TearDown() override {
    if (!receiver_) return;
    receiver_->stop();
    thread_.join();
  }

  // Options of a Sender to this receiver that retries for 10 s.
  SenderOptions sender_options() const {
    SenderOptions options;
    options.to = receiver_->local_address();
    options.retry_for = std::chrono::seconds(10);
    return options;
  }

  TempDir dir_{"in-process"};
  std::string root_ = dir_ / "root";
  std::unique_ptr<Receiver> receiver_;
  std::thread thread_;
};

}  // namespace framewire::test
