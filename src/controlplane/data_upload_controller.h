// DataUploadController: the node agent's DataUpload reconciler (Velero's
// pkg/controller/data_upload_controller.go) — the phase machine of DataMoverReconciler with the
// backup steps: expose the VolumeSnapshot (exposer.h), upload it with datapath::Backup as Velero's
// Kopia uploader does (source default@default:snapshot-data-upload-download/kopia/<ns>/<pvc>, tags
// snapshot-requester / snapshot-uploader / velero.io/async-operation-id, description "Kopia
// Uploader", pin velero-pin), and write status.snapshotID / status.path on completion.
#pragma once

#include "controlplane/data_mover_reconciler.h"

namespace ferry::controlplane {

class DataUploadController : public DataMoverReconciler {
 public:
  DataUploadController(resource::Store& store, DataPathManager& data_path,
                       BackupRepositoryController& repositories, MoverOptions options)
      : DataMoverReconciler("DataUpload", store, data_path, repositories, std::move(options)) {}

  // The Kopia tags of a DataUpload's snapshot. The operation id is the DataUpload's
  // velero.io/async-operation-id label; a DataUpload created without one (by hand) uses its uid, so
  // that an interrupted upload can still find its own checkpoint.
  static std::map<std::string, std::string> SnapshotTags(const resource::Object& data_upload);

 protected:
  Result<std::optional<resource::Object>> Expose(resource::Object& obj) override;
  Status CleanUp(const resource::Object& obj) override;
  Status CleanUpForRetry(const resource::Object& obj) override;
  RepositoryKey RepositoryKeyFor(const resource::Object& obj) const override;
  Result<DataPathManager::TransferFn> MakeTransfer(const resource::Object& obj,
                                                   const datapath::RepositoryLocation& location,
                                                   bool resume) override;
  Status Complete(const resource::Object& obj, const TransferOutcome& outcome,
                  resource::Object& status_patch) override;
  std::string Noun() const override { return "data upload"; }
};

}  // namespace ferry::controlplane
