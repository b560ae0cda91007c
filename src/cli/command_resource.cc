// kubectl's verbs on control-plane resources, backed by the store (cli/store_flags.h):
// apply, create, get, describe, delete, patch. One file per verb: command_resource_<verb>.cc.
#include "cli/commands.h"
#include "cli/resource_cli.h"

namespace ferry::cli {

void AddResourceCommands(Command& root) {
  AddApplyCommand(root);
  AddCreateCommand(root);
  AddGetCommand(root);
  AddDescribeCommand(root);
  AddDeleteCommand(root);
  AddPatchCommand(root);
}

}  // namespace ferry::cli
