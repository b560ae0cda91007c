// Placeholder until this command group lands; replaced by its layer's owner.
#include "cli/commands.h"

namespace ferry::cli {

void AddServerCommand(Command& root) {
  root.AddCommand("server", "(under construction)").Hidden().SetAction([](Context&) {
    return Status::Unsupported("'server' is not built yet");
  });
}

}  // namespace ferry::cli
