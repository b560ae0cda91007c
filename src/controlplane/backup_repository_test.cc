// The repository ensurer and the BackupRepository controller against a real repository in a
// temporary directory (BSL with config.fspath) and an in-memory store.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "base/bytes.h"
#include "controlplane/backup_repository_controller.h"
#include "controlplane/bsl.h"
#include "controlplane/log.h"
#include "controlplane/repository_ensurer.h"
#include "resource/sqlite_store.h"
#include "resource/time_util.h"
#include "resource/yaml.h"

namespace ferry::controlplane {
namespace {

namespace fs = std::filesystem;
using resource::Object;

BackupRepositoryControllerOptions Options(const std::string& identity) {
  BackupRepositoryControllerOptions o;
  o.identity = identity;
  return o;
}

class BackupRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = fs::path(::testing::TempDir()) / ("ferry-br-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_ = std::move(resource::OpenSqliteStore(":memory:")).value();
    Apply("apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: default, namespace: velero}\n"
          "spec: {provider: aws, objectStorage: {bucket: b, prefix: velero}, config: {fspath: " +
          dir_.string() + "}}\n");
    previous_ = SetLogSink([this](LogLevel level, std::string_view m) {
      if (level == LogLevel::kWarning) warnings_ += std::string(m) + "\n";
    });
  }
  void TearDown() override {
    SetLogSink(previous_);
    fs::remove_all(dir_);
  }
  void Apply(const std::string& yaml) {
    auto objects = resource::ParseYaml(yaml);
    ASSERT_TRUE(objects.ok()) << objects.status().ToString();
    for (auto& o : *objects) ASSERT_TRUE(store_->Create(o).ok());
  }
  RepositoryKey Key(const std::string& ns = "app") { return {"velero", ns, "default", "kopia"}; }
  Result<Object> Ensure(BackupRepositoryController& c, const std::string& ns = "app") {
    EnsureOptions o;
    o.prepare = [&c](const Object& r) { return c.Prepare(r); };
    o.resource_timeout_ms = 2000;
    return EnsureRepository(*store_, Key(ns), o);
  }

  fs::path dir_;
  std::unique_ptr<resource::Store> store_;
  std::string warnings_;
  LogSink previous_;
};

TEST_F(BackupRepositoryTest, CreatedLazilyWithDefaultPasswordThenFoundByLabels) {
  BackupRepositoryController controller(*store_, Options("node-1"));
  auto repo = Ensure(controller);
  ASSERT_TRUE(repo.ok()) << repo.status().ToString();
  EXPECT_EQ(resource::StringAt(*repo, "status.phase"), "Ready");
  EXPECT_EQ(resource::Name(*repo).rfind("app-default-kopia-", 0), 0u) << resource::Name(*repo);
  EXPECT_EQ(resource::StringAt(*repo, "spec.maintenanceFrequency"), "1h0m0s");
  EXPECT_FALSE(resource::StringAt(*repo, "status.lastMaintenanceTime").empty());
  EXPECT_EQ(resource::StringAt(*repo, "spec.resticIdentifier"), dir_.string() + "/velero/restic/app");
  EXPECT_EQ(resource::Labels(*repo)["velero.io/volume-namespace"], "app");
  // The password Secret was created with Velero's default, loudly.
  auto password = SecretValue(*store_, "velero", "velero-repo-credentials", "repository-password");
  ASSERT_TRUE(password.ok());
  EXPECT_EQ(*password, "static-passw0rd");
  EXPECT_NE(warnings_.find("static-passw0rd"), std::string::npos);
  // The Kopia repository is at <prefix>/kopia/<ns>/.
  EXPECT_TRUE(fs::exists(dir_ / "velero" / "kopia" / "app" / "kopia.repository.f"));
  // Second time: the same object, found by its labels; another namespace gets its own.
  auto again = Ensure(controller);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(resource::Name(*again), resource::Name(*repo));
  auto other = Ensure(controller, "db");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(resource::Name(*other), resource::Name(*repo));
  auto all = store_->List("BackupRepository", {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

TEST_F(BackupRepositoryTest, WrongPasswordIsNotReadyWithAMessage) {
  BackupRepositoryController controller(*store_, Options("node-1"));
  ASSERT_TRUE(Ensure(controller).ok());
  // A second cluster whose password differs connects to the same prefix.
  auto store2 = std::move(resource::OpenSqliteStore(":memory:")).value();
  std::swap(store_, store2);
  Apply("apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: default, namespace: velero}\n"
        "spec: {provider: aws, objectStorage: {bucket: b, prefix: velero}, config: {fspath: " + dir_.string() + "}}\n"
        "---\napiVersion: v1\nkind: Secret\nmetadata: {name: velero-repo-credentials, namespace: velero}\n"
        "stringData: {repository-password: not-the-one}\n");
  BackupRepositoryController controller2(*store_, Options("node-2"));
  auto repo = Ensure(controller2);
  ASSERT_FALSE(repo.ok());
  EXPECT_NE(repo.status().message().find("backup repository is not ready"), std::string::npos) << repo.status().message();
  auto br = FindBackupRepository(*store_, Key());
  ASSERT_TRUE(br.ok());
  EXPECT_EQ(resource::StringAt(*br, "status.phase"), "NotReady");
  EXPECT_NE(resource::StringAt(*br, "status.message").find("password"), std::string::npos)
      << resource::StringAt(*br, "status.message");
}

TEST_F(BackupRepositoryTest, MissingBslIsNotReady) {
  BackupRepositoryController controller(*store_, Options("node-1"));
  EnsureOptions o;
  o.prepare = [&controller](const Object& r) { return controller.Prepare(r); };
  auto repo = EnsureRepository(*store_, {"velero", "app", "elsewhere", "kopia"}, o);
  ASSERT_FALSE(repo.ok());
  auto br = FindBackupRepository(*store_, {"velero", "app", "elsewhere", "kopia"});
  ASSERT_TRUE(br.ok());
  EXPECT_EQ(resource::StringAt(*br, "status.phase"), "NotReady");
  EXPECT_NE(resource::StringAt(*br, "status.message").find("BackupStorageLocation \"elsewhere\" not found"),
            std::string::npos);
  // Once the location exists, the next use prepares the repository again: Ready.
  Apply("apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: elsewhere, namespace: velero}\n"
        "spec: {provider: aws, objectStorage: {bucket: b, prefix: other}, config: {fspath: " + dir_.string() + "}}\n");
  repo = EnsureRepository(*store_, {"velero", "app", "elsewhere", "kopia"}, o);
  ASSERT_TRUE(repo.ok()) << repo.status().ToString();
  EXPECT_EQ(resource::StringAt(*repo, "status.phase"), "Ready");
  EXPECT_EQ(resource::StringAt(*repo, "status.message"), "");
  EXPECT_TRUE(fs::exists(dir_ / "other" / "kopia" / "app" / "kopia.repository.f"));
}

TEST_F(BackupRepositoryTest, MaintenanceRunsWhenDueAndStaysReady) {
  BackupRepositoryController controller(*store_, Options("node-1"));
  auto repo = Ensure(controller);
  ASSERT_TRUE(repo.ok());
  // Not due yet: nothing happens.
  ASSERT_TRUE(controller.Reconcile("velero", resource::Name(*repo)).ok());
  EXPECT_FALSE(controller.MaintenanceRunning());
  Object patch;
  std::string old = resource::Rfc3339(resource::NowUnixSeconds() - 2 * 3600);
  patch["status"]["lastMaintenanceTime"] = old;
  ASSERT_TRUE(store_->MergePatch("BackupRepository", "velero", resource::Name(*repo), patch).ok());
  ASSERT_TRUE(controller.Reconcile("velero", resource::Name(*repo)).ok());
  EXPECT_TRUE(controller.MaintenanceRunning());
  auto locked = store_->Get("BackupRepository", "velero", resource::Name(*repo));
  EXPECT_EQ(resource::Annotations(*locked)["ferry.io/maintenance-by"], "node-1");
  controller.WaitForMaintenance();
  auto after = store_->Get("BackupRepository", "velero", resource::Name(*repo));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(resource::StringAt(*after, "status.phase"), "Ready");
  EXPECT_NE(resource::StringAt(*after, "status.lastMaintenanceTime"), old);
  EXPECT_EQ(resource::Annotations(*after).count("ferry.io/maintenance-by"), 0u);
  EXPECT_FALSE(resource::Annotations(*after)["ferry.io/last-maintenance-result"].empty());
}

TEST_F(BackupRepositoryTest, UnknownAlgorithmVariableIsIgnoredWithAWarning) {
  setenv("KOPIA_HASHING_ALGORITHM", "NOT-A-HASH", 1);
  setenv("KOPIA_SPLITTER_ALGORITHM", "FIXED-1M", 1);
  auto algorithms = AlgorithmsFromEnvironment();
  unsetenv("KOPIA_HASHING_ALGORITHM");
  unsetenv("KOPIA_SPLITTER_ALGORITHM");
  EXPECT_EQ(algorithms.hash, "");
  EXPECT_EQ(algorithms.splitter, "FIXED-1M");
  EXPECT_NE(warnings_.find("KOPIA_HASHING_ALGORITHM=\"NOT-A-HASH\""), std::string::npos);
  BackupRepositoryControllerOptions options = Options("node-1");
  options.algorithms = algorithms;
  BackupRepositoryController controller(*store_, options);
  ASSERT_TRUE(Ensure(controller).ok());
  auto location = ResolveRepositoryLocation(*store_, Key());
  ASSERT_TRUE(location.ok());
  auto session = datapath::ConnectOrCreate(*location, {}, false);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto info = datapath::Describe(**session);
  EXPECT_EQ(info.splitter, "FIXED-1M");
  EXPECT_EQ(info.hash, "BLAKE2B-256-128");
}

}  // namespace
}  // namespace ferry::controlplane
