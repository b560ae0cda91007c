// Restore (velero.io/v1) of a backup made with snapshotMoveData: Velero's restore controller and
// its CSI PVC RestoreItemAction in one sequential run per Restore (datamover-control-plane.md §5):
//   New → validation (backupName names a Completed/PartiallyFailed Backup; FailedValidation with
//   status.validationErrors otherwise) → InProgress: the backup's resources are read from its
//   storage location (so a backup synced from the bucket restores on a fresh store); for every
//   data-moved PVC of the included namespaces, mapped through namespaceMapping: a new PVC (binding
//   annotations dropped, spec.volumeName cleared, selector velero.io/dynamic-pv-restore=
//   <ns>.<pvc>.<rand>, its StorageClass when the store has it, else the default one — created
//   with provisioner ferry.local/hostpath when there is none) and one DataDownload (generateName
//   "<restore>-", owner the Restore, labels restore-name/restore-uid/async-operation-id
//   "dd-<restoreUID>.<backed-up pvcUID>", operationTimeout = the backup's csiSnapshotTimeout)
//   → WaitingForPluginOperations: wait (itemOperationTimeout sets spec.cancel); a completed
//   download's volume is bound to its PVC (PV claimRef, PVC volumeName) if the data mover has not
//   done it → Completed / PartiallyFailed / Failed.
// An existing PVC is never overwritten: it is skipped with a warning, unless
// existingResourcePolicy: update, which replaces the claim (the old volume is kept, released).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "resource/object.h"
#include "resource/store.h"

namespace ferry::controlplane {

struct RestoreControllerOptions {
  int poll_interval_ms = 500;
  int64_t default_item_operation_timeout_ns = int64_t{4} * 3600 * 1'000'000'000;
  // Root directory of the default StorageClass created when the store has none.
  std::string volume_root;
  const std::atomic<bool>* stop = nullptr;
};

inline constexpr char kDefaultStorageClassName[] = "ferry-hostpath";

std::vector<std::string> ValidateRestore(resource::Store& store, const resource::Object& restore);

Status RunRestore(resource::Store& store, const std::string& ns, const std::string& name,
                  const RestoreControllerOptions& options);

// The StorageClass restored volumes get when theirs does not exist: the one annotated
// storageclass.kubernetes.io/is-default-class=true, else kDefaultStorageClassName (created with
// provisioner ferry.local/hostpath and parameter root=volume_root when missing).
Result<std::string> EnsureDefaultStorageClass(resource::Store& store, const std::string& volume_root);

// At server start: Restores left InProgress are Failed, their DataDownloads cancelled.
Status FailInterruptedRestores(resource::Store& store);

}  // namespace ferry::controlplane
