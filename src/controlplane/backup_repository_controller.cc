#include "controlplane/backup_repository_controller.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>

#include "controlplane/bsl.h"
#include "controlplane/log.h"
#include "controlplane/repository_ensurer.h"
#include "crypto/encryption.h"
#include "crypto/hashing.h"
#include "resource/time_util.h"
#include "splitter/splitter.h"

namespace ferry::controlplane {

using resource::Object;

namespace {

std::string FromEnvironment(const char* variable, const std::vector<std::string>& valid) {
  const char* value = std::getenv(variable);
  if (!value || !*value) return "";
  if (std::find(valid.begin(), valid.end(), value) != valid.end()) return value;
  LogWarning(std::string(variable) + "=\"" + value +
             "\" is not a supported algorithm; new repositories use kopia's default instead");
  return "";
}

std::string RepositoryRef(const Object& repository) {
  return "BackupRepository " + resource::Namespace(repository) + "/" + resource::Name(repository);
}

}  // namespace

datapath::NewRepositoryAlgorithms AlgorithmsFromEnvironment() {
  datapath::NewRepositoryAlgorithms a;
  a.hash = FromEnvironment("KOPIA_HASHING_ALGORITHM", crypto::HashAlgorithmNames());
  a.encryption = FromEnvironment("KOPIA_ENCRYPTION_ALGORITHM", crypto::EncryptionAlgorithmNames());
  a.splitter = FromEnvironment("KOPIA_SPLITTER_ALGORITHM", splitter::SplitterNames());
  return a;
}

struct BackupRepositoryController::MaintenanceJob {
  std::string namespace_name;
  std::string name;
  bool full = false;
  std::atomic<bool> done{false};
  Result<datapath::MaintenanceResult> result = Status::Internal("maintenance did not run");
  std::thread thread;
};

BackupRepositoryController::BackupRepositoryController(resource::Store& store,
                                                       BackupRepositoryControllerOptions options)
    : store_(store), options_(std::move(options)) {}

BackupRepositoryController::~BackupRepositoryController() {
  if (job_ && job_->thread.joinable()) job_->thread.join();
}

Status BackupRepositoryController::Reconcile(std::string_view namespace_name, std::string_view name) {
  auto repository = store_.Get("BackupRepository", namespace_name, name);
  if (!repository.ok()) {
    return repository.status().code() == StatusCode::kNotFound ? Status::OK() : repository.status();
  }
  std::string phase = resource::StringAt(*repository, "status.phase");
  if (phase != "Ready") {
    FERRY_RETURN_IF_ERROR(Prepare(*repository));
    FERRY_ASSIGN_OR_RETURN(*repository, store_.Get("BackupRepository", namespace_name, name));
    if (resource::StringAt(*repository, "status.phase") != "Ready") return Status::OK();
  }
  if (!options_.maintenance) return Status::OK();
  return MaybeStartMaintenance(std::move(*repository));
}

Status BackupRepositoryController::Prepare(const Object& current) {
  // Take the preparation lock with an update carrying the resourceVersion we read.
  Object repository = current;
  auto annotations = resource::Annotations(repository);
  auto holder = annotations.find(std::string(kPreparingByAnnotation));
  if (holder != annotations.end() && holder->second != options_.identity) {
    auto at = resource::ParseRfc3339(annotations[std::string(kPreparingAtAnnotation)]);
    if (at.ok() && resource::NowUnixSeconds() - *at < options_.preparation_lock_expiry_s) return Status::OK();
  }
  resource::SetAnnotation(repository, std::string(kPreparingByAnnotation), options_.identity);
  resource::SetAnnotation(repository, std::string(kPreparingAtAnnotation), resource::NowRfc3339());
  auto locked = store_.Update(repository);
  if (!locked.ok()) {
    return locked.status().code() == StatusCode::kConflict || locked.status().code() == StatusCode::kNotFound
               ? Status::OK()
               : locked.status();
  }
  repository = std::move(*locked);
  RepositoryKey key = RepositoryKeyOf(repository);
  Object patch = Object::object();
  patch["metadata"]["annotations"][std::string(kPreparingByAnnotation)] = nullptr;
  patch["metadata"]["annotations"][std::string(kPreparingAtAnnotation)] = nullptr;
  if (resource::StringAt(repository, "spec.maintenanceFrequency").empty()) {
    patch["spec"]["maintenanceFrequency"] = options_.default_maintenance_frequency;
  }
  auto fail = [&](const Status& why) {
    patch["status"]["phase"] = "NotReady";
    patch["status"]["message"] = why.message();
    LogWarning(RepositoryRef(repository) + " is NotReady: " + why.message());
    auto r = store_.MergePatch("BackupRepository", resource::Namespace(repository), resource::Name(repository), patch);
    return r.ok() ? Status::OK() : r.status();
  };
  if (key.type != kKopiaRepositoryType) {
    return fail(Status::Unsupported("repository type \"" + key.type + "\" is not supported (only kopia)"));
  }
  auto bsl = GetBackupStorageLocation(store_, key.velero_namespace, key.bsl);
  if (!bsl.ok()) return fail(bsl.status());
  if (resource::StringAt(repository, "spec.resticIdentifier").empty()) {
    patch["spec"]["resticIdentifier"] = ResticIdentifier(*bsl, key.volume_namespace);
  }
  auto location = ResolveRepositoryLocation(store_, key);
  if (!location.ok()) return fail(location.status());
  // Two processes may prepare the same new repository at once; the loser of the creation sees the
  // winner's blobs ("found existing data") and simply connects a moment later.
  Result<std::unique_ptr<datapath::Session>> session = Status::Internal("not tried");
  for (int attempt = 0; attempt < 5; ++attempt) {
    session = datapath::ConnectOrCreate(*location, options_.algorithms, /*create_if_missing=*/true);
    if (session.ok() || session.status().message().find("existing data") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300 * (attempt + 1)));
  }
  if (!session.ok()) {
    return fail(session.status().WithContext("error to connect to backup repository " +
                                             DescribeStorage(location->storage)));
  }
  datapath::RepositoryInfo info = datapath::Describe(**session);
  LogInfo(RepositoryRef(repository) + " is Ready (" + (info.created ? "created " : "connected to ") + info.location +
          ", " + info.hash + ", " + info.encryption + ", " + info.splitter + ")");
  patch["status"]["phase"] = "Ready";
  patch["status"]["message"] = nullptr;
  if (resource::StringAt(repository, "status.lastMaintenanceTime").empty()) {
    patch["status"]["lastMaintenanceTime"] = resource::NowRfc3339();
  }
  auto r = store_.MergePatch("BackupRepository", resource::Namespace(repository), resource::Name(repository), patch);
  return r.ok() ? Status::OK() : r.status();
}

Status BackupRepositoryController::MaybeStartMaintenance(Object repository) {
  if (job_) return Status::OK();  // one maintenance at a time in this process
  int64_t now = resource::NowUnixSeconds();
  auto last = resource::ParseRfc3339(resource::StringAt(repository, "status.lastMaintenanceTime"));
  auto frequency = resource::ParseGoDurationNanos(resource::StringAt(repository, "spec.maintenanceFrequency"));
  if (!frequency.ok()) {
    frequency = resource::ParseGoDurationNanos(options_.default_maintenance_frequency);
    if (!frequency.ok()) return Status::OK();
  }
  if (last.ok() && *last + *frequency / 1000000000 > now) return Status::OK();
  auto annotations = resource::Annotations(repository);
  auto started = annotations.find(std::string(kMaintenanceStartedAnnotation));
  if (started != annotations.end()) {
    auto at = resource::ParseRfc3339(started->second);
    if (at.ok() && now - *at < options_.maintenance_lock_expiry_s) return Status::OK();  // running elsewhere
  }
  resource::SetAnnotation(repository, std::string(kMaintenanceByAnnotation), options_.identity);
  resource::SetAnnotation(repository, std::string(kMaintenanceStartedAnnotation), resource::Rfc3339(now));
  auto locked = store_.Update(repository);
  if (!locked.ok()) {
    return locked.status().code() == StatusCode::kConflict ? Status::OK() : locked.status();
  }
  auto location = ResolveRepositoryLocation(store_, RepositoryKeyOf(repository));
  bool full = true;
  auto last_full = annotations.find(std::string(kLastFullMaintenanceAnnotation));
  if (last_full != annotations.end()) {
    auto at = resource::ParseRfc3339(last_full->second);
    full = !at.ok() || now - *at >= options_.full_maintenance_interval_s;
  }
  job_ = std::make_unique<MaintenanceJob>();
  job_->namespace_name = resource::Namespace(repository);
  job_->name = resource::Name(repository);
  job_->full = full;
  if (!location.ok()) {
    job_->result = location.status();
    job_->done = true;
    return Status::OK();
  }
  LogInfo("running " + std::string(full ? "full" : "quick") + " maintenance of " + RepositoryRef(repository));
  MaintenanceJob* job = job_.get();
  job_->thread = std::thread([job, loc = std::move(*location)] {
    auto session = datapath::ConnectOrCreate(loc, {}, /*create_if_missing=*/false);
    if (!session.ok()) {
      job->result = session.status();
    } else {
      datapath::MaintenanceRequest request;
      request.full = job->full;
      job->result = datapath::RunMaintenance(**session, request);
    }
    job->done = true;
  });
  return Status::OK();
}

void BackupRepositoryController::Poll() {
  if (!job_ || !job_->done.load()) return;
  if (job_->thread.joinable()) job_->thread.join();
  Object patch = Object::object();
  std::string now = resource::NowRfc3339();
  patch["metadata"]["annotations"][std::string(kMaintenanceByAnnotation)] = nullptr;
  patch["metadata"]["annotations"][std::string(kMaintenanceStartedAnnotation)] = nullptr;
  std::string ref = "BackupRepository " + job_->namespace_name + "/" + job_->name;
  if (job_->result.ok()) {
    patch["status"]["lastMaintenanceTime"] = now;
    patch["status"]["message"] = nullptr;
    patch["metadata"]["annotations"][std::string(kLastMaintenanceResultAnnotation)] = job_->result->summary;
    if (job_->full) patch["metadata"]["annotations"][std::string(kLastFullMaintenanceAnnotation)] = now;
    LogInfo("maintenance of " + ref + " done: " + job_->result->summary);
  } else {
    // The repository stays Ready: a failed maintenance does not stop backups (Velero 1.14).
    patch["status"]["message"] = "maintenance failed: " + job_->result.status().message();
    patch["metadata"]["annotations"][std::string(kLastMaintenanceResultAnnotation)] =
        "failed: " + job_->result.status().message();
    LogWarning("maintenance of " + ref + " failed: " + job_->result.status().message());
  }
  auto r = store_.MergePatch("BackupRepository", job_->namespace_name, job_->name, patch);
  if (!r.ok() && r.status().code() != StatusCode::kNotFound) {
    LogWarning("cannot record the maintenance result of " + ref + ": " + r.status().message());
  }
  job_.reset();
}

bool BackupRepositoryController::MaintenanceRunning() const { return job_ != nullptr; }

void BackupRepositoryController::WaitForMaintenance() {
  if (!job_) return;
  if (job_->thread.joinable()) job_->thread.join();
  job_->done = true;
  Poll();
}

}  // namespace ferry::controlplane
