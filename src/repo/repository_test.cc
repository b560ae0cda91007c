#include "repo/repository.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "blob/filesystem_storage.h"
#include "blob/memory_storage.h"
#include "crypto/key_derivation.h"

namespace ferry::repo {
namespace {

namespace fs = std::filesystem;

const char* kFixturePassword = "static-passw0rd";

fs::path FixtureDir(const std::string& name) {
  return fs::path(FERRY_SHARED_DIR) / "fixtures" / "kopia" / name;
}

// Tests open copies: opening a repository is not side-effect free (and the originals are read-only).
fs::path CopyFixture(const std::string& name) {
  fs::path dst = fs::path(::testing::TempDir()) / ("ferry-fixture-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dst);
  fs::copy(FixtureDir(name), dst, fs::copy_options::recursive);
  for (auto& e : fs::recursive_directory_iterator(dst)) {
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  }
  return dst;
}

std::shared_ptr<blob::Storage> OpenFs(const fs::path& p) {
  auto s = blob::OpenFilesystemStorage(p.string(), {});
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::shared_ptr<blob::Storage>(std::move(*s));
}

std::vector<std::string> AllBlobIds(blob::Storage* s) {
  std::vector<std::string> ids;
  auto listing = s->ListAllBlobs("");
  EXPECT_TRUE(listing.ok());
  for (const auto& b : *listing) ids.push_back(b.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(RepositoryTest, CreateAndOpenWithDefaults) {
  auto storage = std::make_shared<blob::MemoryStorage>();
  ASSERT_TRUE(InitializeRepository(storage.get(), "pw", {}, "memory").ok());
  EXPECT_EQ(AllBlobIds(storage.get()), (std::vector<std::string>{"kopia.blobcfg", "kopia.repository"}));
  OpenOptions o;
  o.location = "memory";
  auto r = Repository::Open(storage, "pw", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->config().hash, "BLAKE2B-256-128");
  EXPECT_EQ((*r)->config().encryption, "AES256-GCM-HMAC-SHA256");
  EXPECT_EQ((*r)->config().splitter, "DYNAMIC-4M-BUZHASH");
  EXPECT_EQ((*r)->config().version, 3);
  EXPECT_EQ((*r)->config().index_version, 2);
  EXPECT_EQ((*r)->format_blob().unique_id.size(), 32u);
  auto id = (*r)->contents()->WriteContent(AsBytes("hello"), 0, 0);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE((*r)->Flush().ok());
  auto again = Repository::Open(storage, "pw", o);
  ASSERT_TRUE(again.ok());
  Bytes got;
  ASSERT_TRUE((*again)->contents()->GetContent(*id, &got).ok());
  EXPECT_EQ(AsString(got), "hello");
}

TEST(RepositoryTest, NonDefaultAlgorithmsOnTheFilesystem) {
  fs::path dir = fs::path(::testing::TempDir()) / ("ferry-repo-nondefault-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto created = blob::CreateFilesystemStorage(dir.string());
  ASSERT_TRUE(created.ok());
  std::shared_ptr<blob::Storage> storage(std::move(*created));
  NewRepositoryOptions n;
  n.hash = "BLAKE3-256";
  n.encryption = "CHACHA20-POLY1305-HMAC-SHA256";
  n.splitter = "DYNAMIC-1M-RABINKARP";
  ASSERT_TRUE(InitializeRepository(storage.get(), "secret", n, dir.string()).ok());
  EXPECT_TRUE(fs::exists(dir / "kopia.repository.f"));
  EXPECT_TRUE(fs::exists(dir / "kopia.blobcfg.f"));
  EXPECT_TRUE(fs::exists(dir / ".shards"));
  auto r = Repository::Open(OpenFs(dir), "secret", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->config().hash, "BLAKE3-256");
  EXPECT_EQ((*r)->hash().output_size(), 32u);
  EXPECT_EQ((*r)->config().encryption, "CHACHA20-POLY1305-HMAC-SHA256");
  EXPECT_EQ((*r)->config().splitter, "DYNAMIC-1M-RABINKARP");
  auto id = (*r)->contents()->WriteContent(AsBytes("x"), 'k', 0x1101);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->ToString().size(), 65u);
  ASSERT_TRUE((*r)->Flush().ok());
  fs::remove_all(dir);
}

TEST(RepositoryTest, UnknownAlgorithmsAreRefusedBeforeAnythingIsWritten) {
  auto storage = std::make_shared<blob::MemoryStorage>();
  NewRepositoryOptions n;
  n.hash = "MD5";
  Status s = InitializeRepository(storage.get(), "pw", n, "memory");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("BLAKE2B-256-128"), std::string::npos) << s.message();  // lists valid names
  n = {};
  n.splitter = "DYNAMIC-3M-BUZHASH";
  EXPECT_EQ(InitializeRepository(storage.get(), "pw", n, "memory").code(), StatusCode::kInvalidArgument);
  n = {};
  n.encryption = "NONE";
  EXPECT_EQ(InitializeRepository(storage.get(), "pw", n, "memory").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(AllBlobIds(storage.get()).empty());
}

TEST(RepositoryTest, RefusesToCreateOverAnExistingRepository) {
  auto storage = std::make_shared<blob::MemoryStorage>();
  ASSERT_TRUE(InitializeRepository(storage.get(), "pw", {}, "memory").ok());
  Bytes before = *storage->GetBlob("kopia.repository");
  Status s = InitializeRepository(storage.get(), "other", {}, "/backups/repo");
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find("/backups/repo"), std::string::npos);
  EXPECT_EQ(*storage->GetBlob("kopia.repository"), before);
}

TEST(RepositoryTest, WrongPasswordNamesTheRepositoryAndWritesNothing) {
  auto storage = std::make_shared<blob::MemoryStorage>();
  ASSERT_TRUE(InitializeRepository(storage.get(), "right", {}, "memory").ok());
  auto before = AllBlobIds(storage.get());
  OpenOptions o;
  o.location = "/backups/repo";
  auto r = Repository::Open(storage, "wrong", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kAuthentication);
  EXPECT_EQ(r.status().message(), "wrong password for repository at /backups/repo");
  EXPECT_EQ(AllBlobIds(storage.get()), before);
  auto missing = Repository::Open(std::make_shared<blob::MemoryStorage>(), "x", o);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(RepositoryTest, UnsupportedFormatVersionIsRefusedClearly) {
  auto storage = std::make_shared<blob::MemoryStorage>();
  ASSERT_TRUE(InitializeRepository(storage.get(), "pw", {}, "memory").ok());
  // Rewrite the config as version 4 with the same keys.
  auto blob = format::ParseFormatBlob(*storage->GetBlob("kopia.repository"));
  auto key = crypto::DeriveFormatKey(blob->key_algo, "pw", blob->unique_id);
  auto config = format::DecryptRepositoryConfig(*blob, *key);
  std::string text = format::SerializeRepositoryConfig(*config);
  text.replace(text.find("\"version\":3"), 11, "\"version\":4");
  auto keys_aes = crypto::DeriveKeyFromMasterKey(*key, blob->unique_id, "AES", 32);
  auto keys_aad = crypto::DeriveKeyFromMasterKey(*key, blob->unique_id, "CHECKSUM", 32);
  blob->encrypted_block_format = *crypto::AesGcmSeal(*keys_aes, AsBytes(text), *keys_aad);
  ASSERT_TRUE(storage->PutBlob("kopia.repository", format::SerializeFormatBlob(*blob)).ok());
  auto r = Repository::Open(storage, "pw", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("format version 4 is not supported"), std::string::npos)
      << r.status().message();
}

TEST(RepositoryTest, ChangePassword) {
  auto storage = std::make_shared<blob::MemoryStorage>();
  ASSERT_TRUE(InitializeRepository(storage.get(), "old", {}, "memory").ok());
  auto r = Repository::Open(storage, "old", {});
  ASSERT_TRUE(r.ok());
  auto id = (*r)->contents()->WriteContent(AsBytes("data"), 0, 0);
  ASSERT_TRUE((*r)->Flush().ok());
  ASSERT_TRUE((*r)->ChangePassword("new").ok());
  EXPECT_EQ(Repository::Open(storage, "old", {}).status().code(), StatusCode::kAuthentication);
  auto again = Repository::Open(storage, "new", {});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  Bytes got;
  ASSERT_TRUE((*again)->contents()->GetContent(*id, &got).ok());
  EXPECT_EQ(AsString(got), "data");
}

class FixtureTest : public ::testing::TestWithParam<std::string> {};

// Every kopia-made fixture opens with its password and every content in its index is readable.
TEST_P(FixtureTest, OpensAndReadsEveryContent) {
  fs::path copy = CopyFixture(GetParam());
  OpenOptions o;
  o.read_only = true;
  auto r = Repository::Open(OpenFs(copy), kFixturePassword, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::ifstream in(FixtureDir("").parent_path() / (GetParam() + ".contents.json"));
  auto expected = nlohmann::json::parse(in);
  size_t live = 0, deleted = 0;
  for (const auto& c : expected) (c.value("deleted", false) ? deleted : live)++;
  size_t seen = 0, seen_deleted = 0;
  Status s = (*r)->contents()->IterateContents(true, [&](const content::ContentInfo& info) {
    if (info.deleted) {
      ++seen_deleted;
      return Status::OK();
    }
    ++seen;
    Bytes data;
    Status g = (*r)->contents()->GetContent(info.id, &data);
    if (!g.ok()) return g;
    if (data.size() != info.original_length) return Status::Corruption("length mismatch " + info.id.ToString());
    return Status::OK();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(seen, live);
  EXPECT_EQ(seen_deleted, deleted);
  // Every expected content ID is found with the same pack and lengths.
  for (const auto& c : expected) {
    auto id = content::ContentId::Parse(c["contentID"].get<std::string>());
    ASSERT_TRUE(id.ok());
    auto info = (*r)->contents()->GetContentInfo(*id);
    ASSERT_TRUE(info.ok()) << c.dump();
    EXPECT_EQ(info->pack_blob_id, c["packFile"].get<std::string>());
    EXPECT_EQ(info->packed_length, c["length"].get<uint32_t>());
    EXPECT_EQ(info->original_length, c["originalLength"].get<uint32_t>());
    EXPECT_EQ(info->deleted, c.value("deleted", false));
  }
  fs::remove_all(copy);
}

TEST_P(FixtureTest, WrongPasswordFails) {
  fs::path copy = CopyFixture(GetParam());
  auto r = Repository::Open(OpenFs(copy), "not-it", {});
  EXPECT_EQ(r.status().code(), StatusCode::kAuthentication);
  fs::remove_all(copy);
}

INSTANTIATE_TEST_SUITE_P(Kopia, FixtureTest,
                         ::testing::Values("default", "blake3-chacha-rabinkarp-zstd", "hmac-fixed-maintained"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace ferry::repo
