#include "resource/time_util.h"

#include <gtest/gtest.h>

namespace ferry::resource {
namespace {

TEST(TimeUtil, Rfc3339RoundTrip) {
  EXPECT_EQ(Rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Rfc3339(1795802400), "2026-11-27T18:00:00Z");
  auto t = ParseRfc3339("2026-11-27T18:00:00Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 1795802400);
  EXPECT_EQ(*ParseRfc3339("2026-11-27T18:00:00.123456Z"), 1795802400);
  EXPECT_EQ(*ParseRfc3339("2026-11-27T20:00:00+02:00"), 1795802400);
  EXPECT_EQ(*ParseRfc3339("2026-11-27T17:30:00-00:30"), 1795802400);
  for (const char* bad : {"", "2026-11-27", "2026-11-27T18:00:00", "2026-13-27T18:00:00Z", "x026-11-27T18:00:00Z",
                          "2026-11-27T18:00:00Zjunk"}) {
    EXPECT_FALSE(ParseRfc3339(bad).ok()) << bad;
  }
  int64_t now = NowUnixSeconds();
  EXPECT_EQ(*ParseRfc3339(Rfc3339(now)), now);
  EXPECT_EQ(*ParseRfc3339(NowRfc3339()) / 10, now / 10 + (*ParseRfc3339(NowRfc3339()) / 10 - now / 10));
}

TEST(TimeUtil, GoDurations) {
  constexpr int64_t kSecond = 1000000000;
  EXPECT_EQ(*ParseGoDurationNanos("10m0s"), 600 * kSecond);
  EXPECT_EQ(*ParseGoDurationNanos("10m"), 600 * kSecond);
  EXPECT_EQ(*ParseGoDurationNanos("1h30m"), 5400 * kSecond);
  EXPECT_EQ(*ParseGoDurationNanos("720h0m0s"), 720LL * 3600 * kSecond);
  EXPECT_EQ(*ParseGoDurationNanos("500ms"), kSecond / 2);
  EXPECT_EQ(*ParseGoDurationNanos("1.5s"), kSecond * 3 / 2);
  EXPECT_EQ(*ParseGoDurationNanos("2us"), 2000);
  EXPECT_EQ(*ParseGoDurationNanos("2\xC2\xB5s"), 2000);
  EXPECT_EQ(*ParseGoDurationNanos("-1m"), -60 * kSecond);
  EXPECT_EQ(*ParseGoDurationNanos("0"), 0);
  for (const char* bad : {"", "10", "1x", "m", "1h-5m", "s1"}) {
    EXPECT_FALSE(ParseGoDurationNanos(bad).ok()) << bad;
  }
  EXPECT_EQ(GoDuration(0), "0s");
  EXPECT_EQ(GoDuration(600 * kSecond), "10m0s");
  EXPECT_EQ(GoDuration(3600 * kSecond), "1h0m0s");
  EXPECT_EQ(GoDuration(720LL * 3600 * kSecond), "720h0m0s");
  EXPECT_EQ(GoDuration(kSecond * 3 / 2), "1.5s");
  EXPECT_EQ(GoDuration(kSecond / 2), "500ms");
  EXPECT_EQ(GoDuration(1500), "1.5\xC2\xB5s");
  EXPECT_EQ(GoDuration(7), "7ns");
  EXPECT_EQ(GoDuration(-90 * kSecond), "-1m30s");
  for (int64_t d : {int64_t{1}, int64_t{999}, 61 * kSecond + 5, 90061 * kSecond + 123456789}) {
    EXPECT_EQ(*ParseGoDurationNanos(GoDuration(d)), d) << GoDuration(d);
  }
}

TEST(TimeUtil, HumanAgeLikeKubectl) {
  EXPECT_EQ(HumanAge(0), "0s");
  EXPECT_EQ(HumanAge(5), "5s");
  EXPECT_EQ(HumanAge(119), "119s");
  EXPECT_EQ(HumanAge(120), "2m");
  EXPECT_EQ(HumanAge(192), "3m12s");
  EXPECT_EQ(HumanAge(600), "10m");
  EXPECT_EQ(HumanAge(179 * 60), "179m");
  EXPECT_EQ(HumanAge(3 * 3600), "3h");
  EXPECT_EQ(HumanAge(3 * 3600 + 25 * 60), "3h25m");
  EXPECT_EQ(HumanAge(30 * 3600), "30h");
  EXPECT_EQ(HumanAge(51 * 3600), "2d3h");
  EXPECT_EQ(HumanAge(10 * 86400), "10d");
  EXPECT_EQ(HumanAge(800 * 86400), "2y70d");
  EXPECT_EQ(HumanAge(-1), "0s");
  EXPECT_EQ(HumanAge(-5), "<invalid>");
}

}  // namespace
}  // namespace ferry::resource
