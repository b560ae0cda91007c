#include "crypto/aead.h"

#include <gtest/gtest.h>

#include "crypto/test_util.h"

namespace ferry::crypto {
namespace {

using testing::Concat;
using testing::FromHex;
using testing::Seq;

Bytes Seal(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad, ByteView pt) {
  Bytes out(pt.size() + kAeadTagSize);
  Status status = AeadSeal(algorithm, key, nonce, aad, pt, out.data());
  EXPECT_TRUE(status.ok()) << status.ToString();
  return out;
}

Result<Bytes> Open(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad,
                   ByteView sealed) {
  Bytes out(sealed.size() >= kAeadTagSize ? sealed.size() - kAeadTagSize : 0);
  FERRY_RETURN_IF_ERROR(AeadOpen(algorithm, key, nonce, aad, sealed, out.data()));
  return out;
}

// RFC 8439 §2.8.2.
TEST(AeadTest, ChaCha20Poly1305Rfc8439) {
  const Bytes key = Seq(0x80, 0x9f);
  const Bytes nonce = FromHex("070000004041424344454647");
  const Bytes aad = FromHex("50515253c0c1c2c3c4c5c6c7");
  const Bytes plaintext = ToBytes(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
      "future, sunscreen would be it.");
  const Bytes expected = FromHex(
      "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
      "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
      "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
      "3ff4def08e4b7a9de576d26586cec64b6116"
      "1ae10b594f09e26a7e902ecbd0600691");
  const AeadAlgorithm chacha = AeadAlgorithm::kChaCha20Poly1305;
  EXPECT_EQ(Seal(chacha, key, nonce, aad, plaintext), expected);
  auto opened = Open(chacha, key, nonce, aad, expected);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, plaintext);
}

// The GCM specification (McGrew & Viega), test case 16: AES-256 with additional data.
TEST(AeadTest, AesGcmTestCase16) {
  const Bytes key = FromHex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  const Bytes nonce = FromHex("cafebabefacedbaddecaf888");
  const Bytes aad = FromHex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const Bytes plaintext = FromHex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
  const Bytes expected = FromHex(
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
      "76fc6ece0f4e1768cddf8853bb2d551b");
  const AeadAlgorithm aes = AeadAlgorithm::kAes256Gcm;
  EXPECT_EQ(Seal(aes, key, nonce, aad, plaintext), expected);
  auto opened = Open(aes, key, nonce, aad, expected);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, plaintext);
  // Test case 14: zero key, zero nonce, one zero block, no additional data.
  EXPECT_EQ(HexEncode(Seal(aes, Bytes(32), Bytes(12), {}, Bytes(16))),
            "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
}

TEST(AeadTest, TamperingIsAuthenticationError) {
  for (AeadAlgorithm algorithm : {AeadAlgorithm::kAes256Gcm, AeadAlgorithm::kChaCha20Poly1305}) {
    const Bytes key = Seq(1, 32);
    const Bytes nonce = Seq(1, 12);
    const Bytes aad = ToBytes("aad");
    const Bytes sealed = Seal(algorithm, key, nonce, aad, ToBytes("attack at dawn"));
    for (size_t bit = 0; bit < sealed.size() * 8; bit += 7) {
      Bytes bad = sealed;
      bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      EXPECT_EQ(Open(algorithm, key, nonce, aad, bad).status().code(), StatusCode::kAuthentication);
    }
    EXPECT_EQ(Open(algorithm, key, nonce, ToBytes("aaD"), sealed).status().code(),
              StatusCode::kAuthentication);
    Bytes wrong_key = key;
    wrong_key[0] ^= 1;
    EXPECT_EQ(Open(algorithm, wrong_key, nonce, aad, sealed).status().code(),
              StatusCode::kAuthentication);
    EXPECT_EQ(Open(algorithm, key, nonce, aad, ByteView(sealed).first(10)).status().code(),
              StatusCode::kAuthentication);
    // The thread's context is reused: a good open right after failures still works.
    EXPECT_TRUE(Open(algorithm, key, nonce, aad, sealed).ok());
  }
}

TEST(AeadTest, RejectsBadSizes) {
  uint8_t out[32];
  EXPECT_EQ(AeadSeal(AeadAlgorithm::kAes256Gcm, Bytes(16), Bytes(12), {}, {}, out).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(AeadSeal(AeadAlgorithm::kChaCha20Poly1305, Bytes(32), Bytes(8), {}, {}, out).code(),
            StatusCode::kInvalidArgument);
}

TEST(AeadTest, InPlaceAndEmpty) {
  for (AeadAlgorithm algorithm : {AeadAlgorithm::kAes256Gcm, AeadAlgorithm::kChaCha20Poly1305}) {
    const Bytes key = Seq(1, 32);
    const Bytes nonce = Seq(1, 12);
    const Bytes plaintext = Seq(0, 200);
    Bytes buffer = Concat(plaintext, Bytes(kAeadTagSize));
    ASSERT_TRUE(AeadSeal(algorithm, key, nonce, {}, ByteView(buffer).first(plaintext.size()),
                         buffer.data())
                    .ok());
    EXPECT_EQ(buffer, Seal(algorithm, key, nonce, {}, plaintext));
    ASSERT_TRUE(AeadOpen(algorithm, key, nonce, {}, buffer, buffer.data()).ok());
    EXPECT_EQ(Bytes(buffer.begin(), buffer.begin() + plaintext.size()), plaintext);
    const Bytes tag_only = Seal(algorithm, key, nonce, {}, {});
    EXPECT_EQ(tag_only.size(), kAeadTagSize);
    auto opened = Open(algorithm, key, nonce, {}, tag_only);
    ASSERT_TRUE(opened.ok());
    EXPECT_TRUE(opened->empty());
  }
}

}  // namespace
}  // namespace ferry::crypto
