#include "blob/sharding.h"

#include <gtest/gtest.h>

namespace ferry::blob {
namespace {

const std::string kPack = "p0123456789abcdef0123456789abcdef-s0011223344556677115";

// kopia-test-vectors.md §13.
TEST(ShardingTest, KopiaVectorsDefaultLayout) {
  const ShardingParameters p = ShardingParameters::Default();
  EXPECT_EQ(p.RelativePath(kPack), "p/012/3456789abcdef0123456789abcdef-s0011223344556677115.f");
  EXPECT_EQ(p.RelativePath("xn0_a0bc0123456789abcdef0123456789-s0011223344556677115-c1"),
            "x/n0_/a0bc0123456789abcdef0123456789-s0011223344556677115-c1.f");
  EXPECT_EQ(p.RelativePath("kopia.repository"), "kopia.repository.f");
  EXPECT_EQ(p.RelativePath("xe12"), "xe12.f");
  EXPECT_EQ(p.RelativePath("xe3"), "xe3.f");
  // From the fixtures README.
  EXPECT_EQ(p.RelativePath("xw1795791215"), "xw1795791215.f");
  EXPECT_EQ(p.RelativePath("_log_20261127145335_61a2_1"), "_/log/_20261127145335_61a2_1.f");
}

TEST(ShardingTest, KopiaVectorsLegacyLayout) {
  const ShardingParameters p = ShardingParameters::Legacy();
  EXPECT_EQ(p.RelativePath(kPack), "p01/234/56789abcdef0123456789abcdef-s0011223344556677115.f");
  EXPECT_EQ(p.RelativePath("kopia.repository"), "kopia.repository.f");
}

TEST(ShardingTest, BoundaryLengths) {
  const ShardingParameters p = ShardingParameters::Default();
  // Exactly maxNonShardedLength (20) stays at the root; 21 is sharded.
  EXPECT_EQ(p.RelativePath("s0011223344556677115"), "s0011223344556677115.f");
  EXPECT_EQ(p.RelativePath("s00112233445566771150"), "s/001/12233445566771150.f");
  // Shard sizes stop when at most that many characters remain.
  ShardingParameters tiny{{1, 3}, 0, {}};
  EXPECT_EQ(tiny.RelativePath("ab"), "a/b.f");
  EXPECT_EQ(tiny.RelativePath("a"), "a.f");
  EXPECT_EQ(tiny.RelativePath("abcd"), "a/bcd.f");
  EXPECT_EQ(tiny.RelativePath("abcde"), "a/bcd/e.f");
  auto [dirs, file] = tiny.Split("abcdef");
  EXPECT_EQ(dirs, (std::vector<std::string>{"a", "bcd"}));
  EXPECT_EQ(file, "ef.f");
}

TEST(ShardingTest, OverridesFirstMatchWins) {
  ShardingParameters p = ShardingParameters::Default();
  p.overrides = {{"xn", {2}}, {"x", {4, 4}}};
  EXPECT_EQ(p.RelativePath("xn0_a0bc0123456789abcdef"), "xn/0_a0bc0123456789abcdef.f");
  EXPECT_EQ(p.RelativePath("xs0_a0bc0123456789abcdef"), "xs0_/a0bc/0123456789abcdef.f");
  EXPECT_EQ(p.RelativePath(kPack), "p/012/3456789abcdef0123456789abcdef-s0011223344556677115.f");
}

TEST(ShardingTest, JsonBytesMatchKopia) {
  EXPECT_EQ(ShardingParameters::Default().ToJson(),
            "{\"default\":[1,3],\"maxNonShardedLength\":20}\n");
  EXPECT_EQ(ShardingParameters::Legacy().ToJson(),
            "{\"default\":[3,3],\"maxNonShardedLength\":20}\n");
  ShardingParameters p = ShardingParameters::Default();
  p.overrides = {{"x<", {2}}};
  EXPECT_EQ(p.ToJson(),
            "{\"default\":[1,3],\"maxNonShardedLength\":20,"
            "\"overrides\":[{\"prefix\":\"x\\u003c\",\"shards\":[2]}]}\n");
}

TEST(ShardingTest, ParseRoundTripAndGoLeniency) {
  for (const ShardingParameters& p : {ShardingParameters::Default(), ShardingParameters::Legacy(),
                                      ShardingParameters{{2}, 5, {{"x", {1, 1}}, {"p", {}}}}}) {
    auto parsed = ShardingParameters::Parse(p.ToJson());
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_TRUE(*parsed == p) << p.ToJson();
  }
  // Case-insensitive keys, unknown keys ignored, whitespace.
  auto lenient = ShardingParameters::Parse(
      " {\"Default\": [1, 3], \"MAXNONSHARDEDLENGTH\": 20, \"extra\": {\"a\": 1}} ");
  ASSERT_TRUE(lenient.ok());
  EXPECT_TRUE(*lenient == ShardingParameters::Default());
  // Missing keys are zero values: no sharding at all.
  auto empty = ShardingParameters::Parse("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->RelativePath(kPack), kPack + ".f");
}

TEST(ShardingTest, ParseRejectsGarbage) {
  for (const char* bad :
       {"", "{", "[1,3]", "{\"default\":[1,\"3\"]}", "{\"default\":[0]}", "{\"default\":[-1]}",
        "{\"default\":[1.5]}", "{\"maxNonShardedLength\":-1}", "{\"overrides\":[{\"prefix\":3}]}",
        "{\"overrides\":{}}"}) {
    auto r = ShardingParameters::Parse(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << bad;
  }
}

}  // namespace
}  // namespace ferry::blob
