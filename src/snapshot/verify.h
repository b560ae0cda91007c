// Verify: checks that snapshots can be restored without restoring them (kopia's `snapshot
// verify`). Every directory object of every tree is read and parsed; every file and symlink
// object must have all its contents in the index (ObjectManager::VerifyObject), not deleted,
// and — when a storage is given — in pack blobs that exist. A chosen share of the files is read
// in full: every content decrypted and authenticated, every chunk's length checked against the
// indirect list, the total against the entry's size.
//
// Objects shared by several snapshots or directories are checked once ("Processed N objects"
// counts distinct objects, as kopia does). The choice of files to read is deterministic: a hash
// of the object ID and `seed`, so a run can be repeated and another seed reads another sample.
//
// Directories are walked on the calling thread; file objects are checked by `parallel` workers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "blob/storage.h"
#include "object/object_manager.h"
#include "snapshot/dir_entry.h"

namespace ferry::snapshot {

struct VerifyRoot {
  std::string path;  // how errors name the root ("user@host:/path@2026-11-27 14:27:54 UTC")
  DirEntry entry;
};

struct VerifyOptions {
  double files_percent = 0;  // 0..100: share of files read in full
  uint64_t seed = 0;
  int parallel = 0;  // 0 = hardware threads
  int64_t max_errors = 0;  // stop once this many errors were found; 0 = find them all
  // When set, also check that every content's pack blob exists (listed once up front).
  blob::Storage* storage = nullptr;
  // Each error as found, with the path of the entry (called from one thread at a time).
  std::function<void(const std::string& path, const Status& error)> on_error;
};

struct VerifyStats {
  int64_t processed = 0;  // distinct objects checked (directories, files, symlinks)
  int64_t files_read = 0;
  int64_t bytes_read = 0;
  int64_t errors = 0;
};

// Errors found in the trees are counted (and passed to on_error), not returned; the returned
// status fails only when verification could not run (e.g. listing the blobs failed).
Result<VerifyStats> Verify(const object::ObjectManager& objects, const std::vector<VerifyRoot>& roots,
                           const VerifyOptions& options);

// Whether the file with this object ID is among the `percent` read in full.
bool ChosenForReading(const std::string& object_id, double percent, uint64_t seed);

}  // namespace ferry::snapshot
