// The SQLite store against the API semantics of store.h: CRUD, optimistic concurrency across
// handles and processes, generateName, finalizers, owner garbage collection, selectors, merge
// patches, unknown fields, and the watch feed.
#include "resource/sqlite_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "resource/time_util.h"

namespace ferry::resource {
namespace {

class TempStoreFile {
 public:
  TempStoreFile() {
    static int counter = 0;
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("ferry-store-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~TempStoreFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string path() const { return (dir_ / "store.db").string(); }

 private:
  std::filesystem::path dir_;
};

std::unique_ptr<Store> Open(const std::string& path) {
  auto s = OpenSqliteStore(path);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(s).value();
}

Object DataUpload(const std::string& name, const std::string& ns = "openshift-adp") {
  Object o = Object::parse(R"({"apiVersion":"velero.io/v2alpha1","kind":"DataUpload",
    "metadata":{"namespace":"x"},
    "spec":{"snapshotType":"CSI","sourcePVC":"mysql","backupStorageLocation":"default",
            "sourceNamespace":"app","operationTimeout":"10m0s"}})");
  o["metadata"]["namespace"] = ns;
  if (!name.empty()) o["metadata"]["name"] = name;
  return o;
}

TEST(SqliteStore, CreateGetListUpdate) {
  auto store = Open(":memory:");
  auto created = store->Create(DataUpload("du-1"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(Name(*created), "du-1");
  EXPECT_EQ(Uid(*created).size(), 36u);
  EXPECT_EQ(Uid(*created)[14], '4');  // UUID version 4
  EXPECT_EQ(ResourceVersion(*created), 1);
  EXPECT_EQ((*created)["metadata"]["generation"], 1);
  auto ts = ParseRfc3339(CreationTimestamp(*created));
  ASSERT_TRUE(ts.ok());
  EXPECT_LE(std::abs(*ts - NowUnixSeconds()), 5);

  auto again = store->Create(DataUpload("du-1"));
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(again.status().message().find("datauploads.velero.io \"du-1\" already exists"), std::string::npos);

  auto got = store->Get("datauploads", "openshift-adp", "du-1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, *created);
  auto missing = store->Get("DataUpload", "openshift-adp", "nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "datauploads.velero.io \"nope\" not found");

  ASSERT_TRUE(store->Create(DataUpload("du-0")).ok());
  ASSERT_TRUE(store->Create(DataUpload("du-2", "other")).ok());
  auto in_ns = store->List("dataupload", {.namespace_name = "openshift-adp", .selector = {}});
  ASSERT_TRUE(in_ns.ok());
  ASSERT_EQ(in_ns->size(), 2u);
  EXPECT_EQ(Name((*in_ns)[0]), "du-0");  // ordered by name
  EXPECT_EQ(Name((*in_ns)[1]), "du-1");
  auto all = store->List("datauploads.velero.io", {});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ(Namespace((*all)[0]), "openshift-adp");
  EXPECT_EQ(Namespace((*all)[2]), "other");

  Object changed = *got;
  changed["status"]["phase"] = "Accepted";
  auto updated = store->Update(changed);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_GT(ResourceVersion(*updated), ResourceVersion(*got));
  EXPECT_EQ((*updated)["metadata"]["generation"], 2);
  EXPECT_EQ(StringAt(*updated, "status.phase"), "Accepted");
  // The same stale version again: Conflict, distinguishable by code.
  auto stale = store->Update(changed);
  EXPECT_EQ(stale.status().code(), StatusCode::kConflict);
  EXPECT_NE(stale.status().message().find("the object has been modified"), std::string::npos);
  auto rv = store->CurrentResourceVersion();
  ASSERT_TRUE(rv.ok());
  EXPECT_EQ(*rv, ResourceVersion(*updated));
}

TEST(SqliteStore, RejectsUnknownKindsAndWrongVersions) {
  auto store = Open(":memory:");
  Object o = DataUpload("x");
  o["kind"] = "Widget";
  EXPECT_EQ(store->Create(o).status().code(), StatusCode::kInvalidArgument);
  o = DataUpload("x");
  o["apiVersion"] = "velero.io/v1";
  auto r = store->Create(o);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("no matches for kind \"DataUpload\" in version \"velero.io/v1\""),
            std::string::npos);
  o = DataUpload("Bad_Name");
  EXPECT_EQ(store->Create(o).status().code(), StatusCode::kInvalidArgument);
}

TEST(SqliteStore, ClusterScopedKindsIgnoreNamespace) {
  auto store = Open(":memory:");
  Object pv = Object::parse(R"({"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pv1","namespace":"x"}})");
  auto created = store->Create(pv);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_FALSE((*created)["metadata"].contains("namespace"));
  EXPECT_TRUE(store->Get("pv", "", "pv1").ok());
  EXPECT_TRUE(store->Get("pv", "whatever", "pv1").ok());
}

TEST(SqliteStore, GenerateNameAddsFiveRandomCharacters) {
  auto store = Open(":memory:");
  std::set<std::string> names;
  for (int i = 0; i < 50; ++i) {
    Object o = DataUpload("");
    o["metadata"]["generateName"] = "backup-1-";
    auto c = store->Create(o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    std::string name = Name(*c);
    ASSERT_EQ(name.size(), std::string("backup-1-").size() + 5);
    EXPECT_TRUE(name.starts_with("backup-1-"));
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 50u);
}

TEST(SqliteStore, ConflictRaceBetweenTwoHandlesHasExactlyOneWinner) {
  TempStoreFile file;
  auto a = Open(file.path());
  auto b = Open(file.path());
  for (int round = 0; round < 20; ++round) {
    std::string name = "race-" + std::to_string(round);
    ASSERT_TRUE(a->Create(DataUpload(name)).ok());
    auto seen_a = a->Get("DataUpload", "openshift-adp", name);
    auto seen_b = b->Get("DataUpload", "openshift-adp", name);
    ASSERT_TRUE(seen_a.ok() && seen_b.ok());
    Object claim_a = *seen_a, claim_b = *seen_b;
    claim_a["status"]["phase"] = "Accepted";
    claim_a["status"]["node"] = "a";
    claim_b["status"]["phase"] = "Accepted";
    claim_b["status"]["node"] = "b";
    std::atomic<int> wins{0}, conflicts{0};
    auto claim = [&](Store* s, Object o) {
      auto r = s->Update(std::move(o));
      if (r.ok()) ++wins;
      else if (r.status().code() == StatusCode::kConflict) ++conflicts;
    };
    std::thread ta(claim, a.get(), claim_a);
    std::thread tb(claim, b.get(), claim_b);
    ta.join();
    tb.join();
    EXPECT_EQ(wins.load(), 1);
    EXPECT_EQ(conflicts.load(), 1);
    auto final_obj = a->Get("DataUpload", "openshift-adp", name);
    ASSERT_TRUE(final_obj.ok());
    EXPECT_EQ(StringAt(*final_obj, "status.phase"), "Accepted");
  }
}

TEST(SqliteStore, ConflictRaceBetweenProcesses) {
  TempStoreFile file;
  auto store = Open(file.path());
  ASSERT_TRUE(store->Create(DataUpload("shared")).ok());
  auto seen = store->Get("DataUpload", "openshift-adp", "shared");
  ASSERT_TRUE(seen.ok());
  constexpr int kProcesses = 4;
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto s = OpenSqliteStore(file.path());
      if (!s.ok()) _exit(3);
      Object o = *seen;
      o["status"]["node"] = "node-" + std::to_string(i);
      auto r = (*s)->Update(o);
      _exit(r.ok() ? 0 : r.status().code() == StatusCode::kConflict ? 1 : 2);
    }
    children.push_back(pid);
  }
  int winners = 0, losers = 0;
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 0) ++winners;
    else if (WEXITSTATUS(status) == 1) ++losers;
  }
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(losers, kProcesses - 1);
}

TEST(SqliteStore, FinalizerDeleteFlow) {
  auto store = Open(":memory:");
  Object o = DataUpload("fin");
  AddFinalizer(o, "velero.io/data-upload-download-finalizer");
  ASSERT_TRUE(store->Create(o).ok());
  ASSERT_TRUE(store->Delete("datauploads", "openshift-adp", "fin").ok());
  auto marked = store->Get("datauploads", "openshift-adp", "fin");
  ASSERT_TRUE(marked.ok());  // still there
  EXPECT_FALSE(DeletionTimestamp(*marked).empty());
  // A second delete changes nothing.
  ASSERT_TRUE(store->Delete("datauploads", "openshift-adp", "fin").ok());
  auto again = store->Get("datauploads", "openshift-adp", "fin");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ResourceVersion(*again), ResourceVersion(*marked));
  // deletionTimestamp cannot be cleared by an update.
  Object tampered = *again;
  tampered["metadata"].erase("deletionTimestamp");
  tampered["status"]["phase"] = "Canceled";
  auto still = store->Update(tampered);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(DeletionTimestamp(*still), DeletionTimestamp(*marked));
  // Removing the last finalizer removes the object.
  Object done = *still;
  RemoveFinalizer(done, "velero.io/data-upload-download-finalizer");
  auto last = store->Update(done);
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ(store->Get("datauploads", "openshift-adp", "fin").status().code(), StatusCode::kNotFound);
  auto events = store->EventsSince(ResourceVersion(*still), "DataUpload");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].type, EventType::kDeleted);
}

TEST(SqliteStore, OwnerGarbageCollectionCascades) {
  auto store = Open(":memory:");
  auto backup = store->Create(Object::parse(
      R"({"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":"b1","namespace":"openshift-adp"}})"));
  ASSERT_TRUE(backup.ok());
  Object du = DataUpload("b1-abcde");
  SetControllerOwner(du, *backup);
  auto du_created = store->Create(du);
  ASSERT_TRUE(du_created.ok());
  // A grandchild in another namespace, owned by the DataUpload, holding a finalizer.
  Object cm = Object::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"info","namespace":"app"}})");
  SetControllerOwner(cm, *du_created);
  auto cm_created = store->Create(cm);
  ASSERT_TRUE(cm_created.ok());
  Object vs = Object::parse(R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshot",
      "metadata":{"name":"b1-abcde","namespace":"openshift-adp","finalizers":["keep"]}})");
  SetControllerOwner(vs, *du_created);
  ASSERT_TRUE(store->Create(vs).ok());
  // Not owned: must survive.
  ASSERT_TRUE(store->Create(DataUpload("unrelated")).ok());

  ASSERT_TRUE(store->Delete("backup", "openshift-adp", "b1").ok());
  EXPECT_EQ(store->Get("backup", "openshift-adp", "b1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->Get("dataupload", "openshift-adp", "b1-abcde").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->Get("configmap", "app", "info").status().code(), StatusCode::kNotFound);
  auto vs_left = store->Get("volumesnapshot", "openshift-adp", "b1-abcde");
  ASSERT_TRUE(vs_left.ok());  // finalizer holds it
  EXPECT_FALSE(DeletionTimestamp(*vs_left).empty());
  EXPECT_TRUE(store->Get("dataupload", "openshift-adp", "unrelated").ok());
}

TEST(SqliteStore, ListFiltersBySelector) {
  auto store = Open(":memory:");
  for (int i = 0; i < 6; ++i) {
    Object o = DataUpload("du-" + std::to_string(i));
    SetLabel(o, "velero.io/backup-name", i < 4 ? "b1" : "b2");
    if (i % 2 == 0) SetLabel(o, "velero.io/accepted-by", "node-1");
    ASSERT_TRUE(store->Create(o).ok());
  }
  auto sel = LabelSelector::Parse("velero.io/backup-name=b1,!velero.io/accepted-by");
  ASSERT_TRUE(sel.ok());
  auto listed = store->List("datauploads", {.namespace_name = "", .selector = *sel});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(Name((*listed)[0]), "du-1");
  EXPECT_EQ(Name((*listed)[1]), "du-3");
  auto eq = store->List("datauploads", {.namespace_name = "", .selector = LabelSelector::Equals({{"velero.io/backup-name", "b2"}})});
  ASSERT_TRUE(eq.ok());
  EXPECT_EQ(eq->size(), 2u);
}

TEST(SqliteStore, MergePatch) {
  auto store = Open(":memory:");
  Object o = DataUpload("p");
  o["spec"]["dataMoverConfig"] = {{"ParallelFilesUpload", "4"}, {"other", "x"}};
  auto created = store->Create(o);
  ASSERT_TRUE(created.ok());
  Object patch = Object::parse(R"({"status":{"phase":"InProgress","progress":{"bytesDone":10,"totalBytes":100}},
                                   "spec":{"dataMoverConfig":{"other":null}}})");
  auto patched = store->MergePatch("datauploads", "openshift-adp", "p", patch);
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_EQ(IntAt(*patched, "status.progress.bytesDone"), 10);
  EXPECT_EQ(StringAt(*patched, "spec.dataMoverConfig.ParallelFilesUpload"), "4");
  EXPECT_FALSE((*patched)["spec"]["dataMoverConfig"].contains("other"));
  EXPECT_EQ(Uid(*patched), Uid(*created));
  // With a stale resourceVersion in the patch: Conflict.
  Object stale = {{"metadata", {{"resourceVersion", std::to_string(ResourceVersion(*created))}}},
                  {"status", {{"phase", "Failed"}}}};
  EXPECT_EQ(store->MergePatch("datauploads", "openshift-adp", "p", stale).status().code(), StatusCode::kConflict);
  // Identity cannot be patched.
  Object rename = {{"metadata", {{"name", "q"}, {"uid", "x"}}}};
  auto renamed = store->MergePatch("datauploads", "openshift-adp", "p", rename);
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(Name(*renamed), "p");
  EXPECT_EQ(Uid(*renamed), Uid(*created));
  // A patch that changes nothing writes nothing.
  auto before = store->CurrentResourceVersion();
  auto same = store->MergePatch("datauploads", "openshift-adp", "p", Object::parse(R"({"status":{"phase":"InProgress"}})"));
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*store->CurrentResourceVersion(), *before);
  EXPECT_EQ(store->MergePatch("datauploads", "openshift-adp", "nope", patch).status().code(), StatusCode::kNotFound);
}

TEST(SqliteStore, UnknownFieldsSurviveRoundTrips) {
  TempStoreFile file;
  Object o = DataUpload("u");
  o["spec"]["futureField"] = {{"nested", {1, 2, 3}}, {"flag", true}};
  o["status"]["acceptedByNode"] = "node-9";
  o["topLevelExtra"] = "kept";
  o["metadata"]["managedFields"] = Object::array({{{"manager", "kubectl"}}});
  {
    auto store = Open(file.path());
    ASSERT_TRUE(store->Create(o).ok());
    auto patched = store->MergePatch("du", "openshift-adp", "u", Object::parse(R"({"status":{"phase":"New"}})"));
    ASSERT_FALSE(patched.ok());  // "du" is not a short name upstream
    ASSERT_TRUE(store->MergePatch("dataupload", "openshift-adp", "u", Object::parse(R"({"status":{"phase":"New"}})")).ok());
  }
  auto store = Open(file.path());  // a fresh handle reads what the first wrote
  auto got = store->Get("dataupload", "openshift-adp", "u");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["spec"]["futureField"], o["spec"]["futureField"]);
  EXPECT_EQ((*got)["status"]["acceptedByNode"], "node-9");
  EXPECT_EQ((*got)["topLevelExtra"], "kept");
  EXPECT_EQ((*got)["metadata"]["managedFields"], o["metadata"]["managedFields"]);
  Object updated = *got;
  updated["status"]["phase"] = "Accepted";
  auto after = store->Update(updated);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)["spec"]["futureField"], o["spec"]["futureField"]);
}

TEST(SqliteStore, WatchFeedOrdersEventsAndFiltersByKind) {
  auto store = Open(":memory:");
  auto start = store->CurrentResourceVersion();
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(*start, 0);
  ASSERT_TRUE(store->Create(DataUpload("w")).ok());
  ASSERT_TRUE(store->Create(Object::parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}})")).ok());
  ASSERT_TRUE(store->MergePatch("dataupload", "openshift-adp", "w", Object::parse(R"({"spec":{"cancel":true}})")).ok());
  ASSERT_TRUE(store->Delete("dataupload", "openshift-adp", "w").ok());
  auto all = store->EventsSince(0, "");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  for (size_t i = 1; i < all->size(); ++i) {
    EXPECT_GT((*all)[i].resource_version, (*all)[i - 1].resource_version);
  }
  auto du = store->EventsSince(0, "datauploads");
  ASSERT_TRUE(du.ok());
  ASSERT_EQ(du->size(), 3u);
  EXPECT_EQ(EventTypeName((*du)[0].type), "ADDED");
  EXPECT_EQ(EventTypeName((*du)[1].type), "MODIFIED");
  EXPECT_EQ(EventTypeName((*du)[2].type), "DELETED");
  EXPECT_TRUE(BoolAt((*du)[2].object, "spec.cancel"));
  auto limited = store->EventsSince((*all)[0].resource_version, "", 2);
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ((*limited)[0].resource_version, (*all)[1].resource_version);
}

TEST(SqliteStore, OldEventsArePrunedAndTooOldIsReported) {
  TempStoreFile file;
  auto store = Open(file.path());
  ASSERT_TRUE(store->Create(DataUpload("busy")).ok());
  for (int i = 0; i < 11500; ++i) {
    Object patch = {{"status", {{"progress", {{"bytesDone", i + 1}}}}}};
    ASSERT_TRUE(store->MergePatch("dataupload", "openshift-adp", "busy", patch).ok());
  }
  auto rv = store->CurrentResourceVersion();
  ASSERT_TRUE(rv.ok());
  auto recent = store->EventsSince(*rv - 10000, "", 20000);
  ASSERT_TRUE(recent.ok()) << recent.status().ToString();
  EXPECT_EQ(recent->size(), 10000u);
  auto old = store->EventsSince(1, "");
  EXPECT_EQ(old.status().code(), StatusCode::kNotFound);
  EXPECT_NE(old.status().message().find("too old resource version"), std::string::npos);
}

TEST(SqliteStore, WaitForChangeSeesAnotherProcess) {
  TempStoreFile file;
  auto store = Open(file.path());
  auto start = store->CurrentResourceVersion();
  ASSERT_TRUE(start.ok());
  // Nothing happens: times out and reports the unchanged version.
  auto idle = store->WaitForChange(*start, 50);
  ASSERT_TRUE(idle.ok());
  EXPECT_EQ(*idle, *start);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    usleep(100 * 1000);
    auto s = OpenSqliteStore(file.path());
    if (!s.ok()) _exit(2);
    _exit((*s)->Create(DataUpload("from-child")).ok() ? 0 : 1);
  }
  auto t0 = std::chrono::steady_clock::now();
  auto changed = store->WaitForChange(*start, 10000);
  auto waited = std::chrono::steady_clock::now() - t0;
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ASSERT_TRUE(changed.ok());
  EXPECT_GT(*changed, *start);
  EXPECT_LT(waited, std::chrono::seconds(5));
  auto events = store->EventsSince(*start, "datauploads");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(Name((*events)[0].object), "from-child");
}

}  // namespace
}  // namespace ferry::resource
