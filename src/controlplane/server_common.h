// Shared pieces of `ferry server` (Velero's server role): the names it writes (labels,
// finalizers, phases), a logger, and small helpers the DPA, Backup, Restore, deletion and sync
// controllers all use. Everything here talks to the resource store only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "controlplane/labels.h"
#include "controlplane/log.h"
#include "resource/object.h"
#include "resource/store.h"

namespace ferry::controlplane {

// Opens a fresh store handle. A Store is not thread-safe, so every worker thread of the server
// opens its own (they share one SQLite file).
using StoreFactory = std::function<Result<std::unique_ptr<resource::Store>>()>;

// Velero's Backup phases (velero.io/v1 BackupPhase) and Restore phases.
inline constexpr std::string_view kPhaseNew = "New";
inline constexpr std::string_view kPhaseFailedValidation = "FailedValidation";
inline constexpr std::string_view kPhaseInProgress = "InProgress";
inline constexpr std::string_view kPhaseWaitingForPluginOperations = "WaitingForPluginOperations";
inline constexpr std::string_view kPhaseFinalizing = "Finalizing";
inline constexpr std::string_view kPhaseCompleted = "Completed";
inline constexpr std::string_view kPhasePartiallyFailed = "PartiallyFailed";
inline constexpr std::string_view kPhaseFailed = "Failed";
inline constexpr std::string_view kPhaseDeleting = "Deleting";

// Labels D's labels.h does not name (the server's side of §2.6).
inline constexpr char kVolumeSnapshotNameLabel[] = "velero.io/volume-snapshot-name";
inline constexpr char kDataUploadNameAnnotation[] = "velero.io/data-upload-name";
inline constexpr char kDefaultVolumeSnapshotClassAnnotation[] =
    "snapshot.storage.kubernetes.io/is-default-class";
inline constexpr char kDefaultStorageClassAnnotation[] =
    "storageclass.kubernetes.io/is-default-class";

// Finalizer the server puts on every Backup it handles, so that `ferry delete backup NAME` (a
// plain delete of the resource) becomes Velero's full deletion: snapshots forgotten, DataUploads
// and the metadata in the backup storage location removed, then the resource goes.
inline constexpr char kBackupDeletionFinalizer[] = "ferry.local/backup-deletion";

// The local provisioner of standalone mode and its parameter.
inline constexpr char kHostPathProvisioner[] = "ferry.local/hostpath";

// True when the backup/restore phase can change no more.
bool IsTerminalBackupPhase(std::string_view phase);
// True for the DataUpload/DataDownload phases Completed, Failed and Canceled.
bool IsTerminalMoverPhase(std::string_view phase);

// Velero's server start-up rule (§3.7): every `kind` (Backup or Restore) left InProgress by a
// stopped server is marked Failed, and its non-terminal `mover_kind` resources (DataUpload or
// DataDownload, found by `uid_label` = its uid) get spec.cancel.
Status FailInterruptedRuns(resource::Store& store, std::string_view kind, std::string_view mover_kind,
                           std::string_view uid_label);

// Velero's namespace filter: included ("*" or empty = all) minus excluded; entries may use
// shell-style '*' and '?' wildcards.
bool NamespaceIncluded(const std::string& ns, const std::vector<std::string>& included,
                       const std::vector<std::string>& excluded);

std::vector<std::string> StringListAt(const resource::Object& o, std::string_view dotted_path);

// Merge-patches `patch` into the object, retrying on conflicts (a patch without a
// resourceVersion always applies).
Result<resource::Object> Patch(resource::Store& store, const resource::Object& target,
                               const resource::Object& patch);

// A Go duration at dotted_path, fallback when absent; InvalidArgument naming the field when it
// does not parse.
Result<int64_t> DurationAt(const resource::Object& o, std::string_view dotted_path,
                           int64_t fallback_nanos);

// Five random lowercase letters/digits, as Kubernetes' generateName suffixes.
std::string RandomSuffix();

// The BackupStorageLocation a Backup names (storageLocation), or the namespace's default one
// (spec.default: true). NotFound with an actionable message when neither exists.
Result<resource::Object> FindStorageLocation(resource::Store& store, const std::string& ns,
                                             const std::string& name);

}  // namespace ferry::controlplane
