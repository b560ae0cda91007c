// The node agent as users run it: `ferry apply` of the OADP walkthrough's manifests, two
// `ferry node-agent` processes, `ferry get datauploads -A`, then DataDownloads; and a node agent
// killed with SIGKILL in the middle of an upload, restarted, resuming from its checkpoint.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "cli/test_util.h"
#include "controlplane/node_agent_test_util.h"
#include "datapath/datapath.h"
#include "resource/object.h"

namespace ferry::controlplane::testing {
namespace {

using ::ferry::testing::RunFerry;
using ::ferry::testing::RunShell;
using ::ferry::testing::TempDir;

// A `ferry node-agent` child process, its output in a log file.
class AgentProcess {
 public:
  AgentProcess(const std::string& args, const std::string& log) : log_(log) {
    std::string cmd = "exec " + ::ferry::testing::FerryBinary() + " node-agent " + args + " >>" + log + " 2>&1";
    pid_ = fork();
    if (pid_ == 0) {
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~AgentProcess() { Terminate(); }
  int Terminate(int sig = SIGTERM) {
    if (pid_ <= 0) return exit_code_;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
  }
  std::string Log() const { return ReadFile(log_); }

 private:
  std::string log_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

std::vector<std::string> Fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  std::string f;
  while (in >> f) out.push_back(f);
  return out;
}

// Rows of `ferry get datauploads -A` (or datadownloads), header checked.
std::vector<std::vector<std::string>> GetRows(const std::string& store, const std::string& plural) {
  auto out = RunFerry("get " + plural + " -A --store " + store, false);
  std::istringstream in(out.text);
  std::string line;
  std::vector<std::vector<std::string>> rows;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) {
      EXPECT_EQ(Fields(line), Fields("NAMESPACE NAME STATUS STARTED BYTES DONE TOTAL BYTES STORAGE LOCATION AGE NODE"))
          << line;
      header = false;
      continue;
    }
    if (!line.empty()) rows.push_back(Fields(line));
  }
  return rows;
}

bool WaitAll(const std::string& store, const std::string& plural, size_t count, const std::string& phase, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    auto rows = GetRows(store, plural);
    size_t done = 0;
    for (auto& r : rows) done += r.size() > 2 && r[2] == phase ? 1 : 0;
    if (rows.size() == count && done == count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string Volume(const std::string& pvc, const std::string& path, const std::string& mode) {
  return "---\napiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv-" + pvc +
         "}\nspec: {capacity: {storage: 1Gi}, volumeMode: " + mode + ", local: {path: " + path +
         "}, accessModes: [ReadWriteOnce], claimRef: {namespace: app, name: " + pvc + "}}\n"
         "---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: " + pvc +
         ", namespace: app}\nspec: {volumeName: pv-" + pvc + ", volumeMode: " + mode +
         ", storageClassName: hostpath, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n"
         "---\napiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata: {name: velero-" + pvc +
         "-x1y2z, namespace: app}\nspec: {volumeSnapshotClassName: ferry-copy, source: {persistentVolumeClaimName: " +
         pvc + "}}\n";
}

std::string DataUploadYaml(const std::string& name, const std::string& pvc) {
  return "---\napiVersion: velero.io/v2alpha1\nkind: DataUpload\nmetadata:\n  name: " + name +
         "\n  namespace: openshift-adp\n  labels: {velero.io/async-operation-id: du-" + name +
         "}\nspec:\n  snapshotType: CSI\n  csiSnapshot: {volumeSnapshot: velero-" + pvc +
         "-x1y2z, storageClass: hostpath, snapshotClass: ferry-copy}\n  sourcePVC: " + pvc +
         "\n  sourceNamespace: app\n  backupStorageLocation: default\n  operationTimeout: 10m0s\n";
}

std::string CommonManifests(const std::string& root) {
  return "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: default, namespace: openshift-adp}\n"
         "spec: {provider: aws, default: true, objectStorage: {bucket: velero, prefix: velero}, config: {fspath: " +
         root + "/backups}}\n"
         "---\napiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshotClass\nmetadata:\n  name: ferry-copy\n"
         "  labels: {velero.io/csi-volumesnapshot-class: \"true\"}\ndriver: ferry.local/copy\ndeletionPolicy: Delete\n"
         "---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: hostpath}\n"
         "provisioner: ferry.local/hostpath\nparameters: {path: " + root + "/provisioned}\n";
}

std::string Json(const std::string& store, const std::string& kind, const std::string& name, const std::string& ns) {
  return RunFerry("get " + kind + " " + name + " -n " + ns + " -o json --store " + store, false).text;
}

TEST(NodeAgentEndToEnd, OadpWalkthroughWithTwoNodeAgents) {
  TempDir dir("walkthrough");
  std::string root = dir.str(), store = root + "/store.db";
  fs::create_directories(dir.path() / "provisioned");
  fs::create_directories(dir.path() / "volumes" / "data" / "nested");
  WriteRandomFile(dir.path() / "volumes" / "data" / "db.bin", 5 << 20, 3);
  std::ofstream(dir.path() / "volumes" / "data" / "nested" / "conf.txt") << "walkthrough\n";
  // Block volume: a loop device when this machine allows it, else an image file.
  fs::path image = dir.path() / "volumes" / "disk.img";
  WriteRandomFile(image, 8 << 20, 4);
  std::string device = image.string();
  auto loop = RunShell("losetup --find --show " + image.string());
  bool use_loop = loop.exit_code == 0 && loop.text.rfind("/dev/loop", 0) == 0;
  if (use_loop) {
    device = loop.text.substr(0, loop.text.find('\n'));
  } else {
    std::cerr << "losetup unavailable (" << loop.text << "): the Block volume is an image file\n";
  }
  std::string manifests = CommonManifests(root) + Volume("data", (dir.path() / "volumes" / "data").string(), "Filesystem") +
                          Volume("disk", device, "Block") + DataUploadYaml("backup-1-data", "data") +
                          DataUploadYaml("backup-1-disk", "disk");
  std::ofstream(dir.path() / "walkthrough.yaml") << manifests;
  auto applied = RunFerry("apply -f " + root + "/walkthrough.yaml --store " + store);
  ASSERT_EQ(applied.exit_code, 0) << applied.text;

  std::string flags = "--namespace openshift-adp --store " + store + " --progress-interval 200ms --resync-period 500ms";
  AgentProcess node1("--node node-1 " + flags, root + "/node-1.log");
  AgentProcess node2("--node node-2 " + flags, root + "/node-2.log");
  bool completed = WaitAll(store, "datauploads", 2, "Completed", 120);
  auto rows = GetRows(store, "datauploads");
  ASSERT_TRUE(completed) << RunFerry("get datauploads -A --store " + store).text << node1.Log() << node2.Log();
  std::map<std::string, std::string> snapshot_ids;
  for (auto& r : rows) {
    ASSERT_EQ(r.size(), 9u);
    EXPECT_EQ(r[0], "openshift-adp");
    EXPECT_EQ(r[4], r[5]) << "BYTES DONE must equal TOTAL BYTES for " << r[1];
    EXPECT_NE(r[5], "0");
    EXPECT_EQ(r[6], "default");
    EXPECT_TRUE(r[8] == "node-1" || r[8] == "node-2") << r[8];
    auto du = resource::Object::parse(Json(store, "dataupload", r[1], "openshift-adp"), nullptr, false);
    ASSERT_TRUE(du.is_object()) << r[1];
    snapshot_ids[r[1]] = resource::StringAt(du, "status.snapshotID");
    EXPECT_TRUE(resource::Finalizers(du).empty());
    EXPECT_EQ(resource::Annotations(du).count("ferry.io/exposed"), 0u);
  }
  EXPECT_EQ(std::stoll(rows[1][5]), 8 << 20);  // backup-1-disk: the whole device
  // No temporary objects: the VolumeSnapshots are gone and the exposer's copies removed.
  EXPECT_NE(RunFerry("get volumesnapshot velero-data-x1y2z -n app --store " + store).exit_code, 0);

  // `kopia snapshot list --all`, through ferry: Velero's sources and tags.
  std::string config = root + "/repo.config";
  auto connected = RunFerry("repository connect filesystem --path=" + root + "/backups/velero/kopia/app --password=static-passw0rd --config-file=" + config);
  ASSERT_EQ(connected.exit_code, 0) << connected.text;
  auto listed = RunFerry("snapshot list --all --config-file=" + config + " --password=static-passw0rd");
  EXPECT_NE(listed.text.find("default@default:snapshot-data-upload-download/kopia/app/data"), std::string::npos) << listed.text;
  EXPECT_NE(listed.text.find("default@default:snapshot-data-upload-download/kopia/app/disk"), std::string::npos) << listed.text;
  datapath::RepositoryLocation location{{{"type", "filesystem"}, {"path", root + "/backups/velero/kopia/app"}}, "static-passw0rd"};
  auto session = datapath::ConnectOrCreate(location, {}, false);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto snapshots = datapath::ListSnapshots(**session);
  ASSERT_TRUE(snapshots.ok());
  for (auto& s : *snapshots) {
    if (s.incomplete) continue;
    EXPECT_EQ(s.tags["snapshot-requester"], "snapshot-data-upload-download");
    EXPECT_EQ(s.tags["snapshot-uploader"], "kopia");
    EXPECT_TRUE(s.tags["velero.io/async-operation-id"] == "du-backup-1-data" ||
                s.tags["velero.io/async-operation-id"] == "du-backup-1-disk");
  }

  // Restore both into new PVCs.
  std::string restore =
      "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data, namespace: restored}\n"
      "spec: {storageClassName: hostpath, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}},\n"
      "       selector: {matchLabels: {velero.io/dynamic-pv-restore: restored.data.q1w2e}}}\n"
      "---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: disk, namespace: restored}\n"
      "spec: {storageClassName: hostpath, volumeMode: Block, accessModes: [ReadWriteOnce], resources: {requests: {storage: 8Mi}}}\n";
  for (auto [name, pvc] : {std::pair{"restore-1-data", "data"}, std::pair{"restore-1-disk", "disk"}}) {
    restore += std::string("---\napiVersion: velero.io/v2alpha1\nkind: DataDownload\nmetadata: {name: ") + name +
               ", namespace: openshift-adp}\nspec:\n  targetVolume: {pvc: " + pvc +
               ", pv: \"\", namespace: restored}\n  backupStorageLocation: default\n  sourceNamespace: app\n"
               "  operationTimeout: 10m0s\n  snapshotID: " + snapshot_ids[std::string("backup-1-") + pvc] + "\n";
  }
  std::ofstream(dir.path() / "restore.yaml") << restore;
  applied = RunFerry("apply -f " + root + "/restore.yaml --store " + store);
  ASSERT_EQ(applied.exit_code, 0) << applied.text;
  ASSERT_TRUE(WaitAll(store, "datadownloads", 2, "Completed", 120))
      << RunFerry("get datadownloads -A --store " + store).text << node1.Log() << node2.Log();
  for (auto& r : GetRows(store, "datadownloads")) EXPECT_EQ(r[4], r[5]);
  auto pvc = resource::Object::parse(Json(store, "pvc", "data", "restored"), nullptr, false);
  auto pv = resource::Object::parse(Json(store, "pv", resource::StringAt(pvc, "spec.volumeName"), "default"), nullptr, false);
  EXPECT_EQ(resource::Labels(pv)["velero.io/dynamic-pv-restore"], "restored.data.q1w2e");
  EXPECT_EQ(TreeContents(resource::StringAt(pv, "spec.local.path")), TreeContents(dir.path() / "volumes" / "data"));
  auto disk_pvc = resource::Object::parse(Json(store, "pvc", "disk", "restored"), nullptr, false);
  auto disk_pv = resource::Object::parse(Json(store, "pv", resource::StringAt(disk_pvc, "spec.volumeName"), "default"), nullptr, false);
  std::string restored = ReadFile(resource::StringAt(disk_pv, "spec.local.path"));
  EXPECT_EQ(restored.substr(0, 8 << 20), ReadFile(image));

  EXPECT_EQ(node1.Terminate(), 0) << node1.Log();
  EXPECT_EQ(node2.Terminate(), 0) << node2.Log();
  if (use_loop) RunShell("losetup -d " + device);
}

TEST(NodeAgentEndToEnd, KilledMidUploadResumesFromCheckpointAfterRestart) {
  TempDir dir("kill9");
  std::string root = dir.str(), store = root + "/store.db";
  fs::create_directories(dir.path() / "provisioned");
  fs::path data = dir.path() / "volumes" / "data";
  fs::create_directories(data);
  for (int i = 0; i < 48; ++i) WriteRandomFile(data / ("part-" + std::to_string(i)), 6 << 20, 100 + i);
  std::ofstream(dir.path() / "m.yaml") << CommonManifests(root) + Volume("data", data.string(), "Filesystem") +
                                              DataUploadYaml("backup-2-data", "data");
  ASSERT_EQ(RunFerry("apply -f " + root + "/m.yaml --store " + store).exit_code, 0);
  std::string flags = "--node node-1 --namespace openshift-adp --store " + store +
                      " --progress-interval 100ms --checkpoint-interval 100ms --resync-period 500ms";
  auto handle = std::move(resource::OpenSqliteStore(store)).value();
  int64_t done_at_kill = 0, total = 0;
  {
    AgentProcess agent(flags, root + "/agent.log");
    for (int i = 0; i < 1200; ++i) {
      auto du = handle->Get("DataUpload", "openshift-adp", "backup-2-data");
      ASSERT_TRUE(du.ok());
      ASSERT_NE(resource::StringAt(*du, "status.phase"), "Completed") << "finished before it could be killed";
      done_at_kill = resource::IntAt(*du, "status.progress.bytesDone");
      total = resource::IntAt(*du, "status.progress.totalBytes");
      if (total > 0 && done_at_kill * 3 >= total) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_GT(done_at_kill, 0) << agent.Log();
    EXPECT_EQ(agent.Terminate(SIGKILL), 128 + SIGKILL);
  }
  auto du = handle->Get("DataUpload", "openshift-adp", "backup-2-data");
  ASSERT_TRUE(du.ok());
  EXPECT_EQ(resource::StringAt(*du, "status.phase"), "InProgress");
  EXPECT_EQ(resource::StringAt(*du, "status.node"), "node-1");
  std::string uid = resource::Uid(*du);

  AgentProcess again(flags, root + "/agent-2.log");
  ASSERT_TRUE(WaitAll(store, "datauploads", 1, "Completed", 180)) << again.Log();
  du = handle->Get("DataUpload", "openshift-adp", "backup-2-data");
  ASSERT_TRUE(du.ok());
  EXPECT_EQ(resource::Uid(*du), uid);  // the same DataUpload
  EXPECT_EQ(resource::Annotations(*du)["ferry.io/resumed-from-checkpoint"], "true") << again.Log();
  EXPECT_NE(again.Log().find("resumed data upload"), std::string::npos) << again.Log();
  EXPECT_EQ(resource::IntAt(*du, "status.progress.bytesDone"), 48 * (6 << 20));
  EXPECT_EQ(resource::IntAt(*du, "status.progress.totalBytes"), 48 * (6 << 20));
  EXPECT_EQ(again.Terminate(), 0);

  // Restored data is identical.
  datapath::RepositoryLocation location{{{"type", "filesystem"}, {"path", root + "/backups/velero/kopia/app"}}, "static-passw0rd"};
  auto session = datapath::ConnectOrCreate(location, {}, false);
  ASSERT_TRUE(session.ok());
  datapath::RestoreRequest request;
  request.snapshot_id = resource::StringAt(*du, "status.snapshotID");
  request.target = root + "/restored";
  auto restored = datapath::Restore(**session, request);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(TreeContents(root + "/restored"), TreeContents(data));
}

TEST(NodeAgentEndToEnd, SigtermLeavesTheUploadResumable) {
  TempDir dir("sigterm");
  std::string root = dir.str(), store = root + "/store.db";
  fs::create_directories(dir.path() / "provisioned");
  fs::path data = dir.path() / "volumes" / "data";
  fs::create_directories(data);
  constexpr int kFiles = 64;
  constexpr int64_t kFileBytes = 6 << 20;
  for (int i = 0; i < kFiles; ++i) WriteRandomFile(data / ("part-" + std::to_string(i)), kFileBytes, 300 + i);
  std::ofstream(dir.path() / "m.yaml") << CommonManifests(root) + Volume("data", data.string(), "Filesystem") +
                                              DataUploadYaml("backup-3-data", "data");
  ASSERT_EQ(RunFerry("apply -f " + root + "/m.yaml --store " + store).exit_code, 0);
  std::string flags = "--node node-1 --namespace openshift-adp --store " + store + " --progress-interval 100ms";
  auto handle = std::move(resource::OpenSqliteStore(store)).value();
  {
    AgentProcess agent(flags, root + "/agent.log");
    for (int i = 0; i < 1500; ++i) {
      auto du = handle->Get("DataUpload", "openshift-adp", "backup-3-data");
      ASSERT_TRUE(du.ok());
      ASSERT_NE(resource::StringAt(*du, "status.phase"), "Completed") << "finished before SIGTERM";
      // Some files finished (the agent reads two at a time: four files' bytes mean at least two
      // whole ones), most not. As early as that: the progress seen is up to 100 ms old, and on a
      // fast machine a later trigger (a quarter) let the upload finish before the signal landed.
      int64_t done = resource::IntAt(*du, "status.progress.bytesDone");
      if (done >= 4 * kFileBytes) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(agent.Terminate(SIGTERM), 0) << agent.Log();
    EXPECT_NE(agent.Log().find("continue when the agent restarts"), std::string::npos) << agent.Log();
  }
  auto du = handle->Get("DataUpload", "openshift-adp", "backup-3-data");
  ASSERT_TRUE(du.ok());
  EXPECT_EQ(resource::StringAt(*du, "status.phase"), "InProgress");
  AgentProcess again(flags, root + "/agent-2.log");
  ASSERT_TRUE(WaitAll(store, "datauploads", 1, "Completed", 120)) << again.Log();
  du = handle->Get("DataUpload", "openshift-adp", "backup-3-data");
  EXPECT_EQ(resource::Annotations(*du)["ferry.io/resumed-from-checkpoint"], "true") << again.Log();
  EXPECT_EQ(again.Terminate(), 0);
}

}  // namespace
}  // namespace ferry::controlplane::testing
