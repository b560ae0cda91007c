#include "snapshot/dir_entry.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "blob/filesystem_storage.h"
#include "cli/test_util.h"
#include "repo/repository.h"
#include "snapshot/snapshot_manifest.h"

namespace ferry::snapshot {
namespace {

using ferry::testing::CopyFixture;
using ferry::testing::TempDir;

TEST(DirEntryTest, ModesAndNames) {
  auto d = ParseDirectory(AsBytes(R"({"stream":"kopia:directory","entries":[{"name":"a","type":"f","mode":"040000755"},{"name":"b","type":"d","mode":"0x1ed"},{"name":"c","type":"f"}]})"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->entries[0].mode, kGoModeSetuid | 0755u);
  EXPECT_EQ(d->entries[0].PosixMode(), 04755u);
  EXPECT_EQ(d->entries[1].mode, 0755u);
  EXPECT_EQ(d->entries[2].mode, 0u);
  EXPECT_FALSE(ParseDirectory(AsBytes(R"({"stream":"kopia:indirect","entries":[]})")).ok());
  for (const char* bad : {"..", ".", "", "a/b", "/abs"}) {
    std::string j = std::string(R"({"stream":"kopia:directory","entries":[{"name":")") + bad + R"(","type":"f"}]})";
    auto r = ParseDirectory(AsBytes(j));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  }
  EXPECT_FALSE(ParseDirectory(AsBytes(R"({"stream":"kopia:directory","entries":[{"name":"x"},{"name":"x"}]})")).ok());
  auto empty = ParseDirectory(AsBytes(R"({"stream":"kopia:directory","entries":null})"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->entries.empty());
  EXPECT_EQ(SerializeDirectory(*empty), "{\"stream\":\"kopia:directory\",\"entries\":null}\n");
}

TEST(DirEntryTest, PreEpochTimesAndStdinRootEntry) {
  auto e = ParseDirEntryJson(R"({"name":"/snapshot-data-upload-download/kopia/ns1/pvc-disk","type":"d","mode":"0777","mtime":"1754-08-30T22:43:41.128654848Z","obj":"kc6"})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_LT(e->mtime.seconds, 0);
  EXPECT_EQ(DirEntryJson(*e), R"({"name":"/snapshot-data-upload-download/kopia/ns1/pvc-disk","type":"d","mode":"0777","mtime":"1754-08-30T22:43:41.128654848Z","obj":"kc6"})");
}

TEST(SourceInfoTest, Parse) {
  auto s = ParseSourceInfo("default@default:/snapshot-data-upload-download/kopia/ns1/pvc-alpha", "u", "h");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->user_name, "default");
  EXPECT_EQ(s->host, "default");
  EXPECT_EQ(s->path, "/snapshot-data-upload-download/kopia/ns1/pvc-alpha");
  auto plain = ParseSourceInfo("/data/x/", "u", "h");
  EXPECT_EQ(plain->ToString(), "u@h:/data/x");
  EXPECT_FALSE(ParseSourceInfo("@h:/x", "u", "h").ok());
}

// Every directory object kopia wrote re-serializes to exactly the same bytes, and every snapshot
// manifest payload too: ferry writes kopia's format byte for byte.
class FixtureFormatTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureFormatTest, DirectoriesAndManifestsRoundTripByteExact) {
  TempDir dir("dirfmt");
  CopyFixture(GetParam(), dir.path() / "repo");
  auto storage = blob::OpenFilesystemStorage((dir.path() / "repo").string(), {});
  ASSERT_TRUE(storage.ok());
  repo::OpenOptions o;
  o.read_only = true;
  auto r = repo::Repository::Open(std::shared_ptr<blob::Storage>(std::move(*storage)), "static-passw0rd", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto snaps = ListSnapshots((*r)->manifests(), std::nullopt, true);
  ASSERT_TRUE(snaps.ok());
  ASSERT_GE(snaps->size(), 2u);
  int directories = 0;
  std::function<void(const std::string&)> walk = [&](const std::string& oid) {
    auto id = object::ObjectId::Parse(oid);
    ASSERT_TRUE(id.ok());
    auto bytes = (*r)->objects()->ReadAll(*id);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    auto d = ParseDirectory(*bytes);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(SerializeDirectory(*d), AsString(*bytes)) << oid;
    ++directories;
    for (const auto& e : d->entries) {
      if (e.is_dir()) walk(e.object_id);
    }
  };
  for (const auto& s : *snaps) {
    auto m = (*r)->manifests()->Get(s.id);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(SnapshotManifestJson(s), m->data) << s.id;
    walk(s.root_entry.object_id);
  }
  EXPECT_GE(directories, 17);
}

INSTANTIATE_TEST_SUITE_P(Kopia, FixtureFormatTest,
                         ::testing::Values("default", "blake3-chacha-rabinkarp-zstd", "hmac-fixed-maintained"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace ferry::snapshot
