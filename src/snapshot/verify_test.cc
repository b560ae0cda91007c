#include "snapshot/verify.h"

#include <gtest/gtest.h>

#include "snapshot/read_test_util.h"
#include "snapshot/tree.h"

namespace ferry::snapshot {
namespace {

using ferry::testing::TempDir;

std::vector<VerifyRoot> AllSnapshots(repo::Repository* repo) {
  std::vector<VerifyRoot> roots;
  auto all = ListSnapshots(repo->manifests(), std::nullopt, true);
  EXPECT_TRUE(all.ok());
  for (const auto& m : *all) roots.push_back({m.id, m.root_entry});
  return roots;
}

TEST(VerifyTest, KopiaFixturesVerify) {
  for (const char* name : {"default", "blake3-chacha-rabinkarp-zstd", "hmac-fixed-maintained"}) {
    SCOPED_TRACE(name);
    TempDir dir("verify-fixture");
    auto repo = testing::OpenFixtureCopy(name, dir.path());
    ASSERT_TRUE(repo);
    VerifyOptions o;
    o.files_percent = 100;
    o.storage = repo->storage();
    std::vector<std::string> errors;
    o.on_error = [&](const std::string& path, const Status& s) { errors.push_back(path + ": " + s.message()); };
    auto stats = Verify(*repo->objects(), AllSnapshots(repo.get()), o);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_EQ(stats->errors, 0) << (errors.empty() ? "" : errors[0]);
    EXPECT_GT(stats->processed, 60);
    EXPECT_GT(stats->files_read, 40);
  }
}

// One flipped byte in a pack that holds file data: the index still lists every content, so only
// reading the file finds it — and the error names the object and the path.
TEST(VerifyTest, FlippedPackByteIsFoundByReading) {
  TempDir dir("verify-flip");
  std::string object_id, pack;
  {
    auto repo = testing::OpenFixtureCopy("default", dir.path());
    auto e = ResolveEntry(*repo->objects(), repo->manifests(), "3d3bed13be8d01166562d0382d59c3dd/text/lorem-300k.txt");
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    object_id = e->entry.object_id;
    auto oid = object::ObjectId::Parse(object_id);
    auto contents = repo->objects()->VerifyObject(*oid);
    ASSERT_TRUE(contents.ok());
    auto info = repo->contents()->GetContentInfo(contents->front());
    ASSERT_TRUE(info.ok());
    pack = info->pack_blob_id;
    ASSERT_EQ(pack[0], 'p');
    auto blob = repo->storage()->GetBlob(pack);
    ASSERT_TRUE(blob.ok());
    (*blob)[info->pack_offset + info->packed_length / 2] ^= 0x01;
    ASSERT_TRUE(repo->storage()->PutBlob(pack, *blob).ok());
  }
  auto repo = testing::OpenRepositoryAt(dir.path() / "default");
  ASSERT_TRUE(repo);
  VerifyOptions o;
  o.storage = repo->storage();
  std::vector<std::string> errors;
  o.on_error = [&](const std::string& path, const Status& s) { errors.push_back(path + ": " + s.message()); };
  // Without reading files, the damage is invisible.
  auto quick = Verify(*repo->objects(), AllSnapshots(repo.get()), o);
  ASSERT_TRUE(quick.ok());
  EXPECT_EQ(quick->errors, 0);
  o.files_percent = 100;
  auto full = Verify(*repo->objects(), AllSnapshots(repo.get()), o);
  ASSERT_TRUE(full.ok());
  ASSERT_GE(full->errors, 1);
  bool named = false;
  for (const auto& e : errors) named |= e.find(object_id) != std::string::npos && e.find("text/lorem-300k.txt") != std::string::npos;
  EXPECT_TRUE(named) << errors[0];
}

TEST(VerifyTest, MissingPackIsFoundWithoutReading) {
  TempDir dir("verify-missing");
  auto repo = testing::OpenFixtureCopy("default", dir.path());
  auto e = ResolveEntry(*repo->objects(), repo->manifests(), "3d3bed13be8d01166562d0382d59c3dd/big/random-9m.bin");
  ASSERT_TRUE(e.ok());
  auto contents = repo->objects()->VerifyObject(*object::ObjectId::Parse(e->entry.object_id));
  auto info = repo->contents()->GetContentInfo(contents->back());
  ASSERT_TRUE(repo->storage()->DeleteBlob(info->pack_blob_id).ok());
  VerifyOptions o;
  o.storage = repo->storage();
  std::string first;
  o.on_error = [&](const std::string&, const Status& s) {
    if (first.empty()) first = s.message();
  };
  auto stats = Verify(*repo->objects(), AllSnapshots(repo.get()), o);
  ASSERT_TRUE(stats.ok());
  EXPECT_GE(stats->errors, 1);
  EXPECT_NE(first.find("is backed by missing blob " + info->pack_blob_id), std::string::npos) << first;
}

TEST(VerifyTest, ChoiceOfFilesIsDeterministic) {
  int chosen = 0;
  for (int i = 0; i < 10000; ++i) {
    std::string id = "f" + std::to_string(i);
    bool c = ChosenForReading(id, 10, 7);
    EXPECT_EQ(c, ChosenForReading(id, 10, 7));
    chosen += c;
  }
  EXPECT_GT(chosen, 800);
  EXPECT_LT(chosen, 1200);
  EXPECT_TRUE(ChosenForReading("x", 100, 0));
  EXPECT_FALSE(ChosenForReading("x", 0, 0));
}

}  // namespace
}  // namespace ferry::snapshot
