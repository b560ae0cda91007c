#include "controlplane/node_agent.h"

#include <chrono>
#include <set>
#include <tuple>

#include "controlplane/data_mover_reconciler.h"
#include "controlplane/labels.h"
#include "controlplane/log.h"
#include "controlplane/node_agent_config.h"

namespace ferry::controlplane {

using resource::Object;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

BackupRepositoryControllerOptions RepositoryOptions(const NodeAgentOptions& o) {
  BackupRepositoryControllerOptions r;
  r.identity = o.mover.node;
  r.algorithms = o.algorithms;
  r.maintenance = o.maintenance;
  return r;
}

void LogIfError(const Status& s, const std::string& what) {
  if (!s.ok()) LogWarning(what + ": " + s.message());
}

}  // namespace

NodeAgent::NodeAgent(resource::Store& store, NodeAgentOptions options)
    : store_(store),
      options_(std::move(options)),
      data_path_(1),
      repositories_(store, RepositoryOptions(options_)),
      uploads_(store, data_path_, repositories_, options_.mover),
      downloads_(store, data_path_, repositories_, options_.mover) {}

NodeAgent::~NodeAgent() { Shutdown(); }

bool NodeAgent::InScope(const Object& obj) const {
  return options_.namespace_name.empty() || resource::Namespace(obj) == options_.namespace_name;
}

Status NodeAgent::Start() {
  if (started_) return Status::OK();
  FERRY_ASSIGN_OR_RETURN(since_, store_.CurrentResourceVersion());
  int slots = LoadConcurrencyForNode(store_, options_.namespace_name, options_.mover.node);
  data_path_.set_slots(slots);
  LogInfo("node agent " + options_.mover.node + " started (namespace " +
          (options_.namespace_name.empty() ? std::string("*") : options_.namespace_name) + ", loadConcurrency " +
          std::to_string(slots) + ")");
  started_ = true;
  FERRY_RETURN_IF_ERROR(FullResync(/*repositories=*/true));
  return Status::OK();
}

Status NodeAgent::FullResync(bool repositories) {
  resource::ListOptions list;
  list.namespace_name = options_.namespace_name;
  for (DataMoverReconciler* r : {static_cast<DataMoverReconciler*>(&uploads_), static_cast<DataMoverReconciler*>(&downloads_)}) {
    FERRY_ASSIGN_OR_RETURN(std::vector<Object> objects, store_.List(r->kind(), list));
    for (const Object& o : objects) {
      std::string p = resource::StringAt(o, "status.phase");
      if (IsTerminalPhase(p) && !resource::HasFinalizer(o, kDataUploadDownloadFinalizer)) continue;
      LogIfError(r->Reconcile(resource::Namespace(o), resource::Name(o)), "reconciling " + resource::Describe(o));
    }
  }
  if (repositories) {
    FERRY_ASSIGN_OR_RETURN(std::vector<Object> repos, store_.List("BackupRepository", list));
    for (const Object& o : repos) {
      LogIfError(repositories_.Reconcile(resource::Namespace(o), resource::Name(o)),
                 "reconciling " + resource::Describe(o));
    }
    next_repository_resync_ms_ = NowMs() + options_.repository_resync_interval_ms;
  }
  next_resync_ms_ = NowMs() + options_.resync_interval_ms;
  return Status::OK();
}

void NodeAgent::ProcessFinished() {
  for (auto& finished : data_path_.TakeFinished()) {
    if (finished.key.rfind("DataUpload/", 0) == 0) {
      uploads_.OnFinished(finished.key, finished.outcome);
    } else {
      downloads_.OnFinished(finished.key, finished.outcome);
    }
  }
}

Status NodeAgent::ProcessEvents() {
  // Collapse the batch: one reconcile per object, in the order first seen.
  std::vector<std::tuple<std::string, std::string, std::string>> todo;
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  bool pvc_changed = false, config_changed = false;
  while (true) {
    FERRY_ASSIGN_OR_RETURN(std::vector<resource::WatchEvent> events, store_.EventsSince(since_, "", 1000));
    if (events.empty()) break;
    for (const auto& e : events) {
      since_ = std::max(since_, e.resource_version);
      std::string kind = resource::Kind(e.object);
      if (kind == "PersistentVolumeClaim") {
        pvc_changed = true;
        continue;
      }
      if (kind == "ConfigMap" && resource::Name(e.object) == kNodeAgentConfigMap && InScope(e.object)) {
        config_changed = true;
        continue;
      }
      if (kind != "DataUpload" && kind != "DataDownload" && kind != "BackupRepository") continue;
      if (!InScope(e.object)) continue;
      auto key = std::make_tuple(kind, resource::Namespace(e.object), resource::Name(e.object));
      if (seen.insert(key).second) todo.push_back(key);
    }
    if (events.size() < 1000) break;
  }
  if (config_changed) {
    int slots = LoadConcurrencyForNode(store_, options_.namespace_name, options_.mover.node);
    if (slots != data_path_.slots()) {
      LogInfo("loadConcurrency of node " + options_.mover.node + " is now " + std::to_string(slots));
      data_path_.set_slots(slots);
    }
  }
  for (const auto& [kind, ns, name] : todo) {
    Status s;
    if (kind == "DataUpload") {
      s = uploads_.Reconcile(ns, name);
    } else if (kind == "DataDownload") {
      s = downloads_.Reconcile(ns, name);
    } else {
      s = repositories_.Reconcile(ns, name);
    }
    LogIfError(s, "reconciling " + kind + " " + ns + "/" + name);
  }
  if (pvc_changed) {
    // DataDownloads wait (New) for their target PVC.
    resource::ListOptions list;
    list.namespace_name = options_.namespace_name;
    FERRY_ASSIGN_OR_RETURN(std::vector<Object> dds, store_.List("DataDownload", list));
    for (const Object& o : dds) {
      std::string p = resource::StringAt(o, "status.phase");
      if (p.empty() || p == phase::kNew) {
        LogIfError(downloads_.Reconcile(resource::Namespace(o), resource::Name(o)), "reconciling " + resource::Describe(o));
      }
    }
  }
  return Status::OK();
}

Status NodeAgent::ServeWaiting() {
  // Oldest waiter first across both kinds would need their order; uploads and downloads each keep
  // theirs and take turns, so neither starves the other.
  for (int round = 0; round < 2 * data_path_.slots() + 2; ++round) {
    if (data_path_.running() >= data_path_.slots()) break;
    auto up = uploads_.WaitingForSlot();
    auto down = downloads_.WaitingForSlot();
    if (up.empty() && down.empty()) break;
    if (!up.empty() && (round % 2 == 0 || down.empty())) {
      LogIfError(uploads_.Reconcile(up.front().first, up.front().second), "reconciling a waiting DataUpload");
    } else {
      LogIfError(downloads_.Reconcile(down.front().first, down.front().second), "reconciling a waiting DataDownload");
    }
  }
  return Status::OK();
}

Status NodeAgent::Step() {
  FERRY_RETURN_IF_ERROR(Start());
  ProcessFinished();
  FERRY_RETURN_IF_ERROR(ProcessEvents());
  FERRY_RETURN_IF_ERROR(ServeWaiting());
  int64_t now = NowMs();
  if (now >= next_resync_ms_) FERRY_RETURN_IF_ERROR(FullResync(now >= next_repository_resync_ms_));
  repositories_.Poll();
  uploads_.Tick();
  downloads_.Tick();
  return Status::OK();
}

Status NodeAgent::Run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    Status s = Step();
    if (!s.ok()) {
      LogError("node agent loop: " + s.message());
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.idle_wait_ms));
      continue;
    }
    Sleep(repositories_.MaintenanceRunning() ? options_.busy_wait_ms : options_.idle_wait_ms);
  }
  Shutdown();
  return Status::OK();
}

void NodeAgent::Sleep(int idle_wait_ms) {
  if (data_path_.running() > 0) {
    // Wake as soon as a transfer ends; store changes are looked at every busy_wait_ms meanwhile.
    data_path_.WaitForFinished(options_.busy_wait_ms);
    return;
  }
  auto changed = store_.WaitForChange(since_, idle_wait_ms);
  if (!changed.ok()) LogWarning("watching the store: " + changed.status().message());
}

bool NodeAgent::HasPendingWork() {
  if (data_path_.running() > 0 || repositories_.MaintenanceRunning()) return true;
  if (!uploads_.WaitingForSlot().empty() || !downloads_.WaitingForSlot().empty()) return true;
  resource::ListOptions list;
  list.namespace_name = options_.namespace_name;
  for (const char* kind : {"DataUpload", "DataDownload"}) {
    auto objects = store_.List(kind, list);
    if (!objects.ok()) return false;
    for (const Object& o : *objects) {
      std::string p = resource::StringAt(o, "status.phase");
      bool finalizer = resource::HasFinalizer(o, kDataUploadDownloadFinalizer);
      if (IsTerminalPhase(p)) {
        if (finalizer) return true;
        continue;
      }
      if (resource::StringAt(o, "status.node") == options_.mover.node) return true;
    }
  }
  return false;
}

Status NodeAgent::RunUntilIdle(const std::atomic<bool>& stop) {
  FERRY_RETURN_IF_ERROR(Start());
  int idle_passes = 0;
  while (!stop.load()) {
    FERRY_RETURN_IF_ERROR(Step());
    if (HasPendingWork()) {
      idle_passes = 0;
    } else if (++idle_passes >= 2) {
      break;
    }
    // Nothing pending: a short look for late changes before leaving.
    Sleep(idle_passes > 0 ? 20 : std::min(options_.idle_wait_ms, 200));
  }
  Shutdown();
  return Status::OK();
}

void NodeAgent::Shutdown() {
  if (!started_) return;
  started_ = false;
  if (data_path_.running() > 0) {
    LogInfo("node agent " + options_.mover.node + " stopping: " + std::to_string(data_path_.running()) +
            " transfer(s) stopped at a safe point; they stay InProgress and continue when the agent restarts "
            "(uploads from the checkpoint written now, when any file was finished)");
  }
  uploads_.set_shutting_down();
  downloads_.set_shutting_down();
  data_path_.CancelAll();
  while (data_path_.running() > 0) {
    data_path_.WaitForFinished(200);
    ProcessFinished();
  }
  repositories_.WaitForMaintenance();
}

}  // namespace ferry::controlplane
