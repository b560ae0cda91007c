// Backup sync (Velero's backup sync controller): backups present in a backup storage location
// (backups/<name>/velero-backup.json, see backup_metadata.h) but not in the store are recreated as
// Backup resources with the status they ended with, labelled velero.io/storage-location, so that
// a fresh store pointed at the same bucket lists them and can restore them (disaster recovery).
#pragma once

#include "base/status.h"
#include "resource/store.h"

namespace ferry::controlplane {

// Syncs every BackupStorageLocation of the store. Returns how many Backups were created. A
// location that cannot be read is logged and skipped (its status.phase becomes Unavailable).
Result<int> SyncBackupsFromStorageLocations(resource::Store& store);

}  // namespace ferry::controlplane
