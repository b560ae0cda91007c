#include "controlplane/backup_sync.h"

#include "controlplane/backup_metadata.h"
#include "controlplane/server_common.h"
#include "resource/time_util.h"

namespace ferry::controlplane {

using resource::Object;

namespace {

// Velero's BSL status: phase Available/Unavailable and lastValidationTime, written when it changes.
void SetLocationPhase(resource::Store& store, const Object& bsl, bool available, const std::string& message) {
  std::string phase = available ? "Available" : "Unavailable";
  if (resource::StringAt(bsl, "status.phase") == phase && resource::StringAt(bsl, "status.message") == message) {
    return;
  }
  Object status = {{"phase", phase}, {"lastValidationTime", resource::NowRfc3339()}, {"message", message}};
  (void)Patch(store, bsl, Object{{"status", status}});
}

Result<int> SyncLocation(resource::Store& store, const Object& bsl) {
  const std::string ns = resource::Namespace(bsl);
  const std::string bsl_name = resource::Name(bsl);
  FERRY_ASSIGN_OR_RETURN(auto metadata, BackupMetadataStore::Open(store, ns, bsl_name));
  FERRY_ASSIGN_OR_RETURN(auto names, metadata->ListBackups());
  int created = 0;
  for (const std::string& name : names) {
    auto existing = store.Get("Backup", ns, name);
    if (existing.ok()) continue;
    if (existing.status().code() != StatusCode::kNotFound) return existing.status();
    auto stored = metadata->GetBackup(name);
    if (!stored.ok()) {
      if (stored.status().code() == StatusCode::kNotFound) continue;  // deleted meanwhile
      LogWarning("backup sync: " + bsl_name + "/backups/" + name + ": " + stored.status().message());
      continue;
    }
    Object backup = {{"apiVersion", "velero.io/v1"}, {"kind", "Backup"}};
    backup["metadata"] = {{"name", name}, {"namespace", ns}};
    for (const auto& [k, v] : resource::Labels(*stored)) resource::SetLabel(backup, k, v);
    for (const auto& [k, v] : resource::Annotations(*stored)) resource::SetAnnotation(backup, k, v);
    resource::SetLabel(backup, std::string(kStorageLocationLabel), SanitizeLabelValue(bsl_name));
    resource::AddFinalizer(backup, kBackupDeletionFinalizer);
    backup["spec"] = stored->contains("spec") ? (*stored)["spec"] : Object::object();
    backup["spec"]["storageLocation"] = bsl_name;
    backup["status"] = stored->contains("status") ? (*stored)["status"] : Object::object();
    auto r = store.Create(backup);
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kAlreadyExists) continue;
      return r.status();
    }
    LogInfo("backup sync: created Backup " + ns + "/" + name + " (" +
            resource::StringAt(backup, "status.phase") + ") from backup storage location " + bsl_name);
    ++created;
  }
  return created;
}

}  // namespace

Result<int> SyncBackupsFromStorageLocations(resource::Store& store) {
  FERRY_ASSIGN_OR_RETURN(auto locations, store.List("BackupStorageLocation", {}));
  int created = 0;
  for (const Object& bsl : locations) {
    auto n = SyncLocation(store, bsl);
    if (!n.ok()) {
      LogWarning("backup sync: backup storage location " + resource::Namespace(bsl) + "/" + resource::Name(bsl) +
                 " is unavailable: " + n.status().message());
      SetLocationPhase(store, bsl, false, n.status().message());
      continue;
    }
    SetLocationPhase(store, bsl, true, "");
    created += *n;
  }
  return created;
}

}  // namespace ferry::controlplane
