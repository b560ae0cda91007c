// Registration of every ferry command. One file per command (command_<group>_<name>.cc), so the
// CLI reads like a table of contents of what users can do.
#pragma once

#include <memory>

#include "cli/command.h"

namespace ferry::cli {

// The whole command tree of the ferry binary.
std::unique_ptr<Command> BuildApp();

void AddBenchmarkHashingCommand(Command& benchmark);
void AddBenchmarkEncryptionCommand(Command& benchmark);
void AddBenchmarkSplitterCommand(Command& benchmark);
void AddBenchmarkCompressionCommand(Command& benchmark);

void AddRepositoryCreateCommand(Command& repository);
void AddRepositoryConnectCommand(Command& repository);
void AddRepositoryStatusCommand(Command& repository);
void AddRepositoryDisconnectCommand(Command& repository);
void AddRepositoryChangePasswordCommand(Command& repository);
void AddContentCommands(Command& root);
void AddBlobCommands(Command& root);
void AddIndexCommands(Command& root);

// The `snapshot` group (found or created on first use).
Command& SnapshotCommand(Command& root);
void AddSnapshotCreateCommand(Command& root);
void AddSnapshotListCommand(Command& root);
void AddSnapshotDeleteCommand(Command& root);
void AddSnapshotRestoreCommand(Command& snapshot);
void AddSnapshotVerifyCommand(Command& snapshot);
void AddSnapshotDiffCommand(Command& snapshot);
void AddListCommand(Command& root);
void AddShowCommand(Command& root);
void AddManifestCommands(Command& root);

// `maintenance run|info|set` (command_maintenance.cc).
void AddMaintenanceCommands(Command& root);
// kubectl's verbs on control-plane resources: apply, create, get, describe, delete, patch
// (command_resource.cc).
void AddResourceCommands(Command& root);
// `node-agent --node NAME`: the data mover of one node (command_node_agent.cc).
void AddNodeAgentCommand(Command& root);
// `server`: Velero's server role — DPA, Backup, Restore, deletion, TTL (command_server.cc).
void AddServerCommand(Command& root);

}  // namespace ferry::cli
