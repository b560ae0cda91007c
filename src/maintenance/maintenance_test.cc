// Maintenance: space comes back after snapshots are deleted, nothing reachable or recent is ever
// lost, faults leave the repository consistent, and kopia's fixture repositories survive it.
#include "maintenance/maintenance.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "blob/fault_injecting_storage.h"
#include "blob/filesystem_storage.h"
#include "cli/test_util.h"
#include "content/epoch_manager.h"
#include "maintenance/blob_gc.h"
#include "maintenance/reachable_set.h"
#include "maintenance/schedule.h"
#include "snapshot/read_test_util.h"
#include "snapshot/restore.h"
#include "snapshot/snapshot_manifest.h"
#include "snapshot/uploader.h"

namespace ferry::maintenance {
namespace {

namespace fs = std::filesystem;
using ferry::testing::RunShell;
using ferry::testing::TempDir;

const std::string kInspect = "python3 " + std::string(FERRY_SHARED_DIR) + "/tools/kopia-inspect.py";
constexpr const char* kOwner = "user@host";

void WriteRandomFile(const fs::path& p, size_t size, uint64_t seed) {
  fs::create_directories(p.parent_path());
  std::mt19937_64 rng(seed);
  std::string data(size, '\0');
  for (auto& c : data) c = char(rng());
  std::ofstream(p, std::ios::binary) << data;
}

// A tree of `files` incompressible files (distinct per seed), two levels deep.
void MakeTree(const fs::path& root, uint64_t seed, int files = 6, size_t size = 300 << 10) {
  for (int i = 0; i < files; ++i) {
    WriteRandomFile(root / ("d" + std::to_string(i % 2)) / ("f" + std::to_string(i)), size + i, seed * 1000 + i);
  }
}

std::map<std::string, std::string> ReadTree(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    out[fs::relative(e.path(), root).string()] = std::string(std::istreambuf_iterator<char>(in), {});
  }
  return out;
}

int64_t StorageBytes(const fs::path& root) {
  int64_t total = 0;
  for (auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) total += int64_t(e.file_size());
  }
  return total;
}

class MaintenanceTest : public ::testing::Test {
 protected:
  MaintenanceTest() : dir_("maintenance") {}

  void SetUp() override { CreateRepository(dir_.path() / "repo", {}); }

  void CreateRepository(const fs::path& path, format::EpochParameters epoch) {
    repo_path_ = path;
    auto created = blob::CreateFilesystemStorage(path.string());
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    inner_ = std::shared_ptr<blob::Storage>(std::move(*created));
    faults_ = std::make_shared<blob::FaultInjectingStorage>(inner_);
    repo::NewRepositoryOptions o;
    o.maintenance_owner = kOwner;
    o.epoch = epoch;
    o.max_pack_size = 10 << 20;
    ASSERT_TRUE(repo::InitializeRepository(inner_.get(), "pw", o, "test").ok());
    repository_ = Open(faults_);
  }

  std::unique_ptr<repo::Repository> Open(std::shared_ptr<blob::Storage> storage) {
    repo::OpenOptions o;
    o.hostname = "host";
    o.username = "user";
    auto r = repo::Repository::Open(std::move(storage), "pw", o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(*r) : nullptr;
  }

  snapshot::SnapshotManifest Snapshot(repo::Repository* r, const fs::path& src) {
    snapshot::Uploader up(r, snapshot::UploadOptions{});
    auto m = up.SnapshotDirectory({"host", "user", "/data/" + src.filename().string()}, src.string());
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : snapshot::SnapshotManifest{};
  }

  void DeleteSnapshot(repo::Repository* r, const std::string& id) {
    ASSERT_TRUE(r->manifests()->Delete(id).ok());
    ASSERT_TRUE(r->Flush().ok());
  }

  Result<RunReport> RunMaintenance(repo::Repository* r, bool full, Safety safety, std::vector<std::string>* notes = nullptr) {
    RunOptions o;
    o.full = full;
    o.safety = safety;
    o.user_at_host = kOwner;
    o.note = [notes](const std::string& line) {
      if (notes) notes->push_back(line);
    };
    return maintenance::Run(r, o);
  }

  // Restores `id` through a freshly opened repository on the undisturbed storage and compares.
  void ExpectRestores(const std::string& id, const fs::path& src) {
    auto fresh = Open(inner_);
    ASSERT_TRUE(fresh);
    auto m = snapshot::LoadSnapshot(fresh->manifests(), id);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    fs::path out = dir_.path() / ("restore-" + std::to_string(restores_++));
    auto stats = snapshot::Restore(*fresh->objects(), m->root_entry, out.string(), snapshot::RestoreOptions{});
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_EQ(ReadTree(out), ReadTree(src));
  }

  // The independent reader (written from the format spec) checks every content and restores.
  void ExpectInspectorAgrees(const std::string& id, const fs::path& src) {
    auto verify = RunShell(kInspect + " --path " + repo_path_.string() + " --password pw contents --verify");
    EXPECT_EQ(verify.exit_code, 0) << verify.text;
    EXPECT_NE(verify.text.find(" 0 failed"), std::string::npos) << verify.text;
    fs::path out = dir_.path() / ("inspect-" + std::to_string(restores_++));
    auto r = RunShell(kInspect + " --path " + repo_path_.string() + " --password pw restore " + id + " " + out.string());
    ASSERT_EQ(r.exit_code, 0) << r.text;
    EXPECT_EQ(ReadTree(out), ReadTree(src));
  }

  TempDir dir_;
  fs::path repo_path_;
  std::shared_ptr<blob::Storage> inner_;
  std::shared_ptr<blob::FaultInjectingStorage> faults_;
  std::unique_ptr<repo::Repository> repository_;
  int restores_ = 0;
};

// Three snapshots, two deleted: with --safety=none one full run gives the space back — within
// 10% of a fresh repository holding only the kept snapshot — and the kept one still restores
// (also through the independent reader).
TEST_F(MaintenanceTest, FullRunWithoutSafetyReclaimsDeletedSnapshots) {
  std::vector<fs::path> srcs;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    srcs.push_back(dir_.path() / ("src" + std::to_string(i)));
    MakeTree(srcs.back(), i + 1);
    ids.push_back(Snapshot(repository_.get(), srcs.back()).id);
  }
  int64_t before = StorageBytes(repo_path_);
  DeleteSnapshot(repository_.get(), ids[0]);
  DeleteSnapshot(repository_.get(), ids[2]);

  auto report = RunMaintenance(repository_.get(), true, Safety::kNone);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GT(report->contents_marked_deleted, 0);
  EXPECT_GT(report->blobs_deleted, 0);
  EXPECT_GT(report->deletion_watermark, 0);
  int64_t after = StorageBytes(repo_path_);

  // The reference: a fresh repository holding only the kept snapshot.
  TempDir fresh_dir("maintenance-fresh");
  auto fresh_storage = blob::CreateFilesystemStorage((fresh_dir.path() / "repo").string());
  ASSERT_TRUE(fresh_storage.ok());
  std::shared_ptr<blob::Storage> fresh_shared(std::move(*fresh_storage));
  repo::NewRepositoryOptions o;
  o.maintenance_owner = kOwner;
  o.max_pack_size = 10 << 20;
  ASSERT_TRUE(repo::InitializeRepository(fresh_shared.get(), "pw", o, "fresh").ok());
  auto fresh = Open(fresh_shared);
  Snapshot(fresh.get(), srcs[1]);
  int64_t reference = StorageBytes(fresh_dir.path() / "repo");

  EXPECT_LT(after, before / 2) << "before " << before << " after " << after;
  EXPECT_LE(after, reference * 11 / 10) << "after " << after << " fresh " << reference;
  ExpectRestores(ids[1], srcs[1]);
  ExpectInspectorAgrees(ids[1], srcs[1]);

  // A second run finds nothing more to do and changes nothing that matters.
  auto again = RunMaintenance(repository_.get(), true, Safety::kNone);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->contents_marked_deleted, 0);
  ExpectRestores(ids[1], srcs[1]);
}

// Default safety: the same deletions reclaim nothing yet (everything is younger than 24 h), and
// a snapshot written while maintenance runs is complete and verifiable afterwards.
TEST_F(MaintenanceTest, DefaultSafetyKeepsRecentDataWhileASnapshotRunsConcurrently) {
  std::vector<fs::path> srcs;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    srcs.push_back(dir_.path() / ("src" + std::to_string(i)));
    MakeTree(srcs.back(), i + 10);
    ids.push_back(Snapshot(repository_.get(), srcs.back()).id);
  }
  DeleteSnapshot(repository_.get(), ids[0]);
  DeleteSnapshot(repository_.get(), ids[1]);
  int64_t before = StorageBytes(repo_path_);

  fs::path busy = dir_.path() / "busy";
  MakeTree(busy, 99, 24, 200 << 10);
  auto writer = Open(inner_);  // another client on the same storage
  std::string concurrent_id;
  std::thread snapshotting([&] { concurrent_id = Snapshot(writer.get(), busy).id; });
  int runs = 0;
  do {
    auto report = RunMaintenance(repository_.get(), true, Safety::kFull);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->contents_marked_deleted, 0) << report->Summary();
    EXPECT_EQ(report->blobs_deleted, 0) << report->Summary();
    ++runs;
  } while (runs < 2);
  snapshotting.join();
  ASSERT_FALSE(concurrent_id.empty());
  auto last = RunMaintenance(repository_.get(), false, Safety::kFull);
  ASSERT_TRUE(last.ok()) << last.status().ToString();

  EXPECT_GE(StorageBytes(repo_path_), before);
  ExpectRestores(concurrent_id, busy);
  ExpectRestores(ids[2], srcs[2]);
  ExpectInspectorAgrees(concurrent_id, busy);
}

// Faults in the middle (failed deletes, failed puts, an abort between tasks) leave a repository
// whose kept snapshot restores, and the next run finishes the job.
TEST_F(MaintenanceTest, FaultsLeaveTheRepositoryConsistentAndARerunFinishes) {
  std::vector<fs::path> srcs;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    srcs.push_back(dir_.path() / ("src" + std::to_string(i)));
    MakeTree(srcs.back(), i + 20);
    ids.push_back(Snapshot(repository_.get(), srcs.back()).id);
  }
  DeleteSnapshot(repository_.get(), ids[0]);
  DeleteSnapshot(repository_.get(), ids[1]);

  // 1. The index blob holding snapshot GC's deletion marks cannot be written.
  faults_->FailMatching(blob::Op::kPut, "xn", 1);
  auto failed_index = RunMaintenance(repository_.get(), true, Safety::kNone);
  EXPECT_FALSE(failed_index.ok());
  EXPECT_EQ(faults_->Counters().Injected(blob::Op::kPut), 1);
  faults_->ClearFaults();
  ExpectRestores(ids[2], srcs[2]);
  repository_ = Open(faults_);

  // 2. An abort right after snapshot GC marked things deleted.
  RunOptions abort_opts;
  abort_opts.full = true;
  abort_opts.safety = Safety::kNone;
  abort_opts.user_at_host = kOwner;
  abort_opts.before_task = [](const std::string& task) {
    return task == kTaskDropDeletedContentsFull ? Status::Cancelled("killed") : Status::OK();
  };
  auto aborted = maintenance::Run(repository_.get(), abort_opts);
  EXPECT_EQ(aborted.status().code(), StatusCode::kCancelled);
  ExpectRestores(ids[2], srcs[2]);

  // 3. The deletion watermark cannot be written.
  faults_->ResetCounters();
  faults_->FailMatching(blob::Op::kPut, "xw", 1);
  auto failed_puts = RunMaintenance(repository_.get(), true, Safety::kNone);
  EXPECT_FALSE(failed_puts.ok());
  EXPECT_EQ(faults_->Counters().Injected(blob::Op::kPut), 1);
  faults_->ClearFaults();
  ExpectRestores(ids[2], srcs[2]);

  // 4. Deletes of packs fail in blob GC.
  repository_ = Open(faults_);
  faults_->ResetCounters();
  faults_->FailMatching(blob::Op::kDelete, "p", -1);
  auto failed_deletes = RunMaintenance(repository_.get(), true, Safety::kNone);
  EXPECT_FALSE(failed_deletes.ok());
  EXPECT_GT(faults_->Counters().Injected(blob::Op::kDelete), 0);
  faults_->ClearFaults();
  ExpectRestores(ids[2], srcs[2]);

  // The re-run (a new process) finishes: the space is back and everything verifies.
  repository_ = Open(faults_);
  auto rerun = RunMaintenance(repository_.get(), true, Safety::kNone);
  ASSERT_TRUE(rerun.ok()) << rerun.status().ToString();
  auto settle = RunMaintenance(repository_.get(), true, Safety::kNone);
  ASSERT_TRUE(settle.ok()) << settle.status().ToString();
  EXPECT_EQ(settle->blobs_deleted, 0) << "the re-run left nothing behind";
  ExpectRestores(ids[2], srcs[2]);
  ExpectInspectorAgrees(ids[2], srcs[2]);
  // No pack of the deleted snapshots survives: every p/q blob is referenced by a live entry.
  auto fresh = Open(inner_);
  std::set<std::string> live_packs;
  ASSERT_TRUE(fresh->contents()->IterateContents(false, [&](const content::ContentInfo& ci) {
    live_packs.insert(ci.pack_blob_id);
    return Status::OK();
  }).ok());
  auto packs = inner_->ListAllBlobs("p");
  ASSERT_TRUE(packs.ok());
  for (const auto& b : *packs) EXPECT_TRUE(live_packs.count(b.id)) << b.id;
}

// A killed backup leaves its packs' temp files ("*.f.tmp.<hex>"), which are not blobs: blob GC
// cannot see them. Maintenance deletes those older than the pack margin (24 h with full safety,
// so a writer still at work keeps its files), and every one with --safety=none.
TEST_F(MaintenanceTest, TempFilesOfKilledWritersGoAfterTheSafetyMargin) {
  fs::path src = dir_.path() / "src";
  MakeTree(src, 7);
  snapshot::SnapshotManifest m = Snapshot(repository_.get(), src);
  fs::path shard = repo_path_ / "p" / "abc";
  fs::create_directories(shard);
  const fs::path old_temp = shard / "def0123456789abcdef0123456789a-s0011223344556677115.f.tmp.0123456789abcdef";
  const fs::path fresh_temp = shard / "def0123456789abcdef0123456789b-s0011223344556677115.f.tmp.fedcba9876543210";
  { std::ofstream(old_temp) << std::string(5000, 'x'); }
  { std::ofstream(fresh_temp) << std::string(300, 'y'); }
  fs::last_write_time(old_temp, fs::file_time_type::clock::now() - std::chrono::hours(48));

  auto full = RunMaintenance(repository_.get(), true, Safety::kFull);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->temporaries_deleted, 1);
  EXPECT_EQ(full->temporary_bytes_deleted, 5000);
  EXPECT_NE(full->Summary().find("1 unfinished temporary files deleted (5000 bytes)"), std::string::npos) << full->Summary();
  EXPECT_FALSE(fs::exists(old_temp));
  EXPECT_TRUE(fs::exists(fresh_temp));

  auto none = RunMaintenance(repository_.get(), true, Safety::kNone);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(none->temporaries_deleted, 1);
  EXPECT_FALSE(fs::exists(fresh_temp));
  ExpectRestores(m.id, src);
}

TEST_F(MaintenanceTest, OnlyTheOwnerRunsAndParamsAreKopias) {
  auto params = ReadParams(repository_.get());
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->owner, kOwner);
  RunOptions o;
  o.full = true;
  o.user_at_host = "someone@else";
  auto refused = maintenance::Run(repository_.get(), o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("maintenance must be run by designated user: user@host"), std::string::npos)
      << refused.status().ToString();

  Params p = *params;
  p.owner = "someone@else";
  p.quick_enabled = false;
  p.full_interval_ns = int64_t{6} * 3600 * 1'000'000'000;
  ASSERT_TRUE(WriteParams(repository_.get(), p).ok());
  auto reread = ReadParams(Open(inner_).get());
  ASSERT_TRUE(reread.ok());
  EXPECT_EQ(reread->owner, "someone@else");
  EXPECT_FALSE(reread->quick_enabled);
  EXPECT_EQ(reread->full_interval_ns, p.full_interval_ns);
  // Exactly one maintenance manifest, with kopia's field names (and the fields ferry keeps).
  auto found = repository_->manifests()->Find({{"type", "maintenance"}});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  auto m = repository_->manifests()->Get((*found)[0].id);
  auto j = nlohmann::json::parse(m->data);
  EXPECT_EQ(j["owner"], "someone@else");
  EXPECT_EQ(j["full"]["interval"], p.full_interval_ns);
  EXPECT_TRUE(j.contains("logRetention"));
  EXPECT_TRUE(maintenance::Run(repository_.get(), o).ok());
}

TEST_F(MaintenanceTest, ScheduleBlobRecordsRunsNewestFirst) {
  auto report = RunMaintenance(repository_.get(), true, Safety::kFull);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  auto s = ReadSchedule(repository_.get());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto gc = s->Runs(kTaskSnapshotGc);
  ASSERT_EQ(gc.size(), 1u);
  EXPECT_TRUE(gc[0].success);
  EXPECT_GT(s->next_full_ns, gc[0].start_ns);
  // Nothing to rewrite: no rewrite is recorded, so blob deletion ran in the same run.
  EXPECT_TRUE(s->Runs(kTaskRewriteContentsFull).empty());
  EXPECT_EQ(s->Runs(kTaskDeleteOrphanedBlobsFull).size(), 1u);
  ASSERT_TRUE(RunMaintenance(repository_.get(), true, Safety::kFull).ok());
  s = ReadSchedule(repository_.get());
  gc = s->Runs(kTaskSnapshotGc);
  ASSERT_EQ(gc.size(), 2u);
  EXPECT_GE(gc[0].start_ns, gc[1].end_ns);
  // Two GC runs minutes apart are not enough to drop deleted entries under full safety.
  EXPECT_EQ(FindSafeDropTime(gc, 4 * kHourNanos, kHourNanos), 0);
}

TEST(MaintenanceRules, SafeDropTimeNeedsTwoGcRunsFarEnoughApart) {
  const int64_t h = kHourNanos;
  std::vector<RunInfo> runs = {{10 * h, 10 * h + 5, true, ""}};
  EXPECT_EQ(FindSafeDropTime(runs, 4 * h, h), 0);
  runs.push_back({7 * h, 7 * h + 5, true, ""});  // ended < 4 h before the latest started
  EXPECT_EQ(FindSafeDropTime(runs, 4 * h, h), 0);
  runs.push_back({2 * h, 2 * h + 5, true, ""});
  EXPECT_EQ(FindSafeDropTime(runs, 4 * h, h), 1 * h);
  runs.push_back({1 * h, 1 * h + 5, false, "failed"});
  EXPECT_EQ(FindSafeDropTime(runs, 4 * h, h), 1 * h);
}

TEST(MaintenanceRules, SessionIdOfBlobAndReachableSet) {
  EXPECT_EQ(SessionIdOfBlob("p0123abcd-s0011223344556677115"), "s0011223344556677115");
  EXPECT_EQ(SessionIdOfBlob("sfeedbeef-s0011223344556677115"), "s0011223344556677115");
  EXPECT_EQ(SessionIdOfBlob("xn0_abcd-s01-c1"), "s01");
  EXPECT_EQ(SessionIdOfBlob("pabcdef"), "");
  ReachableSet set;
  std::vector<content::ContentId> ids;
  for (int i = 0; i < 5000; ++i) {
    uint8_t h[16] = {};
    h[0] = uint8_t(i);
    h[1] = uint8_t(i >> 8);
    ids.push_back(*content::ContentId::FromHash(i % 3 ? 0 : 'k', ByteView(h, 16)));
  }
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < ids.size(); i += 2) set.Add(ids[i]);
  }
  set.Seal();
  EXPECT_EQ(set.size(), 2500u);
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(set.Contains(ids[i]), i % 2 == 0) << i;
}

// With fast epochs, quick maintenance advances and compacts epochs (xs), full maintenance writes
// range checkpoints (xr) and deletes superseded xn blobs; every snapshot stays readable by
// ferry and by the independent reader.
TEST_F(MaintenanceTest, EpochCompactionAndCleanup) {
  TempDir other("maintenance-epochs");
  // The smallest epoch parameters kopia accepts; time is made to pass by back-dating the index
  // blobs (the filesystem store's timestamps are file mtimes).
  format::EpochParameters fast;
  fast.epoch_refresh_frequency_ns = 60 * kNanosPerSecond;
  fast.min_epoch_duration_ns = 10 * 60 * kNanosPerSecond;
  fast.cleanup_safety_margin_ns = 3 * 60 * kNanosPerSecond;
  fast.epoch_advance_on_count_threshold = 10;
  fast.full_checkpoint_frequency = 1;
  CreateRepository(other.path() / "repo", fast);
  auto age_index_blobs = [&] {
    for (auto& e : fs::recursive_directory_iterator(repo_path_ / "x")) {
      if (e.is_regular_file()) fs::last_write_time(e.path(), e.last_write_time() - std::chrono::minutes(11));
    }
    for (auto& e : fs::directory_iterator(repo_path_)) {
      std::string name = e.path().filename().string();
      if (e.is_regular_file() && name[0] == 'x') fs::last_write_time(e.path(), e.last_write_time() - std::chrono::minutes(11));
    }
  };
  std::vector<std::pair<std::string, fs::path>> snaps;
  for (int i = 0; i < 8; ++i) {
    fs::path src = other.path() / ("src" + std::to_string(i));
    MakeTree(src, 40 + i, 2, 1000);
    snaps.emplace_back(Snapshot(repository_.get(), src).id, src);
    for (int j = 0; j < 5; ++j) {  // more index blobs per epoch, cheaply
      std::string data = "filler " + std::to_string(i) + "/" + std::to_string(j);
      ASSERT_TRUE(repository_->contents()->WriteContent(AsBytes(data), 0, compression::kNoCompression).ok());
      ASSERT_TRUE(repository_->contents()->Flush().ok());
      age_index_blobs();
    }
    auto quick = RunMaintenance(repository_.get(), false, Safety::kFull);
    ASSERT_TRUE(quick.ok()) << quick.status().ToString();
  }
  auto full = RunMaintenance(repository_.get(), true, Safety::kFull);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  auto xs = inner_->ListAllBlobs("xs");
  auto xr = inner_->ListAllBlobs("xr");
  auto xe = inner_->ListAllBlobs("xe");
  ASSERT_TRUE(xs.ok() && xr.ok() && xe.ok());
  EXPECT_FALSE(xs->empty());
  EXPECT_FALSE(xr->empty());
  EXPECT_LE(xe->size(), 2u) << "old epoch markers are cleaned up";
  // Once the compactions are older than the cleanup margin, the xn blobs they replace go (an
  // epoch covered only by a range checkpoint keeps its xn blobs, as in kopia).
  age_index_blobs();
  // The "storage clock" of the cleanup rule is the newest xn blob: a client writes one now.
  ASSERT_TRUE(repository_->contents()->WriteContent(AsBytes("later"), 0, compression::kNoCompression).ok());
  ASSERT_TRUE(repository_->contents()->Flush().ok());
  auto again = RunMaintenance(repository_.get(), true, Safety::kFull);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_GT(again->index_blobs_deleted, 0);
  auto listing = inner_->ListAllBlobs("x");
  ASSERT_TRUE(listing.ok());
  std::set<int64_t> compacted_epochs;
  for (const auto& b : *listing) {
    if (b.id.starts_with("xs")) compacted_epochs.insert(content::EpochOfBlobId(b.id));
  }
  for (const auto& b : *listing) {
    if (b.id.starts_with("xn")) {
      EXPECT_FALSE(compacted_epochs.count(content::EpochOfBlobId(b.id))) << b.id;
    }
  }
  for (const auto& [id, src] : snaps) ExpectRestores(id, src);
  ExpectInspectorAgrees(snaps.front().first, snaps.front().second);
}

// Kopia's own repositories (copies): full maintenance without margins keeps every snapshot
// restorable to exactly the tree it was made from.
TEST(MaintenanceFixtures, KopiaRepositoriesStayRestorable) {
  struct Fixture {
    std::string repo, snapshot, tree;
  };
  const std::vector<Fixture> fixtures = {{"default", "3d3bed13be8d01166562d0382d59c3dd", "alpha"},
                                         {"default", "b2afd3645316c7c440f1ca146f2940cf", "alpha2"},
                                         {"blake3-chacha-rabinkarp-zstd", "111abec1943e4f90f6a9ac13e5c3afa8", "alpha"},
                                         {"hmac-fixed-maintained", "65baabd6c32a33ca0a0d2d3ce3936dbf", "alpha"},
                                         {"hmac-fixed-maintained", "9d69b6b8c64ceff2d7dac718cd1de67f", "alpha"}};
  TempDir dir("maintenance-fixtures");
  std::set<std::string> maintained;
  for (const auto& f : fixtures) {
    SCOPED_TRACE(f.repo + " " + f.snapshot);
    fs::path copy = dir.path() / f.repo;
    if (maintained.insert(f.repo).second) {
      ferry::testing::CopyFixture(f.repo, copy);
      auto r = snapshot::testing::OpenRepositoryAt(copy);
      ASSERT_TRUE(r);
      Params p = *ReadParams(r.get());
      p.owner = "default@default";
      ASSERT_TRUE(WriteParams(r.get(), p).ok());
      RunOptions o;
      o.full = true;
      o.safety = Safety::kNone;
      o.user_at_host = "default@default";
      auto report = maintenance::Run(r.get(), o);
      ASSERT_TRUE(report.ok()) << report.status().ToString();
    }
    auto r = snapshot::testing::OpenRepositoryAt(copy);
    ASSERT_TRUE(r);
    auto m = snapshot::LoadSnapshot(r->manifests(), f.snapshot);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    fs::path out = dir.path() / ("out-" + f.snapshot);
    auto stats = snapshot::Restore(*r->objects(), m->root_entry, out.string(), snapshot::RestoreOptions{});
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    bool root_user = ::geteuid() == 0;
    auto got = root_user ? snapshot::testing::TreeManifest(out.string())
                         : snapshot::testing::TreeManifest(
                               out.string(), (snapshot::testing::KopiaFixtures() / (f.repo + ".trees.jsonl")).string(),
                               f.snapshot);
    auto want = snapshot::testing::ExpectedManifest(f.tree);
    ASSERT_EQ(got.size(), want.size());
    for (const auto& [path, w] : want) {
      ASSERT_TRUE(got.count(path)) << path;
      EXPECT_EQ(got[path], w) << path;
    }
  }
}

}  // namespace
}  // namespace ferry::maintenance
