#include "controlplane/backup_controller.h"

#include <map>
#include <set>

#include "controlplane/backup_metadata.h"
#include "controlplane/bsl.h"
#include "controlplane/backup_repository_controller.h"
#include "controlplane/repository_ensurer.h"
#include "datapath/datapath.h"
#include "controlplane/dpa_controller.h"
#include "controlplane/server_common.h"
#include "resource/label_selector.h"
#include "resource/time_util.h"

namespace ferry::controlplane {
namespace {

using resource::Object;
constexpr int64_t kNanosPerSecond = 1'000'000'000;

Result<resource::LabelSelector> BackupSelector(const Object& backup) {
  if (backup.contains("spec") && backup["spec"].contains("labelSelector") &&
      backup["spec"]["labelSelector"].is_object()) {
    return resource::LabelSelector::FromJson(backup["spec"]["labelSelector"]);
  }
  return resource::LabelSelector();
}

bool SnapshotMoveData(resource::Store& store, const Object& backup) {
  if (backup.contains("spec") && backup["spec"].contains("snapshotMoveData") &&
      backup["spec"]["snapshotMoveData"].is_boolean()) {
    return backup["spec"]["snapshotMoveData"].get<bool>();
  }
  return DefaultSnapshotMoveData(store, resource::Namespace(backup));
}

// The CSI driver of a volume: the PV's spec.csi.driver, else its StorageClass's provisioner.
std::string VolumeDriver(resource::Store& store, const Object& pv, const std::string& storage_class) {
  std::string driver = resource::StringAt(pv, "spec.csi.driver");
  if (!driver.empty()) return driver;
  if (storage_class.empty()) return "";
  auto sc = store.Get("StorageClass", "", storage_class);
  return sc.ok() ? resource::StringAt(*sc, "provisioner") : "";
}

// Velero 1.14's GetVolumeSnapshotClass: the Backup annotation
// velero.io/csi-volumesnapshot-class_<driver>, then the PVC annotation
// velero.io/csi-volumesnapshot-class, then the one class labelled
// velero.io/csi-volumesnapshot-class=true for the driver. Standalone volumes (spec.local, or a
// ferry.local/hostpath class) have no CSI driver: the labelled ferry.local/* class is used (the
// default-class one when there are several).
Result<Object> ChooseSnapshotClass(resource::Store& store, const Object& backup, const Object& pvc,
                                   const std::string& driver) {
  std::map<std::string, std::string> backup_annotations = resource::Annotations(backup);
  std::map<std::string, std::string> pvc_annotations = resource::Annotations(pvc);
  std::string named;
  if (!driver.empty()) {
    auto it = backup_annotations.find(std::string(kVolumeSnapshotClassLabel) + "_" + driver);
    if (it != backup_annotations.end()) named = it->second;
  }
  if (auto it = pvc_annotations.find(std::string(kVolumeSnapshotClassLabel));
      named.empty() && it != pvc_annotations.end()) {
    named = it->second;
  }
  if (!named.empty()) {
    auto vsc = store.Get("VolumeSnapshotClass", "", named);
    if (!vsc.ok()) return vsc.status().WithContext("the VolumeSnapshotClass the annotation names");
    return vsc;
  }
  resource::ListOptions options;
  options.selector = resource::LabelSelector::Equals({{std::string(kVolumeSnapshotClassLabel), "true"}});
  FERRY_ASSIGN_OR_RETURN(auto classes, store.List("VolumeSnapshotClass", options));
  std::vector<Object> matching;
  for (auto& c : classes) {
    if (!driver.empty() && resource::StringAt(c, "driver") == driver) matching.push_back(c);
  }
  if (matching.empty()) {
    for (auto& c : classes) {
      if (resource::StringAt(c, "driver").rfind("ferry.local/", 0) == 0) matching.push_back(c);
    }
  }
  if (matching.size() > 1) {
    std::vector<Object> defaults;
    for (auto& c : matching) {
      if (resource::Annotations(c)[kDefaultVolumeSnapshotClassAnnotation] == "true") defaults.push_back(c);
    }
    if (defaults.size() == 1) return defaults.front();
    std::string names;
    for (auto& c : matching) names += (names.empty() ? "" : ", ") + resource::Name(c);
    return Status::InvalidArgument("found more than one VolumeSnapshotClass with label " +
                                   std::string(kVolumeSnapshotClassLabel) + "=true for driver " +
                                   (driver.empty() ? std::string("ferry.local/*") : driver) + " (" + names +
                                   "): annotate the PVC with " + std::string(kVolumeSnapshotClassLabel) +
                                   ": <class>");
  }
  if (matching.empty()) {
    return Status::NotFound("no VolumeSnapshotClass labelled " + std::string(kVolumeSnapshotClassLabel) +
                            "=true for driver " + (driver.empty() ? std::string("ferry.local/*") : driver));
  }
  return matching.front();
}

// Creates the Kopia repository of a volume namespace before its first DataUpload, with the
// algorithms the DataProtectionApplication configured (velero.podConfig.env KOPIA_*_ALGORITHM,
// else this process's environment): in OADP 1.4 the Velero server, which carries that env, is
// the one that creates repositories, and the choice applies only at creation. An existing
// repository is only opened. Failures are left for the DataUpload to report.
Status PrepareNamespaceRepository(resource::Store& store, const std::string& velero_ns,
                                  const std::string& volume_ns, const std::string& bsl) {
  RepositoryKey key;
  key.velero_namespace = velero_ns;
  key.volume_namespace = volume_ns;
  key.bsl = bsl;
  FERRY_ASSIGN_OR_RETURN(datapath::RepositoryLocation location, ResolveRepositoryLocation(store, key));
  datapath::NewRepositoryAlgorithms algorithms = AlgorithmsFromEnvironment();
  FERRY_ASSIGN_OR_RETURN(auto configured, ConfiguredRepositoryAlgorithms(store, velero_ns));
  if (configured.count("hash")) algorithms.hash = configured["hash"];
  if (configured.count("encryption")) algorithms.encryption = configured["encryption"];
  if (configured.count("splitter")) algorithms.splitter = configured["splitter"];
  auto session = datapath::ConnectOrCreate(location, algorithms, /*create_if_missing=*/true);
  if (!session.ok()) {
    // Another process may have created it a moment ago.
    session = datapath::ConnectOrCreate(location, algorithms, /*create_if_missing=*/false);
  }
  if (!session.ok()) return session.status();
  datapath::RepositoryInfo info = datapath::Describe(**session);
  if (info.created) {
    LogInfo("created the repository of namespace " + volume_ns + " at " + info.location + " (" + info.hash + ", " +
            info.encryption + ", " + info.splitter + ")");
  }
  return Status::OK();
}

// A copy of an object fit for the backup metadata: no resourceVersion, no managed fields.
Object ForMetadata(Object o) {
  if (o.contains("metadata")) {
    o["metadata"].erase("resourceVersion");
    o["metadata"].erase("managedFields");
  }
  return o;
}

class BackupRun {
 public:
  BackupRun(resource::Store& store, Object backup, const BackupControllerOptions& options)
      : store_(store), backup_(std::move(backup)), options_(options) {}

  Status Run();

 private:
  std::string ns() const { return resource::Namespace(backup_); }
  std::string name() const { return resource::Name(backup_); }
  bool Stopping() const { return options_.stop != nullptr && options_.stop->load(); }
  Status SetStatus(const Object& status_patch);
  Status Start();
  Status CreateOperations();
  Status WaitForOperations();
  Status Finalize();
  Status Fail(const std::string& reason);
  Result<std::vector<Object>> DataUploads();
  std::string Bsl() const { return resource::StringAt(backup_, "spec.storageLocation"); }

  resource::Store& store_;
  Object backup_;
  const BackupControllerOptions& options_;
  std::map<std::string, std::string> timed_out_;  // DataUpload name → reason
};

Status BackupRun::SetStatus(const Object& status_patch) {
  FERRY_ASSIGN_OR_RETURN(backup_, Patch(store_, backup_, Object{{"status", status_patch}}));
  return Status::OK();
}

Status BackupRun::Fail(const std::string& reason) {
  LogError("backup " + ns() + "/" + name() + " failed: " + reason);
  return SetStatus({{"phase", kPhaseFailed},
                    {"failureReason", reason},
                    {"completionTimestamp", resource::NowRfc3339()}});
}

Status BackupRun::Start() {
  std::vector<std::string> problems = ValidateBackup(store_, backup_);
  if (!problems.empty()) {
    std::string line;
    for (auto& p : problems) line += (line.empty() ? "" : "; ") + p;
    LogWarning("backup " + ns() + "/" + name() + " failed validation: " + line);
    return SetStatus({{"phase", kPhaseFailedValidation},
                      {"validationErrors", problems},
                      {"completionTimestamp", resource::NowRfc3339()}});
  }
  FERRY_ASSIGN_OR_RETURN(Object bsl, FindStorageLocation(store_, ns(), Bsl()));
  int64_t now = resource::NowUnixSeconds();
  FERRY_ASSIGN_OR_RETURN(int64_t ttl, DurationAt(backup_, "spec.ttl", options_.default_ttl_ns));
  // The finalizer turns a plain delete of the resource into Velero's backup deletion.
  Object updated = backup_;
  resource::AddFinalizer(updated, kBackupDeletionFinalizer);
  resource::SetLabel(updated, std::string(kStorageLocationLabel), SanitizeLabelValue(resource::Name(bsl)));
  updated["spec"]["storageLocation"] = resource::Name(bsl);
  updated["spec"]["ttl"] = resource::GoDuration(ttl);  // Velero writes the default back
  updated["status"]["phase"] = kPhaseInProgress;
  updated["status"]["version"] = 1;
  updated["status"]["formatVersion"] = "1.1.0";
  updated["status"]["startTimestamp"] = resource::Rfc3339(now);
  updated["status"]["expiration"] = resource::Rfc3339(now + ttl / kNanosPerSecond);
  auto r = store_.Update(updated);
  if (!r.ok()) return r.status();
  backup_ = std::move(*r);
  LogInfo("backup " + ns() + "/" + name() + " started (storage location " + resource::Name(bsl) + ")");
  return Status::OK();
}

Status BackupRun::CreateOperations() {
  OperationResults errors, warnings;
  std::vector<Object> items;
  const std::string backup_uid = resource::Uid(backup_);
  FERRY_ASSIGN_OR_RETURN(int64_t csi_timeout,
                         DurationAt(backup_, "spec.csiSnapshotTimeout", options_.default_csi_snapshot_timeout_ns));
  std::vector<std::string> included = StringListAt(backup_, "spec.includedNamespaces");
  std::vector<std::string> excluded = StringListAt(backup_, "spec.excludedNamespaces");
  FERRY_ASSIGN_OR_RETURN(resource::LabelSelector selector, BackupSelector(backup_));
  resource::ListOptions options;
  options.selector = selector;
  FERRY_ASSIGN_OR_RETURN(auto pvcs, store_.List("PersistentVolumeClaim", options));
  if (!StringListAt(backup_, "spec.volumeSnapshotLocations").empty()) {
    warnings.Add("", "volumeSnapshotLocations are not used: volume data is moved by the data mover");
  }

  int snapshots_attempted = 0, operations_attempted = 0, total_items = 0;
  std::set<std::string> prepared_namespaces;
  for (const Object& pvc : pvcs) {
    const std::string pvc_ns = resource::Namespace(pvc);
    const std::string pvc_name = resource::Name(pvc);
    if (!NamespaceIncluded(pvc_ns, included, excluded)) continue;
    const std::string ref = pvc_ns + "/" + pvc_name;
    ++total_items;
    if (prepared_namespaces.insert(pvc_ns).second) {
      Status prepared = PrepareNamespaceRepository(store_, ns(), pvc_ns, Bsl());
      if (!prepared.ok()) LogWarning("repository of namespace " + pvc_ns + ": " + prepared.message());
    }
    std::string volume = resource::StringAt(pvc, "spec.volumeName");
    if (volume.empty()) {
      errors.Add(pvc_ns, "PVC " + ref + " is not bound to a volume (spec.volumeName is empty)");
      continue;
    }
    auto pv = store_.Get("PersistentVolume", "", volume);
    if (!pv.ok()) {
      errors.Add(pvc_ns, "PVC " + ref + ": " + pv.status().message());
      continue;
    }
    ++total_items;
    std::string storage_class = resource::StringAt(pvc, "spec.storageClassName");
    if (storage_class.empty()) storage_class = resource::StringAt(*pv, "spec.storageClassName");
    auto vsc = ChooseSnapshotClass(store_, backup_, pvc, VolumeDriver(store_, *pv, storage_class));
    if (!vsc.ok()) {
      errors.Add(pvc_ns, "PVC " + ref + ": " + vsc.status().message());
      continue;
    }
    // The temporary CSI snapshot; the data mover takes the point-in-time copy from it.
    Object vs = {{"apiVersion", "snapshot.storage.k8s.io/v1"},
                 {"kind", "VolumeSnapshot"},
                 {"metadata", {{"generateName", "velero-" + pvc_name + "-"}, {"namespace", pvc_ns}}},
                 {"spec",
                  {{"volumeSnapshotClassName", resource::Name(*vsc)},
                   {"source", {{"persistentVolumeClaimName", pvc_name}}}}}};
    for (const auto& [k, v] : resource::Labels(pvc)) resource::SetLabel(vs, k, v);
    resource::SetLabel(vs, std::string(kBackupNameLabel), SanitizeLabelValue(name()));
    ++snapshots_attempted;
    auto created_vs = store_.Create(vs);
    if (!created_vs.ok()) {
      errors.Add(pvc_ns, "PVC " + ref + ": creating the VolumeSnapshot: " + created_vs.status().message());
      continue;
    }
    const std::string vs_name = resource::Name(*created_vs);
    Object du = {{"apiVersion", "velero.io/v2alpha1"},
                 {"kind", "DataUpload"},
                 {"metadata", {{"generateName", name() + "-"}, {"namespace", ns()}}},
                 {"spec",
                  {{"snapshotType", "CSI"},
                   {"csiSnapshot",
                    {{"volumeSnapshot", vs_name},
                     {"storageClass", storage_class},
                     {"snapshotClass", resource::Name(*vsc)}}},
                   {"sourcePVC", pvc_name},
                   {"datamover", resource::StringAt(backup_, "spec.datamover")},
                   {"backupStorageLocation", resource::StringAt(backup_, "spec.storageLocation")},
                   {"sourceNamespace", pvc_ns},
                   {"operationTimeout", resource::GoDuration(csi_timeout)}}}};
    if (resource::StringAt(du, "spec.datamover").empty()) du["spec"].erase("datamover");
    int64_t parallel = resource::IntAt(backup_, "spec.uploaderConfig.parallelFilesUpload", 0);
    if (parallel > 0) du["spec"]["dataMoverConfig"] = {{"ParallelFilesUpload", std::to_string(parallel)}};
    resource::SetLabel(du, std::string(kBackupNameLabel), SanitizeLabelValue(name()));
    resource::SetLabel(du, std::string(kBackupUidLabel), backup_uid);
    resource::SetLabel(du, std::string(kPvcUidLabel), resource::Uid(pvc));
    resource::SetLabel(du, std::string(kAsyncOperationIdLabel),
                       SanitizeLabelValue("du-" + backup_uid + "." + resource::Uid(pvc)));
    resource::SetControllerOwner(du, backup_);
    ++operations_attempted;
    auto created_du = store_.Create(du);
    if (!created_du.ok()) {
      errors.Add(pvc_ns, "PVC " + ref + ": creating the DataUpload: " + created_du.status().message());
      (void)store_.Delete("VolumeSnapshot", pvc_ns, vs_name);
      continue;
    }
    // The PVC as the backup keeps it: the restore recognises data-moved claims by these.
    Object pvc_item = ForMetadata(pvc);
    resource::SetLabel(pvc_item, kVolumeSnapshotNameLabel, vs_name);
    resource::SetAnnotation(pvc_item, kVolumeSnapshotNameLabel, vs_name);
    resource::SetAnnotation(pvc_item, kDataUploadNameAnnotation, ns() + "/" + resource::Name(*created_du));
    resource::SetAnnotation(pvc_item, "backup.velero.io/must-include-additional-items", "true");
    items.push_back(pvc_item);
    items.push_back(ForMetadata(*pv));
    LogInfo("backup " + ns() + "/" + name() + ": DataUpload " + resource::Name(*created_du) + " for PVC " + ref);
  }
  if (total_items == 0) warnings.Add("", "no PersistentVolumeClaims matched the backup's namespaces and labelSelector");

  // Saved now so that a restarted server can finish the backup with the same items and errors.
  FERRY_ASSIGN_OR_RETURN(auto metadata, BackupMetadataStore::Open(store_, ns(), Bsl()));
  FERRY_RETURN_IF_ERROR(metadata->PutResources(name(), items));
  FERRY_RETURN_IF_ERROR(metadata->PutResults(
      name(), Object{{"errors", errors.ToJson()}, {"warnings", warnings.ToJson()}}));
  return SetStatus({{"phase", kPhaseWaitingForPluginOperations},
                    {"progress", {{"totalItems", total_items}, {"itemsBackedUp", items.size()}}},
                    {"csiVolumeSnapshotsAttempted", snapshots_attempted},
                    {"backupItemOperationsAttempted", operations_attempted},
                    {"errors", errors.Count()},
                    {"warnings", warnings.Count()}});
}

Result<std::vector<Object>> BackupRun::DataUploads() {
  resource::ListOptions options;
  options.namespace_name = ns();
  options.selector = resource::LabelSelector::Equals({{std::string(kBackupUidLabel), resource::Uid(backup_)}});
  return store_.List("DataUpload", options);
}

Status BackupRun::WaitForOperations() {
  FERRY_ASSIGN_OR_RETURN(int64_t item_timeout, DurationAt(backup_, "spec.itemOperationTimeout",
                                                          options_.default_item_operation_timeout_ns));
  int64_t last_completed = -1, last_failed = -1;
  std::set<std::string> snapshots_deleted;
  while (true) {
    if (Stopping()) return Status::OK();
    FERRY_ASSIGN_OR_RETURN(int64_t version, store_.CurrentResourceVersion());
    auto fresh = store_.Get("Backup", ns(), name());
    if (!fresh.ok()) return fresh.status().code() == StatusCode::kNotFound ? Status::OK() : fresh.status();
    backup_ = std::move(*fresh);
    if (!resource::DeletionTimestamp(backup_).empty()) return Status::OK();  // deletion takes over
    FERRY_ASSIGN_OR_RETURN(auto uploads, DataUploads());
    int64_t completed = 0, failed = 0, pending = 0;
    int64_t now = resource::NowUnixSeconds();
    for (const Object& du : uploads) {
      std::string phase = resource::StringAt(du, "status.phase");
      if (IsTerminalMoverPhase(phase)) {
        (phase == "Completed" ? completed : failed)++;
        // The temporary snapshot is the data mover's to delete; make sure it is gone.
        std::string vs = resource::StringAt(du, "spec.csiSnapshot.volumeSnapshot");
        if (!vs.empty() && snapshots_deleted.insert(vs).second) {
          Status s = store_.Delete("VolumeSnapshot", resource::StringAt(du, "spec.sourceNamespace"), vs);
          if (!s.ok() && s.code() != StatusCode::kNotFound) LogWarning("deleting VolumeSnapshot " + vs + ": " + s.message());
        }
        continue;
      }
      ++pending;
      auto created = resource::ParseRfc3339(resource::CreationTimestamp(du));
      if (created.ok() && (now - *created) * kNanosPerSecond > item_timeout &&
          !resource::BoolAt(du, "spec.cancel")) {
        std::string reason = "timed out after " + resource::GoDuration(item_timeout) +
                             " (itemOperationTimeout) waiting for DataUpload " + resource::Name(du);
        timed_out_[resource::Name(du)] = reason;
        LogWarning("backup " + ns() + "/" + name() + ": " + reason + "; cancelling it");
        FERRY_RETURN_IF_ERROR(Patch(store_, du, Object{{"spec", {{"cancel", true}}}}).status());
      }
    }
    if (completed != last_completed || failed != last_failed) {
      FERRY_RETURN_IF_ERROR(SetStatus({{"backupItemOperationsCompleted", completed},
                                       {"backupItemOperationsFailed", failed},
                                       {"csiVolumeSnapshotsCompleted", completed}}));
      last_completed = completed;
      last_failed = failed;
    }
    if (pending == 0) return SetStatus({{"phase", kPhaseFinalizing}});
    FERRY_RETURN_IF_ERROR(store_.WaitForChange(version, options_.poll_interval_ms).status());
  }
}

Status BackupRun::Finalize() {
  FERRY_ASSIGN_OR_RETURN(auto metadata, BackupMetadataStore::Open(store_, ns(), Bsl()));
  std::vector<Object> items;
  OperationResults errors, warnings;
  if (auto saved = metadata->GetResources(name()); saved.ok()) {
    for (auto& item : *saved) {
      if (resource::Kind(item) != "DataUpload") items.push_back(item);
    }
  } else if (saved.status().code() != StatusCode::kNotFound) {
    return saved.status();
  }
  if (auto results = metadata->GetResults(name()); results.ok()) {
    if (results->contains("errors")) errors = OperationResults::FromJson((*results)["errors"]);
    if (results->contains("warnings")) warnings = OperationResults::FromJson((*results)["warnings"]);
  }
  FERRY_ASSIGN_OR_RETURN(auto uploads, DataUploads());
  int64_t completed = 0, failed = 0;
  for (const Object& du : uploads) {
    std::string phase = resource::StringAt(du, "status.phase");
    std::string source = resource::StringAt(du, "spec.sourceNamespace") + "/" + resource::StringAt(du, "spec.sourcePVC");
    std::string message = resource::StringAt(du, "status.message");
    if (phase == "Completed") {
      ++completed;
    } else {
      ++failed;
      auto it = timed_out_.find(resource::Name(du));
      std::string why = it != timed_out_.end() ? it->second
                        : phase == "Canceled" ? "DataUpload " + resource::Name(du) + " is canceled"
                                              : "DataUpload " + resource::Name(du) + " failed";
      if (!message.empty()) why += ": " + message;
      errors.Add(resource::StringAt(du, "spec.sourceNamespace"), "PVC " + source + ": " + why);
    }
    items.push_back(ForMetadata(du));
  }
  std::string phase(errors.Count() > 0 ? kPhasePartiallyFailed : kPhaseCompleted);
  Object final_status = {{"phase", phase},
                         {"completionTimestamp", resource::NowRfc3339()},
                         {"backupItemOperationsCompleted", completed},
                         {"backupItemOperationsFailed", failed},
                         {"csiVolumeSnapshotsCompleted", completed},
                         {"errors", errors.Count()},
                         {"warnings", warnings.Count()}};
  if (errors.Count() > 0) final_status["failureReason"] = errors.Summary();
  Object final_backup = ForMetadata(backup_);
  final_backup["status"].update(final_status);
  if (final_backup.contains("metadata")) final_backup["metadata"].erase("finalizers");

  Status written = metadata->PutResources(name(), items);
  if (written.ok()) {
    written = metadata->PutResults(name(), Object{{"errors", errors.ToJson()}, {"warnings", warnings.ToJson()}});
  }
  if (written.ok()) written = metadata->PutBackup(final_backup);
  if (!written.ok()) {
    return Fail("writing the backup metadata to the backup storage location: " + written.message());
  }
  LogInfo("backup " + ns() + "/" + name() + " " + phase + " (" + std::to_string(completed) + " of " +
          std::to_string(uploads.size()) + " volumes moved" +
          (errors.Count() > 0 ? "; errors: " + errors.Summary() : std::string()) + ")");
  return SetStatus(final_status);
}

Status BackupRun::Run() {
  while (!Stopping()) {
    std::string phase = resource::StringAt(backup_, "status.phase");
    if (IsTerminalBackupPhase(phase) || phase == kPhaseDeleting) return Status::OK();
    if (!resource::DeletionTimestamp(backup_).empty()) return Status::OK();
    Status s;
    if (phase.empty() || phase == kPhaseNew) {
      s = Start();
    } else if (phase == kPhaseInProgress) {
      s = CreateOperations();
      if (!s.ok()) return Fail(s.message());
    } else if (phase == kPhaseWaitingForPluginOperations) {
      s = WaitForOperations();
    } else if (phase == kPhaseFinalizing) {
      s = Finalize();
      if (!s.ok()) return Fail(s.message());
    } else {
      return Fail("unknown phase \"" + phase + "\"");
    }
    FERRY_RETURN_IF_ERROR(s);
  }
  return Status::OK();
}

}  // namespace

std::vector<std::string> ValidateBackup(resource::Store& store, const Object& backup) {
  std::vector<std::string> problems;
  const std::string ns = resource::Namespace(backup);
  std::string bsl_name = resource::StringAt(backup, "spec.storageLocation");
  auto bsl = FindStorageLocation(store, ns, bsl_name);
  if (!bsl.ok()) {
    problems.push_back(bsl_name.empty() ? bsl.status().message()
                                        : "a BackupStorageLocation CRD with the name specified in the backup spec "
                                          "needs to be created before this backup can be executed. Error: " +
                                              bsl.status().message());
  } else if (resource::StringAt(*bsl, "spec.accessMode") == "ReadOnly") {
    problems.push_back("backup can't be created because backup storage location " + resource::Name(*bsl) +
                       " is currently in read-only mode");
  } else if (auto parsed = ParseBackupStorageLocation(*bsl); !parsed.ok()) {
    problems.push_back("backup storage location " + resource::Name(*bsl) + ": " + parsed.status().message());
  }
  if (resource::BoolAt(backup, "spec.defaultVolumesToFsBackup")) {
    problems.push_back("defaultVolumesToFsBackup is not supported: ferry backs up volumes only by moving "
                       "their CSI snapshot data; set snapshotMoveData: true and defaultVolumesToFsBackup: false");
  } else if (!SnapshotMoveData(store, backup)) {
    problems.push_back("snapshotMoveData is not enabled: ferry keeps no CSI snapshots in place and backs up "
                       "volumes only by moving their data (set spec.snapshotMoveData: true, or "
                       "velero.defaultSnapshotMoveData: true in the DataProtectionApplication)");
  }
  std::string datamover = resource::StringAt(backup, "spec.datamover");
  (void)datamover;  // another data mover's DataUploads are left to it (§9.7)
  std::vector<std::string> included = StringListAt(backup, "spec.includedNamespaces");
  for (const std::string& ex : StringListAt(backup, "spec.excludedNamespaces")) {
    for (const std::string& in : included) {
      if (in == ex) {
        problems.push_back("Invalid included/excluded namespace lists: excludes list cannot contain an item "
                           "in the includes list: " + ex);
      }
    }
  }
  for (const char* field : {"spec.ttl", "spec.csiSnapshotTimeout", "spec.itemOperationTimeout"}) {
    if (auto d = DurationAt(backup, field, 0); !d.ok()) problems.push_back(d.status().message());
  }
  if (auto selector = BackupSelector(backup); !selector.ok()) {
    problems.push_back("spec.labelSelector: " + selector.status().message());
  }
  return problems;
}

Status RunBackup(resource::Store& store, const std::string& ns, const std::string& name,
                 const BackupControllerOptions& options) {
  auto backup = store.Get("Backup", ns, name);
  if (!backup.ok()) return backup.status().code() == StatusCode::kNotFound ? Status::OK() : backup.status();
  BackupRun run(store, std::move(*backup), options);
  return run.Run();
}

Status FailInterruptedBackups(resource::Store& store) {
  return FailInterruptedRuns(store, "Backup", "DataUpload", kBackupUidLabel);
}

}  // namespace ferry::controlplane
