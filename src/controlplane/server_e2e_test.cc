// `ferry server` end to end, in process: the server loop and a node agent, each on its own
// handle of one SQLite store file, move real volumes (directories and a block image) into Kopia
// repositories in a local backup storage location and back.
//   - the OADP documentation's DPA, Backup and Restore manifests (names and location changed);
//   - disaster recovery: a fresh store pointed at the same location syncs the backup and restores it;
//   - 3 namespaces x 5 volumes, one snapshot failing: PartiallyFailed with the reason, 4 restorable;
//   - ttl 2s: the backup, its DataUploads, its metadata and its snapshots are gone soon after.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <thread>

#include "controlplane/backup_metadata.h"
#include "controlplane/log.h"
#include "controlplane/node_agent.h"
#include "controlplane/repository_ensurer.h"
#include "controlplane/server.h"
#include "datapath/datapath.h"
#include "resource/sqlite_store.h"
#include "resource/time_util.h"
#include "resource/yaml.h"

namespace ferry::controlplane {
namespace {

namespace fs = std::filesystem;
using resource::Object;
constexpr char kNs[] = "openshift-adp";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Files of database-like rows plus a binary blob, different for every seed.
void FillVolume(const fs::path& dir, int seed) {
  std::mt19937 rng(seed);
  fs::create_directories(dir / "db");
  for (int t = 0; t < 3; ++t) {
    std::ofstream f(dir / "db" / ("table" + std::to_string(t) + ".ibd"));
    for (int i = 0; i < 2000; ++i) f << i << ",row-" << rng() << "," << (rng() % 100000) << "\n";
  }
  std::string blob(256 * 1024, '\0');
  for (auto& c : blob) c = static_cast<char>(rng());
  std::ofstream(dir / "blob.bin", std::ios::binary) << blob;
}

// Whether two trees hold the same names and bytes.
::testing::AssertionResult SameTree(const fs::path& a, const fs::path& b) {
  std::vector<std::string> left, right;
  for (auto& e : fs::recursive_directory_iterator(a)) left.push_back(fs::relative(e.path(), a).string());
  for (auto& e : fs::recursive_directory_iterator(b)) right.push_back(fs::relative(e.path(), b).string());
  std::sort(left.begin(), left.end());
  std::sort(right.begin(), right.end());
  if (left != right) return ::testing::AssertionFailure() << a << " and " << b << " hold different names";
  for (const auto& rel : left) {
    if (fs::is_regular_file(a / rel) && ReadFile(a / rel) != ReadFile(b / rel)) {
      return ::testing::AssertionFailure() << rel << " differs";
    }
  }
  return ::testing::AssertionSuccess();
}

class ServerE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = fs::path(::testing::TempDir()) / ("ferry-srv-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "bsl");
    fs::create_directories(dir_ / "volumes");
    store_path_ = (dir_ / "store.db").string();
    store_ = std::move(resource::OpenSqliteStore(store_path_)).value();
    previous_ = SetLogSink([this](LogLevel, std::string_view m) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_ += std::string(m) + "\n";
    });
  }
  void TearDown() override {
    StopAll();
    SetLogSink(previous_);
    if (HasFailure()) {
      std::lock_guard<std::mutex> lock(log_mu_);
      std::cerr << "--- control plane log ---\n" << log_;
    }
    fs::remove_all(dir_);
  }

  void StartAll(bool with_agent = true) {
    stop_ = false;
    ServerOptions options;
    std::string path = store_path_;
    options.open_store = [path]() { return resource::OpenSqliteStore(path); };
    options.poll_interval_ms = 100;
    options.sync_period_ms = 300;
    options.retry_delay_ms = 300;
    options.backup.poll_interval_ms = 100;
    options.restore.poll_interval_ms = 100;
    options.restore.volume_root = (dir_ / "restored").string();
    options.deletion.poll_interval_ms = 100;
    options.lease_seconds = lease_seconds_;
    server_ = std::make_unique<Server>(options);
    server_thread_ = std::thread([this] {
      Status s = server_->Run(stop_);
      EXPECT_TRUE(s.ok()) << s.ToString();
    });
    if (with_agent) StartAgent();
  }
  void StartAgent() {
    std::string path = store_path_;
    agent_thread_ = std::thread([this, path] {
      auto store = resource::OpenSqliteStore(path);
      ASSERT_TRUE(store.ok());
      NodeAgentOptions o;
      o.mover.node = "node-1";
      o.mover.progress_interval_ms = 200;
      o.mover.snapshot_root = (dir_ / "snapshots").string();
      o.namespace_name = kNs;
      o.idle_wait_ms = 100;
      o.resync_interval_ms = 500;
      o.maintenance = false;
      NodeAgent agent(**store, o);
      Status s = agent.Run(stop_);
      EXPECT_TRUE(s.ok()) << s.ToString();
    });
  }
  void StopAll() {
    stop_ = true;
    if (server_thread_.joinable()) server_thread_.join();
    if (agent_thread_.joinable()) agent_thread_.join();
    server_.reset();
  }

  Object Apply(const std::string& yaml) {
    auto objects = resource::ParseYaml(yaml);
    EXPECT_TRUE(objects.ok()) << objects.status().ToString();
    Object last;
    for (auto& o : *objects) {
      auto r = store_->Create(o);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (r.ok()) last = *r;
    }
    return last;
  }

  // The DPA of the OADP data mover documentation; the location is a local directory.
  void ApplyDpaAndSnapshotClass() {
    Apply(R"(apiVersion: oadp.openshift.io/v1alpha1
kind: DataProtectionApplication
metadata:
  name: dpa-sample
  namespace: openshift-adp
spec:
  backupLocations:
    - name: default
      velero:
        config:
          profile: "default"
          region: us-east-1
          fspath: )" + (dir_ / "bsl").string() + R"(
        default: true
        objectStorage:
          bucket: my-bucket
          prefix: velero
        provider: aws
  configuration:
    nodeAgent:
      enable: true
      uploaderType: kopia
    velero:
      defaultPlugins:
        - openshift
        - aws
        - csi
      defaultSnapshotMoveData: true
      featureFlags:
        - EnableCSI
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata:
  name: ferry-copy
  labels:
    velero.io/csi-volumesnapshot-class: "true"
driver: ferry.local/copy
deletionPolicy: Retain
)");
  }

  // A bound PVC + PV pair over a directory (or, for block, an image file) under volumes/.
  fs::path AddVolume(const std::string& ns, const std::string& pvc, int seed, bool block = false,
                     const std::string& app = "mysql") {
    fs::path path = dir_ / "volumes" / (ns + "-" + pvc + (block ? ".img" : ""));
    std::string size = "1Gi";
    if (block) {
      std::mt19937 rng(seed);
      std::string data(4 << 20, '\0');
      for (size_t i = 0; i < data.size(); i += 4096) data[i] = static_cast<char>(rng());
      std::ofstream(path, std::ios::binary) << data;
      size = "4Mi";
    } else {
      FillVolume(path, seed);
    }
    std::string mode = block ? "Block" : "Filesystem";
    std::string pv = "pv-" + ns + "-" + pvc;
    Apply("apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: " + pv + "}\nspec:\n  capacity: {storage: " +
          size + "}\n  accessModes: [ReadWriteOnce]\n  volumeMode: " + mode +
          "\n  storageClassName: local\n  local: {path: " + path.string() +
          "}\n  claimRef: {namespace: " + ns + ", name: " + pvc +
          "}\n  persistentVolumeReclaimPolicy: Retain\nstatus: {phase: Bound}\n---\n"
          "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: " + pvc + ", namespace: " + ns +
          ", labels: {app: " + app + "}}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: " +
          size + "}}\n  storageClassName: local\n  volumeMode: " + mode + "\n  volumeName: " + pv +
          "\nstatus: {phase: Bound}\n");
    return path;
  }

  // Polls until pred holds (or the timeout passes); returns whether it held.
  bool WaitFor(const std::function<bool()>& pred, int timeout_ms = 40000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return pred();
  }
  std::string Phase(const std::string& kind, const std::string& name) {
    auto o = store_->Get(kind, kNs, name);
    return o.ok() ? resource::StringAt(*o, "status.phase") : "<" + o.status().message() + ">";
  }
  bool Terminal(const std::string& kind, const std::string& name) {
    std::string p = Phase(kind, name);
    return p == "Completed" || p == "PartiallyFailed" || p == "Failed" || p == "FailedValidation";
  }
  // The path of the volume now bound to ns/pvc.
  fs::path BoundPath(const std::string& ns, const std::string& pvc) {
    auto claim = store_->Get("PersistentVolumeClaim", ns, pvc);
    if (!claim.ok()) return {};
    auto pv = store_->Get("PersistentVolume", "", resource::StringAt(*claim, "spec.volumeName"));
    return pv.ok() ? fs::path(resource::StringAt(*pv, "spec.local.path")) : fs::path();
  }
  // Deletes the claims and volumes of the listed namespaces (the "disaster").
  void WipeVolumes(const std::vector<std::pair<std::string, std::string>>& claims) {
    for (auto& [ns, pvc] : claims) {
      fs::path path = BoundPath(ns, pvc);
      auto claim = store_->Get("PersistentVolumeClaim", ns, pvc).value();
      ASSERT_TRUE(store_->Delete("PersistentVolumeClaim", ns, pvc).ok());
      ASSERT_TRUE(store_->Delete("PersistentVolume", "", resource::StringAt(claim, "spec.volumeName")).ok());
      fs::rename(path, path.string() + ".original");
    }
  }
  std::vector<datapath::SnapshotInfo> Snapshots(const std::string& volume_ns) {
    RepositoryKey key;
    key.velero_namespace = kNs;
    key.volume_namespace = volume_ns;
    key.bsl = "default";
    auto location = ResolveRepositoryLocation(*store_, key);
    EXPECT_TRUE(location.ok()) << location.status().ToString();
    auto session = datapath::ConnectOrCreate(*location, {}, false);
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    if (!session.ok()) return {};
    return datapath::ListSnapshots(**session).value();
  }

  fs::path dir_;
  std::string store_path_;
  std::unique_ptr<resource::Store> store_;
  std::atomic<bool> stop_{false};
  int64_t lease_seconds_ = 15;
  std::unique_ptr<Server> server_;
  std::thread server_thread_, agent_thread_;
  std::mutex log_mu_;
  std::string log_;
  LogSink previous_;
};

// The OADP walkthrough: the documentation's Backup and Restore (names and location changed).
TEST_F(ServerE2eTest, OadpManifestsBackUpAndRestoreFilesystemAndBlockVolumes) {
  ApplyDpaAndSnapshotClass();
  fs::path fs_volume = AddVolume("mysql-persistent", "mysql", 1);
  fs::path block_volume = AddVolume("mysql-persistent", "disk", 2, /*block=*/true);
  StartAll();
  Apply(R"(kind: Backup
apiVersion: velero.io/v1
metadata:
  name: backup
  namespace: openshift-adp
spec:
  csiSnapshotTimeout: 10m0s
  defaultVolumesToFsBackup: false
  includedNamespaces:
  - mysql-persistent
  itemOperationTimeout: 4h0m0s
  snapshotMoveData: true
  storageLocation: default
  ttl: 720h0m0s
)");
  ASSERT_TRUE(WaitFor([&] { return Terminal("Backup", "backup"); })) << Phase("Backup", "backup");
  Object backup = store_->Get("Backup", kNs, "backup").value();
  ASSERT_EQ(resource::StringAt(backup, "status.phase"), "Completed") << backup.dump(2);
  EXPECT_EQ(resource::IntAt(backup, "status.backupItemOperationsAttempted"), 2);
  EXPECT_EQ(resource::IntAt(backup, "status.backupItemOperationsCompleted"), 2);
  EXPECT_EQ(resource::IntAt(backup, "status.errors"), 0);
  EXPECT_FALSE(resource::StringAt(backup, "status.expiration").empty());
  EXPECT_FALSE(resource::StringAt(backup, "status.completionTimestamp").empty());
  resource::ListOptions all;
  auto uploads = store_->List("DataUpload", all).value();
  ASSERT_EQ(uploads.size(), 2u);
  for (const Object& du : uploads) {
    EXPECT_EQ(resource::StringAt(du, "status.phase"), "Completed");
    EXPECT_EQ(resource::Name(du).rfind("backup-", 0), 0u);
    EXPECT_EQ(resource::Labels(du)["velero.io/backup-name"], "backup");
    EXPECT_EQ(resource::StringAt(du, "spec.operationTimeout"), "10m0s");
    EXPECT_GT(resource::IntAt(du, "status.progress.bytesDone"), 0);
    EXPECT_EQ(resource::IntAt(du, "status.progress.bytesDone"), resource::IntAt(du, "status.progress.totalBytes"));
    EXPECT_FALSE(resource::StringAt(du, "status.snapshotID").empty());
  }
  // The temporary VolumeSnapshots are gone; the metadata is in the location.
  EXPECT_TRUE(WaitFor([&] { return store_->List("VolumeSnapshot", all).value().empty(); }, 5000));
  EXPECT_TRUE(fs::exists(dir_ / "bsl" / "velero" / "backups" / "backup" / "velero-backup.json"));
  EXPECT_EQ(Snapshots("mysql-persistent").size(), 2u);

  WipeVolumes({{"mysql-persistent", "mysql"}, {"mysql-persistent", "disk"}});
  Apply(R"(apiVersion: velero.io/v1
kind: Restore
metadata:
  name: restore
  namespace: openshift-adp
spec:
  backupName: backup
)");
  ASSERT_TRUE(WaitFor([&] { return Terminal("Restore", "restore"); })) << Phase("Restore", "restore");
  Object restore = store_->Get("Restore", kNs, "restore").value();
  ASSERT_EQ(resource::StringAt(restore, "status.phase"), "Completed") << restore.dump(2);
  EXPECT_EQ(resource::IntAt(restore, "status.restoreItemOperationsCompleted"), 2);
  EXPECT_EQ(store_->List("DataDownload", all).value().size(), 2u);
  fs::path restored_fs = BoundPath("mysql-persistent", "mysql");
  ASSERT_FALSE(restored_fs.empty());
  EXPECT_TRUE(SameTree(fs_volume.string() + ".original", restored_fs));
  fs::path restored_block = BoundPath("mysql-persistent", "disk");
  EXPECT_EQ(ReadFile(restored_block), ReadFile(block_volume.string() + ".original"));
  auto claim = store_->Get("PersistentVolumeClaim", "mysql-persistent", "mysql").value();
  EXPECT_EQ(resource::StringAt(claim, "status.phase"), "Bound");
  auto pv = store_->Get("PersistentVolume", "", resource::StringAt(claim, "spec.volumeName")).value();
  EXPECT_EQ(resource::StringAt(pv, "spec.claimRef.name"), "mysql");
  EXPECT_EQ(resource::StringAt(pv, "spec.claimRef.namespace"), "mysql-persistent");

  // A second restore over the bound claims overwrites nothing: it warns and skips them.
  Apply("apiVersion: velero.io/v1\nkind: Restore\nmetadata: {name: again, namespace: openshift-adp}\n"
        "spec: {backupName: backup}\n");
  ASSERT_TRUE(WaitFor([&] { return Terminal("Restore", "again"); }));
  Object again = store_->Get("Restore", kNs, "again").value();
  EXPECT_EQ(resource::StringAt(again, "status.phase"), "Completed");
  EXPECT_EQ(resource::IntAt(again, "status.warnings"), 2);
  EXPECT_EQ(resource::IntAt(again, "status.restoreItemOperationsAttempted"), 0);
  EXPECT_TRUE(SameTree(fs_volume.string() + ".original", BoundPath("mysql-persistent", "mysql")));
}

TEST_F(ServerE2eTest, DisasterRecoveryFromAFreshStore) {
  ApplyDpaAndSnapshotClass();
  fs::path volume = AddVolume("app", "data", 7);
  StartAll();
  Apply("apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: dr, namespace: openshift-adp}\n"
        "spec: {includedNamespaces: [app], snapshotMoveData: true}\n");
  ASSERT_TRUE(WaitFor([&] { return Terminal("Backup", "dr"); }));
  ASSERT_EQ(Phase("Backup", "dr"), "Completed");
  StopAll();

  // The machine is lost: a new store file, the same bucket.
  store_.reset();
  fs::remove(store_path_);
  fs::remove(store_path_ + "-wal");
  fs::remove(store_path_ + "-shm");
  fs::rename(volume, volume.string() + ".original");
  store_path_ = (dir_ / "new-store.db").string();
  store_ = std::move(resource::OpenSqliteStore(store_path_)).value();
  ApplyDpaAndSnapshotClass();
  StartAll();
  ASSERT_TRUE(WaitFor([&] { return Phase("Backup", "dr") == "Completed"; })) << "the backup was synced";
  Apply("apiVersion: velero.io/v1\nkind: Restore\nmetadata: {name: dr-restore, namespace: openshift-adp}\n"
        "spec: {backupName: dr, namespaceMapping: {app: app-restored}}\n");
  ASSERT_TRUE(WaitFor([&] { return Terminal("Restore", "dr-restore"); }));
  ASSERT_EQ(Phase("Restore", "dr-restore"), "Completed") << store_->Get("Restore", kNs, "dr-restore").value().dump(2);
  fs::path restored = BoundPath("app-restored", "data");
  ASSERT_FALSE(restored.empty());
  EXPECT_TRUE(SameTree(volume.string() + ".original", restored));

  // The synced backup has no DataUploads in this store: deleting it forgets its snapshots from
  // what the location's metadata records.
  ASSERT_EQ(Snapshots("app").size(), 1u);
  ASSERT_TRUE(store_->Delete("Backup", kNs, "dr").ok());
  ASSERT_TRUE(WaitFor([&] { return store_->Get("Backup", kNs, "dr").status().code() == StatusCode::kNotFound; }));
  EXPECT_TRUE(Snapshots("app").empty());
}

TEST_F(ServerE2eTest, OneFailingSnapshotOfFifteenVolumesMakesPartiallyFailed) {
  ApplyDpaAndSnapshotClass();
  std::vector<std::pair<std::string, std::string>> claims;
  std::map<std::string, fs::path> paths;
  int seed = 100;
  for (std::string ns : {"ns-a", "ns-b", "ns-c"}) {
    for (int v = 0; v < 5; ++v) {
      std::string pvc = "vol-" + std::to_string(v);
      paths[ns + "/" + pvc] = AddVolume(ns, pvc, seed++);
      claims.push_back({ns, pvc});
    }
  }
  // One volume's data is gone from under its PV: its snapshot cannot be taken.
  fs::remove_all(paths["ns-b/vol-3"]);
  StartAll();
  Apply("apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: many, namespace: openshift-adp}\n"
        "spec: {includedNamespaces: [ns-a, ns-b, ns-c], snapshotMoveData: true}\n");
  ASSERT_TRUE(WaitFor([&] { return Terminal("Backup", "many"); }, 55000));
  Object backup = store_->Get("Backup", kNs, "many").value();
  ASSERT_EQ(resource::StringAt(backup, "status.phase"), "PartiallyFailed") << backup.dump(2);
  EXPECT_EQ(resource::IntAt(backup, "status.backupItemOperationsAttempted"), 15);
  EXPECT_EQ(resource::IntAt(backup, "status.backupItemOperationsCompleted"), 14);
  EXPECT_EQ(resource::IntAt(backup, "status.backupItemOperationsFailed"), 1);
  EXPECT_EQ(resource::IntAt(backup, "status.errors"), 1);
  std::string reason = resource::StringAt(backup, "status.failureReason");
  EXPECT_NE(reason.find("ns-b/vol-3"), std::string::npos) << reason;

  // The other volumes of that namespace restore (into a new namespace).
  Apply("apiVersion: velero.io/v1\nkind: Restore\nmetadata: {name: rest, namespace: openshift-adp}\n"
        "spec: {backupName: many, includedNamespaces: [ns-b], namespaceMapping: {ns-b: ns-b2}}\n");
  ASSERT_TRUE(WaitFor([&] { return Terminal("Restore", "rest"); }));
  Object restore = store_->Get("Restore", kNs, "rest").value();
  // The failed volume has no data to restore: an error for it, the 4 others restored.
  EXPECT_EQ(resource::StringAt(restore, "status.phase"), "PartiallyFailed") << restore.dump(2);
  EXPECT_EQ(resource::IntAt(restore, "status.restoreItemOperationsCompleted"), 4);
  for (int v : {0, 1, 2, 4}) {
    std::string pvc = "vol-" + std::to_string(v);
    fs::path restored = BoundPath("ns-b2", pvc);
    ASSERT_FALSE(restored.empty()) << pvc;
    EXPECT_TRUE(SameTree(paths["ns-b/" + pvc], restored)) << pvc;
  }
}

TEST_F(ServerE2eTest, TtlExpiryDeletesTheBackupItsDataUploadsMetadataAndSnapshots) {
  ApplyDpaAndSnapshotClass();
  AddVolume("app", "data", 9);
  StartAll();
  Apply("apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: short, namespace: openshift-adp}\n"
        "spec: {includedNamespaces: [app], snapshotMoveData: true, ttl: 2s}\n");
  // The backup may end after its 2 s have passed and go at once, so its history is read from
  // the watch feed rather than polled.
  ASSERT_TRUE(WaitFor([&] { return store_->Get("Backup", kNs, "short").status().code() == StatusCode::kNotFound; },
                      30000));
  auto events = store_->EventsSince(0, "Backup", 100000).value();
  std::string expiration, deleted_at;
  bool completed = false;
  for (const auto& e : events) {
    if (resource::Name(e.object) != "short") continue;
    if (resource::StringAt(e.object, "status.phase") == "Completed") {
      completed = resource::IntAt(e.object, "status.backupItemOperationsCompleted") == 1;
      expiration = resource::StringAt(e.object, "status.expiration");
    }
    if (deleted_at.empty()) deleted_at = resource::DeletionTimestamp(e.object);
  }
  EXPECT_TRUE(completed) << "the backup completed before it expired";
  ASSERT_FALSE(expiration.empty());
  ASSERT_FALSE(deleted_at.empty());
  int64_t late = resource::ParseRfc3339(deleted_at).value() - resource::ParseRfc3339(expiration).value();
  EXPECT_GE(late, 0) << "not deleted before it expired";
  EXPECT_LE(late, 5) << "deleted " << late << " s after expiry (" << expiration << " -> " << deleted_at << ")";
  resource::ListOptions all;
  EXPECT_TRUE(store_->List("DataUpload", all).value().empty());
  EXPECT_FALSE(fs::exists(dir_ / "bsl" / "velero" / "backups" / "short" / "velero-backup.json"));
  EXPECT_TRUE(Snapshots("app").empty()) << "the kopia snapshot is forgotten";
  // It stays gone: the sync does not bring it back.
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(store_->Get("Backup", kNs, "short").status().code(), StatusCode::kNotFound);
}

TEST_F(ServerE2eTest, ItemOperationTimeoutCancelsTheDataUpload) {
  ApplyDpaAndSnapshotClass();
  AddVolume("app", "data", 13);
  AddVolume("app", "cache", 14, false, "cache");  // not selected by the labelSelector
  StartAll(/*with_agent=*/false);  // no node agent yet: the DataUpload cannot progress
  Apply("apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: slow, namespace: openshift-adp}\n"
        "spec: {includedNamespaces: [app], labelSelector: {matchLabels: {app: mysql}}, snapshotMoveData: true,"
        " itemOperationTimeout: 1s}\n");
  auto cancelled = [&] {
    auto uploads = store_->List("DataUpload", resource::ListOptions()).value();
    return uploads.size() == 1 && resource::BoolAt(uploads[0], "spec.cancel");
  };
  ASSERT_TRUE(WaitFor(cancelled, 10000));
  EXPECT_EQ(Phase("Backup", "slow"), "WaitingForPluginOperations");
  StartAgent();  // the node agent ends the cancelled DataUpload
  ASSERT_TRUE(WaitFor([&] { return Terminal("Backup", "slow"); }));
  Object backup = store_->Get("Backup", kNs, "slow").value();
  EXPECT_EQ(resource::StringAt(backup, "status.phase"), "PartiallyFailed");
  EXPECT_EQ(resource::IntAt(backup, "status.backupItemOperationsFailed"), 1);
  EXPECT_NE(resource::StringAt(backup, "status.failureReason").find("itemOperationTimeout"), std::string::npos)
      << resource::StringAt(backup, "status.failureReason");
  auto du = store_->List("DataUpload", resource::ListOptions()).value().at(0);
  EXPECT_EQ(resource::StringAt(du, "status.phase"), "Canceled");
  EXPECT_EQ(resource::StringAt(du, "spec.sourcePVC"), "data") << "only the PVC the labelSelector matches";
}

TEST_F(ServerE2eTest, OneServerPerStore) {
  lease_seconds_ = 3;
  StartAll(/*with_agent=*/false);
  ASSERT_TRUE(WaitFor([&] { return store_->Get("ConfigMap", "kube-system", "ferry-server-lease").ok(); }, 5000));
  ServerOptions options;
  options.lease_seconds = 3;
  std::string path = store_path_;
  options.open_store = [path]() { return resource::OpenSqliteStore(path); };
  std::atomic<bool> stop_second{false};
  Server second(options);
  auto start = std::chrono::steady_clock::now();
  Status s = second.Run(stop_second);
  EXPECT_EQ(s.code(), StatusCode::kConflict) << s.ToString();
  EXPECT_NE(s.message().find("another ferry server"), std::string::npos) << s.message();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(3)) << "it waited for the lease to lapse";
  // Stopping the first hands the lease back.
  StopAll();
  EXPECT_EQ(store_->Get("ConfigMap", "kube-system", "ferry-server-lease").status().code(), StatusCode::kNotFound);
}

TEST_F(ServerE2eTest, DeletingTheBackupResourceDeletesItsData) {
  ApplyDpaAndSnapshotClass();
  AddVolume("app", "data", 11);
  StartAll();
  Apply("apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b1, namespace: openshift-adp}\n"
        "spec: {includedNamespaces: [app], snapshotMoveData: true}\n");
  ASSERT_TRUE(WaitFor([&] { return Terminal("Backup", "b1"); }));
  ASSERT_EQ(Snapshots("app").size(), 1u);
  Apply("apiVersion: velero.io/v1\nkind: DeleteBackupRequest\nmetadata: {name: b1-del, namespace: openshift-adp}\n"
        "spec: {backupName: b1}\n");
  ASSERT_TRUE(WaitFor([&] { return store_->Get("Backup", kNs, "b1").status().code() == StatusCode::kNotFound; }));
  EXPECT_TRUE(WaitFor([&] { return Phase("DeleteBackupRequest", "b1-del") == "Processed"; }, 5000));
  EXPECT_TRUE(Snapshots("app").empty());
  EXPECT_FALSE(fs::exists(dir_ / "bsl" / "velero" / "backups" / "b1"));

  // `ferry delete backup b2`: a plain delete of the resource, held by the server's finalizer
  // until the data is gone.
  Apply("apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b2, namespace: openshift-adp}\n"
        "spec: {includedNamespaces: [app], snapshotMoveData: true}\n");
  ASSERT_TRUE(WaitFor([&] { return Terminal("Backup", "b2"); }));
  ASSERT_EQ(Snapshots("app").size(), 1u);
  ASSERT_TRUE(store_->Delete("Backup", kNs, "b2").ok());
  ASSERT_TRUE(WaitFor([&] { return store_->Get("Backup", kNs, "b2").status().code() == StatusCode::kNotFound; }));
  EXPECT_TRUE(Snapshots("app").empty());
  EXPECT_TRUE(store_->List("DataUpload", resource::ListOptions()).value().empty());
  EXPECT_FALSE(fs::exists(dir_ / "bsl" / "velero" / "backups" / "b2"));
}

}  // namespace
}  // namespace ferry::controlplane
