#include "splitter/splitter.h"

#include <openssl/sha.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/bytes.h"
#include "splitter/buzhash.h"
#include "splitter/rabinkarp.h"

namespace ferry::splitter {
namespace {

// kopia-test-vectors.md §12.1.
Bytes SplitMix64(uint64_t seed, size_t size) {
  Bytes out(size);
  uint64_t s = seed;
  for (size_t i = 0; i < size; i += 8) {
    s += 0x9E3779B97F4A7C15ull;
    uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    for (size_t k = 0; k < 8 && i + k < size; ++k) out[i + k] = static_cast<uint8_t>(z >> (8 * k));
  }
  return out;
}

std::string Sha256Hex(ByteView data) {
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(data.data(), data.size(), digest);
  return HexEncode(ByteView(digest, sizeof(digest)));
}

const Bytes& Small() {
  static const Bytes* const small = new Bytes(SplitMix64(1, 65536));
  return *small;
}
const Bytes& Big() {
  static const Bytes* const big = new Bytes(SplitMix64(2, 25165824));
  return *big;
}

// Feeds `data` in pieces whose sizes come from next_piece(), the way an object writer does: after
// a split point the rest of the piece is offered again. Returns the chunk lengths.
std::vector<size_t> SplitPieces(Splitter& s, ByteView data,
                                const std::function<size_t()>& next_piece) {
  std::vector<size_t> lengths;
  size_t current = 0;  // bytes of the open chunk
  size_t pos = 0;
  while (pos < data.size()) {
    ByteView piece = data.subspan(pos, std::min(next_piece(), data.size() - pos));
    pos += piece.size();
    while (!piece.empty()) {
      const size_t n = s.NextSplitPoint(piece);
      if (n == kNoSplit) {
        current += piece.size();
        break;
      }
      EXPECT_GE(n, 1u);
      EXPECT_LE(n, piece.size());
      lengths.push_back(current + n);
      current = 0;
      piece = piece.subspan(n);
    }
  }
  if (current > 0) lengths.push_back(current);
  return lengths;
}

enum class Feed { kWhole, k7777, kOneByte, kRandom };

std::vector<size_t> SplitWith(Splitter& s, ByteView data, Feed feed) {
  s.Reset();
  switch (feed) {
    case Feed::kWhole:
      return SplitAll(s, data);
    case Feed::k7777:
      return SplitPieces(s, data, [] { return size_t{7777}; });
    case Feed::kOneByte:
      return SplitPieces(s, data, [] { return size_t{1}; });
    case Feed::kRandom: {
      std::mt19937_64 rng(42);
      // Mostly small pieces, sometimes up to 1 MiB, so that every code path sees call boundaries.
      return SplitPieces(s, data, [&rng] {
        const uint64_t r = rng();
        return static_cast<size_t>((r & 3) == 0 ? (r >> 8) % (1 << 20) + 1 : (r >> 8) % 200 + 1);
      });
    }
  }
  return {};
}

std::unique_ptr<Splitter> Named(std::string_view name) {
  Result<SplitterFactory> f = GetSplitterFactory(name);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return (*f)();
}

// ---- Reference: the procedure of kopia-format.md §15.1 byte by byte, rolling exactly like
// rollinghash (circular 64-byte window, Roll per byte), with its own table construction.

uint64_t RefPolyMod(uint64_t x, uint64_t p) {
  const uint64_t dp = std::bit_width(p) - 1;
  while (x != 0 && std::bit_width(x) - 1 >= dp) x ^= p << (std::bit_width(x) - 1 - dp);
  return x;
}

std::vector<size_t> ReferenceSplit(bool rabinkarp, size_t min, size_t avg, size_t max,
                                   ByteView data) {
  const uint64_t p = kRabinKarpPolynomial;
  uint64_t out[256], mod[256];
  for (uint64_t b = 0; b < 256; ++b) {
    uint64_t h = RefPolyMod(b, p);
    for (int i = 0; i < 63; ++i) h = RefPolyMod(h << 8, p);
    out[b] = h;
    mod[b] = RefPolyMod(b << 53, p) | (b << 53);
  }
  uint8_t window[64] = {};
  size_t oldest = 0;
  uint32_t bh = 0;
  uint64_t rk = 0;
  std::vector<size_t> lengths;
  size_t count = 0;
  for (uint8_t c : data) {
    const uint8_t o = window[oldest];
    window[oldest] = c;
    oldest = (oldest + 1) & 63;
    uint64_t sum;
    if (rabinkarp) {
      rk ^= out[o];
      const uint64_t index = (rk >> 45) & 0xff;
      rk = (rk << 8) | c;
      rk ^= mod[index];
      sum = rk;
    } else {
      bh = std::rotl(bh, 1) ^ kBuzhashTable[o] ^ kBuzhashTable[c];
      sum = bh;
    }
    ++count;
    if ((count >= min && (sum & (avg - 1)) == 0) || count == max) {
      lengths.push_back(count);
      count = 0;
    }
  }
  if (count > 0) lengths.push_back(count);
  return lengths;
}

// ---- Input generator and vectors (kopia-test-vectors.md §12).

TEST(SplitMix64, MatchesVectors) {
  EXPECT_EQ(HexEncode(SplitMix64(0, 64)),
            "afcd1d7b39a820e2f465b9a16a9e786e4f450980185dc406ec814c72a8b88bf8"
            "9b74a8516a89391beaa27e740c9fcb53e132451fbe9a822c3cab16c93a1384c5");
  EXPECT_EQ(Sha256Hex(Small()), "1ebd584fa2a31942b2dfbbda3f53aa00f0e7abe48e88e96c200f0d57845e61a7");
  EXPECT_EQ(Sha256Hex(Big()), "1a3c62d53731ff5e3d8bf2e399020147f81d362683235e2aa546e49e8d6f315f");
}

const std::vector<size_t> kBuzhash1024 = {
    662,  1907, 1175, 544,  2048, 833,  1074, 1012, 2048, 1145, 902,  618,  700,
    1311, 1581, 1848, 2048, 633,  1441, 1275, 1049, 2048, 719,  2048, 1604, 757,
    610,  709,  1718, 669,  1180, 2048, 1552, 1731, 2048, 1038, 1108, 646,  792,
    559,  2048, 2048, 559,  947,  1781, 1227, 1526, 1215, 976,  2004, 1767};
const std::vector<size_t> kRabinKarp1024 = {
    1035, 2048, 772,  1160, 1045, 2048, 2048, 2048, 874,  2048, 587,  1700, 1789,
    828,  1818, 778,  737,  2048, 1104, 2048, 1070, 1920, 885,  586,  1878, 893,
    512,  1367, 754,  1042, 1334, 2048, 917,  2048, 1459, 2048, 1174, 1080, 1179,
    644,  1198, 1355, 1812, 657,  2048, 675,  837,  660,  1223, 567,  683,  420};

struct BigVector {
  const char* name;
  std::vector<size_t> lengths;
};
const std::vector<BigVector>& BigVectors() {
  static const std::vector<BigVector>* const v = new std::vector<BigVector>{
      {"DYNAMIC-1M-BUZHASH",
       {1601985, 849820,  2097152, 580843,  1801336, 942318,  1348196, 2023186, 1631044, 662966,
        795797,  794983,  1722974, 1046230, 1043214, 1261459, 1117538, 528263,  2097152, 1219368}},
      {"DYNAMIC-4M-BUZHASH", {2451805, 6769845, 5112993, 3564187, 7266994}},
      {"DYNAMIC-1M-RABINKARP",
       {901038,  987005,  821411,  1444440, 747763,  879762,  682165,  2097152, 1443360, 2097152,
        2097152, 935123,  816327,  2097152, 949807,  1270536, 1414747, 1493179, 1990553}},
      {"DYNAMIC-4M-RABINKARP", {2270949, 8388608, 8337252, 4178462, 1990553}},
      {"FIXED-4M", {4194304, 4194304, 4194304, 4194304, 4194304, 4194304}},
  };
  return *v;
}

class SmallVectors : public ::testing::TestWithParam<Feed> {};

TEST_P(SmallVectors, Buzhash1024) {
  auto s = NewBuzhashSplitter(512, 1024, 2048);
  EXPECT_EQ(SplitWith(*s, Small(), GetParam()), kBuzhash1024);
}

TEST_P(SmallVectors, RabinKarp1024) {
  auto s = NewRabinKarpSplitter(512, 1024, 2048);
  EXPECT_EQ(SplitWith(*s, Small(), GetParam()), kRabinKarp1024);
}

INSTANTIATE_TEST_SUITE_P(AllFeeds, SmallVectors,
                         ::testing::Values(Feed::kWhole, Feed::k7777, Feed::kOneByte,
                                           Feed::kRandom));

class BigVectorsTest : public ::testing::TestWithParam<Feed> {};

TEST_P(BigVectorsTest, AllLists) {
  for (const BigVector& v : BigVectors()) {
    auto s = Named(v.name);
    EXPECT_EQ(SplitWith(*s, Big(), GetParam()), v.lengths) << v.name;
  }
}

INSTANTIATE_TEST_SUITE_P(AllFeeds, BigVectorsTest,
                         ::testing::Values(Feed::kWhole, Feed::k7777, Feed::kRandom));

TEST(Splitter, ReferenceProcedureMatchesVectors) {
  EXPECT_EQ(ReferenceSplit(false, 512, 1024, 2048, Small()), kBuzhash1024);
  EXPECT_EQ(ReferenceSplit(true, 512, 1024, 2048, Small()), kRabinKarp1024);
}

// ---- The fast paths against the byte-by-byte reference on shapes the vectors do not cover:
// min below the window size, hits right after min, long scans with frequent hits (lane groups
// rescanned), degenerate inputs where every window hashes to zero.

struct Shape {
  size_t min, avg, max;
};

TEST(Splitter, MatchesReference) {
  const Bytes random = SplitMix64(7, 2 << 20);
  Bytes patterned(512 << 10);
  for (size_t i = 0; i < patterned.size(); ++i) {
    patterned[i] = (i / 4096) % 3 == 0 ? 0 : static_cast<uint8_t>(i * 7 / 13);
  }
  const Bytes zeros(70000, 0);
  const Shape shapes[] = {{16, 32, 64},          {1, 64, 200},           {100, 64, 300},
                          {512, 1024, 2048},     {1, 1 << 13, 1 << 20},  {1, 1 << 15, 1 << 20},
                          {40000, 1 << 16, 1 << 18}, {1 << 17, 1 << 18, 1 << 19}};
  for (bool rk : {false, true}) {
    for (const Shape& sh : shapes) {
      for (const Bytes* data : std::vector<const Bytes*>{&random, &patterned, &zeros}) {
        const std::vector<size_t> want = ReferenceSplit(rk, sh.min, sh.avg, sh.max, *data);
        auto s = rk ? NewRabinKarpSplitter(sh.min, sh.avg, sh.max)
                    : NewBuzhashSplitter(sh.min, sh.avg, sh.max);
        for (Feed feed : {Feed::kWhole, Feed::k7777, Feed::kRandom}) {
          EXPECT_EQ(SplitWith(*s, *data, feed), want)
              << (rk ? "RABINKARP" : "BUZHASH") << " min=" << sh.min << " avg=" << sh.avg
              << " max=" << sh.max << " size=" << data->size() << " feed=" << static_cast<int>(feed);
        }
      }
    }
  }
}

// Windows of 64 zero bytes hash to 0 for both hashes, so a zero run ending at position p plants
// a cut there. Plant cuts on and around the block and lane-group boundaries of the lane-parallel
// scan (the scan of a call starting at min or at byte 64 of the call, plus multiples of 512), alone
// and in pairs where a later lane hits at an earlier step.
TEST(Splitter, PlantedCutsAroundLaneBoundaries) {
  const Bytes random = SplitMix64(8, 80 << 10);
  std::vector<size_t> positions;
  for (size_t base = 512; base < random.size(); base += 512) {
    if (base % 4096 != 0 && base > 8192) continue;
    for (int delta : {-65, -64, -63, -1, 0, 1, 63, 64, 65, 127, 128}) positions.push_back(base + delta);
  }
  auto plant = [](Bytes& data, size_t end) {
    for (size_t i = end - 63; i <= end; ++i) data[i] = 0;
  };
  std::mt19937_64 rng(9);
  for (bool rk : {false, true}) {
    auto s = rk ? NewRabinKarpSplitter(1, 1 << 20, 1 << 20) : NewBuzhashSplitter(1, 1 << 20, 1 << 20);
    auto check = [&](const Bytes& data, const std::string& what) {
      EXPECT_EQ(SplitWith(*s, data, Feed::kWhole), ReferenceSplit(rk, 1, 1 << 20, 1 << 20, data))
          << (rk ? "RABINKARP " : "BUZHASH ") << what;
    };
    for (size_t p : positions) {
      Bytes data = random;
      plant(data, p);
      check(data, "cut at " + std::to_string(p));
    }
    for (int k = 0; k < 200; ++k) {
      const size_t a = positions[rng() % positions.size()];
      const size_t b = positions[rng() % positions.size()];
      Bytes data = random;
      plant(data, a);
      plant(data, b);
      check(data, "cuts at " + std::to_string(a) + " and " + std::to_string(b));
    }
  }
}

// ---- Edge cases and names.

TEST(Splitter, EmptyInputNeverSplits) {
  for (const std::string& name : SplitterNames()) {
    auto s = Named(name);
    EXPECT_EQ(s->NextSplitPoint(ByteView()), kNoSplit) << name;
    EXPECT_TRUE(SplitAll(*s, ByteView()).empty()) << name;
  }
}

TEST(Splitter, FixedExactMultipleHasNoEmptyTail) {
  auto s = Named("FIXED-128K");
  const Bytes data = SplitMix64(3, 3 * 128 * 1024);
  EXPECT_EQ(SplitAll(*s, data), (std::vector<size_t>{131072, 131072, 131072}));
  s->Reset();
  EXPECT_EQ(SplitWith(*s, data, Feed::k7777), (std::vector<size_t>{131072, 131072, 131072}));
  // The cut lands exactly at the end of a call: the split point is the whole piece.
  s->Reset();
  EXPECT_EQ(s->NextSplitPoint(ByteView(data.data(), 131072)), 131072u);
  EXPECT_EQ(s->NextSplitPoint(ByteView(data.data(), 100)), kNoSplit);
}

TEST(Splitter, DynamicCutAtMaxOnCallBoundary) {
  // A 30-bit mask practically never matches, so only the cut at max fires, on the last byte fed.
  auto s = NewBuzhashSplitter(1000, 1u << 30, 1000);
  const Bytes data = SplitMix64(4, 1000);
  EXPECT_EQ(s->NextSplitPoint(ByteView(data.data(), 999)), kNoSplit);
  EXPECT_EQ(s->NextSplitPoint(ByteView(data.data() + 999, 1)), 1u);
}

TEST(Splitter, ResetStartsANewObject) {
  auto s = Named("DYNAMIC-128K-BUZHASH");
  const Bytes data = SplitMix64(5, 1 << 20);
  const std::vector<size_t> first = SplitAll(*s, data);
  s->NextSplitPoint(ByteView(data.data(), 12345));  // leave state behind
  s->Reset();
  EXPECT_EQ(SplitAll(*s, data), first);
}

TEST(SplitterNames, KopiasSetAndOrder) {
  const std::vector<std::string> want = {
      "FIXED",
      "FIXED-128K",
      "FIXED-256K",
      "FIXED-512K",
      "FIXED-1M",
      "FIXED-2M",
      "FIXED-4M",
      "FIXED-8M",
      "DYNAMIC",
      "DYNAMIC-128K-BUZHASH",
      "DYNAMIC-256K-BUZHASH",
      "DYNAMIC-512K-BUZHASH",
      "DYNAMIC-1M-BUZHASH",
      "DYNAMIC-2M-BUZHASH",
      "DYNAMIC-4M-BUZHASH",
      "DYNAMIC-8M-BUZHASH",
      "DYNAMIC-128K-RABINKARP",
      "DYNAMIC-256K-RABINKARP",
      "DYNAMIC-512K-RABINKARP",
      "DYNAMIC-1M-RABINKARP",
      "DYNAMIC-2M-RABINKARP",
      "DYNAMIC-4M-RABINKARP",
      "DYNAMIC-8M-RABINKARP",
  };
  EXPECT_EQ(SplitterNames(), want);
  EXPECT_NE(std::find(want.begin(), want.end(), std::string(kDefaultSplitter)), want.end());
}

TEST(SplitterNames, MaxSegmentSizes) {
  EXPECT_EQ(Named("FIXED")->max_segment_size(), 4u << 20);
  EXPECT_EQ(Named("FIXED-128K")->max_segment_size(), 128u << 10);
  EXPECT_EQ(Named("FIXED-8M")->max_segment_size(), 8u << 20);
  EXPECT_EQ(Named("DYNAMIC")->max_segment_size(), 8u << 20);
  EXPECT_EQ(Named("DYNAMIC-128K-BUZHASH")->max_segment_size(), 256u << 10);
  EXPECT_EQ(Named("DYNAMIC-8M-RABINKARP")->max_segment_size(), 16u << 20);
}

TEST(SplitterNames, DynamicIsFourMegabyteBuzhash) {
  auto a = Named("DYNAMIC");
  auto b = Named("DYNAMIC-4M-BUZHASH");
  const Bytes data = SplitMix64(6, 12 << 20);
  EXPECT_EQ(SplitAll(*a, data), SplitAll(*b, data));
}

TEST(SplitterNames, UnknownNameListsValidNames) {
  Result<SplitterFactory> f = GetSplitterFactory("DYNAMIC-3M-BUZHASH");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(f.status().message().find("DYNAMIC-3M-BUZHASH"), std::string::npos);
  for (const std::string& name : SplitterNames()) {
    EXPECT_NE(f.status().message().find(name), std::string::npos) << name;
  }
  EXPECT_FALSE(GetSplitterFactory("").ok());
  EXPECT_FALSE(GetSplitterFactory("dynamic-4m-buzhash").ok());
}

}  // namespace
}  // namespace ferry::splitter
