// Rewriting contents out of short packs (kopia's RewriteContents with ShortPacks, §17.1 step 2):
// a pack whose live bytes (packed lengths of the entries pointing at it, deleted-but-not-dropped
// ones included) are below 60% of maxPackSize is short; when a prefix has at least two short
// packs, their contents are copied into new packs so the old packs become unreferenced and blob
// GC can delete them later. Contents younger than RewriteMinAge (2 h) are left alone.
#pragma once

#include <cstdint>
#include <string>

#include "maintenance/internal.h"

namespace ferry::maintenance {

struct RewriteResult {
  int64_t short_packs = 0;
  int64_t rewritten = 0;
  int64_t retained = 0;  // too young
};

// pack_prefix: "" for every pack (full maintenance), "q" for metadata packs (quick).
Result<RewriteResult> RewriteShortPacks(const TaskContext& ctx, const std::string& pack_prefix);

}  // namespace ferry::maintenance
