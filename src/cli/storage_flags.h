// The storage backends as subcommands of `repository create` and `repository connect`
// (kopia's shape: `ferry repository create filesystem --path=...`). Each collects its flags into
// the flat storage description the config file keeps.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "cli/command.h"

namespace ferry::cli {

using StorageAction = std::function<Status(Context&, const std::map<std::string, std::string>&)>;

void AddStorageSubcommands(Command& parent, const std::string& verb, StorageAction action);

}  // namespace ferry::cli
