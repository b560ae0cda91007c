// Safety margins (kopia's maintenance.SafetyParameters, kopia-format.md §17.1). SafetyFull lets
// maintenance run while other clients write snapshots; SafetyNone reclaims everything at once
// and is safe only when nothing else uses the repository.
#pragma once

#include <cstdint>

#include "maintenance/maintenance.h"

namespace ferry::maintenance {

inline constexpr int64_t kHourNanos = int64_t{3600} * 1'000'000'000;

struct SafetyParameters {
  int64_t rewrite_min_age_ns = 0;                   // RewriteMinAge
  int64_t min_content_age_subject_to_gc_ns = 0;     // MinContentAgeSubjectToGC
  int64_t margin_between_snapshot_gc_ns = 0;        // MarginBetweenSnapshotGC
  bool require_two_gc_cycles = false;               // RequireTwoGCCycles
  bool disable_eventual_consistency_safety = true;  // DisableEventualConsistencySafety
  int64_t drop_content_from_index_extra_margin_ns = 0;
  int64_t pack_delete_min_age_ns = 0;               // PackDeleteMinAge
  int64_t session_expiration_age_ns = 0;            // SessionExpirationAge
  int64_t min_rewrite_to_orphan_deletion_delay_ns = 0;
};

inline SafetyParameters SafetyFor(Safety safety) {
  SafetyParameters p;
  if (safety == Safety::kNone) return p;
  p.pack_delete_min_age_ns = 24 * kHourNanos;
  p.drop_content_from_index_extra_margin_ns = kHourNanos;
  p.margin_between_snapshot_gc_ns = 4 * kHourNanos;
  p.min_content_age_subject_to_gc_ns = 24 * kHourNanos;
  p.rewrite_min_age_ns = 2 * kHourNanos;
  p.session_expiration_age_ns = 96 * kHourNanos;
  p.require_two_gc_cycles = true;
  p.disable_eventual_consistency_safety = false;
  p.min_rewrite_to_orphan_deletion_delay_ns = kHourNanos;
  return p;
}

}  // namespace ferry::maintenance
