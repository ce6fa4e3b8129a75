// GoogleTest fixture for tests that run a real `framewire serve`: a fresh
// temp folder BASE holding logs/ (process output), data/ (source frames) and
// root/ (the receiver's root), helpers to generate frames and start the
// server, and checks at the end of every test: the server stops on SIGTERM
// with exit code 0, the root holds no temporary leftover or symlink, and
// nothing appeared in BASE next to root/ (no write escaped the root).
// Test-only; the test's thread.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "support/file_tree.hpp"
#include "support/framewire_processes.hpp"
#include "support/manifest_check.hpp"
#include "support/temp_dir.hpp"

namespace framewire::test {

class ReceiverFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(base_.valid()) << "cannot create a temp dir";
    std::filesystem::create_directories(logs_);
    std::filesystem::create_directories(data_);
  }

  void TearDown() override {
    if (serve_ && serve_->running()) {
      EXPECT_TRUE(serve_->stop());
    }
    if (std::filesystem::exists(root_)) {
      EXPECT_TRUE(tree_is_clean(root_, allowed_links_));
    }
    std::set<std::string> expected{"logs", "data"};
    if (std::filesystem::exists(root_)) expected.insert("root");
    expected.insert(extra_base_entries_.begin(), extra_base_entries_.end());
    EXPECT_TRUE(only_entries(base_.path(), expected));
    if (HasFailure() && serve_) {
      std::string log = serve_->log();
      if (log.size() > 8000) log = "..." + log.substr(log.size() - 8000);
      std::cerr << "---- framewire serve log (tail) ----\n" << log << "----\n";
    }
  }

  // Starts `framewire serve --root root/ --listen 127.0.0.1:0 EXTRA...`.
  testing::AssertionResult start_serve(const std::vector<std::string>& extra = {}) {
    serve_ = std::make_unique<ServeProcess>(logs_);
    return serve_->start(root_, extra);
  }

  // Generates frames into data/NAME and returns that path.
  testing::AssertionResult gen(const std::string& kind, std::uint64_t count,
                               const std::string& name,
                               const std::vector<std::string>& extra = {}) {
    return generate_frames(kind, count, data_ + "/" + name, logs_, extra);
  }
  std::string data(const std::string& name) const { return data_ + "/" + name; }
  std::string stored(const std::string& stream) const { return root_ + "/" + stream; }

  SendResult send(const std::vector<StreamArg>& streams, bool json = false,
                  const std::vector<std::string>& extra = {}) {
    return run_send(serve_->address(), streams, logs_, json, extra);
  }

  TempDir base_{"it"};
  std::string logs_ = base_ / "logs";
  std::string data_ = base_ / "data";
  std::string root_ = base_ / "root";
  std::unique_ptr<ServeProcess> serve_;
  std::set<std::string> allowed_links_;       // symlinks a test planted in the root
  std::set<std::string> extra_base_entries_;  // folders a test made next to the root
};

}  // namespace framewire::test
