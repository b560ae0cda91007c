// ferry repository connect <storage> ...: verify the password against the repository and
// remember the connection in the config file.
#include <ostream>

#include "cli/commands.h"
#include "cli/connection.h"
#include "cli/storage_flags.h"

namespace ferry::cli {

Status ConnectAndSave(Context& ctx, const std::map<std::string, std::string>& storage,
                      const std::string& password, const std::string& hostname,
                      const std::string& username, const std::string& description, bool read_only) {
  FERRY_ASSIGN_OR_RETURN(auto store, OpenStorage(storage, false));
  repo::OpenOptions o;
  o.hostname = hostname.empty() ? DefaultHostname() : hostname;
  o.username = username.empty() ? DefaultUsername() : username;
  o.location = DescribeStorage(storage);
  o.read_only = true;  // connecting only proves the password; it writes nothing
  // Keep the key scrypt derives while proving the password, so that the first command after
  // connect (often the first backup) does not derive it again.
  Bytes unique_id, format_key;
  o.remember_format_key = [&](ByteView id, ByteView key) {
    unique_id.assign(id.begin(), id.end());
    format_key.assign(key.begin(), key.end());
  };
  FERRY_ASSIGN_OR_RETURN(auto repository, repo::Repository::Open(store, password, o));
  ConnectionConfig c;
  c.storage = storage;
  c.hostname = o.hostname;
  c.username = o.username;
  c.read_only = read_only;
  std::string kind = storage.count("type") ? storage.at("type") : "";
  // kopia's default: "Repository in " + the storage's DisplayName() ("S3: <endpoint> <bucket>",
  // repo/blob/s3/s3_storage.go); the filesystem one keeps the path as given.
  c.description = !description.empty() ? description
                  : kind == "filesystem" ? "Repository in Filesystem: " + o.location
                                         : "Repository in " + store->DisplayName();
  std::string path = ConfigFilePath();
  FERRY_RETURN_IF_ERROR(SaveConnectionConfig(path, c));
  FERRY_RETURN_IF_ERROR(SavePassword(path, password));
  if (!format_key.empty()) RememberFormatKey(path, unique_id, password, format_key);
  SecureWipe(format_key.data(), format_key.size());
  ctx.out << "Connected to repository.\n";
  return Status::OK();
}

namespace {
struct Options {
  std::string hostname, username, description;
  bool read_only = false;
};
}  // namespace

void AddRepositoryConnectCommand(Command& repository) {
  auto o = std::make_shared<Options>();
  Command& connect = repository.AddCommand("connect", "Connect to a repository.");
  connect.StringFlag("override-hostname", "Override hostname used by this connection", &o->hostname);
  connect.StringFlag("override-username", "Override username used by this connection", &o->username);
  connect.StringFlag("description", "Human-readable description of the repository", &o->description);
  connect.BoolFlag("readonly", "Make repository read-only to avoid accidental changes", &o->read_only);
  AddStorageSubcommands(connect, "Connect to", [o](Context& ctx, const std::map<std::string, std::string>& storage) -> Status {
    FERRY_ASSIGN_OR_RETURN(std::string password, ResolvePassword(ConfigFilePath(), false));
    return ConnectAndSave(ctx, storage, password, o->hostname, o->username, o->description, o->read_only);
  });
}

}  // namespace ferry::cli
