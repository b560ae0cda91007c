#include "cli/commands.h"
#include "cli/connection.h"

namespace ferry::cli {

std::unique_ptr<Command> BuildApp() {
  auto root = std::make_unique<Command>(
      "ferry",
      "Ferry moves Kubernetes volume snapshots into incremental, deduplicated, encrypted\n"
      "Kopia-format repositories (format version 3), and restores them.");

  AddGlobalFlags(*root);

  Command& repository = root->AddCommand("repository", "Commands to manipulate repository.").Alias("repo");
  AddRepositoryCreateCommand(repository);
  AddRepositoryConnectCommand(repository);
  AddRepositoryStatusCommand(repository);
  AddRepositoryDisconnectCommand(repository);
  AddRepositoryChangePasswordCommand(repository);
  AddContentCommands(*root);
  AddBlobCommands(*root);
  AddIndexCommands(*root);
  AddSnapshotCreateCommand(*root);
  AddSnapshotListCommand(*root);
  AddSnapshotDeleteCommand(*root);
  AddSnapshotRestoreCommand(SnapshotCommand(*root));
  AddSnapshotVerifyCommand(SnapshotCommand(*root));
  AddSnapshotDiffCommand(SnapshotCommand(*root));
  AddListCommand(*root);
  AddShowCommand(*root);
  AddManifestCommands(*root);
  AddMaintenanceCommands(*root);
  AddResourceCommands(*root);
  AddNodeAgentCommand(*root);
  AddServerCommand(*root);

  Command& benchmark = root->AddCommand("benchmark", "Commands to test performance of algorithms.");
  AddBenchmarkHashingCommand(benchmark);
  AddBenchmarkEncryptionCommand(benchmark);
  AddBenchmarkSplitterCommand(benchmark);
  AddBenchmarkCompressionCommand(benchmark);
  return root;
}

}  // namespace ferry::cli
