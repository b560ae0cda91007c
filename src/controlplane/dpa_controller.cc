#include "controlplane/dpa_controller.h"

#include <algorithm>
#include <set>
#include <vector>

#include "controlplane/server_common.h"
#include "crypto/encryption.h"
#include "crypto/hashing.h"
#include "resource/time_util.h"
#include "splitter/splitter.h"

namespace ferry::controlplane {
namespace {

using resource::Object;

// The plugins of OADP's defaultPlugins that ferry's server provides: `openshift` and `aws` need
// nothing from a data mover, `csi` is the data mover plugin itself.
const std::set<std::string>& SupportedPlugins() {
  static const std::set<std::string> kPlugins = {"openshift", "aws", "csi"};
  return kPlugins;
}

struct AlgorithmVariable {
  const char* env;
  const char* key;  // in the ConfigMap
  const std::vector<std::string>& (*names)();
};

const std::vector<AlgorithmVariable>& AlgorithmVariables() {
  static const std::vector<AlgorithmVariable> kVars = {
      {"KOPIA_HASHING_ALGORITHM", "hash", &crypto::HashAlgorithmNames},
      {"KOPIA_ENCRYPTION_ALGORITHM", "encryption", &crypto::EncryptionAlgorithmNames},
      {"KOPIA_SPLITTER_ALGORITHM", "splitter", &splitter::SplitterNames},
  };
  return kVars;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool NodeAgentEnabled(const Object& dpa) {
  // OADP 1.3+: configuration.nodeAgent.enable; 1.2 used configuration.restic.enable.
  return resource::BoolAt(dpa, "spec.configuration.nodeAgent.enable") ||
         resource::BoolAt(dpa, "spec.configuration.restic.enable");
}

// The velero.podConfig.env entries, name → value.
std::map<std::string, std::string> PodEnv(const Object& dpa) {
  std::map<std::string, std::string> env;
  const Object* list = nullptr;
  if (dpa.contains("spec") && dpa["spec"].contains("configuration") &&
      dpa["spec"]["configuration"].contains("velero") &&
      dpa["spec"]["configuration"]["velero"].contains("podConfig") &&
      dpa["spec"]["configuration"]["velero"]["podConfig"].contains("env")) {
    list = &dpa["spec"]["configuration"]["velero"]["podConfig"]["env"];
  }
  if (list == nullptr || !list->is_array()) return env;
  for (const auto& e : *list) {
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) continue;
    env[e["name"].get<std::string>()] =
        e.contains("value") && e["value"].is_string() ? e["value"].get<std::string>() : "";
  }
  return env;
}

const Object* BackupLocations(const Object& dpa) {
  if (!dpa.contains("spec") || !dpa["spec"].contains("backupLocations")) return nullptr;
  const Object& list = dpa["spec"]["backupLocations"];
  return list.is_array() ? &list : nullptr;
}

std::string LocationName(const Object& dpa, const Object& location, size_t index) {
  if (location.contains("name") && location["name"].is_string() &&
      !location["name"].get<std::string>().empty()) {
    return location["name"].get<std::string>();
  }
  return resource::Name(dpa) + "-" + std::to_string(index + 1);
}

Status ValidateLocation(const Object& location, const std::string& name) {
  if (location.contains("bucket")) {
    return Status::InvalidArgument("backupLocations " + name +
                                   ": CloudStorage references (bucket:) are not supported; "
                                   "describe the location under velero:");
  }
  if (!location.contains("velero") || !location["velero"].is_object()) {
    return Status::InvalidArgument("backupLocations " + name + ": velero: is missing");
  }
  const Object& v = location["velero"];
  std::string provider = resource::StringAt(v, "provider");
  std::string fspath = resource::StringAt(v, "config.fspath");
  if (!fspath.empty()) return Status::OK();  // a local directory (standalone mode)
  if (provider.empty()) {
    return Status::InvalidArgument("backupLocations " + name + ": velero.provider is required");
  }
  if (provider != "aws" && provider != "velero.io/aws") {
    return Status::InvalidArgument("backupLocations " + name + ": provider \"" + provider +
                                   "\" is not supported (use aws for S3-compatible storage, or "
                                   "config.fspath for a local directory)");
  }
  std::string bucket = resource::StringAt(v, "objectStorage.bucket");
  if (bucket.empty()) bucket = resource::StringAt(v, "config.bucket");
  if (bucket.empty()) {
    return Status::InvalidArgument("backupLocations " + name +
                                   ": velero.objectStorage.bucket is required for provider aws");
  }
  return Status::OK();
}

Object ReconciledCondition(bool ok, const std::string& message) {
  return Object{{"type", "Reconciled"},
                {"status", ok ? "True" : "False"},
                {"reason", ok ? "Complete" : "Error"},
                {"message", message},
                {"lastTransitionTime", resource::NowRfc3339()}};
}

Status WriteCondition(resource::Store& store, const Object& dpa, bool ok,
                      const std::string& message) {
  if (dpa.contains("status") && dpa["status"].contains("conditions") &&
      dpa["status"]["conditions"].is_array()) {
    for (const auto& c : dpa["status"]["conditions"]) {
      if (resource::StringAt(c, "type") == "Reconciled" &&
          resource::StringAt(c, "status") == (ok ? "True" : "False") &&
          resource::StringAt(c, "message") == message) {
        return Status::OK();  // unchanged: write nothing
      }
    }
  }
  Object patch = {{"status", {{"conditions", Object::array({ReconciledCondition(ok, message)})}}}};
  return Patch(store, dpa, patch).status();
}

bool OwnedBy(const Object& o, const std::string& uid) {
  if (!o.contains("metadata") || !o["metadata"].contains("ownerReferences")) return false;
  for (const auto& ref : o["metadata"]["ownerReferences"]) {
    if (resource::StringAt(ref, "uid") == uid) return true;
  }
  return false;
}

Status ApplyBackupLocation(resource::Store& store, const Object& dpa, const Object& location,
                           const std::string& name) {
  const Object& v = location["velero"];
  Object spec = Object::object();
  for (const char* field : {"provider", "objectStorage", "config", "credential", "default",
                            "accessMode", "backupSyncPeriod", "validationFrequency"}) {
    if (v.contains(field)) spec[field] = v[field];
  }
  if (!spec.contains("provider")) spec["provider"] = "velero.io/fs";
  std::string ns = resource::Namespace(dpa);
  auto existing = store.Get("BackupStorageLocation", ns, name);
  if (existing.ok()) {
    if (!OwnedBy(*existing, resource::Uid(dpa))) {
      return Status::AlreadyExists("backupLocations " + name +
                                   ": a BackupStorageLocation of that name exists and does not "
                                   "belong to this DataProtectionApplication");
    }
    if ((*existing)["spec"] == spec) return Status::OK();
    Object updated = *existing;
    updated["spec"] = spec;
    return store.Update(updated).status();
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  Object bsl = {{"apiVersion", "velero.io/v1"},
                {"kind", "BackupStorageLocation"},
                {"metadata",
                 {{"name", name},
                  {"namespace", ns},
                  {"labels",
                   {{"app.kubernetes.io/name", "oadp-operator-velero"},
                    {"app.kubernetes.io/instance", name},
                    {"app.kubernetes.io/managed-by", "oadp-operator"},
                    {"app.kubernetes.io/component", "bsl"},
                    {"openshift.io/oadp", "True"}}}}},
                {"spec", spec}};
  resource::SetControllerOwner(bsl, dpa);
  return store.Create(bsl).status();
}

Status ApplyAlgorithms(resource::Store& store, const Object& dpa) {
  std::map<std::string, std::string> env = PodEnv(dpa);
  Object data = Object::object();
  for (const auto& var : AlgorithmVariables()) {
    auto it = env.find(var.env);
    if (it != env.end() && !it->second.empty()) data[var.key] = it->second;
  }
  std::string ns = resource::Namespace(dpa);
  auto existing = store.Get("ConfigMap", ns, kRepositoryAlgorithmsConfigMap);
  if (existing.ok()) {
    if (existing->contains("data") && (*existing)["data"] == data) return Status::OK();
    Object updated = *existing;
    updated["data"] = data;
    return store.Update(updated).status();
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  Object cm = {{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata",
                {{"name", kRepositoryAlgorithmsConfigMap},
                 {"namespace", ns},
                 {"labels", {{"app.kubernetes.io/managed-by", "oadp-operator"}}}}},
               {"data", data}};
  resource::SetControllerOwner(cm, dpa);
  return store.Create(cm).status();
}

}  // namespace

Status ValidateDataProtectionApplication(const Object& dpa) {
  std::string uploader = resource::StringAt(dpa, "spec.configuration.nodeAgent.uploaderType");
  if (!uploader.empty() && uploader != "kopia") {
    return Status::InvalidArgument("configuration.nodeAgent.uploaderType \"" + uploader +
                                   "\" is not supported: ferry's node agent moves data with kopia");
  }
  bool move_data = resource::BoolAt(dpa, "spec.configuration.velero.defaultSnapshotMoveData");
  if (move_data && !NodeAgentEnabled(dpa)) {
    return Status::InvalidArgument(
        "velero.defaultSnapshotMoveData is true but the node agent is not enabled: the data "
        "mover runs in the node agent; set configuration.nodeAgent.enable: true");
  }
  if (resource::BoolAt(dpa, "spec.configuration.velero.defaultVolumesToFSBackup") ||
      resource::BoolAt(dpa, "spec.configuration.nodeAgent.defaultVolumesToFSBackup")) {
    return Status::InvalidArgument(
        "defaultVolumesToFSBackup is not supported: ferry moves volume data only from snapshots "
        "(snapshotMoveData)");
  }
  for (const std::string& plugin : StringListAt(dpa, "spec.configuration.velero.defaultPlugins")) {
    if (!SupportedPlugins().count(plugin)) {
      return Status::InvalidArgument("velero.defaultPlugins: \"" + plugin +
                                     "\" is not available in ferry (supported: aws, csi, openshift)");
    }
    if (plugin == "csi" && !NodeAgentEnabled(dpa) && move_data) {
      return Status::InvalidArgument("the csi plugin with snapshot data movement needs the node agent");
    }
  }
  std::map<std::string, std::string> env = PodEnv(dpa);
  for (const auto& var : AlgorithmVariables()) {
    auto it = env.find(var.env);
    if (it == env.end() || it->second.empty()) continue;
    const auto& names = var.names();
    if (std::find(names.begin(), names.end(), it->second) == names.end()) {
      return Status::InvalidArgument("velero.podConfig.env " + std::string(var.env) + ": unknown algorithm \"" +
                                     it->second + "\" (valid: " + Join(names) + ")");
    }
  }
  bool any_algorithm = false;
  for (const auto& var : AlgorithmVariables()) any_algorithm |= env.count(var.env) > 0;
  if (any_algorithm && !NodeAgentEnabled(dpa)) {
    return Status::InvalidArgument("KOPIA_*_ALGORITHM variables configure the data mover's "
                                   "repositories, but the node agent is not enabled");
  }
  if (const Object* locations = BackupLocations(dpa)) {
    std::set<std::string> names;
    int defaults = 0;
    for (size_t i = 0; i < locations->size(); ++i) {
      const Object& loc = (*locations)[i];
      std::string name = LocationName(dpa, loc, i);
      if (!names.insert(name).second) {
        return Status::InvalidArgument("backupLocations: the name " + name + " is used twice");
      }
      FERRY_RETURN_IF_ERROR(ValidateLocation(loc, name));
      if (resource::BoolAt(loc, "velero.default")) ++defaults;
    }
    if (defaults > 1) {
      return Status::InvalidArgument("backupLocations: only one location may be default: true");
    }
  }
  return Status::OK();
}

Status ReconcileDataProtectionApplication(resource::Store& store, const Object& dpa) {
  if (!resource::DeletionTimestamp(dpa).empty()) return Status::OK();
  Status valid = ValidateDataProtectionApplication(dpa);
  if (!valid.ok()) return WriteCondition(store, dpa, false, valid.message());

  std::set<std::string> wanted;
  if (const Object* locations = BackupLocations(dpa)) {
    for (size_t i = 0; i < locations->size(); ++i) {
      std::string name = LocationName(dpa, (*locations)[i], i);
      wanted.insert(name);
      Status s = ApplyBackupLocation(store, dpa, (*locations)[i], name);
      if (s.code() == StatusCode::kAlreadyExists) return WriteCondition(store, dpa, false, s.message());
      FERRY_RETURN_IF_ERROR(s);
    }
  }
  // Locations this DPA created earlier and no longer lists.
  resource::ListOptions options;
  options.namespace_name = resource::Namespace(dpa);
  FERRY_ASSIGN_OR_RETURN(auto bsls, store.List("BackupStorageLocation", options));
  for (const auto& bsl : bsls) {
    if (OwnedBy(bsl, resource::Uid(dpa)) && !wanted.count(resource::Name(bsl))) {
      Status s = store.Delete("BackupStorageLocation", resource::Namespace(bsl), resource::Name(bsl));
      if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
    }
  }
  FERRY_RETURN_IF_ERROR(ApplyAlgorithms(store, dpa));
  return WriteCondition(store, dpa, true, "Reconcile complete");
}

Status ReconcileDataProtectionApplications(resource::Store& store) {
  FERRY_ASSIGN_OR_RETURN(auto dpas, store.List("DataProtectionApplication", {}));
  for (const auto& dpa : dpas) FERRY_RETURN_IF_ERROR(ReconcileDataProtectionApplication(store, dpa));
  return Status::OK();
}

Result<std::map<std::string, std::string>> ConfiguredRepositoryAlgorithms(
    resource::Store& store, const std::string& velero_namespace) {
  std::map<std::string, std::string> out;
  auto cm = store.Get("ConfigMap", velero_namespace, kRepositoryAlgorithmsConfigMap);
  if (!cm.ok()) {
    if (cm.status().code() == StatusCode::kNotFound) return out;
    return cm.status();
  }
  if (cm->contains("data") && (*cm)["data"].is_object()) {
    for (auto it = (*cm)["data"].begin(); it != (*cm)["data"].end(); ++it) {
      if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
    }
  }
  return out;
}

bool DefaultSnapshotMoveData(resource::Store& store, const std::string& ns) {
  resource::ListOptions options;
  options.namespace_name = ns;
  auto dpas = store.List("DataProtectionApplication", options);
  if (!dpas.ok()) return false;
  for (const auto& dpa : *dpas) {
    if (resource::BoolAt(dpa, "spec.configuration.velero.defaultSnapshotMoveData")) return true;
  }
  return false;
}

}  // namespace ferry::controlplane
