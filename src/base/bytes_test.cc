#include "base/bytes.h"

#include <gtest/gtest.h>

namespace ferry {
namespace {

TEST(BytesTest, Hex) {
  Bytes b = {0x00, 0x1f, 0xab, 0xff};
  EXPECT_EQ(HexEncode(b), "001fabff");
  EXPECT_EQ(*HexDecode("001FabfF"), b);
  EXPECT_FALSE(HexDecode("abc").ok());
  EXPECT_FALSE(HexDecode("zz").ok());
}

TEST(BytesTest, Base64MatchesRfc4648Vectors) {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(Base64Encode(AsBytes(plain[i])), enc[i]);
    auto d = Base64Decode(enc[i]);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(AsString(*d), plain[i]);
  }
  // The uniqueID of kopia-test-vectors.md §1.
  Bytes unique;
  for (int i = 0xa0; i <= 0xbf; ++i) unique.push_back(static_cast<uint8_t>(i));
  EXPECT_EQ(Base64Encode(unique), "oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6u7y9vr8=");
  EXPECT_FALSE(Base64Decode("Zm9").ok());
  EXPECT_FALSE(Base64Decode("Z=9v").ok());
  EXPECT_FALSE(Base64Decode("Zm9*").ok());
}

}  // namespace
}  // namespace ferry
