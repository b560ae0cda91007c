#include "datapath/datapath.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "blob/storage_config.h"
#include "blob/testing/moto_server.h"
#include "cli/test_util.h"

namespace ferry::datapath {
namespace {

namespace fs = std::filesystem;
using ferry::testing::RunShell;
using ferry::testing::TempDir;

const char* kPassword = "static-passw0rd";

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    std::memcpy(s.data() + i, &v, std::min<size_t>(8, n - i));
  }
  return s;
}

void WriteFile(const fs::path& p, const std::string& data, mode_t mode = 0644) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
  ::chmod(p.c_str(), mode);
}

// A volume: files of several sizes, nested directories, a symlink, an empty file and directory.
void MakeVolume(const fs::path& root, uint32_t seed) {
  WriteFile(root / "db" / "data.bin", RandomBytes(3 << 20, seed));
  WriteFile(root / "db" / "wal" / "000001.log", RandomBytes(200000, seed + 1));
  WriteFile(root / "config.yaml", "replicas: 3\n", 0600);
  WriteFile(root / "empty.txt", "");
  fs::create_directories(root / "empty-dir");
  fs::create_symlink("db/data.bin", root / "current");
}

template <typename T>
T ValueOr(Result<T> r, T fallback) {
  return r.ok() ? std::move(*r) : std::move(fallback);
}

bool SameTree(const fs::path& a, const fs::path& b, std::string* why) {
  auto out = RunShell("diff -r --no-dereference '" + a.string() + "' '" + b.string() + "'");
  *why = out.text;
  return out.exit_code == 0;
}

BackupRequest VeleroBackup(const std::string& path, const std::string& pvc, const std::string& operation) {
  BackupRequest r;
  r.path = path;
  r.source_path = "snapshot-data-upload-download/kopia/ns1/" + pvc;
  r.tags = {{"snapshot-requester", "snapshot-data-upload-download"},
            {"snapshot-uploader", "kopia"},
            {"velero.io/async-operation-id", operation}};
  r.resume_tag = "velero.io/async-operation-id";
  r.parallel = 2;
  return r;
}

class DatapathTest : public ::testing::Test {
 protected:
  RepositoryLocation Location(const std::string& name = "repo", const std::string& password = kPassword) {
    RepositoryLocation l;
    l.storage = {{"type", "filesystem"}, {"path", (dir_.path() / name).string()}, {"sync", "none"}};
    l.password = password;
    return l;
  }

  std::unique_ptr<Session> Connect(const std::string& name = "repo", NewRepositoryAlgorithms a = {}) {
    auto s = ConnectOrCreate(Location(name), a, true);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  TempDir dir_{"datapath"};
};

TEST_F(DatapathTest, FilesystemRoundTripIsIdentical) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  EXPECT_TRUE(Describe(*session).created);
  fs::path volume = dir_.path() / "volume";
  MakeVolume(volume, 1);
  std::vector<Progress> reports;
  BackupRequest req = VeleroBackup(volume.string(), "pvc1", "du-1");
  req.progress = [&](const Progress& p) { reports.push_back(p); };
  auto backup = Backup(*session, req);
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();
  EXPECT_FALSE(backup->snapshot_id.empty());
  EXPECT_EQ(backup->total_bytes, (3 << 20) + 200000 + 12);
  EXPECT_EQ(backup->incremental_bytes, backup->total_bytes);  // nothing to reuse the first time
  EXPECT_EQ(backup->errors, 0);
  EXPECT_FALSE(backup->resumed);
  ASSERT_FALSE(reports.empty());
  EXPECT_EQ(reports.back().bytes_done, backup->total_bytes);
  EXPECT_EQ(reports.back().total_bytes, backup->total_bytes);

  fs::path target = dir_.path() / "restored";
  RestoreRequest rr;
  rr.snapshot_id = backup->snapshot_id;
  rr.target = target.string();
  auto restored = Restore(*session, rr);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->total_bytes, backup->total_bytes);
  EXPECT_EQ(restored->files, 4);
  std::string why;
  EXPECT_TRUE(SameTree(volume, target, &why)) << why;
  EXPECT_EQ(fs::status(target / "config.yaml").permissions() & fs::perms::all, fs::perms(0600));
}

TEST_F(DatapathTest, VeleroSourceTagsDescriptionAndPinsAreStored) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  fs::path volume = dir_.path() / "volume";
  MakeVolume(volume, 2);
  auto backup = Backup(*session, VeleroBackup(volume.string(), "pvc1", "du-7"));
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();
  auto list = ListSnapshots(*session);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  const SnapshotInfo& s = list->front();
  EXPECT_EQ(s.id, backup->snapshot_id);
  EXPECT_EQ(s.source, "default@default:snapshot-data-upload-download/kopia/ns1/pvc1");
  std::map<std::string, std::string> want = {{"snapshot-requester", "snapshot-data-upload-download"},
                                             {"snapshot-uploader", "kopia"},
                                             {"velero.io/async-operation-id", "du-7"}};
  EXPECT_EQ(s.tags, want);
  EXPECT_EQ(s.total_bytes, backup->total_bytes);
  EXPECT_FALSE(s.incomplete);
  // The manifest as kopia reads it: Velero's description and pin, tags stored as given.
  auto shown = RunShell("python3 " + std::string(FERRY_SHARED_DIR) + "/tools/kopia-inspect.py --path " +
                        (dir_.path() / "repo").string() + " --password " + kPassword + " snapshots --json");
  ASSERT_EQ(shown.exit_code, 0) << shown.text;
  EXPECT_NE(shown.text.find("Kopia Uploader"), std::string::npos) << shown.text;
  EXPECT_NE(shown.text.find("velero-pin"), std::string::npos) << shown.text;
  EXPECT_NE(shown.text.find("\"snapshot-requester\""), std::string::npos) << shown.text;
}

TEST_F(DatapathTest, SecondBackupReusesTheParentChosenByVeleroTags) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  fs::path volume = dir_.path() / "volume";
  MakeVolume(volume, 3);
  auto first = Backup(*session, VeleroBackup(volume.string(), "pvc1", "du-1"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();

  // A new operation ID: the parent is still found (the operation tag is not matched).
  WriteFile(volume / "config.yaml", "replicas: 5\n", 0600);
  std::vector<Progress> reports;
  BackupRequest req = VeleroBackup(volume.string(), "pvc1", "du-2");
  req.progress = [&](const Progress& p) { reports.push_back(p); };
  auto second = Backup(*session, req);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->total_bytes, first->total_bytes);
  EXPECT_EQ(second->incremental_bytes, 12);  // only the changed file was read
  EXPECT_EQ(reports.back().bytes_done, second->total_bytes);  // reused bytes count as done

  // Another requester (fs-backup) never uses the data mover's snapshots as parent.
  BackupRequest other = VeleroBackup(volume.string(), "pvc1", "du-3");
  other.tags["snapshot-requester"] = "pod-volume-backup-restore";
  auto third = Backup(*session, other);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(third->incremental_bytes, third->total_bytes);

  // Another PVC is another source: no parent either.
  auto fourth = Backup(*session, VeleroBackup(volume.string(), "pvc2", "du-4"));
  ASSERT_TRUE(fourth.ok());
  EXPECT_EQ(fourth->incremental_bytes, fourth->total_bytes);
}

TEST_F(DatapathTest, CancelledBackupResumesFromItsCheckpoint) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  fs::path volume = dir_.path() / "volume";
  constexpr int kFiles = 48;
  constexpr int64_t kFileSize = 1 << 20;
  for (int i = 0; i < kFiles; ++i) {
    WriteFile(volume / ("d" + std::to_string(i % 3)) / ("f" + std::to_string(i)), RandomBytes(kFileSize, 100 + i));
  }
  std::atomic<bool> cancel{false};
  BackupRequest req = VeleroBackup(volume.string(), "pvc1", "du-resume");
  req.parallel = 1;
  req.cancel = &cancel;
  req.progress_interval_ms = 1;
  // Cancel once a third is done: some files are finished, most are not.
  req.progress = [&](const Progress& p) {
    if (p.total_bytes > 0 && p.bytes_done >= p.total_bytes / 3) cancel = true;
  };
  auto interrupted = Backup(*session, req);
  ASSERT_FALSE(interrupted.ok());
  EXPECT_EQ(interrupted.status().code(), StatusCode::kCancelled) << interrupted.status().ToString();

  // Nothing but a checkpoint is left, carrying the operation's tags.
  auto list = ListSnapshots(*session);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE(list->front().incomplete);
  EXPECT_EQ(list->front().tags.at("velero.io/async-operation-id"), "du-resume");

  // Another operation does not resume it (and does not need to: its tag differs).
  // The same operation, started again (a restarted node agent), resumes it.
  cancel = false;
  req.progress = nullptr;
  auto resumed = Backup(*session, req);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_TRUE(resumed->resumed);
  EXPECT_EQ(resumed->total_bytes, kFiles * kFileSize);
  EXPECT_GT(resumed->incremental_bytes, 0);
  EXPECT_LT(resumed->incremental_bytes, resumed->total_bytes);  // finished files were not read again

  // The checkpoint is gone; one complete snapshot remains, and it restores identically.
  list = ListSnapshots(*session);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_FALSE(list->front().incomplete);
  RestoreRequest rr;
  rr.snapshot_id = resumed->snapshot_id;
  rr.target = (dir_.path() / "restored").string();
  ASSERT_TRUE(Restore(*session, rr).ok());
  std::string why;
  EXPECT_TRUE(SameTree(volume, rr.target, &why)) << why;
}

TEST_F(DatapathTest, ACheckpointOfAnotherOperationIsNotResumed) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  fs::path volume = dir_.path() / "volume";
  for (int i = 0; i < 24; ++i) WriteFile(volume / ("f" + std::to_string(i)), RandomBytes(1 << 20, 200 + i));
  std::atomic<bool> cancel{false};
  BackupRequest req = VeleroBackup(volume.string(), "pvc1", "du-a");
  req.parallel = 1;
  req.cancel = &cancel;
  req.progress_interval_ms = 1;
  req.progress = [&](const Progress& p) {
    if (p.total_bytes > 0 && p.bytes_done >= p.total_bytes / 3) cancel = true;
  };
  ASSERT_EQ(Backup(*session, req).status().code(), StatusCode::kCancelled);
  auto other = Backup(*session, VeleroBackup(volume.string(), "pvc1", "du-b"));
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_FALSE(other->resumed);
}

TEST_F(DatapathTest, BlockImageRoundTrip) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  fs::path image = dir_.path() / "disk.img";
  std::string data = RandomBytes(6 << 20, 9);
  std::memset(data.data() + (1 << 20), 0, 2 << 20);  // a stretch of zeros, as on a real disk
  WriteFile(image, data);
  BackupRequest req = VeleroBackup(image.string(), "pvc-block", "du-b1");
  req.block = true;
  auto backup = Backup(*session, req);
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();
  EXPECT_EQ(backup->total_bytes, int64_t(data.size()));

  fs::path target = dir_.path() / "restored.img";
  RestoreRequest rr;
  rr.snapshot_id = backup->snapshot_id;
  rr.target = target.string();
  rr.block = true;
  auto restored = Restore(*session, rr);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->total_bytes, int64_t(data.size()));
  auto cmp = RunShell("cmp '" + image.string() + "' '" + target.string() + "'");
  EXPECT_EQ(cmp.exit_code, 0) << cmp.text;

  // A directory is not a block source.
  req.path = dir_.path().string();
  EXPECT_EQ(Backup(*session, req).status().code(), StatusCode::kInvalidArgument);
}

// A real block device: an image attached through losetup, backed up as a Block volume and
// restored onto a second loop device.
TEST_F(DatapathTest, LoopBlockDeviceRoundTrip) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for losetup";
  if (RunShell("command -v losetup").exit_code != 0) GTEST_SKIP() << "losetup is not installed";
  fs::path src_img = dir_.path() / "src.img";
  fs::path dst_img = dir_.path() / "dst.img";
  WriteFile(src_img, RandomBytes(4 << 20, 11));
  WriteFile(dst_img, std::string(4 << 20, '\0'));
  auto attach = [](const fs::path& img) {
    auto out = RunShell("losetup --find --show '" + img.string() + "'");
    std::string dev = out.text.substr(0, out.text.find('\n'));
    return out.exit_code == 0 && dev.starts_with("/dev/loop") ? dev : std::string();
  };
  std::string src_dev = attach(src_img);
  if (src_dev.empty()) GTEST_SKIP() << "no loop device available";
  std::string dst_dev = attach(dst_img);
  struct Detach {
    std::vector<std::string> devs;
    ~Detach() {
      for (const auto& d : devs) RunShell("losetup -d " + d);
    }
  } detach{{src_dev}};
  if (dst_dev.empty()) GTEST_SKIP() << "only one loop device available";
  detach.devs.push_back(dst_dev);

  auto session = Connect();
  ASSERT_NE(session, nullptr);
  BackupRequest req = VeleroBackup(src_dev, "pvc-loop", "du-loop");
  req.block = true;
  auto backup = Backup(*session, req);
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();
  EXPECT_EQ(backup->total_bytes, 4 << 20);
  RestoreRequest rr;
  rr.snapshot_id = backup->snapshot_id;
  rr.target = dst_dev;
  rr.block = true;
  auto restored = Restore(*session, rr);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  auto cmp = RunShell("cmp " + src_dev + " " + dst_dev);
  EXPECT_EQ(cmp.exit_code, 0) << cmp.text;
}

TEST_F(DatapathTest, ForgetSnapshotsDeletesManifestsAndSkipsUnknownIds) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  fs::path volume = dir_.path() / "volume";
  MakeVolume(volume, 4);
  auto a = Backup(*session, VeleroBackup(volume.string(), "pvc1", "du-1"));
  auto b = Backup(*session, VeleroBackup(volume.string(), "pvc1", "du-2"));
  ASSERT_TRUE(a.ok() && b.ok());
  auto forgotten = ForgetSnapshots(*session, {a->snapshot_id, "0123456789abcdef0123456789abcdef"});
  ASSERT_TRUE(forgotten.ok()) << forgotten.status().ToString();
  EXPECT_EQ(*forgotten, 1);
  auto list = ListSnapshots(*session);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().id, b->snapshot_id);
}

TEST_F(DatapathTest, WrongPasswordIsAnAuthenticationErrorNamingTheLocation) {
  ASSERT_NE(Connect(), nullptr);
  auto s = ConnectOrCreate(Location("repo", "not-the-password"), {}, true);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kAuthentication);
  EXPECT_NE(s.status().message().find("wrong password"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find((dir_.path() / "repo").string()), std::string::npos);
}

TEST_F(DatapathTest, MissingRepositoryWithoutCreateIsNotFound) {
  fs::create_directories(dir_.path() / "empty");
  auto s = ConnectOrCreate(Location("empty"), {}, false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound) << s.status().ToString();
  auto storage = blob::OpenStorageFromConfig(Location("empty").storage, false);
  ASSERT_TRUE(storage.ok());
  EXPECT_TRUE((*storage)->ListAllBlobs("")->empty());  // nothing was created
}

TEST_F(DatapathTest, CreateRefusesALocationWithOtherData) {
  RepositoryLocation l = Location("used");
  auto storage = blob::OpenStorageFromConfig(l.storage, true);
  ASSERT_TRUE(storage.ok());
  ASSERT_TRUE((*storage)->PutBlob("p0123456789abcdef", AsBytes(std::string("old pack"))).ok());
  auto s = ConnectOrCreate(l, {}, true);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(s.status().message().find("found existing data in storage location " + (dir_.path() / "used").string()),
            std::string::npos)
      << s.status().message();
  EXPECT_FALSE((*storage)->GetMetadata("kopia.repository").ok());
}

TEST_F(DatapathTest, AlgorithmsApplyAtCreationOnly) {
  NewRepositoryAlgorithms a{"HMAC-SHA256", "CHACHA20-POLY1305-HMAC-SHA256", "FIXED-1M"};
  auto created = Connect("repo", a);
  ASSERT_NE(created, nullptr);
  RepositoryInfo info = Describe(*created);
  EXPECT_TRUE(info.created);
  EXPECT_EQ(info.hash, "HMAC-SHA256");
  EXPECT_EQ(info.encryption, "CHACHA20-POLY1305-HMAC-SHA256");
  EXPECT_EQ(info.splitter, "FIXED-1M");
  EXPECT_EQ(info.format_version, 3);
  created.reset();

  // Connecting to it with other algorithms (even invalid names) keeps the repository's own.
  auto again = ConnectOrCreate(Location("repo"), {"BLAKE3-256", "bogus", "DYNAMIC-8M-RABINKARP"}, true);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  info = Describe(**again);
  EXPECT_FALSE(info.created);
  EXPECT_EQ(info.hash, "HMAC-SHA256");
  EXPECT_EQ(info.splitter, "FIXED-1M");

  // Defaults when none are given; an unknown name is refused before anything is written.
  auto defaults = Connect("repo2");
  ASSERT_NE(defaults, nullptr);
  EXPECT_EQ(Describe(*defaults).hash, "BLAKE2B-256-128");
  EXPECT_EQ(Describe(*defaults).encryption, "AES256-GCM-HMAC-SHA256");
  EXPECT_EQ(Describe(*defaults).splitter, "DYNAMIC-4M-BUZHASH");
  auto bad = ConnectOrCreate(Location("repo3"), {"SHA1", "", ""}, true);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("BLAKE2B-256-128"), std::string::npos) << bad.status().message();
}

TEST_F(DatapathTest, MaintenanceRunsAsVeleroOwnerOnly) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  fs::path volume = dir_.path() / "volume";
  MakeVolume(volume, 5);
  auto backup = Backup(*session, VeleroBackup(volume.string(), "pvc1", "du-1"));
  ASSERT_TRUE(backup.ok());
  ASSERT_TRUE(ForgetSnapshots(*session, {backup->snapshot_id}).ok());
  // The repository was created with Velero's owner, default@default.
  MaintenanceRequest full;
  full.full = true;
  full.safety_none = true;
  auto r = RunMaintenance(*session, full);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->summary.find("full maintenance"), std::string::npos) << r->summary;
  MaintenanceRequest other;
  other.owner = "someone@else";
  auto refused = RunMaintenance(*session, other);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("default@default"), std::string::npos) << refused.status().message();
}

// --- LocationStore ------------------------------------------------------------------------------

void ExerciseLocationStore(LocationStore& store) {
  ASSERT_TRUE(store.Put("backups/nightly/velero-backup.json", "{\"kind\":\"Backup\"}").ok());
  ASSERT_TRUE(store.Put("backups/nightly/nightly-datauploads.json.gz", std::string("\x1f\x8b\x00\x01", 4)).ok());
  ASSERT_TRUE(store.Put("backups/weekly/velero-backup.json", "{}").ok());
  auto got = store.Get("backups/nightly/nightly-datauploads.json.gz");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, std::string("\x1f\x8b\x00\x01", 4));
  ASSERT_TRUE(store.Put("backups/weekly/velero-backup.json", "{\"v\":2}").ok());  // replaces
  EXPECT_EQ(ValueOr(store.Get("backups/weekly/velero-backup.json"), std::string()), "{\"v\":2}");

  auto nightly = store.List("backups/nightly/");
  ASSERT_TRUE(nightly.ok()) << nightly.status().ToString();
  EXPECT_EQ(*nightly, (std::vector<std::string>{"backups/nightly/nightly-datauploads.json.gz",
                                                "backups/nightly/velero-backup.json"}));
  auto all = store.List("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);

  ASSERT_TRUE(store.Delete("backups/nightly/velero-backup.json").ok());
  ASSERT_TRUE(store.Delete("backups/nightly/velero-backup.json").ok());  // absent: still OK
  EXPECT_EQ(store.Get("backups/nightly/velero-backup.json").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store.List("backups/nightly/")->size(), 1u);

  for (const char* bad : {"../escape", "/abs", "a//b", "a/./b", ""}) {
    EXPECT_EQ(store.Put(bad, "x").code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(LocationStoreTest, FilesystemKeysArePlainFiles) {
  TempDir dir("location");
  auto store = LocationStore::Open({{"type", "filesystem"}, {"path", (dir.path() / "bsl").string()}});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ExerciseLocationStore(**store);
  // Exactly the key as a path under the root (what `ls` shows of Velero's layout).
  EXPECT_TRUE(fs::is_regular_file(dir.path() / "bsl" / "backups" / "nightly" / "nightly-datauploads.json.gz"));
  EXPECT_FALSE(fs::exists(dir.path() / "escape"));
}

TEST(LocationStoreTest, S3KeysAreObjectKeysUnderThePrefix) {
  auto* moto = blob::testing::MotoServer::Shared();
  ASSERT_NE(moto, nullptr) << "needs moto (see docs/s3.md)";
  // moto cannot check signatures of listings whose prefix has a '/' (see moto_server.h).
  ASSERT_TRUE(moto->SetAuth(false).ok());
  std::string prefix = "velero-" + std::to_string(::getpid());
  std::map<std::string, std::string> storage = {
      {"type", "s3"},
      {"bucket", "ferry-test"},
      {"prefix", prefix},  // no trailing '/': the BSL prefix names a directory anyway
      {"endpoint", moto->endpoint()},
      {"disable-tls", "true"},
      {"force-path-style", "true"},
      {"access-key", moto->credentials().access_key_id},
      {"secret-access-key", moto->credentials().secret_access_key},
  };
  auto store = LocationStore::Open(storage);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ExerciseLocationStore(**store);
  // Through the blob layer, the key is exactly <prefix>/backups/...
  blob::S3Options o = moto->OptionsFor("ferry-test", prefix + "/backups/weekly/");
  auto s3 = blob::S3Storage::Open(o);
  ASSERT_TRUE(s3.ok()) << s3.status().ToString();
  auto blob = (*s3)->GetBlob("velero-backup.json");
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  EXPECT_EQ(AsString(*blob), "{\"v\":2}");
  for (const auto& key : ValueOr((*store)->List(""), std::vector<std::string>{})) {
    EXPECT_TRUE((*store)->Delete(key).ok());
  }
  EXPECT_TRUE((*store)->List("")->empty());
  EXPECT_TRUE(moto->SetAuth(true).ok());
}

}  // namespace
}  // namespace ferry::datapath
