// The `snapshot` command group: create/list/delete (upload side) and restore/verify/diff (read
// side) register under it from their own files.
#include "cli/commands.h"

namespace ferry::cli {

Command& SnapshotCommand(Command& root) {
  for (const auto& c : root.subcommands()) {
    if (c->name() == "snapshot") return *c;
  }
  return root.AddCommand("snapshot", "Commands to manipulate snapshots.").Alias("snap");
}

}  // namespace ferry::cli
