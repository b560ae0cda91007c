#include "snapshot/diff.h"

#include <gtest/gtest.h>

#include <set>

#include "snapshot/read_test_util.h"
#include "snapshot/tree.h"

namespace ferry::snapshot {
namespace {

using ferry::testing::TempDir;

class SnapshotTreeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("diff-fixture");
    repo_ = testing::OpenFixtureCopy("default", dir_->path()).release();
  }
  static void TearDownTestSuite() {
    delete repo_;
    delete dir_;
  }
  static Result<ResolvedEntry> Resolve(const std::string& id) {
    return ResolveEntry(*repo_->objects(), repo_->manifests(), id);
  }
  static TempDir* dir_;
  static repo::Repository* repo_;
};
TempDir* SnapshotTreeTest::dir_;
repo::Repository* SnapshotTreeTest::repo_;

const char* kAlpha = "3d3bed13be8d01166562d0382d59c3dd";
const char* kAlpha2 = "b2afd3645316c7c440f1ca146f2940cf";

// The four alpha -> alpha2 changes of the fixture README, plus their parent directories.
TEST_F(SnapshotTreeTest, DiffReportsExactlyTheFourChanges) {
  auto a = Resolve(kAlpha);
  auto b = Resolve(kAlpha2);
  ASSERT_TRUE(a.ok() && b.ok());
  std::set<std::string> got;
  std::map<std::string, DiffEntry> by_path;
  DiffOptions o;
  o.emit = [&](const DiffEntry& d) {
    const char* kind = d.kind == DiffKind::kAdded ? "added " : d.kind == DiffKind::kRemoved ? "removed " : "changed ";
    got.insert(kind + d.path);
    by_path[d.path] = d;
  };
  auto stats = Diff(*repo_->objects(), a->entry, b->entry, o);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(got, (std::set<std::string>{"changed .", "changed ./big", "changed ./big/random-9m.bin", "changed ./données",
                                        "changed ./données/résumé.txt", "changed ./small",
                                        "removed ./small/size-001000.txt", "added ./small/added-in-alpha2.txt"}));
  EXPECT_EQ(stats->added, 1);
  EXPECT_EQ(stats->removed, 1);
  EXPECT_EQ(stats->changed, 6);
  EXPECT_EQ(by_path["./small"].attributes,
            (std::vector<std::string>{"sizes differ:  348813 355169",
                                      "modification times differ:  2022-10-12 00:00:00 +0000 UTC 2022-10-13 00:00:00 +0000 UTC"}));
  EXPECT_TRUE(by_path["./big/random-9m.bin"].contents.empty()) << "contents are compared only when asked";

  o.compare_files = true;
  by_path.clear();
  ASSERT_TRUE(Diff(*repo_->objects(), a->entry, b->entry, o).ok());
  // The 64 KiB at 4.5 MiB - 32 KiB were replaced (a few bytes happen to be equal).
  EXPECT_NE(by_path["./big/random-9m.bin"].contents.find("first at offset 4685824"), std::string::npos)
      << by_path["./big/random-9m.bin"].contents;
}

TEST_F(SnapshotTreeTest, SameSnapshotHasNoDifferences) {
  auto a = Resolve(kAlpha);
  int n = 0;
  DiffOptions o;
  o.emit = [&](const DiffEntry&) { ++n; };
  ASSERT_TRUE(Diff(*repo_->objects(), a->entry, a->entry, o).ok());
  EXPECT_EQ(n, 0);
}

TEST_F(SnapshotTreeTest, ResolveSnapshotsObjectsAndPaths) {
  auto root = Resolve(kAlpha);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->entry.object_id, "k694b57263a12408c18d3cb4380c0e80c");
  ASSERT_TRUE(root->snapshot.has_value());
  // The root object ID finds the snapshot's root entry (with its real metadata).
  auto by_oid = Resolve("k694b57263a12408c18d3cb4380c0e80c");
  ASSERT_TRUE(by_oid.ok());
  EXPECT_FALSE(by_oid->synthetic);
  EXPECT_EQ(by_oid->entry.mtime, root->entry.mtime);
  auto big = Resolve(std::string(kAlpha) + "/big/random-9m.bin");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->entry.object_id, "Ix01242d10f98d392ddc25bbea6fbd2cfb");
  EXPECT_EQ(big->entry.size, 9437184);
  auto file_oid = Resolve("Ix01242d10f98d392ddc25bbea6fbd2cfb");
  ASSERT_TRUE(file_oid.ok());
  EXPECT_TRUE(file_oid->entry.is_file());
  EXPECT_EQ(file_oid->entry.size, 9437184);
  EXPECT_TRUE(Resolve(std::string(kAlpha) + "//small/").ok());
  auto missing = Resolve(std::string(kAlpha) + "/small/nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("'nope'"), std::string::npos);
  EXPECT_EQ(Resolve(std::string(kAlpha) + "/text/lorem-300k.txt/x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Resolve("not-an-id").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SnapshotTreeTest, WalkIsLazyAndInKopiaOrder) {
  auto root = Resolve(kAlpha);
  std::vector<std::string> paths;
  WalkCallbacks cb;
  cb.visit = [&](const std::string& path, const DirEntry& e) -> Result<bool> {
    paths.push_back(path);
    return e.name != "deep";  // skip one subtree: its directories are never read
  };
  ASSERT_TRUE(WalkTree(*repo_->objects(), root->entry, "", cb).ok());
  EXPECT_EQ(paths.front(), "");
  EXPECT_EQ(paths[1], "big");
  EXPECT_EQ(paths[2], "big/random-9m.bin");
  EXPECT_EQ(paths[3], "deep");
  EXPECT_EQ(paths[4], "données");
  // alpha: the root, 16 directories, 46 files and 3 symlinks, less what is below deep/ (6
  // directories and 2 files).
  EXPECT_EQ(paths.size(), 66u - 8);
}

TEST(DiffFormatTest, ModesAndTimes) {
  DirEntry e;
  e.type = kTypeDirectory;
  e.mode = 0755;
  EXPECT_EQ(GoModeString(e), "drwxr-xr-x");
  e.type = kTypeFile;
  e.mode = 0644 | kGoModeSetuid;
  EXPECT_EQ(GoModeString(e), "urw-r--r--");
  e.type = kTypeSymlink;
  e.mode = 0777;
  EXPECT_EQ(GoModeString(e), "Lrwxrwxrwx");
  EXPECT_EQ(GoTimeString(UnixTime{1665532799, 999999999}), "2022-10-11 23:59:59.999999999 +0000 UTC");
  EXPECT_EQ(GoTimeString(UnixTime{1665619200, 500000000}), "2022-10-13 00:00:00.5 +0000 UTC");
}

}  // namespace
}  // namespace ferry::snapshot
