// Uploader: snapshots a directory tree (or a block device) into the repository.
//
// The calling thread walks the tree depth-first; regular files are uploaded by a pool of file
// workers, and the chunks of large files by a second pool so one big file uses every core.
// Bounded queues keep memory flat whatever the size of the tree. A directory object is written
// when its last child completes, bottom-up, then the snapshot manifest, then everything is
// flushed (packs, index, manifest) — the order kopia's readers need.
//
// Incremental: with a parent snapshot (the latest complete one of the same source and tags), a
// file whose name, size, mtime, mode and owner are unchanged reuses the parent's object without
// being read. Changed data is deduplicated against the whole repository by content ID.
//
// Checkpoints: every checkpoint_interval an incomplete ("checkpoint") manifest references what
// is finished so far, so kopia's garbage collection keeps it (kopia-format.md §14.6, §17.2).
// Cancellation (*cancel set, e.g. by SIGINT) stops early; the repository is flushed and
// consistent, and no manifest for the cancelled snapshot is written.
#pragma once

#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "repo/repository.h"
#include "snapshot/snapshot_manifest.h"
#include "snapshot/upload_progress.h"

namespace ferry::snapshot {

struct UploadOptions {
  std::string description;
  std::map<std::string, std::string> tags;  // stored keys, e.g. "tag:snapshot-uploader"
  std::vector<std::string> pins;
  // Threads for files and for chunks of large files; 0 = the machine's hardware threads.
  int parallelism = 0;
  compression::HeaderId compression = compression::kNoCompression;
  int64_t checkpoint_interval_ns = int64_t{45} * 60 * 1'000'000'000;
  // Use the latest complete snapshot of the source (matching tags) as parent.
  bool use_parent = true;
  // Snapshot manifest ID to use as parent instead of looking one up.
  std::string parent_id;
  // A checkpoint manifest of an interrupted upload of the same source: the files it had
  // finished are reused when unchanged (before the parent is consulted), so a resumed upload
  // does not read them again. A parent_id naming a checkpoint is taken as this.
  std::string resume_checkpoint_id;
  // When cancelled, write a last checkpoint of what is finished (if checkpoint_interval_ns > 0
  // and anything is), so that a later upload can resume from it instead of starting over.
  bool checkpoint_on_cancel = false;
  const std::atomic<bool>* cancel = nullptr;
  // Notes for the user (unknown file types skipped, errors); may be empty.
  std::function<void(const std::string&)> note;
};

class Uploader {
 public:
  Uploader(repo::Repository* repository, UploadOptions options);
  ~Uploader();

  UploadProgress& progress() { return progress_; }
  // Checkpoint manifests written (and deleted again once the snapshot completed).
  int checkpoints_written() const;

  // Snapshots the directory `local_path` as `source`. The returned manifest has been saved and
  // flushed; its errorCount says how many entries could not be read (they are left out).
  Result<SnapshotManifest> SnapshotDirectory(const SourceInfo& source, const std::string& local_path);

  // Snapshots a block device or image file as kopia's one-file streaming snapshot (the shape
  // Velero's block uploader and `kopia snapshot create --stdin-file` produce).
  Result<SnapshotManifest> SnapshotBlock(const SourceInfo& source, const std::string& device_path,
                                         const std::string& file_name);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  UploadProgress progress_;
};

// The latest complete snapshot of `source` whose tags include every pair in `tags`.
Result<std::optional<SnapshotManifest>> FindParentSnapshot(manifest::ManifestManager* manifests,
                                                           const SourceInfo& source,
                                                           const std::map<std::string, std::string>& tags);

}  // namespace ferry::snapshot
