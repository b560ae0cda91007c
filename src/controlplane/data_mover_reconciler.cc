#include "controlplane/data_mover_reconciler.h"

#include <chrono>

#include "controlplane/labels.h"
#include "controlplane/log.h"
#include "resource/time_util.h"

namespace ferry::controlplane {

using resource::Object;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool IsConflict(const Status& s) { return s.code() == StatusCode::kConflict; }

}  // namespace

bool IsTerminalPhase(std::string_view p) {
  return p == phase::kCompleted || p == phase::kFailed || p == phase::kCanceled;
}

DataMoverReconciler::DataMoverReconciler(std::string kind, resource::Store& store, DataPathManager& data_path,
                                         BackupRepositoryController& repositories, MoverOptions options)
    : store_(store),
      options_(std::move(options)),
      kind_(std::move(kind)),
      data_path_(data_path),
      repositories_(repositories) {}

std::string DataMoverReconciler::TransferKey(std::string_view namespace_name, std::string_view name) const {
  return kind_ + "/" + std::string(namespace_name) + "/" + std::string(name);
}

bool DataMoverReconciler::IsMine(const Object& obj) const {
  return resource::StringAt(obj, "status.node") == options_.node;
}

Object DataMoverReconciler::ExposureOf(const Object& obj) {
  auto annotations = resource::Annotations(obj);
  auto it = annotations.find(std::string(kExposedAnnotation));
  if (it == annotations.end()) return Object::object();
  Object e = Object::parse(it->second, nullptr, false);
  return e.is_object() ? e : Object::object();
}

Status DataMoverReconciler::RecordExposure(Object& obj, const Object& exposure) {
  Object patch;
  patch["metadata"]["annotations"][std::string(kExposedAnnotation)] = exposure.dump();
  FERRY_ASSIGN_OR_RETURN(obj, store_.MergePatch(kind_, resource::Namespace(obj), resource::Name(obj), patch));
  return Status::OK();
}

void DataMoverReconciler::Wait(const Object& obj) {
  std::string key = TransferKey(resource::Namespace(obj), resource::Name(obj));
  if (waiting_keys_.insert(key).second) waiting_.emplace_back(resource::Namespace(obj), resource::Name(obj));
}

void DataMoverReconciler::Unwait(const std::string& key) {
  if (!waiting_keys_.erase(key)) return;
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (TransferKey(it->first, it->second) == key) {
      waiting_.erase(it);
      break;
    }
  }
}

std::vector<std::pair<std::string, std::string>> DataMoverReconciler::WaitingForSlot() const {
  return {waiting_.begin(), waiting_.end()};
}

Status DataMoverReconciler::Reconcile(std::string_view namespace_name, std::string_view name) {
  auto got = store_.Get(kind_, namespace_name, name);
  if (!got.ok()) {
    if (got.status().code() == StatusCode::kNotFound) {
      Unwait(TransferKey(namespace_name, name));
      return Status::OK();
    }
    return got.status();
  }
  Object obj = std::move(*got);
  std::string mover = resource::StringAt(obj, "spec.datamover");
  if (!mover.empty() && mover != options_.datamover_name) return Status::OK();  // another data mover's

  std::string p = resource::StringAt(obj, "status.phase");
  if (p.empty()) p = phase::kNew;
  if (IsTerminalPhase(p)) {
    Unwait(TransferKey(namespace_name, name));
    if (resource::HasFinalizer(obj, kDataUploadDownloadFinalizer)) {
      resource::RemoveFinalizer(obj, kDataUploadDownloadFinalizer);
      auto r = store_.Update(obj);
      if (!r.ok() && !IsConflict(r.status()) && r.status().code() != StatusCode::kNotFound) return r.status();
    }
    return Status::OK();
  }
  if (!resource::DeletionTimestamp(obj).empty() && !resource::BoolAt(obj, "spec.cancel")) {
    // A non-terminal object being deleted is cancelled, so that the normal path cleans up.
    Object patch;
    patch["spec"]["cancel"] = true;
    patch["status"]["message"] = Noun() + " was canceled because it is being deleted";
    auto r = store_.MergePatch(kind_, namespace_name, name, patch);
    return r.ok() || r.status().code() == StatusCode::kNotFound ? Status::OK() : r.status();
  }
  if (!resource::HasFinalizer(obj, kDataUploadDownloadFinalizer)) {
    resource::AddFinalizer(obj, kDataUploadDownloadFinalizer);
    auto r = store_.Update(obj);
    if (!r.ok()) return IsConflict(r.status()) ? Status::OK() : r.status();  // the event brings us back
    obj = std::move(*r);
  }
  if (p == phase::kNew) return ReconcileNew(std::move(obj));
  if (p == phase::kAccepted) return ReconcileAccepted(std::move(obj));
  if (p == phase::kPrepared) return ReconcilePrepared(std::move(obj));
  if (p == phase::kInProgress || p == phase::kCanceling) return ReconcileInProgress(std::move(obj));
  LogWarning(resource::Describe(obj) + " has an unknown phase \"" + p + "\"; leaving it alone");
  return Status::OK();
}

Status DataMoverReconciler::ReconcileNew(Object obj) {
  // A cancelled object is claimed at once so that it can end Canceled.
  if (!resource::BoolAt(obj, "spec.cancel") && !ReadyToClaim(obj)) return Status::OK();
  obj["status"]["phase"] = phase::kAccepted;
  resource::SetLabel(obj, std::string(kAcceptedByLabel), SanitizeLabelValue(options_.node));
  resource::SetAnnotation(obj, std::string(kAcceptedByAnnotation), options_.node);
  resource::SetAnnotation(obj, std::string(kAcceptedAtAnnotation), resource::NowRfc3339());
  auto claimed = store_.Update(obj);
  if (!claimed.ok()) {
    if (IsConflict(claimed.status())) return Status::OK();  // another node agent won the claim
    return claimed.status();
  }
  obj = std::move(*claimed);
  LogInfo(options_.node + ": accepted " + resource::Describe(obj));
  if (resource::BoolAt(obj, "spec.cancel")) {
    return Finish(obj, phase::kCanceled, Noun() + " was canceled before it started");
  }
  return ExposeAndPrepare(std::move(obj));
}

Status DataMoverReconciler::ReconcileAccepted(Object obj) {
  if (resource::BoolAt(obj, "spec.cancel")) {
    std::string message = resource::StringAt(obj, "status.message");
    return Finish(obj, phase::kCanceled, message.empty() ? Noun() + " was canceled" : message);
  }
  auto annotations = resource::Annotations(obj);
  auto accepted_at = resource::ParseRfc3339(annotations[std::string(kAcceptedAtAnnotation)]);
  if (accepted_at.ok() && resource::NowUnixSeconds() - *accepted_at >= options_.prepare_timeout_s) {
    // Exclusive: only the node whose update lands fails it (and cleans up).
    obj["status"]["phase"] = phase::kFailed;
    obj["status"]["message"] = "timeout on preparing " + Noun();
    auto r = store_.Update(obj);
    if (!r.ok()) return IsConflict(r.status()) ? Status::OK() : r.status();
    LogWarning(resource::Describe(obj) + ": timeout on preparing " + Noun());
    return Finish(*r, phase::kFailed, "timeout on preparing " + Noun());
  }
  std::string accepted_by = annotations.count(std::string(kAcceptedByAnnotation))
                                ? annotations[std::string(kAcceptedByAnnotation)]
                                : resource::Labels(obj)[std::string(kAcceptedByLabel)];
  if (accepted_by != options_.node) return Status::OK();
  // Accepted by this node but not exposed: either the snapshot was not ready yet, or this node
  // agent stopped while exposing. Start over from a clean slate.
  if (!ExposureOf(obj).empty()) {
    Status cleaned = CleanUpForRetry(obj);
    if (!cleaned.ok()) LogWarning(resource::Describe(obj) + ": clean-up before exposing again: " + cleaned.message());
    Object patch;
    patch["metadata"]["annotations"][std::string(kExposedAnnotation)] = nullptr;
    FERRY_ASSIGN_OR_RETURN(obj, store_.MergePatch(kind_, resource::Namespace(obj), resource::Name(obj), patch));
  }
  return ExposeAndPrepare(std::move(obj));
}

Status DataMoverReconciler::ExposeAndPrepare(Object obj) {
  auto exposed = Expose(obj);
  if (!exposed.ok()) {
    LogWarning(resource::Describe(obj) + ": error to expose: " + exposed.status().message());
    return Finish(obj, phase::kFailed, "error to expose snapshot: " + exposed.status().message());
  }
  if (!exposed->has_value()) return Status::OK();  // not yet; the periodic resync comes back
  for (int attempt = 0; attempt < 3; ++attempt) {
    obj["status"]["phase"] = phase::kPrepared;
    obj["status"]["node"] = options_.node;
    auto r = store_.Update(obj);
    if (r.ok()) {
      LogInfo(options_.node + ": " + resource::Describe(*r) + " is Prepared");
      return ReconcilePrepared(std::move(*r));
    }
    if (!IsConflict(r.status())) return r.status();
    FERRY_ASSIGN_OR_RETURN(obj, store_.Get(kind_, resource::Namespace(obj), resource::Name(obj)));
    if (resource::StringAt(obj, "status.phase") != phase::kAccepted || resource::BoolAt(obj, "spec.cancel")) {
      return Reconcile(resource::Namespace(obj), resource::Name(obj));
    }
  }
  return Status::Conflict("could not mark " + resource::Describe(obj) + " Prepared");
}

Status DataMoverReconciler::ReconcilePrepared(Object obj) {
  if (!IsMine(obj)) return Status::OK();
  std::string key = TransferKey(resource::Namespace(obj), resource::Name(obj));
  if (resource::BoolAt(obj, "spec.cancel")) {
    std::string message = resource::StringAt(obj, "status.message");
    return Finish(obj, phase::kCanceled, message.empty() ? Noun() + " was canceled" : message);
  }
  if (data_path_.IsRunning(key)) return Status::OK();
  if (data_path_.running() >= data_path_.slots()) {
    Wait(obj);  // stays Prepared until a slot frees (Velero requeues every 5 s)
    return Status::OK();
  }
  Unwait(key);
  Object patch;
  patch["status"]["phase"] = phase::kInProgress;
  if (resource::StringAt(obj, "status.startTimestamp").empty()) {
    patch["status"]["startTimestamp"] = resource::NowRfc3339();
  }
  FERRY_ASSIGN_OR_RETURN(obj, store_.MergePatch(kind_, resource::Namespace(obj), resource::Name(obj), patch));
  return StartTransfer(std::move(obj), /*resume=*/false);
}

Status DataMoverReconciler::StartTransfer(Object obj, bool resume) {
  std::string key = TransferKey(resource::Namespace(obj), resource::Name(obj));
  RepositoryKey repo_key = RepositoryKeyFor(obj);
  EnsureOptions ensure;
  ensure.resource_timeout_ms = options_.resource_timeout_ms;
  ensure.prepare = [this](const Object& repository) { return repositories_.Prepare(repository); };
  auto repository = EnsureRepository(store_, repo_key, ensure);
  if (!repository.ok()) {
    return Finish(obj, phase::kFailed, "error to initialize data path: " + repository.status().message());
  }
  auto location = ResolveRepositoryLocation(store_, repo_key);
  if (!location.ok()) {
    return Finish(obj, phase::kFailed, "error to initialize data path: " + location.status().message());
  }
  auto transfer = MakeTransfer(obj, *location, resume);
  if (!transfer.ok()) {
    return Finish(obj, phase::kFailed, "error to initialize data path: " + transfer.status().message());
  }
  if (!data_path_.TryStart(key, std::move(*transfer))) {
    Wait(obj);
    return Status::OK();
  }
  Unwait(key);
  running_[key] = Running{resource::Namespace(obj), resource::Name(obj), NowMs(), {}};
  LogInfo(options_.node + ": " + (resume ? "resumed " : "started ") + Noun() + " " + resource::Namespace(obj) + "/" +
          resource::Name(obj));
  return Status::OK();
}

Status DataMoverReconciler::ReconcileInProgress(Object obj) {
  if (!IsMine(obj)) return Status::OK();
  std::string key = TransferKey(resource::Namespace(obj), resource::Name(obj));
  std::string p = resource::StringAt(obj, "status.phase");
  bool cancel = resource::BoolAt(obj, "spec.cancel");
  if (data_path_.IsRunning(key)) {
    if (cancel && p == phase::kInProgress) {
      Object patch;
      patch["status"]["phase"] = phase::kCanceling;
      auto r = store_.MergePatch(kind_, resource::Namespace(obj), resource::Name(obj), patch);
      if (!r.ok()) return r.status();
      LogInfo(options_.node + ": canceling " + resource::Describe(obj));
    }
    if (cancel || p == phase::kCanceling) data_path_.Cancel(key);
    return Status::OK();
  }
  if (cancel || p == phase::kCanceling) {
    std::string message = resource::StringAt(obj, "status.message");
    return Finish(obj, phase::kCanceled, message.empty() ? Noun() + " was canceled" : message);
  }
  // InProgress here with no transfer running: this node agent was restarted. Resume.
  if (data_path_.running() >= data_path_.slots()) {
    Wait(obj);
    return Status::OK();
  }
  return StartTransfer(std::move(obj), /*resume=*/true);
}

void DataMoverReconciler::OnFinished(const std::string& key, const TransferOutcome& outcome) {
  auto it = running_.find(key);
  if (it == running_.end()) return;
  std::string ns = it->second.namespace_name, name = it->second.name;
  running_.erase(it);
  if (shutting_down_ && outcome.status.code() == StatusCode::kCancelled) {
    LogInfo(options_.node + ": stopped " + Noun() + " " + ns + "/" + name + " for shutdown; it resumes on restart");
    return;
  }
  auto got = store_.Get(kind_, ns, name);
  if (!got.ok()) {
    LogWarning("cannot record the end of " + Noun() + " " + ns + "/" + name + ": " + got.status().message());
    return;
  }
  Status s;
  if (outcome.status.ok()) {
    Object status = Object::object();
    Status completed = Complete(*got, outcome, status);
    if (completed.ok()) {
      if (outcome.total_bytes > 0) {
        status["progress"]["totalBytes"] = outcome.total_bytes;
        status["progress"]["bytesDone"] = outcome.total_bytes;
      }
      s = Finish(*got, phase::kCompleted, "", std::move(status));
    } else {
      s = Finish(*got, phase::kFailed, completed.message());
    }
  } else if (outcome.status.code() == StatusCode::kCancelled) {
    std::string message = resource::StringAt(*got, "status.message");
    s = Finish(*got, phase::kCanceled, message.empty() ? Noun() + " was canceled" : message);
  } else {
    Object extra = Object::object();
    if (!outcome.snapshot_id.empty() && kind_ == "DataUpload") extra["snapshotID"] = outcome.snapshot_id;
    s = Finish(*got, phase::kFailed, outcome.status.message(), std::move(extra));
  }
  if (!s.ok()) LogWarning("recording the end of " + Noun() + " " + ns + "/" + name + ": " + s.message());
}

Status DataMoverReconciler::Finish(const Object& obj, std::string_view final_phase, const std::string& message,
                                   Object extra_status) {
  std::string key = TransferKey(resource::Namespace(obj), resource::Name(obj));
  Unwait(key);
  // Clean up from the latest state: a step just before (e.g. binding a restored volume) may have
  // changed what is left to remove.
  auto fresh = store_.Get(kind_, resource::Namespace(obj), resource::Name(obj));
  Status cleaned = CleanUp(fresh.ok() ? *fresh : obj);
  Object patch;
  patch["status"] = std::move(extra_status);
  patch["status"]["phase"] = final_phase;
  patch["status"]["message"] = message.empty() ? Object(nullptr) : Object(message);
  std::string now = resource::NowRfc3339();
  patch["status"]["completionTimestamp"] = now;
  if (resource::StringAt(obj, "status.startTimestamp").empty()) patch["status"]["startTimestamp"] = now;
  if (cleaned.ok()) {
    patch["metadata"]["annotations"][std::string(kExposedAnnotation)] = nullptr;
  } else {
    LogWarning(resource::Describe(obj) + ": clean-up failed: " + cleaned.message());
  }
  auto r = store_.MergePatch(kind_, resource::Namespace(obj), resource::Name(obj), patch);
  if (!r.ok()) return r.status();
  LogInfo(options_.node + ": " + resource::Describe(obj) + " is " + std::string(final_phase) +
          (message.empty() ? "" : ": " + message));
  return Status::OK();
}

void DataMoverReconciler::Tick() {
  int64_t now = NowMs();
  for (auto& [key, r] : running_) {
    if (now - r.last_progress_ms < options_.progress_interval_ms) continue;
    r.last_progress_ms = now;
    auto p = data_path_.LatestProgress(key);
    if (!p || (p->bytes_done == r.last_written.bytes_done && p->total_bytes == r.last_written.total_bytes)) continue;
    Object patch;
    patch["status"]["progress"]["totalBytes"] = p->total_bytes;
    patch["status"]["progress"]["bytesDone"] = p->bytes_done;
    auto w = store_.MergePatch(kind_, r.namespace_name, r.name, patch);
    if (w.ok()) r.last_written = *p;
  }
}

}  // namespace ferry::controlplane
