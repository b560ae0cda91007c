#include "snapshot/restore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "snapshot/crafted_repo.h"
#include "snapshot/read_test_util.h"
#include "snapshot/tree.h"

namespace ferry::snapshot {
namespace {

namespace fs = std::filesystem;
using ferry::testing::TempDir;
using testing::CraftedRepo;

std::vector<std::string> Listing(const fs::path& dir) {
  std::vector<std::string> out;
  for (auto& e : fs::recursive_directory_iterator(dir)) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

struct FixtureSnapshot {
  std::string repo, snapshot, tree;
};

class FixtureRestoreTest : public ::testing::TestWithParam<FixtureSnapshot> {};

// Every directory-tree snapshot of the kopia fixtures restores to exactly the tree it was made
// from: contents, sizes, modes, symlink targets, owners and all mtimes — directories included,
// since ferry restores the recorded directory mtime (the expected listings hold those).
TEST_P(FixtureRestoreTest, RestoresTheExpectedTree) {
  const auto& p = GetParam();
  TempDir dir("restore-fixture");
  auto repo = testing::OpenFixtureCopy(p.repo, dir.path());
  ASSERT_TRUE(repo);
  auto root = ResolveEntry(*repo->objects(), repo->manifests(), p.snapshot);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  std::string target = (dir.path() / "out").string();
  RestoreOptions o;
  o.parallel = 2;
  std::atomic<int64_t> last_bytes{-1};
  o.progress = [&](const RestoreProgress& pr) {
    last_bytes = pr.bytes_done;
    EXPECT_EQ(pr.total_bytes, root->entry.summary->total_size);
  };
  o.progress_interval_ms = 10;
  auto stats = Restore(*repo->objects(), root->entry, target, o);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->files, 46);
  EXPECT_EQ(stats->directories, 17);
  EXPECT_EQ(stats->symlinks, 3);
  EXPECT_EQ(stats->bytes, root->entry.summary->total_size);
  EXPECT_EQ(last_bytes.load(), stats->bytes) << "the last progress call reports the final count";

  // As root the owners are restored and read back from the filesystem; otherwise compare the
  // owners kopia stored.
  bool root_user = ::geteuid() == 0;
  auto got = root_user ? testing::TreeManifest(target)
                       : testing::TreeManifest(target, (testing::KopiaFixtures() / (p.repo + ".trees.jsonl")).string(),
                                               p.snapshot);
  auto want = testing::ExpectedManifest(p.tree);
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [path, w] : want) {
    ASSERT_TRUE(got.count(path)) << path;
    EXPECT_EQ(got[path], w) << path;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Kopia, FixtureRestoreTest,
    ::testing::Values(FixtureSnapshot{"default", "3d3bed13be8d01166562d0382d59c3dd", "alpha"},
                      FixtureSnapshot{"default", "b2afd3645316c7c440f1ca146f2940cf", "alpha2"},
                      FixtureSnapshot{"blake3-chacha-rabinkarp-zstd", "111abec1943e4f90f6a9ac13e5c3afa8", "alpha"},
                      FixtureSnapshot{"hmac-fixed-maintained", "65baabd6c32a33ca0a0d2d3ce3936dbf", "alpha"},
                      FixtureSnapshot{"hmac-fixed-maintained", "9d69b6b8c64ceff2d7dac718cd1de67f", "alpha"}),
    [](const auto& p) { return p.param.tree + "_" + p.param.snapshot.substr(0, 8); });

class BlockRestoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("restore-block");
    repo_ = testing::OpenFixtureCopy("blake3-chacha-rabinkarp-zstd", dir_->path()).release();
    auto r = ResolveEntry(*repo_->objects(), repo_->manifests(), "5f637b4714c32e9b146d4ef682980b32");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    root_ = new DirEntry(r->entry);
  }
  static void TearDownTestSuite() {
    delete root_;
    delete repo_;
    delete dir_;
  }
  static std::string DiskSha256() { return testing::ExpectedManifest("disk.img")["disk.img"]["sha256"]; }
  static std::string Sha256(const std::string& path) { return testing::TreeManifest(path).begin()->second["sha256"]; }

  static TempDir* dir_;
  static repo::Repository* repo_;
  static DirEntry* root_;
};
TempDir* BlockRestoreTest::dir_;
repo::Repository* BlockRestoreTest::repo_;
DirEntry* BlockRestoreTest::root_;

TEST_F(BlockRestoreTest, ImageFileIsTheDiskImage) {
  TempDir out("block-image");
  std::string image = (out.path() / "sub" / "disk.raw").string();
  auto stats = Restore(*repo_->objects(), *root_, image, {});
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_TRUE(stats->streamed);
  EXPECT_EQ(stats->bytes, 12582912);
  EXPECT_EQ(fs::file_size(image), 12582912u);
  EXPECT_EQ(Sha256(image), DiskSha256());
  struct stat st {};
  ASSERT_EQ(::stat(image.c_str(), &st), 0);
  EXPECT_GE(int64_t(st.st_blocks) * 512, 12582912) << "without --write-sparse-files every block is allocated";
  // An image that exists is replaced only when asked.
  auto again = Restore(*repo_->objects(), *root_, image, {});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("--overwrite-files"), std::string::npos) << again.status().message();
  RestoreOptions o;
  o.overwrite_files = true;
  ASSERT_TRUE(Restore(*repo_->objects(), *root_, image, o).ok());
  EXPECT_EQ(Sha256(image), DiskSha256());
}

TEST_F(BlockRestoreTest, SparseImageHasHolesWhereTheZerosAre) {
  TempDir out("block-sparse");
  std::string image = (out.path() / "disk.raw").string();
  RestoreOptions o;
  o.write_sparse_files = true;
  // Small segments: several workers write the image at once, cutting through the zero regions.
  o.segment_size = 1 << 20;
  o.parallel = 4;
  auto stats = Restore(*repo_->objects(), *root_, image, o);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(Sha256(image), DiskSha256());
  struct stat st {};
  ASSERT_EQ(::stat(image.c_str(), &st), 0);
  EXPECT_LE(int64_t(st.st_blocks) * 512, 12582912 - 4 * 1048576 + 65536);
  int fd = ::open(image.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(::lseek(fd, 0, SEEK_HOLE), 2 << 20);
  EXPECT_EQ(::lseek(fd, 2 << 20, SEEK_DATA), 4 << 20);
  EXPECT_EQ(::lseek(fd, 4 << 20, SEEK_HOLE), 7 * 1048576 + 524288);
  EXPECT_EQ(::lseek(fd, 7 * 1048576 + 524288, SEEK_DATA), 9 * 1048576 + 524288);
  ::close(fd);
}

TEST_F(BlockRestoreTest, IntoADirectoryItIsATreeOfOneFile) {
  TempDir out("block-tree");
  auto before = fs::status(out.path()).permissions();
  auto stats = Restore(*repo_->objects(), *root_, out.str(), {});
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_FALSE(stats->streamed);
  EXPECT_EQ(Sha256((out.path() / "disk.img").string()), DiskSha256());
  // kopia's stdin root metadata (mode 0777, Go's zero time) is made up: the target keeps its own.
  EXPECT_EQ(fs::status(out.path()).permissions(), before);
  // The file entry's own metadata is what kopia recorded: 0777 and the snapshot time.
  struct stat st {};
  ASSERT_EQ(::stat((out.path() / "disk.img").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0777u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1795789688);
  EXPECT_EQ(st.st_mtim.tv_nsec, 976246969);
}

TEST_F(BlockRestoreTest, ADirectoryTreeDoesNotGoOntoAFile) {
  TempDir dir("tree-on-file");
  auto repo = testing::OpenFixtureCopy("default", dir.path());
  auto r = ResolveEntry(*repo->objects(), repo->manifests(), "3d3bed13be8d01166562d0382d59c3dd");
  ASSERT_TRUE(r.ok());
  std::string file = (dir.path() / "image").string();
  std::ofstream(file) << "x";
  RestoreOptions o;
  o.overwrite_files = true;
  auto stats = Restore(*repo->objects(), r->entry, file, o);
  ASSERT_FALSE(stats.ok());
  EXPECT_NE(stats.status().message().find("directory tree"), std::string::npos) << stats.status().message();
}

TEST(RestoreTest, DirectoryMtimeIsTheRecordedOneNotMaxTime) {
  TempDir dir("restore-mtime");
  auto repo = testing::OpenFixtureCopy("default", dir.path());
  auto deep = ResolveEntry(*repo->objects(), repo->manifests(), "3d3bed13be8d01166562d0382d59c3dd/deep");
  ASSERT_TRUE(deep.ok());
  // kopia 0.12.1 would give `deep` its summary's maxTime (04:00:00.000000001, from a file below).
  ASSERT_NE(deep->entry.mtime, deep->entry.summary->max_time);
  auto root = ResolveEntry(*repo->objects(), repo->manifests(), "3d3bed13be8d01166562d0382d59c3dd");
  ASSERT_TRUE(Restore(*repo->objects(), root->entry, (dir.path() / "out").string(), {}).ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir.path() / "out" / "deep").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, deep->entry.mtime.seconds);
  EXPECT_EQ(st.st_mtim.tv_nsec, deep->entry.mtime.nanos);
}

TEST(RestoreTest, SubdirectoryAndSingleFile) {
  TempDir dir("restore-sub");
  auto repo = testing::OpenFixtureCopy("default", dir.path());
  auto sub = ResolveEntry(*repo->objects(), repo->manifests(), "3d3bed13be8d01166562d0382d59c3dd/perms");
  ASSERT_TRUE(sub.ok());
  auto stats = Restore(*repo->objects(), sub->entry, (dir.path() / "perms").string(), {});
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(fs::status(dir.path() / "perms" / "private-dir-0700").permissions(), fs::perms(0700));
  EXPECT_EQ(fs::status(dir.path() / "perms" / "readonly-0444.txt").permissions(), fs::perms(0444));

  auto file = ResolveEntry(*repo->objects(), repo->manifests(), "3d3bed13be8d01166562d0382d59c3dd/perms/exec-0755.sh");
  ASSERT_TRUE(file.ok());
  fs::create_directory(dir.path() / "one");
  // A symlink planted where the file goes is not written through.
  fs::create_symlink("../victim.sh", dir.path() / "one" / "exec-0755.sh");
  auto refused = Restore(*repo->objects(), file->entry, (dir.path() / "one").string(), {});
  EXPECT_EQ(refused.status().code(), StatusCode::kAlreadyExists);
  RestoreOptions replace;
  replace.overwrite_files = true;
  ASSERT_TRUE(Restore(*repo->objects(), file->entry, (dir.path() / "one").string(), replace).ok());
  EXPECT_FALSE(fs::exists(dir.path() / "victim.sh"));
  EXPECT_FALSE(fs::is_symlink(dir.path() / "one" / "exec-0755.sh"));
  EXPECT_EQ(fs::status(dir.path() / "one" / "exec-0755.sh").permissions(), fs::perms(0755));
  ASSERT_TRUE(Restore(*repo->objects(), file->entry, (dir.path() / "named.sh").string(), {}).ok());
  EXPECT_EQ(fs::file_size(dir.path() / "named.sh"), fs::file_size(dir.path() / "one" / "exec-0755.sh"));
}

TEST(RestoreTest, ExistingTargetsNeedOverwriteFlags) {
  TempDir dir("restore-overwrite");
  auto repo = testing::OpenFixtureCopy("default", dir.path());
  auto root = ResolveEntry(*repo->objects(), repo->manifests(), "3d3bed13be8d01166562d0382d59c3dd");
  std::string target = (dir.path() / "out").string();
  // A freshly formatted volume's lost+found does not make the target "not empty".
  fs::create_directories(dir.path() / "out" / "lost+found");
  auto first = Restore(*repo->objects(), root->entry, target, {});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  fs::remove(dir.path() / "out" / "lost+found");
  auto second = Restore(*repo->objects(), root->entry, target, {});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("--overwrite-directories"), std::string::npos) << second.status().message();
  RestoreOptions dirs_only;
  dirs_only.overwrite_directories = true;
  dirs_only.parallel = 1;
  auto third = Restore(*repo->objects(), root->entry, target, dirs_only);
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.status().message().find("already exists; use --overwrite-files"), std::string::npos)
      << third.status().message();
  RestoreOptions both = dirs_only;
  both.overwrite_files = true;
  // A modified file is replaced with the snapshot's version.
  std::ofstream(target + "/text/lorem-300k.txt") << "changed";
  auto fourth = Restore(*repo->objects(), root->entry, target, both);
  ASSERT_TRUE(fourth.ok()) << fourth.status().ToString();
  auto got = testing::TreeManifest(target);
  auto want = testing::ExpectedManifest("alpha");
  EXPECT_EQ(got["text/lorem-300k.txt"], want["text/lorem-300k.txt"]);
  EXPECT_EQ(got["."], want["."]);
}

// Names that would escape the target, stored in a directory object as a crafted repository
// could: restore refuses them, names the entry, and writes nothing outside the target.
TEST(RestoreTest, HostileNamesAreRefused) {
  TempDir dir("restore-hostile");
  CraftedRepo crafted(dir.path() / "repo");
  std::string file = crafted.Object("owned\n");
  for (const std::string bad : {"..", "../x", "/abs", "a/b", "../../../../../../tmp/ferry-escape"}) {
    SCOPED_TRACE(bad);
    std::string hostile = crafted.Directory(CraftedRepo::FileJson(bad, file, 6));
    // Once at the root, once one level down.
    for (const std::string& root_oid : {hostile, crafted.Directory(CraftedRepo::DirJson("sub", hostile))}) {
      std::string id = crafted.Snapshot(CraftedRepo::Root(root_oid));
      auto root = ResolveEntry(crafted.objects(), crafted.repo()->manifests(), id);
      ASSERT_TRUE(root.ok()) << root.status().ToString();
      fs::path outer = dir.path() / "outer";
      fs::create_directories(outer / "target");
      auto before = Listing(dir.path());
      auto stats = Restore(crafted.objects(), root->entry, (outer / "target").string(), {});
      ASSERT_FALSE(stats.ok());
      EXPECT_EQ(stats.status().code(), StatusCode::kCorruption);
      EXPECT_NE(stats.status().message().find("'" + bad + "'"), std::string::npos) << stats.status().message();
      // Nothing appeared anywhere but (for the nested case) the subdirectory inside the target.
      auto after = Listing(dir.path());
      after.erase(std::remove(after.begin(), after.end(), (outer / "target" / "sub").string()), after.end());
      EXPECT_EQ(after, before);
      EXPECT_FALSE(fs::exists("/abs"));
      EXPECT_FALSE(fs::exists("/tmp/ferry-escape"));
      fs::remove_all(outer);
    }
  }
}

// A symlink already in the target where the snapshot has a directory or a file is never
// followed: the restore either refuses or replaces the link itself. Hard links are not written
// through either.
TEST(RestoreTest, SymlinksAndHardLinksInTheTargetAreNotFollowed) {
  TempDir dir("restore-symlink-attack");
  CraftedRepo crafted(dir.path() / "repo");
  std::string data = crafted.Object("restored\n");
  std::string sub = crafted.Directory(CraftedRepo::FileJson("f", data, 9));
  std::string root_oid = crafted.Directory(CraftedRepo::DirJson("dir", sub) + "," + CraftedRepo::FileJson("g", data, 9) +
                                           "," + CraftedRepo::FileJson("h", data, 9));
  DirEntry root = CraftedRepo::Root(root_oid);
  fs::path elsewhere = dir.path() / "elsewhere";
  fs::create_directories(elsewhere);
  std::ofstream(elsewhere / "victim") << "precious\n";
  fs::path target = dir.path() / "target";
  fs::create_directories(target);
  fs::create_directory_symlink("../elsewhere", target / "dir");
  fs::create_symlink("../elsewhere/g", target / "g");
  fs::create_hard_link(elsewhere / "victim", target / "h");

  // Without overwrite flags: refused, and nothing written through the links.
  auto refused = Restore(crafted.objects(), root, target.string(), {});
  ASSERT_FALSE(refused.ok());
  RestoreOptions o;
  o.overwrite_directories = true;
  auto no_files = Restore(crafted.objects(), root, target.string(), o);
  ASSERT_FALSE(no_files.ok());
  EXPECT_FALSE(fs::exists(elsewhere / "f"));
  EXPECT_TRUE(fs::is_symlink(target / "g"));

  o.overwrite_files = true;
  auto stats = Restore(crafted.objects(), root, target.string(), o);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_TRUE(fs::is_directory(fs::symlink_status(target / "dir")));
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(target / "g")));
  EXPECT_TRUE(fs::exists(target / "dir" / "f"));
  // elsewhere/ still holds only the victim, unchanged.
  EXPECT_EQ(Listing(elsewhere), std::vector<std::string>{(elsewhere / "victim").string()});
  std::ifstream victim(elsewhere / "victim");
  std::string text((std::istreambuf_iterator<char>(victim)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "precious\n");
  EXPECT_EQ(fs::hard_link_count(target / "h"), 1u);
}

TEST(RestoreTest, BrokenEntriesStopOrAreReportedWithIgnoreErrors) {
  TempDir dir("restore-errors");
  CraftedRepo crafted(dir.path() / "repo");
  std::string good = crafted.Object("good\n");
  // An object whose content is not in the repository, and an entry whose size is wrong.
  std::string missing = "0123456789abcdef0123456789abcdef";
  std::string root_oid = crafted.Directory(CraftedRepo::FileJson("a-missing", missing, 5) + "," +
                                           CraftedRepo::FileJson("b-good", good, 5) + "," +
                                           CraftedRepo::FileJson("c-wrong-size", good, 50) + "," +
                                           R"({"name":"d-unknown","type":"x"})");
  DirEntry root = CraftedRepo::Root(root_oid);
  RestoreOptions serial;
  serial.parallel = 1;  // one worker takes the files in order: the first error is a-missing's
  auto failed = Restore(crafted.objects(), root, (dir.path() / "t1").string(), serial);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("a-missing"), std::string::npos) << failed.status().message();

  RestoreOptions o;
  o.ignore_errors = true;
  auto stats = Restore(crafted.objects(), root, (dir.path() / "t2").string(), o);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->files, 1);
  EXPECT_EQ(stats->ignored_errors, 2);
  EXPECT_EQ(stats->skipped, 1);
  ASSERT_EQ(stats->errors.size(), 2u);
  std::string all = stats->errors[0] + "\n" + stats->errors[1];
  EXPECT_NE(all.find("a-missing"), std::string::npos) << all;
  EXPECT_NE(all.find("c-wrong-size: object " + good + " has 5 bytes but its entry records 50"), std::string::npos) << all;
  EXPECT_TRUE(fs::exists(dir.path() / "t2" / "b-good"));
}

TEST(RestoreTest, CancelStops) {
  TempDir dir("restore-cancel");
  auto repo = testing::OpenFixtureCopy("default", dir.path());
  auto root = ResolveEntry(*repo->objects(), repo->manifests(), "3d3bed13be8d01166562d0382d59c3dd");
  std::atomic<bool> cancel{true};
  RestoreOptions o;
  o.cancel = &cancel;
  auto stats = Restore(*repo->objects(), root->entry, (dir.path() / "out").string(), o);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace ferry::snapshot
