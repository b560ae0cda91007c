#include "content/pending_locations.h"

#include <map>
#include <random>

#include <gtest/gtest.h>

namespace ferry::content {
namespace {

// The table resolves a Ref to an ID through the caller: here, a vector of IDs per "pack".
struct Packs {
  std::map<uint32_t, std::vector<ContentId>> ids;
  const ContentId* operator()(PendingLocations::Ref ref) const {
    auto it = ids.find(ref.pack);
    return it != ids.end() && ref.index < it->second.size() ? &it->second[ref.index] : nullptr;
  }
};

ContentId Id(uint64_t head, uint64_t tail, char prefix = 0) {
  uint8_t hash[32] = {};
  std::memcpy(hash, &head, sizeof(head));
  std::memcpy(hash + 24, &tail, sizeof(tail));
  return *ContentId::FromHash(prefix, ByteView(hash, sizeof(hash)));
}

TEST(PendingLocationsTest, IdsThatShareTheirHashAreToldApartByTheFullKey) {
  // Same first 8 bytes: the same 32-bit hash and home slot; only the key check separates them.
  Packs packs;
  PendingLocations table;
  packs.ids[1] = {Id(7, 1), Id(7, 2), Id(7, 3)};
  table.Set(packs.ids[1][0], {1, 0}, packs);
  table.Set(packs.ids[1][2], {1, 2}, packs);
  EXPECT_TRUE(table.Find(Id(7, 1), packs));
  EXPECT_FALSE(table.Find(Id(7, 2), packs));  // new data, not a duplicate
  ASSERT_TRUE(table.Find(Id(7, 3), packs));
  EXPECT_EQ(table.Find(Id(7, 3), packs)->index, 2u);
  EXPECT_FALSE(table.Find(Id(7, 1, 'k'), packs));  // other prefix
  EXPECT_TRUE(table.Erase(Id(7, 1), packs));
  EXPECT_FALSE(table.Find(Id(7, 1), packs));
  EXPECT_TRUE(table.Find(Id(7, 3), packs));  // still reachable after the backward shift
  EXPECT_EQ(table.size(), 1u);
}

TEST(PendingLocationsTest, EraseOnlyFromTheNamedPack) {
  Packs packs;
  PendingLocations table;
  packs.ids[1] = {Id(1, 1)};
  packs.ids[2] = {Id(2, 2), Id(1, 1)};
  table.Set(Id(1, 1), {1, 0}, packs);
  table.Set(Id(1, 1), {2, 1}, packs);  // moved: one slot, now in pack 2
  EXPECT_EQ(table.size(), 1u);
  EXPECT_FALSE(table.Erase(Id(1, 1), packs, /*only_pack=*/1));
  ASSERT_TRUE(table.Find(Id(1, 1), packs));
  EXPECT_EQ(table.Find(Id(1, 1), packs)->pack, 2u);
  EXPECT_TRUE(table.Erase(Id(1, 1), packs, /*only_pack=*/2));
  EXPECT_EQ(table.size(), 0u);
}

TEST(PendingLocationsTest, AgreesWithAMapThroughGrowthAndErasure) {
  // Half the IDs share their first 8 bytes in groups of four: long probe runs with equal hashes.
  std::mt19937_64 rng(42);
  Packs packs;
  PendingLocations table;
  std::map<uint32_t, std::vector<bool>> live;
  const uint32_t kPacks = 6, kPerPack = 20000;
  for (uint32_t p = 1; p <= kPacks; ++p) {
    for (uint32_t i = 0; i < kPerPack; ++i) {
      uint64_t head = i % 2 ? rng() : (uint64_t(p) << 32 | i / 8);
      packs.ids[p].push_back(Id(head, rng()));
    }
    live[p].assign(kPerPack, false);
  }
  size_t expected = 0;
  for (int round = 0; round < 200000; ++round) {
    uint32_t p = 1 + uint32_t(rng() % kPacks), i = uint32_t(rng() % kPerPack);
    const ContentId& id = packs.ids[p][i];
    if (rng() % 3 != 0) {
      if (!live[p][i]) ++expected;
      live[p][i] = true;
      table.Set(id, {p, i}, packs);
    } else {
      EXPECT_EQ(table.Erase(id, packs), bool(live[p][i]));
      if (live[p][i]) --expected;
      live[p][i] = false;
    }
  }
  EXPECT_EQ(table.size(), expected);
  EXPECT_LE(table.size() * 4, table.capacity() * 3);
  for (uint32_t p = 1; p <= kPacks; ++p) {
    for (uint32_t i = 0; i < kPerPack; ++i) {
      auto found = table.Find(packs.ids[p][i], packs);
      ASSERT_EQ(found.has_value(), bool(live[p][i])) << p << " " << i;
      if (found) {
        EXPECT_EQ(found->pack, p);
        EXPECT_EQ(found->index, i);
      }
    }
  }
}

}  // namespace
}  // namespace ferry::content
