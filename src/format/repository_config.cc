#include "format/repository_config.h"

#include <nlohmann/json.hpp>

namespace ferry::format {

using Json = nlohmann::ordered_json;

Status RepositoryConfig::Validate() const {
  if (version < 1 || version > 3) {
    return Status::Unsupported("repository format version " + std::to_string(version) +
                               " is not supported (ferry reads versions 1 to 3)");
  }
  if (max_pack_size < (10 << 20) || max_pack_size > (120 << 20)) {
    return Status::InvalidArgument("max pack size " + std::to_string(max_pack_size) +
                                   " is outside 10 MiB..120 MiB");
  }
  if (index_version != 1 && index_version != 2) {
    return Status::Unsupported("index version " + std::to_string(index_version) + " is not supported");
  }
  if (master_key.size() != 32) return Status::Corruption("master key must be 32 bytes");
  if (epoch.enabled) {
    const auto& e = epoch;
    const int64_t minute = 60 * kNanosPerSecond;
    if (e.min_epoch_duration_ns < 10 * minute) return Status::InvalidArgument("epoch: minimum epoch duration under 10 minutes");
    if (3 * e.epoch_refresh_frequency_ns > e.min_epoch_duration_ns) return Status::InvalidArgument("epoch: refresh frequency too large for the minimum epoch duration");
    if (e.full_checkpoint_frequency <= 0) return Status::InvalidArgument("epoch: full checkpoint frequency must be positive");
    if (e.cleanup_safety_margin_ns < 3 * e.epoch_refresh_frequency_ns) return Status::InvalidArgument("epoch: cleanup safety margin too small");
    if (e.epoch_advance_on_count_threshold < 10) return Status::InvalidArgument("epoch: advance-on-count threshold under 10");
    if (e.epoch_advance_on_total_size_bytes_threshold < (1 << 20)) return Status::InvalidArgument("epoch: advance-on-size threshold under 1 MiB");
  }
  return Status::OK();
}

std::string SerializeRepositoryConfig(const RepositoryConfig& c) {
  Json f;
  f["hash"] = c.hash;
  f["encryption"] = c.encryption;
  if (!c.ecc.empty()) f["ecc"] = c.ecc;
  if (c.ecc_overhead_percent != 0) f["eccOverheadPercent"] = c.ecc_overhead_percent;
  if (!c.secret.empty()) f["secret"] = Base64Encode(c.secret);
  if (!c.master_key.empty()) f["masterKey"] = Base64Encode(c.master_key);
  if (c.version != 0) f["version"] = c.version;
  if (c.max_pack_size != 0) f["maxPackSize"] = c.max_pack_size;
  if (c.index_version != 0) f["indexVersion"] = c.index_version;
  Json e;
  e["Enabled"] = c.epoch.enabled;
  e["EpochRefreshFrequency"] = c.epoch.epoch_refresh_frequency_ns;
  e["FullCheckpointFrequency"] = c.epoch.full_checkpoint_frequency;
  e["CleanupSafetyMargin"] = c.epoch.cleanup_safety_margin_ns;
  e["MinEpochDuration"] = c.epoch.min_epoch_duration_ns;
  e["EpochAdvanceOnCountThreshold"] = c.epoch.epoch_advance_on_count_threshold;
  e["EpochAdvanceOnTotalSizeBytesThreshold"] = c.epoch.epoch_advance_on_total_size_bytes_threshold;
  e["DeleteParallelism"] = c.epoch.delete_parallelism;
  f["epochParameters"] = e;
  f["enablePasswordChange"] = c.enable_password_change;
  if (!c.splitter.empty()) f["splitter"] = c.splitter;
  if (!c.upgrade_lock_json.empty()) f["upgradeLock"] = Json::parse(c.upgrade_lock_json, nullptr, false);
  if (!c.required_features.empty()) {
    Json arr = Json::array();
    for (const auto& r : c.required_features) {
      Json item;
      item["feature"] = r.feature;
      Json inu;
      if (r.warn) inu["warn"] = true;
      if (!r.message.empty()) inu["message"] = r.message;
      item["ifNotUnderstood"] = inu.is_null() ? Json::object() : inu;
      arr.push_back(item);
    }
    f["requiredFeatures"] = arr;
  }
  Json root;
  root["format"] = f;
  return root.dump();
}

namespace {

// Go's decoder matches keys case-insensitively; kopia writes exact names, so exact-or-lowercase
// lookup is enough in practice.
const Json* Field(const Json& obj, std::string_view name) {
  auto it = obj.find(std::string(name));
  if (it != obj.end()) return &*it;
  for (auto i = obj.begin(); i != obj.end(); ++i) {
    if (i.key().size() == name.size() &&
        std::equal(name.begin(), name.end(), i.key().begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return &*i;
    }
  }
  return nullptr;
}

template <typename T>
Status Get(const Json& obj, std::string_view name, T* out) {
  const Json* v = Field(obj, name);
  if (!v || v->is_null()) return Status::OK();
  try {
    *out = v->get<T>();
  } catch (const std::exception&) {
    return Status::Corruption("repository config field '" + std::string(name) + "' has the wrong type");
  }
  return Status::OK();
}

Status GetBase64(const Json& obj, std::string_view name, Bytes* out) {
  std::string s;
  FERRY_RETURN_IF_ERROR(Get(obj, name, &s));
  if (s.empty()) return Status::OK();
  auto b = Base64Decode(s);
  if (!b.ok()) return Status::Corruption("repository config field '" + std::string(name) + "' is not base64");
  *out = std::move(*b);
  return Status::OK();
}

}  // namespace

Result<RepositoryConfig> ParseRepositoryConfig(std::string_view text) {
  Json root = Json::parse(text, nullptr, false);
  if (root.is_discarded() || !root.is_object()) return Status::Corruption("repository config is not valid JSON");
  const Json* f = Field(root, "format");
  if (!f || !f->is_object()) return Status::Corruption("repository config has no 'format' object");
  RepositoryConfig c;
  c.version = 0;
  c.max_pack_size = 0;
  c.index_version = 0;
  c.enable_password_change = false;
  FERRY_RETURN_IF_ERROR(Get(*f, "hash", &c.hash));
  FERRY_RETURN_IF_ERROR(Get(*f, "encryption", &c.encryption));
  FERRY_RETURN_IF_ERROR(Get(*f, "ecc", &c.ecc));
  FERRY_RETURN_IF_ERROR(Get(*f, "eccOverheadPercent", &c.ecc_overhead_percent));
  FERRY_RETURN_IF_ERROR(GetBase64(*f, "secret", &c.secret));
  FERRY_RETURN_IF_ERROR(GetBase64(*f, "masterKey", &c.master_key));
  FERRY_RETURN_IF_ERROR(Get(*f, "version", &c.version));
  FERRY_RETURN_IF_ERROR(Get(*f, "maxPackSize", &c.max_pack_size));
  FERRY_RETURN_IF_ERROR(Get(*f, "indexVersion", &c.index_version));
  FERRY_RETURN_IF_ERROR(Get(*f, "enablePasswordChange", &c.enable_password_change));
  FERRY_RETURN_IF_ERROR(Get(*f, "splitter", &c.splitter));
  c.epoch.enabled = false;
  if (const Json* e = Field(*f, "epochParameters"); e && e->is_object()) {
    FERRY_RETURN_IF_ERROR(Get(*e, "Enabled", &c.epoch.enabled));
    FERRY_RETURN_IF_ERROR(Get(*e, "EpochRefreshFrequency", &c.epoch.epoch_refresh_frequency_ns));
    FERRY_RETURN_IF_ERROR(Get(*e, "FullCheckpointFrequency", &c.epoch.full_checkpoint_frequency));
    FERRY_RETURN_IF_ERROR(Get(*e, "CleanupSafetyMargin", &c.epoch.cleanup_safety_margin_ns));
    FERRY_RETURN_IF_ERROR(Get(*e, "MinEpochDuration", &c.epoch.min_epoch_duration_ns));
    FERRY_RETURN_IF_ERROR(Get(*e, "EpochAdvanceOnCountThreshold", &c.epoch.epoch_advance_on_count_threshold));
    FERRY_RETURN_IF_ERROR(Get(*e, "EpochAdvanceOnTotalSizeBytesThreshold", &c.epoch.epoch_advance_on_total_size_bytes_threshold));
    FERRY_RETURN_IF_ERROR(Get(*e, "DeleteParallelism", &c.epoch.delete_parallelism));
  }
  if (const Json* u = Field(*f, "upgradeLock"); u && u->is_object() && !u->empty()) {
    c.upgrade_lock_json = u->dump();
  }
  if (const Json* r = Field(*f, "requiredFeatures"); r && r->is_array()) {
    for (const auto& item : *r) {
      RequiredFeature rf;
      if (!item.is_object()) return Status::Corruption("malformed requiredFeatures entry");
      FERRY_RETURN_IF_ERROR(Get(item, "feature", &rf.feature));
      if (const Json* inu = Field(item, "ifNotUnderstood"); inu && inu->is_object()) {
        FERRY_RETURN_IF_ERROR(Get(*inu, "warn", &rf.warn));
        FERRY_RETURN_IF_ERROR(Get(*inu, "message", &rf.message));
      }
      c.required_features.push_back(rf);
    }
  }
  if (c.version < 1 || c.version > 3) {
    return Status::Unsupported("repository format version " + std::to_string(c.version) +
                               " is not supported (ferry reads versions 1 to 3)");
  }
  // kopia's defaults for fields left out.
  if (c.index_version == 0) c.index_version = 1;
  if (c.max_pack_size == 0) c.max_pack_size = kDefaultMaxPackSize;
  if (c.splitter.empty()) c.splitter = "FIXED";
  return c;
}

}  // namespace ferry::format
