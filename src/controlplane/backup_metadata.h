// A backup's metadata in its backup storage location, beside the Kopia repositories, so that a
// machine with an empty store can find the backup and restore it (disaster recovery). Layout,
// relative to the location's root (<bucket>/<prefix>/ or <fspath>/<prefix>/), as Velero's:
//   backups/<name>/velero-backup.json        the Backup resource with its final status; written
//                                            last, so a backup without it is incomplete
//   backups/<name>/<name>-resources.json     {"items": [...]}: the PersistentVolumeClaims and
//                                            PersistentVolumes backed up and the DataUploads with
//                                            their results (snapshotID, sourceNamespace, ...)
//   backups/<name>/<name>-results.json       {"errors": {"velero": [...], "namespaces": {ns: [...]}},
//                                             "warnings": {...}} (Velero's results file, as JSON)
// Velero packs the resources into <name>.tar.gz; ferry keeps one JSON document (docs/user-guide.md).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "datapath/datapath.h"
#include "resource/object.h"
#include "resource/store.h"

namespace ferry::controlplane {

// Errors and warnings of a backup or restore, grouped as Velero's results file groups them.
struct OperationResults {
  std::vector<std::string> velero;                             // not tied to a namespace
  std::map<std::string, std::vector<std::string>> namespaces;  // by namespace
  size_t Count() const;
  void Add(const std::string& ns, const std::string& message);  // ns "" → velero
  resource::Object ToJson() const;
  static OperationResults FromJson(const resource::Object& json);
  // "ns1/pvc-a: snapshot failed: ...; ns2/...": the messages on one line (at most `max`).
  std::string Summary(size_t max = 5) const;
};

class BackupMetadataStore {
 public:
  // The metadata store of BackupStorageLocation ns/bsl_name.
  static Result<std::unique_ptr<BackupMetadataStore>> Open(resource::Store& store,
                                                           const std::string& ns,
                                                           const std::string& bsl_name);

  Status PutBackup(const resource::Object& backup);
  Status PutResources(const std::string& backup_name, const std::vector<resource::Object>& items);
  Status PutResults(const std::string& backup_name, const resource::Object& results);

  Result<resource::Object> GetBackup(const std::string& backup_name);  // NotFound when absent
  Result<std::vector<resource::Object>> GetResources(const std::string& backup_name);
  Result<resource::Object> GetResults(const std::string& backup_name);
  // Names of the backups with a velero-backup.json.
  Result<std::vector<std::string>> ListBackups();
  // Removes backups/<name>/ (velero-backup.json first, so an interrupted delete is not synced back).
  Status DeleteBackup(const std::string& backup_name);

 private:
  explicit BackupMetadataStore(std::unique_ptr<datapath::LocationStore> location)
      : location_(std::move(location)) {}
  std::unique_ptr<datapath::LocationStore> location_;
};

}  // namespace ferry::controlplane
