// The node agent in-process: agents run in threads with their own Store handles on one store file
// (as separate processes would), against real repositories in a temp directory (BSL fspath) and
// volumes that are directories and image files. Each test checks the documented end state: phase,
// message, status fields, and that no temporary object is left behind.
#include <memory>

#include <gtest/gtest.h>

#include "controlplane/labels.h"
#include "controlplane/node_agent_test_util.h"
#include "controlplane/repository_ensurer.h"
#include "datapath/datapath.h"
#include "resource/time_util.h"

namespace ferry::controlplane::testing {
namespace {

class NodeAgentTest : public NodeAgentFixture {
 protected:
  std::unique_ptr<datapath::Session> OpenRepository(const std::string& ns = "app") {
    datapath::RepositoryLocation location;
    location.storage = {{"type", "filesystem"}, {"path", (dir_ / "backups" / "velero" / "kopia" / ns).string()}};
    location.password = "static-passw0rd";
    auto s = datapath::ConnectOrCreate(location, {}, false);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
};

TEST_F(NodeAgentTest, UploadsFilesystemAndBlockThenRestoresThem) {
  fs::path fs_volume = FilesystemVolume("data");
  fs::path block_volume = BlockVolume("disk");
  Snapshot("vs-data", "data");
  Snapshot("vs-disk", "disk");
  DataUpload("up-data", "vs-data", "data");
  DataUpload("up-disk", "vs-disk", "disk");
  StartAgent("node-1");
  ASSERT_EQ(WaitForPhase("DataUpload", "up-data", {"Completed", "Failed", "Canceled"}), "Completed");
  ASSERT_EQ(WaitForPhase("DataUpload", "up-disk", {"Completed", "Failed", "Canceled"}), "Completed");
  for (const char* name : {"up-data", "up-disk"}) {
    Object du = Get("DataUpload", name);
    EXPECT_EQ(resource::StringAt(du, "status.node"), "node-1");
    EXPECT_FALSE(resource::StringAt(du, "status.snapshotID").empty());
    EXPECT_FALSE(resource::StringAt(du, "status.path").empty());
    EXPECT_FALSE(resource::StringAt(du, "status.startTimestamp").empty());
    EXPECT_FALSE(resource::StringAt(du, "status.completionTimestamp").empty());
    EXPECT_GT(resource::IntAt(du, "status.progress.totalBytes"), 0);
    EXPECT_EQ(resource::IntAt(du, "status.progress.bytesDone"), resource::IntAt(du, "status.progress.totalBytes"));
    EXPECT_EQ(resource::Labels(du)["velero.io/accepted-by"], "node-1");
    EXPECT_FALSE(resource::Annotations(du)["velero.io/accepted-at"].empty());
    ExpectCleanedUp("DataUpload", name);
  }
  EXPECT_EQ(resource::IntAt(Get("DataUpload", "up-disk"), "status.progress.totalBytes"), 4 << 20);
  // Velero deletes the source VolumeSnapshots after the data has moved.
  EXPECT_FALSE(store_->Get("VolumeSnapshot", "app", "vs-data").ok());
  // The repository holds the snapshots under Velero's source and tags.
  auto session = OpenRepository();
  ASSERT_TRUE(session);
  auto snapshots = datapath::ListSnapshots(*session);
  ASSERT_TRUE(snapshots.ok());
  std::set<std::string> sources;
  for (const auto& s : *snapshots) {
    if (s.incomplete) continue;
    sources.insert(s.source);
    EXPECT_EQ(s.tags.at("snapshot-requester"), "snapshot-data-upload-download");
    EXPECT_EQ(s.tags.at("snapshot-uploader"), "kopia");
    EXPECT_EQ(s.tags.at("velero.io/async-operation-id").rfind("du-op-up-", 0), 0u);
  }
  EXPECT_EQ(sources, (std::set<std::string>{"default@default:snapshot-data-upload-download/kopia/app/data",
                                            "default@default:snapshot-data-upload-download/kopia/app/disk"}));
  // Restore both into new PVCs.
  Apply(R"(
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data-restored, namespace: app}
spec: {storageClassName: hostpath, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}},
       selector: {matchLabels: {velero.io/dynamic-pv-restore: app.data-restored.abcde}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: disk-restored, namespace: app}
spec: {storageClassName: hostpath, volumeMode: Block, accessModes: [ReadWriteOnce], resources: {requests: {storage: 4Mi}}}
)");
  for (auto [dd, pvc, du] : {std::tuple{"down-data", "data-restored", "up-data"}, std::tuple{"down-disk", "disk-restored", "up-disk"}}) {
    Apply(std::string("apiVersion: velero.io/v2alpha1\nkind: DataDownload\nmetadata: {name: ") + dd +
          ", namespace: velero}\nspec:\n  targetVolume: {pvc: " + pvc + ", pv: \"\", namespace: app}\n"
          "  backupStorageLocation: default\n  sourceNamespace: app\n  operationTimeout: 10m0s\n  snapshotID: " +
          resource::StringAt(Get("DataUpload", du), "status.snapshotID") + "\n");
  }
  ASSERT_EQ(WaitForPhase("DataDownload", "down-data", {"Completed", "Failed", "Canceled"}), "Completed");
  ASSERT_EQ(WaitForPhase("DataDownload", "down-disk", {"Completed", "Failed", "Canceled"}), "Completed");
  ExpectCleanedUp("DataDownload", "down-data");
  Object pvc = Get("PersistentVolumeClaim", "data-restored", "app");
  std::string pv_name = resource::StringAt(pvc, "spec.volumeName");
  ASSERT_FALSE(pv_name.empty());
  EXPECT_EQ(resource::StringAt(pvc, "status.phase"), "Bound");
  EXPECT_EQ(pvc["status"].value("accessModes", Object::array()), Object::array({"ReadWriteOnce"}));
  Object pv = Get("PersistentVolume", pv_name, "");
  EXPECT_EQ(resource::StringAt(pv, "spec.claimRef.name"), "data-restored");
  EXPECT_EQ(resource::Labels(pv)["velero.io/dynamic-pv-restore"], "app.data-restored.abcde");
  EXPECT_EQ(TreeContents(resource::StringAt(pv, "spec.local.path")), TreeContents(fs_volume));
  Object disk_pv = Get("PersistentVolume", resource::StringAt(Get("PersistentVolumeClaim", "disk-restored", "app"), "spec.volumeName"), "");
  EXPECT_EQ(resource::StringAt(disk_pv, "spec.volumeMode"), "Block");
  std::string restored = ReadFile(resource::StringAt(disk_pv, "spec.local.path"));
  std::string original = ReadFile(block_volume);
  EXPECT_EQ(restored.substr(0, original.size()), original);
}

TEST_F(NodeAgentTest, TwoAgentsRaceAndEachUploadRunsExactlyOnce) {
  const int kUploads = 8;
  for (int i = 0; i < kUploads; ++i) {
    std::string n = std::to_string(i);
    FilesystemVolume("v" + n, 64 << 10);
    Snapshot("vs" + n, "v" + n);
  }
  for (int i = 0; i < kUploads; ++i) DataUpload("du" + std::to_string(i), "vs" + std::to_string(i), "v" + std::to_string(i));
  StartAgent("node-1");
  StartAgent("node-2");
  std::map<std::string, int> per_node;
  for (int i = 0; i < kUploads; ++i) {
    std::string name = "du" + std::to_string(i);
    ASSERT_EQ(WaitForPhase("DataUpload", name, {"Completed", "Failed", "Canceled"}), "Completed") << name;
    Object du = Get("DataUpload", name);
    EXPECT_EQ(resource::Labels(du)["velero.io/accepted-by"], resource::StringAt(du, "status.node"));
    per_node[resource::StringAt(du, "status.node")]++;
  }
  // Exactly one snapshot per DataUpload: a lost claim never uploads.
  auto session = OpenRepository();
  ASSERT_TRUE(session);
  auto snapshots = datapath::ListSnapshots(*session);
  ASSERT_TRUE(snapshots.ok());
  int complete = 0;
  for (const auto& s : *snapshots) complete += s.incomplete ? 0 : 1;
  EXPECT_EQ(complete, kUploads);
  std::cerr << "claims: node-1 " << per_node["node-1"] << ", node-2 " << per_node["node-2"] << "\n";
}

TEST_F(NodeAgentTest, CancelInNewEndsCanceled) {
  FilesystemVolume("data");
  Snapshot("vs", "data");
  DataUpload("du", "vs", "data", "  cancel: true\n");
  StartAgent("node-1");
  ASSERT_EQ(WaitForPhase("DataUpload", "du", {"Completed", "Failed", "Canceled"}), "Canceled");
  Object du = Get("DataUpload", "du");
  EXPECT_FALSE(resource::StringAt(du, "status.completionTimestamp").empty());
  EXPECT_FALSE(resource::StringAt(du, "status.startTimestamp").empty());
  EXPECT_NE(resource::StringAt(du, "status.message").find("canceled"), std::string::npos);
  ExpectCleanedUp("DataUpload", "du");
}

TEST_F(NodeAgentTest, CancelInAcceptedWhileTheSnapshotIsNotReady) {
  FilesystemVolume("data");
  Snapshot("vs", "data", "ferry-copy", "status: {readyToUse: false}\n");
  DataUpload("du", "vs", "data");
  StartAgent("node-1");
  ASSERT_EQ(WaitForPhase("DataUpload", "du", {"Accepted"}), "Accepted");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Phase("DataUpload", "du"), "Accepted");  // waits for readyToUse
  Patch("DataUpload", "du", R"({"spec":{"cancel":true}})");
  ASSERT_EQ(WaitForPhase("DataUpload", "du", {"Completed", "Failed", "Canceled"}), "Canceled");
  ExpectCleanedUp("DataUpload", "du");
  EXPECT_FALSE(store_->Get("VolumeSnapshot", "app", "vs").ok());
}

TEST_F(NodeAgentTest, CancelInPreparedWhileWaitingForASlot) {
  FilesystemVolume("data");
  Snapshot("vs", "data");
  RunningAgent& agent = StartAgent("node-1");
  // Occupy the node's only slot before the DataUpload exists.
  // Shared with the blocker thread, which may outlive this test body (it ends in TearDown).
  auto release = std::make_shared<std::atomic<bool>>(false);
  struct ReleaseOnExit {
    std::shared_ptr<std::atomic<bool>> flag;
    ~ReleaseOnExit() { *flag = true; }
  } release_on_exit{release};
  ASSERT_TRUE(agent.agent().data_path().TryStart("Blocker/x/y", [release](TransferContext& context) {
    while (!*release && !context.cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return TransferOutcome{};
  }));
  DataUpload("du", "vs", "data");
  ASSERT_EQ(WaitForPhase("DataUpload", "du", {"Prepared", "InProgress", "Completed"}), "Prepared");
  std::string snapshot = ExposedSnapshot("DataUpload", "du");
  ASSERT_FALSE(snapshot.empty());
  EXPECT_TRUE(fs::exists(snapshot));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Phase("DataUpload", "du"), "Prepared");  // stays Prepared while the slot is taken
  Patch("DataUpload", "du", R"({"spec":{"cancel":true}})");
  ASSERT_EQ(WaitForPhase("DataUpload", "du", {"Completed", "Failed", "Canceled"}), "Canceled");
  ExpectCleanedUp("DataUpload", "du", snapshot);
}

TEST_F(NodeAgentTest, CancelInProgressGoesThroughCanceling) {
  FilesystemVolume("data", 256 << 20);
  Snapshot("vs", "data");
  DataUpload("du", "vs", "data");
  StartAgent("node-1");
  ASSERT_EQ(WaitForPhase("DataUpload", "du", {"InProgress", "Completed", "Failed"}), "InProgress");
  std::string snapshot = ExposedSnapshot("DataUpload", "du");
  Patch("DataUpload", "du", R"({"spec":{"cancel":true}})");
  std::string p = WaitForPhase("DataUpload", "du", {"Canceling", "Canceled", "Completed"});
  ASSERT_TRUE(p == "Canceling" || p == "Canceled") << p;
  ASSERT_EQ(WaitForPhase("DataUpload", "du", {"Completed", "Failed", "Canceled"}), "Canceled");
  EXPECT_NE(Log().find("canceling"), std::string::npos);
  ExpectCleanedUp("DataUpload", "du", snapshot);
}

TEST_F(NodeAgentTest, DeletingARunningUploadCancelsItAndRemovesIt) {
  FilesystemVolume("data", 256 << 20);
  Snapshot("vs", "data");
  DataUpload("du", "vs", "data");
  StartAgent("node-1");
  ASSERT_EQ(WaitForPhase("DataUpload", "du", {"InProgress", "Completed", "Failed"}), "InProgress");
  std::string snapshot = ExposedSnapshot("DataUpload", "du");
  ASSERT_TRUE(store_->Delete("DataUpload", "velero", "du").ok());
  EXPECT_EQ(WaitForPhase("DataUpload", "du", {"<gone>"}), "<gone>");
  EXPECT_FALSE(snapshot.empty());
  EXPECT_FALSE(fs::exists(snapshot));
  EXPECT_NE(Log().find("is Canceled: data upload was canceled because it is being deleted"), std::string::npos) << Log();
}

TEST_F(NodeAgentTest, PrepareTimeoutFailsAcceptedUpload) {
  FilesystemVolume("data");
  Snapshot("vs", "data", "ferry-copy", "status: {readyToUse: false}\n");
  DataUpload("du", "vs", "data");
  StartAgent("node-1", [](NodeAgentOptions& o) { o.mover.prepare_timeout_s = 1; });
  ASSERT_EQ(WaitForPhase("DataUpload", "du", {"Completed", "Failed", "Canceled"}, 10000), "Failed");
  EXPECT_EQ(resource::StringAt(Get("DataUpload", "du"), "status.message"), "timeout on preparing data upload");
  ExpectCleanedUp("DataUpload", "du");
}

TEST_F(NodeAgentTest, OperationTimeoutBoundsTheWaitForTheSnapshot) {
  FilesystemVolume("data");
  Snapshot("vs", "data", "ferry-copy", "status: {readyToUse: false}\n");
  DataUpload("du", "vs", "data");
  Patch("DataUpload", "du", R"({"spec":{"operationTimeout":"1s"}})");
  StartAgent("node-1");
  ASSERT_EQ(WaitForPhase("DataUpload", "du", {"Completed", "Failed", "Canceled"}, 10000), "Failed");
  EXPECT_EQ(resource::StringAt(Get("DataUpload", "du"), "status.message"),
            "error to expose snapshot: VolumeSnapshot app/vs did not become ready to use within operationTimeout 1s");
  ExpectCleanedUp("DataUpload", "du");
}

TEST_F(NodeAgentTest, MissingPvcFailsWithTheName) {
  Snapshot("vs", "nothere");
  DataUpload("du", "vs", "nothere");
  StartAgent("node-1");
  ASSERT_EQ(WaitForPhase("DataUpload", "du", {"Completed", "Failed", "Canceled"}), "Failed");
  EXPECT_EQ(resource::StringAt(Get("DataUpload", "du"), "status.message"),
            "error to expose snapshot: PersistentVolumeClaim app/nothere not found");
  ExpectCleanedUp("DataUpload", "du");
}

TEST_F(NodeAgentTest, UnlabelledSnapshotClassIsRefused) {
  FilesystemVolume("data");
  Snapshot("vs", "data", "unlabelled");
  DataUpload("du", "vs", "data");
  StartAgent("node-1");
  ASSERT_EQ(WaitForPhase("DataUpload", "du", {"Completed", "Failed", "Canceled"}), "Failed");
  EXPECT_NE(resource::StringAt(Get("DataUpload", "du"), "status.message").find("velero.io/csi-volumesnapshot-class"),
            std::string::npos);
}

TEST_F(NodeAgentTest, WrongRepositoryPasswordFailsTheUpload) {
  FilesystemVolume("data");
  Snapshot("vs", "data");
  DataUpload("first", "vs", "data");
  {
    RunningAgent& a = StartAgent("node-1");
    ASSERT_EQ(WaitForPhase("DataUpload", "first", {"Completed", "Failed", "Canceled"}), "Completed");
    a.Stop();
  }
  // The password changes after the repository exists, and its BackupRepository is re-created.
  Patch("Secret", "velero-repo-credentials", R"({"data":{"repository-password":"d3JvbmctcGFzc3dvcmQ="}})");
  auto repos = store_->List("BackupRepository", {});
  ASSERT_TRUE(repos.ok());
  for (auto& r : *repos) ASSERT_TRUE(store_->Delete("BackupRepository", "velero", resource::Name(r)).ok());
  Snapshot("vs2", "data");
  DataUpload("second", "vs2", "data");
  StartAgent("node-1");
  ASSERT_EQ(WaitForPhase("DataUpload", "second", {"Completed", "Failed", "Canceled"}), "Failed");
  std::string message = resource::StringAt(Get("DataUpload", "second"), "status.message");
  EXPECT_NE(message.find("backup repository is not ready"), std::string::npos) << message;
  EXPECT_NE(message.find("password"), std::string::npos) << message;
  ExpectCleanedUp("DataUpload", "second");
}

TEST_F(NodeAgentTest, UnreachableBslFailsTheUpload) {
  Apply(R"(
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {name: offline, namespace: velero}
spec: {provider: aws, objectStorage: {bucket: b, prefix: p}, config: {region: us-east-1, s3Url: "http://127.0.0.1:9", s3ForcePathStyle: "true"}}
---
apiVersion: v1
kind: Secret
metadata: {name: cloud-credentials, namespace: velero}
stringData: {cloud: "[default]\naws_access_key_id=a\naws_secret_access_key=b\n"}
)");
  FilesystemVolume("data");
  Snapshot("vs", "data");
  DataUpload("du", "vs", "data");
  Patch("DataUpload", "du", R"({"spec":{"backupStorageLocation":"offline"}})");
  StartAgent("node-1");
  ASSERT_EQ(WaitForPhase("DataUpload", "du", {"Completed", "Failed", "Canceled"}, 120000), "Failed");
  std::string message = resource::StringAt(Get("DataUpload", "du"), "status.message");
  EXPECT_NE(message.find("backup repository is not ready"), std::string::npos) << message;
  EXPECT_NE(message.find("127.0.0.1:9"), std::string::npos) << message;
  ExpectCleanedUp("DataUpload", "du");
}

// What a node agent left behind when it stopped (store state written by hand, as a crash would
// leave it) is picked up by its successor with the same node name.
TEST_F(NodeAgentTest, RestartPicksUpAcceptedPreparedAndCancelingWorkOfThisNode) {
  fs::path accepted_volume = FilesystemVolume("acc");
  fs::path prepared_volume = FilesystemVolume("prep");
  Snapshot("vs-acc", "acc");
  Snapshot("vs-prep", "prep");
  DataUpload("accepted", "vs-acc", "acc");
  DataUpload("prepared", "vs-prep", "prep");
  DataUpload("canceling", "vs-prep", "prep");
  // Accepted by node-1, which died while copying the snapshot: a partial copy is on disk.
  fs::path stale = dir_ / "snapshots" / "stale-copy";
  fs::create_directories(stale);
  std::ofstream(stale / "half") << "partial";
  Object exposed = {{"driver", "ferry.local/copy"}, {"volumeMode", "Filesystem"}, {"snapshot", stale.string()},
                    {"sourcePath", accepted_volume.string()}};
  Patch("DataUpload", "accepted",
        Object{{"metadata", {{"finalizers", {"velero.io/data-upload-download-finalizer"}},
                             {"labels", {{"velero.io/accepted-by", "node-1"}}},
                             {"annotations", {{"velero.io/accepted-by", "node-1"},
                                              {"velero.io/accepted-at", resource::NowRfc3339()},
                                              {"ferry.io/exposed", exposed.dump()}}}}},
               {"status", {{"phase", "Accepted"}}}}.dump());
  // Prepared on node-1 with a live exposure of the volume.
  Object live = {{"driver", "ferry.local/live"}, {"volumeMode", "Filesystem"}, {"path", prepared_volume.string()}};
  Patch("DataUpload", "prepared",
        Object{{"metadata", {{"finalizers", {"velero.io/data-upload-download-finalizer"}},
                             {"annotations", {{"ferry.io/exposed", live.dump()}}}}},
               {"status", {{"phase", "Prepared"}, {"node", "node-1"}}}}.dump());
  // Canceling on node-1, whose transfer died with the process.
  Patch("DataUpload", "canceling",
        Object{{"metadata", {{"finalizers", {"velero.io/data-upload-download-finalizer"}}}},
               {"spec", {{"cancel", true}}},
               {"status", {{"phase", "Canceling"}, {"node", "node-1"}}}}.dump());
  StartAgent("node-1");
  EXPECT_EQ(WaitForPhase("DataUpload", "accepted", {"Completed", "Failed", "Canceled"}), "Completed");
  EXPECT_EQ(WaitForPhase("DataUpload", "prepared", {"Completed", "Failed", "Canceled"}), "Completed");
  EXPECT_EQ(WaitForPhase("DataUpload", "canceling", {"Completed", "Failed", "Canceled"}), "Canceled");
  EXPECT_FALSE(fs::exists(stale));  // the partial copy was cleaned up before exposing again
  ExpectCleanedUp("DataUpload", "accepted");
  EXPECT_TRUE(fs::exists(prepared_volume / "big.bin"));  // a live exposure never deletes the volume
}

TEST_F(NodeAgentTest, WorkOfAnotherNodeIsLeftAlone) {
  fs::path volume = FilesystemVolume("data");
  Snapshot("vs", "data");
  DataUpload("du", "vs", "data");
  Object live = {{"driver", "ferry.local/live"}, {"volumeMode", "Filesystem"}, {"path", volume.string()}};
  Patch("DataUpload", "du",
        Object{{"metadata", {{"finalizers", {"velero.io/data-upload-download-finalizer"}},
                             {"annotations", {{"ferry.io/exposed", live.dump()}}}}},
               {"status", {{"phase", "InProgress"}, {"node", "node-2"}}}}.dump());
  StartAgent("node-1");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(Phase("DataUpload", "du"), "InProgress");
  EXPECT_EQ(resource::StringAt(Get("DataUpload", "du"), "status.node"), "node-2");
}

TEST_F(NodeAgentTest, FailedDownloadRemovesTheProvisionedVolume) {
  FilesystemVolume("data");
  Snapshot("vs", "data");
  DataUpload("up", "vs", "data");
  StartAgent("node-1");
  ASSERT_EQ(WaitForPhase("DataUpload", "up", {"Completed", "Failed", "Canceled"}), "Completed");
  Apply(R"(
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: target, namespace: app}
spec: {storageClassName: hostpath, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: velero.io/v2alpha1
kind: DataDownload
metadata: {name: down, namespace: velero}
spec: {targetVolume: {pvc: target, pv: "", namespace: app}, backupStorageLocation: default, sourceNamespace: app,
       operationTimeout: 10m0s, snapshotID: 0123456789abcdef0123456789abcdef}
---
apiVersion: velero.io/v2alpha1
kind: DataDownload
metadata: {name: bound, namespace: velero}
spec: {targetVolume: {pvc: data, pv: "", namespace: app}, backupStorageLocation: default, sourceNamespace: app,
       operationTimeout: 10m0s, snapshotID: 0123456789abcdef0123456789abcdef}
)");
  ASSERT_EQ(WaitForPhase("DataDownload", "down", {"Completed", "Failed", "Canceled"}), "Failed");
  EXPECT_NE(resource::StringAt(Get("DataDownload", "down"), "status.message").find("0123456789abcdef0123456789abcdef"),
            std::string::npos);
  ExpectCleanedUp("DataDownload", "down");
  EXPECT_TRUE(fs::is_empty(dir_ / "provisioned"));  // the new volume was removed
  Object target = Get("PersistentVolumeClaim", "target", "app");
  EXPECT_EQ(resource::StringAt(target, "spec.volumeName"), "");
  ASSERT_EQ(WaitForPhase("DataDownload", "bound", {"Completed", "Failed", "Canceled"}), "Failed");
  EXPECT_NE(resource::StringAt(Get("DataDownload", "bound"), "status.message").find("is already bound"),
            std::string::npos);
}

TEST_F(NodeAgentTest, DownloadWaitsForItsTargetPvc) {
  Apply(R"(
apiVersion: velero.io/v2alpha1
kind: DataDownload
metadata: {name: down, namespace: velero}
spec: {targetVolume: {pvc: later, pv: "", namespace: app}, backupStorageLocation: default, sourceNamespace: app,
       operationTimeout: 10m0s, snapshotID: 0123456789abcdef0123456789abcdef}
)");
  StartAgent("node-1");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(Phase("DataDownload", "down"), "");  // not claimed: no target PVC yet
  Patch("DataDownload", "down", R"({"spec":{"cancel":true}})");
  ASSERT_EQ(WaitForPhase("DataDownload", "down", {"Completed", "Failed", "Canceled"}), "Canceled");
  ExpectCleanedUp("DataDownload", "down");
}

TEST_F(NodeAgentTest, OtherDataMoversAreIgnored) {
  FilesystemVolume("data");
  Snapshot("vs", "data");
  DataUpload("du", "vs", "data", "  datamover: someone-else\n");
  StartAgent("node-1");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  Object du = Get("DataUpload", "du");
  EXPECT_EQ(resource::StringAt(du, "status.phase"), "");
  EXPECT_TRUE(resource::Finalizers(du).empty());
}

TEST_F(NodeAgentTest, LoadConcurrencyBoundsRunningTransfersAndAllComplete) {
  Apply(R"(
apiVersion: v1
kind: ConfigMap
metadata: {name: node-agent-config, namespace: velero}
data:
  node-agent-config: '{"loadConcurrency":{"globalConfig":2}}'
)");
  const int kUploads = 12;
  for (int i = 0; i < kUploads; ++i) {
    std::string n = std::to_string(i);
    FilesystemVolume("v" + n, 2 << 20);
    Snapshot("vs" + n, "v" + n);
    DataUpload("du" + n, "vs" + n, "v" + n);
  }
  StartAgent("node-1");
  int max_running = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  int completed = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto list = store_->List("DataUpload", {});
    ASSERT_TRUE(list.ok());
    int running = 0;
    completed = 0;
    for (auto& o : *list) {
      std::string p = resource::StringAt(o, "status.phase");
      running += p == "InProgress" ? 1 : 0;
      completed += p == "Completed" ? 1 : 0;
    }
    max_running = std::max(max_running, running);
    if (completed == kUploads) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(completed, kUploads);
  EXPECT_LE(max_running, 2);
  EXPECT_GE(max_running, 1);
}

}  // namespace
}  // namespace ferry::controlplane::testing
