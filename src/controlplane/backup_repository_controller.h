// BackupRepository controller (Velero's backup_repository_controller.go, datamover-control-plane.md
// §6.5-6.7). One Reconcile per object:
//   "" / New  → default spec.maintenanceFrequency (1h) and spec.resticIdentifier, resolve the BSL,
//               connect to the Kopia repository at <prefix>/kopia/<ns>/, creating it when the
//               prefix holds none (with the KOPIA_*_ALGORITHM choices of this process) → Ready and
//               lastMaintenanceTime = now; any error → NotReady with the error as message.
//   NotReady  → the same again (a fixed BSL or password makes it Ready).
//   Ready     → when lastMaintenanceTime + maintenanceFrequency has passed, run maintenance in a
//               background thread (one at a time per process, and per repository across processes
//               through a lock annotation); the result goes to lastMaintenanceTime / message, the
//               phase stays Ready.
// Runs in the node agent (standalone mode has no separate server) and in `ferry server`.
// Not thread-safe: call Reconcile and Poll from one thread (the one owning the Store handle).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "base/status.h"
#include "datapath/datapath.h"
#include "resource/object.h"
#include "resource/store.h"

namespace ferry::controlplane {

// Annotations of ferry's cross-process maintenance lock and bookkeeping on a BackupRepository.
inline constexpr std::string_view kMaintenanceByAnnotation = "ferry.io/maintenance-by";
inline constexpr std::string_view kMaintenanceStartedAnnotation = "ferry.io/maintenance-started-at";
inline constexpr std::string_view kLastFullMaintenanceAnnotation = "ferry.io/last-full-maintenance";
inline constexpr std::string_view kLastMaintenanceResultAnnotation = "ferry.io/last-maintenance-result";
// Preparation lock: creating a repository is not safe from two processes at once, so the process
// that prepares (connects to or creates) the repository first marks the BackupRepository with a
// conditional update; the others wait for the phase it writes.
inline constexpr std::string_view kPreparingByAnnotation = "ferry.io/preparing-by";
inline constexpr std::string_view kPreparingAtAnnotation = "ferry.io/preparing-at";

// KOPIA_HASHING_ALGORITHM / KOPIA_ENCRYPTION_ALGORITHM / KOPIA_SPLITTER_ALGORITHM of this process
// (OADP 1.4). A value that is not a supported algorithm name is ignored with a warning, and
// kopia's default is used for it.
datapath::NewRepositoryAlgorithms AlgorithmsFromEnvironment();

struct BackupRepositoryControllerOptions {
  std::string identity;  // who runs maintenance (node name), for the lock and logs
  std::string default_maintenance_frequency = "1h0m0s";
  datapath::NewRepositoryAlgorithms algorithms;  // only used when creating a repository
  bool maintenance = true;
  int64_t full_maintenance_interval_s = 24 * 3600;
  // A lock older than this is taken to belong to a dead process.
  int64_t maintenance_lock_expiry_s = 3600;
  int64_t preparation_lock_expiry_s = 120;
};

class BackupRepositoryController {
 public:
  BackupRepositoryController(resource::Store& store, BackupRepositoryControllerOptions options);
  ~BackupRepositoryController();  // waits for a running maintenance
  BackupRepositoryController(const BackupRepositoryController&) = delete;
  BackupRepositoryController& operator=(const BackupRepositoryController&) = delete;

  Status Reconcile(std::string_view namespace_name, std::string_view name);
  // Prepares (connect or create) one repository now, whatever its phase; writes Ready/NotReady.
  // For EnsureOptions::prepare. Returns OK without doing anything while another process holds
  // the preparation lock (the caller waits for the phase).
  Status Prepare(const resource::Object& repository);

  // Writes the result of a finished maintenance run, if any. Call from the Reconcile thread.
  void Poll();
  bool MaintenanceRunning() const;
  // Blocks until a running maintenance has finished and its result is written.
  void WaitForMaintenance();

 private:
  struct MaintenanceJob;
  Status MaybeStartMaintenance(resource::Object repository);

  resource::Store& store_;
  BackupRepositoryControllerOptions options_;
  std::unique_ptr<MaintenanceJob> job_;
};

}  // namespace ferry::controlplane
