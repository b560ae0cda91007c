// ferry repository disconnect: forget the connection (config file and saved password).
#include <filesystem>
#include <ostream>

#include "cli/commands.h"
#include "cli/connection.h"

namespace ferry::cli {

void AddRepositoryDisconnectCommand(Command& repository) {
  repository.AddCommand("disconnect", "Disconnect from a repository.").SetAction([](Context& ctx) -> Status {
    std::string path = ConfigFilePath();
    std::error_code ec;
    bool had = std::filesystem::remove(path, ec);
    std::filesystem::remove(path + ".kopia-password", ec);
    std::filesystem::remove(path + ".format-key", ec);
    if (!had) return Status::NotFound("not connected to a repository (no config file at " + path + ")");
    ctx.out << "Disconnected from repository.\n";
    return Status::OK();
  });
}

}  // namespace ferry::cli
