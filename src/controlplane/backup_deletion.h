// Deleting a backup (Velero's backup deletion controller and DataUploadDeleteAction,
// datamover-control-plane.md §7.9) and expiring it when its ttl has passed (Velero's GC
// controller). A backup is deleted when
//   - the Backup resource is deleted (`ferry delete backup NAME`): the server's finalizer
//     ferry.local/backup-deletion holds it until the data is gone;
//   - a DeleteBackupRequest (spec.backupName) is created, as `velero backup delete` does;
//   - status.expiration has passed (ttl).
// The deletion: unfinished DataUploads are cancelled and waited for; the Kopia snapshots of the
// backup (status.snapshotID of its DataUploads, from the store and from the metadata in the
// storage location) are forgotten in every namespace repository, in one batch per repository;
// the DataUploads, leftover VolumeSnapshots and the metadata under backups/<name>/ are deleted;
// then the Backup. The data itself is reclaimed by later repository maintenance. When a step
// fails the Backup stays (phase Deleting, the reason in status.failureReason) and is retried.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "base/status.h"
#include "resource/object.h"
#include "resource/store.h"

namespace ferry::controlplane {

struct BackupDeletionOptions {
  int poll_interval_ms = 500;
  // How long to wait for cancelled DataUploads to end before deleting anyway.
  int64_t cancel_wait_ms = 60'000;
  const std::atomic<bool>* stop = nullptr;
};

// Performs the deletion of Backup ns/name (which has a deletionTimestamp, or is asked for by a
// DeleteBackupRequest) and removes the resource.
Status DeleteBackup(resource::Store& store, const std::string& ns, const std::string& name,
                    const BackupDeletionOptions& options);

// Backups whose status.expiration has passed are deleted (their deletion then runs through the
// finalizer). Returns how many were expired.
Result<int> ExpireBackups(resource::Store& store);

// New DeleteBackupRequests: delete the named Backup (phase InProgress) and mark the request
// Processed once the Backup is gone (with status.errors when it could not be found).
Status ProcessDeleteBackupRequests(resource::Store& store);

}  // namespace ferry::controlplane
