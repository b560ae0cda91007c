// Status merge-patches per second on a file store (the node agents' progress updates): the issue
// asks for at least 2,000 per second.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>

#include "resource/sqlite_store.h"

namespace ferry::resource {
namespace {

std::string BenchStorePath() {
  auto dir = std::filesystem::temp_directory_path() / ("ferry-store-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / "store.db").string();
}

void BM_StatusMergePatch(benchmark::State& state) {
  std::string path = BenchStorePath();
  auto store = OpenSqliteStore(path);
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  const int kObjects = static_cast<int>(state.range(0));
  for (int i = 0; i < kObjects; ++i) {
    Object du = Object::parse(R"({"apiVersion":"velero.io/v2alpha1","kind":"DataUpload",
      "metadata":{"namespace":"openshift-adp","labels":{"velero.io/backup-name":"b"}},
      "spec":{"snapshotType":"CSI","sourcePVC":"p","backupStorageLocation":"default","sourceNamespace":"app",
              "operationTimeout":"10m0s","csiSnapshot":{"volumeSnapshot":"vs","storageClass":"sc"}},
      "status":{"phase":"InProgress","node":"node-1"}})");
    du["metadata"]["name"] = "du-" + std::to_string(i);
    if (!(*store)->Create(du).ok()) {
      state.SkipWithError("create failed");
      return;
    }
  }
  int64_t n = 0;
  for (auto _ : state) {
    Object patch = {{"status", {{"progress", {{"bytesDone", n * 4096}, {"totalBytes", int64_t{1} << 40}}}}}};
    auto r = (*store)->MergePatch("DataUpload", "openshift-adp", "du-" + std::to_string(n % kObjects), patch);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    ++n;
  }
  state.SetItemsProcessed(state.iterations());
  store->reset();
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}
BENCHMARK(BM_StatusMergePatch)->Arg(1)->Arg(200)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ferry::resource

BENCHMARK_MAIN();
