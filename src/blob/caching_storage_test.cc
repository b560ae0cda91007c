#include "blob/caching_storage.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "blob/fault_injecting_storage.h"
#include "blob/memory_storage.h"
#include "blob/test_util.h"

namespace ferry::blob {
namespace {

using testutil::PatternBytes;

// Memory store under a (fault-free) FaultInjectingStorage, whose counters show which reads
// reached the store.
struct Stack {
  std::shared_ptr<MemoryStorage> memory = std::make_shared<MemoryStorage>();
  std::shared_ptr<FaultInjectingStorage> counted = std::make_shared<FaultInjectingStorage>(memory);
  std::unique_ptr<CachingStorage> cache;

  explicit Stack(CacheOptions options = {}) {
    cache = std::make_unique<CachingStorage>(counted, std::move(options));
  }
  int64_t StoreGets() const { return counted->Counters().Calls(Op::kGet); }
};

TEST(CachingStorageTest, WholeBlobHits) {
  Stack s;
  ASSERT_TRUE(s.memory->PutBlob("xn0_abc", PatternBytes(100, 1)).ok());
  for (int i = 0; i < 3; ++i) {
    auto got = s.cache->GetBlob("xn0_abc");
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, PatternBytes(100, 1));
  }
  EXPECT_EQ(s.StoreGets(), 1);
  CacheStats stats = s.cache->Stats();
  EXPECT_EQ(stats.hits, 2);
  EXPECT_EQ(stats.misses, 1);
  EXPECT_EQ(stats.bytes, 100);
  EXPECT_EQ(stats.entries, 1);
}

TEST(CachingStorageTest, RangesCachedAndServedFromWholeBlob) {
  Stack s;
  const Bytes data = PatternBytes(1000, 2);
  ASSERT_TRUE(s.memory->PutBlob("q1", data).ok());
  Bytes out;
  ASSERT_TRUE(s.cache->GetBlob("q1", 100, 50, &out).ok());
  ASSERT_TRUE(s.cache->GetBlob("q1", 100, 50, &out).ok());
  EXPECT_EQ(out, Bytes(data.begin() + 100, data.begin() + 150));
  EXPECT_EQ(s.StoreGets(), 1);
  // A different range is a miss until the whole blob is cached; then every range is a hit.
  ASSERT_TRUE(s.cache->GetBlob("q1", 0, -1, &out).ok());
  EXPECT_EQ(s.StoreGets(), 2);
  ASSERT_TRUE(s.cache->GetBlob("q1", 900, -1, &out).ok());
  EXPECT_EQ(out, Bytes(data.begin() + 900, data.end()));
  ASSERT_TRUE(s.cache->GetBlob("q1", 10, 5, &out).ok());
  EXPECT_EQ(out, Bytes(data.begin() + 10, data.begin() + 15));
  EXPECT_EQ(s.StoreGets(), 2);
  // Out-of-range requests fail the same way from the cache.
  EXPECT_EQ(s.cache->GetBlob("q1", 990, 20, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.empty());
}

TEST(CachingStorageTest, PutAndDeleteInvalidate) {
  Stack s;
  ASSERT_TRUE(s.cache->PutBlob("kopia.repository", PatternBytes(10, 3)).ok());
  Bytes out;
  ASSERT_TRUE(s.cache->GetBlob("kopia.repository", 0, -1, &out).ok());
  ASSERT_TRUE(s.cache->GetBlob("kopia.repository", 2, 3, &out).ok());
  ASSERT_TRUE(s.cache->PutBlob("kopia.repository", PatternBytes(20, 4)).ok());
  EXPECT_EQ(s.cache->Stats().entries, 0);
  ASSERT_TRUE(s.cache->GetBlob("kopia.repository", 0, -1, &out).ok());
  EXPECT_EQ(out, PatternBytes(20, 4));
  ASSERT_TRUE(s.cache->DeleteBlob("kopia.repository").ok());
  EXPECT_EQ(s.cache->GetBlob("kopia.repository", 0, -1, &out).code(), StatusCode::kNotFound);
  // NotFound is not cached: a later put is visible.
  ASSERT_TRUE(s.memory->PutBlob("kopia.repository", PatternBytes(5, 5)).ok());
  ASSERT_TRUE(s.cache->GetBlob("kopia.repository", 0, -1, &out).ok());
  EXPECT_EQ(out, PatternBytes(5, 5));
}

TEST(CachingStorageTest, FailedPutStillInvalidates) {
  Stack s;
  ASSERT_TRUE(s.cache->PutBlob("xe1", PatternBytes(10, 6)).ok());
  ASSERT_TRUE(s.cache->GetBlob("xe1").ok());
  s.counted->TearNextPuts(1, 0.5);
  EXPECT_FALSE(s.cache->PutBlob("xe1", PatternBytes(10, 7)).ok());
  auto got = s.cache->GetBlob("xe1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->size(), 5u) << "the torn blob is what the store holds now";
}

TEST(CachingStorageTest, LruEvictionBySize) {
  Stack s(CacheOptions{250, {}});
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(s.memory->PutBlob("b" + std::to_string(i), PatternBytes(100, i)).ok());
  }
  ASSERT_TRUE(s.cache->GetBlob("b0").ok());
  ASSERT_TRUE(s.cache->GetBlob("b1").ok());
  ASSERT_TRUE(s.cache->GetBlob("b0").ok());  // b0 is now the most recently used
  ASSERT_TRUE(s.cache->GetBlob("b2").ok());  // evicts b1
  CacheStats stats = s.cache->Stats();
  EXPECT_EQ(stats.evictions, 1);
  EXPECT_EQ(stats.bytes, 200);
  const int64_t before = s.StoreGets();
  ASSERT_TRUE(s.cache->GetBlob("b0").ok());
  ASSERT_TRUE(s.cache->GetBlob("b2").ok());
  EXPECT_EQ(s.StoreGets(), before);
  ASSERT_TRUE(s.cache->GetBlob("b1").ok());
  EXPECT_EQ(s.StoreGets(), before + 1);

  // Bigger than the whole cache: never cached.
  ASSERT_TRUE(s.memory->PutBlob("big", PatternBytes(300, 9)).ok());
  ASSERT_TRUE(s.cache->GetBlob("big").ok());
  ASSERT_TRUE(s.cache->GetBlob("big").ok());
  EXPECT_EQ(s.StoreGets(), before + 3);
  EXPECT_LE(s.cache->Stats().bytes, 250);
}

TEST(CachingStorageTest, OnlyConfiguredPrefixes) {
  Stack s(CacheOptions{1 << 20, {"x", "q", "kopia."}});
  for (const char* id : {"xn0_1", "q1", "kopia.repository", "p1", "s1"}) {
    ASSERT_TRUE(s.memory->PutBlob(id, PatternBytes(10, 1)).ok());
    ASSERT_TRUE(s.cache->GetBlob(id).ok());
    ASSERT_TRUE(s.cache->GetBlob(id).ok());
  }
  // 3 cached blobs: 1 store read each; 2 uncached: 2 each.
  EXPECT_EQ(s.StoreGets(), 3 + 4);
  EXPECT_EQ(s.cache->Stats().entries, 3);
  EXPECT_EQ(s.cache->Stats().hits, 3);
}

TEST(CachingStorageTest, ReadersAlwaysSeeTheirOwnWrites) {
  Stack s;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string own = "xn0_own" + std::to_string(t);
      for (int i = 0; i < 200; ++i) {
        const Bytes v = PatternBytes(32, t * 1000 + i);
        if (!s.cache->PutBlob(own, v).ok()) failures++;
        auto got = s.cache->GetBlob(own);
        if (!got.ok() || *got != v) failures++;
        // Shared blob rewritten by everyone: any complete version is fine.
        if (!s.cache->PutBlob("xn0_shared", PatternBytes(64, i)).ok()) failures++;
        auto shared = s.cache->GetBlob("xn0_shared");
        if (!shared.ok() || shared->size() != 64) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  // After the dust settles the cache agrees with the store.
  auto cached = s.cache->GetBlob("xn0_shared");
  auto stored = s.memory->GetBlob("xn0_shared");
  ASSERT_TRUE(cached.ok() && stored.ok());
  EXPECT_EQ(*cached, *stored);
}

}  // namespace
}  // namespace ferry::blob
