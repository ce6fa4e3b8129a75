// MemoryFileSystem (memory_file_system.hpp): a tree of nodes behind one mutex.
// Handles hold their node (shared_ptr), so an open file survives the unlink or
// rename of its name the way an inode does.
#include "storage/memory_file_system.hpp"

#include <errno.h>

#include <algorithm>
#include <array>
#include <map>
#include <utility>

namespace framewire::storage {

struct MemoryFileSystem::Node {
  EntryKind kind = EntryKind::kDirectory;
  std::map<std::string, std::shared_ptr<Node>, std::less<>> children;  // directories
  std::vector<std::uint8_t> data;                                      // regular files
  std::string target;                                                  // symlinks
  bool removed = false;  // a directory whose name is gone: nothing new in it
};

struct MemoryFileSystem::State {
  mutable std::mutex mutex;
  std::shared_ptr<Node> root = std::make_shared<Node>();
  std::vector<Fault> faults;
  std::uint64_t faults_hit = 0;
  std::array<std::uint64_t, 10> calls{};

  // Counts the call and returns the errno of the first matching fault, or 0.
  // Called with `mutex` held.
  int check(Op op, std::string_view path) {
    ++calls[static_cast<std::size_t>(op)];
    for (auto it = faults.begin(); it != faults.end(); ++it) {
      if (it->op != op || path.find(it->path_contains) == std::string_view::npos) continue;
      if (it->skip > 0) {
        --it->skip;
        continue;
      }
      const int error = it->error;
      if (it->times != kForever && --it->times == 0) faults.erase(it);
      ++faults_hit;
      return error;
    }
    return 0;
  }

  // The node at absolute `path` ("/a/b"; "" or "/" is the root), without
  // following symlinks; null if missing.
  std::shared_ptr<Node> lookup(std::string_view path) const {
    std::shared_ptr<Node> node = root;
    std::size_t start = 0;
    while (start < path.size()) {
      std::size_t end = path.find('/', start);
      if (end == std::string_view::npos) end = path.size();
      const std::string_view segment = path.substr(start, end - start);
      start = end + 1;
      if (segment.empty()) continue;
      if (node->kind != EntryKind::kDirectory) return nullptr;
      const auto found = node->children.find(segment);
      if (found == node->children.end()) return nullptr;
      node = found->second;
    }
    return node;
  }

  // Splits "/a/b/c" into the parent node "/a/b" (created as directories when
  // `create`) and "c". Null parent when a segment is not a directory.
  std::pair<std::shared_ptr<Node>, std::string> parent_of(std::string_view path, bool create) {
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    const std::size_t slash = path.rfind('/');
    const std::string_view dir = slash == std::string_view::npos ? "" : path.substr(0, slash);
    std::string leaf(slash == std::string_view::npos ? path : path.substr(slash + 1));
    std::shared_ptr<Node> node = root;
    std::size_t start = 0;
    while (start < dir.size()) {
      std::size_t end = dir.find('/', start);
      if (end == std::string_view::npos) end = dir.size();
      const std::string segment(dir.substr(start, end - start));
      start = end + 1;
      if (segment.empty()) continue;
      auto found = node->children.find(segment);
      if (found == node->children.end()) {
        if (!create) return {nullptr, leaf};
        found = node->children.emplace(segment, std::make_shared<Node>()).first;
      }
      if (found->second->kind != EntryKind::kDirectory) return {nullptr, leaf};
      node = found->second;
    }
    return {node, leaf};
  }
};

namespace {

std::string join(const std::string& dir, std::string_view name) {
  std::string path = dir == "/" ? std::string() : dir;
  path += '/';
  path += name;
  return path;
}

void mark_removed(MemoryFileSystem::Node& node) {
  node.removed = true;
  for (auto& [name, child] : node.children) mark_removed(*child);
}

}  // namespace

using Op = MemoryFileSystem::Op;

class MemoryFile final : public File {
 public:
  MemoryFile(MemoryFileSystem::State& fs, std::shared_ptr<MemoryFileSystem::Node> node,
             std::string path, bool append)
      : fs_(fs), node_(std::move(node)), path_(std::move(path)), append_(append) {}

  int write(std::span<const std::uint8_t> bytes) override {
    const std::lock_guard lock(fs_.mutex);
    if (const int error = fs_.check(Op::kWrite, path_); error != 0) return error;
    if (node_->kind != EntryKind::kRegular) return EBADF;
    std::vector<std::uint8_t>& data = node_->data;
    if (append_) offset_ = data.size();
    if (data.size() < offset_ + bytes.size()) data.resize(offset_ + bytes.size());
    std::copy(bytes.begin(), bytes.end(), data.begin() + static_cast<std::ptrdiff_t>(offset_));
    offset_ += bytes.size();
    return 0;
  }

  long read_at(void* buffer, std::size_t size, std::uint64_t offset) override {
    const std::lock_guard lock(fs_.mutex);
    if (const int error = fs_.check(Op::kRead, path_); error != 0) return -error;
    if (node_->kind == EntryKind::kDirectory) return -EISDIR;
    const std::vector<std::uint8_t>& data = node_->data;
    if (offset >= data.size()) return 0;
    const std::size_t n = std::min<std::size_t>(size, data.size() - offset);
    std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(offset), n,
                static_cast<std::uint8_t*>(buffer));
    return static_cast<long>(n);
  }

  int sync() override {
    const std::lock_guard lock(fs_.mutex);
    return fs_.check(Op::kSync, path_);
  }

  int truncate(std::uint64_t size) override {
    const std::lock_guard lock(fs_.mutex);
    if (const int error = fs_.check(Op::kTruncate, path_); error != 0) return error;
    if (node_->kind != EntryKind::kRegular) return EINVAL;
    node_->data.resize(static_cast<std::size_t>(size));
    return 0;
  }

  int stat(std::uint64_t& size, EntryKind& kind) override {
    const std::lock_guard lock(fs_.mutex);
    size = node_->kind == EntryKind::kRegular ? node_->data.size() : 4096;
    kind = node_->kind;
    return 0;
  }

 private:
  MemoryFileSystem::State& fs_;
  std::shared_ptr<MemoryFileSystem::Node> node_;
  std::string path_;
  bool append_ = false;
  std::uint64_t offset_ = 0;
};

class MemoryDirectory final : public Directory {
 public:
  MemoryDirectory(MemoryFileSystem::State& fs, std::shared_ptr<MemoryFileSystem::Node> node,
                  std::string path)
      : fs_(fs), node_(std::move(node)), path_(std::move(path)) {}

  int open_dir(const char* name, std::unique_ptr<Directory>& out) override {
    const std::lock_guard lock(fs_.mutex);
    const std::string path = join(path_, name);
    if (const int error = fs_.check(Op::kOpen, path); error != 0) return error;
    const auto child = find(name);
    if (!child) return ENOENT;
    // Linux answers ENOTDIR, not ELOOP, when O_DIRECTORY|O_NOFOLLOW meets a
    // symlink; the caller tells the two apart with kind_of().
    if (child->kind != EntryKind::kDirectory) return ENOTDIR;
    out = std::make_unique<MemoryDirectory>(fs_, child, path);
    return 0;
  }

  int make_dir(const char* name) override {
    const std::lock_guard lock(fs_.mutex);
    if (const int error = fs_.check(Op::kMakeDir, join(path_, name)); error != 0) return error;
    if (node_->removed) return ENOENT;
    if (find(name)) return EEXIST;
    node_->children.emplace(name, std::make_shared<MemoryFileSystem::Node>());
    return 0;
  }

  int kind_of(const char* name, EntryKind& kind) override {
    const std::lock_guard lock(fs_.mutex);
    const auto child = find(name);
    if (!child) return ENOENT;
    kind = child->kind;
    return 0;
  }

  int create_new(const char* name, std::unique_ptr<File>& out) override {
    const std::lock_guard lock(fs_.mutex);
    const std::string path = join(path_, name);
    if (const int error = fs_.check(Op::kCreate, path); error != 0) return error;
    if (node_->removed) return ENOENT;
    if (find(name)) return EEXIST;
    auto file = new_file();
    node_->children.emplace(name, file);
    out = std::make_unique<MemoryFile>(fs_, std::move(file), path, false);
    return 0;
  }

  int open_append(const char* name, std::unique_ptr<File>& out) override {
    const std::lock_guard lock(fs_.mutex);
    const std::string path = join(path_, name);
    if (const int error = fs_.check(Op::kOpen, path); error != 0) return error;
    auto child = find(name);
    if (!child) {
      if (node_->removed) return ENOENT;
      child = new_file();
      node_->children.emplace(name, child);
    }
    if (child->kind == EntryKind::kSymlink) return ELOOP;
    if (child->kind == EntryKind::kDirectory) return EISDIR;
    out = std::make_unique<MemoryFile>(fs_, std::move(child), path, true);
    return 0;
  }

  int open_read(const char* name, std::unique_ptr<File>& out) override {
    const std::lock_guard lock(fs_.mutex);
    const std::string path = join(path_, name);
    if (const int error = fs_.check(Op::kOpen, path); error != 0) return error;
    auto child = find(name);
    if (!child) return ENOENT;
    if (child->kind == EntryKind::kSymlink) return ELOOP;
    // A directory opens for reading, as with O_RDONLY; its stat() tells.
    out = std::make_unique<MemoryFile>(fs_, std::move(child), path, false);
    return 0;
  }

  int rename_no_replace(const char* from, const char* to) override {
    const std::lock_guard lock(fs_.mutex);
    if (const int error = fs_.check(Op::kRename, join(path_, to)); error != 0) return error;
    const auto source = node_->children.find(std::string_view(from));
    if (source == node_->children.end()) return ENOENT;
    if (find(to)) return EEXIST;
    auto node = source->second;
    node_->children.erase(source);
    node_->children.emplace(to, std::move(node));
    return 0;
  }

  int unlink(const char* name) override {
    const std::lock_guard lock(fs_.mutex);
    if (const int error = fs_.check(Op::kUnlink, join(path_, name)); error != 0) return error;
    const auto child = node_->children.find(std::string_view(name));
    if (child == node_->children.end()) return ENOENT;
    if (child->second->kind == EntryKind::kDirectory) return EISDIR;
    node_->children.erase(child);
    return 0;
  }

  int sync() override {
    const std::lock_guard lock(fs_.mutex);
    return fs_.check(Op::kSync, path_);
  }

  int list(const std::function<void(const char* name, EntryKind kind)>& visit) override {
    std::vector<std::pair<std::string, EntryKind>> entries;
    {
      const std::lock_guard lock(fs_.mutex);
      if (const int error = fs_.check(Op::kList, path_); error != 0) return error;
      for (const auto& [name, child] : node_->children) entries.emplace_back(name, child->kind);
    }
    // Visited without the lock: `visit` may unlink what it is shown.
    for (const auto& [name, kind] : entries) visit(name.c_str(), kind);
    return 0;
  }

  int reopen(std::unique_ptr<Directory>& out) override {
    out = std::make_unique<MemoryDirectory>(fs_, node_, path_);
    return 0;
  }

 private:
  // Called with the mutex held.
  std::shared_ptr<MemoryFileSystem::Node> find(std::string_view name) const {
    const auto found = node_->children.find(name);
    return found == node_->children.end() ? nullptr : found->second;
  }
  static std::shared_ptr<MemoryFileSystem::Node> new_file() {
    auto node = std::make_shared<MemoryFileSystem::Node>();
    node->kind = EntryKind::kRegular;
    return node;
  }

  MemoryFileSystem::State& fs_;
  std::shared_ptr<MemoryFileSystem::Node> node_;
  std::string path_;
};

MemoryFileSystem::MemoryFileSystem() : state_(std::make_unique<State>()) {}
MemoryFileSystem::~MemoryFileSystem() = default;

int MemoryFileSystem::open_root(const std::string& path, std::unique_ptr<Directory>& out,
                                std::string& failed_at) {
  const std::lock_guard lock(state_->mutex);
  failed_at = path;
  if (const int error = state_->check(Op::kOpen, path); error != 0) return error;
  // mkdir -p, then open: like the POSIX root, a symlink or file in the way
  // is an error here (the memory tree never follows symlinks).
  std::shared_ptr<Node> node = state_->root;
  std::string normalized;
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string segment = path.substr(start, end - start);
    start = end + 1;
    if (segment.empty()) continue;
    normalized += '/';
    normalized += segment;
    auto found = node->children.find(segment);
    if (found == node->children.end()) {
      found = node->children.emplace(segment, std::make_shared<Node>()).first;
    }
    if (found->second->kind != EntryKind::kDirectory) {
      failed_at = normalized;
      return ENOTDIR;
    }
    node = found->second;
  }
  out = std::make_unique<MemoryDirectory>(*state_, node, normalized.empty() ? "/" : normalized);
  return 0;
}

void MemoryFileSystem::inject(Fault fault) {
  const std::lock_guard lock(state_->mutex);
  if (fault.times == 0) return;
  state_->faults.push_back(std::move(fault));
}

void MemoryFileSystem::clear_faults() {
  const std::lock_guard lock(state_->mutex);
  state_->faults.clear();
}

std::uint64_t MemoryFileSystem::faults_hit() const {
  const std::lock_guard lock(state_->mutex);
  return state_->faults_hit;
}

std::uint64_t MemoryFileSystem::calls(Op op) const {
  const std::lock_guard lock(state_->mutex);
  return state_->calls[static_cast<std::size_t>(op)];
}

std::optional<std::vector<std::uint8_t>> MemoryFileSystem::read(const std::string& path) const {
  const std::lock_guard lock(state_->mutex);
  const auto node = state_->lookup(path);
  if (!node || node->kind != EntryKind::kRegular) return std::nullopt;
  return node->data;
}

std::optional<std::string> MemoryFileSystem::read_text(const std::string& path) const {
  auto bytes = read(path);
  if (!bytes) return std::nullopt;
  return std::string(bytes->begin(), bytes->end());
}

std::optional<EntryKind> MemoryFileSystem::kind(const std::string& path) const {
  const std::lock_guard lock(state_->mutex);
  const auto node = state_->lookup(path);
  if (!node) return std::nullopt;
  return node->kind;
}

bool MemoryFileSystem::write_file(const std::string& path, std::string_view bytes) {
  const std::lock_guard lock(state_->mutex);
  auto [parent, leaf] = state_->parent_of(path, true);
  if (!parent || leaf.empty()) return false;
  auto& slot = parent->children[leaf];
  if (slot && slot->kind == EntryKind::kDirectory) return false;
  slot = std::make_shared<Node>();
  slot->kind = EntryKind::kRegular;
  slot->data.assign(bytes.begin(), bytes.end());
  return true;
}

bool MemoryFileSystem::make_dirs(const std::string& path) {
  const std::lock_guard lock(state_->mutex);
  auto [parent, leaf] = state_->parent_of(path, true);
  if (!parent) return false;
  if (leaf.empty()) return true;
  auto& slot = parent->children[leaf];
  if (!slot) slot = std::make_shared<Node>();
  return slot->kind == EntryKind::kDirectory;
}

bool MemoryFileSystem::make_symlink(const std::string& path, const std::string& target) {
  const std::lock_guard lock(state_->mutex);
  auto [parent, leaf] = state_->parent_of(path, true);
  if (!parent || leaf.empty() || parent->children.contains(leaf)) return false;
  auto node = std::make_shared<Node>();
  node->kind = EntryKind::kSymlink;
  node->target = target;
  parent->children.emplace(leaf, std::move(node));
  return true;
}

bool MemoryFileSystem::remove_all(const std::string& path) {
  const std::lock_guard lock(state_->mutex);
  auto [parent, leaf] = state_->parent_of(path, false);
  if (!parent) return false;
  const auto found = parent->children.find(leaf);
  if (found == parent->children.end()) return false;
  mark_removed(*found->second);
  parent->children.erase(found);
  return true;
}

std::vector<std::string> MemoryFileSystem::list(const std::string& path) const {
  const std::lock_guard lock(state_->mutex);
  std::vector<std::string> names;
  const auto node = state_->lookup(path);
  if (!node || node->kind != EntryKind::kDirectory) return names;
  for (const auto& [name, child] : node->children) names.push_back(name);
  return names;  // std::map: already sorted
}

void MemoryFileSystem::walk(
    const std::string& path,
    const std::function<void(const std::string& path, EntryKind kind)>& visit) const {
  std::vector<std::pair<std::string, EntryKind>> entries;
  {
    const std::lock_guard lock(state_->mutex);
    const auto start = state_->lookup(path);
    if (!start || start->kind != EntryKind::kDirectory) return;
    const std::function<void(const Node&, const std::string&)> collect =
        [&](const Node& node, const std::string& at) {
          for (const auto& [name, child] : node.children) {
            const std::string child_path = join(at, name);
            entries.emplace_back(child_path, child->kind);
            if (child->kind == EntryKind::kDirectory) collect(*child, child_path);
          }
        };
    collect(*start, path);
  }
  for (const auto& [entry_path, kind] : entries) visit(entry_path, kind);
}

}  // namespace framewire::storage
