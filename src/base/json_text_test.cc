#include "base/json_text.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace ferry {
namespace {

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

TEST(JsonTextTest, Utf8Validity) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"));  // é € 😀 U+10FFFF
  for (const char* bad : {"\xFF", "\x80", "a\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xED\xA0\x80",
                          "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xE2\x82", "\xF0\x9F\x98"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << Quoted(bad);
  }
  // Each byte that starts no well-formed sequence becomes one U+FFFD, as Go's DecodeRune steps.
  EXPECT_EQ(ToValidUtf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(ToValidUtf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(ToValidUtf8("\xED\xA0\x80x"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx");
  EXPECT_EQ(ToValidUtf8("ok \xE2\x82\xAC"), "ok \xE2\x82\xAC");
}

TEST(JsonTextTest, EscapesLikeNlohmannDump) {
  EXPECT_EQ(Quoted("a\"b\\c\b\f\n\r\t\x01\x1f\x7f/"), "\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f\x7f/\"");
  // Random strings of ASCII (control characters, quotes, backslashes included) and well-formed
  // 2-, 3- and 4-byte sequences: byte for byte what nlohmann's dump() writes.
  std::mt19937 rng(7);
  const std::vector<std::string> pieces = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f",
                                           "<", "&", "\xC3\xA9", "\xE2\x82\xAC", "\xE2\x80\xA8", "\xEF\xBF\xBD",
                                           "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF", "\xDF\xBF", "\xE0\xA0\x80"};
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    const int n = int(rng() % 24);
    for (int i = 0; i < n; ++i) s += pieces[rng() % pieces.size()];
    ASSERT_EQ(Quoted(s), nlohmann::json(s).dump()) << nlohmann::json(s).dump();
  }
}

TEST(JsonTextTest, InvalidUtf8BecomesReplacementCharacters) {
  const std::string bad = "f\xFFo\xC0\x80o\xE2\x82";
  const std::string text = Quoted(bad);
  EXPECT_EQ(text, "\"f\\ufffdo\\ufffd\\ufffdo\\ufffd\\ufffd\"");
  // Any JSON reader takes it, and reads the same name ToValidUtf8 gives.
  EXPECT_EQ(nlohmann::json::parse(text).get<std::string>(), ToValidUtf8(bad));
}

TEST(JsonTextTest, Numbers) {
  std::string out;
  AppendJsonInt(&out, std::numeric_limits<int64_t>::min());
  out += ",";
  AppendJsonInt(&out, 0);
  out += ",";
  AppendJsonUint(&out, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(out, "-9223372036854775808,0,18446744073709551615");
}

}  // namespace
}  // namespace ferry
