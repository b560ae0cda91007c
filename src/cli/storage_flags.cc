#include "cli/storage_flags.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "base/bytes.h"
#include "blob/s3_credentials.h"

namespace ferry::cli {

namespace {

void AddFilesystem(Command& parent, const std::string& verb, StorageAction action) {
  auto path = std::make_shared<std::string>();
  Command& fs_cmd = parent.AddCommand("filesystem", verb + " repository in a filesystem");
  fs_cmd.StringFlag("path", "Path to the repository", path.get()).required = true;
  fs_cmd.SetAction([path, action](Context& ctx) {
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(*path, ec);
    std::map<std::string, std::string> storage{{"type", "filesystem"},
                                               {"path", ec ? *path : abs.lexically_normal().string()}};
    return action(ctx, storage);
  });
}

struct S3Flags {
  std::string bucket, prefix, endpoint, region;
  std::string access_key, secret_access_key, session_token, profile;
  bool disable_tls = false, disable_tls_verification = false;
  std::string ca_cert, root_ca_pem_base64;
  std::string addressing_style;
};

Result<std::string> ReadPemFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read the CA certificate file " + path);
  std::stringstream s;
  s << in.rdbuf();
  if (s.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return Status::InvalidArgument(path + " is not a PEM certificate file");
  }
  return s.str();
}

// The flat storage description kept in the config file, with kopia's key names (s3_config.h).
// Credentials given on the command line or in AWS_* variables are stored, as kopia stores them
// (the config file is 0600); credentials from a shared credentials profile are not: the profile
// name is kept and the file is read again at every open, so rotated keys keep working.
Result<std::map<std::string, std::string>> S3Storage(const S3Flags& f) {
  std::map<std::string, std::string> s{{"type", "s3"},
                                       {"bucket", f.bucket},
                                       {"endpoint", f.endpoint}};
  if (!f.prefix.empty()) s["prefix"] = f.prefix;
  if (!f.region.empty()) s["region"] = f.region;
  if (f.disable_tls) s["doNotUseTLS"] = "true";
  if (f.disable_tls_verification) s["doNotVerifyTLS"] = "true";
  if (f.addressing_style != "auto") s["addressingStyle"] = f.addressing_style;
  if (!f.ca_cert.empty() && !f.root_ca_pem_base64.empty()) {
    return Status::InvalidArgument("--ca-cert and --root-ca-pem-base64 are mutually exclusive");
  }
  if (!f.ca_cert.empty()) {
    FERRY_ASSIGN_OR_RETURN(std::string pem, ReadPemFile(f.ca_cert));
    s["rootCA"] = Base64Encode(AsBytes(pem));
  } else if (!f.root_ca_pem_base64.empty()) {
    if (!Base64Decode(f.root_ca_pem_base64).ok()) {
      return Status::InvalidArgument("--root-ca-pem-base64 is not valid base64");
    }
    s["rootCA"] = f.root_ca_pem_base64;
  }

  blob::CredentialRequest c;
  c.explicit_credentials = {f.access_key, f.secret_access_key, f.session_token};
  c.profile = f.profile;
  FERRY_ASSIGN_OR_RETURN(blob::ResolvedCredentials creds, blob::ResolveAwsCredentials(c));
  if (creds.profile.empty()) {
    s["accessKeyID"] = creds.credentials.access_key_id;
    s["secretAccessKey"] = creds.credentials.secret_access_key;
    if (!creds.credentials.session_token.empty()) {
      s["sessionToken"] = creds.credentials.session_token;
    }
  } else {
    s["profile"] = creds.profile;
    if (const char* file = std::getenv("AWS_SHARED_CREDENTIALS_FILE"); file && *file) {
      std::error_code ec;
      auto abs = std::filesystem::absolute(file, ec);
      s["credentialsFile"] = ec ? std::string(file) : abs.string();
    }
  }
  return s;
}

void AddS3(Command& parent, const std::string& verb, StorageAction action) {
  auto f = std::make_shared<S3Flags>();
  Command& s3 = parent.AddCommand("s3", verb + " repository in an S3 bucket");
  s3.StringFlag("bucket", "Name of the S3 bucket", &f->bucket).required = true;
  s3.StringFlag("endpoint", "Endpoint to use (host[:port]; http:// or https:// allowed)",
                &f->endpoint, "s3.amazonaws.com");
  s3.StringFlag("region", "S3 Region (default us-east-1, or the bucket's when AWS names it)",
                &f->region);
  s3.StringFlag("access-key",
                "Access key ID (overrides AWS_ACCESS_KEY_ID environment variable)",
                &f->access_key);
  s3.StringFlag("secret-access-key",
                "Secret access key (overrides AWS_SECRET_ACCESS_KEY environment variable)",
                &f->secret_access_key);
  s3.StringFlag("session-token",
                "Session token (overrides AWS_SESSION_TOKEN environment variable)",
                &f->session_token);
  s3.StringFlag("profile",
                "Profile in the AWS shared credentials file (AWS_SHARED_CREDENTIALS_FILE or "
                "~/.aws/credentials) to take the keys from",
                &f->profile);
  s3.StringFlag("prefix",
                "Prefix to use for objects in the bucket. Put trailing slash (/) if you want to "
                "use prefix as directory. e.g my-backup-dir/ would put repository contents inside "
                "my-backup-dir directory",
                &f->prefix);
  s3.BoolFlag("disable-tls", "Disable TLS security (HTTPS)", &f->disable_tls);
  s3.BoolFlag("disable-tls-verification", "Disable TLS (HTTPS) certificate verification",
              &f->disable_tls_verification);
  s3.StringFlag("ca-cert", "PEM file with the certificate authorities to trust", &f->ca_cert);
  s3.StringFlag("root-ca-pem-path", "Certificate authority file path (same as --ca-cert)",
                &f->ca_cert).hidden = true;
  s3.StringFlag("root-ca-pem-base64", "Certificate authority in-line (base64 enc.)",
                &f->root_ca_pem_base64);
  s3.EnumFlag("addressing-style",
              "Bucket addressing: path (endpoint/bucket/key), virtual (bucket.endpoint/key), or "
              "auto (virtual on AWS, path elsewhere)",
              &f->addressing_style, {"auto", "path", "virtual"}, "auto");
  s3.SetAction([f, action](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto storage, S3Storage(*f));
    return action(ctx, storage);
  });
}

}  // namespace

void AddStorageSubcommands(Command& parent, const std::string& verb, StorageAction action) {
  AddFilesystem(parent, verb, action);
  AddS3(parent, verb, action);
}

}  // namespace ferry::cli
