#include "format/format_blob.h"

#include <nlohmann/json.hpp>

#include "crypto/key_derivation.h"

namespace ferry::format {

using Json = nlohmann::ordered_json;

namespace {

struct FormatKeys {
  Bytes aes_key;
  Bytes auth_data;
};

// aesKey = HKDF(formatKey, uniqueID, "AES"); authData = HKDF(formatKey, uniqueID, "CHECKSUM").
Result<FormatKeys> DeriveFormatKeys(ByteView format_key, ByteView unique_id) {
  FormatKeys k;
  FERRY_ASSIGN_OR_RETURN(k.aes_key, crypto::DeriveKeyFromMasterKey(format_key, unique_id, "AES", 32));
  FERRY_ASSIGN_OR_RETURN(k.auth_data, crypto::DeriveKeyFromMasterKey(format_key, unique_id, "CHECKSUM", 32));
  return k;
}

}  // namespace

Result<FormatBlob> ParseFormatBlob(ByteView bytes) {
  Json j = Json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("kopia.repository is not valid JSON");
  FormatBlob b;
  try {
    b.tool = j.value("tool", "");
    b.build_version = j.value("buildVersion", "");
    b.build_info = j.value("buildInfo", "");
    b.key_algo = j.value("keyAlgo", "");
    b.encryption = j.value("encryption", "");
    auto unique = Base64Decode(j.value("uniqueID", ""));
    if (!unique.ok()) return Status::Corruption("kopia.repository: uniqueID is not base64");
    b.unique_id = std::move(*unique);
    auto enc = Base64Decode(j.value("encryptedBlockFormat", ""));
    if (!enc.ok()) return Status::Corruption("kopia.repository: encryptedBlockFormat is not base64");
    b.encrypted_block_format = std::move(*enc);
  } catch (const std::exception&) {
    return Status::Corruption("kopia.repository has fields of the wrong type");
  }
  if (b.unique_id.empty()) return Status::Corruption("kopia.repository has no uniqueID");
  return b;
}

Bytes SerializeFormatBlob(const FormatBlob& b) {
  Json j;
  j["tool"] = b.tool;
  j["buildVersion"] = b.build_version;
  j["buildInfo"] = b.build_info;
  j["uniqueID"] = Base64Encode(b.unique_id);
  j["keyAlgo"] = b.key_algo;
  j["encryption"] = b.encryption;
  if (!b.encrypted_block_format.empty()) j["encryptedBlockFormat"] = Base64Encode(b.encrypted_block_format);
  std::string s = j.dump(2) + "\n";
  return Bytes(s.begin(), s.end());
}

Result<RepositoryConfig> DecryptRepositoryConfig(const FormatBlob& blob, ByteView format_key) {
  if (blob.encryption != kFormatBlobEncryption) {
    return Status::Unsupported("unsupported format blob encryption '" + blob.encryption + "'");
  }
  FERRY_ASSIGN_OR_RETURN(FormatKeys keys, DeriveFormatKeys(format_key, blob.unique_id));
  auto plain = crypto::AesGcmOpen(keys.aes_key, blob.encrypted_block_format, keys.auth_data);
  if (!plain.ok()) return plain.status();
  return ParseRepositoryConfig(AsString(*plain));
}

Status EncryptRepositoryConfig(const RepositoryConfig& config, ByteView format_key,
                               FormatBlob* blob, ByteView nonce) {
  FERRY_ASSIGN_OR_RETURN(FormatKeys keys, DeriveFormatKeys(format_key, blob->unique_id));
  std::string plain = SerializeRepositoryConfig(config);
  FERRY_ASSIGN_OR_RETURN(blob->encrypted_block_format,
                         crypto::AesGcmSeal(keys.aes_key, AsBytes(plain), keys.auth_data, nonce));
  return Status::OK();
}

Result<Bytes> EncryptBlobStorageConfig(const BlobStorageConfig& config, const FormatBlob& blob,
                                       ByteView format_key, ByteView nonce) {
  Json j = Json::object();
  if (!config.retention_mode.empty()) j["retentionMode"] = config.retention_mode;
  if (config.retention_period_ns != 0) j["retentionPeriod"] = config.retention_period_ns;
  std::string plain = j.dump();
  FERRY_ASSIGN_OR_RETURN(FormatKeys keys, DeriveFormatKeys(format_key, blob.unique_id));
  return crypto::AesGcmSeal(keys.aes_key, AsBytes(plain), keys.auth_data, nonce);
}

Result<BlobStorageConfig> DecryptBlobStorageConfig(ByteView sealed, const FormatBlob& blob,
                                                   ByteView format_key) {
  FERRY_ASSIGN_OR_RETURN(FormatKeys keys, DeriveFormatKeys(format_key, blob.unique_id));
  FERRY_ASSIGN_OR_RETURN(Bytes plain, crypto::AesGcmOpen(keys.aes_key, sealed, keys.auth_data));
  Json j = Json::parse(plain.begin(), plain.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("kopia.blobcfg is not valid JSON");
  BlobStorageConfig c;
  try {
    c.retention_mode = j.value("retentionMode", "");
    c.retention_period_ns = j.value("retentionPeriod", int64_t{0});
  } catch (const std::exception&) {
    return Status::Corruption("kopia.blobcfg has fields of the wrong type");
  }
  return c;
}

}  // namespace ferry::format
