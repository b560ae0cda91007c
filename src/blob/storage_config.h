// Opening a storage from its flat configuration: the string map that ferry's repository config
// (and the data mover's repository locations) keep, {type: filesystem, path, sync} or
// {type: s3, bucket, prefix, endpoint, ...} with kopia's key names (s3_config.h). Shared by the
// CLI and the datapath so that both open a location the same way.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/status.h"
#include "blob/storage.h"

namespace ferry::blob {

// Opens the storage `config` describes. create_if_missing creates a filesystem directory (S3
// buckets are never created, as in kopia). Filesystem durability comes from `sync` ("flush", the
// default; "blob"; "none"), which $FERRY_FILESYSTEM_SYNC overrides.
Result<std::shared_ptr<Storage>> OpenStorageFromConfig(const std::map<std::string, std::string>& config,
                                                       bool create_if_missing);

// The location for messages: the path of a filesystem storage, "s3://bucket/prefix" for S3.
std::string DescribeStorageConfig(const std::map<std::string, std::string>& config);

}  // namespace ferry::blob
