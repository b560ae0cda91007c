#include "cli/commands.h"

namespace ferry::cli {

std::unique_ptr<Command> BuildApp() {
  auto root = std::make_unique<Command>(
      "ferry",
      "Ferry moves Kubernetes volume snapshots into incremental, deduplicated, encrypted\n"
      "Kopia-format repositories (format version 3), and restores them.");

  Command& benchmark = root->AddCommand("benchmark", "Commands to test performance of algorithms.");
  AddBenchmarkHashingCommand(benchmark);
  AddBenchmarkEncryptionCommand(benchmark);
  AddBenchmarkSplitterCommand(benchmark);
  AddBenchmarkCompressionCommand(benchmark);
  return root;
}

}  // namespace ferry::cli
