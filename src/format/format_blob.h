// kopia.repository: the bootstrap blob (kopia-format.md §2.1–2.3). Plain JSON naming the
// key-derivation algorithm and unique ID, wrapping the AES-256-GCM encrypted RepositoryConfig.
// Also kopia.blobcfg (§2.4), encrypted with the same keys.
#pragma once

#include <string>

#include "base/bytes.h"
#include "base/status.h"
#include "format/repository_config.h"

namespace ferry::format {

inline constexpr std::string_view kFormatBlobId = "kopia.repository";
inline constexpr std::string_view kBlobConfigBlobId = "kopia.blobcfg";
inline constexpr std::string_view kMaintenanceBlobId = "kopia.maintenance";
inline constexpr std::string_view kFormatBlobEncryption = "AES256_GCM";

struct FormatBlob {
  std::string tool = "https://github.com/kopia/kopia";
  std::string build_version;
  std::string build_info;
  Bytes unique_id;  // 32 random bytes; KDF and HKDF salt
  std::string key_algo;
  std::string encryption = std::string(kFormatBlobEncryption);
  Bytes encrypted_block_format;
};

Result<FormatBlob> ParseFormatBlob(ByteView bytes);
// Pretty-printed with two-space indent and a trailing newline, like kopia.
Bytes SerializeFormatBlob(const FormatBlob& blob);

// Decrypts the inner config with the format key (from DeriveFormatKey). A wrong password shows
// up here as Status::Authentication.
Result<RepositoryConfig> DecryptRepositoryConfig(const FormatBlob& blob, ByteView format_key);
// Encrypts config into blob->encrypted_block_format (random nonce unless one is given).
Status EncryptRepositoryConfig(const RepositoryConfig& config, ByteView format_key,
                               FormatBlob* blob, ByteView nonce = {});

// kopia.blobcfg: retention settings; "{}" when none.
struct BlobStorageConfig {
  std::string retention_mode;  // "GOVERNANCE" / "COMPLIANCE" / ""
  int64_t retention_period_ns = 0;
  bool retention_enabled() const { return !retention_mode.empty() && retention_period_ns > 0; }
};
Result<Bytes> EncryptBlobStorageConfig(const BlobStorageConfig& config, const FormatBlob& blob,
                                       ByteView format_key, ByteView nonce = {});
Result<BlobStorageConfig> DecryptBlobStorageConfig(ByteView sealed, const FormatBlob& blob,
                                                   ByteView format_key);

}  // namespace ferry::format
