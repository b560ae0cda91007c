#include "snapshot/dir_entry.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>

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

// Directories are written as text straight away; that text is what an nlohmann::ordered_json
// document of the same fields dumped (what ferry wrote before), so unchanged directories keep
// their object IDs. Every optional field present and absent, errors, escapes, big numbers.
TEST(DirEntryTest, SerializedDirectoryIsWhatADocumentDumpGave) {
  using Json = nlohmann::ordered_json;
  DirectorySummary summ;
  summ.total_size = int64_t{1} << 40;
  summ.files = 3;
  summ.dirs = 2;
  summ.max_time = UnixTime{1764000000, 123456789};
  summ.incomplete = "canceled";
  summ.num_failed = 1;
  summ.num_ignored_errors = 2;
  summ.errors = {{"a/\"q\"", "cannot open: Permission denied"}, {"b\\c", "x\ny"}};
  DirectoryManifest dir;
  DirEntry full{"f\xC3\xA9\t", kTypeFile, 0644 | kGoModeSetgid, 12345, UnixTime{-5, 7}, 4294967295u, 7, "Ixyz", {}};
  DirEntry sub{"sub", kTypeDirectory, 0755, 0, UnixTime{1, 0}, 0, 0, "kabc", summ};
  DirEntry bare{"bare", 0, 0, 0, UnixTime{}, 0, 0, "", {}};
  dir.entries = {sub, full, bare};
  dir.summary = summ;

  auto summary_json = [](const DirectorySummary& s) {
    Json j;
    j["size"] = s.total_size;
    j["files"] = s.files;
    j["symlinks"] = s.symlinks;
    j["dirs"] = s.dirs;
    j["maxTime"] = FormatRfc3339Nano(s.max_time);
    if (!s.incomplete.empty()) j["incomplete"] = s.incomplete;
    j["numFailed"] = s.num_failed;
    if (s.num_ignored_errors) j["numIgnoredErrors"] = s.num_ignored_errors;
    if (!s.errors.empty()) {
      Json arr = Json::array();
      for (const auto& e : s.errors) arr.push_back(Json{{"path", e.path}, {"error", e.error}});
      j["errors"] = arr;
    }
    return j;
  };
  auto entry_json = [&](const DirEntry& e) {
    Json j = Json::object();
    if (!e.name.empty()) j["name"] = e.name;
    if (e.type) j["type"] = std::string(1, e.type);
    if (e.mode) {
      char mode[32];
      std::snprintf(mode, sizeof(mode), "0%o", e.mode);
      j["mode"] = std::string(mode);
    }
    if (e.size) j["size"] = e.size;
    if (!(e.mtime == UnixTime{})) j["mtime"] = FormatRfc3339Nano(e.mtime);
    if (e.uid) j["uid"] = e.uid;
    if (e.gid) j["gid"] = e.gid;
    if (!e.object_id.empty()) j["obj"] = e.object_id;
    if (e.summary) j["summ"] = summary_json(*e.summary);
    return j;
  };
  Json doc;
  doc["stream"] = "kopia:directory";
  Json arr = Json::array();
  for (const auto& e : dir.entries) arr.push_back(entry_json(e));
  doc["entries"] = arr;
  doc["summary"] = summary_json(summ);
  EXPECT_EQ(SerializeDirectory(dir), doc.dump() + "\n");
  for (const auto& e : dir.entries) EXPECT_EQ(DirEntryJson(e), entry_json(e).dump());
  EXPECT_EQ(DirectorySummaryJson(summ), summary_json(summ).dump());
  auto back = ParseDirectory(AsBytes(SerializeDirectory(dir)));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->entries[1].name, full.name);
  EXPECT_EQ(back->entries[1].uid, 4294967295u);
  EXPECT_EQ(back->summary->errors[1].error, "x\ny");
}

// A name (or an error path) that is not valid UTF-8 cannot be JSON text: it is written with
// U+FFFD for each bad byte, as kopia writes it, and reads back as such; never an exception.
TEST(DirEntryTest, InvalidUtf8IsWrittenAsReplacementCharacters) {
  DirectoryManifest dir;
  DirEntry e;
  e.name = "a\xFF" "b";
  e.type = kTypeFile;
  dir.entries = {e};
  DirectorySummary summ;
  summ.errors = {{"bad\xC0/x", "cannot open"}};
  dir.summary = summ;
  const std::string text = SerializeDirectory(dir);
  EXPECT_NE(text.find(R"("name":"a\ufffdb")"), std::string::npos) << text;
  auto back = ParseDirectory(AsBytes(text));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->entries[0].name, "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(back->summary->errors[0].path, "bad\xEF\xBF\xBD/x");
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
