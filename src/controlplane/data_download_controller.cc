#include "controlplane/data_download_controller.h"

#include <string>

#include "controlplane/exposer.h"

namespace ferry::controlplane {

using resource::Object;

bool DataDownloadController::ReadyToClaim(const Object& obj) {
  // The restore creates the target PVC only after the DataDownload; wait for it (Velero requeues).
  auto pvc = store_.Get("PersistentVolumeClaim", resource::StringAt(obj, "spec.targetVolume.namespace"),
                        resource::StringAt(obj, "spec.targetVolume.pvc"));
  return pvc.ok();
}

Result<std::optional<Object>> DataDownloadController::Expose(Object& obj) {
  if (resource::StringAt(obj, "spec.snapshotID").empty()) {
    return Status::InvalidArgument("spec.snapshotID is empty");
  }
  return ExposeRestoreTarget(store_, obj, {options_.snapshot_root, options_.volume_root}, [this, &obj](const Object& exposure) { return RecordExposure(obj, exposure); });
}

Status DataDownloadController::CleanUp(const Object& obj) { return CleanUpRestoreTarget(store_, ExposureOf(obj)); }

RepositoryKey DataDownloadController::RepositoryKeyFor(const Object& obj) const {
  RepositoryKey key;
  key.velero_namespace = resource::Namespace(obj);
  key.volume_namespace = resource::StringAt(obj, "spec.sourceNamespace");
  key.bsl = resource::StringAt(obj, "spec.backupStorageLocation");
  return key;
}

Result<DataPathManager::TransferFn> DataDownloadController::MakeTransfer(const Object& obj,
                                                                        const datapath::RepositoryLocation& location,
                                                                        bool resume) {
  (void)resume;  // a restore starts over: it overwrites what an interrupted run wrote
  Object exposure = ExposureOf(obj);
  datapath::RestoreRequest request;
  request.snapshot_id = resource::StringAt(obj, "spec.snapshotID");
  request.target = ExposedPath(exposure);
  if (request.target.empty()) return Status::NotFound("the restore target of " + resource::Describe(obj) + " is not recorded");
  request.block = ExposedBlock(exposure);
  request.write_sparse_files = resource::StringAt(obj, "spec.dataMoverConfig.WriteSparseFiles") == "true";
  std::string parallel = resource::StringAt(obj, "spec.dataMoverConfig.ParallelFilesDownload");
  if (!parallel.empty()) {
    try {
      request.parallel = std::max(0, std::stoi(parallel));
    } catch (...) {
    }
  }
  return DataPathManager::TransferFn([location, request](TransferContext& context) mutable {
    TransferOutcome outcome;
    // Always a fresh session: a pooled one may not see a snapshot another node agent saved since.
    auto session = datapath::ConnectOrCreate(location, {}, /*create_if_missing=*/false);
    if (!session.ok()) {
      outcome.status = session.status().WithContext("error to connect backup repo");
      return outcome;
    }
    request.cancel = context.cancel_flag();
    request.progress = [&context](const datapath::Progress& p) { context.ReportProgress(p); };
    auto result = datapath::Restore(**session, request);
    if (!result.ok()) {
      outcome.status = result.status();
      return outcome;
    }

    outcome.total_bytes = result->total_bytes;
    return outcome;
  });
}

Status DataDownloadController::Complete(const Object& obj, const TransferOutcome& outcome, Object& status_patch) {
  (void)outcome;
  (void)status_patch;
  Object current = obj;
  return BindRestoredVolume(store_, obj, [this, &current](const Object& exposure) {
    return RecordExposure(current, exposure);
  }, ExposureOf(obj));
}

}  // namespace ferry::controlplane
