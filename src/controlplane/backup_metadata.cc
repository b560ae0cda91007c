#include "controlplane/backup_metadata.h"

#include <set>

#include "controlplane/bsl.h"

namespace ferry::controlplane {

using resource::Object;

size_t OperationResults::Count() const {
  size_t n = velero.size();
  for (const auto& [ns, list] : namespaces) n += list.size();
  return n;
}

void OperationResults::Add(const std::string& ns, const std::string& message) {
  if (ns.empty()) {
    velero.push_back(message);
  } else {
    namespaces[ns].push_back(message);
  }
}

Object OperationResults::ToJson() const {
  Object j = Object::object();
  if (!velero.empty()) j["velero"] = velero;
  if (!namespaces.empty()) {
    Object ns = Object::object();
    for (const auto& [name, list] : namespaces) ns[name] = list;
    j["namespaces"] = ns;
  }
  return j;
}

OperationResults OperationResults::FromJson(const Object& json) {
  OperationResults r;
  if (!json.is_object()) return r;
  if (json.contains("velero") && json["velero"].is_array()) {
    for (const auto& m : json["velero"]) {
      if (m.is_string()) r.velero.push_back(m.get<std::string>());
    }
  }
  if (json.contains("namespaces") && json["namespaces"].is_object()) {
    for (auto it = json["namespaces"].begin(); it != json["namespaces"].end(); ++it) {
      for (const auto& m : it.value()) {
        if (m.is_string()) r.namespaces[it.key()].push_back(m.get<std::string>());
      }
    }
  }
  return r;
}

std::string OperationResults::Summary(size_t max) const {
  std::string out;
  size_t n = 0;
  auto add = [&](const std::string& m) {
    if (n++ < max) out += (out.empty() ? "" : "; ") + m;
  };
  for (const auto& m : velero) add(m);
  for (const auto& [ns, list] : namespaces) {
    for (const auto& m : list) add(m);
  }
  if (n > max) out += "; and " + std::to_string(n - max) + " more";
  return out;
}

Result<std::unique_ptr<BackupMetadataStore>> BackupMetadataStore::Open(resource::Store& store,
                                                                       const std::string& ns,
                                                                       const std::string& bsl_name) {
  FERRY_ASSIGN_OR_RETURN(auto bsl, GetBackupStorageLocation(store, ns, bsl_name));
  FERRY_ASSIGN_OR_RETURN(auto storage, LocationStorage(store, bsl));
  auto location = datapath::LocationStore::Open(storage);
  if (!location.ok()) {
    return location.status().WithContext("opening backup storage location " + bsl_name);
  }
  return std::unique_ptr<BackupMetadataStore>(new BackupMetadataStore(std::move(*location)));
}

namespace {
std::string Dir(const std::string& name) { return "backups/" + name + "/"; }

Result<Object> GetJson(datapath::LocationStore& location, const std::string& key) {
  FERRY_ASSIGN_OR_RETURN(std::string text, location.Get(key));
  Object j = Object::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Corruption(key + " in the backup storage location is not valid JSON");
  return j;
}
}  // namespace

Status BackupMetadataStore::PutBackup(const Object& backup) {
  return location_->Put(Dir(resource::Name(backup)) + "velero-backup.json", backup.dump(2));
}

Status BackupMetadataStore::PutResources(const std::string& backup_name,
                                         const std::vector<Object>& items) {
  Object doc = {{"items", items}};
  return location_->Put(Dir(backup_name) + backup_name + "-resources.json", doc.dump(2));
}

Status BackupMetadataStore::PutResults(const std::string& backup_name, const Object& results) {
  return location_->Put(Dir(backup_name) + backup_name + "-results.json", results.dump(2));
}

Result<Object> BackupMetadataStore::GetBackup(const std::string& backup_name) {
  return GetJson(*location_, Dir(backup_name) + "velero-backup.json");
}

Result<std::vector<Object>> BackupMetadataStore::GetResources(const std::string& backup_name) {
  FERRY_ASSIGN_OR_RETURN(Object doc, GetJson(*location_, Dir(backup_name) + backup_name + "-resources.json"));
  std::vector<Object> items;
  if (doc.contains("items") && doc["items"].is_array()) {
    for (auto& item : doc["items"]) items.push_back(item);
  }
  return items;
}

Result<Object> BackupMetadataStore::GetResults(const std::string& backup_name) {
  return GetJson(*location_, Dir(backup_name) + backup_name + "-results.json");
}

Result<std::vector<std::string>> BackupMetadataStore::ListBackups() {
  FERRY_ASSIGN_OR_RETURN(auto keys, location_->List("backups/"));
  std::set<std::string> names;
  const std::string suffix = "/velero-backup.json";
  for (const std::string& key : keys) {
    if (key.size() <= 8 + suffix.size() || key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    std::string name = key.substr(8, key.size() - 8 - suffix.size());
    if (!name.empty() && name.find('/') == std::string::npos) names.insert(name);
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Status BackupMetadataStore::DeleteBackup(const std::string& backup_name) {
  FERRY_RETURN_IF_ERROR(location_->Delete(Dir(backup_name) + "velero-backup.json"));
  FERRY_ASSIGN_OR_RETURN(auto keys, location_->List(Dir(backup_name)));
  for (const std::string& key : keys) FERRY_RETURN_IF_ERROR(location_->Delete(key));
  return Status::OK();
}

}  // namespace ferry::controlplane
