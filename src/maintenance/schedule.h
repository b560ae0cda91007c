// The maintenance schedule blob `kopia.maintenance` (kopia-format.md §2.7): when quick and full
// maintenance are next due and the history of every task's runs, AES-256-GCM encrypted with a
// key derived from the master key. Kopia reads the run history to decide when deleted index
// entries may be dropped, so ferry keeps it exactly as kopia does (newest run first).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "repo/repository.h"

namespace ferry::maintenance {

// kopia's task names.
inline constexpr const char* kTaskSnapshotGc = "snapshot-gc";
inline constexpr const char* kTaskDeleteOrphanedBlobsQuick = "quick-delete-blobs";
inline constexpr const char* kTaskDeleteOrphanedBlobsFull = "full-delete-blobs";
inline constexpr const char* kTaskRewriteContentsQuick = "quick-rewrite-contents";
inline constexpr const char* kTaskRewriteContentsFull = "full-rewrite-contents";
inline constexpr const char* kTaskDropDeletedContentsFull = "full-drop-deleted-content";
inline constexpr const char* kTaskEpochAdvance = "advance-epoch";
inline constexpr const char* kTaskEpochDeleteSupersededIndexes = "delete-superseded-epoch-indexes";
inline constexpr const char* kTaskEpochCleanupMarkers = "cleanup-epoch-markers";
inline constexpr const char* kTaskEpochGenerateRange = "generate-epoch-range-index";
inline constexpr const char* kTaskEpochCompactSingle = "compact-single-epoch";

inline constexpr const char* kScheduleBlobId = "kopia.maintenance";
// kopia HEAD keeps 50 runs per task (v0.12.1 kept 5); readers take any number.
inline constexpr size_t kMaxRunsPerTask = 50;

struct RunInfo {
  int64_t start_ns = 0;  // Unix nanoseconds; 0 is Go's zero time
  int64_t end_ns = 0;
  bool success = false;
  std::string error;
};

struct Schedule {
  int64_t next_full_ns = 0;
  int64_t next_quick_ns = 0;
  // "runs" as stored: task name -> array of run objects (kopia HEAD adds "extra" to each; kept).
  nlohmann::ordered_json runs = nlohmann::ordered_json::object();

  std::vector<RunInfo> Runs(const std::string& task) const;
  // Adds a run as the newest of its task and drops the oldest beyond kMaxRunsPerTask.
  void ReportRun(const std::string& task, const RunInfo& run);
  // Latest end of the successful runs of any of the tasks (0 when none): kopia's maxEndTime.
  int64_t MaxSuccessfulEnd(std::initializer_list<const char*> tasks) const;
};

// An empty schedule when the blob does not exist ("never ran").
Result<Schedule> ReadSchedule(repo::Repository* repository);
Status WriteSchedule(repo::Repository* repository, const Schedule& schedule);

// kopia's findSafeDropTime: the start (minus extra_margin) of an earlier successful snapshot GC
// that ended more than `margin_between` before the latest successful one started; 0 when there
// is none yet (deleted entries may not be dropped).
int64_t FindSafeDropTime(const std::vector<RunInfo>& gc_runs, int64_t margin_between_ns, int64_t extra_margin_ns);

// Go's time.Time JSON for Unix nanoseconds (0 -> "0001-01-01T00:00:00Z") and back.
std::string GoTimeJson(int64_t unix_nanos);
int64_t ParseGoTime(const nlohmann::ordered_json& value);

}  // namespace ferry::maintenance
