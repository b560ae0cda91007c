#include "content/pack_format.h"

#include <gtest/gtest.h>

#include "content/encrypted_blob.h"

namespace ferry::content {
namespace {

// kopia-test-vectors.md §9.
TEST(PackFormatTest, PostambleVector) {
  Postamble p;
  p.local_index_iv = *HexDecode("00112233445566778899aabbccddeeff");
  p.local_index_offset = 8192;
  p.local_index_length = 300;
  Bytes out;
  ASSERT_TRUE(AppendPostamble(p, &out).ok());
  EXPECT_EQ(HexEncode(out), "011000112233445566778899aabbccddeeff8040ac0236e4378f1a");
  Bytes pack(100, 7);
  pack.insert(pack.end(), out.begin(), out.end());
  auto parsed = ParsePostamble(pack);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->local_index_offset, 8192u);
  EXPECT_EQ(parsed->local_index_length, 300u);
  EXPECT_EQ(parsed->local_index_iv, p.local_index_iv);
  for (size_t bit = 0; bit < 8 * (out.size() - 1); ++bit) {
    Bytes bad = pack;
    bad[100 + bit / 8] ^= uint8_t(1 << (bit % 8));
    EXPECT_FALSE(ParsePostamble(bad).ok()) << bit;
  }
  EXPECT_FALSE(ParsePostamble(Bytes{}).ok());
  EXPECT_FALSE(ParsePostamble(Bytes{3}).ok());
}

TEST(PackFormatTest, PaddingIsOneToFourKiB) {
  EXPECT_EQ(PackPaddingLength(0), 4096u);
  EXPECT_EQ(PackPaddingLength(4096), 4096u);
  EXPECT_EQ(PackPaddingLength(4095), 1u);
  EXPECT_EQ(PackPaddingLength(32 + 39), 4096u - 71);
}

TEST(EncryptedBlobTest, IvFromName) {
  EXPECT_EQ(HexEncode(*IvFromBlobId("xn0_a0bcbb7fd213ddcd7fe02bdf0c91d28a-s0011223344556677115-c1")),
            "a0bcbb7fd213ddcd7fe02bdf0c91d28a");
  // 256-bit hash: last 32 hex characters before the first '-'.
  EXPECT_EQ(HexEncode(*IvFromBlobId("xn0_21d026e1afc10df9a37952d30297d0997b7b860b11216b186ef92c02026f6c99-s8-c1")),
            "7b7b860b11216b186ef92c02026f6c99");
  // No '-': the whole name (log blobs).
  EXPECT_EQ(HexEncode(*IvFromBlobId("_log_20261127142754_5f81_1795789674_1795789674_1_78696c164a761e23831fd2dccf691411")),
            "78696c164a761e23831fd2dccf691411");
  EXPECT_EQ(IvFromBlobId("xe1").status().code(), StatusCode::kCorruption);
  EXPECT_FALSE(IvFromBlobId("xn0_zzzzbb7fd213ddcd7fe02bdf0c91d28a-s1-c1").ok());
}

}  // namespace
}  // namespace ferry::content
