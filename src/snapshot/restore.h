// Restore: writes a snapshot's tree (or any directory or file entry) into the local filesystem,
// or a block/streaming snapshot onto a block device or image file.
//
// Tree restore. Directories, files, symlinks; modes (DirEntry::PosixMode), mtimes to the
// nanosecond (utimensat; symlinks themselves, not their targets) and owners (when running as
// root; otherwise skipped and reported in RestoreStats::owners_skipped). A directory's mode,
// owner and mtime are set after everything inside it is written, so a read-only directory can be
// filled and its mtime is not disturbed by its children.
//
// Directory mtimes: ferry restores the mtime recorded in the directory's own entry. kopia 0.12.1
// instead gives each subdirectory the newest mtime of its subtree (summ.maxTime), because its
// reader substitutes maxTime for the entry's mtime; the recorded value is the directory's real
// mtime, and that is what `ls -l` showed when the snapshot was taken.
//
// Safety: nothing is ever written outside `target`. Every name is re-checked (IsSafeEntryName),
// every directory is opened with openat(parent, name, O_NOFOLLOW | O_DIRECTORY) and every file
// with openat(parent, name, O_NOFOLLOW | O_EXCL): a symlink already in the target (or planted
// there during the restore) is never followed, and a hard link already in the target is never
// written through (an overwritten file is unlinked and created anew). A repository with a name
// such as "..", "a/b" or "/abs" fails with Corruption naming the entry and its directory.
//
// Existing things in the target:
//   * target itself: created (with parents) when missing; if it is a non-empty directory the
//     restore needs overwrite_directories (a `lost+found` alone, as on a freshly formatted
//     volume, does not count).
//   * a directory where a directory goes: used (overwrite_directories); a symlink or file where a
//     directory goes is replaced only with overwrite_directories, otherwise an error.
//   * a file or symlink where a file or symlink goes: replaced with overwrite_files, otherwise
//     AlreadyExists; a directory where a file goes is always an error.
//
// Streaming (block) restore. A snapshot whose root directory holds a single file entry and whose
// root entry is named with the source path (kopia's `--stdin-file`, Velero's block uploader; see
// IsStreamingSnapshot) restored to a block device, a regular file or a path that does not exist
// writes that file's bytes at offset 0 of the device or image file. Block devices are written in
// full (whatever write_sparse_files says: the device may hold old data) and fsync'ed; an existing
// regular file is truncated first and needs overwrite_files when it is not empty. A file entry
// (ID/path/to/file) restores the same way, with its mode, owner and mtime.
//
// Sparse files (write_sparse_files): the file is extended to its size with ftruncate and blocks
// of zeros are not written, so every 4 KiB-aligned block of zeros becomes a hole.
// Otherwise files are preallocated (fallocate, or ftruncate where unsupported).
//
// Parallelism: the calling thread walks the tree (reading directory objects, creating
// directories, files and symlinks); `parallel` workers write file data, large files (≥ 64 MiB)
// in segments cut at chunk boundaries so that one big image uses every worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "object/object_manager.h"
#include "snapshot/dir_entry.h"

namespace ferry::snapshot {

struct RestoreProgress {
  int64_t bytes_done = 0;
  int64_t total_bytes = -1;  // the root summary's size (or the file's size); -1 when unknown
  int64_t files_done = 0;
  int64_t total_files = -1;  // from the root summary; -1 when unknown
  int64_t directories = 0;
  int64_t symlinks = 0;
  int64_t errors = 0;  // ignored errors (ignore_errors) so far
};

enum class RestoreMode {
  kAuto,    // stream to block devices, regular files and (for streaming snapshots) new paths
  kTree,    // always restore as a directory tree / single file
  kStream,  // always stream the single file of the root directory
};

struct RestoreOptions {
  bool overwrite_files = false;
  bool overwrite_directories = false;
  bool write_sparse_files = false;
  int parallel = 0;  // file-writing workers; 0 = hardware threads
  // Files of at least twice this size are written in segments of about this size, by several
  // workers at once (segments end at chunk boundaries).
  int64_t segment_size = int64_t{64} << 20;
  // Report errors (RestoreStats::errors) and go on with the next entry instead of stopping.
  bool ignore_errors = false;
  bool skip_owners = false;
  bool skip_permissions = false;
  bool skip_times = false;
  // EPERM/EACCES when setting an owner, mode or mtime is not an error (kopia's
  // --ignore-permission-errors, on by default): e.g. a target owned by someone else.
  bool ignore_permission_errors = true;
  // False for a root entry whose metadata is made up (a bare object ID): target keeps its own.
  bool restore_root_attributes = true;
  RestoreMode mode = RestoreMode::kAuto;
  // When set and it becomes true (Ctrl-C, a cancelled DataDownload), the restore stops at the
  // next entry or buffer and returns Cancelled. Directories it leaves keep mode 0700.
  const std::atomic<bool>* cancel = nullptr;
  // Called from one helper thread about every `progress_interval_ms`, and once at the end.
  std::function<void(const RestoreProgress&)> progress;
  int progress_interval_ms = 250;
};

struct RestoreStats {
  int64_t files = 0;
  int64_t directories = 0;
  int64_t symlinks = 0;
  int64_t bytes = 0;
  int64_t skipped = 0;         // entries of unknown type (kopia records failed entries so)
  int64_t ignored_errors = 0;  // with ignore_errors
  bool owners_skipped = false;  // not running as root: owners were left as the current user
  bool streamed = false;        // written to a block device or image file
  std::vector<std::string> errors;  // the ignored errors' messages (at most 100)
};

// Restores `root` (a directory or file entry) into `target`. The first error stops the restore
// (unless ignore_errors) and is returned; messages name the path in the target.
Result<RestoreStats> Restore(const object::ObjectManager& objects, const DirEntry& root,
                             const std::string& target, const RestoreOptions& options);

// True for the root of a stdin/block snapshot: one file entry and a root entry named with the
// source path (kopia and Velero name it so; a directory snapshot's root is named with the base
// name, which has no '/').
bool IsStreamingSnapshot(const DirEntry& root, const DirectoryManifest& dir);

}  // namespace ferry::snapshot
