#include "controlplane/server.h"

#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include "controlplane/backup_sync.h"
#include "controlplane/dpa_controller.h"
#include "resource/time_util.h"

namespace ferry::controlplane {

using resource::Object;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Worker {
  std::thread thread;
  std::atomic<bool> done{false};
  Status result;
};

// One server per store, like Velero's single replica: a ConfigMap lease renewed on every pass.
constexpr char kLeaseNamespace[] = "kube-system";
constexpr char kLeaseName[] = "ferry-server-lease";

std::string LeaseHolder() {
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  return std::string(host) + "/" + std::to_string(::getpid());
}

// Takes or renews the lease; Conflict naming the holder while another live server has it.
Status RenewLease(resource::Store& store, const std::string& holder, int64_t lease_seconds) {
  int64_t now = resource::NowUnixSeconds();
  auto lease = store.Get("ConfigMap", kLeaseNamespace, kLeaseName);
  Object data = {{"holderIdentity", holder}, {"renewTime", resource::Rfc3339(now)}};
  if (!lease.ok()) {
    if (lease.status().code() != StatusCode::kNotFound) return lease.status();
    Object cm = {{"apiVersion", "v1"},
                 {"kind", "ConfigMap"},
                 {"metadata", {{"name", kLeaseName}, {"namespace", kLeaseNamespace}}},
                 {"data", data}};
    auto created = store.Create(cm);
    if (created.ok()) return Status::OK();
    if (created.status().code() != StatusCode::kAlreadyExists) return created.status();
    return Status::Conflict("another ferry server took the lease at the same moment");
  }
  std::string current = resource::StringAt(*lease, "data.holderIdentity");
  auto renewed = resource::ParseRfc3339(resource::StringAt(*lease, "data.renewTime"));
  if (current != holder && renewed.ok() && now - *renewed < lease_seconds) {
    return Status::Conflict("another ferry server (" + current + ") runs on this store (lease renewed " +
                            std::to_string(now - *renewed) + " s ago); run one server per store");
  }
  if (current == holder && renewed.ok() && now - *renewed < lease_seconds / 3) return Status::OK();  // fresh enough
  Object updated = *lease;
  updated["data"] = data;
  return store.Update(updated).status();  // Conflict when another server renewed meanwhile
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  std::atomic<bool> stopping{false};
  std::map<std::string, std::unique_ptr<Worker>> workers;  // "backup/ns/name", "restore/...", "delete/..."
  std::map<std::string, int64_t> retry_after_ms;            // failed workers' keys

  // Starts `job` in a worker thread with its own store handle, unless one runs for key already
  // or the key failed recently.
  void Start(const std::string& key, std::function<Status(resource::Store&)> job) {
    if (workers.count(key)) return;
    if (auto it = retry_after_ms.find(key); it != retry_after_ms.end() && it->second > NowMs()) return;
    auto worker = std::make_unique<Worker>();
    Worker* w = worker.get();
    StoreFactory open = options.open_store;
    w->thread = std::thread([w, open, job = std::move(job), key]() {
      auto store = open();
      w->result = store.ok() ? job(**store) : store.status();
      if (!w->result.ok()) LogError(key + ": " + w->result.message());
      w->done = true;
    });
    workers[key] = std::move(worker);
  }

  void Reap() {
    for (auto it = workers.begin(); it != workers.end();) {
      if (!it->second->done) {
        ++it;
        continue;
      }
      it->second->thread.join();
      if (!it->second->result.ok()) {
        retry_after_ms[it->first] = NowMs() + options.retry_delay_ms;
      } else {
        retry_after_ms.erase(it->first);
      }
      it = workers.erase(it);
    }
  }

  void JoinAll() {
    stopping = true;
    for (auto& [key, w] : workers) w->thread.join();
    workers.clear();
  }

  Status Pass(resource::Store& store) {
    Status s = ReconcileDataProtectionApplications(store);
    if (!s.ok()) LogError("reconciling DataProtectionApplications: " + s.message());
    s = ProcessDeleteBackupRequests(store);
    if (!s.ok()) LogError("processing DeleteBackupRequests: " + s.message());
    auto expired = ExpireBackups(store);
    if (!expired.ok()) LogError("expiring backups: " + expired.status().message());

    FERRY_ASSIGN_OR_RETURN(auto backups, store.List("Backup", {}));
    for (const Object& backup : backups) {
      const std::string ns = resource::Namespace(backup);
      const std::string name = resource::Name(backup);
      const std::string id = ns + "/" + name;
      if (!resource::DeletionTimestamp(backup).empty()) {
        if (!resource::HasFinalizer(backup, kBackupDeletionFinalizer)) continue;
        // The backup's own worker sees the deletion and returns; the deletion waits for it.
        if (workers.count("backup/" + id)) continue;
        BackupDeletionOptions o = options.deletion;
        o.stop = &stopping;
        Start("delete/" + id, [ns, name, o](resource::Store& st) { return DeleteBackup(st, ns, name, o); });
        continue;
      }
      std::string phase = resource::StringAt(backup, "status.phase");
      if (IsTerminalBackupPhase(phase) || phase == kPhaseDeleting) continue;
      BackupControllerOptions o = options.backup;
      o.stop = &stopping;
      Start("backup/" + id, [ns, name, o](resource::Store& st) { return RunBackup(st, ns, name, o); });
    }
    FERRY_ASSIGN_OR_RETURN(auto restores, store.List("Restore", {}));
    for (const Object& restore : restores) {
      std::string phase = resource::StringAt(restore, "status.phase");
      if (IsTerminalBackupPhase(phase) || !resource::DeletionTimestamp(restore).empty()) continue;
      const std::string ns = resource::Namespace(restore);
      const std::string name = resource::Name(restore);
      RestoreControllerOptions o = options.restore;
      o.stop = &stopping;
      Start("restore/" + ns + "/" + name, [ns, name, o](resource::Store& st) { return RunRestore(st, ns, name, o); });
    }
    return Status::OK();
  }
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>()) { impl_->options = std::move(options); }

Server::~Server() {
  if (impl_) impl_->JoinAll();
}

Status Server::Run(const std::atomic<bool>& stop) {
  FERRY_ASSIGN_OR_RETURN(auto store, impl_->options.open_store());
  const std::string holder = LeaseHolder() + "/" + RandomSuffix();
  // A server killed a moment ago still holds the lease: wait for it to lapse (a live one keeps it).
  for (int64_t waited_ms = 0;; waited_ms += 500) {
    Status lease = RenewLease(*store, holder, impl_->options.lease_seconds);
    if (lease.ok()) break;
    if (lease.code() != StatusCode::kConflict || waited_ms > (impl_->options.lease_seconds + 2) * 1000 || stop.load()) return lease;
    if (waited_ms == 0) LogWarning(lease.message() + "; waiting for its lease to lapse");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  FERRY_RETURN_IF_ERROR(FailInterruptedBackups(*store));
  FERRY_RETURN_IF_ERROR(FailInterruptedRestores(*store));
  LogInfo("server started");
  int64_t next_sync_ms = 0;
  std::string last_locations;
  while (!stop.load()) {
    auto version = store->CurrentResourceVersion();
    if (!version.ok()) {
      LogError("reading the store: " + version.status().message());
      std::this_thread::sleep_for(std::chrono::milliseconds(impl_->options.poll_interval_ms));
      continue;
    }
    // Sync every period, and at once when a location appears or changes (a DPA was applied).
    std::string locations;
    if (auto bsls = store->List("BackupStorageLocation", {}); bsls.ok()) {
      for (const Object& bsl : *bsls) {
        locations += resource::Uid(bsl) + ":" + std::to_string(resource::IntAt(bsl, "metadata.generation")) + ",";
      }
    }
    if (locations != last_locations) {
      last_locations = locations;
      next_sync_ms = 0;
    }
    if (NowMs() >= next_sync_ms) {
      auto synced = SyncBackupsFromStorageLocations(*store);
      if (!synced.ok()) LogError("backup sync: " + synced.status().message());
      next_sync_ms = NowMs() + impl_->options.sync_period_ms;
    }
    if (Status lease = RenewLease(*store, holder, impl_->options.lease_seconds); !lease.ok()) {
      LogError("lost the server lease: " + lease.message() + "; stopping");
      impl_->JoinAll();
      return lease;
    }
    Status s = impl_->Pass(*store);
    if (!s.ok()) LogError(s.message());
    impl_->Reap();
    // Wake on the next change, or after the poll interval (TTL, timeouts, retries, sync).
    (void)store->WaitForChange(*version, impl_->options.poll_interval_ms);
  }
  LogInfo("server stopping");
  impl_->JoinAll();
  // Hand the lease back so that a new server can start at once.
  if (auto lease = store->Get("ConfigMap", kLeaseNamespace, kLeaseName);
      lease.ok() && resource::StringAt(*lease, "data.holderIdentity") == holder) {
    (void)store->Delete("ConfigMap", kLeaseNamespace, kLeaseName);
  }
  return Status::OK();
}

}  // namespace ferry::controlplane
