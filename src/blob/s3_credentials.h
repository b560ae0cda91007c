// Where S3 credentials come from, in this order (the first source that has an access key wins):
//
//   1. explicit values (the --access-key / --secret-access-key / --session-token flags, or what
//      the repository config saved),
//   2. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
//   3. the AWS shared credentials file ($AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials),
//      section [profile] where profile is the explicit one, else $AWS_PROFILE, else "default".
//
// An explicitly named profile skips step 2, as the aws CLI does with --profile: asking for a
// profile and silently getting other keys from the environment would be a surprise.
//
// Secrets are never put in error messages. Thread-safe (no state).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "base/status.h"
#include "blob/s3_signer.h"

namespace ferry::blob {

struct CredentialRequest {
  AwsCredentials explicit_credentials;
  std::string profile;  // explicit --profile; empty = $AWS_PROFILE or "default"
  // Looks up an environment variable ("" if unset). Null means std::getenv; tests substitute.
  std::function<std::string(const char*)> getenv;
};

struct ResolvedCredentials {
  AwsCredentials credentials;
  // "flags", "environment" or "profile NAME in FILE": for messages (never the secret).
  std::string source;
  std::string profile;  // the profile used, when the source is the shared file
};

// Resolves credentials as described above. InvalidArgument if an access key is given without a
// secret (or the reverse), if a named profile or its file is missing or incomplete, or if no
// source has credentials at all.
Result<ResolvedCredentials> ResolveAwsCredentials(const CredentialRequest& request);

// A minimal INI parser for AWS credential files: "[section]" headers, "key = value" lines,
// '#' and ';' comment lines; names are trimmed, keys lowercased. Lines before the first section
// and malformed lines are ignored (as botocore does for the former; a credentials file should
// not stop the program over a stray line).
std::map<std::string, std::map<std::string, std::string>> ParseIni(std::string_view text);

// "****ABCD": the last four characters of an access key ID, for display.
std::string MaskAccessKeyId(std::string_view id);

}  // namespace ferry::blob
