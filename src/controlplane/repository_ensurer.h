// The repository ensurer (Velero's pkg/repository/ensurer.go, datamover-control-plane.md §6.1-6.2,
// §6.4): finds the BackupRepository of (volume namespace, BSL, kopia) by its labels, creates it
// lazily (generateName "<ns>-<bsl>-kopia-"), and waits until it is Ready. Also resolves what the
// engine needs to open that repository: the BSL's storage with prefix <bsl prefix>/kopia/<ns>/
// and the password of Secret velero-repo-credentials (created with Velero's default
// "static-passw0rd", loudly, when missing).
//
// Used by the node agent (before each transfer) and by the server (backup deletion). A Store
// handle is single-threaded, so an ensurer is too; creation is serialised per key within the
// process with a mutex, as in Velero (names are random, so two creators would make two).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "datapath/datapath.h"
#include "resource/object.h"
#include "resource/store.h"

namespace ferry::controlplane {

inline constexpr std::string_view kKopiaRepositoryType = "kopia";
inline constexpr std::string_view kRepositoryCredentialsSecret = "velero-repo-credentials";
inline constexpr std::string_view kRepositoryPasswordKey = "repository-password";
inline constexpr std::string_view kDefaultRepositoryPassword = "static-passw0rd";

struct RepositoryKey {
  std::string velero_namespace;  // where the BackupRepository, BSL and Secrets live
  std::string volume_namespace;  // whose volumes the repository holds
  std::string bsl;
  std::string type = std::string(kKopiaRepositoryType);

  std::string ToString() const { return volume_namespace + "-" + bsl + "-" + type; }
};

// The BackupRepository with the key's labels. NotFound when none; Internal when more than one.
Result<resource::Object> FindBackupRepository(resource::Store& store, const RepositoryKey& key);

// The repository password (whitespace trimmed) from Secret velero-repo-credentials key
// repository-password in velero_namespace. When the Secret is missing it is created with
// "static-passw0rd" and a warning is logged (Velero's server does the same at start-up).
Result<std::string> EnsureRepositoryPassword(resource::Store& store, std::string_view velero_namespace);

// Where the repository of `key` lives and its password, from the BSL and Secrets.
Result<datapath::RepositoryLocation> ResolveRepositoryLocation(resource::Store& store,
                                                               const RepositoryKey& key);

struct EnsureOptions {
  // How long to wait for a New repository to become Ready (Velero's --resource-timeout).
  int64_t resource_timeout_ms = 10 * 60 * 1000;
  int poll_interval_ms = 500;
  // Called for a repository still New (or NotReady: one more try, so a fixed BSL or Secret helps
  // at once) instead of waiting for another process to prepare it (the node agent passes its
  // BackupRepository controller here, so it never waits on itself).
  std::function<Status(const resource::Object& repository)> prepare;
  const std::atomic<bool>* cancel = nullptr;
};

// Looks up (creating when missing) the BackupRepository of key and returns it once Ready.
// NotReady → FailedPrecondition-like InvalidArgument "backup repository is not ready: <message>";
// timeout → IOError naming the repository.
Result<resource::Object> EnsureRepository(resource::Store& store, const RepositoryKey& key,
                                          const EnsureOptions& options = {});

// The key of an existing BackupRepository object (from its spec).
RepositoryKey RepositoryKeyOf(const resource::Object& repository);

}  // namespace ferry::controlplane
