// Snapshot garbage collection (kopia's snapshotgc, kopia-format.md §17.1 step 1): every content
// reachable from any snapshot manifest — complete or incomplete (checkpoints) — is kept, and
// undeleted if it was marked deleted; every other non-manifest content whose index timestamp is
// older than maintenance start − MinContentAgeSubjectToGC is marked deleted. Nothing is removed
// from storage here: deleted entries keep their packs until the watermark passes them.
#pragma once

#include <cstdint>

#include "maintenance/internal.h"

namespace ferry::maintenance {

struct SnapshotGcResult {
  int64_t snapshots = 0;
  int64_t in_use = 0;
  int64_t unreferenced = 0;  // candidates (too-recent ones excluded)
  int64_t too_recent = 0;
  int64_t deleted = 0;
  int64_t undeleted = 0;
  int64_t max_deleted_timestamp = 0;  // Unix seconds of the newest deletion entry written
  size_t reachable_set_bytes = 0;
};

// Refuses to run (nothing is marked) when an index blob is unreadable or any snapshot's tree
// cannot be read: a content that cannot be proven unreachable is never deleted.
Result<SnapshotGcResult> RunSnapshotGc(const TaskContext& ctx);

}  // namespace ferry::maintenance
