#include "crypto/key_derivation.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

#include "crypto/test_util.h"

namespace ferry::crypto {
namespace {

using testing::FromHex;
using testing::Repeat;
using testing::Seq;

constexpr std::string_view kPassword = "kopia-test-password";

// kopia-test-vectors.md §1: uniqueID = a0..bf.
Bytes UniqueId() { return Seq(0xa0, 0xbf); }

// scrypt-65536-8-1 takes ~0.2 s: derive the §3 format key once for the whole suite.
const Bytes& FormatKey() {
  static const Bytes* key = [] {
    auto derived = DeriveFormatKey("scrypt-65536-8-1", kPassword, UniqueId());
    EXPECT_TRUE(derived.ok()) << derived.status().ToString();
    return new Bytes(derived.ok() ? *derived : Bytes{});
  }();
  return *key;
}

std::string Hex(const Result<Bytes>& r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? HexEncode(*r) : "";
}

// The plaintext of encryptedBlockFormat (§4), 579 bytes.
const std::string kFormatPlaintext =
      "{\"format\":{\"hash\":\"BLAKE2B-256-128\",\"encryption\":\"AES256-GCM-HMAC-SHA256\",\"secret\":\"gIGCg4"
      "SFhoeIiYqLjI2Oj5CRkpOUlZaXmJmam5ydnp8=\",\"masterKey\":\"QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW"
      "1xdXl8=\",\"version\":3,\"maxPackSize\":20971520,\"indexVersion\":2,\"epochParameters\":{\"Enabled\":"
      "true,\"EpochRefreshFrequency\":1200000000000,\"FullCheckpointFrequency\":7,\"CleanupSafetyMargi"
      "n\":14400000000000,\"MinEpochDuration\":86400000000000,\"EpochAdvanceOnCountThreshold\":20,\"Epo"
      "chAdvanceOnTotalSizeBytesThreshold\":10485760,\"DeleteParallelism\":4},\"enablePasswordChange\""
      ":true,\"splitter\":\"DYNAMIC-4M-BUZHASH\"}}";

const std::string kEncryptedBlockFormat =
      "EBESExQVFhcYGRobb7QQTogrMSdduBKezgHv29OQxIUsCfwlypHcUHjBblw0WzmXd2gi34ZlJL8JA8TmX7xFDwfo6Q"
      "T6yG2l4dZVdPle/rOCWY7FbBRcG/zGS33UFhrSZTIJC6vcStkH7QCixQyvBoC4DJjPYPxGFhvTyES/DeYl03cfYSp3"
      "9vbCOdbfTHfdgz4O/8ZmcLoU0QTxKPOoxAvH04WihLyQdt7QlQ1FTU1HXYgeZc0wj/HxZR1L9U2Q0KkGliBkXpJ8T9"
      "2qiqnye5yjowoPl3UX2YAXeN1oXOc8DjIm+sHqiGNjSTJdBVCc1ZSTcqfiD34kCsy/67Z+Z7gGQn8ugBXRLQI0z1/j"
      "Ysgxf+vI7AaGXoK3OH6F5DscDesxQv5OcPWeUj27DZ+yLhAj8gnx677k7jKA0CkNGsgKkUaGAOxSbV6XK4JlhaA56s"
      "CCmrVbkpH2o27RuYVNZAUcSbz7y2tJVcO4QqeyMXGTmj0EHSmPY7KStyCMuc25NN0jhgEWkbMXlb2RYHrEgg7fB4Ye"
      "eSgTKgcHMpBt5BM7RdVXnbNZ531pYrOEosjc8oUgvWGl8EBP191n1UxS6CkDvQTB9IQgSjNEUhM39M8tFJh8IRn1Y6"
      "NddT5YxV1okTZXy7p/ZJoyrl39AJIHDICIk59yfvh1a17l1gJdL2VQzfBte1N1nXq5AQ6BHDO7CKEcFqYCBzkDMS2B"
      "08jdujv7ZPmOy85EwLt7xWYmnEWFR2knMVFmmDMFvUpmCoV+y9l7Uz/mtbSSvslUqbbydnTpYX9O8wDBNMExqgWNUg"
      "==";

TEST(KeyDerivationTest, Names) {
  EXPECT_EQ(KeyDerivationAlgorithmNames(),
            (std::vector<std::string>{"scrypt-65536-8-1", "pbkdf2-sha256-600000"}));
  EXPECT_EQ(kDefaultKeyDerivationAlgorithm, "scrypt-65536-8-1");
}

// §3: the password KDFs and every HKDF purpose.
TEST(KeyDerivationTest, KopiaKeyTable) {
  EXPECT_EQ(HexEncode(FormatKey()),
            "9bea0298eef07f9b4407e0b4cdc40009c658213557528be980fe5783dde7a234");
  EXPECT_EQ(Hex(DeriveFormatKey("pbkdf2-sha256-600000", kPassword, UniqueId())),
            "50f76355ea3816a8a56fff27b9d935b767960b357429ea33320607b92727581c");
  EXPECT_EQ(Hex(DeriveKeyFromMasterKey(FormatKey(), UniqueId(), "AES", 32)),
            "8e9a10cf9564a7b0143aec0aa77d5700ec326d888a469e5a5d261c229b655929");
  EXPECT_EQ(Hex(DeriveKeyFromMasterKey(FormatKey(), UniqueId(), "CHECKSUM", 32)),
            "402a0332793b5093b0d75e12bb488171a206c92ca9307e4c9b6a911cd441bd63");
  EXPECT_EQ(Hex(Hkdf(Seq(0x40, 0x5f), AsBytes("encryption"), {}, 32)),
            "efffeb0407ce08e6fca4220165c06bf4508d6ee17538f6a69f8df8149a6067d2");
  EXPECT_EQ(Hex(DeriveKeyFromMasterKey(Seq(0x40, 0x5f), UniqueId(), "maintenance schedule", 32)),
            "2c7e76ceb1d3bc5869f1e4e534d291c6dff34f199ea4e12d52b79f976da01b91");
  EXPECT_EQ(Hex(DeriveKeyFromMasterKey(Seq(0x80, 0x9f), UniqueId(), "local-cache-integrity", 16)),
            "5bbf32adfc412f8a92df3f8fe152f3dc");
}

// §4: open kopia.repository's encryptedBlockFormat with the password, and re-seal it.
TEST(KeyDerivationTest, FormatBlob) {
  auto blob = Base64Decode(kEncryptedBlockFormat);
  ASSERT_TRUE(blob.ok());
  auto aes_key = DeriveKeyFromMasterKey(FormatKey(), UniqueId(), "AES", 32);
  auto auth_data = DeriveKeyFromMasterKey(FormatKey(), UniqueId(), "CHECKSUM", 32);
  ASSERT_TRUE(aes_key.ok() && auth_data.ok());
  auto plaintext = AesGcmOpen(*aes_key, *blob, *auth_data);
  ASSERT_TRUE(plaintext.ok()) << plaintext.status().ToString();
  EXPECT_EQ(plaintext->size(), 579u);
  EXPECT_EQ(AsString(*plaintext), kFormatPlaintext);
  EXPECT_EQ(HexEncode(ByteView(*blob).first(12)), "101112131415161718191a1b");

  auto sealed = AesGcmSeal(*aes_key, AsBytes(kFormatPlaintext), *auth_data, Seq(0x10, 0x1b));
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(Base64Encode(*sealed), kEncryptedBlockFormat);

  // Wrong additional data or a flipped bit: authentication failure, not garbage.
  EXPECT_EQ(AesGcmOpen(*aes_key, *blob, *aes_key).status().code(), StatusCode::kAuthentication);
  Bytes bad = *blob;
  bad[100] ^= 4;
  EXPECT_EQ(AesGcmOpen(*aes_key, bad, *auth_data).status().code(), StatusCode::kAuthentication);
  EXPECT_EQ(AesGcmOpen(*aes_key, ByteView(*blob).first(27), *auth_data).status().code(),
            StatusCode::kAuthentication);
}

TEST(KeyDerivationTest, FormatBlobWrongPassword) {
  auto wrong = DeriveFormatKey("scrypt-65536-8-1", "kopia-test-passwort", UniqueId());
  ASSERT_TRUE(wrong.ok());
  auto blob = Base64Decode(kEncryptedBlockFormat);
  auto aes_key = DeriveKeyFromMasterKey(*wrong, UniqueId(), "AES", 32);
  auto auth_data = DeriveKeyFromMasterKey(*wrong, UniqueId(), "CHECKSUM", 32);
  ASSERT_TRUE(blob.ok() && aes_key.ok() && auth_data.ok());
  EXPECT_EQ(AesGcmOpen(*aes_key, *blob, *auth_data).status().code(), StatusCode::kAuthentication);
}

// §4: kopia.blobcfg "{}" with nonce 20..2b, and the v1 format-blob checksum framing HMAC.
TEST(KeyDerivationTest, BlobCfgAndFraming) {
  auto aes_key = DeriveKeyFromMasterKey(FormatKey(), UniqueId(), "AES", 32);
  auto auth_data = DeriveKeyFromMasterKey(FormatKey(), UniqueId(), "CHECKSUM", 32);
  ASSERT_TRUE(aes_key.ok() && auth_data.ok());
  const char* blobcfg = "202122232425262728292a2b405be5a9a33cc7d713daf3c3a13f8c47add8";
  EXPECT_EQ(Hex(AesGcmSeal(*aes_key, AsBytes("{}"), *auth_data, Seq(0x20, 0x2b))), blobcfg);
  auto opened = AesGcmOpen(*aes_key, FromHex(blobcfg), *auth_data);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(AsString(*opened), "{}");

  EXPECT_EQ(HexEncode(HmacSha256(AsBytes("kopia-repository"), AsBytes("{}\n"))),
            "45ffd2c4b74bbdf03b6d38dbe901a8e999637bc1ea22b1d2fe12dd896d72b094");
}

// §6: kopia.maintenance.
TEST(KeyDerivationTest, MaintenanceBlob) {
  auto key = DeriveKeyFromMasterKey(Seq(0x40, 0x5f), UniqueId(), "maintenance schedule", 32);
  ASSERT_TRUE(key.ok());
  const std::string plaintext =
      "{\"nextFullMaintenance\":\"0001-01-01T00:00:00Z\",\"nextQuickMaintenance\":"
      "\"0001-01-01T00:00:00Z\",\"runs\":null}";
  const std::string expected =
      "505152535455565758595a5b8f2ea51226ea2822946f7ff9ece087ce446dbdebd8001e3ca9019ff572acc824"
      "01e87a1a24a3136eed67241c1bd30bc1cf5c8a6e2e892be2d9b0d938e3774f5f9676f1dd9e7bd88d4e8bc479"
      "f531c9aa6e0b4bf4b9428f29ae0113229c39d69f41f1a17bc915115e9da1fbce0e7810fbb0ada7bebbb0cb28";
  EXPECT_EQ(Hex(AesGcmSeal(*key, AsBytes(plaintext), AsBytes("maintenance"), Seq(0x50, 0x5b))),
            expected);
  auto opened = AesGcmOpen(*key, FromHex(expected), AsBytes("maintenance"));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(AsString(*opened), plaintext);
}

TEST(KeyDerivationTest, AesGcmSealRandomNonce) {
  const Bytes key = Seq(1, 32);
  auto a = AesGcmSeal(key, AsBytes("payload"), AsBytes("aad"));
  auto b = AesGcmSeal(key, AsBytes("payload"), AsBytes("aad"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 7u + 28u);
  EXPECT_NE(*a, *b);
  for (const Bytes& sealed : {*a, *b}) {
    auto opened = AesGcmOpen(key, sealed, AsBytes("aad"));
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(AsString(*opened), "payload");
  }
  EXPECT_EQ(AesGcmSeal(key, AsBytes("x"), {}, Seq(0, 10)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(AesGcmSeal(Seq(0, 15), AsBytes("x"), {}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(KeyDerivationTest, DeriveFormatKeyErrors) {
  auto unknown = DeriveFormatKey("argon2id", kPassword, UniqueId());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("scrypt-65536-8-1"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("pbkdf2-sha256-600000"), std::string::npos);
  for (const char* algo : {"scrypt-65536-8-1", "pbkdf2-sha256-600000"}) {
    EXPECT_EQ(DeriveFormatKey(algo, kPassword, Seq(0, 14)).status().code(),
              StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(DeriveKeyFromMasterKey({}, UniqueId(), "AES", 32).status().code(),
            StatusCode::kInvalidArgument);
}

// RFC 7914 §12 (N = 1048576 skipped: 1 GiB).
TEST(KeyDerivationTest, ScryptRfc7914) {
  EXPECT_EQ(Hex(Scrypt("", {}, 16, 1, 1, 64)),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
  EXPECT_EQ(Hex(Scrypt("password", AsBytes("NaCl"), 1024, 8, 16, 64)),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
  EXPECT_EQ(Hex(Scrypt("pleaseletmein", AsBytes("SodiumChloride"), 16384, 8, 1, 64)),
            "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
            "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887");
  EXPECT_EQ(Scrypt("p", AsBytes("s"), 1000, 8, 1, 32).status().code(),
            StatusCode::kInvalidArgument);  // N not a power of two
  EXPECT_EQ(Scrypt("p", AsBytes("s"), uint64_t{1} << 40, 8, 1, 32).status().code(),
            StatusCode::kInvalidArgument);  // absurd memory
}

// kopia's parameters need a 64 MiB table; ferry keeps a quarter of it and recomputes the rest
// (a different code path from the RFC vectors above, whose tables fit): the key must be
// OpenSSL's, which keeps the whole table.
TEST(KeyDerivationTest, ScryptWithPartialTableMatchesOpenSsl) {
  const std::string password = "correct horse battery staple";
  const Bytes salt = Seq(7, 32);
  uint8_t want[32];
  ASSERT_EQ(EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(), 65536, 8, 1,
                           uint64_t{80} << 20, want, sizeof(want)),
            1);
  auto got = Scrypt(password, salt, 65536, 8, 1, 32);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Hex(*got), Hex(Bytes(want, want + sizeof(want))));
  // p > 1 reuses the partial table for every lane.
  uint8_t want2[48];
  ASSERT_EQ(EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(), 32768, 16, 2,
                           uint64_t{80} << 20, want2, sizeof(want2)),
            1);
  auto got2 = Scrypt(password, salt, 32768, 16, 2, 48);
  ASSERT_TRUE(got2.ok()) << got2.status().ToString();
  EXPECT_EQ(Hex(*got2), Hex(Bytes(want2, want2 + sizeof(want2))));
}

// RFC 7914 §11 and the common RFC 6070-style SHA-256 vectors.
TEST(KeyDerivationTest, Pbkdf2HmacSha256) {
  EXPECT_EQ(Hex(Pbkdf2HmacSha256("passwd", AsBytes("salt"), 1, 64)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  EXPECT_EQ(Hex(Pbkdf2HmacSha256("Password", AsBytes("NaCl"), 80000, 64)),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
            "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
  EXPECT_EQ(Hex(Pbkdf2HmacSha256("password", AsBytes("salt"), 1, 32)),
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
  EXPECT_EQ(Hex(Pbkdf2HmacSha256("password", AsBytes("salt"), 4096, 32)),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
  EXPECT_EQ(Pbkdf2HmacSha256("p", AsBytes("s"), 0, 32).status().code(),
            StatusCode::kInvalidArgument);
}

// RFC 5869 Appendix A.1–A.3 (A.3: empty salt and info).
TEST(KeyDerivationTest, HkdfRfc5869) {
  EXPECT_EQ(Hex(Hkdf(Repeat(0x0b, 22), Seq(0x00, 0x0c), Seq(0xf0, 0xf9), 42)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  EXPECT_EQ(Hex(Hkdf(Seq(0x00, 0x4f), Seq(0x60, 0xaf), Seq(0xb0, 0xff), 82)),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87");
  EXPECT_EQ(Hex(Hkdf(Repeat(0x0b, 22), {}, {}, 42)),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
  EXPECT_EQ(Hkdf(Repeat(1, 32), {}, {}, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Hkdf(Repeat(1, 32), {}, {}, 255 * 32 + 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(Hkdf(Repeat(1, 32), {}, {}, 255 * 32).ok());
}

// Go's hkdf accepts an empty key (only kopia HEAD's DeriveKeyFromMasterKey refuses it):
// PRK = HMAC(salt, "") and OKM = HMAC(PRK, info || 0x01).
TEST(KeyDerivationTest, HkdfEmptyKey) {
  const Bytes salt = Seq(0xa0, 0xbf);
  const Bytes prk = HmacSha256(salt, {});
  Bytes block = ToBytes("purpose");
  block.push_back(1);
  EXPECT_EQ(Hex(Hkdf({}, salt, AsBytes("purpose"), 32)), HexEncode(HmacSha256(prk, block)));
}

TEST(KeyDerivationTest, HmacSha256Rfc4231) {
  EXPECT_EQ(HexEncode(HmacSha256(Repeat(0x0b, 20), AsBytes("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HexEncode(HmacSha256(Repeat(0xaa, 131),
                                 AsBytes("Test Using Larger Than Block-Size Key - Hash Key First"))),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

}  // namespace
}  // namespace ferry::crypto
