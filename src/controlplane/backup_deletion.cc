#include "controlplane/backup_deletion.h"

#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "controlplane/backup_metadata.h"
#include "controlplane/repository_ensurer.h"
#include "controlplane/server_common.h"
#include "datapath/datapath.h"
#include "resource/label_selector.h"
#include "resource/time_util.h"

namespace ferry::controlplane {
namespace {

using resource::Object;

Result<std::vector<Object>> BackupDataUploads(resource::Store& store, const Object& backup) {
  resource::ListOptions options;
  options.namespace_name = resource::Namespace(backup);
  options.selector =
      resource::LabelSelector::Equals({{std::string(kBackupNameLabel), SanitizeLabelValue(resource::Name(backup))}});
  return store.List("DataUpload", options);
}

// Cancels the backup's unfinished DataUploads and waits (bounded) for them to end, so that no
// transfer writes a snapshot after its backup is gone.
Status StopDataUploads(resource::Store& store, const Object& backup, const BackupDeletionOptions& options) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.cancel_wait_ms);
  while (true) {
    FERRY_ASSIGN_OR_RETURN(int64_t version, store.CurrentResourceVersion());
    FERRY_ASSIGN_OR_RETURN(auto uploads, BackupDataUploads(store, backup));
    int pending = 0;
    for (const Object& du : uploads) {
      if (IsTerminalMoverPhase(resource::StringAt(du, "status.phase"))) continue;
      ++pending;
      if (!resource::BoolAt(du, "spec.cancel")) {
        FERRY_RETURN_IF_ERROR(Patch(store, du, Object{{"spec", {{"cancel", true}}}}).status());
      }
    }
    if (pending == 0) return Status::OK();
    if (std::chrono::steady_clock::now() > deadline || (options.stop && options.stop->load())) {
      LogWarning("backup " + resource::Name(backup) + ": " + std::to_string(pending) +
                 " DataUploads did not end after cancellation; deleting anyway");
      return Status::OK();
    }
    FERRY_RETURN_IF_ERROR(store.WaitForChange(version, options.poll_interval_ms).status());
  }
}

Status DeleteIgnoringMissing(resource::Store& store, const Object& o) {
  Status s = store.Delete(resource::Kind(o), resource::Namespace(o), resource::Name(o));
  return s.code() == StatusCode::kNotFound ? Status::OK() : s;
}

// Forgets the snapshots, grouped by volume namespace (one repository each).
Status ForgetSnapshots(resource::Store& store, const Object& backup, const std::string& bsl,
                       const std::map<std::string, std::set<std::string>>& by_namespace) {
  for (const auto& [volume_ns, ids] : by_namespace) {
    RepositoryKey key;
    key.velero_namespace = resource::Namespace(backup);
    key.volume_namespace = volume_ns;
    key.bsl = bsl;
    FERRY_ASSIGN_OR_RETURN(datapath::RepositoryLocation location, ResolveRepositoryLocation(store, key));
    auto session = datapath::ConnectOrCreate(location, {}, /*create_if_missing=*/false);
    if (!session.ok()) {
      if (session.status().code() == StatusCode::kNotFound) continue;  // no repository: nothing to forget
      return session.status().WithContext("opening the repository of namespace " + volume_ns);
    }
    std::vector<std::string> list(ids.begin(), ids.end());
    auto forgotten = datapath::ForgetSnapshots(**session, list);
    if (!forgotten.ok()) return forgotten.status().WithContext("forgetting snapshots in namespace " + volume_ns);
    LogInfo("backup " + resource::Name(backup) + ": forgot " + std::to_string(list.size()) +
            " snapshots in the repository of namespace " + volume_ns);
  }
  return Status::OK();
}

Status DeleteBackupData(resource::Store& store, const Object& backup, const BackupDeletionOptions& options) {
  const std::string ns = resource::Namespace(backup);
  const std::string name = resource::Name(backup);
  FERRY_RETURN_IF_ERROR(StopDataUploads(store, backup, options));
  FERRY_ASSIGN_OR_RETURN(auto uploads, BackupDataUploads(store, backup));

  std::string bsl = resource::StringAt(backup, "spec.storageLocation");
  std::unique_ptr<BackupMetadataStore> metadata;
  std::vector<Object> saved;
  if (auto location = FindStorageLocation(store, ns, bsl); location.ok()) {
    bsl = resource::Name(*location);
    FERRY_ASSIGN_OR_RETURN(metadata, BackupMetadataStore::Open(store, ns, bsl));
    auto items = metadata->GetResources(name);
    if (items.ok()) {
      saved = std::move(*items);
    } else if (items.status().code() != StatusCode::kNotFound) {
      return items.status().WithContext("reading the backup's metadata");
    }
  } else {
    LogWarning("backup " + ns + "/" + name + ": " + location.status().message() +
               "; its snapshots and metadata cannot be deleted");
  }

  std::map<std::string, std::set<std::string>> snapshots;  // volume namespace → ids
  for (const std::vector<Object>* list : {&uploads, &saved}) {
    for (const Object& du : *list) {
      if (resource::Kind(du) != "DataUpload") continue;
      std::string id = resource::StringAt(du, "status.snapshotID");
      std::string dm = resource::StringAt(du, "spec.datamover");
      if (id.empty() || !(dm.empty() || dm == "velero")) continue;  // other movers delete their own
      snapshots[resource::StringAt(du, "spec.sourceNamespace")].insert(id);
    }
  }
  if (metadata) FERRY_RETURN_IF_ERROR(ForgetSnapshots(store, backup, bsl, snapshots));

  for (const Object& du : uploads) FERRY_RETURN_IF_ERROR(DeleteIgnoringMissing(store, du));
  resource::ListOptions vs_options;
  vs_options.selector = resource::LabelSelector::Equals({{std::string(kBackupNameLabel), SanitizeLabelValue(name)}});
  FERRY_ASSIGN_OR_RETURN(auto snapshots_left, store.List("VolumeSnapshot", vs_options));
  for (const Object& vs : snapshots_left) FERRY_RETURN_IF_ERROR(DeleteIgnoringMissing(store, vs));
  if (metadata) FERRY_RETURN_IF_ERROR(metadata->DeleteBackup(name).WithContext("deleting the backup's metadata"));
  return Status::OK();
}

}  // namespace

Status DeleteBackup(resource::Store& store, const std::string& ns, const std::string& name,
                    const BackupDeletionOptions& options) {
  auto backup = store.Get("Backup", ns, name);
  if (!backup.ok()) return backup.status().code() == StatusCode::kNotFound ? Status::OK() : backup.status();
  LogInfo("deleting backup " + ns + "/" + name);
  if (resource::StringAt(*backup, "status.phase") != kPhaseDeleting) {
    FERRY_ASSIGN_OR_RETURN(*backup, Patch(store, *backup, Object{{"status", {{"phase", kPhaseDeleting}}}}));
  }
  Status s = DeleteBackupData(store, *backup, options);
  if (!s.ok()) {
    LogError("deleting backup " + ns + "/" + name + ": " + s.message());
    (void)Patch(store, *backup, Object{{"status", {{"failureReason", "deleting the backup: " + s.message()}}}});
    return s;
  }
  // The resource goes last: while it exists, the deletion can be retried.
  while (true) {
    auto fresh = store.Get("Backup", ns, name);
    if (!fresh.ok()) return fresh.status().code() == StatusCode::kNotFound ? Status::OK() : fresh.status();
    if (resource::DeletionTimestamp(*fresh).empty()) {
      Status d = store.Delete("Backup", ns, name);
      if (!d.ok() && d.code() != StatusCode::kNotFound) return d;
      continue;
    }
    Object updated = *fresh;
    resource::RemoveFinalizer(updated, kBackupDeletionFinalizer);
    auto r = store.Update(updated);
    if (r.ok()) break;
    if (r.status().code() != StatusCode::kConflict) return r.status();
  }
  LogInfo("backup " + ns + "/" + name + " deleted");
  return Status::OK();
}

Result<int> ExpireBackups(resource::Store& store) {
  FERRY_ASSIGN_OR_RETURN(auto backups, store.List("Backup", {}));
  int64_t now = resource::NowUnixSeconds();
  int expired = 0;
  for (const Object& backup : backups) {
    if (!resource::DeletionTimestamp(backup).empty()) continue;
    std::string phase = resource::StringAt(backup, "status.phase");
    if (!IsTerminalBackupPhase(phase)) continue;  // Velero's GC skips backups still running
    std::string expiration = resource::StringAt(backup, "status.expiration");
    if (expiration.empty()) continue;
    auto when = resource::ParseRfc3339(expiration);
    if (!when.ok() || *when > now) continue;
    LogInfo("backup " + resource::Namespace(backup) + "/" + resource::Name(backup) + " expired at " + expiration);
    if (!resource::HasFinalizer(backup, kBackupDeletionFinalizer)) {
      Object updated = backup;  // a synced or failed-validation backup: make sure the data goes too
      resource::AddFinalizer(updated, kBackupDeletionFinalizer);
      auto r = store.Update(updated);
      if (!r.ok()) continue;  // changed meanwhile; next pass
    }
    Status s = store.Delete("Backup", resource::Namespace(backup), resource::Name(backup));
    if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
    ++expired;
  }
  return expired;
}

Status ProcessDeleteBackupRequests(resource::Store& store) {
  FERRY_ASSIGN_OR_RETURN(auto requests, store.List("DeleteBackupRequest", {}));
  for (const Object& request : requests) {
    std::string phase = resource::StringAt(request, "status.phase");
    if (phase == "Processed") continue;
    const std::string ns = resource::Namespace(request);
    const std::string backup_name = resource::StringAt(request, "spec.backupName");
    auto backup = store.Get("Backup", ns, backup_name);
    if (!backup.ok()) {
      if (backup.status().code() != StatusCode::kNotFound) return backup.status();
      Object status = {{"phase", "Processed"}};
      if (phase.empty() || phase == "New") {
        status["errors"] = Object::array({"backup " + backup_name + " not found"});
      }
      FERRY_RETURN_IF_ERROR(Patch(store, request, Object{{"status", status}}).status());
      continue;
    }
    if (phase.empty() || phase == "New") {
      Object backup_obj = *backup;
      if (!resource::HasFinalizer(backup_obj, kBackupDeletionFinalizer)) {
        resource::AddFinalizer(backup_obj, kBackupDeletionFinalizer);
        FERRY_RETURN_IF_ERROR(store.Update(backup_obj).status());
      }
      Status s = store.Delete("Backup", ns, backup_name);
      if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
      Object patch = {{"metadata", {{"labels", {{std::string(kBackupNameLabel), SanitizeLabelValue(backup_name)}}}}},
                      {"status", {{"phase", "InProgress"}}}};
      FERRY_RETURN_IF_ERROR(Patch(store, request, patch).status());
    } else if (std::string reason = resource::StringAt(*backup, "status.failureReason");
               resource::StringAt(*backup, "status.phase") == kPhaseDeleting && !reason.empty()) {
      Object errors = Object::array({reason});
      bool same = request.contains("status") && request["status"].contains("errors") &&
                  request["status"]["errors"] == errors;
      if (!same) (void)Patch(store, request, Object{{"status", {{"errors", errors}}}});
    }
  }
  return Status::OK();
}

}  // namespace ferry::controlplane
