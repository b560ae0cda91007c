#include "repo/repository.h"

#include <nlohmann/json.hpp>

#include "crypto/key_derivation.h"

namespace ferry::repo {

namespace {

// kopia's default global policy, as `kopia repository create` writes it (fixtures' manifests).
constexpr const char* kDefaultGlobalPolicyJson =
    R"({"retention":{"keepLatest":10,"keepHourly":48,"keepDaily":7,"keepWeekly":4,"keepMonthly":24,"keepAnnual":3,"ignoreIdenticalSnapshots":false},"files":{"ignoreDotFiles":[".kopiaignore"]},"errorHandling":{"ignoreFileErrors":false,"ignoreDirectoryErrors":false,"ignoreUnknownTypes":true},"scheduling":{},"compression":{"compressorName":"none"},"actions":{},"logging":{"directories":{"snapshotted":5,"ignored":5},"entries":{"snapshotted":0,"ignored":5,"cacheHit":0,"cacheMiss":0}},"upload":{"maxParallelSnapshots":1,"parallelUploadAboveSize":2147483648}})";

// The maintenance parameters kopia 0.12.1 writes at create (quick maintenance does nothing for
// epoch-managed repositories in 0.12.1, so it is written disabled).
std::string DefaultMaintenanceParamsJson(const std::string& owner) {
  nlohmann::ordered_json j;
  j["owner"] = owner;
  j["quick"] = {{"enabled", false}, {"interval", int64_t{3600000000000}}};
  j["full"] = {{"enabled", true}, {"interval", int64_t{86400000000000}}};
  j["logRetention"] = {{"maxTotalSize", int64_t{1073741824}}, {"maxCount", 10000}, {"maxAge", int64_t{2592000000000000}}};
  return j.dump();
}

// Features a client must understand (§2.5); ferry understands the same ones kopia does.
bool FeatureSupported(const std::string& f) { return f == "index-v1" || f == "index-v2"; }

}  // namespace

Status InitializeRepository(blob::Storage* storage, std::string_view password,
                            const NewRepositoryOptions& o, std::string_view location) {
  if (password.empty()) return Status::InvalidArgument("the repository password must not be empty");
  // Every name is checked before anything is written.
  Bytes probe_key(32, 1);
  FERRY_RETURN_IF_ERROR(crypto::NewHashFunction(o.hash, probe_key).status());
  FERRY_RETURN_IF_ERROR(crypto::NewEncryptor(o.encryption, probe_key).status());
  FERRY_RETURN_IF_ERROR(splitter::GetSplitterFactory(o.splitter).status());
  auto existing = storage->GetMetadata(format::kFormatBlobId);
  if (existing.ok()) {
    return Status::AlreadyExists("found an existing repository at " + std::string(location) +
                                 " (kopia.repository exists); connect to it instead");
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();

  format::FormatBlob blob;
  blob.tool = "https://github.com/kopia/kopia";
  blob.build_version = "ferry-" + std::string(kFerryVersion);
  blob.build_info = "ferry";
  blob.key_algo = o.key_algo;
  blob.unique_id.resize(32);
  FERRY_RETURN_IF_ERROR(crypto::RandomBytes(blob.unique_id));

  format::RepositoryConfig config;
  config.hash = o.hash;
  config.encryption = o.encryption;
  config.splitter = o.splitter;
  config.version = format::kFormatVersion;
  config.max_pack_size = o.max_pack_size;
  config.index_version = 2;
  config.epoch = o.epoch;
  config.enable_password_change = true;
  config.secret.resize(32);
  config.master_key.resize(32);
  FERRY_RETURN_IF_ERROR(crypto::RandomBytes(config.secret));
  FERRY_RETURN_IF_ERROR(crypto::RandomBytes(config.master_key));
  FERRY_RETURN_IF_ERROR(config.Validate());

  FERRY_ASSIGN_OR_RETURN(Bytes format_key, crypto::DeriveFormatKey(o.key_algo, password, blob.unique_id));
  FERRY_RETURN_IF_ERROR(format::EncryptRepositoryConfig(config, format_key, &blob));
  FERRY_ASSIGN_OR_RETURN(Bytes blobcfg, format::EncryptBlobStorageConfig({}, blob, format_key));
  SecureWipe(format_key.data(), format_key.size());
  FERRY_RETURN_IF_ERROR(storage->PutBlob(format::kBlobConfigBlobId, blobcfg));
  FERRY_RETURN_IF_ERROR(storage->PutBlob(format::kFormatBlobId, format::SerializeFormatBlob(blob)));
  if (o.maintenance_owner.empty()) return Status::OK();

  // Like `kopia repository create`: a global policy with kopia's defaults and the maintenance
  // parameters naming the owner. Both are ordinary manifests.
  std::shared_ptr<blob::Storage> borrowed(storage, [](blob::Storage*) {});
  FERRY_ASSIGN_OR_RETURN(auto repository, Repository::Open(borrowed, password, OpenOptions{}));
  FERRY_RETURN_IF_ERROR(repository->manifests()->Put({{"type", "policy"}, {"policyType", "global"}},
                                                     kDefaultGlobalPolicyJson).status());
  FERRY_RETURN_IF_ERROR(repository->manifests()->Put({{"type", "maintenance"}},
                                                     DefaultMaintenanceParamsJson(o.maintenance_owner)).status());
  return repository->Flush();
}

Result<std::unique_ptr<Repository>> Repository::Open(std::shared_ptr<blob::Storage> storage,
                                                     std::string_view password, OpenOptions options) {
  std::string where = options.location.empty() ? storage->DisplayName() : options.location;
  auto raw = storage->GetBlob(format::kFormatBlobId);
  if (!raw.ok()) {
    if (raw.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("no repository found at " + where + " (kopia.repository is missing)");
    }
    return raw.status().WithContext("reading kopia.repository at " + where);
  }
  std::unique_ptr<Repository> r(new Repository());
  r->storage_ = std::move(storage);
  r->options_ = std::move(options);
  FERRY_ASSIGN_OR_RETURN(r->format_blob_, format::ParseFormatBlob(*raw));
  Result<Bytes> format_key = Status::NotFound("no remembered format key");
  Result<format::RepositoryConfig> config = Status::NotFound("not decrypted");
  if (r->options_.recall_format_key) {
    Bytes recalled = r->options_.recall_format_key(r->format_blob_.unique_id);
    if (!recalled.empty()) {
      config = format::DecryptRepositoryConfig(r->format_blob_, recalled);
      if (config.ok()) format_key = recalled;
      SecureWipe(recalled.data(), recalled.size());
    }
  }
  if (!format_key.ok()) {
    format_key = crypto::DeriveFormatKey(r->format_blob_.key_algo, password, r->format_blob_.unique_id);
    if (!format_key.ok()) {
      return Status::Unsupported("repository at " + where + ": " + format_key.status().message());
    }
    config = format::DecryptRepositoryConfig(r->format_blob_, *format_key);
    if (config.ok() && r->options_.remember_format_key) {
      r->options_.remember_format_key(r->format_blob_.unique_id, *format_key);
    }
  }
  if (!config.ok()) {
    if (config.status().code() == StatusCode::kAuthentication) {
      return Status::Authentication("wrong password for repository at " + where);
    }
    return config.status().WithContext("repository at " + where);
  }
  r->config_ = std::move(*config);
  for (const auto& f : r->config_.required_features) {
    if (!FeatureSupported(f.feature) && !f.warn) {
      return Status::Unsupported("repository at " + where + " requires feature '" + f.feature +
                                 "' that ferry does not support" + (f.message.empty() ? "" : ": " + f.message));
    }
  }
  if (!r->config_.upgrade_lock_json.empty()) {
    // An upgrade is in progress (kopia repository upgrade): reading is safe, writing is not.
    r->options_.read_only = true;
  }
  if (!r->config_.ecc.empty() && r->config_.ecc_overhead_percent > 0) {
    return Status::Unsupported("repository at " + where + " uses error correction (" + r->config_.ecc +
                               "), which ferry does not implement yet");
  }
  auto hash = crypto::NewHashFunction(r->config_.hash, r->config_.secret);
  if (!hash.ok()) return hash.status().WithContext("repository at " + where);
  r->hash_ = std::move(*hash);
  auto enc = crypto::NewEncryptor(r->config_.encryption, r->config_.master_key);
  if (!enc.ok()) return enc.status().WithContext("repository at " + where);
  r->encryptor_ = std::move(*enc);
  auto split = splitter::GetSplitterFactory(r->config_.splitter);
  if (!split.ok()) return split.status().WithContext("repository at " + where);
  r->splitter_factory_ = std::move(*split);
  // Trial encryption, as kopia does: catches a broken key setup before any data is written.
  {
    Bytes sealed, plain;
    Bytes iv(16, 0);
    FERRY_RETURN_IF_ERROR(r->encryptor_->Encrypt(AsBytes("trial"), iv, &sealed));
    FERRY_RETURN_IF_ERROR(r->encryptor_->Decrypt(sealed, iv, &plain));
  }
  auto blobcfg = r->storage_->GetBlob(format::kBlobConfigBlobId);
  if (blobcfg.ok()) {
    auto cfg = format::DecryptBlobStorageConfig(*blobcfg, r->format_blob_, *format_key);
    if (!cfg.ok()) {
      return Status::Corruption("repository at " + where + ": kopia.blobcfg cannot be decrypted (" +
                                cfg.status().message() + "); if a password change was interrupted, run it again");
    }
    r->blob_config_ = std::move(*cfg);
  } else if (blobcfg.status().code() != StatusCode::kNotFound) {
    return blobcfg.status();
  }
  SecureWipe(format_key->data(), format_key->size());

  content::ContentFormat cf;
  cf.hash = r->hash_.get();
  cf.encryptor = r->encryptor_.get();
  cf.format_version = r->config_.version;
  cf.index_version = r->config_.index_version;
  cf.max_pack_size = r->config_.max_pack_size;
  cf.epoch = r->config_.epoch;
  if (r->blob_config_.retention_enabled()) {
    cf.put_options.retention_mode = r->blob_config_.retention_mode;
    cf.put_options.retention_period_seconds = r->blob_config_.retention_period_ns / format::kNanosPerSecond;
  }
  content::ContentManagerOptions co;
  co.hostname = r->options_.hostname;
  co.username = r->options_.username;
  co.read_only = r->options_.read_only;
  co.now = r->options_.now;
  auto cm = content::ContentManager::Open(r->storage_.get(), cf, co);
  if (!cm.ok()) return cm.status().WithContext("repository at " + where);
  r->contents_ = std::move(*cm);
  r->objects_ = std::make_unique<object::ObjectManager>(r->contents_.get(), r->splitter_factory_);
  manifest::ManifestManagerOptions mo;
  if (r->options_.read_only) mo.auto_compaction_threshold = 0;
  auto mm = manifest::ManifestManager::Open(r->contents_.get(), mo);
  if (!mm.ok()) return mm.status().WithContext("repository at " + where);
  r->manifests_ = std::move(*mm);
  return r;
}

Repository::~Repository() = default;

std::string Repository::unique_id_hex() const { return HexEncode(format_blob_.unique_id); }

Status Repository::Flush() {
  FERRY_RETURN_IF_ERROR(manifests_->Flush());
  return contents_->Flush();
}

Status Repository::ChangePassword(std::string_view new_password) {
  if (read_only()) return Status::Unsupported("repository is open read-only");
  if (new_password.empty()) return Status::InvalidArgument("the new password must not be empty");
  if (!config_.enable_password_change) {
    return Status::Unsupported("this repository (format version 1) does not support password changes");
  }
  format::FormatBlob blob = format_blob_;
  FERRY_ASSIGN_OR_RETURN(Bytes key, crypto::DeriveFormatKey(blob.key_algo, new_password, blob.unique_id));
  FERRY_RETURN_IF_ERROR(format::EncryptRepositoryConfig(config_, key, &blob));
  FERRY_ASSIGN_OR_RETURN(Bytes blobcfg, format::EncryptBlobStorageConfig(blob_config_, blob, key));
  SecureWipe(key.data(), key.size());
  // The format blob first: once it is written the new password is in force; an interrupted
  // change is finished by running it again with the new password.
  FERRY_RETURN_IF_ERROR(storage_->PutBlob(format::kFormatBlobId, format::SerializeFormatBlob(blob)));
  FERRY_RETURN_IF_ERROR(storage_->PutBlob(format::kBlobConfigBlobId, blobcfg));
  format_blob_ = std::move(blob);
  return Status::OK();
}

}  // namespace ferry::repo
