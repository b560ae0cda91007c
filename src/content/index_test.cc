#include <gtest/gtest.h>

#include <algorithm>

#include "content/index_builder.h"
#include "content/index_view.h"

namespace ferry::content {
namespace {

// An index view lookup that found the ID (and could read it).
bool Found(const Result<bool>& found) { return found.ok() && *found; }

const char* kPackP = "p0123456789abcdef0123456789abcdef-s0011223344556677a0";
const char* kPackQ = "qfedcba9876543210fedcba9876543210-s0011223344556677a0";

// The three entries of kopia-test-vectors.md §8.
std::vector<IndexEntry> VectorEntries() {
  std::vector<IndexEntry> v(3);
  v[0].id = *ContentId::Parse("00112233445566778899aabbccddeeff");
  v[0].pack_blob_id = kPackP;
  v[0].pack_offset = 32;
  v[0].packed_length = 128;
  v[0].original_length = 100;
  v[0].timestamp = 1665000000;
  v[1].id = *ContentId::Parse("kfedcba9876543210fedcba9876543210");
  v[1].pack_blob_id = kPackQ;
  v[1].pack_offset = 32;
  v[1].packed_length = 300;
  v[1].original_length = 500;
  v[1].timestamp = 1665000001;
  v[1].compression_header = 0x1101;
  v[2].id = *ContentId::Parse("ffeeddccbbaa99887766554433221100");
  v[2].pack_blob_id = kPackP;
  v[2].pack_offset = 160;
  v[2].packed_length = 38;
  v[2].original_length = 10;
  v[2].timestamp = 1665000002;
  v[2].deleted = true;
  return v;
}

const char* kV2Hex =
    "02110011000000030000000202000000000000112233445566778899aabbccddeeff633de2400000002000006400"
    "008000000000ffeeddccbbaa99887766554433221100633de242800000a000000a0000260000006bfedcba987654"
    "3210fedcba9876543210633de241000000200001f400012c000101350000008d35000000c2000000000300000011"
    "0103007030313233343536373839616263646566303132333435363738396162636465662d733030313132323333"
    "343435353636373761307166656463626139383736353433323130666564636261393837363534333231302d7330"
    "3031313232333334343535363637376130";

const char* kV1Hex =
    "01110014000000020000112233445566778899aabbccddeeff0000633de240033500000052000000200000008000"
    "ffeeddccbbaa998877665544332211000000633de242033500000052800000a0000000267030313233343536373839"
    "616263646566303132333435363738396162636465662d73303031313232333334343535363637376130";

TEST(IndexTest, BuildsV2ByteExact) {
  IndexBuilder b;
  for (const auto& e : VectorEntries()) b.Add(e);
  auto bytes = b.Build(2);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(bytes->size(), 247u);
  EXPECT_EQ(HexEncode(*bytes), kV2Hex);
}

TEST(IndexTest, BuildsV1ByteExact) {
  IndexBuilder b;
  auto v = VectorEntries();
  b.Add(v[0]);
  b.Add(v[2]);
  auto bytes = b.Build(1);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(bytes->size(), 135u);
  EXPECT_EQ(HexEncode(*bytes), kV1Hex);
  IndexBuilder with_compression;
  with_compression.Add(v[1]);
  EXPECT_FALSE(with_compression.Build(1).ok());
}

TEST(IndexTest, ParsesV2Vector) {
  auto view = IndexView::Parse(*HexDecode(kV2Hex), "xn0_test");
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_EQ((*view)->size(), 3u);
  for (const auto& want : VectorEntries()) {
    IndexEntry got;
    ASSERT_TRUE(Found((*view)->Find(want.id, &got))) << want.id.ToString();
    EXPECT_EQ(got.pack_blob_id, want.pack_blob_id);
    EXPECT_EQ(got.pack_offset, want.pack_offset);
    EXPECT_EQ(got.packed_length, want.packed_length);
    EXPECT_EQ(got.original_length, want.original_length);
    EXPECT_EQ(got.timestamp, want.timestamp);
    EXPECT_EQ(got.deleted, want.deleted);
    EXPECT_EQ(got.compression_header, want.compression_header);
    EXPECT_EQ(got.format_version, 3);
  }
  IndexEntry none;
  EXPECT_FALSE(Found((*view)->Find(*ContentId::Parse("00112233445566778899aabbccddeef0"), &none)));
  EXPECT_FALSE(Found((*view)->Find(*ContentId::Parse("k00112233445566778899aabbccddeeff"), &none)));
}

TEST(IndexTest, ParsesV1VectorWithDerivedOriginalLength) {
  auto view = IndexView::Parse(*HexDecode(kV1Hex), "n_test");
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  IndexEntry got;
  ASSERT_TRUE(Found((*view)->Find(*ContentId::Parse("ffeeddccbbaa99887766554433221100"), &got)));
  EXPECT_TRUE(got.deleted);
  EXPECT_EQ(got.pack_offset, 160u);
  EXPECT_EQ(got.packed_length, 38u);
  EXPECT_EQ(got.original_length, 10u);  // 38 − 28
  EXPECT_EQ(got.pack_blob_id, kPackP);
}

TEST(IndexTest, EntrySizeSelection) {
  auto make = [](int n, int formats, bool big) {
    IndexBuilder b;
    std::vector<std::string> packs;
    for (int i = 0; i < n; ++i) packs.push_back("p" + std::to_string(i) + "-s1");
    for (int i = 0; i < n; ++i) {
      IndexEntry e;
      uint8_t h[16] = {};
      h[0] = uint8_t(i >> 16);
      h[1] = uint8_t(i >> 8);
      h[2] = uint8_t(i);
      e.id = *ContentId::FromHash(0, ByteView(h, 16));
      e.pack_blob_id = packs[size_t(i)];
      e.packed_length = 100;
      e.original_length = big && i == 0 ? (20u << 20) : 72;
      e.compression_header = (i % formats) ? 0x1100 : 0;
      e.timestamp = 1700000000 + i;
      b.Add(e);
    }
    auto bytes = b.Build(2);
    EXPECT_TRUE(bytes.ok());
    auto view = IndexView::Parse(*bytes, "t");
    EXPECT_TRUE(view.ok());
    for (int i = 0; i < n; i += std::max(1, n / 50)) {
      auto e = (*view)->EntryAt(size_t(i));
      EXPECT_TRUE(e.ok());
      EXPECT_EQ(e->pack_blob_id, packs[size_t(i)]);
      EXPECT_EQ(e->original_length, big && i == 0 ? (20u << 20) : 72u);
      EXPECT_EQ(e->compression_header, (i % formats) ? 0x1100u : 0u);
    }
    return (*bytes)[3];
  };
  EXPECT_EQ(make(3, 1, false), 16);
  EXPECT_EQ(make(3, 2, false), 17);
  EXPECT_EQ(make(65537, 1, false), 18);
  EXPECT_EQ(make(3, 1, true), 19);
}

TEST(IndexTest, CorruptIndexesAreErrorsNamingTheBlob) {
  Bytes good = *HexDecode(kV2Hex);
  for (size_t cut : {0ul, 5ul, 16ul, 60ul, 130ul}) {
    Bytes t(good.begin(), good.begin() + long(cut));
    auto v = IndexView::Parse(t, "xn0_broken");
    ASSERT_FALSE(v.ok()) << cut;
    EXPECT_EQ(v.status().code(), StatusCode::kCorruption);
    EXPECT_NE(v.status().message().find("xn0_broken"), std::string::npos);
  }
  Bytes bad_version = good;
  bad_version[0] = 7;
  EXPECT_FALSE(IndexView::Parse(bad_version, "x").ok());
  Bytes bad_entry_size = good;
  bad_entry_size[3] = 25;
  EXPECT_FALSE(IndexView::Parse(bad_entry_size, "x").ok());
  Bytes unsorted = good;
  std::swap_ranges(unsorted.begin() + 17, unsorted.begin() + 34, unsorted.begin() + 51);
  EXPECT_FALSE(IndexView::Parse(unsorted, "x").ok());
  // Pack name offset beyond the end.
  Bytes bad_pack = good;
  bad_pack[119 + 4] = 0xff;
  EXPECT_FALSE(IndexView::Parse(bad_pack, "x").ok());
}

TEST(IndexTest, MergePrecedence) {
  IndexEntry live, dead;
  live.timestamp = dead.timestamp = 5;
  dead.deleted = true;
  EXPECT_TRUE(Supersedes(live, dead));
  EXPECT_FALSE(Supersedes(dead, live));
  dead.timestamp = 6;
  EXPECT_TRUE(Supersedes(dead, live));
  IndexEntry a, b;
  a.pack_blob_id = "pb";
  b.pack_blob_id = "pa";
  EXPECT_TRUE(Supersedes(a, b));
}

TEST(IndexTest, FilterNeverHidesAnEntryAndRejectsMostAbsentIds) {
  // 20 000 IDs (hash bytes from a counter through a multiplier), every other one indexed.
  auto id_of = [](uint32_t i) {
    uint8_t hash[16];
    uint64_t x = uint64_t(i) * 0x9E3779B97F4A7C15ull + 12345;
    for (int b = 0; b < 16; ++b) hash[b] = uint8_t((x >> (8 * (b % 8))) ^ (b >= 8 ? i * 31 : 0));
    return *ContentId::FromHash(i % 7 == 0 ? 'k' : 0, ByteView(hash, 16));
  };
  std::vector<IndexEntry> entries;
  for (uint32_t i = 0; i < 20000; i += 2) {
    IndexEntry e;
    e.id = id_of(i);
    e.pack_blob_id = kPackP;
    e.pack_offset = i;
    e.packed_length = 100;
    e.original_length = 72;
    e.timestamp = 1665000000;
    entries.push_back(e);
  }
  std::sort(entries.begin(), entries.end(), [](const IndexEntry& a, const IndexEntry& b) { return a.id < b.id; });
  auto built = IndexBuilder::BuildSorted(entries, 2);
  ASSERT_TRUE(built.ok());
  auto view = IndexView::Parse(std::move(*built), "xn0_test");
  ASSERT_TRUE(view.ok());
  size_t false_positives = 0;
  for (uint32_t i = 0; i < 20000; ++i) {
    IndexEntry got;
    if (i % 2 == 0) {
      ASSERT_TRUE((*view)->MayContain(id_of(i))) << i;
      ASSERT_TRUE(Found((*view)->Find(id_of(i), &got))) << i;
      EXPECT_EQ(got.pack_offset, i);
    } else {
      EXPECT_FALSE(Found((*view)->Find(id_of(i), &got))) << i;
      if ((*view)->MayContain(id_of(i))) ++false_positives;
    }
  }
  EXPECT_LT(false_positives, 10000u * 15 / 1000) << "the filter should reject ~99 % of absent IDs (0.83 % measured)";
  // ~10 bits per entry on top of the index bytes.
  EXPECT_LE((*view)->memory_bytes(), 10000u * (33 + 2) + 1024);
}

TEST(ContentIdTest, ParseAndOrder) {
  auto plain = ContentId::Parse("d9295958410ae3b73f68033274cd7a8f");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->has_prefix());
  auto dir = ContentId::Parse("k18c2fa7d9108a2bf0d9d5b8e7993c48d");
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->prefix(), 'k');
  EXPECT_EQ(dir->ToString(), "k18c2fa7d9108a2bf0d9d5b8e7993c48d");
  EXPECT_LT(*plain, *dir);  // unprefixed IDs sort first
  EXPECT_FALSE(ContentId::Parse("a18c2fa7d9108a2bf0d9d5b8e7993c48d").ok());  // prefix must be g..z
  EXPECT_FALSE(ContentId::Parse("zz").ok());
  EXPECT_FALSE(ContentId::Parse("").ok());
  auto long_hash = ContentId::Parse(std::string(66, 'a'));
  EXPECT_FALSE(long_hash.ok());
  // PackIv: last 16 bytes of a 32-byte hash.
  auto h32 = ContentId::Parse("k" + std::string(32, '0') + std::string(32, 'f'));
  ASSERT_TRUE(h32.ok());
  EXPECT_EQ(HexEncode(h32->PackIv()), std::string(32, 'f'));
}

}  // namespace
}  // namespace ferry::content
