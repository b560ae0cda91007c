// What the maintenance tasks share: the repository, the safety margins in force, the start time
// kopia would use (the storage timestamp of kopia.maintenance) and the report being filled.
#pragma once

#include <cstdint>
#include <string>

#include "maintenance/maintenance.h"
#include "maintenance/safety.h"
#include "repo/repository.h"

namespace ferry::maintenance {

inline constexpr int64_t kNanosPerSecond = 1'000'000'000;

struct TaskContext {
  repo::Repository* repository = nullptr;
  SafetyParameters safety;
  int64_t start_ns = 0;  // maintenance start, storage clock (kopia's MaintenanceStartTime)
  const RunOptions* options = nullptr;
  RunReport* report = nullptr;

  // The local clock (the repository's, when a test pinned it), Unix nanoseconds.
  int64_t NowNanos() const;
  void Note(const std::string& line) const {
    if (options && options->note) options->note(line);
  }
};

}  // namespace ferry::maintenance
