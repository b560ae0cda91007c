// `ferry node-agent --node NAME`: the data mover of one node — claims DataUploads and
// DataDownloads, exposes volumes, moves the data and reports in their status; also prepares and
// maintains BackupRepositories (docs/control-plane.md, "Node agent").
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/cancellation.h"
#include "cli/commands.h"
#include "cli/store_flags.h"
#include "controlplane/backup_repository_controller.h"
#include "controlplane/node_agent.h"
#include "resource/time_util.h"

namespace ferry::cli {

namespace {

struct NodeAgentFlags {
  std::string node;
  std::string store;
  std::string namespace_name;
  std::string prepare_timeout;
  std::string progress_interval;
  std::string checkpoint_interval;
  std::string resync_period;
  std::string resource_timeout;
  std::string snapshot_root;
  std::string volume_root;
  bool once = false;
  bool no_maintenance = false;
};

Result<int64_t> DurationFlag(const std::string& flag, const std::string& value) {
  auto ns = resource::ParseGoDurationNanos(value);
  if (!ns.ok() || *ns < 0) {
    return Status::InvalidArgument("--" + flag + " must be a duration such as 30m, 10s or 1h30m, not \"" + value + "\"");
  }
  return *ns;
}

Status RunNodeAgent(const NodeAgentFlags& f) {
  if (f.node.empty()) return Status::InvalidArgument("--node (or NODE_NAME) is required: the name of this node");
  controlplane::NodeAgentOptions o;
  o.mover.node = f.node;
  o.namespace_name = f.namespace_name;
  FERRY_ASSIGN_OR_RETURN(int64_t prepare, DurationFlag("data-mover-prepare-timeout", f.prepare_timeout));
  o.mover.prepare_timeout_s = prepare / 1000000000;
  FERRY_ASSIGN_OR_RETURN(int64_t progress, DurationFlag("progress-interval", f.progress_interval));
  o.mover.progress_interval_ms = progress / 1000000;
  if (!f.checkpoint_interval.empty()) {
    FERRY_ASSIGN_OR_RETURN(o.mover.checkpoint_interval_ns, DurationFlag("checkpoint-interval", f.checkpoint_interval));
  }
  FERRY_ASSIGN_OR_RETURN(int64_t resync, DurationFlag("resync-period", f.resync_period));
  o.resync_interval_ms = std::max<int64_t>(resync / 1000000, 50);
  FERRY_ASSIGN_OR_RETURN(int64_t resource_timeout, DurationFlag("resource-timeout", f.resource_timeout));
  o.mover.resource_timeout_ms = resource_timeout / 1000000;
  o.maintenance = !f.no_maintenance;
  // Temporary snapshots and provisioned volumes live beside the store unless told otherwise.
  std::filesystem::path beside = std::filesystem::path(StorePath(f.store)).parent_path();
  o.mover.snapshot_root = f.snapshot_root.empty() ? (beside / "snapshots").string() : f.snapshot_root;
  o.mover.volume_root = f.volume_root.empty() ? (beside / "volumes").string() : f.volume_root;
  o.algorithms = controlplane::AlgorithmsFromEnvironment();
  FERRY_ASSIGN_OR_RETURN(auto store, OpenStore(f.store));
  const std::atomic<bool>* stop = InstallCancelHandlers();
  controlplane::NodeAgent agent(*store, o);
  return f.once ? agent.RunUntilIdle(*stop) : agent.Run(*stop);
}

}  // namespace

void AddNodeAgentCommand(Command& root) {
  auto f = std::make_shared<NodeAgentFlags>();
  Command& cmd = root.AddCommand(
      "node-agent",
      "Run the data mover of one node: DataUploads, DataDownloads and BackupRepositories (until SIGTERM)");
  cmd.StringFlag("node", "Name of this node (status.node, velero.io/accepted-by)", &f->node).env_var = "NODE_NAME";
  AddStoreFlag(cmd, &f->store);
  cmd.StringFlag("namespace", "Velero's namespace, where DataUploads/DataDownloads live (\"\" = all)",
                 &f->namespace_name, "velero")
      .env_var = "VELERO_NAMESPACE";
  cmd.StringFlag("data-mover-prepare-timeout", "How long a DataUpload/DataDownload may stay Accepted",
                 &f->prepare_timeout, "30m");
  cmd.StringFlag("progress-interval", "Least time between two status.progress updates", &f->progress_interval, "10s");
  cmd.StringFlag("checkpoint-interval", "How often uploads save a checkpoint (default: the uploader's)",
                 &f->checkpoint_interval);
  cmd.StringFlag("resync-period", "How often every object is reconciled again", &f->resync_period, "1m");
  cmd.StringFlag("resource-timeout", "How long to wait for a BackupRepository to become Ready",
                 &f->resource_timeout, "10m");
  cmd.StringFlag("snapshot-root", "Where ferry.local/copy snapshots are made (default: snapshots/ beside the store)",
                 &f->snapshot_root);
  cmd.StringFlag("volume-root", "Root of ferry.local/hostpath volumes of StorageClasses without parameters.root "
                 "(default: volumes/ beside the store)", &f->volume_root);
  cmd.BoolFlag("once", "Exit when nothing is left to do on this node (scripts, tests)", &f->once);
  cmd.BoolFlag("no-maintenance", "Do not run repository maintenance from this node agent", &f->no_maintenance);
  cmd.SetAction([f](Context&) { return RunNodeAgent(*f); });
}

}  // namespace ferry::cli
