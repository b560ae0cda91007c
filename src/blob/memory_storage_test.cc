#include "blob/memory_storage.h"

#include <gtest/gtest.h>

#include <atomic>

#include "blob/test_util.h"

namespace ferry::blob {
namespace {

TEST(MemoryStorageTest, SettableClockAgesBlobs) {
  std::atomic<int64_t> now{1'000'000'000'000'000'000};
  MemoryStorage st("unit", [&] { return now.load(); });
  ASSERT_TRUE(st.PutBlob("xe0", {}).ok());
  now += 3'600'000'000'000;  // one hour later
  ASSERT_TRUE(st.PutBlob("xe1", {}).ok());
  auto e0 = st.GetMetadata("xe0");
  auto e1 = st.GetMetadata("xe1");
  ASSERT_TRUE(e0.ok() && e1.ok());
  EXPECT_EQ(e0->timestamp_unix_nanos, 1'000'000'000'000'000'000);
  EXPECT_EQ(e1->timestamp_unix_nanos, 1'000'003'600'000'000'000);

  // Overwriting takes the current time.
  ASSERT_TRUE(st.PutBlob("xe0", testutil::PatternBytes(3, 1)).ok());
  EXPECT_EQ(st.GetMetadata("xe0")->timestamp_unix_nanos, now.load());

  ASSERT_TRUE(st.SetBlobTimestamp("xe1", 42).ok());
  EXPECT_EQ(st.GetMetadata("xe1")->timestamp_unix_nanos, 42);
  EXPECT_EQ(st.SetBlobTimestamp("missing", 1).code(), StatusCode::kNotFound);

  st.SetClock([] { return int64_t{7}; });
  ASSERT_TRUE(st.PutBlob("xe2", {}).ok());
  EXPECT_EQ(st.GetMetadata("xe2")->timestamp_unix_nanos, 7);
}

TEST(MemoryStorageTest, CountsAndListingOrder) {
  MemoryStorage st;
  ASSERT_TRUE(st.PutBlob("b", testutil::PatternBytes(5, 1)).ok());
  ASSERT_TRUE(st.PutBlob("a", testutil::PatternBytes(7, 2)).ok());
  ASSERT_TRUE(st.PutBlob("ab", testutil::PatternBytes(1, 3)).ok());
  EXPECT_EQ(st.BlobCount(), 3u);
  EXPECT_EQ(st.TotalBytes(), 13);
  auto all = st.ListAllBlobs("a");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "a");  // memory lists in ID order (not part of the contract)
  EXPECT_EQ((*all)[1].id, "ab");
  EXPECT_EQ(st.Config().at("type"), "memory");
}

TEST(MemoryStorageTest, CallbackMayReenterTheStore) {
  MemoryStorage st;
  ASSERT_TRUE(st.PutBlob("a", testutil::PatternBytes(5, 1)).ok());
  ASSERT_TRUE(st.ListBlobs("", [&](const BlobMetadata& m) {
                  return st.DeleteBlob(m.id);  // must not deadlock
                }).ok());
  EXPECT_EQ(st.BlobCount(), 0u);
}

}  // namespace
}  // namespace ferry::blob
