// Repository: a Kopia format-3 repository opened on some blob storage. It reads kopia.repository,
// derives the keys from the password, and stacks the content, object and manifest managers on
// the storage. This is the one narrow API the snapshot layer and the control plane use.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "blob/storage.h"
#include "content/content_manager.h"
#include "crypto/encryption.h"
#include "crypto/hashing.h"
#include "format/format_blob.h"
#include "format/repository_config.h"
#include "manifest/manifest_manager.h"
#include "object/object_manager.h"
#include "splitter/splitter.h"

namespace ferry::repo {

inline constexpr std::string_view kFerryVersion = "0.1.0";

// Algorithms and parameters of a new repository. Chosen once; never changed afterwards.
struct NewRepositoryOptions {
  std::string hash = std::string(crypto::kDefaultHashAlgorithm);
  std::string encryption = std::string(crypto::kDefaultEncryptionAlgorithm);
  std::string splitter = std::string(splitter::kDefaultSplitter);
  std::string key_algo = "scrypt-65536-8-1";
  int64_t max_pack_size = format::kDefaultMaxPackSize;
  format::EpochParameters epoch;
  // "user@host" recorded as the maintenance owner (kopia writes the creating user), so kopia's
  // automatic maintenance does not run on this repository behind ferry's back.
  std::string maintenance_owner;
};

// Validates the algorithm names (InvalidArgument listing the valid ones), refuses a location that
// already holds a repository (AlreadyExists), then writes kopia.blobcfg and kopia.repository —
// the format blob last, so a failed create never leaves something that looks like a repository.
// `location` names the storage in messages.
Status InitializeRepository(blob::Storage* storage, std::string_view password,
                            const NewRepositoryOptions& options, std::string_view location);

struct OpenOptions {
  std::string hostname = "ferry";
  std::string username = "ferry";
  bool read_only = false;
  // How the storage is named in error messages ("/backups/repo", "s3://bucket/prefix").
  std::string location;
  // Supplies the current Unix time to the content layer; tests may replace it.
  std::function<int64_t()> now;
  // A format key remembered from an earlier open of the repository with this unique ID and the
  // same password (the CLI keeps one next to a saved password, and returns it only when the
  // password matches: the key alone opens the repository). Deriving it (scrypt) costs about
  // 0.2 s per command; a recalled key that does not authenticate kopia.repository is ignored.
  std::function<Bytes(ByteView unique_id)> recall_format_key;
  // Called with a format key derived from the password, so that the caller can remember it.
  std::function<void(ByteView unique_id, ByteView format_key)> remember_format_key;
};

class Repository {
 public:
  // NotFound when there is no kopia.repository; Authentication ("wrong password for repository
  // at LOCATION") on a wrong password; Unsupported for format versions, features or algorithms
  // ferry does not implement. Nothing is written on any of these errors.
  static Result<std::unique_ptr<Repository>> Open(std::shared_ptr<blob::Storage> storage,
                                                  std::string_view password, OpenOptions options);
  ~Repository();

  blob::Storage* storage() const { return storage_.get(); }
  content::ContentManager* contents() const { return contents_.get(); }
  object::ObjectManager* objects() const { return objects_.get(); }
  manifest::ManifestManager* manifests() const { return manifests_.get(); }
  const format::FormatBlob& format_blob() const { return format_blob_; }
  const format::RepositoryConfig& config() const { return config_; }
  const format::BlobStorageConfig& blob_config() const { return blob_config_; }
  const crypto::HashFunction& hash() const { return *hash_; }
  const crypto::Encryptor& encryptor() const { return *encryptor_; }
  const splitter::SplitterFactory& splitter_factory() const { return splitter_factory_; }
  const OpenOptions& options() const { return options_; }
  bool read_only() const { return options_.read_only; }
  std::string unique_id_hex() const;

  // Makes everything written so far durable: manifests into contents, then packs, then the index.
  Status Flush();

  // Re-encrypts kopia.repository and kopia.blobcfg under a new password (same keys inside).
  Status ChangePassword(std::string_view new_password);

 private:
  Repository() = default;

  std::shared_ptr<blob::Storage> storage_;
  OpenOptions options_;
  format::FormatBlob format_blob_;
  format::RepositoryConfig config_;
  format::BlobStorageConfig blob_config_;
  std::unique_ptr<crypto::HashFunction> hash_;
  std::unique_ptr<crypto::Encryptor> encryptor_;
  splitter::SplitterFactory splitter_factory_;
  std::unique_ptr<content::ContentManager> contents_;
  std::unique_ptr<object::ObjectManager> objects_;
  std::unique_ptr<manifest::ManifestManager> manifests_;
};

}  // namespace ferry::repo
