// Placeholder until this command group lands; replaced by its layer's owner.
#include "cli/commands.h"

namespace ferry::cli {

void AddResourceCommands(Command& root) {
  root.AddCommand("get", "(under construction)").Hidden().SetAction([](Context&) {
    return Status::Unsupported("'get' is not built yet");
  });
}

}  // namespace ferry::cli
