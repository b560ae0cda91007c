#include "controlplane/bsl.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "base/bytes.h"

namespace ferry::controlplane {

using resource::Object;

namespace {

std::string TrimSlashes(std::string s) {
  while (!s.empty() && s.front() == '/') s.erase(s.begin());
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string JoinPath(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) {
    std::string piece = TrimSlashes(std::string(p));
    if (piece.empty()) continue;
    if (!out.empty()) out += "/";
    out += piece;
  }
  return out;
}

// [section] / key = value, as the AWS shared credentials file is written.
std::map<std::string, std::map<std::string, std::string>> ParseCredentialsFile(std::string_view text) {
  std::map<std::string, std::map<std::string, std::string>> out;
  std::string section;
  bool in_section = false;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      section = Trim(std::string_view(t).substr(1, t.size() - 2));
      if (section.rfind("profile ", 0) == 0) section = Trim(section.substr(8));
      in_section = true;
      out[section];
      continue;
    }
    size_t eq = t.find('=');
    if (!in_section || eq == std::string::npos) continue;
    std::string key = Trim(std::string_view(t).substr(0, eq));
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    out[section][key] = Trim(std::string_view(t).substr(eq + 1));
  }
  return out;
}

// Puts the keys of `profile` from the credential Secret into the S3 storage map.
Status AddS3Credentials(resource::Store& store, const BackupStorageLocation& bsl, StorageMap& storage) {
  std::string secret = bsl.credential_secret;
  std::string key = bsl.credential_key;
  bool explicit_secret = !secret.empty();
  if (!explicit_secret) {
    secret = "cloud-credentials";
    key = "cloud";
  }
  auto file = SecretValue(store, bsl.namespace_name, secret, key);
  if (!file.ok()) {
    // Without a named Secret the engine looks in the environment and ~/.aws/credentials, as a
    // Velero pod with a mounted credentials file does.
    if (!explicit_secret && file.status().code() == StatusCode::kNotFound) return Status::OK();
    return file.status().WithContext("credentials of BackupStorageLocation " + bsl.name);
  }
  std::string profile = bsl.config.count("profile") ? bsl.config.at("profile") : "default";
  auto sections = ParseCredentialsFile(*file);
  auto it = sections.find(profile);
  if (it == sections.end()) {
    return Status::InvalidArgument("profile \"" + profile + "\" not found in the credentials file of Secret " +
                                   bsl.namespace_name + "/" + secret + " key " + key +
                                   " (BackupStorageLocation " + bsl.name + ")");
  }
  auto get = [&](const char* k) {
    auto f = it->second.find(k);
    return f == it->second.end() ? std::string() : f->second;
  };
  if (get("aws_access_key_id").empty() || get("aws_secret_access_key").empty()) {
    return Status::InvalidArgument("profile \"" + profile + "\" in Secret " + bsl.namespace_name + "/" + secret +
                                   " lacks aws_access_key_id or aws_secret_access_key");
  }
  storage["accessKeyID"] = get("aws_access_key_id");
  storage["secretAccessKey"] = get("aws_secret_access_key");
  if (std::string token = get("aws_session_token"); !token.empty()) storage["sessionToken"] = token;
  return Status::OK();
}

Result<StorageMap> StorageWithPrefix(resource::Store& store, const BackupStorageLocation& bsl,
                                     const std::string& object_prefix) {
  StorageMap storage;
  if (bsl.is_filesystem()) {
    storage["type"] = "filesystem";
    std::string root = bsl.config.at("fspath");
    std::string rest = TrimSlashes(object_prefix);
    storage["path"] = rest.empty() ? root : (root.empty() || root.back() != '/' ? root + "/" : root) + rest;
    return storage;
  }
  storage["type"] = "s3";
  storage["bucket"] = bsl.bucket;
  storage["prefix"] = object_prefix;
  auto config = [&](const char* k) {
    auto it = bsl.config.find(k);
    return it == bsl.config.end() ? std::string() : it->second;
  };
  std::string region = config("region");
  storage["region"] = region.empty() ? "us-east-1" : region;
  std::string s3_url = config("s3Url");
  if (s3_url.empty()) {
    storage["endpoint"] = "s3-" + storage["region"] + ".amazonaws.com";
  } else {
    size_t scheme_end = s3_url.find("://");
    std::string scheme = scheme_end == std::string::npos ? "https" : s3_url.substr(0, scheme_end);
    std::string rest = scheme_end == std::string::npos ? s3_url : s3_url.substr(scheme_end + 3);
    size_t slash = rest.find('/');
    if (slash != std::string::npos && TrimSlashes(rest.substr(slash)) != "") {
      return Status::InvalidArgument("path is not expected in s3Url " + s3_url +
                                     " (BackupStorageLocation " + bsl.name + ")");
    }
    storage["endpoint"] = slash == std::string::npos ? rest : rest.substr(0, slash);
    if (scheme == "http") storage["doNotUseTLS"] = "true";
  }
  if (config("s3ForcePathStyle") == "true") storage["addressingStyle"] = "path";
  if (config("insecureSkipTLSVerify") == "true") storage["doNotVerifyTLS"] = "true";
  if (!bsl.ca_cert_base64.empty()) storage["rootCA"] = bsl.ca_cert_base64;
  FERRY_RETURN_IF_ERROR(AddS3Credentials(store, bsl, storage));
  return storage;
}

}  // namespace

Result<BackupStorageLocation> ParseBackupStorageLocation(const Object& obj) {
  BackupStorageLocation bsl;
  bsl.namespace_name = resource::Namespace(obj);
  bsl.name = resource::Name(obj);
  bsl.provider = resource::StringAt(obj, "spec.provider");
  if (obj.contains("spec") && obj["spec"].contains("config") && obj["spec"]["config"].is_object()) {
    for (auto it = obj["spec"]["config"].begin(); it != obj["spec"]["config"].end(); ++it) {
      if (it.value().is_string()) {
        bsl.config[it.key()] = it.value().get<std::string>();
      } else if (it.value().is_boolean()) {
        bsl.config[it.key()] = it.value().get<bool>() ? "true" : "false";
      } else if (!it.value().is_null()) {
        bsl.config[it.key()] = it.value().dump();
      }
    }
  }
  bsl.bucket = resource::StringAt(obj, "spec.objectStorage.bucket");
  if (bsl.bucket.empty() && bsl.config.count("bucket")) bsl.bucket = bsl.config["bucket"];
  bsl.prefix = resource::StringAt(obj, "spec.objectStorage.prefix");
  if (bsl.prefix.empty() && bsl.config.count("prefix")) bsl.prefix = bsl.config["prefix"];
  bsl.prefix = TrimSlashes(bsl.prefix);
  bsl.ca_cert_base64 = resource::StringAt(obj, "spec.objectStorage.caCert");
  bsl.credential_secret = resource::StringAt(obj, "spec.credential.name");
  bsl.credential_key = resource::StringAt(obj, "spec.credential.key");
  if (!bsl.credential_secret.empty() && bsl.credential_key.empty()) bsl.credential_key = "cloud";
  if (bsl.is_filesystem()) {
    if (bsl.config["fspath"].empty()) {
      return Status::InvalidArgument("BackupStorageLocation " + bsl.name + ": config.fspath is empty");
    }
    return bsl;
  }
  bool s3 = bsl.provider == "aws" || bsl.provider == "velero.io/aws" || bsl.config.count("s3Url");
  if (!s3) {
    return Status::Unsupported("BackupStorageLocation " + bsl.name + ": provider \"" + bsl.provider +
                               "\" is not supported (use aws with an S3 endpoint, or config.fspath)");
  }
  if (bsl.bucket.empty()) {
    return Status::InvalidArgument("BackupStorageLocation " + bsl.name + ": spec.objectStorage.bucket is empty");
  }
  return bsl;
}

Result<BackupStorageLocation> GetBackupStorageLocation(resource::Store& store, std::string_view namespace_name,
                                                       std::string_view name) {
  auto obj = store.Get("BackupStorageLocation", namespace_name, name);
  if (!obj.ok()) {
    if (obj.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("BackupStorageLocation \"" + std::string(name) + "\" not found in namespace " +
                              std::string(namespace_name) + ": apply one (ferry apply -f bsl.yaml)");
    }
    return obj.status();
  }
  return ParseBackupStorageLocation(*obj);
}

std::string KopiaRepositoryPrefix(std::string_view bsl_prefix, std::string_view volume_namespace) {
  return JoinPath({bsl_prefix, "kopia", volume_namespace}) + "/";
}

Result<StorageMap> LocationStorage(resource::Store& store, const BackupStorageLocation& bsl) {
  return StorageWithPrefix(store, bsl, bsl.prefix.empty() ? "" : bsl.prefix + "/");
}

Result<StorageMap> RepositoryStorage(resource::Store& store, const BackupStorageLocation& bsl,
                                     std::string_view volume_namespace) {
  return StorageWithPrefix(store, bsl, KopiaRepositoryPrefix(bsl.prefix, volume_namespace));
}

std::string ResticIdentifier(const BackupStorageLocation& bsl, std::string_view volume_namespace) {
  if (bsl.is_filesystem()) {
    return "/" + JoinPath({bsl.config.at("fspath"), bsl.prefix, "restic", volume_namespace});
  }
  std::string endpoint;
  auto url = bsl.config.find("s3Url");
  if (url != bsl.config.end() && !url->second.empty()) {
    endpoint = url->second;
    size_t scheme_end = endpoint.find("://");
    if (scheme_end != std::string::npos) endpoint = endpoint.substr(scheme_end + 3);
    endpoint = TrimSlashes(endpoint);
  } else {
    auto region = bsl.config.find("region");
    endpoint = "s3-" + (region == bsl.config.end() || region->second.empty() ? std::string("us-east-1")
                                                                              : region->second) +
               ".amazonaws.com";
  }
  return "s3:" + endpoint + "/" + JoinPath({bsl.bucket, bsl.prefix, "restic", volume_namespace});
}

std::string DescribeStorage(const StorageMap& storage) {
  auto get = [&](const char* k) {
    auto it = storage.find(k);
    return it == storage.end() ? std::string() : it->second;
  };
  if (get("type") == "filesystem") return get("path");
  return "s3://" + get("bucket") + "/" + get("prefix");
}

Result<std::string> SecretValue(resource::Store& store, std::string_view namespace_name,
                                std::string_view secret_name, std::string_view key) {
  auto secret = store.Get("Secret", namespace_name, secret_name);
  if (!secret.ok()) {
    if (secret.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("Secret " + std::string(namespace_name) + "/" + std::string(secret_name) +
                              " not found");
    }
    return secret.status();
  }
  const Object& s = *secret;
  std::string k(key);
  if (s.contains("stringData") && s["stringData"].is_object() && s["stringData"].contains(k) &&
      s["stringData"][k].is_string()) {
    return s["stringData"][k].get<std::string>();
  }
  if (s.contains("data") && s["data"].is_object() && s["data"].contains(k) && s["data"][k].is_string()) {
    auto decoded = Base64Decode(s["data"][k].get<std::string>());
    if (!decoded.ok()) {
      return Status::InvalidArgument("Secret " + std::string(namespace_name) + "/" + std::string(secret_name) +
                                     " key " + k + " is not valid base64");
    }
    return std::string(AsString(*decoded));
  }
  return Status::NotFound("Secret " + std::string(namespace_name) + "/" + std::string(secret_name) +
                          " has no key " + k);
}

}  // namespace ferry::controlplane
