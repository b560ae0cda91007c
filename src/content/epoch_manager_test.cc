#include "content/epoch_manager.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "blob/memory_storage.h"

namespace ferry::content {
namespace {

std::vector<std::string> Ids(const std::vector<blob::BlobMetadata>& v) {
  std::vector<std::string> out;
  for (const auto& b : v) out.push_back(b.id);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<blob::BlobMetadata> Listing(std::initializer_list<const char*> ids) {
  std::vector<blob::BlobMetadata> v;
  for (const char* id : ids) v.push_back({id, 100, 0});
  return v;
}

// kopia-test-vectors.md §14: epoch set assembly from a synthetic listing.
TEST(EpochManagerTest, AssemblesTheSpecExample) {
  auto set = AssembleIndexBlobSet(Listing(
      {"xe0", "xe1", "xe2", "xe3", "xe4", "xr0_1_h1-s1-c1", "xs2_h2-s2-c1", "xs3_h3-s3-c2",
       "xn0_h4-sA-c1", "xn2_h5-sB-c1", "xn3_h6-sC-c1", "xn3_h7-sD-c1", "xn4_h8-sE-c1",
       "xn5_h9-sF-c1", "xn6_h10-sG-c1", "xw1665000001"}));
  EXPECT_EQ(set.write_epoch, 4);
  EXPECT_EQ(set.deletion_watermark, 1665000001);
  EXPECT_EQ(Ids(set.active),
            (std::vector<std::string>{"xn3_h6-sC-c1", "xn3_h7-sD-c1", "xn4_h8-sE-c1", "xn5_h9-sF-c1",
                                      "xr0_1_h1-s1-c1", "xs2_h2-s2-c1"}));
  EXPECT_EQ(Ids(set.superseded), (std::vector<std::string>{"xn0_h4-sA-c1", "xn2_h5-sB-c1"}));
}

TEST(EpochManagerTest, NoMarkersMeansEpochZero) {
  auto set = AssembleIndexBlobSet(Listing({"xn0_a-s1-c1", "xn1_b-s2-c1", "xn2_c-s3-c1"}));
  EXPECT_EQ(set.write_epoch, 0);
  // Epochs 0 and 1 (= writeEpoch + 1) are read; 2 is beyond.
  EXPECT_EQ(Ids(set.active), (std::vector<std::string>{"xn0_a-s1-c1", "xn1_b-s2-c1"}));
}

TEST(EpochManagerTest, SettledEpochWithoutCompactionUsesItsXnBlobs) {
  auto set = AssembleIndexBlobSet(Listing({"xe3", "xn0_a-s1-c1", "xn1_b-s2-c1", "xs1_c-s9-c1"}));
  EXPECT_EQ(Ids(set.active), (std::vector<std::string>{"xn0_a-s1-c1", "xs1_c-s9-c1"}));
  EXPECT_EQ(Ids(set.superseded), (std::vector<std::string>{"xn1_b-s2-c1"}));
}

TEST(EpochManagerTest, CompleteSets) {
  EXPECT_EQ(CompleteSetOf("a-s0-c2").set_id, "s0");
  EXPECT_EQ(CompleteSetOf("a-s0-c2").count, 2);
  EXPECT_EQ(CompleteSetOf("malformed").count, 1);
  // Two of a set of two are complete; one of three is not.
  auto set = AssembleIndexBlobSet(Listing({"xe2", "xs0_a-s0-c2", "xs0_b-s0-c2", "xn0_z-s7-c1"}));
  EXPECT_EQ(Ids(set.active), (std::vector<std::string>{"xs0_a-s0-c2", "xs0_b-s0-c2"}));
  auto incomplete = AssembleIndexBlobSet(Listing({"xe2", "xs0_f-s0-c3", "xn0_z-s7-c1"}));
  EXPECT_EQ(Ids(incomplete.active), (std::vector<std::string>{"xn0_z-s7-c1"}));
  EXPECT_EQ(EpochOfBlobId("xn12_abc-s1-c1"), 12);
  EXPECT_EQ(EpochOfBlobId("xs3_abc"), 3);
}

TEST(EpochManagerTest, RangeChainPrefersFurthestThenFewest) {
  auto set = AssembleIndexBlobSet(Listing({"xe9", "xr0_3_a-s1-c1", "xr4_6_b-s2-c1",
                                           "xr0_6_c-s3-c1", "xn7_d-s4-c1"}));
  EXPECT_EQ(Ids(set.active), (std::vector<std::string>{"xn7_d-s4-c1", "xr0_6_c-s3-c1"}));
}

TEST(EpochManagerTest, AdvancesOnlyWhenOldAndBigEnough) {
  blob::MemoryStorage storage;
  format::EpochParameters params;
  params.min_epoch_duration_ns = 600 * format::kNanosPerSecond;
  params.epoch_advance_on_count_threshold = 10;
  EpochManager em(&storage, params);
  int64_t t = 1'700'000'000 * format::kNanosPerSecond;
  storage.SetClock([&] { return t; });
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(storage.PutBlob("xn0_h" + std::to_string(i) + "-s1-c1", ByteView()).ok());
    t += 30 * format::kNanosPerSecond;  // 10 blobs over 270 s: too young
  }
  auto set = em.Load();
  ASSERT_TRUE(set.ok());
  EXPECT_FALSE(*em.MaybeAdvance(*set));
  t += 600 * format::kNanosPerSecond;
  ASSERT_TRUE(storage.PutBlob("xn0_late-s2-c1", ByteView()).ok());
  set = em.Load();
  EXPECT_TRUE(*em.MaybeAdvance(*set));
  auto marker = storage.GetBlob("xe1");
  ASSERT_TRUE(marker.ok());
  EXPECT_EQ(AsString(*marker), "epoch-marker");
  EXPECT_EQ(em.Load()->write_epoch, 1);
}

TEST(EpochManagerTest, WriteGoesToCurrentEpochAndMovesIfItJumped) {
  blob::MemoryStorage storage;
  EpochManager em(&storage, format::EpochParameters{});
  auto id = em.WriteIndexBlob([&](const std::string& prefix) -> Result<std::string> {
    std::string name = prefix + "h1-s1-c1";
    FERRY_RETURN_IF_ERROR(storage.PutBlob(name, ByteView()));
    return name;
  });
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "xn0_h1-s1-c1");
  ASSERT_TRUE(storage.PutBlob("xe5", ByteView()).ok());
  int calls = 0;
  id = em.WriteIndexBlob([&](const std::string& prefix) -> Result<std::string> {
    std::string name = prefix + "h2-s1-c1";
    FERRY_RETURN_IF_ERROR(storage.PutBlob(name, ByteView()));
    if (++calls == 1) {
      // Another client advances the epoch twice while we write.
      EXPECT_TRUE(storage.PutBlob("xe7", ByteView()).ok());
    }
    return name;
  });
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "xn7_h2-s1-c1");
  EXPECT_EQ(storage.GetMetadata("xn5_h2-s1-c1").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ferry::content
