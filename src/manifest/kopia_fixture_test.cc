// Objects and manifests of the repositories the real kopia (v0.12.1) wrote
// (../shared/fixtures/kopia, README there): ferry must read every manifest with kopia's labels and
// times, every directory object as kopia listed it, every file with the expected SHA-256 — and,
// writing the same bytes again, get kopia's object IDs (same chunks, same indirect-list bytes).
#include <openssl/sha.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "blob/filesystem_storage.h"
#include "manifest/manifest_manager.h"
#include "manifest/rfc3339.h"
#include "object/object_manager.h"
#include "repo/repository.h"

namespace ferry {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kPassword = "static-passw0rd";

fs::path FixturesDir() { return fs::path(FERRY_SHARED_DIR) / "fixtures" / "kopia"; }

// Opening a repository may write (sessions, epoch markers): always work on a copy.
fs::path CopyFixture(const std::string& name) {
  fs::path dst = fs::path(::testing::TempDir()) /
                 ("ferry-objfixture-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dst);
  fs::copy(FixturesDir() / name, dst, fs::copy_options::recursive);
  for (auto& e : fs::recursive_directory_iterator(dst)) {
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  }
  return dst;
}

std::string Sha256Hex(ByteView data) {
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(data.data(), data.size(), digest);
  return HexEncode(ByteView(digest, sizeof(digest)));
}

std::vector<json> ReadJsonLines(const fs::path& path) {
  std::vector<json> rows;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) rows.push_back(json::parse(line));
  }
  return rows;
}

// path -> sha256 of every file of an expected tree.
std::map<std::string, std::string> ExpectedFiles(const std::string& tree) {
  std::map<std::string, std::string> files;
  for (const json& row : ReadJsonLines(FixturesDir() / "expected" / (tree + ".manifest.jsonl"))) {
    if (row["type"] == "file") files[row["path"]] = row["sha256"];
  }
  return files;
}

// Which expected tree each snapshot holds (fixtures README).
const std::map<std::string, std::string>& SnapshotTrees() {
  static const auto* trees = new std::map<std::string, std::string>{
      {"3d3bed13be8d01166562d0382d59c3dd", "alpha"},
      {"b2afd3645316c7c440f1ca146f2940cf", "alpha2"},
      {"111abec1943e4f90f6a9ac13e5c3afa8", "alpha"},
      {"5f637b4714c32e9b146d4ef682980b32", "disk.img"},
      {"65baabd6c32a33ca0a0d2d3ce3936dbf", "alpha"},
      {"9d69b6b8c64ceff2d7dac718cd1de67f", "alpha"},
  };
  return *trees;
}

class KopiaFixtureTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    copy_ = CopyFixture(GetParam());
    auto storage = blob::OpenFilesystemStorage(copy_.string(), {});
    ASSERT_TRUE(storage.ok()) << storage.status().ToString();
    repo::OpenOptions options;
    options.location = copy_.string();
    auto r = repo::Repository::Open(std::shared_ptr<blob::Storage>(std::move(*storage)), kPassword,
                                    options);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    repo_ = std::move(*r);
    objects_ = std::make_unique<object::ObjectManager>(repo_->contents(),
                                                       repo_->splitter_factory());
  }
  void TearDown() override {
    objects_.reset();
    repo_.reset();
    fs::remove_all(copy_);
  }

  Bytes MustRead(const std::string& oid) {
    auto id = object::ObjectId::Parse(oid);
    EXPECT_TRUE(id.ok()) << oid;
    if (!id.ok()) return {};
    auto data = objects_->ReadAll(*id);
    EXPECT_TRUE(data.ok()) << oid << ": " << data.status().ToString();
    return data.ok() ? *data : Bytes();
  }

  fs::path copy_;
  std::unique_ptr<repo::Repository> repo_;
  std::unique_ptr<object::ObjectManager> objects_;
};

TEST_P(KopiaFixtureTest, ManifestsMatchKopiasListing) {
  manifest::ManifestManagerOptions options;
  options.auto_compaction_threshold = 0;  // read only: never rewrite kopia's contents here
  auto m = manifest::ManifestManager::Open(repo_->contents(), options);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  std::ifstream in(FixturesDir() / (GetParam() + ".manifests.json"));
  json expected = json::parse(in);
  auto found = (*m)->Find({});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), expected.size());
  std::map<std::string, const manifest::ManifestEntryMetadata*> by_id;
  for (const auto& e : *found) by_id[e.id] = &e;
  for (const json& want : expected) {
    auto it = by_id.find(want["id"]);
    ASSERT_NE(it, by_id.end()) << want.dump();
    const auto& got = *it->second;
    EXPECT_EQ(FormatRfc3339Nano(got.modified), want["mtime"].get<std::string>());
    EXPECT_EQ(got.length, want["length"].get<size_t>()) << want.dump();
    EXPECT_EQ(json(got.labels), want["labels"]);
    // The payload is JSON with kopia's content (snapshots carry their root object).
    auto full = (*m)->Get(got.id);
    ASSERT_TRUE(full.ok());
    json data = json::parse(full->data);
    if (got.labels.at("type") == "snapshot") {
      EXPECT_TRUE(data.contains("rootEntry"));
    }
  }
}

TEST_P(KopiaFixtureTest, ReadsEveryDirectoryAndFile) {
  manifest::ManifestManagerOptions options;
  options.auto_compaction_threshold = 0;
  auto m = manifest::ManifestManager::Open(repo_->contents(), options);
  ASSERT_TRUE(m.ok());
  int files = 0;
  for (const json& row : ReadJsonLines(FixturesDir() / (GetParam() + ".trees.jsonl"))) {
    const std::string snapshot = row["snapshot"];
    const std::string dir_path = row["path"];
    // The directory object is the JSON kopia listed (compared as JSON values).
    Bytes dir_bytes = MustRead(row["oid"]);
    json dir = json::parse(dir_bytes.begin(), dir_bytes.end(), nullptr, false);
    ASSERT_FALSE(dir.is_discarded()) << row["oid"];
    EXPECT_EQ(dir, row["directory"]) << row["oid"];
    EXPECT_TRUE(object::ObjectId::Parse(row["oid"].get<std::string>())->is_directory());
    if (dir_path == ".") {
      auto snap = (*m)->Get(snapshot);
      ASSERT_TRUE(snap.ok()) << snapshot;
      EXPECT_EQ(json::parse(snap->data)["rootEntry"]["obj"], row["oid"]);
      auto verified = objects_->VerifyObject(*object::ObjectId::Parse(row["oid"].get<std::string>()));
      EXPECT_TRUE(verified.ok()) << verified.status().ToString();
    }
    const auto expected = ExpectedFiles(SnapshotTrees().at(snapshot));
    if (dir["entries"].is_null()) continue;
    for (const json& entry : dir["entries"]) {
      if (entry["type"] != "f") continue;
      std::string path = dir_path == "." ? entry["name"].get<std::string>()
                                         : dir_path + "/" + entry["name"].get<std::string>();
      Bytes data = MustRead(entry["obj"]);
      // `size` is omitempty: absent for empty files.
      EXPECT_EQ(static_cast<int64_t>(data.size()), entry.value("size", int64_t{0})) << path;
      ASSERT_TRUE(expected.contains(path)) << path;
      EXPECT_EQ(Sha256Hex(data), expected.at(path)) << path << " " << entry["obj"];
      ++files;
    }
  }
  EXPECT_GT(files, 0);
}

// Writing kopia's bytes again with the repository's splitter gives kopia's object IDs: the same
// chunk boundaries, content IDs and indirect-list bytes. Everything deduplicates, so nothing is
// stored.
TEST_P(KopiaFixtureTest, RewritingGivesKopiasObjectIds) {
  uint64_t before = repo_->contents()->stats().written_contents;
  int indirect = 0;
  for (const json& row : ReadJsonLines(FixturesDir() / (GetParam() + ".trees.jsonl"))) {
    const json& dir = row["directory"];
    if (dir["entries"].is_null()) continue;
    for (const json& entry : dir["entries"]) {
      if (entry["type"] != "f") continue;
      const std::string oid = entry["obj"];
      Bytes data = MustRead(oid);
      // Kopia wrote file data with the policy's compression; IDs do not depend on it.
      auto w = objects_->NewWriter({});
      // Odd write sizes: boundaries must not depend on how the stream arrives.
      for (size_t off = 0; off < data.size(); off += 1000003) {
        ASSERT_TRUE(w->Write(ByteView(data).subspan(off, std::min<size_t>(1000003, data.size() - off))).ok());
      }
      auto id = w->Result();
      ASSERT_TRUE(id.ok()) << id.status().ToString();
      EXPECT_EQ(id->ToString(), oid) << row["path"] << "/" << entry["name"];
      if (id->is_indirect()) ++indirect;
    }
  }
  EXPECT_GT(indirect, 0);  // the 9 MiB file (and disk.img) are indirect objects
  EXPECT_EQ(repo_->contents()->stats().written_contents, before);
}

TEST_P(KopiaFixtureTest, SeeksInsideKopiasLargeObjects) {
  std::mt19937 rng(7);
  for (const json& row : ReadJsonLines(FixturesDir() / (GetParam() + ".trees.jsonl"))) {
    const json& dir = row["directory"];
    if (dir["entries"].is_null()) continue;
    for (const json& entry : dir["entries"]) {
      if (entry["type"] != "f" || entry["obj"].get<std::string>()[0] != 'I') continue;
      Bytes all = MustRead(entry["obj"]);
      auto r = objects_->Open(*object::ObjectId::Parse(entry["obj"].get<std::string>()));
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->Length(), static_cast<int64_t>(all.size()));
      Bytes buf;
      for (int i = 0; i < 20; ++i) {
        size_t off = rng() % all.size();
        buf.assign(1 + rng() % 3000000, 0);
        ASSERT_TRUE(r->Seek(static_cast<int64_t>(off)).ok());
        auto n = r->Read(buf);
        ASSERT_TRUE(n.ok()) << n.status().ToString();
        ASSERT_EQ(*n, std::min(buf.size(), all.size() - off));
        ASSERT_TRUE(std::equal(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(*n),
                               all.begin() + static_cast<ptrdiff_t>(off)));
      }
    }
  }
}

TEST(KopiaFixtureFacts, BigFileChunksInDefault) {
  // README: in `default`, big/random-9m.bin was cut into 7 675 280 + 1 761 904 bytes.
  fs::path copy = CopyFixture("default");
  auto storage = blob::OpenFilesystemStorage(copy.string(), {});
  ASSERT_TRUE(storage.ok());
  repo::OpenOptions options;
  options.read_only = true;
  auto r = repo::Repository::Open(std::shared_ptr<blob::Storage>(std::move(*storage)), kPassword,
                                  options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto id = object::ObjectId::Parse("Ix01242d10f98d392ddc25bbea6fbd2cfb");
  ASSERT_TRUE(id.ok());
  auto list = object::LoadIndirectList((*r)->contents(), id->IndexObjectId());
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].length, 7675280);
  EXPECT_EQ((*list)[1].start, 7675280);
  EXPECT_EQ((*list)[1].length, 1761904);
  r->reset();
  fs::remove_all(copy);
}

INSTANTIATE_TEST_SUITE_P(Kopia, KopiaFixtureTest,
                         ::testing::Values("default", "blake3-chacha-rabinkarp-zstd",
                                           "hmac-fixed-maintained"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace ferry
