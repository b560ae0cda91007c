// Well-known labels, annotations and finalizers of Velero's data mover (datamover-control-plane.md
// §2.6), and Velero's label-value sanitising. Every controller of the control plane (node agent,
// server) names these keys through this header, so a key is spelled in exactly one place.
#pragma once

#include <string>
#include <string_view>

namespace ferry::controlplane {

// Finalizer the node agent puts on every non-terminal DataUpload/DataDownload it reconciles and
// removes once the object is terminal.
inline constexpr std::string_view kDataUploadDownloadFinalizer =
    "velero.io/data-upload-download-finalizer";

// Claim bookkeeping. Velero 1.12-1.15.0 wrote the winning node as a label; 1.15.1 moved it to an
// annotation plus velero.io/accepted-at (RFC 3339) so the prepare timeout can be measured from
// the claim. Ferry writes all three (label for 1.14 tooling, annotations for the timeout).
inline constexpr std::string_view kAcceptedByLabel = "velero.io/accepted-by";
inline constexpr std::string_view kAcceptedByAnnotation = "velero.io/accepted-by";
inline constexpr std::string_view kAcceptedAtAnnotation = "velero.io/accepted-at";

inline constexpr std::string_view kAsyncOperationIdLabel = "velero.io/async-operation-id";
inline constexpr std::string_view kBackupNameLabel = "velero.io/backup-name";
inline constexpr std::string_view kBackupUidLabel = "velero.io/backup-uid";
inline constexpr std::string_view kPvcUidLabel = "velero.io/pvc-uid";
inline constexpr std::string_view kRestoreNameLabel = "velero.io/restore-name";
inline constexpr std::string_view kRestoreUidLabel = "velero.io/restore-uid";
inline constexpr std::string_view kDataUploadLabel = "velero.io/data-upload";
inline constexpr std::string_view kDataDownloadLabel = "velero.io/data-download";
inline constexpr std::string_view kDynamicPvRestoreLabel = "velero.io/dynamic-pv-restore";

// BackupRepository key labels: repositories are always looked up by these, never by name.
inline constexpr std::string_view kVolumeNamespaceLabel = "velero.io/volume-namespace";
inline constexpr std::string_view kStorageLocationLabel = "velero.io/storage-location";
inline constexpr std::string_view kRepositoryTypeLabel = "velero.io/repository-type";

// The label a VolumeSnapshotClass must carry to be used by Velero's CSI data mover.
inline constexpr std::string_view kVolumeSnapshotClassLabel = "velero.io/csi-volumesnapshot-class";

// Ferry's own bookkeeping on DataUpload/DataDownload (not in Velero): what the exposer created,
// as JSON, so that cleanup finds every temporary object after a restart too.
inline constexpr std::string_view kExposedAnnotation = "ferry.io/exposed";

// Set on a DataUpload whose upload continued from the checkpoint of an interrupted run.
inline constexpr std::string_view kResumedAnnotation = "ferry.io/resumed-from-checkpoint";

// Kopia snapshot tags Velero writes (§7.1).
inline constexpr std::string_view kSnapshotRequesterTag = "snapshot-requester";
inline constexpr std::string_view kSnapshotUploaderTag = "snapshot-uploader";
inline constexpr std::string_view kDataMoverRequester = "snapshot-data-upload-download";

// Velero's label.GetValidName: a value longer than 63 characters becomes its first 57 characters
// followed by the first 6 hex digits of the SHA-256 of the whole value; shorter values are kept.
std::string SanitizeLabelValue(std::string_view value);

// "snapshot-data-upload-download/kopia/<ns>/<pvc>": the Kopia source path of a volume (§7.1).
std::string DataMoverSourcePath(std::string_view source_namespace, std::string_view pvc);

}  // namespace ferry::controlplane
