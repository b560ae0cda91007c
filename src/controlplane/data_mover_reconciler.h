// DataMoverReconciler: the phase machine shared by the DataUpload and DataDownload controllers
// (datamover-control-plane.md §3.2, §3.3, §9.4), with the kind-specific steps (expose, transfer,
// complete, clean up) left to DataUploadController / DataDownloadController.
//
//   New ─claim (update with the read resourceVersion; losers drop it)─▶ Accepted
//   Accepted ─exposed on this node─▶ Prepared (status.node)      ─error─▶ Failed
//   Accepted ─prepare timeout (from velero.io/accepted-at)─▶ Failed "timeout on preparing data ..."
//   Prepared ─slot free, repository Ready─▶ InProgress ─transfer ok─▶ Completed
//   InProgress ─spec.cancel, transfer here─▶ Canceling ─stopped─▶ Canceled
//   any non-terminal ─spec.cancel─▶ Canceled;  deletion of a non-terminal object ⇒ spec.cancel
//   terminal ⇒ finalizer removed.
//
// Ferry departs from Velero 1.14 on restarts (by design, docs/control-plane.md "Restarts"): an
// InProgress object whose status.node is this node and that no transfer here is running is
// resumed (uploads continue from the last checkpoint), and an object this node had Accepted is
// exposed again, instead of being cancelled.
//
// Single-threaded: Reconcile, OnFinished and Tick are called from the node agent's loop thread,
// the only user of the Store handle. Transfers run on DataPathManager threads.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/status.h"
#include "controlplane/backup_repository_controller.h"
#include "controlplane/data_path_manager.h"
#include "controlplane/repository_ensurer.h"
#include "resource/object.h"
#include "resource/store.h"

namespace ferry::controlplane {

namespace phase {
inline constexpr std::string_view kNew = "New";
inline constexpr std::string_view kAccepted = "Accepted";
inline constexpr std::string_view kPrepared = "Prepared";
inline constexpr std::string_view kInProgress = "InProgress";
inline constexpr std::string_view kCanceling = "Canceling";
inline constexpr std::string_view kCanceled = "Canceled";
inline constexpr std::string_view kCompleted = "Completed";
inline constexpr std::string_view kFailed = "Failed";
}  // namespace phase

bool IsTerminalPhase(std::string_view p);

struct MoverOptions {
  std::string node;                      // this node agent's identity
  int64_t prepare_timeout_s = 30 * 60;   // --data-mover-prepare-timeout
  int64_t progress_interval_ms = 10000;  // --progress-interval (Velero: 10 s)
  int64_t checkpoint_interval_ns = 0;    // --checkpoint-interval (0: the uploader's default)
  int64_t resource_timeout_ms = 10 * 60 * 1000;
  std::string datamover_name = "velero";  // "" is always accepted too
  std::string snapshot_root;  // ferry.local/copy snapshots (exposer.h)
  std::string volume_root;    // ferry.local/hostpath volumes without parameters.root
};

class DataMoverReconciler {
 public:
  DataMoverReconciler(std::string kind, resource::Store& store, DataPathManager& data_path,
                      BackupRepositoryController& repositories, MoverOptions options);
  virtual ~DataMoverReconciler() = default;

  const std::string& kind() const { return kind_; }

  // One reconcile of kind/ns/name (absent objects are ignored).
  Status Reconcile(std::string_view namespace_name, std::string_view name);
  // A transfer of this kind ended (key from TransferKey).
  void OnFinished(const std::string& key, const TransferOutcome& outcome);
  // Periodic work: progress patches of running transfers (at most every progress_interval_ms).
  void Tick();
  // Objects waiting in Prepared (or InProgress, to resume) for a free slot, oldest first.
  std::vector<std::pair<std::string, std::string>> WaitingForSlot() const;
  // Shutdown: transfers stopped by the node agent itself are left InProgress (resumable).
  void set_shutting_down() { shutting_down_ = true; }

  std::string TransferKey(std::string_view namespace_name, std::string_view name) const;

 protected:
  // Kind-specific steps.
  // Whether a New object may be claimed yet (DataDownload: the target PVC must exist).
  virtual bool ReadyToClaim(const resource::Object& obj) { (void)obj; return true; }
  // Exposes the volume; must call RecordExposure before creating anything so that clean-up finds
  // it after a crash. nullopt: not possible yet (stay Accepted, e.g. VolumeSnapshot not ready).
  virtual Result<std::optional<resource::Object>> Expose(resource::Object& obj) = 0;
  // Removes every temporary object recorded in obj's exposure annotation.
  virtual Status CleanUp(const resource::Object& obj) = 0;
  // The same before exposing again after a restart (inputs such as the source VolumeSnapshot stay).
  virtual Status CleanUpForRetry(const resource::Object& obj) { return CleanUp(obj); }
  // The volume namespace whose repository the transfer uses, and the BSL.
  virtual RepositoryKey RepositoryKeyFor(const resource::Object& obj) const = 0;
  // Builds the transfer (runs on a DataPathManager thread; must not use the Store).
  virtual Result<DataPathManager::TransferFn> MakeTransfer(const resource::Object& obj,
                                                           const datapath::RepositoryLocation& location,
                                                           bool resume) = 0;
  // Status fields of a successful transfer; may finish the job in the Store (DataDownload binds
  // the restored volume). An error fails the object.
  virtual Status Complete(const resource::Object& obj, const TransferOutcome& outcome,
                          resource::Object& status_patch) = 0;
  virtual std::string Noun() const = 0;  // "data upload"

  // Writes exposure (JSON) into the kExposedAnnotation of obj in the Store (and in obj).
  Status RecordExposure(resource::Object& obj, const resource::Object& exposure);
  static resource::Object ExposureOf(const resource::Object& obj);

  resource::Store& store_;
  MoverOptions options_;

 private:
  Status ReconcileNew(resource::Object obj);
  Status ReconcileAccepted(resource::Object obj);
  Status ReconcilePrepared(resource::Object obj);
  Status ReconcileInProgress(resource::Object obj);
  Status ExposeAndPrepare(resource::Object obj);
  Status StartTransfer(resource::Object obj, bool resume);
  // Cleans up, then writes the terminal phase (+ timestamps, message, extra status fields).
  Status Finish(const resource::Object& obj, std::string_view phase, const std::string& message,
                resource::Object extra_status = resource::Object::object());
  bool IsMine(const resource::Object& obj) const;
  void Wait(const resource::Object& obj);
  void Unwait(const std::string& key);

  std::string kind_;
  DataPathManager& data_path_;
  BackupRepositoryController& repositories_;
  bool shutting_down_ = false;
  struct Running {
    std::string namespace_name, name;
    int64_t last_progress_ms = 0;
    datapath::Progress last_written;
  };
  std::map<std::string, Running> running_;
  std::deque<std::pair<std::string, std::string>> waiting_;
  std::set<std::string> waiting_keys_;
};

}  // namespace ferry::controlplane
