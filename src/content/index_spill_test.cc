// Spilled index views (IndexView with an IndexSpillFile) must answer exactly as in-memory ones.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "blob/memory_storage.h"
#include "content/content_manager.h"
#include "content/index_builder.h"
#include "content/index_spill.h"
#include "content/index_view.h"

namespace ferry::content {
namespace {

const char* kPacks[] = {"p0123456789abcdef0123456789abcdef-s0011223344556677a0",
                        "q11112222333344445555666677778888-s0011223344556677a0",
                        "p99998888777766665555444433332222-s0011223344556677a0"};

ContentId IdOf(uint32_t i) {
  uint8_t hash[16];
  uint64_t x = uint64_t(i) * 0x9E3779B97F4A7C15ull + 777;
  for (int b = 0; b < 16; ++b) hash[b] = uint8_t((x >> (8 * (b % 8))) ^ (b >= 8 ? i * 131 : 0));
  return *ContentId::FromHash(i % 5 == 0 ? 'k' : 0, ByteView(hash, 16));
}

// count entries with IDs IdOf(0, 2, 4, ...): three packs, deleted ones, compressed ones (v2).
Bytes BuildIndex(uint32_t count, int version) {
  IndexBuilder b;
  for (uint32_t i = 0; i < count; ++i) {
    IndexEntry e;
    e.id = IdOf(2 * i);
    e.pack_blob_id = kPacks[i % 3];
    e.pack_offset = i * 100;
    e.packed_length = 100 + i % 50;
    e.original_length = version == 1 ? e.packed_length - 28 : 70 + i % 7;
    e.timestamp = 1665000000 + i % 13;
    e.deleted = i % 11 == 0;
    e.compression_header = version == 2 && i % 4 == 0 ? 0x1100 : 0;
    b.Add(e);
  }
  auto built = b.Build(version);
  EXPECT_TRUE(built.ok()) << built.status().ToString();
  return *built;
}

void ExpectSameEntry(const IndexEntry& a, const IndexEntry& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.pack_blob_id, b.pack_blob_id);
  EXPECT_EQ(a.pack_offset, b.pack_offset);
  EXPECT_EQ(a.packed_length, b.packed_length);
  EXPECT_EQ(a.original_length, b.original_length);
  EXPECT_EQ(a.timestamp, b.timestamp);
  EXPECT_EQ(a.deleted, b.deleted);
  EXPECT_EQ(a.format_version, b.format_version);
  EXPECT_EQ(a.compression_header, b.compression_header);
}

// Every present and absent ID, EntryAt and ForEach agree between a spilled and an in-memory view.
void ExpectSpilledAgrees(uint32_t count, int version) {
  SCOPED_TRACE("count " + std::to_string(count) + ", v" + std::to_string(version));
  auto spill = IndexSpillFile::Create("", /*min_entries=*/1);
  ASSERT_TRUE(spill.ok()) << spill.status().ToString();
  Bytes blob = BuildIndex(count, version);
  auto memory = IndexView::Parse(blob, "xn0_memory");
  auto spilled = IndexView::Parse(blob, "xn0_spilled", *spill);
  ASSERT_TRUE(memory.ok() && spilled.ok());
  EXPECT_FALSE((*memory)->spilled());
  ASSERT_TRUE((*spilled)->spilled());
  ASSERT_EQ((*spilled)->size(), count);
  // The entries only (v2 values are 16 to 19 bytes, v1's 20).
  EXPECT_GE((*spill)->size(), uint64_t(count) * ((*memory)->key_size() + 16));
  EXPECT_LE((*spill)->size(), uint64_t(count) * ((*memory)->key_size() + 20));
  if (count >= 1000) {
    EXPECT_LT((*spilled)->memory_bytes() * 8, (*memory)->memory_bytes());
  }
  for (uint32_t i = 0; i < 2 * count + 2; ++i) {
    IndexEntry m, s;
    auto in_memory = (*memory)->Find(IdOf(i), &m);
    auto in_spilled = (*spilled)->Find(IdOf(i), &s);
    ASSERT_TRUE(in_memory.ok() && in_spilled.ok()) << in_spilled.status().ToString();
    ASSERT_EQ(*in_memory, i % 2 == 0 && i < 2 * count) << i;
    ASSERT_EQ(*in_spilled, *in_memory) << i;
    if (*in_memory) ExpectSameEntry(s, m);
  }
  // Below the first key and above the last.
  IndexEntry none;
  Bytes low(16, 0x00), high(16, 0xff);
  EXPECT_FALSE(*(*spilled)->Find(*ContentId::FromHash(0, low), &none));
  EXPECT_FALSE(*(*spilled)->Find(*ContentId::FromHash('z', high), &none));
  std::vector<IndexEntry> walked;
  ASSERT_TRUE((*spilled)->ForEach([&](const IndexEntry& e) {
    walked.push_back(e);
    return Status::OK();
  }).ok());
  ASSERT_EQ(walked.size(), count);
  for (uint32_t i = 0; i < count; ++i) {
    auto m = (*memory)->EntryAt(i);
    auto s = (*spilled)->EntryAt(i);
    ASSERT_TRUE(m.ok() && s.ok());
    ExpectSameEntry(*s, *m);
    ExpectSameEntry(walked[i], *m);
  }
  // Out of order too (each EntryAt may need another block).
  for (uint32_t i = 0; i < count; i += 97) {
    auto s = (*spilled)->EntryAt(count - 1 - i);
    ASSERT_TRUE(s.ok());
    ExpectSameEntry(*s, *(*memory)->EntryAt(count - 1 - i));
  }
  EXPECT_FALSE((*spilled)->EntryAt(count).ok());
}

TEST(IndexSpillTest, SpilledV2ViewAgreesWithInMemoryView) {
  // 124 entries of 33 bytes fill a 4 KiB block: sizes around block edges.
  for (uint32_t count : {1u, 2u, 123u, 124u, 125u, 248u, 249u, 5000u}) ExpectSpilledAgrees(count, 2);
}

TEST(IndexSpillTest, SpilledV1ViewAgreesWithInMemoryView) {
  for (uint32_t count : {1u, 110u, 111u, 3000u}) ExpectSpilledAgrees(count, 1);
}

TEST(IndexSpillTest, SmallViewsStayInMemory) {
  auto spill = IndexSpillFile::Create("", /*min_entries=*/100);
  ASSERT_TRUE(spill.ok());
  auto small = IndexView::Parse(BuildIndex(99, 2), "xn0_small", *spill);
  auto large = IndexView::Parse(BuildIndex(100, 2), "xn0_large", *spill);
  ASSERT_TRUE(small.ok() && large.ok());
  EXPECT_FALSE((*small)->spilled());
  EXPECT_TRUE((*large)->spilled());
}

TEST(IndexSpillTest, SpilledFilterRejectsNearlyAllAbsentIds) {
  // A false positive of a spilled view costs a block read: its filter has 12 bits per entry
  // (split blocks: 0.41 % measured here, what one-word blocks needed 16 bits for).
  auto spill = IndexSpillFile::Create("", 1);
  ASSERT_TRUE(spill.ok());
  auto view = IndexView::Parse(BuildIndex(20000, 2), "xn0_big", *spill);
  ASSERT_TRUE(view.ok() && (*view)->spilled());
  size_t false_positives = 0;
  for (uint32_t i = 1; i < 200000; i += 2) false_positives += (*view)->MayContain(IdOf(i));
  EXPECT_LT(false_positives, 100000u * 6 / 1000) << "the spilled filter should reject > 99.4 % of absent IDs";
  // Filter (1.5 bytes per entry) and fences (17 bytes per 124 entries), not the 33-byte entries.
  EXPECT_LT((*view)->memory_bytes(), 20000u * 3 / 2 + 64 + 20000u / 124 * 17 + 4096);
}

TEST(IndexSpillTest, UnwritableSpillDirectoryIsAnError) {
  EXPECT_FALSE(IndexSpillFile::Create("/nonexistent-ferry-spill-dir").ok());
}

TEST(IndexSpillTest, ConcurrentLookupsOfASpilledView) {
  auto spill = IndexSpillFile::Create("", 1);
  ASSERT_TRUE(spill.ok());
  auto view = IndexView::Parse(BuildIndex(20000, 2), "xn0_big", *spill);
  ASSERT_TRUE(view.ok() && (*view)->spilled());
  std::shared_ptr<const IndexView> shared = *view;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([shared, t, &wrong] {
      for (uint32_t i = uint32_t(t); i < 40000; i += 4) {
        IndexEntry e;
        auto found = shared->Find(IdOf(i), &e);
        bool want = i % 2 == 0;
        if (!found.ok() || *found != want || (want && e.pack_offset != i / 2 * 100)) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

// Open file descriptors of unlinked files in `dir` (O_TMPFILE or unlinked mkstemp files).
int SpillFilesIn(const std::string& dir) {
  int n = 0;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (!ec && target.starts_with(dir + "/") && target.ends_with("(deleted)")) ++n;
  }
  return n;
}

class SpillingContentManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hash_ = std::move(*crypto::NewHashFunction("BLAKE2B-256-128", Bytes(32, 0x80)));
    encryptor_ = std::move(*crypto::NewEncryptor("AES256-GCM-HMAC-SHA256", Bytes(32, 0x40)));
    spill_dir_ = std::filesystem::temp_directory_path() / ("ferry-spill-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(spill_dir_);
  }
  void TearDown() override { std::filesystem::remove_all(spill_dir_); }

  std::unique_ptr<ContentManager> Open(size_t spill_min_entries) {
    ContentFormat f;
    f.hash = hash_.get();
    f.encryptor = encryptor_.get();
    f.max_pack_size = 64 << 10;
    ContentManagerOptions o;
    o.now = [this] { return ++clock_; };
    o.index_spill_min_entries = spill_min_entries;
    o.index_spill_dir = spill_dir_;
    auto cm = ContentManager::Open(&storage_, f, o);
    EXPECT_TRUE(cm.ok()) << cm.status().ToString();
    return std::move(*cm);
  }

  static Bytes Data(uint32_t i) {
    Bytes b(300 + i % 700);
    uint32_t x = i * 2654435761u + 1;
    for (auto& c : b) c = uint8_t((x = x * 1103515245u + 12345u) >> 24);
    return b;
  }

  std::unique_ptr<crypto::HashFunction> hash_;
  std::unique_ptr<crypto::Encryptor> encryptor_;
  blob::MemoryStorage storage_;
  std::string spill_dir_;
  int64_t clock_ = 1700000000;
};

// Several index blobs with deleted, undeleted and rewritten (superseded) entries: a manager whose
// views are all spilled gives the same answer for every ID as one that keeps them in memory.
TEST_F(SpillingContentManagerTest, LookupsAgreeWithInMemoryViews) {
  std::vector<ContentId> ids;
  {
    auto cm = Open(/*spill_min_entries=*/1);
    for (uint32_t round = 0; round < 3; ++round) {
      for (uint32_t i = 0; i < 300; ++i) {
        auto id = cm->WriteContent(Data(round * 300 + i), i % 9 == 0 ? 'k' : 0, compression::kNoCompression);
        ASSERT_TRUE(id.ok());
        ids.push_back(*id);
      }
      ASSERT_TRUE(cm->Flush().ok());
    }
    EXPECT_EQ(SpillFilesIn(spill_dir_), 1);
    // Duplicates are found through the spilled views.
    uint64_t before = cm->stats().written_contents;
    for (uint32_t i = 0; i < 900; i += 7) ASSERT_TRUE(cm->WriteContent(Data(i), i % 300 % 9 == 0 ? 'k' : 0, compression::kNoCompression).ok());
    EXPECT_EQ(cm->stats().written_contents, before);
    for (size_t i = 0; i < ids.size(); i += 5) ASSERT_TRUE(cm->DeleteContent(ids[i]).ok());
    ASSERT_TRUE(cm->Flush().ok());
    for (size_t i = 0; i < ids.size(); i += 10) ASSERT_TRUE(cm->UndeleteContent(ids[i]).ok());
    for (size_t i = 1; i < ids.size(); i += 13) ASSERT_TRUE(cm->RewriteContent(ids[i]).ok());
    ASSERT_TRUE(cm->Flush().ok());
    // A deleted content written again is stored anew (found deleted in a spilled view).
    ASSERT_TRUE(cm->WriteContent(Data(5), 0, compression::kNoCompression).ok());
    ASSERT_TRUE(cm->Flush().ok());
    EXPECT_EQ(cm->stats().written_contents, before + 1);
  }
  EXPECT_EQ(SpillFilesIn(spill_dir_), 0);  // gone with its manager
  auto spilled = Open(1);
  auto memory = Open(0);
  EXPECT_EQ(SpillFilesIn(spill_dir_), 1);
  size_t deleted = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto s = spilled->GetContentInfo(ids[i]);
    auto m = memory->GetContentInfo(ids[i]);
    ASSERT_TRUE(s.ok() && m.ok()) << i;
    EXPECT_EQ(s->pack_blob_id, m->pack_blob_id);
    EXPECT_EQ(s->pack_offset, m->pack_offset);
    EXPECT_EQ(s->timestamp, m->timestamp);
    EXPECT_EQ(s->deleted, m->deleted);
    EXPECT_EQ(s->deleted, i % 5 == 0 && i % 10 != 0 && i != 5) << i;
    deleted += s->deleted;
    Bytes got;
    if (!s->deleted) {
      ASSERT_TRUE(spilled->GetContent(ids[i], &got).ok()) << i;
      EXPECT_EQ(got, Data(uint32_t(i)));
    }
  }
  EXPECT_GT(deleted, 0u);
  EXPECT_TRUE(spilled->GetContentInfo(*ContentId::FromHash(0, Bytes(16, 0x42))).status().code() == StatusCode::kNotFound);
  std::vector<std::pair<ContentId, int64_t>> a, b;
  ASSERT_TRUE(spilled->IterateContents(true, [&](const ContentInfo& i) { a.emplace_back(i.id, i.timestamp); return Status::OK(); }).ok());
  ASSERT_TRUE(memory->IterateContents(true, [&](const ContentInfo& i) { b.emplace_back(i.id, i.timestamp); return Status::OK(); }).ok());
  EXPECT_EQ(a.size(), ids.size());
  EXPECT_EQ(a, b);
  // Compaction merges spilled views.
  auto listing = storage_.ListAllBlobs("xn");
  ASSERT_TRUE(listing.ok());
  std::vector<std::string> blobs;
  for (const auto& blob : *listing) blobs.push_back(blob.id);
  ASSERT_GE(blobs.size(), 4u);
  auto compacted = spilled->CompactIndexBlobs(blobs, "xs0_");
  ASSERT_TRUE(compacted.ok()) << compacted.status().ToString();
}

}  // namespace
}  // namespace ferry::content
