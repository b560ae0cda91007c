// RFC 3339 formatting and parsing (rfc3339.h): Go's RFC3339Nano output byte for byte, offsets,
// fractions, pre-1970 times and the int64 range.
#include "manifest/rfc3339.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace ferry {
namespace {

constexpr int64_t kSec = 1'000'000'000;

int64_t MustParse(std::string_view text) {
  auto t = ParseRfc3339(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  return t.ok() ? *t : 0;
}

TEST(Rfc3339Test, FormatsLikeGoRfc3339Nano) {
  // 2022-10-04T12:00:00Z = 1664884800.
  EXPECT_EQ(FormatRfc3339Nano(1664884800 * kSec), "2022-10-04T12:00:00Z");
  EXPECT_EQ(FormatRfc3339Nano(1664884800 * kSec + 500'000'000), "2022-10-04T12:00:00.5Z");
  EXPECT_EQ(FormatRfc3339Nano(1664884800 * kSec + 123'456'789), "2022-10-04T12:00:00.123456789Z");
  EXPECT_EQ(FormatRfc3339Nano(1664884800 * kSec + 120'000'000), "2022-10-04T12:00:00.12Z");
  EXPECT_EQ(FormatRfc3339Nano(1664884800 * kSec + 1), "2022-10-04T12:00:00.000000001Z");
  EXPECT_EQ(FormatRfc3339Nano(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Nano(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatRfc3339Nano(951782400 * kSec), "2000-02-29T00:00:00Z");  // leap day
}

TEST(Rfc3339Test, GoZeroTimeThroughUnixNano) {
  // kopia's stdin snapshots: time.Time{}.UnixNano() wraps to this value.
  const int64_t wrapped = -6795364578871345152;
  EXPECT_EQ(FormatRfc3339Nano(wrapped), "1754-08-30T22:43:41.128654848Z");
  EXPECT_EQ(MustParse("1754-08-30T22:43:41.128654848Z"), wrapped);
}

TEST(Rfc3339Test, Int64Extremes) {
  const int64_t min = std::numeric_limits<int64_t>::min();
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(FormatRfc3339Nano(min), "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(FormatRfc3339Nano(max), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(MustParse("1677-09-21T00:12:43.145224192Z"), min);
  EXPECT_EQ(MustParse("2262-04-11T23:47:16.854775807Z"), max);
  EXPECT_EQ(ParseRfc3339("1677-09-21T00:12:43.145224191Z").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRfc3339("2262-04-11T23:47:16.854775808Z").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseRfc3339("0001-01-01T00:00:00Z").ok());
}

TEST(Rfc3339Test, WideRangeKeepsGoZeroTime) {
  auto t = ParseRfc3339Time("0001-01-01T00:00:00Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, kGoZeroTime);
  EXPECT_EQ(FormatRfc3339Nano(kGoZeroTime), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Nano(UnixTime{253402300799, 999999999}),
            "9999-12-31T23:59:59.999999999Z");
  EXPECT_FALSE(ToUnixNanos(kGoZeroTime).ok());
  EXPECT_EQ(FromUnixNanos(-1), (UnixTime{-1, 999999999}));
  EXPECT_EQ(*ToUnixNanos(UnixTime{-1, 999999999}), -1);
}

TEST(Rfc3339Test, ParsesOffsetsToUtc) {
  const int64_t noon = 1664884800 * kSec;  // 2022-10-04T12:00:00Z
  EXPECT_EQ(MustParse("2022-10-04T12:00:00Z"), noon);
  EXPECT_EQ(MustParse("2022-10-04T05:00:00-07:00"), noon);
  EXPECT_EQ(MustParse("2022-10-04T17:30:00+05:30"), noon);
  EXPECT_EQ(MustParse("2022-10-04T12:00:00+00:00"), noon);
  EXPECT_EQ(MustParse("2022-10-04T12:00:00-00:00"), noon);
  EXPECT_EQ(MustParse("2022-10-05T02:00:00+14:00"), noon);
  EXPECT_EQ(MustParse("2022-10-03T23:00:00-13:00"), noon);
  // Local offset with a fraction, as old kopia wrote it.
  EXPECT_EQ(MustParse("2022-10-04T05:00:00.25-07:00"), noon + 250'000'000);
  EXPECT_EQ(FormatRfc3339Nano(MustParse("2022-10-04T05:00:00.25-07:00")),
            "2022-10-04T12:00:00.25Z");
  // Lowercase separators (RFC 3339 §5.6 allows them).
  EXPECT_EQ(MustParse("2022-10-04t12:00:00z"), noon);
}

TEST(Rfc3339Test, Fractions) {
  const int64_t noon = 1664884800 * kSec;
  EXPECT_EQ(MustParse("2022-10-04T12:00:00.5Z"), noon + 500'000'000);
  EXPECT_EQ(MustParse("2022-10-04T12:00:00.500000000Z"), noon + 500'000'000);
  EXPECT_EQ(MustParse("2022-10-04T12:00:00.000000001Z"), noon + 1);
  EXPECT_EQ(MustParse("2022-10-04T12:00:00.1234567891234Z"), noon + 123'456'789);  // truncated
  EXPECT_EQ(MustParse("2022-10-04T12:00:00,5Z"), noon + 500'000'000);
  EXPECT_EQ(MustParse("1969-12-31T23:59:59.5Z"), -500'000'000);
}

TEST(Rfc3339Test, RejectsMalformed) {
  for (const char* bad : {"", "2022-10-04", "2022-10-04T12:00:00", "2022-10-04 12:00:00Z",
                          "2022-13-04T12:00:00Z", "2022-00-04T12:00:00Z", "2022-02-29T12:00:00Z",
                          "2022-04-31T12:00:00Z", "2022-10-04T24:00:00Z", "2022-10-04T12:60:00Z",
                          "2022-10-04T12:00:60Z", "2022-10-04T12:00:00.Z", "2022-10-04T12:00:00+0700",
                          "2022-10-04T12:00:00+24:00", "2022-10-04T12:00:00Zjunk", "22-10-04T12:00:00Z",
                          "2022-1-04T12:00:00Z", "2022-10-04T12:00:00+07", "abcd-ef-ghTij:kl:mnZ"}) {
    auto t = ParseRfc3339(bad);
    EXPECT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(t.status().message().find(std::string("\"") + bad + "\""), std::string::npos)
        << t.status().message();
  }
  EXPECT_TRUE(ParseRfc3339("2024-02-29T12:00:00Z").ok());  // leap year
  EXPECT_FALSE(ParseRfc3339("1900-02-29T12:00:00Z").ok());  // not a leap year
  EXPECT_TRUE(ParseRfc3339("2000-02-29T12:00:00Z").ok());   // is one
}

TEST(Rfc3339Test, RandomRoundTrips) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    int64_t t = static_cast<int64_t>(rng());
    if (i % 3 == 0) t -= t % kSec;  // whole seconds too
    std::string s = FormatRfc3339Nano(t);
    auto back = ParseRfc3339(s);
    ASSERT_TRUE(back.ok()) << s;
    ASSERT_EQ(*back, t) << s;
  }
}

}  // namespace
}  // namespace ferry
