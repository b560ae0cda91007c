#include "blob/s3_credentials.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ferry::blob {

namespace {

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

}  // namespace

std::map<std::string, std::map<std::string, std::string>> ParseIni(std::string_view text) {
  std::map<std::string, std::map<std::string, std::string>> out;
  std::map<std::string, std::string>* section = nullptr;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line = Trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      size_t close = line.find(']');
      section = close == std::string::npos ? nullptr : &out[Trim(line.substr(1, close - 1))];
      continue;
    }
    size_t eq = line.find('=');
    if (section == nullptr || eq == std::string::npos) continue;
    (*section)[Lower(Trim(line.substr(0, eq)))] = Trim(line.substr(eq + 1));
  }
  return out;
}

std::string MaskAccessKeyId(std::string_view id) {
  if (id.size() <= 4) return std::string(id.size(), '*');
  return "****" + std::string(id.substr(id.size() - 4));
}

Result<ResolvedCredentials> ResolveAwsCredentials(const CredentialRequest& request) {
  auto getenv = [&](const char* name) -> std::string {
    if (request.getenv) return request.getenv(name);
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  ResolvedCredentials r;
  const AwsCredentials& given = request.explicit_credentials;
  if (!given.access_key_id.empty() || !given.secret_access_key.empty()) {
    if (given.access_key_id.empty() || given.secret_access_key.empty()) {
      return Status::InvalidArgument(
          "S3 credentials need both an access key ID and a secret access key "
          "(--access-key and --secret-access-key)");
    }
    r.credentials = given;
    r.source = "flags";
    return r;
  }
  if (request.profile.empty()) {
    std::string id = getenv("AWS_ACCESS_KEY_ID");
    std::string secret = getenv("AWS_SECRET_ACCESS_KEY");
    if (!id.empty() || !secret.empty()) {
      if (id.empty() || secret.empty()) {
        return Status::InvalidArgument(
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
      }
      r.credentials = {id, secret, getenv("AWS_SESSION_TOKEN")};
      r.source = "environment";
      return r;
    }
  }

  std::string profile = request.profile;
  if (profile.empty()) profile = getenv("AWS_PROFILE");
  if (profile.empty()) profile = "default";
  std::string path = getenv("AWS_SHARED_CREDENTIALS_FILE");
  if (path.empty()) {
    std::string home = getenv("HOME");
    if (!home.empty()) path = home + "/.aws/credentials";
  }
  std::ifstream in(path);
  if (path.empty() || !in) {
    if (!request.profile.empty()) {
      return Status::InvalidArgument("profile \"" + profile + "\" was asked for but the AWS " +
                                     "credentials file " + (path.empty() ? "(no $HOME)" : path) +
                                     " cannot be read");
    }
    return Status::InvalidArgument(
        "no S3 credentials: pass --access-key and --secret-access-key, set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, or add a [default] profile to " +
        (path.empty() ? std::string("~/.aws/credentials") : path));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto ini = ParseIni(text.str());
  auto section = ini.find(profile);
  if (section == ini.end()) {
    return Status::InvalidArgument("profile \"" + profile + "\" not found in " + path);
  }
  auto value = [&](const char* key) {
    auto it = section->second.find(key);
    return it == section->second.end() ? std::string() : it->second;
  };
  r.credentials = {value("aws_access_key_id"), value("aws_secret_access_key"),
                   value("aws_session_token")};
  if (r.credentials.access_key_id.empty() || r.credentials.secret_access_key.empty()) {
    return Status::InvalidArgument("profile \"" + profile + "\" in " + path +
                                   " lacks aws_access_key_id or aws_secret_access_key");
  }
  r.source = "profile " + profile + " in " + path;
  r.profile = profile;
  return r;
}

}  // namespace ferry::blob
