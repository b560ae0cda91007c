// Exposers in standalone mode (datamover-control-plane.md §4.2, §5.3, §9.5): they turn a
// DataUpload's VolumeSnapshot into a path the engine can read, and a DataDownload's target PVC
// into a fresh volume the engine can write, then hand that volume to the PVC.
//
// Backup: VolumeSnapshot (spec.source.persistentVolumeClaimName, spec.volumeSnapshotClassName)
//   → VolumeSnapshotClass, which must carry the label velero.io/csi-volumesnapshot-class: "true";
//   its `driver` (ferry.local/reflink, ferry.local/copy, ferry.local/live) says how to snapshot
//   → PVC (volumeMode) → bound PV → spec.local.path → volume::TakeSnapshot.
//   A VolumeSnapshot with status.readyToUse: false is waited for (the DataUpload stays Accepted
//   until the prepare timeout).
// Restore: target PVC (must not be bound yet) → StorageClass, whose provisioner must be
//   ferry.local/hostpath → volume::Provision of a new, empty volume of the PVC's size and mode;
//   after the transfer, a PV with spec.local.path, claimRef to the PVC and the PVC selector's
//   labels (velero.io/dynamic-pv-restore) is created and the PVC is bound to it.
//
// Every exposure is recorded (as the JSON the `record` callback receives) *before* anything is
// created, so clean-up removes every temporary object in every outcome, including after a crash.
#pragma once

#include <functional>
#include <optional>

#include "base/status.h"
#include "resource/object.h"
#include "resource/store.h"

namespace ferry::controlplane {

using RecordFn = std::function<Status(const resource::Object& exposure)>;

struct ExposerOptions {
  // Where ferry.local/copy snapshots go unless the VolumeSnapshotClass has parameters.snapshotRoot.
  // ferry.local/reflink snapshots go to <volume's directory>/.ferry-snapshots (same filesystem).
  std::string snapshot_root;
  // Root of ferry.local/hostpath volumes when the StorageClass has no parameters.root.
  std::string volume_root;
};

// Exposure JSON: {"path", "volumeMode": "Filesystem"|"Block", "driver", "sourcePath",
// "snapshot" (the copy DeleteSnapshot removes; absent for live), "provisioned" (restore: the new
// volume), "pv", "bound" (restore: handed to the PVC, no longer temporary)}.
std::string ExposedPath(const resource::Object& exposure);
bool ExposedBlock(const resource::Object& exposure);

// DataUpload: snapshot the source volume. nullopt while the VolumeSnapshot is not ready.
Result<std::optional<resource::Object>> ExposeSnapshot(resource::Store& store, const resource::Object& data_upload,
                                                       const ExposerOptions& options, const RecordFn& record);
// Deletes the snapshot recorded in exposure (if any) and the DataUpload's source VolumeSnapshot
// (Velero deletes it after every data movement, whatever the outcome).
// Before exposing again (a restarted node agent), delete_source_snapshot is false.
Status CleanUpSnapshot(resource::Store& store, const resource::Object& data_upload,
                       const resource::Object& exposure, bool delete_source_snapshot = true);

// DataDownload: provision the volume the snapshot is restored into. nullopt: not yet.
Result<std::optional<resource::Object>> ExposeRestoreTarget(resource::Store& store,
                                                            const resource::Object& data_download,
                                                            const ExposerOptions& options, const RecordFn& record);
// After a successful restore: PV + binding of the target PVC; marks the exposure "bound".
Status BindRestoredVolume(resource::Store& store, const resource::Object& data_download,
                          const RecordFn& record, const resource::Object& exposure);
// Removes the provisioned volume unless it was bound to the target PVC.
Status CleanUpRestoreTarget(resource::Store& store, const resource::Object& exposure);

}  // namespace ferry::controlplane
