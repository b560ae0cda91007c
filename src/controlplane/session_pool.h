// SessionPool: open repository sessions kept for a short while and handed to the next transfer
// of the same repository, so that a queue of small DataUploads does not pay the repository open
// (key derivation, index load) each time. A session is used by one transfer at a time; an idle
// one older than max_idle is closed instead of reused, so a transfer never works from a view of
// the repository older than that (other writers, maintenance). Uploads use it (a slightly old
// view only costs some deduplication or an older parent); restores open a fresh session, since
// the snapshot they read may have been saved by another node agent a moment ago.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "base/status.h"
#include "datapath/datapath.h"

namespace ferry::controlplane {

class SessionPool {
 public:
  explicit SessionPool(std::chrono::milliseconds max_idle = std::chrono::seconds(30)) : max_idle_(max_idle) {}

  // A session of `location`: an idle one when there is a fresh one, else a new connection.
  Result<std::unique_ptr<datapath::Session>> Acquire(const datapath::RepositoryLocation& location);
  // Gives a session back after a successful operation (sessions that failed are just dropped).
  void Release(const datapath::RepositoryLocation& location, std::unique_ptr<datapath::Session> session);
  size_t idle() const;

  static SessionPool& Default();

 private:
  static std::string Key(const datapath::RepositoryLocation& location);
  struct Idle {
    std::unique_ptr<datapath::Session> session;
    std::chrono::steady_clock::time_point since;
  };
  std::chrono::milliseconds max_idle_;
  mutable std::mutex mutex_;
  std::multimap<std::string, Idle> idle_;
};

}  // namespace ferry::controlplane
