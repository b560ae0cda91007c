#include "controlplane/session_pool.h"

#include <vector>

namespace ferry::controlplane {

std::string SessionPool::Key(const datapath::RepositoryLocation& location) {
  std::string key;
  for (const auto& [k, v] : location.storage) key += k + "=" + v + "\n";
  return key + "password=" + location.password;  // in memory only
}

Result<std::unique_ptr<datapath::Session>> SessionPool::Acquire(const datapath::RepositoryLocation& location) {
  std::vector<std::unique_ptr<datapath::Session>> stale;  // closed outside the lock
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    auto range = idle_.equal_range(Key(location));
    for (auto it = range.first; it != range.second;) {
      if (now - it->second.since <= max_idle_) {
        auto session = std::move(it->second.session);
        idle_.erase(it);
        return session;
      }
      stale.push_back(std::move(it->second.session));
      it = idle_.erase(it);
    }
  }
  return datapath::ConnectOrCreate(location, {}, /*create_if_missing=*/false);
}

void SessionPool::Release(const datapath::RepositoryLocation& location, std::unique_ptr<datapath::Session> session) {
  if (!session) return;
  std::lock_guard<std::mutex> lock(mutex_);
  idle_.emplace(Key(location), Idle{std::move(session), std::chrono::steady_clock::now()});
}

size_t SessionPool::idle() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return idle_.size();
}

SessionPool& SessionPool::Default() {
  static SessionPool* pool = new SessionPool();  // never destroyed: transfers may outlive main's locals
  return *pool;
}

}  // namespace ferry::controlplane
