#include "blob/s3_config.h"

#include <cstdlib>

#include "blob/s3_credentials.h"

namespace ferry::blob {

Result<S3Options> S3OptionsFromConfig(const std::map<std::string, std::string>& config,
                                      std::function<std::string(const char*)> getenv) {
  auto get = [&](const char* key) {
    auto it = config.find(key);
    return it == config.end() ? std::string() : it->second;
  };
  auto flag = [&](const char* key) -> Result<bool> {
    std::string v = get(key);
    if (v.empty() || v == "false") return false;
    if (v == "true") return true;
    return Status::InvalidArgument(std::string("S3 setting ") + key + " must be true or false");
  };
  S3Options o;
  o.bucket = get("bucket");
  o.prefix = get("prefix");
  if (std::string e = get("endpoint"); !e.empty()) o.endpoint = e;
  o.region = get("region");
  FERRY_ASSIGN_OR_RETURN(o.disable_tls, flag("doNotUseTLS"));
  FERRY_ASSIGN_OR_RETURN(o.disable_tls_verification, flag("doNotVerifyTLS"));
  if (std::string ca = get("rootCA"); !ca.empty()) {
    auto pem = Base64Decode(ca);
    if (!pem.ok()) return Status::InvalidArgument("S3 rootCA is not valid base64");
    o.ca_cert_pem.assign(pem->begin(), pem->end());
  }
  std::string style = get("addressingStyle");
  if (style.empty() || style == "auto") {
    o.addressing = S3AddressingStyle::kAuto;
  } else if (style == "path") {
    o.addressing = S3AddressingStyle::kPath;
  } else if (style == "virtual") {
    o.addressing = S3AddressingStyle::kVirtual;
  } else {
    return Status::InvalidArgument("S3 addressing style must be auto, path or virtual, not \"" +
                                   style + "\"");
  }

  CredentialRequest c;
  c.explicit_credentials = {get("accessKeyID"), get("secretAccessKey"), get("sessionToken")};
  c.profile = get("profile");
  const std::string credentials_file = get("credentialsFile");
  c.getenv = [getenv, credentials_file](const char* name) -> std::string {
    if (!credentials_file.empty() && std::string_view(name) == "AWS_SHARED_CREDENTIALS_FILE") {
      return credentials_file;
    }
    if (getenv) return getenv(name);
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  FERRY_ASSIGN_OR_RETURN(ResolvedCredentials creds, ResolveAwsCredentials(c));
  o.credentials = std::move(creds.credentials);
  return o;
}

}  // namespace ferry::blob
