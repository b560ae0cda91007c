// The S3 storage as a flat string map, the way the CLI's repository config keeps it. Key names are
// kopia's (repo/blob/s3 Options JSON) so that the config reads like kopia's repository.config:
//
//   bucket, prefix, endpoint, region, accessKeyID, secretAccessKey, sessionToken,
//   doNotUseTLS, doNotVerifyTLS ("true"/"false"), rootCA (base64 of PEM CA certificates)
//
// plus ferry's own: addressingStyle ("auto", "path", "virtual"), profile and credentialsFile (an
// AWS shared credentials profile to read the keys from at every open, instead of storing them).
#pragma once

#include <functional>
#include <map>
#include <string>

#include "base/status.h"
#include "blob/s3_storage.h"

namespace ferry::blob {

// Builds S3Options from `config`, resolving credentials through ResolveAwsCredentials (stored
// keys, else the environment, else the profile). `getenv` is for tests (null: std::getenv).
Result<S3Options> S3OptionsFromConfig(const std::map<std::string, std::string>& config,
                                      std::function<std::string(const char*)> getenv = nullptr);

}  // namespace ferry::blob
