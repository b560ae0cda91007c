// Backup (velero.io/v1) with snapshotMoveData: Velero's backup controller, its CSI PVC
// BackupItemAction (the data mover plugin) and its operations/finalizer controllers in one
// sequential run per Backup (datamover-control-plane.md §4.1):
//   New → validation (FailedValidation with status.validationErrors) → InProgress: for every PVC
//   of the included namespaces matching labelSelector, a VolumeSnapshot through the
//   VolumeSnapshotClass labelled velero.io/csi-volumesnapshot-class=true for its driver, and one
//   DataUpload (generateName "<backup>-", owner the Backup, labels backup-name/backup-uid/pvc-uid/
//   async-operation-id "du-<backupUID>.<pvcUID>", operationTimeout = csiSnapshotTimeout)
//   → WaitingForPluginOperations: wait for every DataUpload to end; past itemOperationTimeout set
//   spec.cancel; delete the temporary VolumeSnapshots → Finalizing: write the metadata to the BSL
//   (backup_metadata.h) → Completed, PartiallyFailed (some item or operation failed; the reasons
//   in status.failureReason and the results file) or Failed (the backup itself could not be done).
// Status fields are Velero's: phase, startTimestamp, completionTimestamp, expiration,
// progress{totalItems,itemsBackedUp}, errors, warnings, failureReason, validationErrors,
// csiVolumeSnapshotsAttempted/Completed, backupItemOperationsAttempted/Completed/Failed.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "resource/object.h"
#include "resource/store.h"

namespace ferry::controlplane {

struct BackupControllerOptions {
  int poll_interval_ms = 500;
  int64_t default_ttl_ns = int64_t{720} * 3600 * 1'000'000'000;          // 30 days
  int64_t default_csi_snapshot_timeout_ns = int64_t{10} * 60 * 1'000'000'000;
  int64_t default_item_operation_timeout_ns = int64_t{4} * 3600 * 1'000'000'000;
  const std::atomic<bool>* stop = nullptr;  // the server is shutting down: return, keep state
};

// The reasons a Backup cannot run (Velero's validationErrors); empty when it can.
std::vector<std::string> ValidateBackup(resource::Store& store, const resource::Object& backup);

// Drives Backup ns/name from its current phase to a terminal one (or until options.stop).
// Resumes a backup that was WaitingForPluginOperations when the server stopped.
Status RunBackup(resource::Store& store, const std::string& ns, const std::string& name,
                 const BackupControllerOptions& options);

// At server start: Backups left InProgress by a previous server are Failed ("found a backup with
// status InProgress during the server starting, mark it as failed", as Velero) and their
// unfinished DataUploads cancelled.
Status FailInterruptedBackups(resource::Store& store);

}  // namespace ferry::controlplane
