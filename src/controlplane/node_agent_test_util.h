// Fixtures for node agent tests: a store file in a temp directory, manifests applied from YAML,
// local volumes (directories and image files) with their PVC/PV, and node agents run in threads
// with their own Store handles, as separate processes would.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "controlplane/log.h"
#include "controlplane/node_agent.h"
#include "resource/sqlite_store.h"
#include "resource/yaml.h"

namespace ferry::controlplane::testing {

namespace fs = std::filesystem;
using resource::Object;

inline void WriteRandomFile(const fs::path& path, size_t size, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::ofstream out(path, std::ios::binary);
  std::vector<uint64_t> buf(8192);
  size_t left = size;
  while (left > 0) {
    for (auto& w : buf) w = rng();
    size_t n = std::min(left, buf.size() * sizeof(uint64_t));
    out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(n));
    left -= n;
  }
}

inline std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every regular file under root, relative path → content.
inline std::map<std::string, std::string> TreeContents(const fs::path& root) {
  std::map<std::string, std::string> out;
  if (!fs::exists(root)) return out;
  for (auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) out[fs::relative(e.path(), root).string()] = ReadFile(e.path());
  }
  return out;
}

class RunningAgent {
 public:
  RunningAgent(const std::string& store_path, NodeAgentOptions options) {
    store_ = std::move(resource::OpenSqliteStore(store_path)).value();
    agent_ = std::make_unique<NodeAgent>(*store_, std::move(options));
    thread_ = std::thread([this] { status_ = agent_->Run(stop_); });
  }
  ~RunningAgent() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  NodeAgent& agent() { return *agent_; }

 private:
  std::unique_ptr<resource::Store> store_;
  std::unique_ptr<NodeAgent> agent_;
  std::atomic<bool> stop_{false};
  Status status_;
  std::thread thread_;
};

class NodeAgentFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = fs::path(::testing::TempDir()) /
           ("ferry-na-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "backups");
    fs::create_directories(dir_ / "volumes");
    fs::create_directories(dir_ / "provisioned");
    store_path_ = (dir_ / "store.db").string();
    store_ = std::move(resource::OpenSqliteStore(store_path_)).value();
    previous_sink_ = SetLogSink([this](LogLevel, std::string_view m) {
      std::lock_guard<std::mutex> lock(log_mutex_);
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_).count();
      log_ += std::to_string(ms) + " " + std::string(m) + "\n";
    });
    Apply(R"(
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {name: default, namespace: velero}
spec: {provider: aws, objectStorage: {bucket: velero, prefix: velero}, config: {fspath: )" +
          (dir_ / "backups").string() + R"(}}
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata: {name: ferry-copy, labels: {velero.io/csi-volumesnapshot-class: "true"}}
driver: ferry.local/copy
deletionPolicy: Delete
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata: {name: unlabelled}
driver: ferry.local/copy
deletionPolicy: Delete
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: hostpath}
provisioner: ferry.local/hostpath
parameters: {path: )" + (dir_ / "provisioned").string() + R"(}
reclaimPolicy: Delete
)");
  }
  void TearDown() override {
    agents_.clear();
    SetLogSink(previous_sink_);
    if (HasFailure() || getenv("FERRY_TEST_LOG")) std::cerr << "node agent log:\n" << Log() << "\n";
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string Log() {
    std::lock_guard<std::mutex> lock(log_mutex_);
    return log_;
  }

  void Apply(const std::string& yaml) {
    auto objects = resource::ParseYaml(yaml);
    ASSERT_TRUE(objects.ok()) << objects.status().ToString();
    for (auto& o : *objects) {
      auto c = store_->Create(o);
      ASSERT_TRUE(c.ok()) << c.status().ToString();
    }
  }

  NodeAgentOptions Options(const std::string& node) {
    NodeAgentOptions o;
    o.mover.node = node;
    o.mover.progress_interval_ms = 100;
    o.resync_interval_ms = 200;
    o.idle_wait_ms = 100;
    o.busy_wait_ms = 20;
    o.maintenance = false;
    o.mover.snapshot_root = (dir_ / "snapshots").string();
    o.mover.volume_root = (dir_ / "provisioned").string();
    return o;
  }
  RunningAgent& StartAgent(const std::string& node, std::function<void(NodeAgentOptions&)> tweak = nullptr) {
    NodeAgentOptions o = Options(node);
    if (tweak) tweak(o);
    agents_.push_back(std::make_unique<RunningAgent>(store_path_, o));
    return *agents_.back();
  }

  // A Filesystem volume directory with a few files, its PV and bound PVC in namespace app.
  fs::path FilesystemVolume(const std::string& pvc, size_t big_file_size = 3 << 20) {
    fs::path path = dir_ / "volumes" / pvc;
    fs::create_directories(path / "sub");
    WriteRandomFile(path / "big.bin", big_file_size, 1);
    std::ofstream(path / "sub" / "hello.txt") << "hello from " << pvc << "\n";
    Apply(VolumeManifests(pvc, path, "Filesystem"));
    return path;
  }
  // A Block volume: an image file.
  fs::path BlockVolume(const std::string& pvc, size_t size = 4 << 20) {
    fs::path path = dir_ / "volumes" / (pvc + ".img");
    WriteRandomFile(path, size, 7);
    Apply(VolumeManifests(pvc, path, "Block"));
    return path;
  }
  std::string VolumeManifests(const std::string& pvc, const fs::path& path, const std::string& mode) {
    return "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv-" + pvc +
           "}\nspec: {capacity: {storage: 1Gi}, volumeMode: " + mode + ", local: {path: " + path.string() +
           "}, accessModes: [ReadWriteOnce], claimRef: {namespace: app, name: " + pvc +
           "}}\n---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: " + pvc +
           ", namespace: app}\nspec: {volumeName: pv-" + pvc + ", volumeMode: " + mode +
           ", storageClassName: hostpath, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n";
  }
  void Snapshot(const std::string& vs, const std::string& pvc, const std::string& klass = "ferry-copy",
                const std::string& status = "") {
    Apply("apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata: {name: " + vs +
          ", namespace: app}\nspec: {volumeSnapshotClassName: " + klass + ", source: {persistentVolumeClaimName: " +
          pvc + "}}\n" + status);
  }
  void DataUpload(const std::string& name, const std::string& vs, const std::string& pvc, const std::string& extra_spec = "") {
    Apply("apiVersion: velero.io/v2alpha1\nkind: DataUpload\nmetadata: {name: " + name +
          ", namespace: velero, labels: {velero.io/async-operation-id: du-op-" + name +
          "}}\nspec:\n  snapshotType: CSI\n  csiSnapshot: {volumeSnapshot: " + vs +
          ", storageClass: hostpath, snapshotClass: ferry-copy}\n  sourcePVC: " + pvc +
          "\n  sourceNamespace: app\n  backupStorageLocation: default\n  operationTimeout: 10m0s\n" + extra_spec);
  }

  Object Get(const std::string& kind, const std::string& name, const std::string& ns = "velero") {
    auto o = store_->Get(kind, ns, name);
    return o.ok() ? *o : Object();
  }
  std::string Phase(const std::string& kind, const std::string& name) {
    return resource::StringAt(Get(kind, name), "status.phase");
  }
  // Polls until the object's phase is one of `phases` (or the object is gone and "" is listed).
  std::string WaitForPhase(const std::string& kind, const std::string& name, std::set<std::string> phases,
                           int timeout_ms = 60000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::string p;
    while (std::chrono::steady_clock::now() < deadline) {
      auto o = store_->Get(kind, "velero", name);
      p = o.ok() ? resource::StringAt(*o, "status.phase") : std::string("<gone>");
      if (phases.count(p)) return p;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return p;
  }
  void Patch(const std::string& kind, const std::string& name, const std::string& json, const std::string& ns = "velero") {
    auto r = store_->MergePatch(kind, ns, name, Object::parse(json));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  // No snapshot taken by the exposer is left, the exposure record is gone, finalizer removed.
  void ExpectCleanedUp(const std::string& kind, const std::string& name, const std::string& snapshot_seen = "") {
    Object o = Get(kind, name);
    if (!o.is_null()) {
      EXPECT_EQ(resource::Annotations(o).count("ferry.io/exposed"), 0u) << resource::Annotations(o)["ferry.io/exposed"];
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (resource::HasFinalizer(Get(kind, name), "velero.io/data-upload-download-finalizer") &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      Object again = Get(kind, name);
      if (!again.is_null()) {
        EXPECT_FALSE(resource::HasFinalizer(again, "velero.io/data-upload-download-finalizer"));
      }
    }
    if (!snapshot_seen.empty()) {
      EXPECT_FALSE(fs::exists(snapshot_seen)) << snapshot_seen;
    }
  }
  // The snapshot path the exposer recorded (while the object is exposed).
  std::string ExposedSnapshot(const std::string& kind, const std::string& name) {
    auto a = resource::Annotations(Get(kind, name));
    auto it = a.find("ferry.io/exposed");
    if (it == a.end()) return "";
    return Object::parse(it->second).value("snapshot", std::string());
  }

  fs::path dir_;
  std::string store_path_;
  std::unique_ptr<resource::Store> store_;
  std::vector<std::unique_ptr<RunningAgent>> agents_;
  std::mutex log_mutex_;
  std::string log_;
  LogSink previous_sink_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace ferry::controlplane::testing
