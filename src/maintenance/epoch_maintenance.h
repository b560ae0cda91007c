// Index maintenance for epoch-managed repositories (kopia HEAD's epoch tasks, §10.4–§10.5):
// compacting the oldest settled epoch into an xs set, advancing the write epoch, range
// checkpoints (xr), the deletion watermark (xw), and deleting what those made superfluous —
// old epoch markers, replaced watermarks and xn blobs superseded by an xs set written more than
// CleanupSafetyMargin before the newest xn blob.
#pragma once

#include <cstdint>

#include "maintenance/internal.h"

namespace ferry::maintenance {

struct EpochResult {
  int64_t compacted_blobs = 0;  // index blobs merged into a new xs or xr blob
  bool advanced = false;
  int64_t deleted_blobs = 0;
};

// Quick and full: compacts the oldest settled, uncompacted epoch (if any), then advances the
// write epoch when §10.4's thresholds are met.
Status CompactSingleEpoch(const TaskContext& ctx, EpochResult* result);
Status AdvanceEpoch(const TaskContext& ctx, EpochResult* result);
// Full only.
Status GenerateRangeCheckpoint(const TaskContext& ctx, EpochResult* result);
Status CleanupEpochMarkers(const TaskContext& ctx, EpochResult* result);
Status CleanupSupersededIndexes(const TaskContext& ctx, EpochResult* result);

// Writes the deletion watermark (Unix seconds) and refreshes the index view so that it applies.
// Returns false when a later watermark exists already.
Result<bool> AdvanceDeletionWatermark(const TaskContext& ctx, int64_t unix_seconds);

}  // namespace ferry::maintenance
