// Placeholder until this command group lands; replaced by its layer's owner.
#include "cli/commands.h"

namespace ferry::cli {

void AddNodeAgentCommand(Command& root) {
  root.AddCommand("node-agent", "(under construction)").Hidden().SetAction([](Context&) {
    return Status::Unsupported("'node-agent' is not built yet");
  });
}

}  // namespace ferry::cli
