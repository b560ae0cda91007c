// The kubectl-shaped commands through the real binary: apply/create/get/describe/delete/patch
// on a store file in a temporary directory.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "cli/test_util.h"

namespace ferry::testing {
namespace {

class ResourceCliTest : public ::testing::Test {
 protected:
  ResourceCliTest() : dir_("resource-cli") {}
  std::string Store() const { return "--store " + dir_.str() + "/store.db"; }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_.str() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  Output Ferry(const std::string& args, bool merge_stderr = true) {
    return RunFerry(args + " " + Store(), merge_stderr);
  }
  TempDir dir_;
};

const char* kManifests = R"(apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata:
  name: default
  namespace: openshift-adp
spec:
  provider: aws
  default: true
  objectStorage:
    bucket: b
    prefix: velero
  config:
    fspath: /tmp/repo
---
apiVersion: velero.io/v2alpha1
kind: DataUpload
metadata:
  name: backup-1-abcde
  namespace: openshift-adp
  labels:
    velero.io/backup-name: backup-1
spec:
  snapshotType: CSI
  csiSnapshot:
    volumeSnapshot: vs-1
    storageClass: local
  sourcePVC: mysql
  backupStorageLocation: default
  sourceNamespace: app
  operationTimeout: 10m0s
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: mysql
  namespace: app
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: local
  volumeName: pv-mysql
  resources:
    requests:
      storage: 1Gi
status:
  phase: Bound
  accessModes: [ReadWriteOnce]
  capacity:
    storage: 1Gi
)";

TEST_F(ResourceCliTest, ApplyGetPatchDelete) {
  std::string file = Write("m.yaml", kManifests);
  auto applied = Ferry("apply -f " + file);
  ASSERT_EQ(applied.exit_code, 0) << applied.text;
  EXPECT_EQ(applied.text,
            "backupstoragelocation.velero.io/default created\n"
            "dataupload.velero.io/backup-1-abcde created\n"
            "persistentvolumeclaim/mysql created\n");
  auto again = Ferry("apply -f " + file);
  ASSERT_EQ(again.exit_code, 0) << again.text;
  EXPECT_EQ(again.text,
            "backupstoragelocation.velero.io/default unchanged\n"
            "dataupload.velero.io/backup-1-abcde unchanged\n"
            "persistentvolumeclaim/mysql unchanged\n");

  // Status written by a controller, then progress: the columns follow.
  auto patched = Ferry("patch datauploads backup-1-abcde -n openshift-adp --type merge "
                       "-p '{\"status\":{\"phase\":\"InProgress\",\"node\":\"node-1\",\"progress\":{\"bytesDone\":512,\"totalBytes\":1024}}}'");
  ASSERT_EQ(patched.exit_code, 0) << patched.text;
  EXPECT_EQ(patched.text, "dataupload.velero.io/backup-1-abcde patched\n");
  auto same = Ferry("patch dataupload backup-1-abcde -n openshift-adp --type merge -p '{\"status\":{\"node\":\"node-1\"}}'");
  EXPECT_EQ(same.text, "dataupload.velero.io/backup-1-abcde patched (no change)\n");

  auto table = Ferry("get datauploads -A", false);
  ASSERT_EQ(table.exit_code, 0) << table.text;
  std::regex expected(
      "NAMESPACE       NAME             STATUS       STARTED   BYTES DONE   TOTAL BYTES   STORAGE LOCATION   AGE   NODE\n"
      "openshift-adp   backup-1-abcde   InProgress             512          1024          default            [0-9]+s +node-1\n");
  EXPECT_TRUE(std::regex_match(table.text, expected)) << table.text;

  auto pvc = Ferry("get pvc -n app", false);
  EXPECT_TRUE(std::regex_match(pvc.text, std::regex("NAME    STATUS   VOLUME     CAPACITY   ACCESS MODES   STORAGECLASS   AGE\n"
                                                    "mysql   Bound    pv-mysql   1Gi        RWO            local          [0-9]+s\n")))
      << pvc.text;
  auto bsl = Ferry("get bsl -n openshift-adp", false);
  EXPECT_TRUE(std::regex_match(bsl.text, std::regex("NAME      PHASE   LAST VALIDATED   AGE   DEFAULT\n"
                                                    "default                            [0-9]+s +true\n")))
      << bsl.text;

  // Re-applying keeps the status written meanwhile; a changed spec field is configured.
  std::string changed = kManifests;
  changed.replace(changed.find("sourcePVC: mysql"), 16, "sourcePVC: mysql2");
  auto configured = Ferry("apply -f " + Write("m2.yaml", changed));
  ASSERT_EQ(configured.exit_code, 0) << configured.text;
  EXPECT_NE(configured.text.find("dataupload.velero.io/backup-1-abcde configured"), std::string::npos) << configured.text;
  auto yaml = Ferry("get dataupload backup-1-abcde -n openshift-adp -o yaml", false);
  ASSERT_EQ(yaml.exit_code, 0) << yaml.text;
  EXPECT_NE(yaml.text.find("  sourcePVC: mysql2\n"), std::string::npos) << yaml.text;
  EXPECT_NE(yaml.text.find("  phase: InProgress\n"), std::string::npos) << yaml.text;
  EXPECT_NE(yaml.text.find("    bytesDone: 512\n"), std::string::npos) << yaml.text;
  EXPECT_TRUE(yaml.text.starts_with("apiVersion: velero.io/v2alpha1\nkind: DataUpload\nmetadata:\n")) << yaml.text;

  auto json = Ferry("get datauploads -n openshift-adp -o json", false);
  EXPECT_NE(json.text.find("\"kind\": \"List\""), std::string::npos) << json.text;
  auto names = Ferry("get datauploads -n openshift-adp -o name -l velero.io/backup-name=backup-1", false);
  EXPECT_EQ(names.text, "dataupload.velero.io/backup-1-abcde\n");
  auto none = Ferry("get datauploads -n openshift-adp -l velero.io/backup-name=other");
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_EQ(none.text, "No resources found in openshift-adp namespace.\n");

  auto described = Ferry("describe dataupload backup-1-abcde -n openshift-adp", false);
  ASSERT_EQ(described.exit_code, 0) << described.text;
  EXPECT_NE(described.text.find("Name:         backup-1-abcde\n"), std::string::npos) << described.text;
  EXPECT_NE(described.text.find("Backup Storage Location:"), std::string::npos) << described.text;
  EXPECT_NE(described.text.find("Labels:       velero.io/backup-name=backup-1\n"), std::string::npos) << described.text;

  auto deleted = Ferry("delete dataupload backup-1-abcde -n openshift-adp");
  ASSERT_EQ(deleted.exit_code, 0) << deleted.text;
  EXPECT_EQ(deleted.text, "dataupload.velero.io \"backup-1-abcde\" deleted\n");
  auto gone = Ferry("get dataupload backup-1-abcde -n openshift-adp");
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.text.find("Error from server (NotFound): datauploads.velero.io \"backup-1-abcde\" not found"),
            std::string::npos)
      << gone.text;
  auto by_file = Ferry("delete -f " + file + " --ignore-not-found");
  EXPECT_EQ(by_file.exit_code, 0) << by_file.text;
  EXPECT_EQ(by_file.text,
            "backupstoragelocation.velero.io \"default\" deleted\n"
            "persistentvolumeclaim \"mysql\" deleted\n");
}

TEST_F(ResourceCliTest, MalformedYamlAppliesNothing) {
  std::string file = Write("bad.yaml",
                           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n---\n"
                           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: second\n data: [x\n");
  auto r = Ferry("apply -f " + file);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.text.find("error: error parsing " + file + ": line 10: "), std::string::npos) << r.text;
  auto listed = Ferry("get configmaps");
  EXPECT_EQ(listed.text, "No resources found in default namespace.\n") << listed.text;
}

TEST_F(ResourceCliTest, UnknownKindIsRejectedLikeKubectl) {
  std::string file = Write("unknown.yaml",
                           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\n"
                           "apiVersion: velero.io/v1\nkind: DataUpload\nmetadata:\n  name: x\n  namespace: velero\n");
  auto r = Ferry("apply -f " + file);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.text.find("error: resource mapping not found for name: \"x\" namespace: \"velero\" from \"" + file +
                        "\": no matches for kind \"DataUpload\" in version \"velero.io/v1\""),
            std::string::npos)
      << r.text;
  EXPECT_EQ(Ferry("get cm").text, "No resources found in default namespace.\n");
  auto kind = Ferry("get widgets");
  EXPECT_EQ(kind.exit_code, 1);
  EXPECT_NE(kind.text.find("the server doesn't have a resource type \"widgets\""), std::string::npos) << kind.text;
}

TEST_F(ResourceCliTest, CreateFromStdinWithGenerateNameAndConflicts) {
  std::string doc = "apiVersion: velero.io/v1\\nkind: Backup\\nmetadata:\\n  generateName: nightly-\\n";
  auto r = RunShell("printf '" + doc + "' | " + FerryBinary() + " create -f - -n openshift-adp " + Store());
  ASSERT_EQ(r.exit_code, 0) << r.text;
  EXPECT_TRUE(std::regex_match(r.text, std::regex("backup\\.velero\\.io/nightly-[a-z0-9]{5} created\n"))) << r.text;
  std::string file = Write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: \"1\"\n");
  ASSERT_EQ(Ferry("create -f " + file).exit_code, 0);
  auto dup = Ferry("create -f " + file);
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_NE(dup.text.find("Error from server (AlreadyExists): error when creating \"" + file +
                          "\": configmaps \"c\" already exists"),
            std::string::npos)
      << dup.text;
  auto ns = Ferry("apply -f " + file + " -n other");
  EXPECT_EQ(ns.exit_code, 0) << ns.text;  // no namespace in the file: -n decides
  auto mismatch = Ferry("apply -f " + Write("ns.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n  namespace: a\n") + " -n b");
  EXPECT_EQ(mismatch.exit_code, 1);
  EXPECT_NE(mismatch.text.find("does not match the namespace \"b\""), std::string::npos) << mismatch.text;
  auto strategic = Ferry("patch backups x -n openshift-adp -p '{}'");
  EXPECT_NE(strategic.text.find("strategic merge patch is not supported"), std::string::npos) << strategic.text;
  auto json_patch = Ferry("patch cm c --type json -p '[{\"op\":\"replace\",\"path\":\"/data/a\",\"value\":\"2\"}]'");
  EXPECT_EQ(json_patch.text, "configmap/c patched\n");
  EXPECT_NE(Ferry("get cm c -o json", false).text.find("\"a\": \"2\""), std::string::npos);
}

TEST_F(ResourceCliTest, FinalizersHoldDeleteAndWatchPrintsChanges) {
  std::string file = Write("du.yaml",
                           "apiVersion: velero.io/v2alpha1\nkind: DataUpload\nmetadata:\n  name: held\n"
                           "  finalizers: [velero.io/data-upload-download-finalizer]\nspec:\n  sourcePVC: p\n");
  ASSERT_EQ(Ferry("apply -f " + file).exit_code, 0);
  auto timed_out = Ferry("delete dataupload held --timeout 300ms");
  EXPECT_EQ(timed_out.exit_code, 1);
  EXPECT_NE(timed_out.text.find("dataupload.velero.io \"held\" deleted"), std::string::npos) << timed_out.text;
  EXPECT_NE(timed_out.text.find("timed out waiting for the condition"), std::string::npos) << timed_out.text;
  auto yaml = Ferry("get dataupload held -o yaml", false);
  EXPECT_NE(yaml.text.find("deletionTimestamp:"), std::string::npos) << yaml.text;

  // A watcher in the background sees the status change and the removal.
  std::string out = dir_.str() + "/watch.txt";
  auto bg = RunShell("(" + FerryBinary() + " get datauploads -w --request-timeout 3s " + Store() + " > " + out +
                     " 2>&1 &) ; sleep 0.5; " + FerryBinary() + " patch dataupload held --type merge -p " +
                     "'{\"status\":{\"phase\":\"Canceled\"}}' " + Store() + " && " + FerryBinary() +
                     " patch dataupload held --type merge -p '{\"metadata\":{\"finalizers\":null}}' " + Store() +
                     " && sleep 3");
  ASSERT_EQ(bg.exit_code, 0) << bg.text;
  std::ifstream in(out);
  std::string watched((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Header + initial row, then one row per change.
  EXPECT_TRUE(watched.starts_with("NAME   STATUS")) << watched;
  EXPECT_EQ(std::count(watched.begin(), watched.end(), '\n'), 4) << watched;
  EXPECT_NE(watched.find("held   Canceled"), std::string::npos) << watched;
  EXPECT_EQ(Ferry("get dataupload held").exit_code, 1);
}

}  // namespace
}  // namespace ferry::testing
