#include "cli/storage_flags.h"

#include <filesystem>
#include <memory>

namespace ferry::cli {

void AddStorageSubcommands(Command& parent, const std::string& verb, StorageAction action) {
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

}  // namespace ferry::cli
