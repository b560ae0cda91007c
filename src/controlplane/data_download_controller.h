// DataDownloadController: the node agent's DataDownload reconciler (Velero's
// pkg/controller/data_download_controller.go) — the phase machine of DataMoverReconciler with the
// restore steps: a New DataDownload is claimed only once its target PVC exists; exposing it
// provisions an empty volume for that PVC (exposer.h); datapath::Restore writes the snapshot into
// it (WriteSparseFiles / ParallelFilesDownload from spec.dataMoverConfig); on success the volume
// is bound to the target PVC through a new PV (Velero's rebind contract, §5.3 / §9.4.15).
#pragma once

#include "controlplane/data_mover_reconciler.h"

namespace ferry::controlplane {

class DataDownloadController : public DataMoverReconciler {
 public:
  DataDownloadController(resource::Store& store, DataPathManager& data_path,
                         BackupRepositoryController& repositories, MoverOptions options)
      : DataMoverReconciler("DataDownload", store, data_path, repositories, std::move(options)) {}

 protected:
  bool ReadyToClaim(const resource::Object& obj) override;
  Result<std::optional<resource::Object>> Expose(resource::Object& obj) override;
  Status CleanUp(const resource::Object& obj) override;
  RepositoryKey RepositoryKeyFor(const resource::Object& obj) const override;
  Result<DataPathManager::TransferFn> MakeTransfer(const resource::Object& obj,
                                                   const datapath::RepositoryLocation& location,
                                                   bool resume) override;
  Status Complete(const resource::Object& obj, const TransferOutcome& outcome,
                  resource::Object& status_patch) override;
  std::string Noun() const override { return "data download"; }
};

}  // namespace ferry::controlplane
