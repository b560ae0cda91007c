// Placeholder until this command group lands; replaced by its layer's owner.
#include "cli/commands.h"

namespace ferry::cli {

void AddMaintenanceCommands(Command& root) {
  root.AddCommand("maintenance", "(under construction)").Hidden().SetAction([](Context&) {
    return Status::Unsupported("'maintenance' is not built yet");
  });
}

}  // namespace ferry::cli
