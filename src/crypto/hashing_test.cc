#include "crypto/hashing.h"

#include <blake2.h>
#include <blake3.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "crypto/test_util.h"

namespace ferry::crypto {
namespace {

using testing::FromHex;
using testing::Repeat;
using testing::Seq;

constexpr std::string_view kFox = "The quick brown fox jumps over the lazy dog";

std::string HashHex(std::string_view algorithm, ByteView key, ByteView data) {
  auto hash = NewHashFunction(algorithm, key);
  EXPECT_TRUE(hash.ok()) << algorithm << ": " << hash.status().ToString();
  if (!hash.ok()) return "";
  return HexEncode((*hash)->Hash(data));
}

struct Vector {
  const char* algorithm;
  const char* fox;
  const char* empty;  // nullptr where the table gives none
};

// kopia-test-vectors.md §2.1: key = 00..1f.
TEST(HashingTest, KopiaVectorsKey00To1f) {
  const Vector vectors[] = {
      {"BLAKE2B-256", "5d9461aff732d77d0cc98725ea29298c914fd5193b4c08ec9e3ad6b28c3e2faf",
       "4e51e7a913fc80137da52880fecca175bf81e117d5c68126dc2774033517ea0d"},
      {"BLAKE2B-256-128", "5d9461aff732d77d0cc98725ea29298c", "4e51e7a913fc80137da52880fecca175"},
      {"BLAKE2S-128", "4e2219ec6d234a478e4ace91429bbce4", "9536f9b267655743dee97b8a670f9f53"},
      {"BLAKE2S-256", "96b9463f887ba8eb7444074245f3b2f838d6ee5a659490adcf7ae80cc97bc67f",
       "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"},
      {"BLAKE3-256", "f1c78a63454ec51f42b9d88ac49133942182b5ecb380dc9ec90dcd7e6ad675e8",
       "73492b19995d71cdb1e9d74decc09809eb732f1b00bc95c27cb15f9dd4d6478f"},
      {"BLAKE3-256-128", "f1c78a63454ec51f42b9d88ac4913394", "73492b19995d71cdb1e9d74decc09809"},
      {"HMAC-SHA224", "c19bf589632c1938fa9433a3fba6d063a76a89f95cbfad9724292959",
       "2a7430f93bb5456d155c654063c7074aa70c01936a6c0e53a9f9407f"},
      {"HMAC-SHA256", "f87ad256151fc7b4c5dffa4adb3ebe911a8eeb8a8ebdee3c2a4a8e5f5ec02c32",
       "d38b42096d80f45f826b44a9d5607de72496a415d3f4a1a8c88e3bb9da8dc1cb"},
      {"HMAC-SHA256-128", "f87ad256151fc7b4c5dffa4adb3ebe91", "d38b42096d80f45f826b44a9d5607de7"},
      {"HMAC-SHA3-224", "c058b4ace7a24b83460c1cb59a43c777a2b927b7ffb4b976cc26377e",
       "2e37c6fd64fd8a04653d260323bc726482d8cb6b4d9e59e02bd58cd9"},
      {"HMAC-SHA3-256", "147d7580b74be73a6c117f3320568ddf71834893daaa4631894ade39ca08e709",
       "50ab1606034383fe4b3b4bc0a341a82e40ac85e455cdfeed4cac902a7b8ccfc1"},
  };
  const Bytes key = Seq(0x00, 0x1f);
  for (const Vector& v : vectors) {
    EXPECT_EQ(HashHex(v.algorithm, key, AsBytes(kFox)), v.fox) << v.algorithm;
    EXPECT_EQ(HashHex(v.algorithm, key, {}), v.empty) << v.algorithm;
  }
}

// §2.2: key = ASCII "key" (BLAKE3 takes the derive_key path).
TEST(HashingTest, KopiaVectorsKeyKey) {
  const Vector vectors[] = {
      {"BLAKE2B-256", "27fbd5f2cdea2c98fa372a1a3b572a2f51c06bc627e306de84663f48c8b0eb13", nullptr},
      {"BLAKE2B-256-128", "27fbd5f2cdea2c98fa372a1a3b572a2f", nullptr},
      {"BLAKE2S-128", "f7e1470b0b9afb58dcbafccb1b8b8530", nullptr},
      {"BLAKE2S-256", "eec94d00b8c9d214636adfad587bc9c75f271d7a64d9639ef2e959f94da468e6", nullptr},
      {"BLAKE3-256", "109f7e6ec10cda22662850d9d790955d9fffee3ec42d577d9b5666ce85a668bf", nullptr},
      {"BLAKE3-256-128", "109f7e6ec10cda22662850d9d790955d", nullptr},
      {"HMAC-SHA224", "88ff8b54675d39b8f72322e65ff945c52d96379988ada25639747e69", nullptr},
      {"HMAC-SHA256", "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", nullptr},
      {"HMAC-SHA256-128", "f7bc83f430538424b13298e6aa6fb143", nullptr},
      {"HMAC-SHA3-224", "ff6fa8447ce10fb1efdccfe62caf8b640fe46c4fb1007912bf85100f", nullptr},
      {"HMAC-SHA3-256", "8c6e0683409427f8931711b10ca92a506eb1fafa48fadd66d76126f47ac2c333", nullptr},
  };
  for (const Vector& v : vectors) {
    EXPECT_EQ(HashHex(v.algorithm, AsBytes("key"), AsBytes(kFox)), v.fox) << v.algorithm;
  }
}

// §2.3: empty key (repository created with HMAC disabled): unkeyed BLAKE2 via libb2.
TEST(HashingTest, KopiaVectorsEmptyKey) {
  const Vector vectors[] = {
      {"BLAKE2B-256", "01718cec35cd3d796dd00020e0bfecb473ad23457d063b75eff29c0ffa2e58a9", nullptr},
      {"BLAKE2B-256-128", "01718cec35cd3d796dd00020e0bfecb4", nullptr},
      {"BLAKE2S-256", "606beeec743ccbeff6cbcdf5d5302aa855c256c29b88c8ed331ea1a6bf3c8812", nullptr},
      {"BLAKE3-256", "c6c496830923f38c93caccc397b73e72d6cad3546b7f983b04fe94961a1d00b0", nullptr},
      {"BLAKE3-256-128", "c6c496830923f38c93caccc397b73e72", nullptr},
      {"HMAC-SHA224", "7db2472a551b5d5586c194a94863b6277e4bf1266ff6334b8c1d52dd", nullptr},
      {"HMAC-SHA256", "fb011e6154a19b9a4c767373c305275a5a69e8b68b0b4c9200c383dced19a416", nullptr},
      {"HMAC-SHA256-128", "fb011e6154a19b9a4c767373c305275a", nullptr},
      {"HMAC-SHA3-224", "c5f83a5ae53a3a6555dc70e5c92a30cf7a679592c487717ae7f0814d", nullptr},
      {"HMAC-SHA3-256", "8c66a596ba2a46a591f5775e90688092dc593f40f9764f59e31870cf2681857b", nullptr},
  };
  for (const Vector& v : vectors) {
    EXPECT_EQ(HashHex(v.algorithm, {}, AsBytes(kFox)), v.fox) << v.algorithm;
  }
  // kopia test (repo/repository_test.go): HMAC-SHA256 with an empty key over the empty input.
  EXPECT_EQ(HashHex("HMAC-SHA256", {}, {}),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HashingTest, Blake2s128RejectsEmptyKey) {
  auto hash = NewHashFunction("BLAKE2S-128", {});
  ASSERT_FALSE(hash.ok());
  EXPECT_EQ(hash.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(hash.status().message().find("BLAKE2S-128"), std::string::npos);
}

TEST(HashingTest, Blake2b256128IsTruncatedBlake2b256NotDigestLength16) {
  const Bytes key = Seq(0x00, 0x1f);
  const std::string full = HashHex("BLAKE2B-256", key, AsBytes(kFox));
  const std::string truncated = HashHex("BLAKE2B-256-128", key, AsBytes(kFox));
  EXPECT_EQ(full.substr(0, 32), truncated);
  // BLAKE2b with a 16-byte digest length (the trap of §4) starts 7802a60f…
  blake2b_state state;
  ASSERT_EQ(blake2b_init_key(&state, 16, key.data(), key.size()), 0);
  blake2b_update(&state, reinterpret_cast<const uint8_t*>(kFox.data()), kFox.size());
  uint8_t wrong[16];
  blake2b_final(&state, wrong, sizeof(wrong));
  EXPECT_EQ(HexEncode(ByteView(wrong, 2)), "7802");
  EXPECT_NE(HexEncode(ByteView(wrong, 16)), truncated);
}

TEST(HashingTest, NamesInKopiaOrder) {
  const std::vector<std::string> expected = {
      "BLAKE2B-256",    "BLAKE2B-256-128", "BLAKE2S-128",     "BLAKE2S-256",
      "BLAKE3-256",     "BLAKE3-256-128",  "HMAC-SHA224",     "HMAC-SHA256",
      "HMAC-SHA256-128", "HMAC-SHA3-224",  "HMAC-SHA3-256"};
  EXPECT_EQ(HashAlgorithmNames(), expected);
  EXPECT_NE(std::find(expected.begin(), expected.end(), kDefaultHashAlgorithm), expected.end());
  for (const std::string& name : HashAlgorithmNames()) {
    auto hash = NewHashFunction(name, Seq(0, 31));
    ASSERT_TRUE(hash.ok()) << name;
    EXPECT_EQ((*hash)->name(), name);
    EXPECT_LE((*hash)->output_size(), kMaxHashSize);
  }
}

TEST(HashingTest, UnknownNameListsValidNames) {
  for (std::string_view bad : {"", "SHA256", "blake2b-256", "BLAKE2B-256 "}) {
    auto hash = NewHashFunction(bad, Seq(0, 31));
    ASSERT_FALSE(hash.ok()) << bad;
    EXPECT_EQ(hash.status().code(), StatusCode::kInvalidArgument);
    for (const std::string& name : HashAlgorithmNames()) {
      EXPECT_NE(hash.status().message().find(name), std::string::npos) << name;
    }
  }
}

// kopia-test-vectors.md §14: keys of 0, 3, 32 and 40 bytes for every algorithm.
TEST(HashingTest, KeyLengths) {
  const Bytes data = ToBytes(kFox);
  for (const std::string& name : HashAlgorithmNames()) {
    const bool blake2s = name.starts_with("BLAKE2S");
    for (size_t key_size : {0u, 3u, 32u, 40u}) {
      const Bytes key = Repeat(0x5a, key_size);
      auto hash = NewHashFunction(name, key);
      const bool refused = (blake2s && key_size > 32) || (name == "BLAKE2S-128" && key_size == 0);
      if (refused) {
        ASSERT_FALSE(hash.ok()) << name << " key " << key_size;
        EXPECT_EQ(hash.status().code(), StatusCode::kInvalidArgument);
        continue;
      }
      ASSERT_TRUE(hash.ok()) << name << " key " << key_size << ": " << hash.status().ToString();
      const Bytes a = (*hash)->Hash(data);
      EXPECT_EQ(a.size(), (*hash)->output_size());
      EXPECT_EQ(a, (*hash)->Hash(data)) << name;  // deterministic
      auto again = NewHashFunction(name, key);
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(a, (*again)->Hash(data)) << name;
      // Flip the first key byte; an empty key becomes {1} (not {0}, which HMAC's zero padding
      // makes equal to the empty key).
      Bytes other_key = key.empty() ? Bytes{0} : key;
      other_key[0] ^= 1;
      auto other = NewHashFunction(name, other_key);
      if (other.ok()) {
        EXPECT_NE(a, (*other)->Hash(data)) << name << " ignores its key";
      }
    }
  }
  // BLAKE2b takes keys up to 64 bytes; BLAKE3 keeps only the first 32.
  EXPECT_TRUE(NewHashFunction("BLAKE2B-256", Repeat(1, 64)).ok());
  EXPECT_EQ(NewHashFunction("BLAKE2B-256", Repeat(1, 65)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(NewHashFunction("BLAKE2S-256", Repeat(1, 33)).status().code(),
            StatusCode::kInvalidArgument);
  Bytes long_key = Seq(0, 39);
  EXPECT_EQ(HashHex("BLAKE3-256", long_key, data), HashHex("BLAKE3-256", Seq(0, 31), data));
}

// RFC 4231 test cases 1–7 through the HMAC-SHA224 / HMAC-SHA256(-128) names.
TEST(HashingTest, HmacSha2Rfc4231) {
  struct Case {
    Bytes key;
    Bytes data;
    const char* sha224;
    const char* sha256;
  };
  const Case cases[] = {
      {Repeat(0x0b, 20), ToBytes("Hi There"),
       "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {ToBytes("Jefe"), ToBytes("what do ya want for nothing?"),
       "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {Repeat(0xaa, 20), Repeat(0xdd, 50),
       "7fb3cb3588c6c1f6ffa9694d7d6ad2649365b0c1f65d69d1ec8333ea",
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {Seq(0x01, 0x19), Repeat(0xcd, 50),
       "6c11506874013cac6a2abc1bb382627cec6a90d86efc012de7afec5a",
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {Repeat(0xaa, 131), ToBytes("Test Using Larger Than Block-Size Key - Hash Key First"),
       "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {Repeat(0xaa, 131),
       ToBytes("This is a test using a larger than block-size key and a larger than block-size "
               "data. The key needs to be hashed before being used by the HMAC algorithm."),
       "3a854166ac5d9f023f54d517d0b39dbd946770db9c2b95c9f6f565d1",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(HashHex("HMAC-SHA224", c.key, c.data), c.sha224);
    EXPECT_EQ(HashHex("HMAC-SHA256", c.key, c.data), c.sha256);
    EXPECT_EQ(HashHex("HMAC-SHA256-128", c.key, c.data), std::string(c.sha256).substr(0, 32));
  }
  // Test case 5 is specified truncated to 128 bits, which is exactly HMAC-SHA256-128.
  EXPECT_EQ(HashHex("HMAC-SHA256-128", Repeat(0x0c, 20), AsBytes("Test With Truncation")),
            "a3b6167473100ee06e0c796c2955552b");
  EXPECT_EQ(HashHex("HMAC-SHA224", Repeat(0x0c, 20), AsBytes("Test With Truncation")).substr(0, 32),
            "0e2aea68a90c8d37c988bcdb9fca6fa8");
}

// NIST CSRC HMAC_SHA3-224 / HMAC_SHA3-256 examples: key shorter than, equal to and longer
// than the block (144 and 136 bytes).
TEST(HashingTest, HmacSha3NistExamples) {
  EXPECT_EQ(HashHex("HMAC-SHA3-224", Seq(0, 27), AsBytes("Sample message for keylen<blocklen")),
            "332cfd59347fdb8e576e77260be4aba2d6dc53117b3bfb52c6d18c04");
  EXPECT_EQ(HashHex("HMAC-SHA3-224", Seq(0, 143), AsBytes("Sample message for keylen=blocklen")),
            "d8b733bcf66c644a12323d564e24dcf3fc75f231f3b67968359100c7");
  EXPECT_EQ(HashHex("HMAC-SHA3-224", Seq(0, 171), AsBytes("Sample message for keylen>blocklen")),
            "078695eecc227c636ad31d063a15dd05a7e819a66ec6d8de1e193e59");
  EXPECT_EQ(HashHex("HMAC-SHA3-256", Seq(0, 31), AsBytes("Sample message for keylen<blocklen")),
            "4fe8e202c4f058e8dddc23d8c34e467343e23555e24fc2f025d598f558f67205");
  EXPECT_EQ(HashHex("HMAC-SHA3-256", Seq(0, 135), AsBytes("Sample message for keylen=blocklen")),
            "68b94e2e538a9be4103bebb5aa016d47961d4d1aa906061313b557f8af2c3faa");
  EXPECT_EQ(HashHex("HMAC-SHA3-256", Seq(0, 167), AsBytes("Sample message for keylen>blocklen")),
            "9bcf2c238e235c3ce88404e813bd2f3a97185ac6f238c63d6229a00b07974258");
}

// RFC 7693 Appendix B (BLAKE2s-256("abc"), unkeyed → libb2) and the official BLAKE2 keyed KAT
// (blake2s-kat.txt: key 00..1f, input 00..n-1 → OpenSSL BLAKE2SMAC).
TEST(HashingTest, Blake2sOfficialVectors) {
  EXPECT_EQ(HashHex("BLAKE2S-256", {}, AsBytes("abc")),
            "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
  EXPECT_EQ(HashHex("BLAKE2S-256", {}, {}),
            "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9");
  const char* kat[] = {
      "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49",
      "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1",
      "6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803",
      "1d220dbe2ee134661fdf6d9e74b41704710556f2f6e5a091b227697445dbea6b",
      "f6c3fbadb4cc687a0064a5be6e791bec63b868ad62fba61b3757ef9ca52e05b2",
      "49c1f21188dfd769aea0e911dd6b41f14dab109d2b85977aa3088b5c707e8598",
      "fdd8993dcd43f696d44f3cea0ff35345234ec8ee083eb3cada017c7f78c17143",
      "e6c8125637438d0905b749f46560ac89fd471cf8692e28fab982f73f019b83a9",
  };
  for (int n = 0; n < 8; ++n) {
    EXPECT_EQ(HashHex("BLAKE2S-256", Seq(0, 31), Seq(0, n - 1)), kat[n]) << n;
  }
}

// RFC 7693 Appendix A: BLAKE2b-512("abc"), on both backends (ferry's BLAKE2b names are 256-bit,
// so this checks the libraries themselves).
TEST(HashingTest, Blake2bRfc7693OnBothLibraries) {
  const char* expected =
      "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
      "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923";
  uint8_t out[64];
  ASSERT_EQ(blake2b(out, "abc", nullptr, 64, 3, 0), 0);
  EXPECT_EQ(HexEncode(ByteView(out, 64)), expected);
  unsigned int n = 0;
  ASSERT_TRUE(EVP_Digest("abc", 3, out, &n, EVP_blake2b512(), nullptr));
  EXPECT_EQ(HexEncode(ByteView(out, n)), expected);
}

// The keyed path (OpenSSL) and the unkeyed path (libb2) are different libraries: check that
// OpenSSL's keyed BLAKE2 matches libb2's keyed BLAKE2 across block boundaries.
TEST(HashingTest, OpenSslBlake2MatchesLibb2) {
  const Bytes key = Seq(0x80, 0x9f);
  Bytes data(300000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 31 + (i >> 8));
  auto b2b = NewHashFunction("BLAKE2B-256", key);
  auto b2s = NewHashFunction("BLAKE2S-128", key);
  ASSERT_TRUE(b2b.ok() && b2s.ok());
  for (size_t size : {0, 1, 63, 64, 65, 127, 128, 129, 255, 256, 257, 4096, 300000}) {
    ByteView input(data.data(), size);
    uint8_t want[32];
    ASSERT_EQ(blake2b(want, input.data(), key.data(), 32, size, key.size()), 0);
    EXPECT_EQ((*b2b)->Hash(input), Bytes(want, want + 32)) << size;
    ASSERT_EQ(blake2s(want, input.data(), key.data(), 16, size, key.size()), 0);
    EXPECT_EQ((*b2s)->Hash(input), Bytes(want, want + 16)) << size;
  }
}

// BLAKE3 published test vectors (BLAKE3-team/BLAKE3 test_vectors/test_vectors.json): input byte
// i = i % 251, key "whats the Elvish word for friend" (32 bytes, so BLAKE3-256 uses it as is).
TEST(HashingTest, Blake3OfficialVectors) {
  struct Case {
    size_t length;
    const char* hash;
    const char* keyed_hash;
    const char* derive_key;
  };
  const Case cases[] = {
      {0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
       "92b2b75604ed3c761f9d6f62392c8a9227ad0ea3f09573e783f1498a4ed60d26",
       "2cc39783c223154fea8dfb7c1b1660f2ac2dcbd1c1de8277b0b0dd39b7e50d7d"},
      {1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213",
       "6d7878dfff2f485635d39013278ae14f1454b8c0a3a2d34bc1ab38228a80c95b",
       "b3e2e340a117a499c6cf2398a19ee0d29cca2bb7404c73063382693bf66cb06c"},
      {1023, "10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11",
       "c951ecdf03288d0fcc96ee3413563d8a6d3589547f2c2fb36d9786470f1b9d6e",
       "74a16c1c3d44368a86e1ca6df64be6a2f64cce8f09220787450722d85725dea5"},
      {1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7",
       "75c46f6f3d9eb4f55ecaaee480db732e6c2105546f1e675003687c31719c7ba4",
       "7356cd7720d5b66b6d0697eb3177d9f8d73a4a5c5e968896eb6a689684302706"},
      {1025, "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444",
       "357dc55de0c7e382c900fd6e320acc04146be01db6a8ce7210b7189bd664ea69",
       "effaa245f065fbf82ac186839a249707c3bddf6d3fdda22d1b95a3c970379bcb"},
      {2048, "e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a",
       "879cf1fa2ea0e79126cb1063617a05b6ad9d0b696d0d757cf053439f60a99dd1",
       "7b2945cb4fef70885cc5d78a87bf6f6207dd901ff239201351ffac04e1088a23"},
      {31744, "62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47",
       "efa53b389ab67c593dba624d898d0f7353ab99e4ac9d42302ee64cbf9939a419",
       "39772aef80e0ebe60596361e45b061e8f417429d529171b6764468c22928e28e"},
      {102400, "bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085",
       "1c35d1a5811083fd7119f5d5d1ba027b4d01c0c6c49fb6ff2cf75393ea5db4a7",
       "4652cff7a3f385a6103b5c260fc1593e13c778dbe608efb092fe7ee69df6e9c6"},
  };
  const Bytes key = ToBytes("whats the Elvish word for friend");
  ASSERT_EQ(key.size(), 32u);
  auto keyed = NewHashFunction("BLAKE3-256", key);
  auto keyed128 = NewHashFunction("BLAKE3-256-128", key);
  ASSERT_TRUE(keyed.ok() && keyed128.ok());
  for (const Case& c : cases) {
    Bytes input(c.length);
    for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<uint8_t>(i % 251);
    EXPECT_EQ(HexEncode((*keyed)->Hash(input)), c.keyed_hash) << c.length;
    EXPECT_EQ(HexEncode((*keyed128)->Hash(input)), std::string(c.keyed_hash).substr(0, 32));

    // The other two modes check the compiled C library (and its SIMD kernels) directly.
    uint8_t out[32];
    blake3_hasher hasher;
    blake3_hasher_init(&hasher);
    blake3_hasher_update(&hasher, input.data(), input.size());
    blake3_hasher_finalize(&hasher, out, sizeof(out));
    EXPECT_EQ(HexEncode(ByteView(out, 32)), c.hash) << c.length;
    blake3_hasher_init_derive_key(&hasher, "BLAKE3 2019-12-27 16:29:52 test vectors context");
    blake3_hasher_update(&hasher, input.data(), input.size());
    blake3_hasher_finalize(&hasher, out, sizeof(out));
    EXPECT_EQ(HexEncode(ByteView(out, 32)), c.derive_key) << c.length;
  }
}

// Keys under 32 bytes go through derive_key("kopia blake3 derived key v1", key).
TEST(HashingTest, Blake3ShortKeyIsDerived) {
  uint8_t derived[32];
  blake3_hasher hasher;
  blake3_hasher_init_derive_key(&hasher, "kopia blake3 derived key v1");
  blake3_hasher_update(&hasher, "key", 3);
  blake3_hasher_finalize(&hasher, derived, sizeof(derived));
  EXPECT_EQ(HashHex("BLAKE3-256", AsBytes("key"), AsBytes(kFox)),
            HashHex("BLAKE3-256", ByteView(derived, 32), AsBytes(kFox)));
}

// One HashFunction serves many threads (HMAC shares keyed states, BLAKE2 a keyed context or,
// unkeyed, a libb2 state), keyed and unkeyed.
TEST(HashingTest, ConcurrentUse) {
  Bytes data(20000, 0x42);
  for (const std::string& name : HashAlgorithmNames()) {
    for (const Bytes& key : {Seq(1, 32), Bytes{}}) {
      auto hash = NewHashFunction(name, key);
      if (!hash.ok()) continue;  // BLAKE2S-128 without a key
      const Bytes expected = (*hash)->Hash(data);
      std::vector<std::thread> threads;
      std::atomic<int> mismatches{0};
      for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
          for (int i = 0; i < 20; ++i) {
            if ((*hash)->Hash(data) != expected) ++mismatches;
          }
        });
      }
      for (std::thread& t : threads) t.join();
      EXPECT_EQ(mismatches.load(), 0) << name << " key " << key.size();
    }
  }
}

}  // namespace
}  // namespace ferry::crypto
