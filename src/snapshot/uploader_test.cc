#include "snapshot/uploader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "blob/filesystem_storage.h"
#include "cli/test_util.h"
#include "object/object_writer.h"
#include "repo/repository.h"
#include "snapshot/stream_uploader.h"
#include "snapshot/work_pool.h"

namespace ferry::snapshot {
namespace {

namespace fs = std::filesystem;
using ferry::testing::RunShell;
using ferry::testing::TempDir;

const std::string kTools = std::string(FERRY_SHARED_DIR) + "/tools/kopia-inspect.py";
const std::string kTreeManifest = std::string(FERRY_SHARED_DIR) + "/fixtures/kopia/tree-manifest.py";

void WriteFile(const fs::path& p, const std::string& data, mode_t mode = 0644, int64_t mtime_ns = 1665532800123456789) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
  chmod(p.c_str(), mode);
  timespec ts[2] = {{mtime_ns / 1000000000, long(mtime_ns % 1000000000)}, {mtime_ns / 1000000000, long(mtime_ns % 1000000000)}};
  utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW);
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    std::memcpy(s.data() + i, &v, std::min<size_t>(8, n - i));
  }
  return s;
}

// A tree with every entry kind: files of many sizes (one larger than the 4 MiB splitter's
// largest chunk, so it becomes an indirect object built by the chunk pool), empty files, an empty
// directory, nested directories, symlinks (to a file, to a directory, dangling), odd modes,
// nanosecond mtimes, names with spaces and UTF-8.
void MakeTree(const fs::path& root) {
  WriteFile(root / "big" / "random.bin", RandomBytes(20 << 20, 1));
  WriteFile(root / "text" / "a.txt", std::string(100000, 'a'));
  WriteFile(root / "empty.txt", "");
  WriteFile(root / "name with spaces.txt", "spaces");
  WriteFile(root / "données" / "résumé.txt", "utf-8 names", 0600, 1000000000000000001);
  WriteFile(root / "deep" / "l1" / "l2" / "l3" / "leaf.txt", "leaf", 0755);
  WriteFile(root / "perms" / "ro.txt", "read only", 0444, 946684799999999999);
  fs::create_directories(root / "empty-dir");
  fs::create_symlink("../text/a.txt", root / "deep" / "to-file");
  fs::create_symlink("l1/l2", root / "deep" / "to-dir");
  fs::create_symlink("no/such/target", root / "deep" / "dangling");
  for (int i = 0; i < 50; ++i) WriteFile(root / "small" / ("f" + std::to_string(i)), RandomBytes(size_t(i * 131), uint32_t(i)));
}

// The tree listing without directory mtimes (restoring them is the reader's business).
std::string Listing(const fs::path& dir) {
  auto out = RunShell("python3 " + kTreeManifest + " " + dir.string());
  EXPECT_EQ(out.exit_code, 0) << out.text;
  std::string result;
  std::istringstream in(out.text);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    j.erase("nlink");
    if (j["type"] == "dir") {
      j.erase("mtime");
      j.erase("mtime_sec");
      j.erase("mtime_nsec");
    }
    result += j.dump() + "\n";
  }
  return result;
}

class UploaderTest : public ::testing::Test {
 protected:
  UploaderTest() : dir_("uploader") {}

  void SetUp() override {
    repo_path_ = dir_.path() / "repo";
    auto created = blob::CreateFilesystemStorage(repo_path_.string());
    ASSERT_TRUE(created.ok());
    storage_ = std::shared_ptr<blob::Storage>(std::move(*created));
    ASSERT_TRUE(repo::InitializeRepository(storage_.get(), "pw", {}, "test").ok());
    Reopen();
  }

  void Reopen() {
    repository_.reset();
    repo::OpenOptions o;
    o.hostname = "host";
    o.username = "user";
    auto r = repo::Repository::Open(storage_, "pw", o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    repository_ = std::move(*r);
  }

  SourceInfo Source(const std::string& path = "/data/pvc") { return {"host", "user", path}; }

  // Restores with the independent reader in ../shared/tools (written from the spec).
  fs::path RestoreWithInspector(const std::string& snapshot_id) {
    fs::path out = dir_.path() / ("restore-" + snapshot_id);
    auto r = RunShell("python3 " + kTools + " --path " + repo_path_.string() + " --password pw restore " +
                      snapshot_id + " " + out.string());
    EXPECT_EQ(r.exit_code, 0) << r.text;
    return out;
  }

  TempDir dir_;
  fs::path repo_path_;
  std::shared_ptr<blob::Storage> storage_;
  std::unique_ptr<repo::Repository> repository_;
};

TEST_F(UploaderTest, RoundTripOfEveryEntryKindThroughAnIndependentReader) {
  fs::path src = dir_.path() / "src";
  MakeTree(src);
  Uploader up(repository_.get(), UploadOptions{});
  auto m = up.SnapshotDirectory(Source(), src.string());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->stats.file_count, 57);
  EXPECT_EQ(m->stats.error_count, 0);
  EXPECT_EQ(m->root_entry.summary->dirs, 11);
  EXPECT_TRUE(m->root_entry.object_id.starts_with("k"));
  auto verify = RunShell("python3 " + kTools + " --path " + repo_path_.string() + " --password pw contents --verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.text;
  EXPECT_NE(verify.text.find(" 0 failed"), std::string::npos) << verify.text;
  fs::path restored = RestoreWithInspector(m->id);
  EXPECT_EQ(Listing(restored), Listing(src));
}

TEST_F(UploaderTest, IncrementalReusesUnchangedFilesWithoutReadingThem) {
  fs::path src = dir_.path() / "src";
  MakeTree(src);
  UploadOptions o;
  o.tags = {{"tag:snapshot-uploader", "kopia"}};
  auto first = Uploader(repository_.get(), o).SnapshotDirectory(Source(), src.string());
  ASSERT_TRUE(first.ok());
  // Nothing changed: every file is taken from the parent, the root object is the same.
  Reopen();
  Uploader again(repository_.get(), o);
  auto same = again.SnapshotDirectory(Source(), src.string());
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->root_entry.object_id, first->root_entry.object_id);
  EXPECT_EQ(same->stats.cached_files, 57);
  EXPECT_EQ(again.progress().read_bytes.load(), 0);
  EXPECT_EQ(again.progress().done_bytes(), first->stats.total_size);  // reused bytes count as done
  // One file changed: only it is read.
  WriteFile(src / "text" / "a.txt", std::string(100000, 'b'), 0644, 1700000000000000000);
  Reopen();
  Uploader third(repository_.get(), o);
  auto changed = third.SnapshotDirectory(Source(), src.string());
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->stats.cached_files, 56);
  EXPECT_EQ(changed->stats.non_cached_files, 1);
  EXPECT_EQ(third.progress().read_bytes.load(), 100000);
  EXPECT_NE(changed->root_entry.object_id, first->root_entry.object_id);
  // Different tags: no parent, everything is read again (and deduplicated).
  UploadOptions other = o;
  other.tags = {{"tag:snapshot-uploader", "other"}};
  Reopen();
  Uploader fresh(repository_.get(), other);
  auto full = fresh.SnapshotDirectory(Source(), src.string());
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->stats.cached_files, 0);
  EXPECT_EQ(fresh.progress().read_bytes.load(), full->stats.total_size);
  // Every file and directory deduplicates against the earlier snapshots: the only new content is
  // the new snapshot manifest.
  EXPECT_EQ(repository_->contents()->stats().written_contents, 1u);
  auto list = ListSnapshots(repository_->manifests(), Source());
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 4u);
}

// The stream uploader reads straight into chunk buffers and carries the bytes past each boundary
// into the next buffer: the chunks must be exactly those of the object writer's sequential
// splitter, whether chunks go to a pool of workers (one waiting chunk at most) or not, for a
// size that is a multiple of the read block, one that is not, a stream of unknown size, and a
// file smaller than a chunk.
TEST_F(UploaderTest, StreamUploaderChunksAsTheSequentialSplitter) {
  WorkPool pool(3, 0);
  UploadProgress progress;
  StreamUploader streams(repository_.get(), &pool, &progress, nullptr);
  for (size_t size : {size_t(30) << 20, (size_t(21) << 20) + 12345, size_t(700000)}) {
    std::string data = RandomBytes(size, uint32_t(size));
    fs::path file = dir_.path() / ("stream-" + std::to_string(size));
    WriteFile(file, data);
    auto writer = repository_->objects()->NewWriter(object::WriterOptions{});
    ASSERT_TRUE(writer->Write(AsBytes(data)).ok());
    auto want = writer->Result();
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    for (bool parallel : {true, false}) {
      for (bool known_size : {true, false}) {
        int fd = open(file.c_str(), O_RDONLY);
        ASSERT_GE(fd, 0);
        StreamUploadOptions so;
        so.parallel_chunks = parallel;
        so.description = file.string();
        auto got = streams.Upload(fd, known_size ? int64_t(size) : -1, so);
        close(fd);
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        EXPECT_EQ(got->ToString(), want->ToString()) << size << " parallel=" << parallel << " known=" << known_size;
      }
    }
  }
  ASSERT_TRUE(repository_->Flush().ok());
}

TEST_F(UploaderTest, BlockImageWithHolesIsNotReadWhereItHasHoles) {
  fs::path img = dir_.path() / "disk.img";
  const int64_t size = 24 << 20;
  {
    int fd = open(img.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, size), 0);
    std::string data = RandomBytes(1 << 20, 7);
    for (int64_t off : {int64_t(0), int64_t(10) << 20, int64_t(23) << 20}) {
      ASSERT_EQ(pwrite(fd, data.data(), data.size(), off), ssize_t(data.size()));
    }
    close(fd);
  }
  Uploader up(repository_.get(), UploadOptions{});
  auto m = up.SnapshotBlock(Source("/data/pvc-block"), img.string(), "disk.img");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_LE(up.progress().read_bytes.load(), int64_t(8) << 20) << "holes must not be read";
  EXPECT_EQ(up.progress().hashed_bytes.load(), size);
  // kopia's streaming shape: root named after the source path, one 0777 file entry.
  EXPECT_EQ(m->root_entry.name, "/data/pvc-block");
  EXPECT_EQ(m->root_entry.mode, 0777u);
  EXPECT_EQ(FormatRfc3339Nano(m->root_entry.mtime), "1754-08-30T22:43:41.128654848Z");
  EXPECT_EQ(m->root_entry.summary->total_size, size);
  fs::path restored = RestoreWithInspector(m->id);
  auto cmp = RunShell("cmp " + img.string() + " " + (restored / "disk.img").string());
  EXPECT_EQ(cmp.exit_code, 0) << cmp.text;
}

TEST_F(UploaderTest, CancelLeavesNoManifestAndAConsistentRepository) {
  fs::path src = dir_.path() / "src";
  MakeTree(src);
  std::atomic<bool> cancel{true};  // cancelled before it starts: the worst case for leftovers
  UploadOptions o;
  o.cancel = &cancel;
  auto m = Uploader(repository_.get(), o).SnapshotDirectory(Source(), src.string());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kCancelled);
  Reopen();
  auto list = ListSnapshots(repository_->manifests(), std::nullopt, true);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  auto verify = RunShell("python3 " + kTools + " --path " + repo_path_.string() + " --password pw contents --verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.text;
  // And the next run completes.
  auto next = Uploader(repository_.get(), UploadOptions{}).SnapshotDirectory(Source(), src.string());
  ASSERT_TRUE(next.ok()) << next.status().ToString();
}

TEST_F(UploaderTest, CheckpointsAreWrittenDuringLongUploadsAndRemovedAfterwards) {
  fs::path src = dir_.path() / "src";
  for (int i = 0; i < 40; ++i) WriteFile(src / ("d" + std::to_string(i % 4)) / ("f" + std::to_string(i)), RandomBytes(3 << 20, uint32_t(i)));
  UploadOptions o;
  o.checkpoint_interval_ns = 2'000'000;  // every 2 ms: far shorter than the upload
  o.parallelism = 1;
  Uploader up(repository_.get(), o);
  auto m = up.SnapshotDirectory(Source(), src.string());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_GE(up.checkpoints_written(), 1);
  Reopen();
  auto all = ListSnapshots(repository_->manifests(), std::nullopt, true);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);  // the checkpoints were deleted once the snapshot completed
  EXPECT_TRUE(all->front().incomplete.empty());
}

TEST_F(UploaderTest, ACancelledUploadResumesFromItsCheckpointAtAnyDepth) {
  fs::path src = dir_.path() / "src";
  for (int i = 0; i < 36; ++i) {
    WriteFile(src / ("d" + std::to_string(i % 3)) / "sub" / ("f" + std::to_string(i)), RandomBytes(1 << 20, uint32_t(50 + i)));
  }
  std::atomic<bool> cancel{false};
  UploadOptions o;
  o.parallelism = 1;
  o.cancel = &cancel;
  o.checkpoint_on_cancel = true;
  o.tags = {{"tag:op", "one"}};
  Uploader first(repository_.get(), o);
  std::thread stopper([&] {
    while (first.progress().hashed_bytes.load() < (6 << 20)) std::this_thread::sleep_for(std::chrono::microseconds(200));
    cancel = true;
  });
  auto m = first.SnapshotDirectory(Source(), src.string());
  stopper.join();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kCancelled);

  // The checkpoint is a saved, incomplete manifest carrying the upload's tags.
  Reopen();
  auto all = ListSnapshots(repository_->manifests(), Source(), true);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().incomplete, std::string(kIncompleteCheckpoint));
  EXPECT_EQ(all->front().tags.at("tag:op"), "one");

  UploadOptions r;
  r.parallelism = 1;
  r.resume_checkpoint_id = all->front().id;
  Uploader second(repository_.get(), r);
  auto done = second.SnapshotDirectory(Source(), src.string());
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  // Files two levels down that the first run finished are taken without reading them again.
  EXPECT_GE(second.progress().cached_bytes.load(), 5 << 20);  // d0/sub was not finished: found by path
  EXPECT_EQ(second.progress().cached_bytes.load() + second.progress().hashed_bytes.load(), 36 << 20);
  fs::path restored = RestoreWithInspector(done->id);
  auto diff = RunShell("diff -r " + src.string() + " " + restored.string());
  EXPECT_EQ(diff.exit_code, 0) << diff.text;
}

TEST_F(UploaderTest, UnreadableEntriesAreCountedNotFatal) {
  if (geteuid() == 0) {
    // Root reads everything; make an unreadable entry another way: a file that vanishes is
    // covered by the kill tests, so check unknown types instead.
  }
  fs::path src = dir_.path() / "src";
  WriteFile(src / "ok.txt", "fine");
  ASSERT_EQ(mkfifo((src / "pipe").c_str(), 0644), 0);
  std::vector<std::string> notes;
  UploadOptions o;
  o.note = [&](const std::string& s) { notes.push_back(s); };
  Uploader up(repository_.get(), o);
  auto m = up.SnapshotDirectory(Source(), src.string());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->stats.file_count, 1);
  EXPECT_EQ(m->stats.ignored_error_count, 1);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("pipe"), std::string::npos);
}

// Linux names are bytes; a directory object is JSON text. A name that is not valid UTF-8 is
// stored with U+FFFD for each invalid byte (what kopia stores), with a warning, its data and
// everything else intact; one that would then collide with another entry's name is an error
// for that entry only. The independent reader restores the tree.
TEST_F(UploaderTest, NamesThatAreNotUtf8AreStoredAsKopiaStoresThem) {
  fs::path src = dir_.path() / "src";
  WriteFile(src / "a\xFF" "b", "payload-1");
  WriteFile(src / "sub" / "d\xE2\x82", "payload-2");
  WriteFile(src / "x\xFE", "first");
  WriteFile(src / "x\xEF\xBF\xBD", "valid name wins");  // already "x" + U+FFFD
  WriteFile(src / "ok", "fine");
  fs::create_symlink("target\xFF", src / "link\xC0");
  std::vector<std::string> notes;
  UploadOptions o;
  o.note = [&](const std::string& s) { notes.push_back(s); };
  Uploader up(repository_.get(), o);
  auto m = up.SnapshotDirectory(Source(), src.string());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->stats.file_count, 4);
  EXPECT_EQ(m->stats.error_count, 1);
  ASSERT_EQ(m->root_entry.summary->errors.size(), 1u);
  EXPECT_EQ(m->root_entry.summary->errors[0].path, "x\xEF\xBF\xBD");  // reported as text too
  EXPECT_NE(m->root_entry.summary->errors[0].error.find("same as another entry"), std::string::npos);
  int warnings = 0;
  for (const auto& n : notes) warnings += n.find("is not valid UTF-8; stored as") != std::string::npos;
  EXPECT_EQ(warnings, 3) << "a?b, sub/d?? and link? (x? collided: an error instead)";

  fs::path restored = RestoreWithInspector(m->id);
  auto read = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(read(restored / "a\xEF\xBF\xBD" "b"), "payload-1");
  EXPECT_EQ(read(restored / "sub" / "d\xEF\xBF\xBD\xEF\xBF\xBD"), "payload-2");
  EXPECT_EQ(read(restored / "x\xEF\xBF\xBD"), "valid name wins");
  EXPECT_EQ(read(restored / "ok"), "fine");
  EXPECT_EQ(fs::read_symlink(restored / "link\xEF\xBF\xBD").string(), "target\xFF");  // targets are data
}

}  // namespace
}  // namespace ferry::snapshot
