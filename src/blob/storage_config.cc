#include "blob/storage_config.h"

#include <cstdlib>

#include "blob/filesystem_storage.h"
#include "blob/s3_config.h"
#include "blob/s3_storage.h"

namespace ferry::blob {

Result<std::shared_ptr<Storage>> OpenStorageFromConfig(const std::map<std::string, std::string>& config,
                                                       bool create_if_missing) {
  auto type = config.find("type");
  if (type == config.end()) return Status::InvalidArgument("storage type missing from the config");
  if (type->second == "filesystem") {
    auto path = config.find("path");
    if (path == config.end() || path->second.empty()) return Status::InvalidArgument("filesystem storage needs a path");
    FilesystemOptions o;
    o.create_if_missing = create_if_missing;
    // Durability: "flush" (default) syncs the filesystem before and after each index blob, so
    // packs are on disk before the index naming them; "blob" fsyncs every blob (kopia HEAD);
    // "none" leaves it to the page cache (kopia 0.12.1).
    std::string sync = config.count("sync") ? config.at("sync") : "flush";
    if (const char* env = std::getenv("FERRY_FILESYSTEM_SYNC"); env && *env) sync = env;
    if (sync != "flush" && sync != "blob" && sync != "none") {
      return Status::InvalidArgument("invalid filesystem sync mode '" + sync + "' (flush, blob or none)");
    }
    o.sync_writes = sync == "blob";
    o.sync_on_request = sync == "flush";
    FERRY_ASSIGN_OR_RETURN(auto s, OpenFilesystemStorage(path->second, o));
    return std::shared_ptr<Storage>(std::move(s));
  }
  if (type->second == "s3") {
    // Buckets are never created (kopia does not either): create_if_missing does not apply.
    FERRY_ASSIGN_OR_RETURN(S3Options o, S3OptionsFromConfig(config));
    FERRY_ASSIGN_OR_RETURN(auto s, S3Storage::Open(std::move(o)));
    return std::shared_ptr<Storage>(std::move(s));
  }
  return Status::Unsupported("storage type '" + type->second + "' is not supported");
}

std::string DescribeStorageConfig(const std::map<std::string, std::string>& config) {
  auto get = [&](const char* k) {
    auto it = config.find(k);
    return it == config.end() ? std::string() : it->second;
  };
  std::string type = get("type");
  if (type == "filesystem") return get("path");
  if (type == "s3") return "s3://" + get("bucket") + "/" + get("prefix");
  return type;
}

}  // namespace ferry::blob
