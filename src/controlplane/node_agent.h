// NodeAgent: the data mover of one node (`ferry node-agent --node NAME`). One loop thread owns the
// Store handle and runs, like Velero's node-agent controllers with one concurrent reconcile each:
//   - the watch feed (Store::EventsSince / WaitForChange): every DataUpload, DataDownload and
//     BackupRepository event of its namespace is reconciled; a PersistentVolumeClaim event
//     re-checks DataDownloads waiting for their target PVC; a node-agent-config change reloads
//     loadConcurrency;
//   - a periodic resync (default 1 min; BackupRepositories every 5 min) for timeouts and anything
//     the feed cannot show (the prepare timeout, VolumeSnapshots becoming ready, maintenance);
//   - transfer outcomes and throttled progress from the DataPathManager threads;
//   - objects waiting for a slot, oldest first, whenever a slot frees (no starvation).
// Restart rules (docs/control-plane.md "Node agent: restarts"): work this node owned is picked up
// again — InProgress uploads resume from their last checkpoint, Prepared ones start, Accepted ones
// are exposed again. Stop() (SIGTERM) stops transfers at a safe point and leaves them InProgress,
// so they resume when the agent comes back.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "controlplane/backup_repository_controller.h"
#include "controlplane/data_download_controller.h"
#include "controlplane/data_path_manager.h"
#include "controlplane/data_upload_controller.h"
#include "resource/store.h"

namespace ferry::controlplane {

struct NodeAgentOptions {
  MoverOptions mover;                    // node name, timeouts, progress interval
  std::string namespace_name = "velero";  // Velero's install namespace ("" = every namespace)
  int64_t resync_interval_ms = 60 * 1000;
  int64_t repository_resync_interval_ms = 5 * 60 * 1000;
  int idle_wait_ms = 1000;   // longest sleep on the watch feed
  int busy_wait_ms = 100;    // while transfers run (their outcomes are polled)
  bool maintenance = true;
  datapath::NewRepositoryAlgorithms algorithms;  // KOPIA_*_ALGORITHM, for repositories it creates
};

class NodeAgent {
 public:
  NodeAgent(resource::Store& store, NodeAgentOptions options);
  ~NodeAgent();

  // Runs until *stop is set, then stops transfers (left resumable) and returns.
  Status Run(const std::atomic<bool>& stop);
  // Runs until nothing is left to do here (no transfer running or waiting, no object of this node
  // in a non-terminal phase it can advance) or *stop; for `--once`, scripts and tests.
  Status RunUntilIdle(const std::atomic<bool>& stop);

  // One pass of the loop without sleeping (tests).
  Status Step();

  DataPathManager& data_path() { return data_path_; }

 private:
  Status Start();
  Status FullResync(bool repositories);
  Status ProcessEvents();
  void ProcessFinished();
  Status ServeWaiting();
  void Shutdown();
  bool InScope(const resource::Object& obj) const;
  bool HasPendingWork();
  void Sleep(int idle_wait_ms);

  resource::Store& store_;
  NodeAgentOptions options_;
  DataPathManager data_path_;
  BackupRepositoryController repositories_;
  DataUploadController uploads_;
  DataDownloadController downloads_;
  bool started_ = false;
  int64_t since_ = 0;
  int64_t next_resync_ms_ = 0;
  int64_t next_repository_resync_ms_ = 0;
};

}  // namespace ferry::controlplane
