#include "content/pack_id_table.h"

#include <map>
#include <random>

#include <gtest/gtest.h>

namespace ferry::content {
namespace {

ContentId Id(uint64_t head, uint64_t tail, char prefix = 0) {
  uint8_t hash[32] = {};
  std::memcpy(hash, &head, sizeof(head));
  std::memcpy(hash + 24, &tail, sizeof(tail));
  return *ContentId::FromHash(prefix, ByteView(hash, sizeof(hash)));
}

// The table resolves an entry index to an ID through the caller: here, the pack's ID list.
struct Entries {
  std::vector<ContentId> ids;
  const ContentId& operator()(uint32_t index) const { return ids.at(index); }
};

TEST(PackIdTableTest, IdsThatShareTheirHashAreToldApartByTheFullKey) {
  // Same first 8 bytes: the same hash, home slot and tag; only the key check separates them.
  Entries pack{{Id(7, 1), Id(7, 2), Id(7, 3)}};
  PackIdTable table;
  table.Insert(pack.ids[0], 0, pack);
  table.Insert(pack.ids[2], 2, pack);
  EXPECT_EQ(table.Find(Id(7, 1), pack), 0u);
  EXPECT_FALSE(table.Find(Id(7, 2), pack));  // new data, not a duplicate
  EXPECT_EQ(table.Find(Id(7, 3), pack), 2u);
  EXPECT_FALSE(table.Find(Id(7, 1, 'k'), pack));  // other prefix
  EXPECT_TRUE(table.Erase(Id(7, 1), pack));
  EXPECT_FALSE(table.Erase(Id(7, 1), pack));
  EXPECT_FALSE(table.Find(Id(7, 1), pack));
  EXPECT_EQ(table.Find(Id(7, 3), pack), 2u);  // still reachable after the backward shift
  EXPECT_EQ(table.size(), 1u);
}

TEST(PackIdTableTest, AgreesWithAMapThroughGrowthAndErasure) {
  std::mt19937_64 rng(42);
  Entries pack;
  PackIdTable table;
  std::map<ContentId, uint32_t> model;
  for (uint32_t i = 0; i < 60000; ++i) {
    // Some IDs share their first 8 bytes with an earlier one (the same tag and home slot).
    uint64_t head = (i % 7 == 0 && i > 0) ? pack.ids[rng() % pack.ids.size()].hash()[0] : rng();
    ContentId id = Id(head, rng());
    pack.ids.push_back(id);
    table.Insert(id, i, pack);
    model[id] = i;
    if (i % 5 == 4) {  // erase a random earlier one
      ContentId gone = pack.ids[rng() % pack.ids.size()];
      EXPECT_EQ(table.Erase(gone, pack), model.erase(gone) == 1);
    }
  }
  EXPECT_EQ(table.size(), model.size());
  EXPECT_LE(table.size() * 10, table.capacity() * 7);
  for (uint32_t i = 0; i < pack.ids.size(); ++i) {
    auto it = model.find(pack.ids[i]);
    auto found = table.Find(pack.ids[i], pack);
    if (it == model.end()) {
      EXPECT_FALSE(found) << i;
    } else {
      ASSERT_TRUE(found) << i;
      EXPECT_EQ(*found, it->second);
    }
  }
  for (int i = 0; i < 10000; ++i) EXPECT_FALSE(table.Find(Id(rng(), rng()), pack));
}

TEST(PackIdTableTest, FourBytesPerSlot) {
  Entries pack;
  PackIdTable table;
  for (uint32_t i = 0; i < 19600; ++i) {  // a pack of 1 KiB contents
    pack.ids.push_back(Id(i * 0x9E3779B97F4A7C15ull, i));
    table.Insert(pack.ids.back(), i, pack);
  }
  EXPECT_EQ(table.capacity(), 32768u);  // 128 KiB
  EXPECT_EQ(PackIdTable::kMaxEntries, (1u << 21) - 1);
}

}  // namespace
}  // namespace ferry::content
