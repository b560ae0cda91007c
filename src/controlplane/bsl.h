// BackupStorageLocation (velero.io/v1): where Velero keeps backups and the Kopia repositories of
// the data mover, turned into the storage map the engine opens (datapath::RepositoryLocation /
// datapath::LocationStore). Two kinds of location:
//   - provider `aws` (or `velero.io/aws`, or any provider with config.s3Url): an S3 bucket.
//     spec.objectStorage{bucket, prefix, caCert} (config.bucket/prefix as a fallback),
//     config.region, config.s3Url ("http://host:port" ⇒ no TLS; a path in it is rejected, as in
//     Velero), config.s3ForcePathStyle, config.insecureSkipTLSVerify, config.profile. Keys come
//     from the credential Secret (spec.credential{name,key}, else Secret cloud-credentials key
//     `cloud` when it exists) holding an AWS shared-credentials file; without a Secret the
//     engine looks in the environment / ~/.aws/credentials.
//   - standalone: config.fspath, a local directory (any provider name).
// The repository of volume namespace NS lives at `<prefix>/kopia/<NS>/` (§6.3).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/status.h"
#include "resource/object.h"
#include "resource/store.h"

namespace ferry::controlplane {

using StorageMap = std::map<std::string, std::string>;

struct BackupStorageLocation {
  std::string namespace_name;
  std::string name;
  std::string provider;
  std::string bucket;
  std::string prefix;  // without leading/trailing slashes
  std::string ca_cert_base64;
  std::map<std::string, std::string> config;
  std::string credential_secret;  // spec.credential.name ("" = default lookup)
  std::string credential_key;     // spec.credential.key

  bool is_filesystem() const { return config.count("fspath") > 0; }
};

// Reads the fields above from a BackupStorageLocation object. InvalidArgument when it names
// neither a bucket nor config.fspath.
Result<BackupStorageLocation> ParseBackupStorageLocation(const resource::Object& bsl);

// Gets and parses BackupStorageLocation namespace/name. NotFound in words a user can act on.
Result<BackupStorageLocation> GetBackupStorageLocation(resource::Store& store,
                                                       std::string_view namespace_name,
                                                       std::string_view name);

// path.Join(prefix, "kopia", ns) + "/" — Velero's repository prefix inside the bucket.
std::string KopiaRepositoryPrefix(std::string_view bsl_prefix, std::string_view volume_namespace);

// The storage map of the location's root (bucket + prefix, or fspath/prefix), credentials
// resolved from the store's Secrets. For datapath::LocationStore.
Result<StorageMap> LocationStorage(resource::Store& store, const BackupStorageLocation& bsl);

// The storage map of the Kopia repository of `volume_namespace` in this location.
Result<StorageMap> RepositoryStorage(resource::Store& store, const BackupStorageLocation& bsl,
                                     std::string_view volume_namespace);

// Velero's restic-style identifier, kept in BackupRepository.spec.resticIdentifier (informational
// for Kopia repositories): "s3:<endpoint>/<bucket>/<prefix>/restic/<ns>" or
// "<fspath>/<prefix>/restic/<ns>".
std::string ResticIdentifier(const BackupStorageLocation& bsl, std::string_view volume_namespace);

// "s3://bucket/prefix/kopia/ns/" or the directory: where a storage map points, without secrets.
std::string DescribeStorage(const StorageMap& storage);

// A Secret's value for key: data (base64) or stringData. NotFound naming the Secret and key.
Result<std::string> SecretValue(resource::Store& store, std::string_view namespace_name,
                                std::string_view secret_name, std::string_view key);

}  // namespace ferry::controlplane
