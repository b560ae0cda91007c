#include "crypto/encryption.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "crypto/hashing.h"
#include "crypto/key_derivation.h"
#include "crypto/test_util.h"

namespace ferry::crypto {
namespace {

using testing::FromHex;
using testing::Seq;

constexpr std::string_view kAes = "AES256-GCM-HMAC-SHA256";
constexpr std::string_view kChaCha = "CHACHA20-POLY1305-HMAC-SHA256";

std::unique_ptr<Encryptor> MustEncryptor(std::string_view name, ByteView master_key) {
  auto encryptor = NewEncryptor(name, master_key);
  EXPECT_TRUE(encryptor.ok()) << encryptor.status().ToString();
  return encryptor.ok() ? std::move(encryptor).value() : nullptr;
}

Result<Bytes> Decrypt(const Encryptor& e, ByteView ciphertext, ByteView iv) {
  Bytes out;
  FERRY_RETURN_IF_ERROR(e.Decrypt(ciphertext, iv, &out));
  return out;
}

Bytes EncryptWithNonce(const Encryptor& e, ByteView plaintext, ByteView iv, ByteView nonce) {
  Bytes out;
  Status status = e.EncryptWithNonce(plaintext, iv, nonce, &out);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return out;
}

TEST(EncryptionTest, NamesInKopiaOrder) {
  EXPECT_EQ(EncryptionAlgorithmNames(), (std::vector<std::string>{std::string(kAes),
                                                                   std::string(kChaCha)}));
  EXPECT_EQ(kDefaultEncryptionAlgorithm, kAes);
  for (const std::string& name : EncryptionAlgorithmNames()) {
    auto e = MustEncryptor(name, Seq(0x40, 0x5f));
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->name(), name);
    EXPECT_EQ(e->overhead(), 28u);
  }
}

TEST(EncryptionTest, UnknownNameAndBadKey) {
  for (std::string_view bad : {"", "NONE", "AES-256-CTR", "SALSA20-HMAC", "AES256_GCM"}) {
    auto e = NewEncryptor(bad, Seq(0x40, 0x5f));
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(e.status().message().find(std::string(kAes)), std::string::npos);
    EXPECT_NE(e.status().message().find(std::string(kChaCha)), std::string::npos);
  }
  EXPECT_EQ(NewEncryptor(kAes, Seq(0, 30)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(NewEncryptor(kChaCha, {}).status().code(), StatusCode::kInvalidArgument);
}

// kopia-test-vectors.md §5.1 (kopia's own TestCiphertextSamples).
TEST(EncryptionTest, KopiaCiphertextSamples) {
  const Bytes master_key = ToBytes("01234567890123456789012345678901");
  struct Sample {
    std::string_view algorithm;
    const char* iv;
    const char* plaintext;
    const char* stored;
  };
  const Sample samples[] = {
      {kAes, "aabbccddeeffgghhiijjkkllmmnnoopp", "foo",
       "e43ba07f85a6d70c5f1102ca06cf19c597e5f91e527b21f00fb76e8bec3fd1"},
      {kChaCha, "aabbccddeeffgghhiijjkkllmmnnoopp", "foo",
       "118359f3d4d589d939efbbc3168ae4c77c51bcebce6845fe6ef5d11342faa6"},
      {kAes, "00000000000000000000000000000000", "quick brown fox jumps over the lazy dog",
       "eaad755a238f1daa4052db2e5ccddd934790b6cca415b3ccfd46ac5746af33d9d30f4400ffa9eb3a64fb1ce21b"
       "888c12c043bf6787d4a5c15ad10f21f6a6027ee3afe0"},
      {kChaCha, "00000000000000000000000000000000", "quick brown fox jumps over the lazy dog",
       "836d2ba87892711077adbdbe1452d3b2c590bbfdf6fd3387dc6810220a32ec19de862e1a4f865575e328424b5f"
       "178afac1b7eeff11494f719d119b7ebb924d1d0846a3"},
  };
  for (const Sample& s : samples) {
    auto e = MustEncryptor(s.algorithm, master_key);
    ASSERT_NE(e, nullptr);
    const Bytes stored = FromHex(s.stored);
    auto plaintext = Decrypt(*e, stored, AsBytes(s.iv));
    ASSERT_TRUE(plaintext.ok()) << s.algorithm << ": " << plaintext.status().ToString();
    EXPECT_EQ(AsString(*plaintext), s.plaintext);
    // The same nonce reproduces kopia's bytes exactly.
    EXPECT_EQ(HexEncode(EncryptWithNonce(*e, AsBytes(s.plaintext), AsBytes(s.iv),
                                         ByteView(stored).first(kNonceSize))),
              s.stored);
  }
}

// §5.1 intermediates: S and the per-IV keys.
TEST(EncryptionTest, KeyDerivationIntermediates) {
  auto secret = Hkdf(AsBytes("01234567890123456789012345678901"), AsBytes("encryption"), {}, 32);
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(HexEncode(*secret), "88aac0fcc646ffc04813cc17f4c7a17f8a73b53e4add438898256a7c87ad45d2");
  EXPECT_EQ(HexEncode(HmacSha256(*secret, AsBytes("aabbccddeeffgghhiijjkkllmmnnoopp"))),
            "6c82491c819ee6c89e7bdd065cca8b86c314a7d950dffa92e1c30506f60463ea");
  EXPECT_EQ(HexEncode(HmacSha256(*secret, AsBytes("00000000000000000000000000000000"))),
            "e09bf92edcc7890a612c60ef1df18a8affff56d9fecfc7cb0585f1b73eb43169");

  // §5.2 with masterKey 40..5f.
  auto common = Hkdf(Seq(0x40, 0x5f), AsBytes("encryption"), {}, 32);
  ASSERT_TRUE(common.ok());
  EXPECT_EQ(HexEncode(*common), "efffeb0407ce08e6fca4220165c06bf4508d6ee17538f6a69f8df8149a6067d2");
  EXPECT_EQ(HexEncode(HmacSha256(*common, FromHex("00112233445566778899aabbccddeeff"))),
            "b4e872e8a128196e4ff5ba9eb745360c861e3ff9ca238d589319bd9b4f447536");
}

// §5.2: fixed nonce 30..3b, plaintext "hello kopia".
TEST(EncryptionTest, CommonInputsFixedNonce) {
  const Bytes iv = FromHex("00112233445566778899aabbccddeeff");
  const Bytes nonce = Seq(0x30, 0x3b);
  struct Case {
    std::string_view algorithm;
    const char* stored;
  };
  const Case cases[] = {
      {kAes, "303132333435363738393a3b99a025ef90f30869a03a701bbbd8475a3f333e38f5a4acada3cfe9"},
      {kChaCha, "303132333435363738393a3bc9f1416b2e1c5545374bdff07992b37888a74066dcb9b75271f6a5"},
  };
  for (const Case& c : cases) {
    auto e = MustEncryptor(c.algorithm, Seq(0x40, 0x5f));
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(HexEncode(EncryptWithNonce(*e, AsBytes("hello kopia"), iv, nonce)), c.stored);
    auto plaintext = Decrypt(*e, FromHex(c.stored), iv);
    ASSERT_TRUE(plaintext.ok());
    EXPECT_EQ(AsString(*plaintext), "hello kopia");
  }
}

// §5.3: content ID = BLAKE2B-256-128(secret 80..9f), IV = the hash, AES-GCM with nonce 30..3b.
TEST(EncryptionTest, EndToEndContent) {
  auto hash = NewHashFunction("BLAKE2B-256-128", Seq(0x80, 0x9f));
  ASSERT_TRUE(hash.ok());
  const Bytes id = (*hash)->Hash(AsBytes("hello kopia"));
  EXPECT_EQ(HexEncode(id), "517a0ecb5448b0eb9d82c8bb312c3d41");
  auto secret = Hkdf(Seq(0x40, 0x5f), AsBytes("encryption"), {}, 32);
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(HexEncode(HmacSha256(*secret, id)),
            "538eb96bb67776c58b2863e888cb935fcc72b7e3ae4258539cc3cf6822549218");
  auto e = MustEncryptor(kAes, Seq(0x40, 0x5f));
  ASSERT_NE(e, nullptr);
  const Bytes stored = EncryptWithNonce(*e, AsBytes("hello kopia"), id, Seq(0x30, 0x3b));
  EXPECT_EQ(stored.size(), 39u);
  EXPECT_EQ(HexEncode(stored),
            "303132333435363738393a3bafe4e452f1966183057d52d2624b4b1ffed34bf1bf4965fb5cf782");
}

// §7: encrypted index blob; the IV comes from the blob name; the plaintext is the §8.1 index.
TEST(EncryptionTest, EncryptedIndexBlob) {
  const Bytes index = FromHex(
      "02110011000000030000000202000000000000112233445566778899aabbccddeeff633de240000000200000"
      "6400008000000000ffeeddccbbaa99887766554433221100633de242800000a000000a0000260000006bfedc"
      "ba9876543210fedcba9876543210633de241000000200001f400012c000101350000008d35000000c2000000"
      "0003000000110103007030313233343536373839616263646566303132333435363738396162636465662d73"
      "3030313132323333343435353636373761307166656463626139383736353433323130666564636261393837"
      "363534333231302d73303031313232333334343535363637376130");
  ASSERT_EQ(index.size(), 247u);
  auto hash = NewHashFunction("BLAKE2B-256-128", Seq(0x80, 0x9f));
  ASSERT_TRUE(hash.ok());
  const std::string hex_hash = HexEncode((*hash)->Hash(index));
  EXPECT_EQ(hex_hash, "a0bcbb7fd213ddcd7fe02bdf0c91d28a");
  const std::string blob_name = "xn0_" + hex_hash + "-s0011223344556677115-c1";
  EXPECT_EQ(blob_name, "xn0_a0bcbb7fd213ddcd7fe02bdf0c91d28a-s0011223344556677115-c1");
  // IV: the last 32 hex characters before the first '-'.
  const std::string before_dash = blob_name.substr(0, blob_name.find('-'));
  const Bytes iv = FromHex(before_dash.substr(before_dash.size() - 32));

  const std::string expected =
      "606162636465666768696a6b222b0a1a4dc598cb5c79719ead0fe8e9f388434a1d578c3dc4aef0a3c330daf2"
      "386a2e9a238c4e8edaa313f691a6e168ff91e3f251cceab2581d19ffd9437db82d8a9dae855ac2a9bcb19b71"
      "d3f674c462f7e12ef0456fd275d3d0e8d07a55e160c84ace06785d8fc4b332ae2b906923a90c7e51cc56789c"
      "566bf74f9b4ddb2c9a6cf32f630fded991d7962b0981232bc4053ae59bc5dd6a9fffa08263ab7980dd1c1c50"
      "5004c5e17817c5615f5eaa23d3c8166d1d8abb0adfef6b6c872a58ecee1abbb8974ccf9405fb44bb22241161"
      "599ba6f49f65a265dba544db7d539fe98555aa1b66970bfb88c1748298446523ebde1f356c6a71dfca23c67b"
      "20a04afdf2a9a3d81f8747";
  auto e = MustEncryptor(kAes, Seq(0x40, 0x5f));
  ASSERT_NE(e, nullptr);
  auto plaintext = Decrypt(*e, FromHex(expected), iv);
  ASSERT_TRUE(plaintext.ok()) << plaintext.status().ToString();
  EXPECT_EQ(*plaintext, index);
  const Bytes stored = EncryptWithNonce(*e, index, iv, Seq(0x60, 0x6b));
  EXPECT_EQ(stored.size(), 275u);
  EXPECT_EQ(HexEncode(stored), expected);
}

TEST(EncryptionTest, TamperingIsAuthenticationError) {
  for (const std::string& name : EncryptionAlgorithmNames()) {
    auto e = MustEncryptor(name, Seq(0x40, 0x5f));
    ASSERT_NE(e, nullptr);
    const Bytes iv = Seq(0, 15);
    Bytes stored;
    ASSERT_TRUE(e->Encrypt(AsBytes("some content bytes"), iv, &stored).ok());
    for (size_t i = 0; i < stored.size(); ++i) {
      Bytes bad = stored;
      bad[i] ^= 0x10;
      Bytes out = ToBytes("stale");
      Status status = e->Decrypt(bad, iv, &out);
      EXPECT_EQ(status.code(), StatusCode::kAuthentication) << name << " byte " << i;
      EXPECT_TRUE(out.empty()) << "unauthenticated output must not be returned";
    }
    for (size_t length : {size_t{0}, size_t{5}, size_t{27}, size_t{28}, stored.size() - 1}) {
      EXPECT_EQ(Decrypt(*e, ByteView(stored).first(length), iv).status().code(),
                StatusCode::kAuthentication)
          << name << " truncated to " << length;
    }
    EXPECT_EQ(Decrypt(*e, stored, Seq(1, 16)).status().code(), StatusCode::kAuthentication);
    auto other = MustEncryptor(name, Seq(0x41, 0x60));
    EXPECT_EQ(Decrypt(*other, stored, iv).status().code(), StatusCode::kAuthentication);
    EXPECT_TRUE(Decrypt(*e, stored, iv).ok());
  }
  // Ciphertext of one algorithm does not open with the other.
  auto aes = MustEncryptor(kAes, Seq(0x40, 0x5f));
  auto chacha = MustEncryptor(kChaCha, Seq(0x40, 0x5f));
  Bytes stored;
  ASSERT_TRUE(aes->Encrypt(AsBytes("x"), Seq(0, 15), &stored).ok());
  EXPECT_EQ(Decrypt(*chacha, stored, Seq(0, 15)).status().code(), StatusCode::kAuthentication);
}

TEST(EncryptionTest, RandomNonceRoundTripAndBufferReuse) {
  for (const std::string& name : EncryptionAlgorithmNames()) {
    auto e = MustEncryptor(name, Seq(0x40, 0x5f));
    ASSERT_NE(e, nullptr);
    Bytes plaintext(100000);
    for (size_t i = 0; i < plaintext.size(); ++i) plaintext[i] = static_cast<uint8_t>(i * 13);
    const Bytes iv = Seq(0x10, 0x1f);
    Bytes a, b, out;
    ASSERT_TRUE(e->Encrypt(plaintext, iv, &a).ok());
    ASSERT_TRUE(e->Encrypt(plaintext, iv, &b).ok());
    EXPECT_EQ(a.size(), plaintext.size() + kEncryptionOverhead);
    EXPECT_NE(a, b) << "nonces must be random";
    for (int i = 0; i < 3; ++i) {  // the same output buffer, reused
      ASSERT_TRUE(e->Decrypt(i % 2 ? a : b, iv, &out).ok());
      EXPECT_EQ(out, plaintext);
      ASSERT_TRUE(e->Encrypt(ByteView(plaintext).first(1000 * i), iv, &a).ok());
      EXPECT_EQ(a.size(), 1000 * i + kEncryptionOverhead);
      ASSERT_TRUE(e->Decrypt(a, iv, &out).ok());
      EXPECT_EQ(out, Bytes(plaintext.begin(), plaintext.begin() + 1000 * i));
      ASSERT_TRUE(e->Encrypt(plaintext, iv, &a).ok());
    }
    EXPECT_EQ(e->EncryptWithNonce(plaintext, iv, Seq(0, 10), &out).code(),
              StatusCode::kInvalidArgument);
    // Input inside the output buffer is refused rather than silently clobbered.
    out = plaintext;
    EXPECT_EQ(e->Encrypt(ByteView(out).subspan(10), iv, &out).code(), StatusCode::kInvalidArgument);
  }
}

// The pieces, joined, are exactly EncryptWithNonce's bytes, whatever the scratch size; every piece
// but the last fills the scratch buffer; an emit error ends the call with that error.
TEST(EncryptionTest, InPiecesEqualsWholeEncryption) {
  for (const std::string& name : EncryptionAlgorithmNames()) {
    auto e = MustEncryptor(name, Seq(0x40, 0x5f));
    ASSERT_NE(e, nullptr);
    const Bytes iv = Seq(0x10, 0x1f), nonce = Seq(0x20, 0x2b);
    Bytes plaintext(70000);
    for (size_t i = 0; i < plaintext.size(); ++i) plaintext[i] = static_cast<uint8_t>(i * 7 + 3);
    for (size_t length : {size_t(0), size_t(1), size_t(35), size_t(36), size_t(1000), size_t(65536), plaintext.size()}) {
      ByteView in = ByteView(plaintext).first(length);
      Bytes whole;
      ASSERT_TRUE(e->EncryptWithNonce(in, iv, nonce, &whole).ok());
      for (size_t scratch_size : {size_t(64), size_t(100), size_t(4096), size_t(1) << 18}) {
        Bytes scratch(scratch_size), joined;
        std::vector<size_t> sizes;
        Status s = e->EncryptWithNonceInPieces(in, iv, nonce, scratch, [&](ByteView piece) {
          joined.insert(joined.end(), piece.begin(), piece.end());
          sizes.push_back(piece.size());
          return Status::OK();
        });
        ASSERT_TRUE(s.ok()) << s.ToString();
        EXPECT_EQ(joined, whole) << name << " length " << length << " scratch " << scratch_size;
        for (size_t i = 0; i + 1 < sizes.size(); ++i) EXPECT_EQ(sizes[i], scratch_size);
        ASSERT_FALSE(sizes.empty());
        EXPECT_LE(sizes.back(), scratch_size);
        EXPECT_GT(sizes.back(), 0u);
      }
    }
    // Random nonce: decrypts to the plaintext.
    Bytes scratch(4096), joined, out;
    ASSERT_TRUE(e->EncryptInPieces(plaintext, iv, scratch, [&](ByteView piece) {
                   joined.insert(joined.end(), piece.begin(), piece.end());
                   return Status::OK();
                 }).ok());
    ASSERT_TRUE(e->Decrypt(joined, iv, &out).ok());
    EXPECT_EQ(out, plaintext);
    // The sink's error is the call's error, and no more pieces follow it.
    int calls = 0;
    Status failed = e->EncryptInPieces(plaintext, iv, scratch, [&](ByteView) {
      ++calls;
      return Status::IOError("disk full");
    });
    EXPECT_EQ(failed.code(), StatusCode::kIOError);
    EXPECT_EQ(calls, 1);
    Bytes tiny(40);
    EXPECT_EQ(e->EncryptInPieces(plaintext, iv, tiny, [](ByteView) { return Status::OK(); }).code(),
              StatusCode::kInvalidArgument);
  }
}

// EncryptInto with an observer writes the same bytes as without, and the observer sees all of
// `out` in order: the nonce, the ciphertext in pieces of at most 256 KiB, then the tag, each
// piece pointing into `out` itself and already holding its final bytes when observed.
TEST(EncryptionTest, ObservedEncryptIntoSeesEveryByteInOrder) {
  for (const std::string& name : EncryptionAlgorithmNames()) {
    auto e = MustEncryptor(name, Seq(0x40, 0x5f));
    ASSERT_NE(e, nullptr);
    const Bytes iv = Seq(0x10, 0x1f), nonce = Seq(0x20, 0x2b);
    Bytes plaintext((600 << 10) + 5);
    for (size_t i = 0; i < plaintext.size(); ++i) plaintext[i] = static_cast<uint8_t>(i * 13 + 1);
    for (size_t length : {size_t(0), size_t(1), size_t(256) << 10, plaintext.size()}) {
      ByteView in = ByteView(plaintext).first(length);
      Bytes whole;
      ASSERT_TRUE(e->EncryptWithNonce(in, iv, nonce, &whole).ok());
      Bytes out(whole.size());
      size_t next = 0;
      bool in_place = true, small = true;
      Bytes seen;  // the bytes as they were when observed: already final
      ASSERT_TRUE(e->EncryptWithNonceInto(in, iv, nonce, out, [&](ByteView piece) {
                     in_place = in_place && piece.data() == out.data() + next;
                     small = small && piece.size() <= (256u << 10);
                     seen.insert(seen.end(), piece.begin(), piece.end());
                     next += piece.size();
                   }).ok());
      EXPECT_EQ(out, whole) << name << " " << length;
      EXPECT_EQ(seen, whole) << name << " " << length;
      EXPECT_EQ(next, out.size());
      EXPECT_TRUE(in_place);
      EXPECT_TRUE(small);
    }
  }
}

// One Encryptor serves many threads; each thread re-keys its own cipher contexts.
TEST(EncryptionTest, ConcurrentUse) {
  for (const std::string& name : EncryptionAlgorithmNames()) {
    auto e = MustEncryptor(name, Seq(0x40, 0x5f));
    ASSERT_NE(e, nullptr);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        Bytes plaintext(5000 + t, static_cast<uint8_t>(t));
        Bytes sealed, opened;
        for (int i = 0; i < 50; ++i) {
          const Bytes iv = Seq(t, t + 15);
          if (!e->Encrypt(plaintext, iv, &sealed).ok() || !e->Decrypt(sealed, iv, &opened).ok() ||
              opened != plaintext) {
            ++failures;
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0) << name;
  }
}

TEST(EncryptionTest, RandomBytes) {
  Bytes a(64), b(64);
  ASSERT_TRUE(RandomBytes(a).ok());
  ASSERT_TRUE(RandomBytes(b).ok());
  EXPECT_NE(a, b);
  EXPECT_TRUE(RandomBytes({}).ok());
}

}  // namespace
}  // namespace ferry::crypto
