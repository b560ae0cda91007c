#include "resource/kinds.h"

#include <algorithm>
#include <cctype>

#include "resource/time_util.h"

namespace ferry::resource {
namespace {

PrinterColumn Col(std::string name, std::string path, std::string type = "string", std::string fallback = "",
                  bool wide_only = false) {
  PrinterColumn c;
  c.name = std::move(name);
  c.json_path = std::move(path);
  c.type = std::move(type);
  c.fallback = std::move(fallback);
  c.wide_only = wide_only;
  return c;
}

PrinterColumn Age() { return Col("AGE", "metadata.creationTimestamp", "date", "<unknown>"); }

KindInfo K(std::string kind, std::string group, std::string version, std::string plural,
           std::vector<std::string> short_names, bool namespaced, std::vector<PrinterColumn> columns) {
  KindInfo k;
  k.kind = kind;
  k.group = std::move(group);
  k.version = std::move(version);
  k.plural = std::move(plural);
  k.singular = kind;
  std::transform(k.singular.begin(), k.singular.end(), k.singular.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  k.short_names = std::move(short_names);
  k.namespaced = namespaced;
  k.columns = std::move(columns);
  return k;
}

std::vector<KindInfo> BuildKinds() {
  // Data mover columns: velero's datauploads/datadownloads CRDs (v1.14).
  std::vector<PrinterColumn> mover = {
      Col("STATUS", "status.phase"),
      Col("STARTED", "status.startTimestamp", "date"),
      Col("BYTES DONE", "status.progress.bytesDone", "integer"),
      Col("TOTAL BYTES", "status.progress.totalBytes", "integer"),
      Col("STORAGE LOCATION", "spec.backupStorageLocation"),
      Age(),
      Col("NODE", "status.node"),
  };
  std::vector<KindInfo> kinds;
  kinds.push_back(K("DataUpload", "velero.io", "v2alpha1", "datauploads", {}, true, mover));
  kinds.push_back(K("DataDownload", "velero.io", "v2alpha1", "datadownloads", {}, true, mover));
  kinds.push_back(K("BackupRepository", "velero.io", "v1", "backuprepositories", {}, true,
                    {Age(), Col("REPOSITORY TYPE", "spec.repositoryType")}));
  kinds.push_back(K("BackupStorageLocation", "velero.io", "v1", "backupstoragelocations", {"bsl"}, true,
                    {Col("PHASE", "status.phase"), Col("LAST VALIDATED", "status.lastValidationTime", "date"),
                     Age(), Col("DEFAULT", "spec.default", "boolean")}));
  kinds.push_back(K("VolumeSnapshotLocation", "velero.io", "v1", "volumesnapshotlocations", {"vsl"}, true, {Age()}));
  kinds.push_back(K("Backup", "velero.io", "v1", "backups", {}, true, {Age()}));
  kinds.push_back(K("Restore", "velero.io", "v1", "restores", {}, true, {Age()}));
  kinds.push_back(K("DeleteBackupRequest", "velero.io", "v1", "deletebackuprequests", {}, true,
                    {Col("BACKUPNAME", "spec.backupName"), Col("STATUS", "status.phase")}));
  kinds.push_back(K("Schedule", "velero.io", "v1", "schedules", {}, true,
                    {Col("STATUS", "status.phase"), Col("SCHEDULE", "spec.schedule"),
                     Col("LASTBACKUP", "status.lastBackup", "date"), Age(),
                     Col("PAUSED", "spec.paused", "boolean")}));
  kinds.push_back(K("DataProtectionApplication", "oadp.openshift.io", "v1alpha1", "dataprotectionapplications",
                    {"dpa"}, true, {Col("RECONCILED", "status.conditions[type=Reconciled].status"), Age()}));
  // Core kinds: the columns kubectl's built-in printers show.
  kinds.push_back(K("Secret", "", "v1", "secrets", {}, true,
                    {Col("TYPE", "type", "string", "Opaque"), Col("DATA", "data", "count", "0"), Age()}));
  kinds.push_back(K("ConfigMap", "", "v1", "configmaps", {"cm"}, true, {Col("DATA", "data", "count", "0"), Age()}));
  kinds.push_back(K("PersistentVolumeClaim", "", "v1", "persistentvolumeclaims", {"pvc"}, true,
                    {Col("STATUS", "status.phase", "string", "Pending"), Col("VOLUME", "spec.volumeName"),
                     Col("CAPACITY", "status.capacity.storage"), Col("ACCESS MODES", "status.accessModes", "accessModes"),
                     Col("STORAGECLASS", "spec.storageClassName"), Age(),
                     Col("VOLUMEMODE", "spec.volumeMode", "string", "Filesystem", true)}));
  kinds.push_back(K("PersistentVolume", "", "v1", "persistentvolumes", {"pv"}, false,
                    {Col("CAPACITY", "spec.capacity.storage"), Col("ACCESS MODES", "spec.accessModes", "accessModes"),
                     Col("RECLAIM POLICY", "spec.persistentVolumeReclaimPolicy", "string", "Retain"),
                     Col("STATUS", "status.phase", "string", "Available"), Col("CLAIM", "spec.claimRef", "claimRef"),
                     Col("STORAGECLASS", "spec.storageClassName"), Col("REASON", "status.reason"), Age(),
                     Col("VOLUMEMODE", "spec.volumeMode", "string", "Filesystem", true)}));
  kinds.push_back(K("Namespace", "", "v1", "namespaces", {"ns"}, false,
                    {Col("STATUS", "status.phase", "string", "Active"), Age()}));
  kinds.push_back(K("StorageClass", "storage.k8s.io", "v1", "storageclasses", {"sc"}, false,
                    {Col("PROVISIONER", "provisioner"), Col("RECLAIMPOLICY", "reclaimPolicy", "string", "Delete"),
                     Col("VOLUMEBINDINGMODE", "volumeBindingMode", "string", "Immediate"),
                     Col("ALLOWVOLUMEEXPANSION", "allowVolumeExpansion", "boolean", "false"), Age()}));
  // external-snapshotter's CRDs (snapshot.storage.k8s.io/v1).
  kinds.push_back(K("VolumeSnapshot", "snapshot.storage.k8s.io", "v1", "volumesnapshots", {"vs"}, true,
                    {Col("READYTOUSE", "status.readyToUse", "boolean"),
                     Col("SOURCEPVC", "spec.source.persistentVolumeClaimName"),
                     Col("SOURCESNAPSHOTCONTENT", "spec.source.volumeSnapshotContentName"),
                     Col("RESTORESIZE", "status.restoreSize"), Col("SNAPSHOTCLASS", "spec.volumeSnapshotClassName"),
                     Col("SNAPSHOTCONTENT", "status.boundVolumeSnapshotContentName"),
                     Col("CREATIONTIME", "status.creationTime", "date"), Age()}));
  kinds.push_back(K("VolumeSnapshotClass", "snapshot.storage.k8s.io", "v1", "volumesnapshotclasses",
                    {"vsclass", "vsclasses"}, false,
                    {Col("DRIVER", "driver"), Col("DELETIONPOLICY", "deletionPolicy"), Age()}));
  kinds.push_back(K("VolumeSnapshotContent", "snapshot.storage.k8s.io", "v1", "volumesnapshotcontents",
                    {"vsc", "vscs"}, false,
                    {Col("READYTOUSE", "status.readyToUse", "boolean"), Col("RESTORESIZE", "status.restoreSize", "integer"),
                     Col("DELETIONPOLICY", "spec.deletionPolicy"), Col("DRIVER", "spec.driver"),
                     Col("VOLUMESNAPSHOTCLASS", "spec.volumeSnapshotClassName"),
                     Col("VOLUMESNAPSHOT", "spec.volumeSnapshotRef.name"),
                     Col("VOLUMESNAPSHOTNAMESPACE", "spec.volumeSnapshotRef.namespace"), Age()}));
  return kinds;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Follows a dotted path with optional [field=value] list selectors; nullptr when absent.
const Object* Lookup(const Object& obj, std::string_view path) {
  const Object* cur = &obj;
  while (!path.empty()) {
    size_t dot = path.find('.');
    size_t bracket = path.find('[');
    std::string_view seg;
    std::string_view filter;
    if (bracket != std::string_view::npos && (dot == std::string_view::npos || bracket < dot)) {
      size_t close = path.find(']', bracket);
      if (close == std::string_view::npos) return nullptr;
      seg = path.substr(0, bracket);
      filter = path.substr(bracket + 1, close - bracket - 1);
      path = path.substr(close + 1);
      if (!path.empty() && path[0] == '.') path.remove_prefix(1);
    } else {
      seg = path.substr(0, dot);
      path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    }
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(std::string(seg));
    if (it == cur->end()) return nullptr;
    cur = &*it;
    if (!filter.empty()) {
      size_t eq = filter.find('=');
      if (eq == std::string_view::npos || !cur->is_array()) return nullptr;
      std::string field(filter.substr(0, eq));
      std::string want(filter.substr(eq + 1));
      const Object* found = nullptr;
      for (const auto& e : *cur) {
        if (e.is_object() && e.contains(field) && e[field].is_string() && e[field].get<std::string>() == want) {
          found = &e;
          break;
        }
      }
      if (!found) return nullptr;
      cur = found;
    }
  }
  return cur;
}

std::string AccessMode(const std::string& mode) {
  if (mode == "ReadWriteOnce") return "RWO";
  if (mode == "ReadOnlyMany") return "ROX";
  if (mode == "ReadWriteMany") return "RWX";
  if (mode == "ReadWriteOncePod") return "RWOP";
  return mode;
}

}  // namespace

const std::vector<KindInfo>& AllKinds() {
  static const std::vector<KindInfo> kinds = BuildKinds();
  return kinds;
}

Result<const KindInfo*> LookupKind(std::string_view name) {
  for (const auto& k : AllKinds()) {
    if (EqualsIgnoreCase(name, k.kind) || EqualsIgnoreCase(name, k.plural) || EqualsIgnoreCase(name, k.singular)) {
      return &k;
    }
    for (const auto& s : k.short_names) {
      if (EqualsIgnoreCase(name, s)) return &k;
    }
    if (!k.group.empty()) {
      for (const std::string& base : {k.plural, k.singular, k.kind}) {
        if (EqualsIgnoreCase(name, base + "." + k.group) ||
            EqualsIgnoreCase(name, base + "." + k.version + "." + k.group)) {
          return &k;
        }
      }
    }
  }
  return Status::InvalidArgument("the server doesn't have a resource type \"" + std::string(name) + "\"");
}

const KindInfo* FindKind(std::string_view api_version, std::string_view kind) {
  for (const auto& k : AllKinds()) {
    if (k.kind == kind && k.api_version() == api_version) return &k;
  }
  return nullptr;
}

std::string ColumnValue(const PrinterColumn& column, const Object& obj, int64_t now_unix) {
  const Object* v = Lookup(obj, column.json_path);
  if (!v || v->is_null()) return column.fallback;
  if (column.type == "date") {
    if (!v->is_string()) return column.fallback;
    auto t = ParseRfc3339(v->get<std::string>());
    if (!t.ok()) return column.fallback;
    return HumanAge(now_unix - *t);
  }
  if (column.type == "count") {
    if (v->is_object() || v->is_array()) return std::to_string(v->size());
    return column.fallback;
  }
  if (column.type == "accessModes") {
    if (!v->is_array()) return column.fallback;
    std::string out;
    for (const auto& m : *v) {
      if (!m.is_string()) continue;
      if (!out.empty()) out += ",";
      out += AccessMode(m.get<std::string>());
    }
    return out;
  }
  if (column.type == "claimRef") {
    if (!v->is_object()) return column.fallback;
    std::string ns = v->contains("namespace") && (*v)["namespace"].is_string() ? (*v)["namespace"].get<std::string>() : "";
    std::string name = v->contains("name") && (*v)["name"].is_string() ? (*v)["name"].get<std::string>() : "";
    return ns + "/" + name;
  }
  if (v->is_string()) return v->get<std::string>();
  if (v->is_boolean()) return v->get<bool>() ? "true" : "false";
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) return std::to_string(static_cast<int64_t>(d));
    return v->dump();
  }
  if (v->is_number()) return v->dump();
  return v->dump();
}

}  // namespace ferry::resource
