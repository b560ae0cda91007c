// Deleting unreferenced blobs (kopia's DeleteUnreferencedPacks, §17.1 step 4): `p`, `q` packs
// and `s` session markers that no index entry names (deleted entries above the watermark still
// name their packs) are deleted — except blobs written after maintenance started (+1 s), blobs
// younger than PackDeleteMinAge (24 h), and blobs of a session whose marker was checkpointed
// less than SessionExpirationAge (96 h) ago. This is what removes packs of failed sessions and
// packs emptied by rewrites and dropped deletions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "maintenance/internal.h"

namespace ferry::maintenance {

struct BlobGcResult {
  int64_t unreferenced = 0;
  int64_t deleted = 0;
  int64_t deleted_bytes = 0;
  int64_t retained = 0;
};

// kopia's SessionIDFromBlobID: the first '-'-separated part after the first that starts with 's'.
std::string SessionIdOfBlob(const std::string& blob_id);

Result<BlobGcResult> DeleteUnreferencedBlobs(const TaskContext& ctx, const std::vector<std::string>& prefixes);

}  // namespace ferry::maintenance
