// Where the control-plane store lives, for every command that reads or writes resources
// (apply/get/delete/..., node-agent, server): --store PATH, else $FERRY_STORE, else
// $XDG_DATA_HOME/ferry/store.db, else ~/.local/share/ferry/store.db.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "cli/command.h"
#include "resource/store.h"

namespace ferry::cli {

// Adds `--store PATH` (env FERRY_STORE) to cmd, bound to *path (empty when neither is given).
void AddStoreFlag(Command& cmd, std::string* path);

// The store file to use: flag_value when not empty, else $FERRY_STORE, else the default under
// the user's data directory.
std::string StorePath(const std::string& flag_value);

// Opens the store at StorePath(flag_value), creating its directory when missing.
Result<std::unique_ptr<resource::Store>> OpenStore(const std::string& flag_value);

}  // namespace ferry::cli
