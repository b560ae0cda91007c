// Restore: Velero's kopia restore (control-plane spec §5.4) on ferry's engine.
#include <sys/stat.h>

#include <algorithm>

#include "datapath/datapath.h"
#include "datapath/session.h"
#include "object/object_id.h"
#include "snapshot/restore.h"
#include "snapshot/snapshot_manifest.h"

namespace ferry::datapath {

Result<RestoreResult> Restore(Session& session, const RestoreRequest& request) {
  if (request.snapshot_id.empty()) return Status::InvalidArgument("restore: no snapshot ID given");
  if (request.target.empty()) return Status::InvalidArgument("restore: no target path given");
  repo::Repository* repository = session.repository();
  FERRY_ASSIGN_OR_RETURN(snapshot::SnapshotManifest m,
                         snapshot::LoadSnapshot(repository->manifests(), request.snapshot_id));
  if (!m.incomplete.empty()) {
    return Status::InvalidArgument("restore: snapshot " + request.snapshot_id + " is incomplete (" +
                                   m.incomplete + ") and cannot be restored");
  }
  if (request.block) {
    struct stat st;
    if (::stat(request.target.c_str(), &st) == 0 && !S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)) {
      return Status::InvalidArgument("restore: block target " + request.target +
                                     " is neither a block device nor an image file");
    }
  }

  snapshot::RestoreOptions o;
  // Velero's FilesystemOutput: overwrite directories, files and symlinks; ignore permission errors.
  o.overwrite_files = true;
  o.overwrite_directories = true;
  o.ignore_permission_errors = true;
  o.write_sparse_files = request.write_sparse_files;
  o.parallel = request.parallel;
  o.cancel = request.cancel;
  o.mode = request.block ? snapshot::RestoreMode::kStream : snapshot::RestoreMode::kTree;
  if (request.progress) {
    o.progress = [&request](const snapshot::RestoreProgress& p) {
      request.progress(Progress{p.bytes_done, std::max<int64_t>(0, p.total_bytes)});
    };
  }
  FERRY_ASSIGN_OR_RETURN(snapshot::RestoreStats stats,
                         snapshot::Restore(*repository->objects(), m.root_entry, request.target, o));
  RestoreResult r;
  r.total_bytes = stats.bytes;
  r.files = stats.files;
  if (request.progress) request.progress(Progress{r.total_bytes, r.total_bytes});
  return r;
}

}  // namespace ferry::datapath
