#include "content/content_manager.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "blob/fault_injecting_storage.h"
#include "blob/filesystem_storage.h"
#include "blob/memory_storage.h"
#include "compression/crc32c.h"
#include "content/encrypted_blob.h"
#include "content/index_view.h"
#include "content/pack_format.h"

namespace ferry::content {
namespace {

Bytes Data(size_t size, uint32_t seed) {
  Bytes b(size);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : b) {
    x = x * 1103515245u + 12345u;
    c = uint8_t(x >> 24);
  }
  return b;
}

// An index view lookup that found the ID (and could read it).
bool Found(const Result<bool>& found) { return found.ok() && *found; }

Bytes Text(size_t size) {
  std::string s;
  while (s.size() < size) s += "the quick brown fox jumps over the lazy dog. ";
  s.resize(size);
  return ToBytes(s);
}

class ContentManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hash_ = std::move(*crypto::NewHashFunction("BLAKE2B-256-128", Bytes(32, 0x80)));
    encryptor_ = std::move(*crypto::NewEncryptor("AES256-GCM-HMAC-SHA256", Bytes(32, 0x40)));
    storage_ = std::make_shared<blob::MemoryStorage>();
  }

  ContentFormat Format(int64_t max_pack = 1 << 20) {
    ContentFormat f;
    f.hash = hash_.get();
    f.encryptor = encryptor_.get();
    f.max_pack_size = max_pack;
    return f;
  }

  std::unique_ptr<ContentManager> Open(blob::Storage* storage = nullptr, int64_t max_pack = 1 << 20,
                                       std::function<int64_t()> now = nullptr) {
    ContentManagerOptions o;
    o.now = now;
    auto cm = ContentManager::Open(storage ? storage : storage_.get(), Format(max_pack), o);
    EXPECT_TRUE(cm.ok()) << cm.status().ToString();
    return std::move(*cm);
  }

  std::vector<std::string> BlobIds(const std::string& prefix) {
    std::vector<std::string> ids;
    auto listing = storage_->ListAllBlobs(prefix);
    EXPECT_TRUE(listing.ok());
    for (const auto& b : *listing) ids.push_back(b.id);
    return ids;
  }

  std::unique_ptr<crypto::HashFunction> hash_;
  std::unique_ptr<crypto::Encryptor> encryptor_;
  std::shared_ptr<blob::MemoryStorage> storage_;
};

TEST_F(ContentManagerTest, WritesReadsAndSurvivesReopen) {
  auto cm = Open();
  std::vector<std::pair<ContentId, Bytes>> written;
  for (uint32_t i = 0; i < 50; ++i) {
    Bytes d = i % 3 == 0 ? Text(1000 + i * 100) : Data(i * 997, i);
    char prefix = i % 5 == 0 ? 'k' : 0;
    auto id = cm->WriteContent(d, prefix, i % 2 ? 0x1100 : compression::kNoCompression);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    EXPECT_EQ(id->prefix(), prefix);
    EXPECT_EQ(*id, cm->ComputeContentId(d, prefix));
    written.emplace_back(*id, d);
  }
  // Readable before the flush (from the open packs).
  for (const auto& [id, d] : written) {
    Bytes got;
    ASSERT_TRUE(cm->GetContent(id, &got).ok());
    EXPECT_EQ(got, d);
  }
  EXPECT_TRUE(BlobIds("x").empty());
  ASSERT_TRUE(cm->Flush().ok());
  auto packs_p = BlobIds("p"), packs_q = BlobIds("q"), indexes = BlobIds("xn0_");
  EXPECT_EQ(packs_p.size(), 1u);
  EXPECT_EQ(packs_q.size(), 1u);
  ASSERT_EQ(indexes.size(), 1u);
  EXPECT_TRUE(indexes[0].ends_with("-" + cm->session_id() + "-c1")) << indexes[0];
  EXPECT_TRUE(packs_p[0].ends_with("-" + cm->session_id()));
  EXPECT_EQ(packs_p[0].size(), 1 + 32 + 1 + cm->session_id().size());

  auto fresh = Open();
  for (const auto& [id, d] : written) {
    Bytes got;
    ASSERT_TRUE(fresh->GetContent(id, &got).ok()) << id.ToString();
    EXPECT_EQ(got, d);
  }
  // The compressible text written with zstd was stored compressed, random data was not.
  auto text_info = fresh->GetContentInfo(written[3].first);
  ASSERT_TRUE(text_info.ok());
  EXPECT_EQ(text_info->compression_header, 0x1100u);
  EXPECT_LT(text_info->packed_length, text_info->original_length);
  auto random_info = fresh->GetContentInfo(written[1].first);
  EXPECT_EQ(random_info->compression_header, 0u);
  EXPECT_EQ(random_info->packed_length, random_info->original_length + 28);
}

TEST_F(ContentManagerTest, DeduplicatesWithinAndAcrossSessions) {
  auto cm = Open();
  Bytes d = Data(5000, 1);
  auto a = cm->WriteContent(d, 0, 0);
  auto b = cm->WriteContent(d, 0, 0);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(cm->stats().written_contents, 1u);
  EXPECT_EQ(cm->stats().deduplicated_contents, 1u);
  ASSERT_TRUE(cm->Flush().ok());
  auto again = Open();
  ASSERT_TRUE(again->WriteContent(d, 0, 0).ok());
  EXPECT_EQ(again->stats().written_contents, 0u);
  ASSERT_TRUE(again->Flush().ok());
  EXPECT_EQ(BlobIds("xn").size(), 1u);  // nothing new: no index written
  // The same bytes with a prefix are a different content.
  auto k = again->WriteContent(d, 'k', 0);
  EXPECT_NE(k->ToString(), a->ToString());
  EXPECT_EQ(k->ToString(), "k" + a->ToString());
}

TEST_F(ContentManagerTest, PackHasPreamblePaddingLocalIndexAndPostamble) {
  auto cm = Open();
  std::vector<ContentId> ids;
  for (uint32_t i = 0; i < 5; ++i) ids.push_back(*cm->WriteContent(Data(3000 + i, i), 0, 0));
  ASSERT_TRUE(cm->Flush().ok());
  auto packs = BlobIds("p");
  ASSERT_EQ(packs.size(), 1u);
  Bytes pack = *storage_->GetBlob(packs[0]);
  auto post = ParsePostamble(pack);
  ASSERT_TRUE(post.ok()) << post.status().ToString();
  EXPECT_EQ(post->local_index_offset % 4096, 0u);
  EXPECT_EQ(post->local_index_iv.size(), 16u);
  Bytes sealed(pack.begin() + long(post->local_index_offset),
               pack.begin() + long(post->local_index_offset + post->local_index_length));
  Bytes plain;
  ASSERT_TRUE(encryptor_->Decrypt(sealed, post->local_index_iv, &plain).ok());
  EXPECT_EQ(hash_->Hash(plain), post->local_index_iv);  // IV = full hash of the plaintext
  plain.resize(plain.size() - 32);                       // 32 random bytes follow the index
  auto local = IndexView::Parse(plain, "local");
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  EXPECT_EQ((*local)->size(), 5u);
  uint32_t first_offset = UINT32_MAX;
  for (const auto& id : ids) {
    IndexEntry e;
    ASSERT_TRUE(Found((*local)->Find(id, &e)));
    EXPECT_EQ(e.pack_blob_id, packs[0]);
    auto info = cm->GetContentInfo(id);
    EXPECT_EQ(info->pack_offset, e.pack_offset);
    first_offset = std::min(first_offset, e.pack_offset);
  }
  EXPECT_EQ(first_offset, 32u);  // after the random preamble
}

TEST_F(ContentManagerTest, SplitsPacksAtTheSizeLimit) {
  auto cm = Open(nullptr, 64 << 10);
  std::vector<std::pair<ContentId, Bytes>> written;
  for (uint32_t i = 0; i < 40; ++i) {
    Bytes d = Data(10000, i + 100);
    written.emplace_back(*cm->WriteContent(d, 0, 0), d);
  }
  ASSERT_TRUE(cm->Flush().ok());
  EXPECT_GE(BlobIds("p").size(), 6u);
  auto fresh = Open();
  for (const auto& [id, d] : written) {
    Bytes got;
    ASSERT_TRUE(fresh->GetContent(id, &got).ok());
    EXPECT_EQ(got, d);
  }
}

// A pack is sealed before a content would take it past the limit, so no pack holds more than
// the limit of contents (plus its own local index and postamble) unless one content is larger.
TEST_F(ContentManagerTest, PacksStayWithinTheSizeLimit) {
  const int64_t limit = 64 << 10;
  auto cm = Open(nullptr, limit);
  for (uint32_t i = 0; i < 40; ++i) ASSERT_TRUE(cm->WriteContent(Data(9000 + i * 50, i + 300), 0, 0).ok());
  ASSERT_TRUE(cm->WriteContent(Data(100000, 999), 0, 0).ok());  // alone in a pack
  ASSERT_TRUE(cm->Flush().ok());
  size_t over = 0;
  auto listing = storage_->ListAllBlobs("p");
  ASSERT_TRUE(listing.ok());
  std::vector<blob::BlobMetadata> packs = std::move(*listing);
  for (const auto& b : packs) {
    if (b.length > limit + 4096) ++over;
  }
  EXPECT_EQ(over, 1u);
}

// A first backup of millions of small files must not keep every new content's entry until the
// final Flush: every 16 384 contents in uploaded packs become an index blob at once. Contents
// stay deduplicated and readable across that, and nothing is indexed twice or lost.
TEST_F(ContentManagerTest, WritesIndexBlobsWhileContentsPile) {
  auto cm = Open(nullptr, 256 << 10);
  const uint32_t n = 65000;
  std::vector<ContentId> ids;
  for (uint32_t i = 0; i < n; ++i) {
    uint8_t small[8];
    for (int b = 0; b < 4; ++b) small[b] = uint8_t(i >> (8 * b));
    std::memcpy(small + 4, "fery", 4);
    auto id = cm->WriteContent(ByteView(small, sizeof(small)), 0, compression::kNoCompression);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    ids.push_back(*id);
  }
  EXPECT_EQ(cm->stats().index_blobs_written, 2u) << "one index blob per 16 384 uploaded contents (three packs here)";
  EXPECT_EQ(cm->stats().written_contents, n);
  // Already indexed, still pending, and the open pack: all deduplicated and readable.
  for (uint32_t i : {0u, 24999u, 60000u, n - 1}) {
    uint8_t small[8];
    for (int b = 0; b < 4; ++b) small[b] = uint8_t(i >> (8 * b));
    std::memcpy(small + 4, "fery", 4);
    auto again = cm->WriteContent(ByteView(small, sizeof(small)), 0, compression::kNoCompression);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, ids[i]);
    Bytes got;
    ASSERT_TRUE(cm->GetContent(ids[i], &got).ok()) << i;
    EXPECT_EQ(got, Bytes(small, small + sizeof(small)));
  }
  EXPECT_EQ(cm->stats().written_contents, n);
  ASSERT_TRUE(cm->Flush().ok());
  EXPECT_EQ(cm->stats().index_blobs_written, 3u);
  // A fresh manager sees every content exactly once, in 3 index blobs.
  auto fresh = Open(nullptr, 256 << 10);
  size_t count = 0;
  ASSERT_TRUE(fresh->IterateContents(false, [&](const ContentInfo&) {
    ++count;
    return Status::OK();
  }).ok());
  EXPECT_EQ(count, n);
  size_t index_entries = 0;
  for (const auto& id : BlobIds("x")) {
    auto plain = GetEncryptedBlob(storage_.get(), *encryptor_, id);
    ASSERT_TRUE(plain.ok());
    auto view = IndexView::Parse(std::move(*plain), id);
    ASSERT_TRUE(view.ok());
    index_entries += (*view)->size();
  }
  EXPECT_EQ(index_entries, n) << "no content indexed twice";
}

// A pack of at least 16 384 contents gets an index blob of its own, and that blob is the pack's
// local index (the plaintext sealed into the pack), byte for byte. While packs wait for their
// blob, their contents are found through those local indexes: deduplicated and readable.
TEST_F(ContentManagerTest, APackOfSmallContentsIndexesItselfWithItsLocalIndex) {
  auto cm = Open(nullptr, 1 << 20);  // ~29 000 contents of 8 bytes per pack
  const uint32_t n = 70000;
  std::vector<ContentId> ids;
  auto data_of = [](uint32_t i) {
    Bytes small(8);
    for (int b = 0; b < 4; ++b) small[b] = uint8_t(i >> (8 * b));
    std::memcpy(small.data() + 4, "self", 4);
    return small;
  };
  for (uint32_t i = 0; i < n; ++i) {
    auto id = cm->WriteContent(data_of(i), 0, compression::kNoCompression);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    ids.push_back(*id);
    if (i % 9973 == 0) {  // written earlier: in an indexed pack, an uploaded one or the open one
      for (uint32_t j : {0u, i / 2, i}) {
        auto again = cm->WriteContent(data_of(j), 0, compression::kNoCompression);
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(*again, ids[j]);
        Bytes got;
        ASSERT_TRUE(cm->GetContent(ids[j], &got).ok()) << j;
        EXPECT_EQ(got, data_of(j));
      }
    }
  }
  EXPECT_EQ(cm->stats().written_contents, n);
  ASSERT_TRUE(cm->Flush().ok());
  const uint64_t packs = cm->stats().packs_written;
  EXPECT_EQ(packs, 3u);
  EXPECT_EQ(cm->stats().index_blobs_written, packs) << "one index blob per pack";
  // Every index blob is the local index of the pack it names.
  size_t index_entries = 0;
  for (const auto& id : BlobIds("x")) {
    auto plain = GetEncryptedBlob(storage_.get(), *encryptor_, id);
    ASSERT_TRUE(plain.ok());
    auto view = IndexView::Parse(*plain, id);
    ASSERT_TRUE(view.ok());
    index_entries += (*view)->size();
    auto first = (*view)->EntryAt(0);
    ASSERT_TRUE(first.ok());
    auto pack = storage_->GetBlob(std::string(first->pack_blob_id));
    ASSERT_TRUE(pack.ok());
    auto post = ParsePostamble(*pack);
    ASSERT_TRUE(post.ok()) << post.status().ToString();
    Bytes local_sealed(pack->begin() + std::ptrdiff_t(post->local_index_offset),
                       pack->begin() + std::ptrdiff_t(post->local_index_offset + post->local_index_length));
    Bytes local;
    ASSERT_TRUE(encryptor_->Decrypt(local_sealed, post->local_index_iv, &local).ok());
    ASSERT_EQ(local.size(), plain->size() + 32) << "the local index plus 32 random bytes";
    EXPECT_TRUE(std::equal(plain->begin(), plain->end(), local.begin())) << id;
  }
  EXPECT_EQ(index_entries, n) << "no content indexed twice";
  auto fresh = Open(nullptr, 1 << 20);
  for (uint32_t i : {0u, 29999u, n - 1}) {
    Bytes got;
    ASSERT_TRUE(fresh->GetContent(ids[i], &got).ok()) << i;
    EXPECT_EQ(got, data_of(i));
  }
}

TEST_F(ContentManagerTest, DeletedContentIsHiddenAndRewrittenWithALaterTimestamp) {
  int64_t now = 1'800'000'000;
  auto clock = [&] { return now; };
  auto cm = Open(nullptr, 1 << 20, clock);
  Bytes d = Data(777, 5);
  ContentId id = *cm->WriteContent(d, 0, 0);
  ASSERT_TRUE(cm->Flush().ok());
  ASSERT_TRUE(cm->DeleteContent(id).ok());
  ASSERT_TRUE(cm->Flush().ok());
  auto reopened = Open(nullptr, 1 << 20, clock);
  Bytes got;
  EXPECT_EQ(reopened->GetContent(id, &got).code(), StatusCode::kNotFound);
  auto info = reopened->GetContentInfo(id);
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->deleted);
  EXPECT_EQ(info->timestamp, now + 1);  // strictly after the entry it deletes
  // Writing it again must store it again (never reuse deleted data), with a later timestamp.
  ASSERT_TRUE(reopened->WriteContent(d, 0, 0).ok());
  EXPECT_EQ(reopened->stats().written_contents, 1u);
  ASSERT_TRUE(reopened->Flush().ok());
  auto third = Open(nullptr, 1 << 20, clock);
  ASSERT_TRUE(third->GetContent(id, &got).ok());
  EXPECT_EQ(got, d);
  EXPECT_EQ(third->GetContentInfo(id)->timestamp, now + 2);
}

TEST_F(ContentManagerTest, WatermarkDropsDeletedEntries) {
  int64_t now = 1'800'000'000;
  auto cm = Open(nullptr, 1 << 20, [&] { return now; });
  ContentId id = *cm->WriteContent(Data(100, 9), 0, 0);
  ASSERT_TRUE(cm->Flush().ok());
  ASSERT_TRUE(cm->DeleteContent(id).ok());
  ASSERT_TRUE(cm->Flush().ok());
  int count = 0;
  auto counting = [&](const ContentInfo&) { ++count; return Status::OK(); };
  ASSERT_TRUE(Open()->IterateContents(true, counting).ok());
  EXPECT_EQ(count, 1);
  ASSERT_TRUE(storage_->PutBlob("xw" + std::to_string(now + 1), AsBytes("deletion-watermark")).ok());
  auto after = Open();
  EXPECT_EQ(after->GetContentInfo(id).status().code(), StatusCode::kNotFound);
  count = 0;
  ASSERT_TRUE(after->IterateContents(true, counting).ok());
  EXPECT_EQ(count, 0);
}

TEST_F(ContentManagerTest, IteratesMergedSortedContents) {
  auto cm = Open();
  std::set<std::string> expected;
  for (uint32_t round = 0; round < 3; ++round) {
    for (uint32_t i = 0; i < 20; ++i) {
      expected.insert(cm->WriteContent(Data(100 + i, round * 100 + i), i % 4 ? 0 : 'm', 0)->ToString());
    }
    if (round < 2) {
      ASSERT_TRUE(cm->Flush().ok());  // two index blobs plus pending entries
    }
  }
  std::vector<std::string> seen;
  ASSERT_TRUE(cm->IterateContents(false, [&](const ContentInfo& i) {
    seen.push_back(i.id.ToString());
    return Status::OK();
  }).ok());
  EXPECT_EQ(seen.size(), expected.size());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end(), [](const std::string& a, const std::string& b) {
    return *ContentId::Parse(a) < *ContentId::Parse(b);
  }));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected);
}

TEST_F(ContentManagerTest, ConcurrentWritersDeduplicateAndLoseNothing) {
  auto cm = Open(nullptr, 256 << 10);
  std::vector<std::thread> threads;
  std::vector<std::vector<std::pair<ContentId, Bytes>>> results(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (uint32_t i = 0; i < 100; ++i) {
        Bytes d = Data(2000 + i, i % 50 + (t % 2) * 1000);  // heavy overlap between threads
        auto id = cm->WriteContent(d, 0, 0);
        if (id.ok()) results[size_t(t)].emplace_back(*id, d);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(cm->Flush().ok());
  EXPECT_EQ(cm->stats().written_contents, 200u);  // 100 sizes x 2 seeds; the rest deduplicated
  EXPECT_EQ(cm->stats().deduplicated_contents, 600u);
  auto fresh = Open();
  for (const auto& r : results) {
    ASSERT_EQ(r.size(), 100u);
    for (const auto& [id, d] : r) {
      Bytes got;
      ASSERT_TRUE(fresh->GetContent(id, &got).ok());
      EXPECT_EQ(got, d);
    }
  }
}

// Files under `root` whose name contains `part` (".f": ends with it), with their sizes.
std::map<std::string, uintmax_t> FilesNamed(const std::string& root, const std::string& part) {
  std::map<std::string, uintmax_t> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    std::string name = e.path().filename().string();
    bool match = part == ".f" ? name.ends_with(".f") : name.find(part) != std::string::npos;
    if (e.is_regular_file() && match) out[e.path().string()] = e.file_size();
  }
  return out;
}

TEST_F(ContentManagerTest, StreamingStoreGetsPacksWhileTheyFill) {
  char dir_template[] = "/tmp/ferry-cm-stream-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string root = dir_template;
  blob::FilesystemOptions fo;
  fo.sync_writes = false;
  fo.sync_on_request = false;
  auto fs = blob::CreateFilesystemStorage(root + "/repo", fo);
  ASSERT_TRUE(fs.ok()) << fs.status().ToString();
  ASSERT_TRUE((*fs)->streams_writes());
  std::vector<std::pair<ContentId, Bytes>> written;
  {
    auto cm = Open(fs->get(), 8 << 20);
    for (uint32_t i = 0; i < 40; ++i) {
      // 100 KiB contents go to the pack file in pieces as they are encrypted; every fourth is
      // small (30 KiB) and stays in the pack's buffer until 256 KiB of them are ready.
      Bytes d = Data(i % 4 == 0 ? (30 << 10) : (100 << 10), 7000 + i);
      auto id = cm->WriteContent(d, 0, compression::kNoCompression);
      ASSERT_TRUE(id.ok()) << id.status().ToString();
      written.emplace_back(*id, d);
    }
    // 3.3 MB in one open pack: the large contents are already in the pack's temp file (at their
    // offsets: the file reaches the last one), none is a blob yet.
    auto temps = FilesNamed(root + "/repo/p", ".tmp.");
    ASSERT_EQ(temps.size(), 1u);
    EXPECT_GE(temps.begin()->second, uintmax_t(3) << 20);
    EXPECT_TRUE(FilesNamed(root + "/repo/p", ".f").empty());
    // Reading a streamed content back finishes its pack; a content still in memory reads too.
    for (size_t i : {size_t(0), written.size() - 1, size_t(10), size_t(4)}) {
      Bytes got;
      ASSERT_TRUE(cm->GetContent(written[i].first, &got).ok()) << i;
      EXPECT_EQ(got, written[i].second) << i;
    }
    EXPECT_EQ(FilesNamed(root + "/repo/p", ".f").size(), 1u);

    // Many writers over several packs.
    std::vector<std::thread> threads;
    std::vector<std::vector<std::pair<ContentId, Bytes>>> results(4);
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (uint32_t i = 0; i < 60; ++i) {
          // Some duplicates; some contents large enough to be stored by their writer at once.
          Bytes d = Data(i % 7 == 3 ? (1536 << 10) : (100 << 10), 8000 + uint32_t(t) * 100 + i % 50);
          auto id = cm->WriteContent(d, 0, compression::kNoCompression);
          if (id.ok()) results[size_t(t)].emplace_back(*id, d);
        }
      });
    }
    for (auto& t : threads) t.join();
    ASSERT_TRUE(cm->Flush().ok());
    for (auto& r : results) {
      EXPECT_EQ(r.size(), 60u);
      written.insert(written.end(), r.begin(), r.end());
    }
    std::set<ContentId> distinct;
    for (const auto& w : written) distinct.insert(w.first);
    EXPECT_EQ(cm->stats().written_contents, distinct.size());
    EXPECT_EQ(cm->stats().deduplicated_contents, written.size() - distinct.size());
  }
  EXPECT_TRUE(FilesNamed(root + "/repo", ".tmp.").empty());
  auto packs = FilesNamed(root + "/repo/p", ".f");
  EXPECT_GE(packs.size(), 3u);
  for (const auto& [path, size] : packs) EXPECT_LE(size, uintmax_t(8 << 20) + 4096) << path;
  auto fresh = Open(fs->get(), 8 << 20);
  for (const auto& [id, d] : written) {
    Bytes got;
    ASSERT_TRUE(fresh->GetContent(id, &got).ok()) << id.ToString();
    EXPECT_EQ(got, d);
  }
  fs->reset();
  std::filesystem::remove_all(root);
}

TEST_F(ContentManagerTest, CorruptPackIsAnErrorNamingThePackAndOthersStayReadable) {
  auto cm = Open();
  ContentId data_id = *cm->WriteContent(Data(4000, 1), 0, 0);
  ContentId meta_id = *cm->WriteContent(Data(4000, 2), 'k', 0);
  ASSERT_TRUE(cm->Flush().ok());
  std::string pack = BlobIds("p")[0];
  Bytes bytes = *storage_->GetBlob(pack);
  bytes[100] ^= 0x40;
  ASSERT_TRUE(storage_->PutBlob(pack, bytes).ok());
  auto fresh = Open();
  Bytes got;
  Status s = fresh->GetContent(data_id, &got);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find(pack), std::string::npos) << s.message();
  EXPECT_TRUE(fresh->GetContent(meta_id, &got).ok());
  // A truncated pack too.
  bytes.resize(50);
  ASSERT_TRUE(storage_->PutBlob(pack, bytes).ok());
  s = fresh->GetContent(data_id, &got);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
}

TEST_F(ContentManagerTest, CorruptIndexBlobIsReportedByNameAndTheRestStaysReadable) {
  auto cm = Open();
  ContentId damaged = *cm->WriteContent(Data(100, 1), 0, 0);
  ASSERT_TRUE(cm->Flush().ok());
  std::string index = BlobIds("xn")[0];
  ContentId healthy = *cm->WriteContent(Data(100, 2), 0, 0);
  ASSERT_TRUE(cm->Flush().ok());
  Bytes bytes = *storage_->GetBlob(index);
  bytes[20] ^= 1;
  ASSERT_TRUE(storage_->PutBlob(index, bytes).ok());
  auto r = ContentManager::Open(storage_.get(), Format(), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto bad = (*r)->unreadable_index_blobs();
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].first, index);
  EXPECT_EQ(bad[0].second.code(), StatusCode::kCorruption);
  EXPECT_NE(bad[0].second.message().find(index), std::string::npos) << bad[0].second.message();
  Bytes got;
  EXPECT_TRUE((*r)->GetContent(healthy, &got).ok());
  EXPECT_EQ((*r)->GetContent(damaged, &got).code(), StatusCode::kNotFound);
}

// Random failed puts, failed lists and torn writes: whatever a Flush reported as written stays
// readable once the faults stop.
TEST_F(ContentManagerTest, FaultyStorageNeverLosesWhatWasReportedWritten) {
  auto faulty = std::make_shared<blob::FaultInjectingStorage>(storage_, 7);
  std::vector<std::pair<ContentId, Bytes>> durable;
  int failed_flushes = 0;
  for (int round = 0; round < 30; ++round) {
    faulty->SetFailureProbability(blob::Op::kPut, 0.15);
    faulty->SetFailureProbability(blob::Op::kList, 0.15);
    faulty->SetTornWriteProbability(0.1);
    auto cm = ContentManager::Open(faulty.get(), Format(64 << 10), {});
    if (!cm.ok()) continue;  // a failed listing while opening: try again next round
    std::vector<std::pair<ContentId, Bytes>> batch;
    for (uint32_t i = 0; i < 8; ++i) {
      Bytes d = Data(20000 + i, uint32_t(round) * 100 + i);
      auto id = (*cm)->WriteContent(d, i % 3 ? 0 : 'k', 0);
      if (id.ok()) batch.emplace_back(*id, d);
    }
    if ((*cm)->Flush().ok()) {
      durable.insert(durable.end(), batch.begin(), batch.end());
    } else {
      ++failed_flushes;
    }
  }
  EXPECT_GT(faulty->Counters().TotalInjected(), 20);
  EXPECT_GT(failed_flushes, 0);
  EXPECT_FALSE(durable.empty());
  faulty->ClearFaults();
  auto fresh = ContentManager::Open(storage_.get(), Format(), {});
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  for (const auto& [id, d] : durable) {
    Bytes got;
    ASSERT_TRUE((*fresh)->GetContent(id, &got).ok()) << id.ToString();
    EXPECT_EQ(got, d);
  }
}

TEST_F(ContentManagerTest, FailedPackUploadIsReportedAndNeverIndexed) {
  auto faulty = std::make_shared<blob::FaultInjectingStorage>(storage_);
  auto cm = Open(faulty.get());
  Bytes d1 = Data(1000, 1), d2 = Data(1000, 2);
  ContentId id1 = *cm->WriteContent(d1, 0, 0);
  faulty->FailMatching(blob::Op::kPut, "p", 1);
  Status s = cm->Flush();
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_TRUE(BlobIds("xn").empty());
  // The content is gone from the pending set; writing it again stores it.
  ASSERT_TRUE(cm->WriteContent(d1, 0, 0).ok());
  ASSERT_TRUE(cm->WriteContent(d2, 0, 0).ok());
  ASSERT_TRUE(cm->Flush().ok());
  auto fresh = Open();
  Bytes got;
  ASSERT_TRUE(fresh->GetContent(id1, &got).ok());
  EXPECT_EQ(got, d1);
  // Every pack an index names exists.
  ASSERT_TRUE(fresh->IterateContents(true, [&](const ContentInfo& i) {
    return storage_->GetMetadata(i.pack_blob_id).status();
  }).ok());
}

// A memory store that keeps the CRC-32C each put came with (the memory store itself refuses a
// body that does not match it, as S3 does).
class CrcRecordingStorage : public blob::MemoryStorage {
 public:
  std::map<std::string, std::optional<uint32_t>> crcs;
  std::mutex mu;

 protected:
  Status DoPutBlob(std::string_view id, ByteView data, const blob::PutOptions& options) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      crcs[std::string(id)] = options.body_crc32c;
    }
    return MemoryStorage::DoPutBlob(id, data, options);
  }
};

// Not streaming (S3), a pack goes to the store with its CRC-32C, built from the CRCs of its large
// contents taken as they were encrypted (in any order, by several threads) and its other bytes.
// The store refusing a wrong CRC would fail the flush; the test also recomputes each one.
TEST_F(ContentManagerTest, PacksGoToTheStoreWithTheirCrc32c) {
  auto crc_store = std::make_shared<CrcRecordingStorage>();
  auto cm = Open(crc_store.get(), 4 << 20);
  std::vector<std::thread> threads;
  std::vector<std::vector<std::pair<ContentId, Bytes>>> written(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      // Small and large contents mixed, large ones (over 128 KiB) between small ones.
      for (uint32_t i = 0; i < 24; ++i) {
        const size_t size = i % 3 == 0 ? (300 << 10) + i * 977 : 1000 + i * 37;
        Bytes d = Data(size, uint32_t(t * 100) + i);
        auto id = cm->WriteContent(d, 0, 0);
        ASSERT_TRUE(id.ok()) << id.status().ToString();
        written[size_t(t)].emplace_back(*id, std::move(d));
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(cm->Flush().ok());
  size_t packs = 0;
  for (const auto& [id, crc] : crc_store->crcs) {
    if (id[0] != 'p') continue;
    ++packs;
    ASSERT_TRUE(crc.has_value()) << id;
    Bytes body;
    ASSERT_TRUE(crc_store->GetBlob(id, 0, -1, &body).ok());
    EXPECT_EQ(*crc, compression::crc32c::Value(body.data(), body.size())) << id;
  }
  EXPECT_GE(packs, 2u);  // ~10 MB in packs of 4 MiB
  for (const auto& w : written) {
    for (const auto& [id, d] : w) {
      Bytes got;
      ASSERT_TRUE(cm->GetContent(id, &got).ok());
      EXPECT_EQ(got, d);
    }
  }
}

// A memory store whose reads are costly round trips, as S3's are; counts them.
class CostlyReadStorage : public blob::MemoryStorage {
 public:
  bool small_reads_are_costly() const override { return true; }
  std::atomic<int> gets{0}, heads{0};

 protected:
  Status DoGetBlob(std::string_view id, int64_t offset, int64_t length, Bytes* out) override {
    if (id[0] == 'p' || id[0] == 'q') ++gets;
    return MemoryStorage::DoGetBlob(id, offset, length, out);
  }
  Result<blob::BlobMetadata> DoGetMetadata(std::string_view id) override {
    ++heads;
    return MemoryStorage::DoGetMetadata(id);
  }
};

// Where reads are costly, small contents are read through windows of their pack: 2 000 contents
// of ~1 KiB read back in the order they were written take a few GETs (one per MiB of pack), not
// one each; read in reverse order, or skipping about, they are still all right. Large contents
// are read exactly.
TEST_F(ContentManagerTest, SmallContentsAreReadThroughWindowsWhereReadsAreCostly) {
  auto costly = std::make_shared<CostlyReadStorage>();
  std::vector<std::pair<ContentId, Bytes>> written;
  {
    auto cm = Open(costly.get(), 4 << 20);
    for (uint32_t i = 0; i < 2000; ++i) {
      Bytes d = Data(900 + i % 300, i);
      auto id = cm->WriteContent(d, 0, 0);
      ASSERT_TRUE(id.ok());
      written.emplace_back(*id, std::move(d));
    }
    Bytes big = Data(600 << 10, 99999);
    auto id = cm->WriteContent(big, 0, 0);
    ASSERT_TRUE(id.ok());
    written.emplace_back(*id, std::move(big));
    ASSERT_TRUE(cm->Flush().ok());
  }
  auto fresh = Open(costly.get(), 4 << 20);
  costly->gets = 0;
  costly->heads = 0;
  for (const auto& [id, d] : written) {
    Bytes got;
    ASSERT_TRUE(fresh->GetContent(id, &got).ok()) << id.ToString();
    ASSERT_EQ(got, d);
  }
  // ~2.1 MB of small contents in one pack: about three windows, one HEAD; plus the large one.
  EXPECT_LE(costly->gets.load(), 6);
  EXPECT_LE(costly->heads.load(), 2);
  for (auto it = written.rbegin(); it != written.rend(); ++it) {
    Bytes got;
    ASSERT_TRUE(fresh->GetContent(it->first, &got).ok());
    ASSERT_EQ(got, it->second);
  }
  for (size_t i = 0; i < written.size(); i += 97) {
    Bytes got;
    ASSERT_TRUE(fresh->GetContent(written[i].first, &got).ok());
    ASSERT_EQ(got, written[i].second);
  }
}

// The memory store, like S3, refuses a body whose CRC-32C is not the one it came with.
TEST(MemoryStorageCrcTest, RefusesABodyThatDoesNotMatchItsCrc) {
  blob::MemoryStorage store;
  const Bytes body = Data(5000, 3);
  blob::PutOptions options;
  options.body_crc32c = compression::crc32c::Value(body.data(), body.size()) ^ 1;
  EXPECT_EQ(store.PutBlob("pabc", body, options).code(), StatusCode::kCorruption);
  EXPECT_EQ(store.GetMetadata("pabc").status().code(), StatusCode::kNotFound);
  options.body_crc32c = compression::crc32c::Value(body.data(), body.size());
  EXPECT_TRUE(store.PutBlob("pabc", body, options).ok());
}

TEST_F(ContentManagerTest, IndexBlobDecryptsWithIvFromItsName) {
  auto cm = Open();
  ASSERT_TRUE(cm->WriteContent(Data(10, 1), 0, 0).ok());
  ASSERT_TRUE(cm->Flush().ok());
  std::string index = BlobIds("xn")[0];
  auto plain = GetEncryptedBlob(storage_.get(), *encryptor_, index);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)[0], 2);  // index v2
  // The name is xn0_ + hex(hash(plaintext)) + "-" + session + "-c1".
  EXPECT_EQ(index, "xn0_" + HexEncode(hash_->Hash(*plain)) + "-" + cm->session_id() + "-c1");
}

}  // namespace
}  // namespace ferry::content

namespace ferry::content {
namespace {

// A large encrypted blob (an index blob) is sealed in pieces straight into a streaming store's
// file; the blob is what the one-piece path stores for every other store: the same ID (from the
// plaintext) and the same plaintext after decryption, 28 bytes longer, authenticated.
TEST(EncryptedBlobTest, LargeBlobsAreSealedInPiecesIntoStreamingStores) {
  auto hash = std::move(*crypto::NewHashFunction("BLAKE2B-256-128", Bytes(32, 0x80)));
  auto encryptor = std::move(*crypto::NewEncryptor("CHACHA20-POLY1305-HMAC-SHA256", Bytes(32, 0x40)));
  char dir_template[] = "/tmp/ferry-encblob-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  blob::FilesystemOptions fo;
  fo.sync_writes = false;
  auto fs = blob::CreateFilesystemStorage(std::string(dir_template) + "/repo", fo);
  ASSERT_TRUE(fs.ok()) << fs.status().ToString();
  ASSERT_TRUE((*fs)->streams_writes());
  blob::MemoryStorage memory;
  ASSERT_FALSE(memory.streams_writes());
  for (size_t size : {size_t{1000}, size_t{64} << 10, (size_t{1} << 20) + 7}) {
    Bytes plain(size);
    for (size_t i = 0; i < size; ++i) plain[i] = uint8_t(i * 131 + size);
    auto streamed = PutEncryptedBlob(fs->get(), *hash, *encryptor, "xn0_", "s1-c1", plain, {});
    auto whole = PutEncryptedBlob(&memory, *hash, *encryptor, "xn0_", "s1-c1", plain, {});
    ASSERT_TRUE(streamed.ok()) << streamed.status().ToString();
    ASSERT_TRUE(whole.ok()) << whole.status().ToString();
    EXPECT_EQ(*streamed, *whole);
    auto sealed = (*fs)->GetBlob(*streamed);
    ASSERT_TRUE(sealed.ok());
    EXPECT_EQ(sealed->size(), size + crypto::kEncryptionOverhead);
    auto back = DecryptBlob(*encryptor, *streamed, *sealed);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_TRUE(*back == plain) << size;
    (*sealed)[size / 2] ^= 1;
    EXPECT_FALSE(DecryptBlob(*encryptor, *streamed, *sealed).ok());
  }
  std::filesystem::remove_all(dir_template);
}

}  // namespace
}  // namespace ferry::content
