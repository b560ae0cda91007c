// How the CLI remembers and reopens a repository: a config file like kopia's (JSON naming the
// storage, hostname and username; default ~/.config/ferry/repository.config, --config-file or
// $FERRY_CONFIG_PATH / $KOPIA_CONFIG_PATH) and the password from --password, $FERRY_PASSWORD /
// $KOPIA_PASSWORD, the file saved at connect (<config>.kopia-password, mode 0600), or a prompt.
// The password is never printed or logged.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/status.h"
#include "blob/storage.h"
#include "cli/command.h"
#include "repo/repository.h"

namespace ferry::cli {

// Flags every repository command shares (registered once on the root command).
struct GlobalFlags {
  std::string config_file;
  std::string password;
  std::string progress;  // reserved for commands with progress output
};
GlobalFlags& Globals();
void AddGlobalFlags(Command& root);

struct ConnectionConfig {
  // "type" plus backend keys. An S3 config may hold the access key and secret, as kopia's
  // repository.config does; the file is written 0600 and `repository status` masks them.
  std::map<std::string, std::string> storage;
  std::string hostname;
  std::string username;
  std::string description;
  bool read_only = false;
};

std::string ConfigFilePath();
Result<ConnectionConfig> LoadConnectionConfig(const std::string& path);
Status SaveConnectionConfig(const std::string& path, const ConnectionConfig& config);

// Opens the storage a config describes.
Result<std::shared_ptr<blob::Storage>> OpenStorage(const std::map<std::string, std::string>& storage,
                                                   bool create_if_missing);
// "Filesystem: /path" style location for messages.
std::string DescribeStorage(const std::map<std::string, std::string>& storage);

// The password for the connected repository (see the file comment for the order).
Result<std::string> ResolvePassword(const std::string& config_path, bool allow_saved = true);
Status SavePassword(const std::string& config_path, const std::string& password);
// Remembers the format key derived from the saved password (connection.cc: the format key cache).
void RememberFormatKey(const std::string& config_path, ByteView unique_id, const std::string& password,
                       ByteView key);
// Asks on the terminal with echo off; FailedPrecondition-like InvalidArgument when there is none.
Result<std::string> PromptPassword(const std::string& prompt, bool confirm);

// Opens the repository the config file names, with its saved identity.
Result<std::unique_ptr<repo::Repository>> OpenConnectedRepository(bool read_only = false);

// The local identity kopia uses by default: $USER and the short hostname.
std::string DefaultUsername();
std::string DefaultHostname();

}  // namespace ferry::cli
