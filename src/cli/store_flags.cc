#include "cli/store_flags.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "resource/sqlite_store.h"

namespace ferry::cli {

void AddStoreFlag(Command& cmd, std::string* path) {
  FlagSpec& f = cmd.StringFlag("store",
                               "control-plane store file (default $XDG_DATA_HOME/ferry/store.db)",
                               path);
  f.placeholder = "PATH";
  f.env_var = "FERRY_STORE";
}

std::string StorePath(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("FERRY_STORE"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
    return (std::filesystem::path(xdg) / "ferry" / "store.db").string();
  }
  const char* home = std::getenv("HOME");
  std::filesystem::path base = home && *home ? std::filesystem::path(home) : std::filesystem::path(".");
  return (base / ".local" / "share" / "ferry" / "store.db").string();
}

Result<std::unique_ptr<resource::Store>> OpenStore(const std::string& flag_value) {
  std::string path = StorePath(flag_value);
  if (path != ":memory:") {
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        return Status::IOError("cannot create the store directory " + parent.string() + ": " +
                               ec.message());
      }
    }
  }
  auto store = resource::OpenSqliteStore(path);
  if (!store.ok()) return store.status().WithContext("opening the store " + path);
  return store;
}

}  // namespace ferry::cli
