#include "controlplane/data_upload_controller.h"

#include <string>

#include "controlplane/exposer.h"
#include "controlplane/session_pool.h"
#include "controlplane/labels.h"
#include "resource/time_util.h"

namespace ferry::controlplane {

using resource::Object;

namespace {

int ParallelFrom(const Object& obj, const char* key) {
  std::string v = resource::StringAt(obj, std::string("spec.dataMoverConfig.") + key);
  if (v.empty()) return 0;
  try {
    int n = std::stoi(v);
    return n > 0 ? n : 0;
  } catch (...) {
    return 0;
  }
}

}  // namespace

std::map<std::string, std::string> DataUploadController::SnapshotTags(const Object& du) {
  std::string operation = resource::Labels(du)[std::string(kAsyncOperationIdLabel)];
  if (operation.empty()) operation = resource::Uid(du);
  return {{std::string(kSnapshotRequesterTag), std::string(kDataMoverRequester)},
          {std::string(kSnapshotUploaderTag), "kopia"},
          {std::string(kAsyncOperationIdLabel), operation}};
}

Result<std::optional<Object>> DataUploadController::Expose(Object& obj) {
  std::string type = resource::StringAt(obj, "spec.snapshotType");
  if (type != "CSI") {
    return Status::InvalidArgument("type of snapshot exposer is not exist: snapshotType \"" + type +
                                   "\" (only CSI)");
  }
  auto exposed = ExposeSnapshot(store_, obj, {options_.snapshot_root, options_.volume_root},
                                [this, &obj](const Object& exposure) { return RecordExposure(obj, exposure); });
  if (exposed.ok() && !exposed->has_value()) {
    // Waiting for the VolumeSnapshot: bounded by spec.operationTimeout (Velero 1.12 used the
    // backup's csiSnapshotTimeout for this wait) as well as by the prepare timeout.
    auto timeout = resource::ParseGoDurationNanos(resource::StringAt(obj, "spec.operationTimeout"));
    auto accepted = resource::ParseRfc3339(resource::Annotations(obj)[std::string(kAcceptedAtAnnotation)]);
    if (timeout.ok() && *timeout > 0 && accepted.ok() &&
        (resource::NowUnixSeconds() - *accepted) * 1000000000 >= *timeout) {
      return Status::IOError("VolumeSnapshot " + resource::StringAt(obj, "spec.sourceNamespace") + "/" +
                             resource::StringAt(obj, "spec.csiSnapshot.volumeSnapshot") +
                             " did not become ready to use within operationTimeout " +
                             resource::StringAt(obj, "spec.operationTimeout"));
    }
  }
  return exposed;
}

Status DataUploadController::CleanUp(const Object& obj) { return CleanUpSnapshot(store_, obj, ExposureOf(obj)); }

Status DataUploadController::CleanUpForRetry(const Object& obj) {
  return CleanUpSnapshot(store_, obj, ExposureOf(obj), /*delete_source_snapshot=*/false);
}

RepositoryKey DataUploadController::RepositoryKeyFor(const Object& obj) const {
  RepositoryKey key;
  key.velero_namespace = resource::Namespace(obj);
  key.volume_namespace = resource::StringAt(obj, "spec.sourceNamespace");
  key.bsl = resource::StringAt(obj, "spec.backupStorageLocation");
  return key;
}

Result<DataPathManager::TransferFn> DataUploadController::MakeTransfer(const Object& obj,
                                                                      const datapath::RepositoryLocation& location,
                                                                      bool resume) {
  Object exposure = ExposureOf(obj);
  std::string path = ExposedPath(exposure);
  if (path.empty()) return Status::NotFound("the exposed volume of " + resource::Describe(obj) + " is not recorded");
  datapath::BackupRequest request;
  request.path = path;
  request.block = ExposedBlock(exposure);
  request.source_path =
      DataMoverSourcePath(resource::StringAt(obj, "spec.sourceNamespace"), resource::StringAt(obj, "spec.sourcePVC"));
  request.tags = SnapshotTags(obj);
  request.resume_tag = std::string(kAsyncOperationIdLabel);
  request.checkpoint_interval_ns = options_.checkpoint_interval_ns;
  request.parallel = ParallelFrom(obj, "ParallelFilesUpload");
  (void)resume;  // resume_tag makes every run pick up its own checkpoint, if there is one
  return DataPathManager::TransferFn([location, request](TransferContext& context) mutable {
    TransferOutcome outcome;
    auto session = SessionPool::Default().Acquire(location);
    if (!session.ok()) {
      outcome.status = session.status().WithContext("error to connect backup repo");
      return outcome;
    }
    request.cancel = context.cancel_flag();
    request.progress = [&context](const datapath::Progress& p) { context.ReportProgress(p); };
    auto result = datapath::Backup(**session, request);
    if (!result.ok()) {
      outcome.status = result.status();
      return outcome;
    }
    SessionPool::Default().Release(location, std::move(*session));
    outcome.snapshot_id = result->snapshot_id;
    outcome.total_bytes = result->total_bytes;
    outcome.resumed = result->resumed;
    if (result->errors > 0) {
      std::string message = "Failed to upload " + std::to_string(result->errors) + " entries:";
      for (const std::string& m : result->error_messages) message += " " + m + ";";
      outcome.status = Status::IOError(message);
    }
    return outcome;
  });
}

Status DataUploadController::Complete(const Object& obj, const TransferOutcome& outcome, Object& status_patch) {
  status_patch["snapshotID"] = outcome.snapshot_id;
  status_patch["path"] = ExposedPath(ExposureOf(obj));
  if (outcome.resumed) {
    // Not a Velero field: an annotation, so the upstream CRD schema keeps the object valid.
    Object patch;
    patch["metadata"]["annotations"][std::string(kResumedAnnotation)] = "true";
    auto r = store_.MergePatch("DataUpload", resource::Namespace(obj), resource::Name(obj), patch);
    if (!r.ok()) return r.status();
  }
  return Status::OK();
}

}  // namespace ferry::controlplane
