#include "controlplane/repository_ensurer.h"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "base/bytes.h"
#include "controlplane/bsl.h"
#include "controlplane/labels.h"
#include "controlplane/log.h"

namespace ferry::controlplane {

using resource::Object;

namespace {

std::map<std::string, std::string> KeyLabels(const RepositoryKey& key) {
  return {{std::string(kVolumeNamespaceLabel), SanitizeLabelValue(key.volume_namespace)},
          {std::string(kStorageLocationLabel), SanitizeLabelValue(key.bsl)},
          {std::string(kRepositoryTypeLabel), SanitizeLabelValue(key.type)}};
}

std::mutex& KeyMutex(const std::string& key) {
  static std::mutex map_mutex;
  static std::map<std::string, std::unique_ptr<std::mutex>> mutexes;
  std::lock_guard<std::mutex> lock(map_mutex);
  auto& m = mutexes[key];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

std::string TrimSpace(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  size_t end = s.find_last_not_of(ws);
  s.erase(end == std::string::npos ? 0 : end + 1);
  return s;
}

}  // namespace

Result<Object> FindBackupRepository(resource::Store& store, const RepositoryKey& key) {
  resource::ListOptions options;
  options.namespace_name = key.velero_namespace;
  options.selector = resource::LabelSelector::Equals(KeyLabels(key));
  FERRY_ASSIGN_OR_RETURN(std::vector<Object> found, store.List("BackupRepository", options));
  if (found.empty()) return Status::NotFound("no BackupRepository for " + key.ToString());
  if (found.size() > 1) {
    return Status::Internal("more than one BackupRepository matches " + key.ToString() + " (" +
                            resource::Name(found[0]) + ", " + resource::Name(found[1]) +
                            "); delete the extra ones");
  }
  return found[0];
}

Result<std::string> EnsureRepositoryPassword(resource::Store& store, std::string_view velero_namespace) {
  auto value = SecretValue(store, velero_namespace, kRepositoryCredentialsSecret, kRepositoryPasswordKey);
  if (value.ok()) {
    std::string password = TrimSpace(*value);
    if (password.empty()) {
      return Status::InvalidArgument("Secret " + std::string(velero_namespace) + "/" +
                                     std::string(kRepositoryCredentialsSecret) + " key " +
                                     std::string(kRepositoryPasswordKey) + " is empty");
    }
    return password;
  }
  auto secret = store.Get("Secret", velero_namespace, kRepositoryCredentialsSecret);
  if (secret.ok() || secret.status().code() != StatusCode::kNotFound) return value.status();
  Object s = {{"apiVersion", "v1"},
              {"kind", "Secret"},
              {"metadata", {{"namespace", velero_namespace}, {"name", kRepositoryCredentialsSecret}}},
              {"type", "Opaque"},
              {"data", {{kRepositoryPasswordKey, Base64Encode(AsBytes(kDefaultRepositoryPassword))}}}};
  auto created = store.Create(s);
  if (!created.ok() && created.status().code() != StatusCode::kAlreadyExists) {
    return created.status().WithContext("creating the repository password Secret");
  }
  if (created.ok()) {
    LogWarning("Secret " + std::string(velero_namespace) + "/" + std::string(kRepositoryCredentialsSecret) +
               " was missing: created it with Velero's default repository password \"" +
               std::string(kDefaultRepositoryPassword) +
               "\". Anyone who knows this default can read the backups; replace it before the first "
               "repository is created (it cannot be changed afterwards).");
    return std::string(kDefaultRepositoryPassword);
  }
  return EnsureRepositoryPassword(store, velero_namespace);  // another process created it
}

Result<datapath::RepositoryLocation> ResolveRepositoryLocation(resource::Store& store, const RepositoryKey& key) {
  FERRY_ASSIGN_OR_RETURN(BackupStorageLocation bsl, GetBackupStorageLocation(store, key.velero_namespace, key.bsl));
  datapath::RepositoryLocation location;
  FERRY_ASSIGN_OR_RETURN(location.storage, RepositoryStorage(store, bsl, key.volume_namespace));
  FERRY_ASSIGN_OR_RETURN(location.password, EnsureRepositoryPassword(store, key.velero_namespace));
  return location;
}

RepositoryKey RepositoryKeyOf(const Object& repository) {
  RepositoryKey key;
  key.velero_namespace = resource::Namespace(repository);
  key.volume_namespace = resource::StringAt(repository, "spec.volumeNamespace");
  key.bsl = resource::StringAt(repository, "spec.backupStorageLocation");
  std::string type = resource::StringAt(repository, "spec.repositoryType");
  if (!type.empty()) key.type = type;
  return key;
}

Result<Object> EnsureRepository(resource::Store& store, const RepositoryKey& key, const EnsureOptions& options) {
  Object repository;
  {
    std::lock_guard<std::mutex> lock(KeyMutex(key.velero_namespace + "/" + key.ToString()));
    auto found = FindBackupRepository(store, key);
    if (found.ok()) {
      repository = std::move(*found);
    } else if (found.status().code() != StatusCode::kNotFound) {
      return found.status();
    } else {
      Object fresh = {{"apiVersion", "velero.io/v1"},
                      {"kind", "BackupRepository"},
                      {"metadata",
                       {{"namespace", key.velero_namespace},
                        {"generateName", key.volume_namespace + "-" + key.bsl + "-" + key.type + "-"},
                        {"labels", KeyLabels(key)}}},
                      {"spec",
                       {{"volumeNamespace", key.volume_namespace},
                        {"backupStorageLocation", key.bsl},
                        {"repositoryType", key.type}}}};
      auto created = store.Create(fresh);
      if (!created.ok()) return created.status().WithContext("creating the BackupRepository for " + key.ToString());
      LogInfo("created BackupRepository " + key.velero_namespace + "/" + resource::Name(*created) + " for " +
              key.ToString());
      repository = std::move(*created);
    }
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.resource_timeout_ms);
  bool prepared_here = false;
  while (true) {
    std::string phase = resource::StringAt(repository, "status.phase");
    if (phase == "Ready") return repository;
    if (phase == "NotReady" && (!options.prepare || prepared_here)) {
      return Status::InvalidArgument("backup repository is not ready: " +
                                     resource::StringAt(repository, "status.message"));
    }
    if (options.prepare && !prepared_here) {  // New, or NotReady: try (again) now
      FERRY_RETURN_IF_ERROR(options.prepare(repository));
      prepared_here = true;
    } else {
      if (options.cancel && options.cancel->load()) return Status::Cancelled("cancelled while waiting for the backup repository");
      if (std::chrono::steady_clock::now() >= deadline) {
        return Status::IOError("backup repository " + key.velero_namespace + "/" + resource::Name(repository) +
                               " did not become Ready within " + std::to_string(options.resource_timeout_ms / 1000) +
                               " s (is a node agent or server running?)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(options.poll_interval_ms));
    }
    FERRY_ASSIGN_OR_RETURN(repository, store.Get("BackupRepository", key.velero_namespace, resource::Name(repository)));
  }
}

}  // namespace ferry::controlplane
