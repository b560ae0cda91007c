// `ferry server`: Velero's server role on the embedded store — DataProtectionApplications,
// Backups, Restores, backup deletion, ttl expiry and backup sync (docs/user-guide.md).
#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/cancellation.h"
#include "cli/commands.h"
#include "cli/store_flags.h"
#include "controlplane/server.h"
#include "resource/time_util.h"

namespace ferry::cli {

namespace {

struct ServerFlags {
  std::string store;
  std::string volume_root;
  std::string sync_period = "10s";
  std::string poll_interval = "1s";
  std::string default_item_operation_timeout = "4h0m0s";
  std::string default_backup_ttl = "720h0m0s";
};

Result<int64_t> Duration(const std::string& flag, const std::string& text) {
  auto d = resource::ParseGoDurationNanos(text);
  if (!d.ok()) return Status::InvalidArgument("--" + flag + ": " + d.status().message());
  return *d;
}

}  // namespace

void AddServerCommand(Command& root) {
  auto flags = std::make_shared<ServerFlags>();
  Command& cmd = root.AddCommand(
      "server",
      "Run Velero's server role: reconcile DataProtectionApplications, run Backups and Restores\n"
      "(snapshotMoveData), delete and expire backups, sync backups from storage locations.");
  AddStoreFlag(cmd, &flags->store);
  cmd.StringFlag("volume-root",
                 "root directory of the default StorageClass (provisioner ferry.local/hostpath) created for "
                 "restored volumes when none exists (default: volumes/ beside the store)",
                 &flags->volume_root)
      .placeholder = "DIR";
  cmd.StringFlag("backup-sync-period", "how often backups are synced from the storage locations",
                 &flags->sync_period, "10s");
  cmd.StringFlag("poll-interval", "longest wait between two passes when nothing changes", &flags->poll_interval,
                 "1s");
  cmd.StringFlag("default-item-operation-timeout",
                 "itemOperationTimeout of Backups and Restores that do not set one",
                 &flags->default_item_operation_timeout, "4h0m0s");
  cmd.StringFlag("default-backup-ttl", "ttl of Backups that do not set one", &flags->default_backup_ttl,
                 "720h0m0s");
  cmd.SetAction([flags](Context& ctx) -> Status {
    std::string store_path = StorePath(flags->store);
    // Fail early with a clear message if the store cannot be opened.
    FERRY_ASSIGN_OR_RETURN(auto probe, OpenStore(flags->store));
    probe.reset();
    controlplane::ServerOptions options;
    options.open_store = [path = flags->store]() { return OpenStore(path); };
    FERRY_ASSIGN_OR_RETURN(int64_t sync, Duration("backup-sync-period", flags->sync_period));
    FERRY_ASSIGN_OR_RETURN(int64_t poll, Duration("poll-interval", flags->poll_interval));
    FERRY_ASSIGN_OR_RETURN(int64_t item_timeout,
                           Duration("default-item-operation-timeout", flags->default_item_operation_timeout));
    FERRY_ASSIGN_OR_RETURN(int64_t ttl, Duration("default-backup-ttl", flags->default_backup_ttl));
    options.sync_period_ms = sync / 1'000'000;
    options.poll_interval_ms = static_cast<int>(std::max<int64_t>(50, poll / 1'000'000));
    options.backup.poll_interval_ms = std::min(options.poll_interval_ms, 500);
    options.backup.default_item_operation_timeout_ns = item_timeout;
    options.backup.default_ttl_ns = ttl;
    options.restore.poll_interval_ms = options.backup.poll_interval_ms;
    options.restore.default_item_operation_timeout_ns = item_timeout;
    options.restore.volume_root = flags->volume_root;
    if (options.restore.volume_root.empty()) {
      options.restore.volume_root =
          (std::filesystem::absolute(std::filesystem::path(store_path)).parent_path() / "volumes").string();
    }
    ctx.err << "ferry server: store " << store_path << ", default volume root " << options.restore.volume_root
            << std::endl;
    const std::atomic<bool>* stop = InstallCancelHandlers();
    controlplane::Server server(std::move(options));
    return server.Run(*stop);
  });
}

}  // namespace ferry::cli
