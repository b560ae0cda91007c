// The epoch index manager (kopia-format.md §10): which index blobs make up the current index,
// which epoch new index blobs go into, and when an epoch may advance. Index blobs are
// immutable; the set changes only by blobs appearing (xn, xs, xr, xe, xw) and superseded xn
// blobs disappearing, so a third-party writer stays correct by following the listing rules.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "blob/storage.h"
#include "format/repository_config.h"

namespace ferry::content {

struct IndexBlobSet {
  int64_t write_epoch = 0;         // max N of the xe<N> markers (0 when none)
  int64_t deletion_watermark = 0;  // max T of the xw<T> blobs, Unix seconds (0 when none)
  std::vector<blob::BlobMetadata> active;      // blobs whose merged entries are the index
  std::vector<blob::BlobMetadata> superseded;  // xn blobs already covered by a compaction
  // Uncompacted xn blobs of each epoch (for advancement and compaction decisions).
  std::map<int64_t, std::vector<blob::BlobMetadata>> uncompacted;
  std::vector<blob::BlobMetadata> epoch_markers;  // xe
  std::vector<blob::BlobMetadata> watermarks;     // xw
};

// Assembles the set from a listing of every blob starting with "x" (§10.2). Pure: the §14
// synthetic-listing test exercises it directly. Listing order matters only to pick the "first
// complete set" where several exist (any of them is a correct choice).
IndexBlobSet AssembleIndexBlobSet(const std::vector<blob::BlobMetadata>& x_blobs);

// Epoch number of an index-related blob name: text before the first '_', leading non-digits
// stripped ("xn12_…" → 12, "xe3" → 3). -1 when there is none.
int64_t EpochOfBlobId(std::string_view blob_id);

// "Complete set" membership (internal/completeset): a name <x>-s<set>-c<count> belongs to set
// <set> of size <count>; any other name is a set of one.
struct CompleteSetKey {
  std::string set_id;
  int64_t count = 1;
};
CompleteSetKey CompleteSetOf(std::string_view blob_id);

class EpochManager {
 public:
  EpochManager(blob::Storage* storage, format::EpochParameters params);

  // Lists the x-blobs and assembles the current set.
  Result<IndexBlobSet> Load() const;

  // Writes one index blob into the current write epoch. `put(prefix)` must store the blob whose
  // name starts with `prefix` ("xn<epoch>_") and return its ID. After writing, the epoch is
  // re-read: if it advanced by two or more meanwhile (so the blob may land in an epoch that was
  // already compacted), the blob is deleted and written again into the new epoch (§10.3).
  Result<std::string> WriteIndexBlob(const std::function<Result<std::string>(const std::string&)>& put);

  // Starts epoch N+1 (writes xe<N+1>) when the current epoch's xn blobs span at least
  // MinEpochDuration and reach the count or size threshold (§10.4). Returns true if it advanced.
  Result<bool> MaybeAdvance(const IndexBlobSet& set);

  // Writes the deletion watermark xw<unix_seconds> (§10.5): deleted index entries with a
  // timestamp at or before it disappear from every reader's view. The watermark never moves
  // backwards: returns false (nothing written) when the current one is later.
  Result<bool> AdvanceDeletionWatermark(int64_t unix_seconds);

  // Compaction and deleting superseded blobs are maintenance's job (src/maintenance).

 private:
  Result<int64_t> CurrentWriteEpoch() const;

  blob::Storage* storage_;
  format::EpochParameters params_;
};

}  // namespace ferry::content
