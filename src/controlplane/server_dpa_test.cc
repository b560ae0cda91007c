// The server's store-only parts: DataProtectionApplication reconciliation (BSLs, algorithms,
// the Reconciled condition) with the OADP documentation's manifest, Backup and Restore
// validation, and backup sync from a storage location's metadata.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "controlplane/backup_controller.h"
#include "controlplane/backup_metadata.h"
#include "controlplane/backup_sync.h"
#include "controlplane/dpa_controller.h"
#include "controlplane/log.h"
#include "controlplane/restore_controller.h"
#include "controlplane/server_common.h"
#include "resource/sqlite_store.h"
#include "resource/yaml.h"

namespace ferry::controlplane {
namespace {

namespace fs = std::filesystem;
using resource::Object;

// The DataProtectionApplication of the OADP data mover documentation ("Enabling the built-in
// Data Mover" / "Overriding Kopia hashing, encryption, and splitter algorithms"), unchanged
// except for the location: config.fspath instead of an S3 bucket.
std::string OadpDpa(const std::string& fspath, const std::string& env = "") {
  return R"(apiVersion: oadp.openshift.io/v1alpha1
kind: DataProtectionApplication
metadata:
  name: dpa-sample
  namespace: openshift-adp
spec:
  backupLocations:
    - velero:
        config:
          profile: "default"
          region: us-east-1
          fspath: )" + fspath + R"(
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
)" + env;
}

class ServerDpaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = fs::path(::testing::TempDir()) / ("ferry-dpa-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "bsl");
    store_ = std::move(resource::OpenSqliteStore(":memory:")).value();
    previous_ = SetLogSink([](LogLevel, std::string_view) {});
  }
  void TearDown() override {
    SetLogSink(previous_);
    fs::remove_all(dir_);
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
  Object Reconcile(const std::string& name = "dpa-sample") {
    auto dpa = store_->Get("DataProtectionApplication", "openshift-adp", name);
    EXPECT_TRUE(dpa.ok());
    EXPECT_TRUE(ReconcileDataProtectionApplication(*store_, *dpa).ok());
    return store_->Get("DataProtectionApplication", "openshift-adp", name).value();
  }
  static std::string Condition(const Object& dpa, const std::string& field) {
    return resource::StringAt(dpa["status"]["conditions"][0], field);
  }

  fs::path dir_;
  std::unique_ptr<resource::Store> store_;
  LogSink previous_;
};

TEST_F(ServerDpaTest, OadpDocumentationDpaBecomesBackupStorageLocation) {
  Apply(OadpDpa((dir_ / "bsl").string()));
  Object dpa = Reconcile();
  EXPECT_EQ(Condition(dpa, "type"), "Reconciled");
  EXPECT_EQ(Condition(dpa, "status"), "True");
  EXPECT_EQ(Condition(dpa, "reason"), "Complete");
  auto bsl = store_->Get("BackupStorageLocation", "openshift-adp", "dpa-sample-1");
  ASSERT_TRUE(bsl.ok()) << bsl.status().ToString();
  EXPECT_EQ(resource::StringAt(*bsl, "spec.provider"), "aws");
  EXPECT_EQ(resource::StringAt(*bsl, "spec.objectStorage.bucket"), "my-bucket");
  EXPECT_EQ(resource::StringAt(*bsl, "spec.config.fspath"), (dir_ / "bsl").string());
  EXPECT_TRUE(resource::BoolAt(*bsl, "spec.default"));
  EXPECT_TRUE(DefaultSnapshotMoveData(*store_, "openshift-adp"));
  // Reconciling again changes nothing.
  int64_t version = store_->CurrentResourceVersion().value();
  Reconcile();
  EXPECT_EQ(store_->CurrentResourceVersion().value(), version);
  // The location goes with the DPA (owner reference).
  ASSERT_TRUE(store_->Delete("DataProtectionApplication", "openshift-adp", "dpa-sample").ok());
  EXPECT_EQ(store_->Get("BackupStorageLocation", "openshift-adp", "dpa-sample-1").status().code(),
            StatusCode::kNotFound);
}

TEST_F(ServerDpaTest, KopiaAlgorithmsFromPodConfigEnvReachTheRepositoryConfiguration) {
  Apply(OadpDpa((dir_ / "bsl").string(), R"(      podConfig:
        env:
          - name: KOPIA_HASHING_ALGORITHM
            value: BLAKE3-256
          - name: KOPIA_ENCRYPTION_ALGORITHM
            value: CHACHA20-POLY1305-HMAC-SHA256
          - name: KOPIA_SPLITTER_ALGORITHM
            value: DYNAMIC-8M-RABINKARP
)"));
  Object dpa = Reconcile();
  EXPECT_EQ(Condition(dpa, "status"), "True") << Condition(dpa, "message");
  auto algorithms = ConfiguredRepositoryAlgorithms(*store_, "openshift-adp");
  ASSERT_TRUE(algorithms.ok());
  EXPECT_EQ((*algorithms)["hash"], "BLAKE3-256");
  EXPECT_EQ((*algorithms)["encryption"], "CHACHA20-POLY1305-HMAC-SHA256");
  EXPECT_EQ((*algorithms)["splitter"], "DYNAMIC-8M-RABINKARP");
}

TEST_F(ServerDpaTest, UnknownAlgorithmIsRejectedInTheCondition) {
  Apply(OadpDpa((dir_ / "bsl").string(), R"(      podConfig:
        env:
          - name: KOPIA_HASHING_ALGORITHM
            value: SHA1-FAST
)"));
  Object dpa = Reconcile();
  EXPECT_EQ(Condition(dpa, "status"), "False");
  EXPECT_EQ(Condition(dpa, "reason"), "Error");
  EXPECT_NE(Condition(dpa, "message").find("SHA1-FAST"), std::string::npos) << Condition(dpa, "message");
  EXPECT_NE(Condition(dpa, "message").find("BLAKE3-256"), std::string::npos) << "lists the valid names";
  // Nothing was applied.
  EXPECT_EQ(store_->Get("BackupStorageLocation", "openshift-adp", "dpa-sample-1").status().code(),
            StatusCode::kNotFound);
}

TEST_F(ServerDpaTest, DataMoverWithoutNodeAgentIsRejected) {
  std::string yaml = OadpDpa((dir_ / "bsl").string());
  yaml.replace(yaml.find("enable: true"), 12, "enable: false");
  Apply(yaml);
  Object dpa = Reconcile();
  EXPECT_EQ(Condition(dpa, "status"), "False");
  EXPECT_NE(Condition(dpa, "message").find("node agent is not enabled"), std::string::npos)
      << Condition(dpa, "message");
}

TEST_F(ServerDpaTest, ResticUploaderAndUnknownPluginAreRejected) {
  std::string yaml = OadpDpa((dir_ / "bsl").string());
  yaml.replace(yaml.find("uploaderType: kopia"), 19, "uploaderType: restic");
  Apply(yaml);
  EXPECT_NE(Condition(Reconcile(), "message").find("restic"), std::string::npos);

  std::string second = OadpDpa((dir_ / "bsl").string());
  second.replace(second.find("dpa-sample"), 10, "dpa-second");
  second.replace(second.find("- csi"), 5, "- kubevirt");
  Apply(second);
  Object dpa = Reconcile("dpa-second");
  EXPECT_EQ(Condition(dpa, "status"), "False");
  EXPECT_NE(Condition(dpa, "message").find("kubevirt"), std::string::npos);
}

TEST_F(ServerDpaTest, FixingTheDpaReconcilesIt) {
  std::string yaml = OadpDpa((dir_ / "bsl").string());
  yaml.replace(yaml.find("enable: true"), 12, "enable: false");
  Apply(yaml);
  EXPECT_EQ(Condition(Reconcile(), "status"), "False");
  auto dpa = store_->Get("DataProtectionApplication", "openshift-adp", "dpa-sample").value();
  dpa["spec"]["configuration"]["nodeAgent"]["enable"] = true;
  ASSERT_TRUE(store_->Update(dpa).ok());
  EXPECT_EQ(Condition(Reconcile(), "status"), "True");
  EXPECT_TRUE(store_->Get("BackupStorageLocation", "openshift-adp", "dpa-sample-1").ok());
}

TEST_F(ServerDpaTest, BackupValidationNamesEveryProblem) {
  Apply(OadpDpa((dir_ / "bsl").string()));
  Reconcile();
  Object ok = Apply(R"(apiVersion: velero.io/v1
kind: Backup
metadata: {name: good, namespace: openshift-adp}
spec:
  includedNamespaces: [mysql-persistent]
  snapshotMoveData: true
  storageLocation: dpa-sample-1
  ttl: 720h0m0s
)");
  EXPECT_TRUE(ValidateBackup(*store_, ok).empty());
  Object bad = Apply(R"(apiVersion: velero.io/v1
kind: Backup
metadata: {name: bad, namespace: openshift-adp}
spec:
  includedNamespaces: [a]
  excludedNamespaces: [a]
  defaultVolumesToFsBackup: true
  storageLocation: nowhere
  ttl: soon
)");
  std::vector<std::string> problems = ValidateBackup(*store_, bad);
  std::string all;
  for (auto& p : problems) all += p + "\n";
  EXPECT_NE(all.find("nowhere"), std::string::npos) << all;
  EXPECT_NE(all.find("defaultVolumesToFsBackup is not supported"), std::string::npos) << all;
  EXPECT_NE(all.find("excludes list cannot contain"), std::string::npos) << all;
  EXPECT_NE(all.find("spec.ttl"), std::string::npos) << all;

  // The server turns them into FailedValidation.
  BackupControllerOptions options;
  ASSERT_TRUE(RunBackup(*store_, "openshift-adp", "bad", options).ok());
  auto failed = store_->Get("Backup", "openshift-adp", "bad").value();
  EXPECT_EQ(resource::StringAt(failed, "status.phase"), "FailedValidation");
  EXPECT_EQ(failed["status"]["validationErrors"].size(), problems.size());
}

TEST_F(ServerDpaTest, RestoreValidation) {
  Object r = Apply("apiVersion: velero.io/v1\nkind: Restore\nmetadata: {name: r, namespace: openshift-adp}\n"
                   "spec: {backupName: missing, existingResourcePolicy: overwrite}\n");
  std::vector<std::string> problems = ValidateRestore(*store_, r);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("\"missing\" not found"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("Invalid existingResourcePolicy: overwrite"), std::string::npos) << problems[1];
  RestoreControllerOptions options;
  ASSERT_TRUE(RunRestore(*store_, "openshift-adp", "r", options).ok());
  EXPECT_EQ(resource::StringAt(store_->Get("Restore", "openshift-adp", "r").value(), "status.phase"),
            "FailedValidation");
}

TEST_F(ServerDpaTest, SyncRecreatesBackupsFoundInTheStorageLocation) {
  Apply(OadpDpa((dir_ / "bsl").string()));
  Reconcile();
  auto metadata = BackupMetadataStore::Open(*store_, "openshift-adp", "dpa-sample-1");
  ASSERT_TRUE(metadata.ok()) << metadata.status().ToString();
  Object backup = {{"apiVersion", "velero.io/v1"},
                   {"kind", "Backup"},
                   {"metadata", {{"name", "nightly"}, {"namespace", "openshift-adp"}}},
                   {"spec", {{"snapshotMoveData", true}}},
                   {"status", {{"phase", "Completed"}, {"expiration", "2099-01-01T00:00:00Z"}}}};
  ASSERT_TRUE((*metadata)->PutResources("nightly", {}).ok());
  ASSERT_TRUE((*metadata)->PutBackup(backup).ok());
  // Written as Velero lays it out.
  EXPECT_TRUE(fs::exists(dir_ / "bsl" / "velero" / "backups" / "nightly" / "velero-backup.json"));
  EXPECT_TRUE(fs::exists(dir_ / "bsl" / "velero" / "backups" / "nightly" / "nightly-resources.json"));
  // A backup without velero-backup.json is incomplete and not synced.
  ASSERT_TRUE((*metadata)->PutResources("partial", {}).ok());

  auto created = SyncBackupsFromStorageLocations(*store_);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(*created, 1);
  auto synced = store_->Get("Backup", "openshift-adp", "nightly");
  ASSERT_TRUE(synced.ok());
  EXPECT_EQ(resource::StringAt(*synced, "status.phase"), "Completed");
  EXPECT_EQ(resource::StringAt(*synced, "spec.storageLocation"), "dpa-sample-1");
  EXPECT_EQ(resource::Labels(*synced)["velero.io/storage-location"], "dpa-sample-1");
  EXPECT_TRUE(resource::HasFinalizer(*synced, kBackupDeletionFinalizer));
  EXPECT_EQ(store_->Get("Backup", "openshift-adp", "partial").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(SyncBackupsFromStorageLocations(*store_).value(), 0) << "already in the store";
  EXPECT_EQ(resource::StringAt(store_->Get("BackupStorageLocation", "openshift-adp", "dpa-sample-1").value(),
                               "status.phase"),
            "Available");
}

TEST_F(ServerDpaTest, ServerStartFailsBackupsAndRestoresItLeftInProgress) {
  Object backup = Apply("apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b, namespace: openshift-adp}\n"
                        "status: {phase: InProgress}\n");
  Object waiting = Apply("apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: w, namespace: openshift-adp}\n"
                         "status: {phase: WaitingForPluginOperations}\n");
  Object du = {{"apiVersion", "velero.io/v2alpha1"},
               {"kind", "DataUpload"},
               {"metadata", {{"name", "b-x"}, {"namespace", "openshift-adp"},
                             {"labels", {{"velero.io/backup-uid", resource::Uid(backup)}}}}},
               {"spec", {{"snapshotType", "CSI"}}},
               {"status", {{"phase", "InProgress"}}}};
  ASSERT_TRUE(store_->Create(du).ok());
  Apply("apiVersion: velero.io/v1\nkind: Restore\nmetadata: {name: r, namespace: openshift-adp}\n"
        "status: {phase: InProgress}\n");
  ASSERT_TRUE(FailInterruptedBackups(*store_).ok());
  ASSERT_TRUE(FailInterruptedRestores(*store_).ok());
  Object failed = store_->Get("Backup", "openshift-adp", "b").value();
  EXPECT_EQ(resource::StringAt(failed, "status.phase"), "Failed");
  EXPECT_NE(resource::StringAt(failed, "status.failureReason").find("during the server starting"), std::string::npos);
  EXPECT_TRUE(resource::BoolAt(store_->Get("DataUpload", "openshift-adp", "b-x").value(), "spec.cancel"));
  // A backup waiting for its operations is resumed, not failed (Velero 1.12.3+).
  EXPECT_EQ(resource::StringAt(store_->Get("Backup", "openshift-adp", "w").value(), "status.phase"),
            "WaitingForPluginOperations");
  EXPECT_EQ(resource::StringAt(store_->Get("Restore", "openshift-adp", "r").value(), "status.phase"), "Failed");
}

TEST(OperationResultsTest, SummaryAndJsonRoundTrip) {
  OperationResults r;
  r.Add("", "velero-level");
  r.Add("ns1", "a");
  r.Add("ns1", "b");
  EXPECT_EQ(r.Count(), 3u);
  EXPECT_EQ(r.Summary(2), "velero-level; a; and 1 more");
  OperationResults back = OperationResults::FromJson(r.ToJson());
  EXPECT_EQ(back.Count(), 3u);
  EXPECT_EQ(back.namespaces["ns1"][1], "b");
}

TEST(NamespaceFilterTest, IncludesExcludesAndWildcards) {
  EXPECT_TRUE(NamespaceIncluded("a", {}, {}));
  EXPECT_TRUE(NamespaceIncluded("a", {"*"}, {}));
  EXPECT_FALSE(NamespaceIncluded("a", {"b"}, {}));
  EXPECT_TRUE(NamespaceIncluded("mysql-persistent", {"mysql-*"}, {}));
  EXPECT_FALSE(NamespaceIncluded("mysql-persistent", {"*"}, {"mysql-*"}));
}

}  // namespace
}  // namespace ferry::controlplane
