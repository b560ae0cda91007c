// `ferry server`: Velero's server role in standalone mode. One loop that wakes on every change in
// the store (and at least every poll interval) and
//   - reconciles DataProtectionApplications (dpa_controller.h);
//   - runs each new Backup and Restore in a worker thread of its own (backup_controller.h,
//     restore_controller.h), resuming those left WaitingForPluginOperations by a previous server
//     and failing those it left InProgress (as Velero does at start-up);
//   - deletes Backups whose resource is being deleted, named by a DeleteBackupRequest, or past
//     their ttl (backup_deletion.h);
//   - syncs backups from every backup storage location every sync period (backup_sync.h).
// Workers open their own store handle (a Store is single-threaded); the loop's handle is its own.
// One server runs per store (a lease, see ServerOptions::lease_seconds).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "controlplane/backup_controller.h"
#include "controlplane/backup_deletion.h"
#include "controlplane/restore_controller.h"
#include "controlplane/server_common.h"

namespace ferry::controlplane {

struct ServerOptions {
  StoreFactory open_store;
  int poll_interval_ms = 1000;
  int64_t sync_period_ms = 10'000;  // Velero's default backupSyncPeriod is 1m
  // A worker that failed (store error) is started again after this long.
  int64_t retry_delay_ms = 5'000;
  // One server per store: it holds ConfigMap kube-system/ferry-server-lease, renewed every pass;
  // a second server waits this long for the lease to lapse, then gives up with Conflict.
  int64_t lease_seconds = 15;
  BackupControllerOptions backup;    // .stop is set by the server
  RestoreControllerOptions restore;  // .volume_root: root of the default StorageClass
  BackupDeletionOptions deletion;
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Runs until `stop` becomes true (then asks the workers to stop and waits for them). Returns an
  // error when the store cannot be opened.
  Status Run(const std::atomic<bool>& stop);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::controlplane
