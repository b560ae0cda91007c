#include "controlplane/restore_controller.h"

#include <map>
#include <set>

#include "controlplane/backup_metadata.h"
#include "controlplane/server_common.h"
#include "resource/label_selector.h"
#include "resource/time_util.h"

namespace ferry::controlplane {
namespace {

using resource::Object;
constexpr int64_t kNanosPerSecond = 1'000'000'000;
// Errors and warnings found while creating the operations, kept on the Restore so a restarted
// server finishes with them.
constexpr char kResultsAnnotation[] = "ferry.local/restore-results";

std::map<std::string, std::string> NamespaceMapping(const Object& restore) {
  std::map<std::string, std::string> mapping;
  if (restore.contains("spec") && restore["spec"].contains("namespaceMapping") &&
      restore["spec"]["namespaceMapping"].is_object()) {
    for (auto it = restore["spec"]["namespaceMapping"].begin(); it != restore["spec"]["namespaceMapping"].end(); ++it) {
      if (it.value().is_string()) mapping[it.key()] = it.value().get<std::string>();
    }
  }
  return mapping;
}

// The PVC to create from the backed-up one (Velero's PVC RestoreItemAction, §5.2).
Object RestoredClaim(const Object& backed_up, const std::string& target_ns, const std::string& storage_class,
                     const std::string& dynamic_label, const std::string& backup, const std::string& restore) {
  Object pvc = {{"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"}};
  pvc["metadata"] = {{"name", resource::Name(backed_up)}, {"namespace", target_ns}};
  for (const auto& [k, v] : resource::Labels(backed_up)) {
    if (k != kVolumeSnapshotNameLabel) resource::SetLabel(pvc, k, v);
  }
  static const std::set<std::string> kDropped = {
      "pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller",
      "volume.beta.kubernetes.io/storage-provisioner", "volume.kubernetes.io/storage-provisioner",
      "volume.kubernetes.io/selected-node", kVolumeSnapshotNameLabel, kDataUploadNameAnnotation,
      "backup.velero.io/must-include-additional-items"};
  for (const auto& [k, v] : resource::Annotations(backed_up)) {
    if (!kDropped.count(k)) resource::SetAnnotation(pvc, k, v);
  }
  resource::SetLabel(pvc, std::string(kBackupNameLabel), SanitizeLabelValue(backup));
  resource::SetLabel(pvc, std::string(kRestoreNameLabel), SanitizeLabelValue(restore));
  Object spec = backed_up.contains("spec") ? backed_up["spec"] : Object::object();
  spec.erase("volumeName");
  spec.erase("dataSource");
  spec.erase("dataSourceRef");
  spec["storageClassName"] = storage_class;
  spec["selector"] = {{"matchLabels", {{std::string(kDynamicPvRestoreLabel), dynamic_label}}}};
  pvc["spec"] = spec;
  return pvc;
}

class RestoreRun {
 public:
  RestoreRun(resource::Store& store, Object restore, const RestoreControllerOptions& options)
      : store_(store), restore_(std::move(restore)), options_(options) {}
  Status Run();

 private:
  std::string ns() const { return resource::Namespace(restore_); }
  std::string name() const { return resource::Name(restore_); }
  std::string BackupName() const { return resource::StringAt(restore_, "spec.backupName"); }
  bool Stopping() const { return options_.stop != nullptr && options_.stop->load(); }
  Status SetStatus(const Object& status_patch);
  Status Fail(const std::string& reason);
  Status Start();
  Status CreateOperations();
  Status WaitForOperations();
  Status Finalize();
  Result<std::vector<Object>> DataDownloads();
  Status BindVolume(const Object& dd);
  void LoadResults(OperationResults* errors, OperationResults* warnings) const;

  resource::Store& store_;
  Object restore_;
  const RestoreControllerOptions& options_;
  std::map<std::string, std::string> timed_out_;
  std::set<std::string> bound_;
  OperationResults wait_errors_;
};

Status RestoreRun::SetStatus(const Object& status_patch) {
  FERRY_ASSIGN_OR_RETURN(restore_, Patch(store_, restore_, Object{{"status", status_patch}}));
  return Status::OK();
}

Status RestoreRun::Fail(const std::string& reason) {
  LogError("restore " + ns() + "/" + name() + " failed: " + reason);
  return SetStatus({{"phase", kPhaseFailed}, {"failureReason", reason}, {"completionTimestamp", resource::NowRfc3339()}});
}

void RestoreRun::LoadResults(OperationResults* errors, OperationResults* warnings) const {
  std::string text = resource::Annotations(restore_)[kResultsAnnotation];
  if (text.empty()) return;
  Object j = Object::parse(text, nullptr, false);
  if (j.is_discarded()) return;
  if (j.contains("errors")) *errors = OperationResults::FromJson(j["errors"]);
  if (j.contains("warnings")) *warnings = OperationResults::FromJson(j["warnings"]);
}

Status RestoreRun::Start() {
  std::vector<std::string> problems = ValidateRestore(store_, restore_);
  if (!problems.empty()) {
    LogWarning("restore " + ns() + "/" + name() + " failed validation: " + problems.front());
    return SetStatus({{"phase", kPhaseFailedValidation},
                      {"validationErrors", problems},
                      {"completionTimestamp", resource::NowRfc3339()}});
  }
  LogInfo("restore " + ns() + "/" + name() + " of backup " + BackupName() + " started");
  return SetStatus({{"phase", kPhaseInProgress}, {"startTimestamp", resource::NowRfc3339()}});
}

Status RestoreRun::CreateOperations() {
  OperationResults errors, warnings;
  FERRY_ASSIGN_OR_RETURN(Object backup, store_.Get("Backup", ns(), BackupName()));
  std::string bsl = resource::StringAt(backup, "spec.storageLocation");
  FERRY_ASSIGN_OR_RETURN(auto metadata, BackupMetadataStore::Open(store_, ns(), bsl));
  auto resources = metadata->GetResources(BackupName());
  if (!resources.ok()) {
    return resources.status().WithContext("reading the resources of backup " + BackupName() +
                                          " from backup storage location " + bsl);
  }
  std::map<std::string, Object> uploads;  // "<ns>/<pvc>" → DataUpload
  for (const Object& item : *resources) {
    if (resource::Kind(item) == "DataUpload") {
      uploads[resource::StringAt(item, "spec.sourceNamespace") + "/" + resource::StringAt(item, "spec.sourcePVC")] = item;
    }
  }
  std::vector<std::string> included = StringListAt(restore_, "spec.includedNamespaces");
  std::vector<std::string> excluded = StringListAt(restore_, "spec.excludedNamespaces");
  std::map<std::string, std::string> mapping = NamespaceMapping(restore_);
  std::string policy = resource::StringAt(restore_, "spec.existingResourcePolicy");
  std::string default_class;

  int64_t total = 0, restored = 0, attempted = 0;
  for (const Object& item : *resources) {
    if (resource::Kind(item) != "PersistentVolumeClaim") continue;
    const std::string source_ns = resource::Namespace(item);
    const std::string pvc_name = resource::Name(item);
    if (!NamespaceIncluded(source_ns, included, excluded)) continue;
    ++total;
    const std::string target_ns = mapping.count(source_ns) ? mapping[source_ns] : source_ns;
    const std::string ref = target_ns + "/" + pvc_name;
    auto du_it = uploads.find(source_ns + "/" + pvc_name);
    if (du_it == uploads.end() || resource::StringAt(du_it->second, "status.phase") != "Completed" ||
        resource::StringAt(du_it->second, "status.snapshotID").empty()) {
      errors.Add(target_ns, "PVC " + ref + ": the backup holds no data for it (its DataUpload " +
                                (du_it == uploads.end() ? std::string("is missing")
                                                        : "ended " + resource::StringAt(du_it->second, "status.phase")) +
                                ")");
      continue;
    }
    const Object& du = du_it->second;
    auto existing = store_.Get("PersistentVolumeClaim", target_ns, pvc_name);
    if (existing.ok()) {
      if (policy != "update") {
        warnings.Add(target_ns, "could not restore, PersistentVolumeClaim \"" + pvc_name +
                                    "\" already exists. Its volume is left untouched (existingResourcePolicy: update "
                                    "replaces the claim)");
        continue;
      }
      std::string old_volume = resource::StringAt(*existing, "spec.volumeName");
      FERRY_RETURN_IF_ERROR(store_.Delete("PersistentVolumeClaim", target_ns, pvc_name));
      if (!old_volume.empty()) {
        auto pv = store_.Get("PersistentVolume", "", old_volume);
        if (pv.ok()) {
          (void)Patch(store_, *pv, Object{{"spec", {{"claimRef", nullptr}}}, {"status", {{"phase", "Released"}}}});
        }
      }
      warnings.Add(target_ns, "PersistentVolumeClaim " + ref + " replaced (existingResourcePolicy: update)" +
                                  (old_volume.empty() ? "" : "; its previous volume " + old_volume + " is kept, Released"));
    } else if (existing.status().code() != StatusCode::kNotFound) {
      return existing.status();
    }
    // Its own StorageClass when that one provisions volumes here, else the default one.
    std::string storage_class = resource::StringAt(item, "spec.storageClassName");
    auto own_class = storage_class.empty() ? Result<Object>(Status::NotFound("none"))
                                           : store_.Get("StorageClass", "", storage_class);
    if (!own_class.ok() || resource::StringAt(*own_class, "provisioner") != kHostPathProvisioner) {
      if (default_class.empty()) {
        FERRY_ASSIGN_OR_RETURN(default_class, EnsureDefaultStorageClass(store_, options_.volume_root));
      }
      storage_class = default_class;
    }
    std::string dynamic_label = SanitizeLabelValue(target_ns + "." + pvc_name + "." + RandomSuffix());
    Object pvc = RestoredClaim(item, target_ns, storage_class, dynamic_label, BackupName(), name());
    auto created_pvc = store_.Create(pvc);
    if (!created_pvc.ok()) {
      errors.Add(target_ns, "PVC " + ref + ": " + created_pvc.status().message());
      continue;
    }
    std::string backed_up_pvc_uid = resource::Labels(du)[std::string(kPvcUidLabel)];
    if (backed_up_pvc_uid.empty()) backed_up_pvc_uid = resource::Uid(item);
    Object dd = {{"apiVersion", "velero.io/v2alpha1"},
                 {"kind", "DataDownload"},
                 {"metadata", {{"generateName", name() + "-"}, {"namespace", ns()}}},
                 {"spec",
                  {{"targetVolume", {{"pvc", pvc_name}, {"pv", ""}, {"namespace", target_ns}}},
                   {"backupStorageLocation", bsl},
                   {"snapshotID", resource::StringAt(du, "status.snapshotID")},
                   {"sourceNamespace", source_ns},
                   {"operationTimeout", resource::StringAt(du, "spec.operationTimeout").empty()
                                            ? std::string("10m0s")
                                            : resource::StringAt(du, "spec.operationTimeout")}}}};
    if (std::string dm = resource::StringAt(du, "spec.datamover"); !dm.empty()) dd["spec"]["datamover"] = dm;
    if (restore_.contains("spec") && restore_["spec"].contains("uploaderConfig")) {
      Object config = Object::object();
      config["WriteSparseFiles"] = resource::BoolAt(restore_, "spec.uploaderConfig.writeSparseFiles") ? "true" : "false";
      int64_t parallel = resource::IntAt(restore_, "spec.uploaderConfig.parallelFilesDownload", 0);
      if (parallel > 0) config["ParallelFilesDownload"] = std::to_string(parallel);
      dd["spec"]["dataMoverConfig"] = config;
    }
    resource::SetLabel(dd, std::string(kRestoreNameLabel), SanitizeLabelValue(name()));
    resource::SetLabel(dd, std::string(kRestoreUidLabel), resource::Uid(restore_));
    resource::SetLabel(dd, std::string(kAsyncOperationIdLabel),
                       SanitizeLabelValue("dd-" + resource::Uid(restore_) + "." + backed_up_pvc_uid));
    resource::SetControllerOwner(dd, restore_);
    ++attempted;
    auto created_dd = store_.Create(dd);
    if (!created_dd.ok()) {
      errors.Add(target_ns, "PVC " + ref + ": creating the DataDownload: " + created_dd.status().message());
      continue;
    }
    ++restored;
    LogInfo("restore " + ns() + "/" + name() + ": DataDownload " + resource::Name(*created_dd) + " for PVC " + ref);
  }
  Object results = {{"errors", errors.ToJson()}, {"warnings", warnings.ToJson()}};
  Object patch = {{"metadata", {{"annotations", {{kResultsAnnotation, results.dump()}}}}},
                  {"status",
                   {{"phase", kPhaseWaitingForPluginOperations},
                    {"progress", {{"totalItems", total}, {"itemsRestored", restored}}},
                    {"restoreItemOperationsAttempted", attempted},
                    {"errors", errors.Count()},
                    {"warnings", warnings.Count()}}}};
  FERRY_ASSIGN_OR_RETURN(restore_, Patch(store_, restore_, patch));
  return Status::OK();
}

Result<std::vector<Object>> RestoreRun::DataDownloads() {
  resource::ListOptions options;
  options.namespace_name = ns();
  options.selector = resource::LabelSelector::Equals({{std::string(kRestoreUidLabel), resource::Uid(restore_)}});
  return store_.List("DataDownload", options);
}

// Binds the restored volume to its claim unless the data mover already did (§5.3 RebindVolume:
// PV claimRef = the PVC, without uid; PVC volumeName = the PV).
Status RestoreRun::BindVolume(const Object& dd) {
  const std::string target_ns = resource::StringAt(dd, "spec.targetVolume.namespace");
  const std::string pvc_name = resource::StringAt(dd, "spec.targetVolume.pvc");
  FERRY_ASSIGN_OR_RETURN(Object pvc, store_.Get("PersistentVolumeClaim", target_ns, pvc_name));
  std::string volume = resource::StringAt(pvc, "spec.volumeName");
  Object pv;
  if (!volume.empty()) {
    FERRY_ASSIGN_OR_RETURN(pv, store_.Get("PersistentVolume", "", volume));
  } else {
    // (the label key holds dots, so no dotted path)
    std::string dynamic;
    if (pvc.contains("spec") && pvc["spec"].contains("selector") && pvc["spec"]["selector"].contains("matchLabels")) {
      dynamic = pvc["spec"]["selector"]["matchLabels"].value(std::string(kDynamicPvRestoreLabel), std::string());
    }
    resource::ListOptions options;
    options.selector = resource::LabelSelector::Equals({{std::string(kDynamicPvRestoreLabel), dynamic}});
    FERRY_ASSIGN_OR_RETURN(auto pvs, store_.List("PersistentVolume", options));
    if (dynamic.empty() || pvs.empty()) {
      std::string named = resource::StringAt(dd, "spec.targetVolume.pv");
      if (named.empty()) {
        return Status::NotFound("the DataDownload completed but no PersistentVolume carries " +
                                std::string(kDynamicPvRestoreLabel) + "=" + dynamic);
      }
      FERRY_ASSIGN_OR_RETURN(pv, store_.Get("PersistentVolume", "", named));
    } else {
      pv = pvs.front();
    }
    volume = resource::Name(pv);
  }
  if (resource::StringAt(pv, "spec.claimRef.name") != pvc_name ||
      resource::StringAt(pv, "spec.claimRef.namespace") != target_ns ||
      resource::StringAt(pv, "status.phase") != "Bound") {
    FERRY_RETURN_IF_ERROR(Patch(store_, pv,
                                Object{{"spec", {{"claimRef", {{"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"},
                                                               {"namespace", target_ns}, {"name", pvc_name}}}}},
                                       {"status", {{"phase", "Bound"}}}})
                              .status());
  }
  if (resource::StringAt(pvc, "spec.volumeName") != volume || resource::StringAt(pvc, "status.phase") != "Bound") {
    Object status = {{"phase", "Bound"}};
    if (pv.contains("spec") && pv["spec"].contains("capacity")) status["capacity"] = pv["spec"]["capacity"];
    if (pv.contains("spec") && pv["spec"].contains("accessModes")) status["accessModes"] = pv["spec"]["accessModes"];
    FERRY_RETURN_IF_ERROR(Patch(store_, pvc, Object{{"spec", {{"volumeName", volume}}}, {"status", status}}).status());
  }
  return Status::OK();
}

Status RestoreRun::WaitForOperations() {
  FERRY_ASSIGN_OR_RETURN(int64_t item_timeout, DurationAt(restore_, "spec.itemOperationTimeout",
                                                          options_.default_item_operation_timeout_ns));
  int64_t last_completed = -1, last_failed = -1;
  while (true) {
    if (Stopping()) return Status::OK();
    FERRY_ASSIGN_OR_RETURN(int64_t version, store_.CurrentResourceVersion());
    auto fresh = store_.Get("Restore", ns(), name());
    if (!fresh.ok()) return fresh.status().code() == StatusCode::kNotFound ? Status::OK() : fresh.status();
    restore_ = std::move(*fresh);
    FERRY_ASSIGN_OR_RETURN(auto downloads, DataDownloads());
    int64_t completed = 0, failed = 0, pending = 0;
    int64_t now = resource::NowUnixSeconds();
    for (const Object& dd : downloads) {
      std::string phase = resource::StringAt(dd, "status.phase");
      if (phase == "Completed") {
        if (!bound_.count(resource::Name(dd))) {
          Status s = BindVolume(dd);
          bound_.insert(resource::Name(dd));
          if (!s.ok()) {
            wait_errors_.Add(resource::StringAt(dd, "spec.targetVolume.namespace"),
                             "PVC " + resource::StringAt(dd, "spec.targetVolume.namespace") + "/" +
                                 resource::StringAt(dd, "spec.targetVolume.pvc") + ": binding the restored volume: " +
                                 s.message());
          }
        }
        ++completed;
        continue;
      }
      if (IsTerminalMoverPhase(phase)) {
        ++failed;
        continue;
      }
      ++pending;
      auto created = resource::ParseRfc3339(resource::CreationTimestamp(dd));
      if (created.ok() && (now - *created) * kNanosPerSecond > item_timeout && !resource::BoolAt(dd, "spec.cancel")) {
        std::string reason = "timed out after " + resource::GoDuration(item_timeout) +
                             " (itemOperationTimeout) waiting for DataDownload " + resource::Name(dd);
        timed_out_[resource::Name(dd)] = reason;
        LogWarning("restore " + ns() + "/" + name() + ": " + reason + "; cancelling it");
        FERRY_RETURN_IF_ERROR(Patch(store_, dd, Object{{"spec", {{"cancel", true}}}}).status());
      }
    }
    if (completed != last_completed || failed != last_failed) {
      FERRY_RETURN_IF_ERROR(SetStatus({{"restoreItemOperationsCompleted", completed},
                                       {"restoreItemOperationsFailed", failed}}));
      last_completed = completed;
      last_failed = failed;
    }
    if (pending == 0) return Finalize();
    FERRY_RETURN_IF_ERROR(store_.WaitForChange(version, options_.poll_interval_ms).status());
  }
}

Status RestoreRun::Finalize() {
  FERRY_RETURN_IF_ERROR(SetStatus({{"phase", kPhaseFinalizing}}));
  OperationResults errors, warnings;
  LoadResults(&errors, &warnings);
  for (const auto& m : wait_errors_.velero) errors.Add("", m);
  for (const auto& [n, list] : wait_errors_.namespaces) {
    for (const auto& m : list) errors.Add(n, m);
  }
  FERRY_ASSIGN_OR_RETURN(auto downloads, DataDownloads());
  int64_t completed = 0, failed = 0;
  for (const Object& dd : downloads) {
    std::string phase = resource::StringAt(dd, "status.phase");
    if (phase == "Completed") {
      ++completed;
      continue;
    }
    ++failed;
    std::string target = resource::StringAt(dd, "spec.targetVolume.namespace") + "/" +
                         resource::StringAt(dd, "spec.targetVolume.pvc");
    auto it = timed_out_.find(resource::Name(dd));
    std::string why = it != timed_out_.end() ? it->second
                      : phase == "Canceled" ? "DataDownload " + resource::Name(dd) + " is canceled"
                                            : "DataDownload " + resource::Name(dd) + " failed";
    if (std::string m = resource::StringAt(dd, "status.message"); !m.empty()) why += ": " + m;
    errors.Add(resource::StringAt(dd, "spec.targetVolume.namespace"), "PVC " + target + ": " + why);
  }
  std::string phase(errors.Count() > 0 ? kPhasePartiallyFailed : kPhaseCompleted);
  Object status = {{"phase", phase},
                   {"completionTimestamp", resource::NowRfc3339()},
                   {"restoreItemOperationsCompleted", completed},
                   {"restoreItemOperationsFailed", failed},
                   {"errors", errors.Count()},
                   {"warnings", warnings.Count()}};
  if (errors.Count() > 0) status["failureReason"] = errors.Summary();
  LogInfo("restore " + ns() + "/" + name() + " " + phase + " (" + std::to_string(completed) + " of " +
          std::to_string(downloads.size()) + " volumes restored" +
          (errors.Count() > 0 ? "; errors: " + errors.Summary() : std::string()) + ")");
  return SetStatus(status);
}

Status RestoreRun::Run() {
  while (!Stopping()) {
    std::string phase = resource::StringAt(restore_, "status.phase");
    if (IsTerminalBackupPhase(phase)) return Status::OK();
    Status s;
    if (phase.empty() || phase == kPhaseNew) {
      s = Start();
    } else if (phase == kPhaseInProgress) {
      s = CreateOperations();
      if (!s.ok()) return Fail(s.message());
    } else if (phase == kPhaseWaitingForPluginOperations || phase == kPhaseFinalizing) {
      s = WaitForOperations();
    } else {
      return Fail("unknown phase \"" + phase + "\"");
    }
    FERRY_RETURN_IF_ERROR(s);
  }
  return Status::OK();
}

}  // namespace

std::vector<std::string> ValidateRestore(resource::Store& store, const Object& restore) {
  std::vector<std::string> problems;
  std::string backup_name = resource::StringAt(restore, "spec.backupName");
  if (backup_name.empty()) {
    if (!resource::StringAt(restore, "spec.scheduleName").empty()) {
      problems.push_back("restoring from a schedule (scheduleName) is not supported: name the backup in backupName");
    } else {
      problems.push_back("BackupName must be non-empty and correspond to the name of a backup in object storage.");
    }
  } else {
    auto backup = store.Get("Backup", resource::Namespace(restore), backup_name);
    if (!backup.ok()) {
      problems.push_back("Error retrieving backup: backup.velero.io \"" + backup_name + "\" not found");
    } else {
      std::string phase = resource::StringAt(*backup, "status.phase");
      if (phase != kPhaseCompleted && phase != kPhasePartiallyFailed) {
        problems.push_back("backup " + backup_name + " is not ready to be restored: its phase is " +
                           (phase.empty() ? std::string("New") : phase));
      } else if (!resource::DeletionTimestamp(*backup).empty()) {
        problems.push_back("backup " + backup_name + " is being deleted");
      }
    }
  }
  std::string policy = resource::StringAt(restore, "spec.existingResourcePolicy");
  if (!policy.empty() && policy != "none" && policy != "update") {
    problems.push_back("Invalid existingResourcePolicy: " + policy);
  }
  std::vector<std::string> included = StringListAt(restore, "spec.includedNamespaces");
  for (const std::string& ex : StringListAt(restore, "spec.excludedNamespaces")) {
    for (const std::string& in : included) {
      if (in == ex) {
        problems.push_back("Invalid included/excluded namespace lists: excludes list cannot contain an item in "
                           "the includes list: " + ex);
      }
    }
  }
  if (auto d = DurationAt(restore, "spec.itemOperationTimeout", 0); !d.ok()) problems.push_back(d.status().message());
  return problems;
}

Status RunRestore(resource::Store& store, const std::string& ns, const std::string& name,
                  const RestoreControllerOptions& options) {
  auto restore = store.Get("Restore", ns, name);
  if (!restore.ok()) return restore.status().code() == StatusCode::kNotFound ? Status::OK() : restore.status();
  RestoreRun run(store, std::move(*restore), options);
  return run.Run();
}

Result<std::string> EnsureDefaultStorageClass(resource::Store& store, const std::string& volume_root) {
  FERRY_ASSIGN_OR_RETURN(auto classes, store.List("StorageClass", {}));
  for (const Object& sc : classes) {
    if (resource::Annotations(sc)[kDefaultStorageClassAnnotation] == "true") return resource::Name(sc);
  }
  for (const Object& sc : classes) {
    if (resource::Name(sc) == kDefaultStorageClassName) return resource::Name(sc);
  }
  if (volume_root.empty()) {
    return Status::NotFound("there is no default StorageClass for restored volumes (annotated " +
                            std::string(kDefaultStorageClassAnnotation) + "=true) and no volume root to create one "
                            "(ferry server --volume-root)");
  }
  Object sc = {{"apiVersion", "storage.k8s.io/v1"},
               {"kind", "StorageClass"},
               {"metadata", {{"name", kDefaultStorageClassName},
                             {"annotations", {{kDefaultStorageClassAnnotation, "true"}}}}},
               {"provisioner", kHostPathProvisioner},
               {"parameters", {{"root", volume_root}}},
               {"reclaimPolicy", "Retain"},
               {"volumeBindingMode", "Immediate"}};
  auto created = store.Create(sc);
  if (!created.ok() && created.status().code() != StatusCode::kAlreadyExists) return created.status();
  LogInfo("created the default StorageClass " + std::string(kDefaultStorageClassName) + " (provisioner " +
          kHostPathProvisioner + ", root " + volume_root + ")");
  return std::string(kDefaultStorageClassName);
}

Status FailInterruptedRestores(resource::Store& store) {
  return FailInterruptedRuns(store, "Restore", "DataDownload", kRestoreUidLabel);
}

}  // namespace ferry::controlplane
